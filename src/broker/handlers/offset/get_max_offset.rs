//! GET_MAX_OFFSET (30): one past the last offset of a queue (0 when it does not exist).

use super::answer_queue_lookup;
use crate::broker::Broker;
use crate::protocol::header::{GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader};
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
        |store, h: GetMaxOffsetRequestHeader| store.max_offset_in_queue(&h.topic, h.queue_id),
        |offset| GetMaxOffsetResponseHeader { offset },
    );
    Some(answer.await)
}
