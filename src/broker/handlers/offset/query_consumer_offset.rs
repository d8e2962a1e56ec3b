//! QUERY_CONSUMER_OFFSET (14): a group's committed offset of a queue.
//!
//! Without a committed offset Java answers 0 when the queue starts at 0 and its first message
//! is still in memory (a new group may read it all), else QUERY_NOT_FOUND, which sends the
//! client to its ConsumeFromWhere.

use crate::broker::Broker;
use crate::protocol::header::{
    QueryConsumerOffsetRequestHeader, QueryConsumerOffsetResponseHeader,
};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, ExtFields, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryConsumerOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let committed = broker
        .offsets
        .query(&header.consumer_group, &header.topic, header.queue_id);
    let offset = if committed >= 0 {
        Some(committed)
    } else {
        let store = broker.store.clone();
        let (topic, queue_id) = (header.topic.clone(), header.queue_id);
        // Reads a ConsumeQueue unit: off the reactor.
        let from_start = tokio::task::spawn_blocking(move || {
            store.min_offset_in_queue(&topic, queue_id) <= 0
                && !store.check_in_disk_by_consume_offset(&topic, queue_id, 0)
        })
        .await
        .unwrap_or(false);
        from_start.then_some(0)
    };
    Some(match offset {
        Some(offset) => response_with_header(
            &request,
            response_code::SUCCESS,
            None,
            &QueryConsumerOffsetResponseHeader { offset },
        ),
        // Java's response header with a null offset: empty extFields.
        None => RemotingCommand::response_to(
            &request,
            response_code::QUERY_NOT_FOUND,
            Some("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first".to_string()),
        )
        .with_ext_fields(ExtFields::new()),
    })
}
