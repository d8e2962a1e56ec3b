//! GET_ALL_DELAY_OFFSET (45): the schedule service's progress per delay level
//! (`DelayOffsetSerializeWrapper`, compact JSON), as a slave syncs it.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let table = broker.schedule.delay_offsets();
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&table),
    ))
}
