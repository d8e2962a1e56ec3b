//! The broker's configuration files under `<storePathRootDir>/config/`, in Java 4.9.7's shape:
//! read liberally (fastjson dialect, missing members take Java's defaults, unknown members are
//! ignored), written byte-for-byte as Java writes them (fastjson PrettyFormat, members of maps in
//! Java's `ConcurrentHashMap` order), with Java's `.bak` fallback and an atomic write.
//!
//! | file | type |
//! | --- | --- |
//! | `topics.json` | [`TopicConfigSerializeWrapper`] |
//! | `subscriptionGroup.json` | [`SubscriptionGroupTable`] |
//! | `consumerOffset.json` | [`ConsumerOffsetTable`] |
//! | `delayOffset.json` | [`DelayOffsetTable`] |
//! | `consumerFilter.json` | [`ConsumerFilterTable`] |

mod consumer_filter;
mod file;

mod offsets;
mod subscription;
mod topics;

use std::path::{Path, PathBuf};

pub use crate::java::{chm_table_size, JavaHashKey, JavaMap};
pub use consumer_filter::{
    BloomFilterData, ConsumerFilterData, ConsumerFilterTable, FilterDataMapByTopic,
};
pub use file::{load, load_with, persist, write_string, ConfigFileError, LoadSource};
pub use offsets::{
    ConsumerOffsetMap, ConsumerOffsetTable, DelayOffsetMap, DelayOffsetTable, QueueOffsets,
    TOPIC_GROUP_SEPARATOR,
};
pub use subscription::{SubscriptionGroupConfig, SubscriptionGroupMap, SubscriptionGroupTable};
pub use topics::{
    DataVersion, TopicConfig, TopicConfigMap, TopicConfigSerializeWrapper, TopicFilterType,
};

use crate::fastjson::{FromJson, ToJson};

/// `<storePathRootDir>/config`.
pub fn config_dir(store_root: &Path) -> PathBuf {
    store_root.join("config")
}

/// One of the store's configuration files.
pub trait StoreConfigFile: FromJson + ToJson + Sized {
    /// The file name under `<storePathRootDir>/config/`.
    const FILE_NAME: &'static str;

    /// `<storePathRootDir>/config/<FILE_NAME>`.
    fn path(store_root: &Path) -> PathBuf {
        config_dir(store_root).join(Self::FILE_NAME)
    }

    /// Loads the file (or its `.bak`); `None` when neither has content.
    fn load_from(store_root: &Path) -> Result<(Option<Self>, LoadSource), ConfigFileError> {
        load(&Self::path(store_root))
    }

    /// Writes the file as Java's `ConfigManager.persist` does.
    fn persist_to(&self, store_root: &Path) -> Result<(), ConfigFileError> {
        persist(&Self::path(store_root), self)
    }
}

impl StoreConfigFile for TopicConfigSerializeWrapper {
    const FILE_NAME: &'static str = topics::TOPICS_FILE;
}

impl StoreConfigFile for SubscriptionGroupTable {
    const FILE_NAME: &'static str = subscription::SUBSCRIPTION_GROUP_FILE;
}

impl StoreConfigFile for ConsumerOffsetTable {
    const FILE_NAME: &'static str = offsets::CONSUMER_OFFSET_FILE;
}

impl StoreConfigFile for DelayOffsetTable {
    const FILE_NAME: &'static str = offsets::DELAY_OFFSET_FILE;
}

impl StoreConfigFile for ConsumerFilterTable {
    const FILE_NAME: &'static str = consumer_filter::CONSUMER_FILTER_FILE;
}
