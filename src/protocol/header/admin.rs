//! Broker administration: topics, subscription groups, configuration and statistics.

use crate::protocol::HeaderError;

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17). `checkFields`: topicFilterType must name a `TopicFilterType`
    /// (SINGLE_TAG or MULTI_TAG).
    pub struct CreateTopicRequestHeader {
        pub topic: String = "topic" (required),
        pub default_topic: String = "defaultTopic" (required),
        pub read_queue_nums: i32 = "readQueueNums" (required),
        pub write_queue_nums: i32 = "writeQueueNums" (required),
        pub perm: i32 = "perm" (required),
        pub topic_filter_type: String = "topicFilterType" (required),
        pub topic_sys_flag: Option<i32> = "topicSysFlag" (optional),
        pub order: bool = "order" (required),
    }
    check(h) {
        // TopicFilterType.valueOf: exact, case-sensitive enum constant names.
        match h.topic_filter_type.as_str() {
            "SINGLE_TAG" | "MULTI_TAG" => Ok(()),
            other => Err(HeaderError::Rejected(format!("topicFilterType = [{other}] value invalid"))),
        }
    }
}

command_header! {
    /// GET_ALL_TOPIC_CONFIG (21) response: no fields.
    pub struct GetAllTopicConfigResponseHeader {
    }
}

command_header! {
    /// GET_BROKER_CONFIG (26) response: `version` is the config DataVersion as JSON.
    pub struct GetBrokerConfigResponseHeader {
        pub version: String = "version" (required),
    }
}

command_header! {
    /// DELETE_TOPIC_IN_BROKER (215).
    pub struct DeleteTopicRequestHeader {
        pub topic: String = "topic" (required),
    }
}

command_header! {
    /// DELETE_SUBSCRIPTIONGROUP (207).
    pub struct DeleteSubscriptionGroupRequestHeader {
        pub group_name: String = "groupName" (required),
        pub remove_offset: bool = "removeOffset" (optional),
    }
}

command_header! {
    /// GET_TOPIC_STATS_INFO (202).
    pub struct GetTopicStatsInfoRequestHeader {
        pub topic: String = "topic" (required),
    }
}

command_header! {
    /// GET_CONSUMER_CONNECTION_LIST (203).
    pub struct GetConsumerConnectionListRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
    }
}

command_header! {
    /// GET_PRODUCER_CONNECTION_LIST (204).
    pub struct GetProducerConnectionListRequestHeader {
        pub producer_group: String = "producerGroup" (required),
    }
}

command_header! {
    /// GET_CONSUME_STATS (208).
    pub struct GetConsumeStatsRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub topic: Option<String> = "topic" (optional),
    }
}

command_header! {
    /// GET_ALL_PRODUCER_INFO (328): no fields.
    pub struct GetAllProducerInfoRequestHeader {
    }
}

command_header! {
    /// CLONE_GROUP_OFFSET (314).
    pub struct CloneGroupOffsetRequestHeader {
        pub src_group: String = "srcGroup" (required),
        pub dest_group: String = "destGroup" (required),
        pub topic: Option<String> = "topic" (optional),
        pub offline: bool = "offline" (optional),
    }
}

command_header! {
    /// VIEW_BROKER_STATS_DATA (315).
    pub struct ViewBrokerStatsDataRequestHeader {
        pub stats_name: String = "statsName" (required),
        pub stats_key: String = "statsKey" (required),
    }
}

command_header! {
    /// GET_BROKER_CONSUME_STATS (317).
    pub struct GetConsumeStatsInBrokerHeader {
        /// `@CFNotNull` on a Java primitive: Java 4.9.7 logs the missing key and keeps `false`.
        pub is_order: bool = "isOrder" (default false),
    }
}
