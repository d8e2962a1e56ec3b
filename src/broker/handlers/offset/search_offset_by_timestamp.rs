//! SEARCH_OFFSET_BY_TIMESTAMP (29): the queue offset of the message stored closest to a time
//! (Java `getOffsetInQueueByTime`).

use super::answer_queue_lookup;
use crate::broker::Broker;
use crate::protocol::header::{SearchOffsetRequestHeader, SearchOffsetResponseHeader};
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
        |store, h: SearchOffsetRequestHeader| {
            store.offset_in_queue_by_time(&h.topic, h.queue_id, h.timestamp)
        },
        |offset| SearchOffsetResponseHeader { offset },
    );
    Some(answer.await)
}
