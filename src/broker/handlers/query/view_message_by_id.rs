//! VIEW_MESSAGE_BY_ID (33): the record stored at a CommitLog offset (the offset part of an
//! offset msgId, which the client decodes before asking).

use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::ViewMessageRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: ViewMessageRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let store = broker.store.clone();
    let offset = header.offset;
    // Reads a CommitLog page: off the reactor.
    let record = tokio::task::spawn_blocking(move || {
        store.look_message_by_offset(offset).map(|r| r.to_vec())
    })
    .await
    .ok()
    .flatten();
    Some(match record {
        Some(bytes) => {
            RemotingCommand::response_to(&request, response_code::SUCCESS, None).with_body(bytes)
        }
        None => RemotingCommand::system_error(
            &request,
            format!("can not find message by the offset, {offset}"),
        ),
    })
}
