//! UNREGISTER_CLIENT (35): a client shuts down and leaves its groups.

use crate::broker::Broker;
use crate::protocol::header::{UnregisterClientRequestHeader, UnregisterClientResponseHeader};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: UnregisterClientRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    if let Some(group) = header.producer_group.as_deref() {
        broker.clients.unregister_producer(group, conn.id());
    }
    if let Some(group) = header.consumer_group.as_deref() {
        let notify_enabled = broker
            .groups
            .get(group)
            .is_none_or(|g| g.notify_consumer_ids_changed_enable);
        if let Some(members) = broker.clients.unregister_consumer(group, conn.id()) {
            if notify_enabled && broker.config.notify_consumer_ids_changed_enable {
                broker.notify_consumer_ids_changed(group, members);
            }
        }
        // The group's last consumer left: Java's UNREGISTER event kills its filter data.
        if broker.clients.consumer_group(group).is_none() {
            broker.filters.unregister(group, broker.now_millis());
        }
    }
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &UnregisterClientResponseHeader {},
    ))
}
