//! Typed JSON bodies (Java `RemotingSerializable` subclasses and friends), read liberally and
//! written byte-for-byte as Java 4.9.7 writes them.

mod admin;
mod data_version;
mod json;
mod kv;
mod lock;
mod register_broker;
mod route;
mod topic_config;

pub use admin::{
    Connection, ConsumeStats, ConsumerConnection, GroupList, MessageQueue, OffsetWrapper,
    ProducerConnection, TopicOffset, TopicStatsTable,
};
pub use data_version::{now_millis, DataVersion};
pub use json::{decode_body, encode_body, encode_body_as, JsonStyle};
pub use kv::{KvConfigSerializeWrapper, KvTable, TopicList};
pub use lock::{
    java_hash_set_order, message_queue_hash, LockBatchRequestBody, LockBatchResponseBody,
    UnlockBatchRequestBody,
};
pub use register_broker::{
    RegisterBrokerBody, RegisterBrokerResult, TopicConfigMap, TopicConfigSerializeWrapper,
};
pub use route::{BrokerData, ClusterInfo, QueueData, RouteParts, TopicRouteData, MASTER_ID};
pub use topic_config::{TopicConfig, TopicFilterType};

/// A body that could not be read. The text goes into the response remark.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(String);

impl BodyError {
    pub fn new(msg: String) -> BodyError {
        BodyError(msg)
    }
}
