//! GET_BROKER_CONSUME_STATS (317): the consume progress of every subscription group on every
//! topic it has offsets on (`isOrder`: order topics only), per write queue, with the total lag
//! (`ConsumeStatsList`; `mqadmin brokerConsumeStats`).

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{ConsumeStats, ConsumeStatsList, MessageQueue, OffsetWrapper};
use crate::protocol::decode_header;
use crate::protocol::header::GetConsumeStatsInBrokerHeader;
use crate::remoting::{Connection, RemotingCommand};
use std::collections::BTreeMap;

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumeStatsInBrokerHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let groups: Vec<String> = broker
        .groups
        .snapshot()
        .subscription_group_table
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let store = &broker.store;
    let mut answer = ConsumeStatsList {
        broker_addr: Some(broker.broker_addr.clone()),
        ..Default::default()
    };
    for group in groups {
        let online = broker.clients.consumer_group(&group);
        let mut per_topic = Vec::new();
        for topic in broker.offsets.topics_of_group(&group) {
            let Some(config) = broker.topics.get(&topic) else {
                tracing::warn!("consumeStats, topic config not exist, {topic}");
                continue;
            };
            if header.is_order && !config.order {
                continue;
            }
            if let Some(g) = &online {
                if !g.subscriptions.is_empty() && !g.subscriptions.contains_key(&topic) {
                    tracing::warn!(
                        "consumeStats, the consumer group[{group}], topic[{topic}] not exist"
                    );
                    continue;
                }
            }
            let mut stats = ConsumeStats::default();
            for queue_id in 0..config.write_queue_nums.max(0) {
                let broker_offset = store.max_offset_in_queue(&topic, queue_id).max(0);
                let consumer_offset = broker.offsets.query(&group, &topic, queue_id).max(0);
                let last_timestamp = if consumer_offset > 0 {
                    store
                        .message_store_timestamp(&topic, queue_id, consumer_offset - 1)
                        .max(0)
                } else {
                    0
                };
                let mq = MessageQueue {
                    topic: topic.clone(),
                    broker_name: broker.config.broker_name.clone(),
                    queue_id,
                };
                stats.offset_table.insert(
                    mq,
                    OffsetWrapper {
                        broker_offset,
                        consumer_offset,
                        last_timestamp,
                    },
                );
            }
            stats.consume_tps = broker.stats.group_get_tps(&group, &topic);
            answer.total_diff += stats
                .offset_table
                .values()
                .map(|w| w.broker_offset - w.consumer_offset)
                .sum::<i64>();
            per_topic.push(stats);
        }
        answer
            .consume_stats_list
            .push(BTreeMap::from([(group, per_topic)]));
    }
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&answer),
    ))
}
