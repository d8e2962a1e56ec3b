//! CHECK_CLIENT_CONFIG (46): a consumer asks whether the broker supports its filter type and
//! whether its expression compiles, before it subscribes with an SQL92 expression (Java
//! `ClientManageProcessor.checkClientConfig`).
//!
//! TAG subscriptions (or none) pass; another type needs `enablePropertyFilter` (else
//! SYSTEM_ERROR "The broker does not support consumer to filter message by <type>"), and an
//! expression that does not compile is SUBSCRIPTION_PARSE_FAILED with Java's exception message
//! as the remark (none for a type without a filter).

use crate::broker::Broker;
use crate::fastjson;
use crate::filter;
use crate::protocol::heartbeat::CheckClientRequestBody;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let body = request.body.as_deref().unwrap_or_default();
    let check: CheckClientRequestBody = match fastjson::decode_bytes(body) {
        Ok(c) => c,
        Err(e) => {
            return Some(RemotingCommand::system_error(
                &request,
                format!("bad body: {e}"),
            ))
        }
    };
    if let Some(sub) = check.subscription_data.filter(|s| !s.is_tag_type()) {
        if !broker.config.enable_property_filter {
            let remark = format!(
                "The broker does not support consumer to filter message by {}",
                sub.expression_type
            );
            return Some(RemotingCommand::response_to(
                &request,
                response_code::SYSTEM_ERROR,
                Some(remark),
            ));
        }
        if let Err(e) = filter::compile(&sub.expression_type, &sub.sub_string) {
            tracing::warn!(
                "Client {}@{} filter message, but failed to compile expression! sub={}, error={e}",
                check.client_id,
                check.group,
                sub.sub_string
            );
            return Some(RemotingCommand::response_to(
                &request,
                response_code::SUBSCRIPTION_PARSE_FAILED,
                e.message,
            ));
        }
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
