//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): body = `SubscriptionGroupConfig` JSON.

use super::{persist_failed, refuse_on_slave};
use crate::broker::Broker;
use crate::fastjson;
use crate::remoting::{response_code, Connection, RemotingCommand};
use crate::store::metadata::SubscriptionGroupConfig;

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Some(refused) = refuse_on_slave(broker, &request) {
        return Some(refused);
    }
    tracing::info!(
        "updateAndCreateSubscriptionGroup called by {}",
        conn.peer_addr()
    );
    // Java decodes a missing body as null and then does nothing.
    if let Some(body) = request.body.as_deref() {
        let config: SubscriptionGroupConfig = match fastjson::decode_bytes(body) {
            Ok(c) => c,
            Err(e) => {
                return Some(RemotingCommand::system_error(
                    &request,
                    format!("bad SubscriptionGroupConfig body: {e}"),
                ))
            }
        };
        if config.group_name.as_deref().is_none_or(str::is_empty) {
            return Some(RemotingCommand::system_error(
                &request,
                "the subscription group has no groupName",
            ));
        }
        if let Err(e) = broker.groups.update(config) {
            return Some(persist_failed(&request, "write subscriptionGroup.json", e));
        }
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
