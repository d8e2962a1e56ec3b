//! GET_MIN_OFFSET (31): the first readable offset of a queue. Java creates a missing queue on
//! lookup and answers its min offset, 0; so do we.

use super::answer_queue_lookup;
use crate::broker::Broker;
use crate::protocol::header::{GetMinOffsetRequestHeader, GetMinOffsetResponseHeader};
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let answer = answer_queue_lookup(
        broker,
        &request,
        0,
        |store, h: GetMinOffsetRequestHeader| {
            store.min_offset_in_queue(&h.topic, h.queue_id).max(0)
        },
        |offset| GetMinOffsetResponseHeader { offset },
    );
    Some(answer.await)
}
