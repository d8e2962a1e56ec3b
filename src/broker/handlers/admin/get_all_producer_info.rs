//! GET_ALL_PRODUCER_INFO (328): every producer group and its connected producers
//! (`ProducerTableInfo`).

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{ProducerInfo, ProducerTableInfo};
use crate::protocol::decode_header;
use crate::protocol::header::GetAllProducerInfoRequestHeader;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Err(response) = decode_header::<GetAllProducerInfoRequestHeader>(&request) {
        return Some(response);
    }
    let mut table = ProducerTableInfo::default();
    for (group, channels) in broker.clients.producer_groups() {
        let producers = channels
            .into_iter()
            .map(|c| ProducerInfo {
                client_id: c.client_id,
                // Netty's InetSocketAddress.toString() of an accepted channel.
                remote_ip: format!("/{}", c.connection.peer_addr()),
                language: c.language.name().to_string(),
                version: c.version,
                last_update_timestamp: c.last_update_ms,
            })
            .collect();
        table.data.insert(group, producers);
    }
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&table),
    ))
}
