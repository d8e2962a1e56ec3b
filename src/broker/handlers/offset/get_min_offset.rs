//! GET_MIN_OFFSET (31): the first readable offset of a queue. Java creates a missing queue on
//! lookup and answers its min offset, 0; so do we.

use crate::broker::Broker;
use crate::protocol::header::{GetMinOffsetRequestHeader, GetMinOffsetResponseHeader};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetMinOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let store = broker.store.clone();
    // Reads ConsumeQueue/CommitLog pages: off the reactor.
    let offset = tokio::task::spawn_blocking(move || {
        store
            .min_offset_in_queue(&header.topic, header.queue_id)
            .max(0)
    })
    .await
    .unwrap_or(0);
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &GetMinOffsetResponseHeader { offset },
    ))
}
