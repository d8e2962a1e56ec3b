//! Bodies of the broker's query and consume-progress answers (QUERY_CONSUME_TIME_SPAN,
//! QUERY_CONSUME_QUEUE, QUERY_CORRECTION_OFFSET, GET_BROKER_CONSUME_STATS).

use super::admin::{ConsumeStats, MessageQueue};
use crate::protocol::heartbeat::SubscriptionData;
use std::collections::BTreeMap;

crate::json_bean! {
    /// Java `QueueTimeSpan`: the store times of a queue's first and last message, of the last
    /// message a group consumed, and how long the next one has waited. fastjson also writes the
    /// three `*Str` getters (`yyyy-MM-dd HH:mm:ss,SSS`); [`QueueTimeSpan::new`] fills them.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QueueTimeSpan {
        pub message_queue: MessageQueue = "messageQueue",
        pub min_time_stamp: i64 = "minTimeStamp",
        pub max_time_stamp: i64 = "maxTimeStamp",
        pub consume_time_stamp: i64 = "consumeTimeStamp",
        pub delay_time: i64 = "delayTime",
        pub min_time_stamp_str: String = "minTimeStampStr",
        pub max_time_stamp_str: String = "maxTimeStampStr",
        pub consume_time_stamp_str: String = "consumeTimeStampStr",
    }
}

impl QueueTimeSpan {
    pub fn new(
        message_queue: MessageQueue,
        min_time_stamp: i64,
        max_time_stamp: i64,
        consume_time_stamp: i64,
        delay_time: i64,
    ) -> QueueTimeSpan {
        QueueTimeSpan {
            message_queue,
            min_time_stamp,
            max_time_stamp,
            consume_time_stamp,
            delay_time,
            min_time_stamp_str: format_date(min_time_stamp),
            max_time_stamp_str: format_date(max_time_stamp),
            consume_time_stamp_str: format_date(consume_time_stamp),
        }
    }
}

/// Java `UtilAll.formatDate(date, "yyyy-MM-dd HH:mm:ss,SSS")`, in UTC (Java uses the JVM's
/// zone; the text is for display only).
pub fn format_date(millis: i64) -> String {
    let s = crate::store::index::time_millis_to_human_string(millis);
    // yyyyMMddHHmmssSSS -> yyyy-MM-dd HH:mm:ss,SSS (years past 9999 keep their extra digits).
    let split = s.len().saturating_sub(13);
    let (year, rest) = s.split_at(split);
    let part = |a: usize, b: usize| rest.get(a..b).unwrap_or("");
    format!(
        "{year}-{}-{} {}:{}:{},{}",
        part(0, 2),
        part(2, 4),
        part(4, 6),
        part(6, 8),
        part(8, 10),
        part(10, 13)
    )
}

crate::json_bean! {
    /// Java `QueryConsumeTimeSpanBody`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QueryConsumeTimeSpanBody {
        pub consume_time_span_set: Vec<QueueTimeSpan> = "consumeTimeSpanSet",
    }
}

crate::json_bean! {
    /// Java `ConsumeQueueData`: one ConsumeQueue unit, with its extension when it has one.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ConsumeQueueData {
        pub physic_offset: i64 = "physicOffset",
        pub physic_size: i32 = "physicSize",
        pub tags_code: i64 = "tagsCode",
        pub extend_data_json: Option<String> = "extendDataJson",
        pub bit_map: Option<String> = "bitMap",
        pub eval: bool = "eval",
        pub msg: Option<String> = "msg",
    }
}

crate::json_bean! {
    /// Java `QueryConsumeQueueResponseBody`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct QueryConsumeQueueResponseBody {
        pub subscription_data: Option<SubscriptionData> = "subscriptionData",
        pub filter_data: Option<String> = "filterData",
        pub queue_data: Option<Vec<ConsumeQueueData>> = "queueData",
        pub max_queue_index: i64 = "maxQueueIndex",
        pub min_queue_index: i64 = "minQueueIndex",
    }
}

crate::json_bean! {
    /// Java `QueryCorrectionOffsetBody`: queue id -> offset.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QueryCorrectionOffsetBody {
        pub correction_offsets: BTreeMap<i32, i64> = "correctionOffsets",
    }
}

crate::json_bean! {
    /// Java `ConsumeStatsList` (GET_BROKER_CONSUME_STATS): per subscription group a one-entry
    /// map group -> the ConsumeStats of each topic it consumes.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumeStatsList {
        pub consume_stats_list: Vec<BTreeMap<String, Vec<ConsumeStats>>> = "consumeStatsList",
        pub broker_addr: Option<String> = "brokerAddr",
        pub total_diff: i64 = "totalDiff",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson;

    #[test]
    fn time_span_writes_the_str_getters() {
        let mq = MessageQueue {
            topic: "T".into(),
            broker_name: "b".into(),
            queue_id: 0,
        };
        let span = QueueTimeSpan::new(mq, 1_795_422_985_020, 0, 0, 5);
        assert_eq!(span.min_time_stamp_str, "2026-11-23 08:36:25,020");
        assert_eq!(span.max_time_stamp_str, "1970-01-01 00:00:00,000");
        let text = fastjson::encode_compact(&QueryConsumeTimeSpanBody {
            consume_time_span_set: vec![span],
        });
        assert_eq!(
            text,
            r#"{"consumeTimeSpanSet":[{"consumeTimeStamp":0,"consumeTimeStampStr":"1970-01-01 00:00:00,000","delayTime":5,"maxTimeStamp":0,"maxTimeStampStr":"1970-01-01 00:00:00,000","messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"minTimeStamp":1795422985020,"minTimeStampStr":"2026-11-23 08:36:25,020"}]}"#
        );
    }

    #[test]
    fn correction_offsets_have_bare_integer_keys() {
        let mut body = QueryCorrectionOffsetBody::default();
        body.correction_offsets.insert(0, 3);
        body.correction_offsets.insert(1, i64::MAX);
        assert_eq!(
            fastjson::encode_compact(&body),
            r#"{"correctionOffsets":{0:3,1:9223372036854775807}}"#
        );
    }
}
