//! Client lifecycle and consumer-group headers, including the requests a broker sends to a client.

command_header! {
    /// UNREGISTER_CLIENT (35) request.
    pub struct UnregisterClientRequestHeader {
        pub client_id: String = "clientID" (required),
        pub producer_group: Option<String> = "producerGroup" (optional),
        pub consumer_group: Option<String> = "consumerGroup" (optional),
    }
}

command_header! {
    /// UNREGISTER_CLIENT (35) response: no fields.
    pub struct UnregisterClientResponseHeader {
    }
}

command_header! {
    /// CONSUMER_SEND_MSG_BACK (36): a consumer returns a message for redelivery.
    pub struct ConsumerSendMsgBackRequestHeader {
        pub offset: i64 = "offset" (required),
        pub group: String = "group" (required),
        pub delay_level: i32 = "delayLevel" (required),
        pub origin_msg_id: Option<String> = "originMsgId" (optional),
        pub origin_topic: Option<String> = "originTopic" (optional),
        pub unit_mode: bool = "unitMode" (default false),
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes" (optional),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38) request.
    pub struct GetConsumerListByGroupRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
    }
}

command_header! {
    /// GET_CONSUMER_LIST_BY_GROUP (38) response: no fields (the list is the body).
    pub struct GetConsumerListByGroupResponseHeader {
    }
}

command_header! {
    /// NOTIFY_CONSUMER_IDS_CHANGED (40), broker -> consumer, oneway.
    pub struct NotifyConsumerIdsChangedRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
    }
}

command_header! {
    /// INVOKE_BROKER_TO_RESET_OFFSET (222, admin -> broker) and RESET_CONSUMER_CLIENT_OFFSET
    /// (220, broker -> consumer).
    pub struct ResetOffsetRequestHeader {
        pub topic: String = "topic" (required),
        pub group: String = "group" (required),
        /// `@CFNotNull` on a Java primitive: Java 4.9.7 logs the missing key and keeps `0`.
        pub timestamp: i64 = "timestamp" (default 0),
        /// `@CFNotNull` on a Java primitive: Java 4.9.7 logs the missing key and keeps `false`.
        pub is_force: bool = "isForce" (default false),
    }
}

command_header! {
    /// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223, admin -> broker) and
    /// GET_CONSUMER_STATUS_FROM_CLIENT (221, broker -> consumer).
    pub struct GetConsumerStatusRequestHeader {
        pub topic: String = "topic" (required),
        pub group: String = "group" (required),
        pub client_addr: Option<String> = "clientAddr" (optional),
    }
}

command_header! {
    /// GET_CONSUMER_RUNNING_INFO (307), admin -> broker -> consumer.
    pub struct GetConsumerRunningInfoRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub client_id: String = "clientId" (required),
        pub jstack_enable: bool = "jstackEnable" (optional),
    }
}

command_header! {
    /// CONSUME_MESSAGE_DIRECTLY (309), admin -> broker -> consumer.
    pub struct ConsumeMessageDirectlyResultRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub client_id: Option<String> = "clientId" (optional),
        pub msg_id: Option<String> = "msgId" (optional),
        pub broker_name: Option<String> = "brokerName" (optional),
    }
}
