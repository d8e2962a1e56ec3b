//! GET_MAX_OFFSET (30): one past the last offset of a queue (0 when it does not exist).

use crate::broker::Broker;
use crate::protocol::header::{GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetMaxOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let store = broker.store.clone();
    // Reads ConsumeQueue/CommitLog pages: off the reactor.
    let offset = tokio::task::spawn_blocking(move || {
        store.max_offset_in_queue(&header.topic, header.queue_id)
    })
    .await
    .unwrap_or(0);
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &GetMaxOffsetResponseHeader { offset },
    ))
}
