//! `config/consumerOffset.json` (Java `ConsumerOffsetManager`) and `config/delayOffset.json`
//! (Java `ScheduleMessageService` / `DelayOffsetSerializeWrapper`). Both have integer map keys,
//! which fastjson writes bare: `{"offsetTable":{"topic@group":{0:5,1:3}}}`.

use crate::java::JavaMap;

/// Separator between topic and group in the offset table key (`TOPIC_GROUP_SEPARATOR`).
pub const TOPIC_GROUP_SEPARATOR: char = '@';

/// Offsets of one `topic@group`: queueId -> next offset to consume
/// (`new ConcurrentHashMap<Integer, Long>(32)`).
pub type QueueOffsets = JavaMap<i32, i64, 32>;

/// `new ConcurrentHashMap<>(512)` as in `ConsumerOffsetManager`.
pub type ConsumerOffsetMap = JavaMap<String, QueueOffsets, 512>;

crate::json_bean! {
    /// `config/consumerOffset.json`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ConsumerOffsetTable {
        pub offset_table: ConsumerOffsetMap = "offsetTable",
    }
}

impl ConsumerOffsetTable {
    /// The table key of a topic and group: `topic@group`.
    pub fn key(topic: &str, group: &str) -> String {
        format!("{topic}{TOPIC_GROUP_SEPARATOR}{group}")
    }

    /// The committed offset, if any.
    pub fn offset(&self, topic: &str, group: &str, queue_id: i32) -> Option<i64> {
        self.offset_table
            .get(&Self::key(topic, group))
            .and_then(|q| q.get(&queue_id))
            .copied()
    }

    /// Commits an offset (Java `commitOffset`).
    pub fn commit(&mut self, topic: &str, group: &str, queue_id: i32, offset: i64) {
        self.offset_table
            .entry_or_insert_with(Self::key(topic, group), QueueOffsets::new)
            .insert(queue_id, offset);
    }
}

/// delay level -> offset in its SCHEDULE_TOPIC_XXXX queue (`new ConcurrentHashMap<>(32)`).
pub type DelayOffsetMap = JavaMap<i32, i64, 32>;

crate::json_bean! {
    /// `config/delayOffset.json` (Java `DelayOffsetSerializeWrapper`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct DelayOffsetTable {
        pub offset_table: DelayOffsetMap = "offsetTable",
    }
}

/// File names under `<storePathRootDir>/config/`.
pub const CONSUMER_OFFSET_FILE: &str = "consumerOffset.json";
pub const DELAY_OFFSET_FILE: &str = "delayOffset.json";
