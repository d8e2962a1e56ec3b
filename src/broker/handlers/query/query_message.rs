//! QUERY_MESSAGE (12): the messages of a topic whose KEYS or UNIQ_KEY is a key, stored within
//! a time range, found through the index files. The body is the matching records back to back;
//! the header tells how far the index had got (`indexLastUpdateTimestamp/Phyoffset`), which
//! `mqadmin queryMsgByKey` uses to merge the answers of several brokers.

use crate::broker::Broker;
use crate::protocol::header::{QueryMessageRequestHeader, QueryMessageResponseHeader};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

/// The extField a client sets (`"true"`) when the key is a message's unique id (Java
/// `MixAll.UNIQUE_MSG_QUERY_FLAG`).
pub const UNIQUE_MSG_QUERY_FLAG: &str = "_UNIQUE_KEY_QUERY";

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryMessageRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    // A unique-key lookup ignores the client's maxNum for the broker's default (Java): several
    // records can share a unique key (retries, resends), the client wants them all.
    let max_num = if request.ext(UNIQUE_MSG_QUERY_FLAG) == Some("true") {
        broker.knobs.default_query_max_num()
    } else {
        header.max_num
    };
    let store = broker.store.clone();
    // Reads index and CommitLog pages: off the reactor.
    let found = tokio::task::spawn_blocking(move || {
        let result = store.query_message(
            &header.topic,
            &header.key,
            max_num.max(0) as usize,
            header.begin_timestamp,
            header.end_timestamp,
        );
        let total: usize = result.messages.iter().map(|m| m.len()).sum();
        let mut body = Vec::with_capacity(total);
        for record in &result.messages {
            body.extend_from_slice(record);
        }
        (
            body,
            QueryMessageResponseHeader {
                index_last_update_timestamp: result.index_last_update_timestamp,
                index_last_update_phyoffset: result.index_last_update_phy_offset,
            },
        )
    })
    .await;
    let Ok((body, response_header)) = found else {
        return Some(RemotingCommand::system_error(
            &request,
            "query message failed",
        ));
    };
    if body.is_empty() {
        return Some(response_with_header(
            &request,
            response_code::QUERY_NOT_FOUND,
            Some("can not find message, maybe time range not correct".to_string()),
            &response_header,
        ));
    }
    Some(
        response_with_header(&request, response_code::SUCCESS, None, &response_header)
            .with_body(body),
    )
}
