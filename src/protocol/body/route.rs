//! Topic routes: `TopicRouteData`, `QueueData`, `BrokerData` (GET_ROUTEINFO_BY_TOPIC) and
//! `ClusterInfo` (GET_BROKER_CLUSTER_INFO).

use std::collections::{BTreeMap, BTreeSet};

/// `MixAll.MASTER_ID`.
pub const MASTER_ID: i64 = 0;

crate::json_bean! {
    /// Java `QueueData`: one broker's queues of a topic.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct QueueData {
        pub broker_name: String = "brokerName",
        pub read_queue_nums: i32 = "readQueueNums",
        pub write_queue_nums: i32 = "writeQueueNums",
        pub perm: i32 = "perm",
        pub topic_sys_flag: i32 = "topicSysFlag",
    }
}

crate::json_bean! {
    /// Java `BrokerData`: a broker group (one name, a master and its slaves).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct BrokerData {
        pub cluster: String = "cluster",
        pub broker_name: String = "brokerName",
        /// brokerId -> address. Java's `HashMap<Long, String>` iterates small ids in ascending
        /// order, which a `BTreeMap` reproduces. fastjson writes the keys bare: `{0:"..."}`.
        pub broker_addrs: BTreeMap<i64, String> = "brokerAddrs",
    }
}

impl BrokerData {
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> BrokerData {
        BrokerData {
            cluster: cluster.into(),
            broker_name: broker_name.into(),
            broker_addrs: BTreeMap::new(),
        }
    }

    /// The master's address, else the first slave's (Java picks a random slave).
    pub fn select_broker_addr(&self) -> Option<&str> {
        self.broker_addrs
            .get(&MASTER_ID)
            .or_else(|| self.broker_addrs.values().next())
            .map(String::as_str)
    }
}

crate::json_bean! {
    /// Java `TopicRouteData`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TopicRouteData {
        pub order_topic_conf: Option<String> = "orderTopicConf",
        pub queue_datas: Vec<QueueData> = "queueDatas",
        pub broker_datas: Vec<BrokerData> = "brokerDatas",
        /// broker address -> filter server addresses.
        pub filter_server_table: BTreeMap<String, Vec<String>> = "filterServerTable",
    }
}

crate::json_bean! {
    /// Java `ClusterInfo`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ClusterInfo {
        /// brokerName -> broker group.
        pub broker_addr_table: BTreeMap<String, BrokerData> = "brokerAddrTable",
        /// clusterName -> broker names.
        pub cluster_addr_table: BTreeMap<String, BTreeSet<String>> = "clusterAddrTable",
    }
}

impl ClusterInfo {
    /// Every address of every broker of `cluster` (Java `retrieveAllAddrByCluster`).
    pub fn all_addrs_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.cluster_addr_table.get(cluster) else {
            return Vec::new();
        };
        names
            .iter()
            .filter_map(|name| self.broker_addr_table.get(name))
            .flat_map(|bd| bd.broker_addrs.values().cloned())
            .collect()
    }
}
