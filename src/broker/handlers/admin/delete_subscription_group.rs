//! DELETE_SUBSCRIPTIONGROUP (207): drop a group's settings and, with `removeOffset`, its
//! committed offsets.

use super::{persist_failed, refuse_on_slave};
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::DeleteSubscriptionGroupRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Some(refused) = refuse_on_slave(broker, &request) {
        return Some(refused);
    }
    let header: DeleteSubscriptionGroupRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    tracing::info!("deleteSubscriptionGroup called by {}", conn.peer_addr());
    if let Err(e) = broker.groups.delete(&header.group_name) {
        return Some(persist_failed(&request, "write subscriptionGroup.json", e));
    }
    if header.remove_offset {
        broker.offsets.remove_group(&header.group_name);
    }
    if broker.config.auto_delete_unused_stats {
        broker.stats.on_group_deleted(&header.group_name);
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
