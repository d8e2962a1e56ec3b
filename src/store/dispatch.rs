//! What the CommitLog tells the ConsumeQueue and IndexFile builders about each stored message.
//! The dispatcher follows the CommitLog (after an append, during recovery, on a slave), so all
//! three rebuild the derived files the same way.

/// One stored message, as the derived files need it (Java's `DispatchRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchRequest {
    pub topic: String,
    pub queue_id: i32,
    /// Physical offset of the record in the CommitLog.
    pub commit_log_offset: i64,
    /// The record's total size in bytes.
    pub msg_size: i32,
    /// The ConsumeQueue tags code: Java `String.hashCode` of TAGS, or the delivery time for
    /// delay-level messages in SCHEDULE_TOPIC_XXXX.
    pub tags_code: i64,
    pub store_timestamp: i64,
    /// The record's logical offset in its ConsumeQueue.
    pub consume_queue_offset: i64,
    /// The KEYS property (space-separated), empty when absent.
    pub keys: String,
    /// The UNIQ_KEY property, empty when absent.
    pub uniq_key: String,
    pub sys_flag: i32,
    pub prepared_transaction_offset: i64,
    /// For batch-written records the number of messages is 1 here as in Java 4.9.7.
    pub success: bool,
}

/// Something that derives data from CommitLog records: the ConsumeQueue and IndexFile builders.
pub trait CommitLogDispatcher: Send + Sync {
    fn dispatch(&self, request: &DispatchRequest);
}
