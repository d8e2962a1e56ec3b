//! CHECK_CLIENT_CONFIG (46): a consumer asks whether the broker supports its filter type
//! before it subscribes with an SQL92 expression.

use crate::broker::Broker;
use crate::fastjson;
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
        // SQL92 expressions are compiled here once the filter engine exists (issue: SQL92
        // filters); until then an SQL92 subscription is accepted as Java accepts a valid one.
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
