//! Bodies the broker relays between admin tools and clients: offset resets, consumer status,
//! the producer table, broker statistics.

use super::admin::MessageQueue;
use std::collections::BTreeMap;

crate::json_bean! {
    /// Java `ResetOffsetBody`: the offset each queue is reset to (RESET_CONSUMER_CLIENT_OFFSET
    /// to the consumers, and the INVOKE_BROKER_TO_RESET_OFFSET answer).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ResetOffsetBody {
        pub offset_table: BTreeMap<MessageQueue, i64> = "offsetTable",
    }
}

crate::json_bean! {
    /// Java `MessageQueueForC`: a queue and its offset, as a list element.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct MessageQueueForC {
        pub topic: String = "topic",
        pub broker_name: String = "brokerName",
        pub queue_id: i32 = "queueId",
        pub offset: i64 = "offset",
    }
}

crate::json_bean! {
    /// Java `ResetOffsetBodyForC`: what C++ clients are sent instead of [`ResetOffsetBody`].
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ResetOffsetBodyForC {
        pub offset_table: Vec<MessageQueueForC> = "offsetTable",
    }
}

crate::json_bean! {
    /// Java `GetConsumerStatusBody`: a client answers `messageQueueTable`; the broker answers
    /// `consumerTable` (clientId -> that client's table).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetConsumerStatusBody {
        pub message_queue_table: BTreeMap<MessageQueue, i64> = "messageQueueTable",
        pub consumer_table: BTreeMap<String, BTreeMap<MessageQueue, i64>> = "consumerTable",
    }
}

crate::json_bean! {
    /// Java `ProducerInfo`. `remoteIP` is Netty's `remoteAddress().toString()`: `/ip:port`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProducerInfo {
        pub client_id: String = "clientId",
        pub remote_ip: String = "remoteIP",
        /// The `LanguageCode` constant name.
        pub language: String = "language",
        pub version: i32 = "version",
        pub last_update_timestamp: i64 = "lastUpdateTimestamp",
    }
}

crate::json_bean! {
    /// Java `ProducerTableInfo` (GET_ALL_PRODUCER_INFO): group -> its producers.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProducerTableInfo {
        pub data: BTreeMap<String, Vec<ProducerInfo>> = "data",
    }
}

crate::json_bean! {
    /// Java `BrokerStatsItem`: one window of a stats item.
    #[derive(Debug, Clone, PartialEq)]
    pub struct BrokerStatsItem {
        pub sum: i64 = "sum",
        pub tps: f64 = "tps",
        pub avgpt: f64 = "avgpt",
    }
}

crate::json_bean! {
    /// Java `BrokerStatsData` (VIEW_BROKER_STATS_DATA).
    #[derive(Debug, Clone, PartialEq)]
    pub struct BrokerStatsData {
        pub stats_minute: BrokerStatsItem = "statsMinute",
        pub stats_hour: BrokerStatsItem = "statsHour",
        pub stats_day: BrokerStatsItem = "statsDay",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson;

    #[test]
    fn reset_offset_body_has_object_keys() {
        let mut body = ResetOffsetBody::default();
        body.offset_table.insert(
            MessageQueue {
                topic: "T".into(),
                broker_name: "b".into(),
                queue_id: 1,
            },
            7,
        );
        let text = fastjson::encode_compact(&body);
        assert_eq!(
            text,
            r#"{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:7}}"#
        );
        assert_eq!(fastjson::decode::<ResetOffsetBody>(&text).unwrap(), body);
    }

    #[test]
    fn broker_stats_data_shape() {
        let item = BrokerStatsItem {
            sum: 3,
            tps: 0.05,
            avgpt: 0.0,
        };
        let data = BrokerStatsData {
            stats_minute: item.clone(),
            stats_hour: item.clone(),
            stats_day: item,
        };
        assert_eq!(
            fastjson::encode_compact(&data),
            r#"{"statsDay":{"avgpt":0.0,"sum":3,"tps":0.05},"statsHour":{"avgpt":0.0,"sum":3,"tps":0.05},"statsMinute":{"avgpt":0.0,"sum":3,"tps":0.05}}"#
        );
    }
}
