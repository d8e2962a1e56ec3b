//! `config/subscriptionGroup.json`: Java `SubscriptionGroupManager` (its table and data version).

use super::topics::DataVersion;
use crate::java::JavaMap;

crate::json_bean! {
    /// Java `SubscriptionGroupConfig`, every field with Java's default.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SubscriptionGroupConfig {
        pub group_name: Option<String> = "groupName",
        pub consume_enable: bool = "consumeEnable" => true,
        pub consume_from_min_enable: bool = "consumeFromMinEnable" => true,
        pub consume_broadcast_enable: bool = "consumeBroadcastEnable" => true,
        pub retry_queue_nums: i32 = "retryQueueNums" => 1,
        pub retry_max_times: i32 = "retryMaxTimes" => 16,
        /// `MixAll.MASTER_ID`.
        pub broker_id: i64 = "brokerId" => 0,
        pub which_broker_when_consume_slowly: i64 = "whichBrokerWhenConsumeSlowly" => 1,
        pub notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true,
    }
}

impl SubscriptionGroupConfig {
    /// A group with Java's defaults (what auto-creation makes).
    pub fn new(group_name: impl Into<String>) -> SubscriptionGroupConfig {
        SubscriptionGroupConfig {
            group_name: Some(group_name.into()),
            ..SubscriptionGroupConfig::default()
        }
    }
}

/// `new ConcurrentHashMap<>(1024)` as in `SubscriptionGroupManager`.
pub type SubscriptionGroupMap = JavaMap<String, SubscriptionGroupConfig, 1024>;

crate::json_bean! {
    /// `config/subscriptionGroup.json` (fastjson of the `SubscriptionGroupManager` itself).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubscriptionGroupTable {
        pub subscription_group_table: SubscriptionGroupMap = "subscriptionGroupTable",
        pub data_version: DataVersion = "dataVersion",
    }
}

/// The file name under `<storePathRootDir>/config/`.
pub const SUBSCRIPTION_GROUP_FILE: &str = "subscriptionGroup.json";
