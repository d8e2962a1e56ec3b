//! `config/topics.json`: Java `TopicConfigSerializeWrapper` (the broker's TopicConfigManager),
//! with `TopicConfig` and `DataVersion`.

use super::java_map::JavaMap;

/// `PermName.PERM_READ` / `PERM_WRITE` (defined in `protocol::topic::perm`).
pub use crate::protocol::topic::perm::{READ as PERM_READ, WRITE as PERM_WRITE};

/// One type for the wire and the disk: `TopicConfig`, `TopicFilterType` and `DataVersion` are the
/// protocol's (`protocol::body`), re-exported here for the store's files.
pub use crate::protocol::body::{DataVersion, TopicConfig, TopicFilterType};

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

impl TopicConfigSerializeWrapper {
    /// The same table as the protocol's `TopicConfigSerializeWrapper` (REGISTER_BROKER and
    /// GET_ALL_TOPIC_CONFIG bodies).
    pub fn to_wire(&self) -> crate::protocol::body::TopicConfigSerializeWrapper {
        crate::protocol::body::TopicConfigSerializeWrapper {
            topic_config_table: self
                .topic_config_table
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            data_version: self.data_version,
        }
    }

    /// A table received from the wire (a slave syncing from its master).
    pub fn from_wire(
        wire: &crate::protocol::body::TopicConfigSerializeWrapper,
    ) -> TopicConfigSerializeWrapper {
        TopicConfigSerializeWrapper {
            topic_config_table: wire
                .topic_config_table
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            data_version: wire.data_version,
        }
    }
}
