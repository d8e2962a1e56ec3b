//! Bodies of the broker's admin answers that `mqadmin` and the dashboard parse: topic and
//! consume statistics keyed by `MessageQueue` objects, connection lists, group lists.

use crate::protocol::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use std::collections::BTreeMap;

crate::json_bean! {
    /// Java `MessageQueue`. Field order gives Java's `compareTo` order (topic, broker, queue).
    #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct MessageQueue {
        pub topic: String = "topic",
        pub broker_name: String = "brokerName",
        pub queue_id: i32 = "queueId",
    }
}

crate::json_bean! {
    /// Java `TopicOffset`: one queue's offsets and the store time of its last message.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicOffset {
        pub min_offset: i64 = "minOffset",
        pub max_offset: i64 = "maxOffset",
        pub last_update_timestamp: i64 = "lastUpdateTimestamp",
    }
}

crate::json_bean! {
    /// Java `TopicStatsTable` (GET_TOPIC_STATS_INFO).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicStatsTable {
        pub offset_table: BTreeMap<MessageQueue, TopicOffset> = "offsetTable",
    }
}

crate::json_bean! {
    /// Java `OffsetWrapper`: the broker's and the group's offset in one queue.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct OffsetWrapper {
        pub broker_offset: i64 = "brokerOffset",
        pub consumer_offset: i64 = "consumerOffset",
        pub last_timestamp: i64 = "lastTimestamp",
    }
}

crate::json_bean! {
    /// Java `ConsumeStats` (GET_CONSUME_STATS).
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumeStats {
        pub offset_table: BTreeMap<MessageQueue, OffsetWrapper> = "offsetTable",
        pub consume_tps: f64 = "consumeTps",
    }
}

crate::json_bean! {
    /// Java `Connection`: one client connection of a group.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Connection {
        pub client_id: String = "clientId",
        pub client_addr: String = "clientAddr",
        /// The `LanguageCode` constant name (`JAVA`, `CPP`, ...).
        pub language: String = "language",
        pub version: i32 = "version",
    }
}

crate::json_bean! {
    /// Java `ConsumerConnection` (GET_CONSUMER_CONNECTION_LIST).
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumerConnection {
        pub connection_set: Vec<Connection> = "connectionSet",
        pub subscription_table: BTreeMap<String, SubscriptionData> = "subscriptionTable",
        pub consume_type: Option<ConsumeType> = "consumeType",
        pub message_model: Option<MessageModel> = "messageModel",
        pub consume_from_where: Option<ConsumeFromWhere> = "consumeFromWhere",
    }
}

crate::json_bean! {
    /// Java `ProducerConnection` (GET_PRODUCER_CONNECTION_LIST).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ProducerConnection {
        pub connection_set: Vec<Connection> = "connectionSet",
    }
}

crate::json_bean! {
    /// Java `GroupList` (QUERY_TOPIC_CONSUME_BY_WHO): a `HashSet` in Java.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GroupList {
        pub group_list: Vec<String> = "groupList",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson;

    #[test]
    fn topic_stats_writes_object_keys_as_java() {
        let mut t = TopicStatsTable::default();
        t.offset_table.insert(
            MessageQueue {
                topic: "T".into(),
                broker_name: "broker-a".into(),
                queue_id: 1,
            },
            TopicOffset::default(),
        );
        assert_eq!(
            fastjson::encode_compact(&t),
            r#"{"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}}}"#
        );
        let back: TopicStatsTable = fastjson::decode(&fastjson::encode_compact(&t)).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn golden_consumer_connection_reads_and_round_trips() {
        let text = r#"{"connectionSet":[{"clientAddr":"127.0.0.1:35078","clientId":"127.0.0.1@22340#8608634290373","language":"JAVA","version":407}],"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"GoldenPush":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1795422985104,"tagsSet":[],"topic":"GoldenPush"}}}"#;
        let c: ConsumerConnection = fastjson::decode(text).unwrap();
        assert_eq!(c.connection_set[0].version, 407);
        assert_eq!(fastjson::encode_compact(&c), text);
    }
}
