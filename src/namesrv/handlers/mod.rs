//! One module per NameServer request code (Java `DefaultRequestProcessor`), and [`dispatch`],
//! which picks the handler by code.
//!
//! Handlers are plain functions: typed header and body in, response out. They never see the
//! network, so tests drive them directly; [`super::server`] wires them to connections.

mod add_write_perm_of_broker;
mod delete_kv_config;
mod delete_topic_in_namesrv;
mod get_all_topic_list;
mod get_broker_cluster_info;
mod get_has_unit_sub_topic_list;
mod get_has_unit_sub_ununit_topic_list;
mod get_kv_config;
mod get_kvlist_by_namespace;
mod get_namesrv_config;
mod get_routeinfo_by_topic;
mod get_system_topic_list;
mod get_topics_by_cluster;
mod get_unit_topic_list;
mod put_kv_config;
mod query_data_version;
mod register_broker;
mod unregister_broker;
mod update_namesrv_config;
mod wipe_write_perm_of_broker;

use crate::protocol::body::{encode_body, BodyError};
use crate::protocol::{CommandHeader, HeaderError};
use crate::remoting::code::{request_code, response_code};
use crate::remoting::RemotingCommand;

use super::{ConnectionId, Namesrv};

/// Who sent the request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub connection: ConnectionId,
    /// `ip:port` of the peer.
    pub remote_addr: String,
}

/// Why a request could not be handled; answered with SYSTEM_ERROR and the text as remark, as
/// Java answers the exception its processor throws.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    Body(#[from] BodyError),
}

type HandlerResult = Result<RemotingCommand, HandlerError>;

/// Whether handling `code` may write files (KV store, config): the server runs those off the
/// async reactor.
pub fn does_blocking_io(code: i32) -> bool {
    matches!(
        code,
        request_code::PUT_KV_CONFIG
            | request_code::DELETE_KV_CONFIG
            | request_code::UPDATE_NAMESRV_CONFIG
    )
}

/// Handles one request. Always returns a response (the server drops it for oneway requests).
pub fn dispatch(ns: &Namesrv, ctx: &RequestContext, request: &RemotingCommand) -> RemotingCommand {
    use request_code::*;
    let result = match request.code {
        PUT_KV_CONFIG => put_kv_config::handle(ns, request),
        GET_KV_CONFIG => get_kv_config::handle(ns, request),
        DELETE_KV_CONFIG => delete_kv_config::handle(ns, request),
        QUERY_DATA_VERSION => query_data_version::handle(ns, request),
        REGISTER_BROKER => register_broker::handle(ns, ctx, request),
        UNREGISTER_BROKER => unregister_broker::handle(ns, request),
        GET_ROUTEINFO_BY_TOPIC => get_routeinfo_by_topic::handle(ns, request),
        GET_BROKER_CLUSTER_INFO => get_broker_cluster_info::handle(ns, request),
        WIPE_WRITE_PERM_OF_BROKER => wipe_write_perm_of_broker::handle(ns, ctx, request),
        ADD_WRITE_PERM_OF_BROKER => add_write_perm_of_broker::handle(ns, ctx, request),
        GET_ALL_TOPIC_LIST_FROM_NAMESERVER => get_all_topic_list::handle(ns, request),
        DELETE_TOPIC_IN_NAMESRV => delete_topic_in_namesrv::handle(ns, request),
        GET_KVLIST_BY_NAMESPACE => get_kvlist_by_namespace::handle(ns, request),
        GET_TOPICS_BY_CLUSTER => get_topics_by_cluster::handle(ns, request),
        GET_SYSTEM_TOPIC_LIST_FROM_NS => get_system_topic_list::handle(ns, request),
        GET_UNIT_TOPIC_LIST => get_unit_topic_list::handle(ns, request),
        GET_HAS_UNIT_SUB_TOPIC_LIST => get_has_unit_sub_topic_list::handle(ns, request),
        GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST => {
            get_has_unit_sub_ununit_topic_list::handle(ns, request)
        }
        UPDATE_NAMESRV_CONFIG => update_namesrv_config::handle(ns, ctx, request),
        GET_NAMESRV_CONFIG => get_namesrv_config::handle(ns, request),
        // Java's DefaultRequestProcessor returns null here and the client times out; a clear
        // answer is better, and this is the one Java gives for a code without processor.
        _ => return RemotingCommand::request_code_not_supported(request),
    };
    result.unwrap_or_else(|e| {
        tracing::warn!(code = request.code, from = %ctx.remote_addr, error = %e, "request failed");
        RemotingCommand::system_error(request, e.to_string())
    })
}

/// Reads the request's custom header (an absent `extFields` reads as an empty one).
fn header<H: CommandHeader>(request: &RemotingCommand) -> Result<H, HeaderError> {
    crate::protocol::read_header(request)
}

/// SUCCESS without header or body (Java `createResponseCommand(null)`).
fn success(request: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(request, response_code::SUCCESS, None)
}

/// SUCCESS with a fastjson body.
fn success_with_body<T: crate::fastjson::ToJson + ?Sized>(
    request: &RemotingCommand,
    body: &T,
) -> RemotingCommand {
    success(request).with_body(encode_body(body))
}

/// A response carrying a custom header: Java writes `extFields` (possibly `{}`) for every
/// response created with a header class, whatever its code.
fn with_header<H: CommandHeader>(response: RemotingCommand, header: &H) -> RemotingCommand {
    response.with_ext_fields(header.to_ext_fields())
}
