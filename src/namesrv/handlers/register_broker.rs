//! REGISTER_BROKER (103): a broker announces itself and its topics (every 30 s, and after each
//! topic change). The body is checked against `bodyCrc32`, then read in the format of the
//! broker's version: a `RegisterBrokerBody` (JSON or compressed) since V3_0_11, a bare
//! `TopicConfigSerializeWrapper` before.

use super::{header, success, with_header, HandlerError, HandlerResult, RequestContext};
use crate::namesrv::route_info::BrokerRegistration;
use crate::namesrv::{Namesrv, NAMESPACE_ORDER_TOPIC_CONFIG};
use crate::protocol::body::{
    decode_body, encode_body, BodyError, DataVersion, RegisterBrokerBody,
    TopicConfigSerializeWrapper,
};
use crate::protocol::header::namesrv::{RegisterBrokerRequestHeader, RegisterBrokerResponseHeader};
use crate::remoting::code::response_code;
use crate::remoting::RemotingCommand;

/// `MQVersion.Version.V3_0_11.ordinal()`: brokers from this version on send a
/// `RegisterBrokerBody` (with the filter server list).
pub const VERSION_V3_0_11: i32 = 37;

pub(super) fn handle(
    ns: &Namesrv,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> HandlerResult {
    let h: RegisterBrokerRequestHeader = header(request)?;
    let body = request.body.as_deref();

    let expected_crc = h.body_crc32.unwrap_or(0);
    if expected_crc != 0 && body.map_or(0, crate::protocol::crc32) != expected_crc {
        tracing::warn!(from = %ctx.remote_addr, "receive registerBroker request, crc32 not match");
        return Ok(RemotingCommand::response_to(
            request,
            response_code::SYSTEM_ERROR,
            Some("crc32 not match".to_string()),
        ));
    }

    let (wrapper, filter_servers) = if request.version >= VERSION_V3_0_11 {
        let parsed = match body {
            Some(bytes) => RegisterBrokerBody::decode(bytes, h.compressed).map_err(|e| {
                HandlerError::Body(BodyError::new(format!(
                    "Failed to decode RegisterBrokerBody: {e}"
                )))
            })?,
            None => RegisterBrokerBody {
                topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
                    data_version: DataVersion::ZERO,
                    ..Default::default()
                },
                filter_server_list: Vec::new(),
            },
        };
        (
            parsed.topic_config_serialize_wrapper,
            Some(parsed.filter_server_list),
        )
    } else {
        let wrapper = match body {
            Some(bytes) => decode_body::<TopicConfigSerializeWrapper>(bytes)?,
            None => TopicConfigSerializeWrapper {
                data_version: DataVersion::ZERO,
                ..Default::default()
            },
        };
        (wrapper, None)
    };

    let result = ns.route.register_broker(
        &BrokerRegistration {
            cluster_name: &h.cluster_name,
            broker_addr: &h.broker_addr,
            broker_name: &h.broker_name,
            broker_id: h.broker_id,
            ha_server_addr: Some(&h.ha_server_addr),
            topic_config_wrapper: &wrapper,
            filter_server_list: filter_servers.as_deref(),
            connection: Some(ctx.connection),
        },
        ns.now_millis(),
    );

    let mut response = with_header(
        success(request),
        &RegisterBrokerResponseHeader {
            ha_server_addr: result.ha_server_addr,
            master_addr: result.master_addr,
        },
    );
    if let Some(order_conf) = ns.kv.list_namespace(NAMESPACE_ORDER_TOPIC_CONFIG) {
        response = response.with_body(encode_body(&order_conf));
    }
    Ok(response)
}
