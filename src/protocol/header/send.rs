//! Producer-side headers: sending messages (SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE,
//! SEND_REPLY_MESSAGE*) and request-reply delivery (PUSH_REPLY_MESSAGE_TO_CLIENT).

command_header! {
    /// SEND_MESSAGE (10) and SEND_REPLY_MESSAGE (324): the long-named form of the send header.
    pub struct SendMessageRequestHeader {
        pub producer_group: String = "producerGroup" (required),
        pub topic: String = "topic" (required),
        pub default_topic: String = "defaultTopic" (required),
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums" (required),
        pub queue_id: i32 = "queueId" (required),
        pub sys_flag: i32 = "sysFlag" (required),
        pub born_timestamp: i64 = "bornTimestamp" (required),
        pub flag: i32 = "flag" (required),
        pub properties: Option<String> = "properties" (optional),
        pub reconsume_times: Option<i32> = "reconsumeTimes" (optional),
        pub unit_mode: bool = "unitMode" (default false),
        pub batch: bool = "batch" (default false),
        pub max_reconsume_times: Option<i32> = "maxReconsumeTimes" (optional),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320), SEND_REPLY_MESSAGE_V2 (325): the send header
    /// with one-letter keys (a..n), what every 4.9.7 Java producer sends. Binary "fast codec" header:
    /// on a ROCKETMQ-serialized frame its keys go on the wire in declaration order.
    pub struct SendMessageRequestHeaderV2 {
        pub producer_group: String = "a" (required),
        pub topic: String = "b" (required),
        pub default_topic: String = "c" (required),
        pub default_topic_queue_nums: i32 = "d" (required),
        pub queue_id: i32 = "e" (required),
        pub sys_flag: i32 = "f" (required),
        pub born_timestamp: i64 = "g" (required),
        pub flag: i32 = "h" (required),
        pub properties: Option<String> = "i" (optional),
        pub reconsume_times: Option<i32> = "j" (optional),
        pub unit_mode: bool = "k" (optional),
        pub consume_retry_times: Option<i32> = "l" (optional),
        pub batch: bool = "m" (optional),
        pub broker_name: Option<String> = "n" (optional),
    }
}

command_header! {
    /// Response to every send code. Binary "fast codec" header. The broker adds `MSG_REGION` and
    /// `TRACE_ON` to the same extFields (not header fields). On failures Java leaves the fields null,
    /// so such a response carries only the extras (or `{}`): do not write this header then.
    pub struct SendMessageResponseHeader {
        pub msg_id: String = "msgId" (required),
        pub queue_id: i32 = "queueId" (required),
        pub queue_offset: i64 = "queueOffset" (required),
        pub transaction_id: Option<String> = "transactionId" (optional),
    }
}

command_header! {
    /// PUSH_REPLY_MESSAGE_TO_CLIENT (326), broker -> requesting client.
    pub struct ReplyMessageRequestHeader {
        pub producer_group: String = "producerGroup" (required),
        pub topic: String = "topic" (required),
        pub default_topic: String = "defaultTopic" (required),
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums" (required),
        pub queue_id: i32 = "queueId" (required),
        pub sys_flag: i32 = "sysFlag" (required),
        pub born_timestamp: i64 = "bornTimestamp" (required),
        pub flag: i32 = "flag" (required),
        pub properties: Option<String> = "properties" (optional),
        pub reconsume_times: Option<i32> = "reconsumeTimes" (optional),
        pub unit_mode: bool = "unitMode" (default false),
        pub born_host: String = "bornHost" (required),
        pub store_host: String = "storeHost" (required),
        /// `@CFNotNull` on a Java primitive: Java 4.9.7 logs the missing key and keeps `0`.
        pub store_timestamp: i64 = "storeTimestamp" (default 0),
    }
}

/// `SendMessageRequestHeaderV2.createSendMessageRequestHeaderV1`: what the broker does with every
/// V2 header before processing it. `l` becomes `maxReconsumeTimes` and `n` becomes `bname`.
impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v2: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v2.producer_group,
            topic: v2.topic,
            default_topic: v2.default_topic,
            default_topic_queue_nums: v2.default_topic_queue_nums,
            queue_id: v2.queue_id,
            sys_flag: v2.sys_flag,
            born_timestamp: v2.born_timestamp,
            flag: v2.flag,
            properties: v2.properties,
            reconsume_times: v2.reconsume_times,
            unit_mode: v2.unit_mode,
            batch: v2.batch,
            max_reconsume_times: v2.consume_retry_times,
            bname: v2.broker_name,
        }
    }
}

/// `SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2`: what a producer sends.
impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    fn from(v1: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            producer_group: v1.producer_group,
            topic: v1.topic,
            default_topic: v1.default_topic,
            default_topic_queue_nums: v1.default_topic_queue_nums,
            queue_id: v1.queue_id,
            sys_flag: v1.sys_flag,
            born_timestamp: v1.born_timestamp,
            flag: v1.flag,
            properties: v1.properties,
            reconsume_times: v1.reconsume_times,
            unit_mode: v1.unit_mode,
            consume_retry_times: v1.max_reconsume_times,
            batch: v1.batch,
            broker_name: v1.bname,
        }
    }
}
