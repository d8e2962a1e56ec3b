//! Consumer offsets (Java `ConsumerManageProcessor`: QUERY/UPDATE_CONSUMER_OFFSET) and the queue
//! offset lookups of `AdminBrokerProcessor` (GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP,
//! GET_EARLIEST_MSG_STORETIME). QUERY_BROKER_OFFSET (13) has no handler in Java 4.9.7 either:
//! it is answered REQUEST_CODE_NOT_SUPPORTED.

pub mod get_earliest_msg_storetime;
pub mod get_max_offset;
pub mod get_min_offset;
pub mod query_consumer_offset;
pub mod search_offset_by_timestamp;
pub mod update_consumer_offset;

use crate::broker::Broker;
use crate::protocol::{decode_header, response_with_header, CommandHeader};
use crate::remoting::{response_code, RemotingCommand};
use crate::store::message_store::MessageStore;

/// What the queue lookups (GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP,
/// GET_EARLIEST_MSG_STORETIME) share: decode the request header (Java's SYSTEM_ERROR when it is
/// bad), run one store lookup off the reactor (it may read ConsumeQueue and CommitLog pages),
/// and answer SUCCESS with the value in the response header (`if_failed` should the lookup
/// task die).
async fn answer_queue_lookup<Req, Resp>(
    broker: &Broker,
    request: &RemotingCommand,
    if_failed: i64,
    lookup: impl FnOnce(&MessageStore, Req) -> i64 + Send + 'static,
    respond: impl FnOnce(i64) -> Resp,
) -> RemotingCommand
where
    Req: CommandHeader + Send + 'static,
    Resp: CommandHeader,
{
    let header: Req = match decode_header(request) {
        Ok(h) => h,
        Err(response) => return response,
    };
    let store = broker.store.clone();
    let value = tokio::task::spawn_blocking(move || lookup(&store, header))
        .await
        .unwrap_or(if_failed);
    response_with_header(request, response_code::SUCCESS, None, &respond(value))
}
