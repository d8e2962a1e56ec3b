//! PULL_MESSAGE (11) headers. Both are binary "fast codec" headers.

command_header! {
    /// PULL_MESSAGE (11) request. Fast codec order: declaration order, `bname` last.
    pub struct PullMessageRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub topic: String = "topic" (required),
        pub queue_id: i32 = "queueId" (required),
        pub queue_offset: i64 = "queueOffset" (required),
        pub max_msg_nums: i32 = "maxMsgNums" (required),
        pub sys_flag: i32 = "sysFlag" (required),
        pub commit_offset: i64 = "commitOffset" (required),
        pub suspend_timeout_millis: i64 = "suspendTimeoutMillis" (required),
        pub subscription: Option<String> = "subscription" (optional),
        pub sub_version: i64 = "subVersion" (required),
        pub expression_type: Option<String> = "expressionType" (optional),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// PULL_MESSAGE (11) response (FOUND, NO_NEW_MSG, NO_MATCHED_MSG, OFFSET_MOVED, ...). Responses
    /// Java fails early (SUBSCRIPTION_NOT_LATEST, ...) carry `{}`: all four fields null, so do not
    /// write this header for them (the golden corpus has 11 such frames).
    pub struct PullMessageResponseHeader {
        pub suggest_which_broker_id: i64 = "suggestWhichBrokerId" (required),
        pub next_begin_offset: i64 = "nextBeginOffset" (required),
        pub min_offset: i64 = "minOffset" (required),
        pub max_offset: i64 = "maxOffset" (required),
    }
}
