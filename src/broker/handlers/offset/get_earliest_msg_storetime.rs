//! GET_EARLIEST_MSG_STORETIME (32): store time of a queue's first readable message (-1 when
//! none).

use super::answer_queue_lookup;
use crate::broker::Broker;
use crate::protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
};
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let answer = answer_queue_lookup(
        broker,
        &request,
        -1,
        |store, h: GetEarliestMsgStoretimeRequestHeader| {
            store.earliest_message_time(&h.topic, h.queue_id)
        },
        |timestamp| GetEarliestMsgStoretimeResponseHeader { timestamp },
    );
    Some(answer.await)
}
