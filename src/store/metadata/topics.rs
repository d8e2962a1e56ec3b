//! `config/topics.json`: Java `TopicConfigSerializeWrapper` (the broker's TopicConfigManager),
//! with `TopicConfig` and `DataVersion`.

use super::java_map::JavaMap;

/// `PermName.PERM_READ` / `PERM_WRITE` (defined in `protocol::topic::perm`).
pub use crate::protocol::topic::perm::{READ as PERM_READ, WRITE as PERM_WRITE};

crate::json_enum! {
    /// Java `TopicFilterType`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum TopicFilterType {
        #[default]
        SingleTag = "SINGLE_TAG",
        MultiTag = "MULTI_TAG",
    }
}

crate::json_bean! {
    /// Java `org.apache.rocketmq.common.TopicConfig` with its defaults (16/16 queues, RW).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicConfig {
        /// `null` in Java until set; fastjson then leaves it out.
        pub topic_name: Option<String> = "topicName",
        pub read_queue_nums: i32 = "readQueueNums" => 16,
        pub write_queue_nums: i32 = "writeQueueNums" => 16,
        pub perm: i32 = "perm" => PERM_READ | PERM_WRITE,
        pub topic_filter_type: TopicFilterType = "topicFilterType",
        pub topic_sys_flag: i32 = "topicSysFlag",
        pub order: bool = "order",
    }
}

impl TopicConfig {
    /// `new TopicConfig(name, read, write, perm)`.
    pub fn new(
        name: impl Into<String>,
        read_queue_nums: i32,
        write_queue_nums: i32,
        perm: i32,
    ) -> TopicConfig {
        TopicConfig {
            topic_name: Some(name.into()),
            read_queue_nums,
            write_queue_nums,
            perm,
            ..TopicConfig::default()
        }
    }
}

crate::json_bean! {
    /// Java `DataVersion`: bumped whenever the topic or subscription-group table changes.
    /// `counter` is an `AtomicLong` in Java, written as a number.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct DataVersion {
        pub counter: i64 = "counter",
        /// Java's constructor takes the current time.
        pub timestamp: i64 = "timestamp" => now_millis(),
    }
}

impl DataVersion {
    /// Java `nextVersion()`: now, counter + 1.
    pub fn next_version(&mut self) {
        self.timestamp = now_millis();
        self.counter += 1;
    }
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The topic table as `TopicConfigManager` holds it: `new ConcurrentHashMap<>(1024)`.
pub type TopicConfigMap = JavaMap<String, TopicConfig, 1024>;

crate::json_bean! {
    /// `config/topics.json` (Java `TopicConfigSerializeWrapper`).
    #[derive(Debug, Clone, PartialEq)]
    pub struct TopicConfigSerializeWrapper {
        pub topic_config_table: TopicConfigMap = "topicConfigTable",
        pub data_version: DataVersion = "dataVersion",
    }
}

/// The file name under `<storePathRootDir>/config/`.
pub const TOPICS_FILE: &str = "topics.json";
