//! GET_TOPIC_STATS_INFO (202): per write queue, min/max offset and the store time of the last
//! message, keyed by `MessageQueue` objects.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{MessageQueue, TopicOffset, TopicStatsTable};
use crate::protocol::decode_header;
use crate::protocol::header::GetTopicStatsInfoRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetTopicStatsInfoRequestHeader = match decode_header(&request) {
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
    let store = &broker.store;
    let mut table = TopicStatsTable::default();
    for queue_id in 0..config.write_queue_nums.max(0) {
        let min = store.min_offset_in_queue(&topic, queue_id).max(0);
        let max = store.max_offset_in_queue(&topic, queue_id).max(0);
        let last_update_timestamp = if max > 0 {
            store.message_store_timestamp(&topic, queue_id, max - 1)
        } else {
            0
        };
        table.offset_table.insert(
            MessageQueue {
                topic: topic.clone(),
                broker_name: broker.config.broker_name.clone(),
                queue_id,
            },
            TopicOffset {
                min_offset: min,
                max_offset: max,
                last_update_timestamp,
            },
        );
    }
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&table),
    ))
}
