//! GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the group table with its DataVersion.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&broker.groups.snapshot()),
    ))
}
