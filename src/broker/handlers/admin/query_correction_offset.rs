//! QUERY_CORRECTION_OFFSET (308): per queue of a topic, the smallest committed offset over the
//! groups not filtered out (offsets behind the queue's minimum ignored), replaced by
//! Long.MAX_VALUE where the compare group is behind it (`QueryCorrectionOffsetBody`).
//!
//! Two Java defects are not reproduced: Java removes the filtered groups' offsets from the
//! offset table itself (it iterates the table's key set and removes); here they are only left
//! out of the answer. And Java fails with a NullPointerException when the compare group has a
//! queue no other group has; here such a queue is left out.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::QueryCorrectionOffsetBody;
use crate::protocol::decode_header;
use crate::protocol::header::QueryCorrectionOffsetHeader;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryCorrectionOffsetHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let topic = header.topic.as_str();
    let filtered: Vec<&str> = header
        .filter_groups
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(|f| f.split(',').collect())
        .unwrap_or_default();
    let mut body = QueryCorrectionOffsetBody::default();
    for group in broker.offsets.groups_of_topic(topic) {
        if filtered.contains(&group.as_str()) {
            continue;
        }
        for (queue_id, offset) in broker.offsets.query_all(&group, topic) {
            let min = broker.store.min_offset_in_queue(topic, queue_id);
            if offset >= min {
                let entry = body.correction_offsets.entry(queue_id).or_insert(i64::MAX);
                *entry = (*entry).min(offset);
            }
        }
    }
    for (queue_id, compare) in broker.offsets.query_all(&header.compare_group, topic) {
        if let Some(current) = body.correction_offsets.get_mut(&queue_id) {
            if *current > compare {
                *current = i64::MAX;
            }
        }
    }
    Some(success_with_body(&request, fastjson::encode_compact(&body)))
}
