//! GET_CONSUME_STATS (208): for each topic the group consumes (or the one asked for), per read
//! queue the broker's max offset, the group's committed offset and the store time of the last
//! consumed message, plus the group's consume tps.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{ConsumeStats, MessageQueue, OffsetWrapper};
use crate::protocol::decode_header;
use crate::protocol::header::GetConsumeStatsRequestHeader;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumeStatsRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let group = header.consumer_group.as_str();
    let topics = match header.topic.filter(|t| !t.trim().is_empty()) {
        Some(t) => vec![t],
        None => {
            let mut t = broker.offsets.topics_of_group(group);
            t.sort();
            t.dedup();
            t
        }
    };
    let online = broker.clients.consumer_group(group);
    let store = &broker.store;
    let mut stats = ConsumeStats::default();
    for topic in topics {
        let Some(config) = broker.topics.get(&topic) else {
            tracing::warn!("consumeStats, topic config not exist, {topic}");
            continue;
        };
        // An online group that does not subscribe to the topic is skipped (Java).
        if let Some(g) = &online {
            if !g.subscriptions.is_empty() && !g.subscriptions.contains_key(&topic) {
                continue;
            }
        }
        for queue_id in 0..config.read_queue_nums.max(0) {
            let broker_offset = store.max_offset_in_queue(&topic, queue_id).max(0);
            let consumer_offset = broker.offsets.query(group, &topic, queue_id).max(0);
            let last_timestamp = if consumer_offset > 0 {
                store
                    .message_store_timestamp(&topic, queue_id, consumer_offset - 1)
                    .max(0)
            } else {
                0
            };
            stats.offset_table.insert(
                MessageQueue {
                    topic: topic.clone(),
                    broker_name: broker.config.broker_name.clone(),
                    queue_id,
                },
                OffsetWrapper {
                    broker_offset,
                    consumer_offset,
                    last_timestamp,
                },
            );
        }
        stats.consume_tps += broker.stats.group_get_tps(group, &topic);
    }
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&stats),
    ))
}
