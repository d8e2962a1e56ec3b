//! Message and queue queries (mqadmin queryMsgBy*, consumeQueue, ...).

command_header! {
    /// QUERY_MESSAGE (12) request. The client adds `_UNIQUE_KEY_QUERY` (true/false) to the same
    /// extFields: not a header field.
    pub struct QueryMessageRequestHeader {
        pub topic: String = "topic" (required),
        pub key: String = "key" (required),
        pub max_num: i32 = "maxNum" (required),
        pub begin_timestamp: i64 = "beginTimestamp" (required),
        pub end_timestamp: i64 = "endTimestamp" (required),
    }
}

command_header! {
    /// QUERY_MESSAGE (12) response.
    pub struct QueryMessageResponseHeader {
        pub index_last_update_timestamp: i64 = "indexLastUpdateTimestamp" (required),
        pub index_last_update_phyoffset: i64 = "indexLastUpdatePhyoffset" (required),
    }
}

command_header! {
    /// VIEW_MESSAGE_BY_ID (33) request: `offset` is the commitlog offset decoded from the msgId.
    pub struct ViewMessageRequestHeader {
        pub offset: i64 = "offset" (required),
    }
}

command_header! {
    /// VIEW_MESSAGE_BY_ID response class: no fields (Java answers without a custom header).
    pub struct ViewMessageResponseHeader {
    }
}

command_header! {
    /// QUERY_TOPIC_CONSUME_BY_WHO (300).
    pub struct QueryTopicConsumeByWhoRequestHeader {
        pub topic: String = "topic" (required),
    }
}

command_header! {
    /// QUERY_CONSUME_TIME_SPAN (303).
    pub struct QueryConsumeTimeSpanRequestHeader {
        pub topic: String = "topic" (required),
        pub group: String = "group" (required),
    }
}

command_header! {
    /// QUERY_CORRECTION_OFFSET (308).
    pub struct QueryCorrectionOffsetHeader {
        pub filter_groups: Option<String> = "filterGroups" (optional),
        pub compare_group: String = "compareGroup" (required),
        pub topic: String = "topic" (required),
    }
}

command_header! {
    /// QUERY_CONSUME_QUEUE (321). Java declares plain `int`/`long` fields without `@CFNotNull`.
    pub struct QueryConsumeQueueRequestHeader {
        pub topic: Option<String> = "topic" (optional),
        pub queue_id: i32 = "queueId" (optional),
        pub index: i64 = "index" (optional),
        pub count: i32 = "count" (optional),
        pub consumer_group: Option<String> = "consumerGroup" (optional),
    }
}
