//! GET_EARLIEST_MSG_STORETIME (32): store time of a queue's first readable message (-1 when none).

use crate::broker::Broker;
use crate::protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetEarliestMsgStoretimeRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let store = broker.store.clone();
    // Reads ConsumeQueue/CommitLog pages: off the reactor.
    let timestamp = tokio::task::spawn_blocking(move || {
        store.earliest_message_time(&header.topic, header.queue_id)
    })
    .await
    .unwrap_or(-1);
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &GetEarliestMsgStoretimeResponseHeader { timestamp },
    ))
}
