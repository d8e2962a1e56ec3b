//! QUERY_CONSUME_TIME_SPAN (303): per write queue of a topic, the store times of its first and
//! last messages, of the last message the group consumed, and how long the next unconsumed
//! message has waited (`QueryConsumeTimeSpanBody`).

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{MessageQueue, QueryConsumeTimeSpanBody, QueueTimeSpan};
use crate::protocol::decode_header;
use crate::protocol::header::QueryConsumeTimeSpanRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryConsumeTimeSpanRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let topic = header.topic;
    let Some(config) = broker.topics.get(&topic) else {
        return Some(RemotingCommand::response_to(
            &request,
            response_code::TOPIC_NOT_EXIST,
            Some(format!("topic[{topic}] not exist")),
        ));
    };
    let consumer_offsets: Vec<i64> = (0..config.write_queue_nums.max(0))
        .map(|q| broker.offsets.query(&header.group, &topic, q))
        .collect();
    let store = broker.store.clone();
    let broker_name = broker.config.broker_name.clone();
    let now = broker.now_millis();
    // Reads ConsumeQueue and CommitLog pages: off the reactor.
    let spans = tokio::task::spawn_blocking(move || {
        let mut spans = Vec::with_capacity(consumer_offsets.len());
        for (queue_id, consumer_offset) in (0..).zip(consumer_offsets) {
            let min_time = store.earliest_message_time(&topic, queue_id);
            let max = store.max_offset_in_queue(&topic, queue_id);
            let max_time = store.message_store_timestamp(&topic, queue_id, max - 1);
            let consume_time = if consumer_offset > 0 {
                store.message_store_timestamp(&topic, queue_id, consumer_offset - 1)
            } else {
                min_time
            };
            let delay = if consumer_offset < max {
                now - store.message_store_timestamp(&topic, queue_id, consumer_offset)
            } else {
                0
            };
            let mq = MessageQueue {
                topic: topic.clone(),
                broker_name: broker_name.clone(),
                queue_id,
            };
            spans.push(QueueTimeSpan::new(
                mq,
                min_time,
                max_time,
                consume_time,
                delay,
            ));
        }
        spans
    })
    .await
    .unwrap_or_default();
    let body = QueryConsumeTimeSpanBody {
        consume_time_span_set: spans,
    };
    Some(success_with_body(&request, fastjson::encode_compact(&body)))
}
