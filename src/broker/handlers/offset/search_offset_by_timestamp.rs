//! SEARCH_OFFSET_BY_TIMESTAMP (29): the queue offset of the message stored closest to a time (Java `getOffsetInQueueByTime`).

use crate::broker::Broker;
use crate::protocol::header::{SearchOffsetRequestHeader, SearchOffsetResponseHeader};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: SearchOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let store = broker.store.clone();
    // Reads ConsumeQueue/CommitLog pages: off the reactor.
    let offset = tokio::task::spawn_blocking(move || {
        store.offset_in_queue_by_time(&header.topic, header.queue_id, header.timestamp)
    })
    .await
    .unwrap_or(0);
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &SearchOffsetResponseHeader { offset },
    ))
}
