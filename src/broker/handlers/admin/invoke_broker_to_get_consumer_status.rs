//! INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): asks the group's consumers (all, or the one at
//! `clientAddr`, which Java compares with the clientId) for their offsets on a topic with
//! GET_CONSUMER_STATUS_FROM_CLIENT and answers `GetConsumerStatusBody` with `consumerTable`
//! clientId -> offsets. Consumers that fail or time out are left out, as in Java.
//!
//! Java fails with a NullPointerException when the group was never registered; here that is
//! the same "No Any Consumer online" answer as for a group with no member left.

use super::relay::{refuse_before_v3_0_7, CONSUMER_STATUS_TIMEOUT};
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::GetConsumerStatusBody;
use crate::protocol::header::GetConsumerStatusRequestHeader;
use crate::protocol::{decode_header, CommandHeader};
use crate::remoting::{request_code, response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumerStatusRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let group = &header.group;
    let members = broker
        .clients
        .consumer_group(group)
        .map(|g| g.channels.into_values().collect::<Vec<_>>())
        .unwrap_or_default();
    if members.is_empty() {
        return Some(RemotingCommand::system_error(
            &request,
            format!("No Any Consumer online in the consumer group: [{group}]"),
        ));
    }
    let origin = header
        .client_addr
        .as_deref()
        .filter(|a| !a.trim().is_empty());
    let to_clients = GetConsumerStatusRequestHeader {
        topic: header.topic.clone(),
        group: group.clone(),
        client_addr: None,
    };
    let mut answer = GetConsumerStatusBody::default();
    for member in members {
        if let Some(refused) = refuse_before_v3_0_7(&request, member.version) {
            return Some(refused);
        }
        if origin.is_some_and(|o| o != member.client_id) {
            continue;
        }
        let ask = RemotingCommand::request(
            request_code::GET_CONSUMER_STATUS_FROM_CLIENT,
            Some(to_clients.to_ext_fields()),
        );
        match member.connection.invoke(ask, CONSUMER_STATUS_TIMEOUT).await {
            Ok(resp) if resp.code == response_code::SUCCESS => {
                if let Some(body) = &resp.body {
                    match fastjson::decode_bytes::<GetConsumerStatusBody>(body) {
                        Ok(status) => {
                            answer
                                .consumer_table
                                .insert(member.client_id.clone(), status.message_queue_table);
                        }
                        Err(e) => tracing::error!(
                            "[get-consumer-status] bad status body from {}: {e}",
                            member.client_id
                        ),
                    }
                }
            }
            Ok(_) => {}
            Err(e) => tracing::error!(
                "[get-consumer-status] get consumer status exception. topic={}, group={group}, error={e}",
                header.topic
            ),
        }
        if origin.is_some() {
            break;
        }
    }
    Some(
        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
            .with_body(fastjson::encode_compact(&answer).into_bytes()),
    )
}
