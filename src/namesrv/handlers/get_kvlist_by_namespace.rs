//! GET_KVLIST_BY_NAMESPACE (219): a whole namespace as `{"table":{...}}`, or QUERY_NOT_FOUND.

use super::{header, success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::GetKVListByNamespaceRequestHeader;
use crate::remoting::code::response_code;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: GetKVListByNamespaceRequestHeader = header(request)?;
    Ok(match ns.kv.list_namespace(&h.namespace) {
        Some(table) => success_with_body(request, &table),
        None => RemotingCommand::response_to(
            request,
            response_code::QUERY_NOT_FOUND,
            Some(format!("No config item, Namespace: {}", h.namespace)),
        ),
    })
}
