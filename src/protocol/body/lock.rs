//! Bodies of LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42): the queues an orderly consumer wants
//! to own on this broker, and the ones it got (Java `LockBatchRequestBody`,
//! `LockBatchResponseBody`, `UnlockBatchRequestBody`).
//!
//! Java holds the queues in `HashSet`s; fastjson writes a set in its iteration order, so the
//! answer lists the queues in Java's `HashSet` order (see [`java_hash_set_order`]).

use super::MessageQueue;
use crate::java::hash::java_string_hash;
use crate::java::hash_map::{hash_map_table_size, spread};

crate::json_bean! {
    /// LOCK_BATCH_MQ request body.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LockBatchRequestBody {
        pub consumer_group: String = "consumerGroup",
        pub client_id: String = "clientId",
        pub mq_set: Vec<MessageQueue> = "mqSet",
    }
}

crate::json_bean! {
    /// LOCK_BATCH_MQ response body: the queues now locked by the requesting client.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct LockBatchResponseBody {
        pub lock_ok_mq_set: Vec<MessageQueue> = "lockOKMQSet",
    }
}

crate::json_bean! {
    /// UNLOCK_BATCH_MQ request body.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct UnlockBatchRequestBody {
        pub consumer_group: String = "consumerGroup",
        pub client_id: String = "clientId",
        pub mq_set: Vec<MessageQueue> = "mqSet",
    }
}

/// Java `MessageQueue.hashCode()` (fields brokerName, queueId, topic with prime 31).
pub fn message_queue_hash(mq: &MessageQueue) -> i32 {
    let mut h: i32 = 1;
    h = h
        .wrapping_mul(31)
        .wrapping_add(java_string_hash(&mq.broker_name));
    h = h.wrapping_mul(31).wrapping_add(mq.queue_id);
    h.wrapping_mul(31).wrapping_add(java_string_hash(&mq.topic))
}

/// The order a `new HashSet<MessageQueue>(initial_capacity)` iterates after the queues were
/// added in the given order (duplicates already removed).
pub fn java_hash_set_order(
    initial_capacity: usize,
    mut mqs: Vec<MessageQueue>,
) -> Vec<MessageQueue> {
    let mask = hash_map_table_size(initial_capacity, mqs.len()) - 1;
    // Stable: queues of one bucket keep their insertion order.
    mqs.sort_by_cached_key(|mq| spread(message_queue_hash(mq)) as usize & mask);
    mqs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(topic: &str, queue_id: i32) -> MessageQueue {
        MessageQueue {
            topic: topic.into(),
            broker_name: "broker-a".into(),
            queue_id,
        }
    }

    #[test]
    fn request_body_reads_javas_json() {
        let body = br#"{"clientId":"127.0.0.1@1#2","consumerGroup":"g","mqSet":[{"brokerName":"broker-a","queueId":3,"topic":"T"}]}"#;
        let req: LockBatchRequestBody = crate::protocol::body::decode_body(body).unwrap();
        assert_eq!(req.consumer_group, "g");
        assert_eq!(req.client_id, "127.0.0.1@1#2");
        assert_eq!(req.mq_set, vec![mq("T", 3)]);
    }

    #[test]
    fn response_body_is_written_as_java() {
        let body = LockBatchResponseBody {
            lock_ok_mq_set: vec![mq("GoldenOrderly", 3)],
        };
        assert_eq!(
            crate::protocol::body::encode_body(&body),
            br#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":3,"topic":"GoldenOrderly"}]}"#
        );
        let empty = LockBatchResponseBody::default();
        assert_eq!(
            crate::protocol::body::encode_body(&empty),
            br#"{"lockOKMQSet":[]}"#
        );
    }
}
