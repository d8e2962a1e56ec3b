//! Queue offsets: consumer offsets and the min/max/time lookups of a queue.

command_header! {
    /// QUERY_CONSUMER_OFFSET (14) request.
    pub struct QueryConsumerOffsetRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// QUERY_CONSUMER_OFFSET (14) response.
    pub struct QueryConsumerOffsetResponseHeader {
        pub offset: i64 = "offset" (required),
    }
}

command_header! {
    /// UPDATE_CONSUMER_OFFSET (15) request (often oneway).
    pub struct UpdateConsumerOffsetRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub commit_offset: i64 = "commitOffset" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// UPDATE_CONSUMER_OFFSET (15) response: no fields.
    pub struct UpdateConsumerOffsetResponseHeader {
    }
}

command_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29) request.
    pub struct SearchOffsetRequestHeader {
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub timestamp: i64 = "timestamp" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// SEARCH_OFFSET_BY_TIMESTAMP (29) response.
    pub struct SearchOffsetResponseHeader {
        pub offset: i64 = "offset" (required),
    }
}

command_header! {
    /// GET_MAX_OFFSET (30) request.
    pub struct GetMaxOffsetRequestHeader {
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// GET_MAX_OFFSET (30) response.
    pub struct GetMaxOffsetResponseHeader {
        pub offset: i64 = "offset" (required),
    }
}

command_header! {
    /// GET_MIN_OFFSET (31) request.
    pub struct GetMinOffsetRequestHeader {
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// GET_MIN_OFFSET (31) response.
    pub struct GetMinOffsetResponseHeader {
        pub offset: i64 = "offset" (required),
    }
}

command_header! {
    /// GET_EARLIEST_MSG_STORETIME (32) request.
    pub struct GetEarliestMsgStoretimeRequestHeader {
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// GET_EARLIEST_MSG_STORETIME (32) response.
    pub struct GetEarliestMsgStoretimeResponseHeader {
        pub timestamp: i64 = "timestamp" (required),
    }
}
