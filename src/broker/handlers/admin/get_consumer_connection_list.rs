//! GET_CONSUMER_CONNECTION_LIST (203): an online group's connections and subscriptions.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{Connection as ClientConnection, ConsumerConnection};
use crate::protocol::decode_header;
use crate::protocol::header::GetConsumerConnectionListRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumerConnectionListRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let Some(group) = broker.clients.consumer_group(&header.consumer_group) else {
        return Some(RemotingCommand::response_to(
            &request,
            response_code::CONSUMER_NOT_ONLINE,
            Some(format!(
                "the consumer group[{}] not online",
                header.consumer_group
            )),
        ));
    };
    let body = ConsumerConnection {
        connection_set: group
            .channels
            .values()
            .map(|c| ClientConnection {
                client_id: c.client_id.clone(),
                client_addr: c.connection.peer_addr().to_string(),
                language: c.language.name().to_string(),
                version: c.version,
            })
            .collect(),
        subscription_table: group.subscriptions.clone().into_iter().collect(),
        consume_type: Some(group.consume_type),
        message_model: Some(group.message_model),
        consume_from_where: Some(group.consume_from_where),
    };
    Some(success_with_body(&request, fastjson::encode_compact(&body)))
}
