//! `config/topics.json`: Java `TopicConfigSerializeWrapper` (the broker's TopicConfigManager).
//! The types are the wire types of `protocol::body`: the REGISTER_BROKER body carries the same
//! table, written in the same order.

pub use crate::protocol::body::{
    DataVersion, TopicConfig, TopicConfigMap, TopicConfigSerializeWrapper, TopicFilterType,
};

/// The file name under `<storePathRootDir>/config/`.
pub const TOPICS_FILE: &str = "topics.json";
