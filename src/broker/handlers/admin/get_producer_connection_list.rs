//! GET_PRODUCER_CONNECTION_LIST (204): a producer group's connections.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{Connection as ClientConnection, ProducerConnection};
use crate::protocol::decode_header;
use crate::protocol::header::GetProducerConnectionListRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetProducerConnectionListRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let channels = broker.clients.producer_channels(&header.producer_group);
    if channels.is_empty() {
        return Some(RemotingCommand::response_to(
            &request,
            response_code::SYSTEM_ERROR,
            Some(format!(
                "the producer group[{}] not exist",
                header.producer_group
            )),
        ));
    }
    let body = ProducerConnection {
        connection_set: channels
            .iter()
            .map(|c| ClientConnection {
                client_id: c.client_id.clone(),
                client_addr: c.connection.peer_addr().to_string(),
                language: c.language.name().to_string(),
                version: c.version,
            })
            .collect(),
    };
    Some(success_with_body(&request, fastjson::encode_compact(&body)))
}
