//! The route table (Java `RouteInfoManager`): which brokers exist, which topics they serve, and
//! when each broker last said it is alive.
//!
//! All five tables live behind one read-write lock, as in Java: a registration touches several
//! of them and readers must never see half of it. Route lookups take the read lock only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::java::{bucket, hash_map_table_size, hash_set_order};
use crate::protocol::topic::{perm, sys_flag};

use crate::protocol::body::{
    BrokerData, ClusterInfo, DataVersion, JsonStyle, QueueData, RegisterBrokerResult, RouteParts,
    TopicConfig, TopicConfigSerializeWrapper, TopicList, TopicRouteData, MASTER_ID,
};

/// Identifies the connection a broker registered on, so that the connection closing (or the
/// broker expiring) can be matched to the broker. Assigned by the remoting server.
pub type ConnectionId = u64;

/// Java `BROKER_CHANNEL_EXPIRED_TIME`: a broker silent for longer is dropped.
pub const BROKER_CHANNEL_EXPIRED_MILLIS: i64 = 2 * 60 * 1000;

/// Java `BrokerLiveInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerLiveInfo {
    pub last_update_millis: i64,
    pub data_version: DataVersion,
    pub connection: Option<ConnectionId>,
    pub ha_server_addr: Option<String>,
}

/// What a broker sends in REGISTER_BROKER, already decoded.
#[derive(Debug, Clone)]
pub struct BrokerRegistration<'a> {
    pub cluster_name: &'a str,
    pub broker_addr: &'a str,
    pub broker_name: &'a str,
    pub broker_id: i64,
    pub ha_server_addr: Option<&'a str>,
    pub topic_config_wrapper: &'a TopicConfigSerializeWrapper,
    /// `None` for brokers older than V3_0_11 (their body has no filter server list).
    pub filter_server_list: Option<&'a [String]>,
    pub connection: Option<ConnectionId>,
}

/// A broker removed by [`RouteInfoManager::scan_not_active_brokers`]: the caller closes its
/// connection, as Java does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredBroker {
    pub broker_addr: String,
    pub connection: Option<ConnectionId>,
}

/// topic -> brokerName -> queues (Java `HashMap<>(1024)`), remembering insertion order and
/// the largest size reached, from which Java's iteration order follows.
#[derive(Debug, Default)]
struct TopicQueueTable {
    topics: HashMap<String, (u64, BTreeMap<String, QueueData>)>,
    next_seq: u64,
    max_len: usize,
}

type BrokerQueues = BTreeMap<String, QueueData>;

impl TopicQueueTable {
    fn get(&self, topic: &str) -> Option<&BrokerQueues> {
        self.topics.get(topic).map(|(_, q)| q)
    }

    fn get_mut(&mut self, topic: &str) -> Option<&mut BrokerQueues> {
        self.topics.get_mut(topic).map(|(_, q)| q)
    }

    fn entry(&mut self, topic: &str) -> &mut BrokerQueues {
        if !self.topics.contains_key(topic) {
            self.next_seq += 1;
            self.max_len = self.max_len.max(self.topics.len() + 1);
        }
        let seq = self.next_seq;
        &mut self
            .topics
            .entry(topic.to_string())
            .or_insert_with(|| (seq, BTreeMap::new()))
            .1
    }

    fn remove(&mut self, topic: &str) {
        self.topics.remove(topic);
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut BrokerQueues> {
        self.topics.values_mut().map(|(_, q)| q)
    }

    fn retain(&mut self, mut keep: impl FnMut(&String, &mut BrokerQueues) -> bool) {
        self.topics.retain(|t, (_, q)| keep(t, q));
    }

    fn len(&self) -> usize {
        self.topics.len()
    }

    /// Topics in the order Java's `HashMap<>(1024)` iterates them.
    fn java_order(&self) -> Vec<(&String, &BrokerQueues)> {
        let n = hash_map_table_size(1024, self.max_len);
        let mut all: Vec<(usize, u64, &String, &BrokerQueues)> = self
            .topics
            .iter()
            .map(|(t, (seq, q))| (bucket(t, n), *seq, t, q))
            .collect();
        all.sort_unstable_by_key(|e| (e.0, e.1));
        all.into_iter().map(|(_, _, t, q)| (t, q)).collect()
    }
}

#[derive(Debug, Default)]
struct Tables {
    topic_queue: TopicQueueTable,
    /// brokerName -> broker group.
    broker_addr: BTreeMap<String, BrokerData>,
    /// clusterName -> broker names.
    cluster_addr: BTreeMap<String, BTreeSet<String>>,
    /// broker address -> liveness.
    broker_live: HashMap<String, BrokerLiveInfo>,
    /// broker address -> filter servers.
    filter_server: HashMap<String, Vec<String>>,
}

/// The NameServer's route table.
#[derive(Debug)]
pub struct RouteInfoManager {
    tables: RwLock<Tables>,
    expiry_millis: i64,
}

impl Default for RouteInfoManager {
    fn default() -> Self {
        RouteInfoManager::new(BROKER_CHANNEL_EXPIRED_MILLIS)
    }
}

impl RouteInfoManager {
    /// A table that drops brokers silent for more than `expiry_millis` (Java: 120 000).
    pub fn new(expiry_millis: i64) -> RouteInfoManager {
        RouteInfoManager {
            tables: RwLock::new(Tables::default()),
            expiry_millis,
        }
    }

    // A panic while holding the lock cannot leave the tables inconsistent in a way worse than
    // losing the server, so a poisoned lock is simply taken over.
    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Java `registerBroker`, at time `now_millis`.
    pub fn register_broker(
        &self,
        reg: &BrokerRegistration<'_>,
        now_millis: i64,
    ) -> RegisterBrokerResult {
        let mut result = RegisterBrokerResult::default();
        let mut guard = self.write();
        let t = &mut *guard;

        t.cluster_addr
            .entry(reg.cluster_name.to_string())
            .or_default()
            .insert(reg.broker_name.to_string());

        let mut register_first = false;
        let broker_data = t
            .broker_addr
            .entry(reg.broker_name.to_string())
            .or_insert_with(|| {
                register_first = true;
                BrokerData::new(reg.cluster_name, reg.broker_name)
            });
        // One address has one id: a slave promoted to master (or the other way round) first
        // loses its old id entry.
        broker_data
            .broker_addrs
            .retain(|id, addr| !(addr == reg.broker_addr && *id != reg.broker_id));
        let old_addr = broker_data
            .broker_addrs
            .insert(reg.broker_id, reg.broker_addr.to_string());
        if reg.broker_id == MASTER_ID {
            tracing::info!(
                cluster = %broker_data.cluster,
                broker_name = %broker_data.broker_name,
                old = ?old_addr,
                new = %reg.broker_addr,
                "master address registered"
            );
        }
        register_first = register_first || old_addr.is_none();
        let master_addr = broker_data.broker_addrs.get(&MASTER_ID).cloned();

        if reg.broker_id == MASTER_ID {
            let changed = t
                .broker_live
                .get(reg.broker_addr)
                .map(|live| live.data_version)
                != Some(reg.topic_config_wrapper.data_version);
            if changed || register_first {
                // In the order Java iterates the registered map: new topics get their place in
                // the topic table (and so in topic lists) as in Java.
                for (_, config) in reg
                    .topic_config_wrapper
                    .topic_config_table
                    .iter_java_order()
                {
                    create_and_update_queue_data(&mut t.topic_queue, reg.broker_name, config);
                }
            }
        }

        let previous = t.broker_live.insert(
            reg.broker_addr.to_string(),
            BrokerLiveInfo {
                last_update_millis: now_millis,
                data_version: reg.topic_config_wrapper.data_version,
                connection: reg.connection,
                ha_server_addr: reg.ha_server_addr.map(str::to_string),
            },
        );
        if previous.is_none() {
            tracing::info!(broker = %reg.broker_addr, ha = ?reg.ha_server_addr, "new broker registered");
        }

        if let Some(filters) = reg.filter_server_list {
            if filters.is_empty() {
                t.filter_server.remove(reg.broker_addr);
            } else {
                t.filter_server
                    .insert(reg.broker_addr.to_string(), filters.to_vec());
            }
        }

        if reg.broker_id != MASTER_ID {
            if let Some(master_addr) = master_addr {
                if let Some(master_live) = t.broker_live.get(&master_addr) {
                    result.ha_server_addr = master_live.ha_server_addr.clone();
                    result.master_addr = Some(master_addr);
                }
            }
        }
        result
    }

    /// Java `isBrokerTopicConfigChanged`: unknown broker or a different data version.
    pub fn is_broker_topic_config_changed(
        &self,
        broker_addr: &str,
        data_version: &DataVersion,
    ) -> bool {
        self.read()
            .broker_live
            .get(broker_addr)
            .map(|live| live.data_version)
            != Some(*data_version)
    }

    /// Java `queryBrokerTopicConfig`: the data version the broker last registered with.
    pub fn query_broker_topic_config(&self, broker_addr: &str) -> Option<DataVersion> {
        self.read()
            .broker_live
            .get(broker_addr)
            .map(|live| live.data_version)
    }

    /// Java `updateBrokerInfoUpdateTimestamp`.
    pub fn update_broker_info_update_timestamp(&self, broker_addr: &str, now_millis: i64) {
        if let Some(live) = self.write().broker_live.get_mut(broker_addr) {
            live.last_update_millis = now_millis;
        }
    }

    /// Java `unregisterBroker`.
    pub fn unregister_broker(
        &self,
        cluster_name: &str,
        broker_addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) {
        let mut guard = self.write();
        let t = &mut *guard;
        let live = t.broker_live.remove(broker_addr);
        tracing::info!(broker = %broker_addr, found = live.is_some(), "unregisterBroker");
        t.filter_server.remove(broker_addr);

        let mut remove_broker_name = false;
        if let Some(bd) = t.broker_addr.get_mut(broker_name) {
            bd.broker_addrs.remove(&broker_id);
            if bd.broker_addrs.is_empty() {
                t.broker_addr.remove(broker_name);
                remove_broker_name = true;
            }
        }
        if remove_broker_name {
            if let Some(names) = t.cluster_addr.get_mut(cluster_name) {
                names.remove(broker_name);
                if names.is_empty() {
                    t.cluster_addr.remove(cluster_name);
                }
            }
            remove_topics_of_broker(&mut t.topic_queue, broker_name);
        }
    }

    /// Java `pickupTopicRouteData`: the route of `topic`, or `None` when no broker serves it.
    pub fn pickup_topic_route_data(&self, topic: &str) -> Option<TopicRouteData> {
        let t = self.read();
        let queues = t.topic_queue.get(topic)?;
        let mut route = TopicRouteData {
            queue_datas: queues.values().cloned().collect(),
            broker_datas: Vec::with_capacity(queues.len()),
            ..TopicRouteData::default()
        };
        for broker_name in queues.keys() {
            let Some(bd) = t.broker_addr.get(broker_name) else {
                continue;
            };
            if !t.filter_server.is_empty() {
                for addr in bd.broker_addrs.values() {
                    if let Some(filters) = t.filter_server.get(addr) {
                        route
                            .filter_server_table
                            .insert(addr.clone(), filters.clone());
                    }
                }
            }
            route.broker_datas.push(bd.clone());
        }
        if route.broker_datas.is_empty() {
            None
        } else {
            Some(route)
        }
    }

    /// [`pickup_topic_route_data`](Self::pickup_topic_route_data) and its JSON in one step,
    /// written straight from the table under the read lock (no copy of the route is made).
    pub fn topic_route_json(
        &self,
        topic: &str,
        style: JsonStyle,
        order_topic_conf: Option<&str>,
    ) -> Option<Vec<u8>> {
        let t = self.read();
        let queues = t.topic_queue.get(topic)?;
        let brokers: Vec<&BrokerData> = queues
            .keys()
            .filter_map(|name| t.broker_addr.get(name))
            .collect();
        if brokers.is_empty() {
            return None;
        }
        let mut filters: BTreeMap<&String, &Vec<String>> = BTreeMap::new();
        if !t.filter_server.is_empty() {
            for addr in brokers.iter().flat_map(|bd| bd.broker_addrs.values()) {
                if let Some((addr, list)) = t.filter_server.get_key_value(addr) {
                    filters.insert(addr, list);
                }
            }
        }
        Some(
            RouteParts {
                broker_datas: brokers.iter().copied(),
                filter_server_table: filters.into_iter(),
                order_topic_conf,
                queue_datas: queues.values(),
            }
            .encode_json(style),
        )
    }

    /// Java `getAllClusterInfo`.
    pub fn all_cluster_info(&self) -> ClusterInfo {
        let t = self.read();
        ClusterInfo {
            broker_addr_table: t.broker_addr.clone(),
            cluster_addr_table: t.cluster_addr.clone(),
        }
    }

    /// Java `deleteTopic(topic)`.
    pub fn delete_topic(&self, topic: &str) {
        self.write().topic_queue.remove(topic);
    }

    /// Java `deleteTopic(topic, clusterName)`: removes only the queues of that cluster's brokers.
    pub fn delete_topic_in_cluster(&self, topic: &str, cluster_name: &str) {
        let mut guard = self.write();
        let t = &mut *guard;
        let Some(names) = t.cluster_addr.get(cluster_name) else {
            return;
        };
        if let Some(queues) = t.topic_queue.get_mut(topic) {
            for name in names {
                if queues.remove(name).is_some() {
                    tracing::info!(broker = %name, topic, "deleteTopic, removed one broker's queues");
                }
            }
            if queues.is_empty() {
                t.topic_queue.remove(topic);
            }
        }
    }

    /// Java `getAllTopicList`.
    pub fn all_topic_list(&self) -> TopicList {
        TopicList {
            topic_list: hash_set_order(
                self.read()
                    .topic_queue
                    .java_order()
                    .into_iter()
                    .map(|(t, _)| t.clone())
                    .collect(),
            ),
            broker_addr: None,
        }
    }

    /// Java `wipeWritePermOfBrokerByLock`: clears the write bit of every topic on the broker;
    /// returns how many topics it touched.
    pub fn wipe_write_perm_of_broker(&self, broker_name: &str) -> i32 {
        self.operate_write_perm(broker_name, |perm| perm & !perm::WRITE)
    }

    /// Java `addWritePermOfBrokerByLock`: sets the broker's topics to read-write.
    pub fn add_write_perm_of_broker(&self, broker_name: &str) -> i32 {
        self.operate_write_perm(broker_name, |_| perm::READ | perm::WRITE)
    }

    fn operate_write_perm(&self, broker_name: &str, f: impl Fn(i32) -> i32) -> i32 {
        let mut t = self.write();
        let mut count = 0;
        for queues in t.topic_queue.values_mut() {
            if let Some(qd) = queues.get_mut(broker_name) {
                qd.perm = f(qd.perm);
                count += 1;
            }
        }
        count
    }

    /// Java `scanNotActiveBroker`: drops every broker whose last registration is older than the
    /// expiry, with everything `on_channel_destroy` drops, and returns them so the caller can
    /// close their connections.
    pub fn scan_not_active_brokers(&self, now_millis: i64) -> Vec<ExpiredBroker> {
        let expired: Vec<ExpiredBroker> = {
            let t = self.read();
            t.broker_live
                .iter()
                .filter(|(_, live)| {
                    live.last_update_millis.saturating_add(self.expiry_millis) < now_millis
                })
                .map(|(addr, live)| ExpiredBroker {
                    broker_addr: addr.clone(),
                    connection: live.connection,
                })
                .collect()
        };
        for broker in &expired {
            tracing::warn!(broker = %broker.broker_addr, expiry_ms = self.expiry_millis, "the broker channel expired");
            self.remove_broker_by_addr(&broker.broker_addr);
        }
        expired
    }

    /// Java `onChannelDestroy`: a connection closed. If a broker registered on it, that broker
    /// is removed; otherwise `remote_addr` is tried as a broker address, as Java does.
    pub fn on_channel_destroy(&self, remote_addr: &str, connection: ConnectionId) {
        let found = {
            let t = self.read();
            t.broker_live
                .iter()
                .find(|(_, live)| live.connection == Some(connection))
                .map(|(addr, _)| addr.clone())
        };
        let addr = match found {
            Some(addr) => {
                tracing::info!(broker = %addr, "the broker's channel destroyed, clean its data at once");
                addr
            }
            None => remote_addr.to_string(),
        };
        if !addr.is_empty() {
            self.remove_broker_by_addr(&addr);
        }
    }

    /// The write-locked half of Java `onChannelDestroy`.
    fn remove_broker_by_addr(&self, broker_addr: &str) {
        let mut guard = self.write();
        let t = &mut *guard;
        t.broker_live.remove(broker_addr);
        t.filter_server.remove(broker_addr);

        let mut broker_name_found = None;
        let mut remove_broker_name = false;
        for (name, bd) in t.broker_addr.iter_mut() {
            let before = bd.broker_addrs.len();
            // Java removes the first matching entry only; an address has one id anyway.
            if let Some(id) = bd
                .broker_addrs
                .iter()
                .find(|(_, a)| *a == broker_addr)
                .map(|(id, _)| *id)
            {
                bd.broker_addrs.remove(&id);
            }
            if bd.broker_addrs.len() != before {
                broker_name_found = Some(name.clone());
                remove_broker_name = bd.broker_addrs.is_empty();
                break;
            }
        }
        let Some(broker_name) = broker_name_found else {
            return;
        };
        if !remove_broker_name {
            return;
        }
        t.broker_addr.remove(&broker_name);
        let mut empty_cluster = None;
        for (cluster, names) in t.cluster_addr.iter_mut() {
            if names.remove(&broker_name) {
                if names.is_empty() {
                    empty_cluster = Some(cluster.clone());
                }
                break;
            }
        }
        if let Some(cluster) = empty_cluster {
            t.cluster_addr.remove(&cluster);
        }
        remove_topics_of_broker(&mut t.topic_queue, &broker_name);
    }

    /// Java `getSystemTopicList`: every cluster name and broker name (brokers create a topic
    /// of each), with the address of one broker.
    pub fn system_topic_list(&self) -> TopicList {
        let t = self.read();
        let mut topics = Vec::new();
        for (cluster, names) in &t.cluster_addr {
            for name in std::iter::once(cluster).chain(names) {
                if !topics.contains(name) {
                    topics.push(name.clone());
                }
            }
        }
        // Java takes the first broker group its HashMap<>(128) iterates that has an address.
        let n = hash_map_table_size(128, t.broker_addr.len());
        let broker_addr = t
            .broker_addr
            .iter()
            .filter_map(|(name, bd)| {
                bd.broker_addrs
                    .values()
                    .next()
                    .map(|a| (bucket(name, n), a))
            })
            .min_by_key(|(b, _)| *b)
            .map(|(_, a)| a.clone());
        TopicList {
            topic_list: hash_set_order(topics),
            broker_addr,
        }
    }

    /// Java `getTopicsByCluster`: topics served by any broker of the cluster.
    pub fn topics_by_cluster(&self, cluster: &str) -> TopicList {
        let t = self.read();
        let mut topics = Vec::new();
        if let Some(names) = t.cluster_addr.get(cluster) {
            for (topic, queues) in t.topic_queue.java_order() {
                if names.iter().any(|n| queues.contains_key(n)) {
                    topics.push(topic.clone());
                }
            }
        }
        TopicList {
            topic_list: hash_set_order(topics),
            broker_addr: None,
        }
    }

    /// Java `getUnitTopics`.
    pub fn unit_topics(&self) -> TopicList {
        self.topics_where(sys_flag::has_unit)
    }

    /// Java `getHasUnitSubTopicList`.
    pub fn has_unit_sub_topics(&self) -> TopicList {
        self.topics_where(sys_flag::has_unit_sub)
    }

    /// Java `getHasUnitSubUnUnitTopicList`.
    pub fn has_unit_sub_ununit_topics(&self) -> TopicList {
        self.topics_where(|flag| !sys_flag::has_unit(flag) && sys_flag::has_unit_sub(flag))
    }

    /// Topics whose first queue data's `topicSysFlag` satisfies `pick` (Java looks at one
    /// broker's queue data only).
    fn topics_where(&self, pick: impl Fn(i32) -> bool) -> TopicList {
        let t = self.read();
        let topic_list = t
            .topic_queue
            .java_order()
            .into_iter()
            .filter(|(_, queues)| {
                queues
                    .values()
                    .next()
                    .is_some_and(|qd| pick(qd.topic_sys_flag))
            })
            .map(|(topic, _)| topic.clone())
            .collect();
        TopicList {
            topic_list: hash_set_order(topic_list),
            broker_addr: None,
        }
    }

    /// The liveness record of a broker (tests and diagnostics).
    pub fn broker_live_info(&self, broker_addr: &str) -> Option<BrokerLiveInfo> {
        self.read().broker_live.get(broker_addr).cloned()
    }

    /// Number of topics in the table.
    pub fn topic_count(&self) -> usize {
        self.read().topic_queue.len()
    }
}

fn create_and_update_queue_data(
    topic_queue: &mut TopicQueueTable,
    broker_name: &str,
    config: &TopicConfig,
) {
    let queue_data = QueueData {
        broker_name: broker_name.to_string(),
        read_queue_nums: config.read_queue_nums,
        write_queue_nums: config.write_queue_nums,
        perm: config.perm,
        topic_sys_flag: config.topic_sys_flag,
    };
    let queues = topic_queue.entry(config.name());
    match queues.insert(broker_name.to_string(), queue_data.clone()) {
        None => {
            tracing::debug!(topic = %config.name(), broker = broker_name, "new topic registered")
        }
        Some(old) if old != queue_data => {
            tracing::info!(topic = %config.name(), broker = broker_name, ?old, new = ?queue_data, "topic changed")
        }
        Some(_) => {}
    }
}

fn remove_topics_of_broker(topic_queue: &mut TopicQueueTable, broker_name: &str) {
    topic_queue.retain(|topic, queues| {
        if queues.remove(broker_name).is_some() {
            tracing::info!(topic = %topic, broker = broker_name, "removed one broker's queues of topic");
        }
        !queues.is_empty()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::TopicConfig;

    fn wrapper(counter: i64, topics: &[(&str, i32, i32)]) -> TopicConfigSerializeWrapper {
        let mut w = TopicConfigSerializeWrapper {
            data_version: DataVersion {
                timestamp: 1000,
                counter,
            },
            ..Default::default()
        };
        for (name, queues, sys_flag) in topics {
            let mut tc = TopicConfig::new(*name, *queues, *queues, 6);
            tc.topic_sys_flag = *sys_flag;
            w.topic_config_table.insert(name.to_string(), tc);
        }
        w
    }

    fn register(
        rim: &RouteInfoManager,
        name: &str,
        addr: &str,
        id: i64,
        w: &TopicConfigSerializeWrapper,
        conn: ConnectionId,
        now: i64,
    ) -> RegisterBrokerResult {
        let ha = format!("{addr}-ha");
        rim.register_broker(
            &BrokerRegistration {
                cluster_name: "c1",
                broker_addr: addr,
                broker_name: name,
                broker_id: id,
                ha_server_addr: Some(&ha),
                topic_config_wrapper: w,
                filter_server_list: Some(&[]),
                connection: Some(conn),
            },
            now,
        )
    }

    #[test]
    fn master_registration_builds_routes_and_cluster_info() {
        let rim = RouteInfoManager::default();
        let result = register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 1, 0);
        assert_eq!(
            result,
            RegisterBrokerResult::default(),
            "a master gets no master address"
        );
        let route = rim.pickup_topic_route_data("T").expect("route");
        assert_eq!(route.queue_datas.len(), 1);
        assert_eq!(route.queue_datas[0].read_queue_nums, 4);
        assert_eq!(route.queue_datas[0].perm, 6);
        assert_eq!(
            route.broker_datas[0]
                .broker_addrs
                .get(&0)
                .map(String::as_str),
            Some("h:1")
        );
        assert!(rim.pickup_topic_route_data("missing").is_none());
        let info = rim.all_cluster_info();
        assert_eq!(
            info.cluster_addr_table["c1"].iter().collect::<Vec<_>>(),
            vec!["a"]
        );
        assert_eq!(info.all_addrs_of_cluster("c1"), vec!["h:1".to_string()]);
    }

    /// Issue 4's "No route info of this topic" finding: a broker re-registering (every 30 s, or at
    /// once after a topic is created) must never make a registered topic's route disappear,
    /// even for an instant, to a client asking at the same time. Registration updates the
    /// tables under one write lock; this guards that.
    #[test]
    fn re_registration_never_hides_a_registered_route() {
        let rim = std::sync::Arc::new(RouteInfoManager::default());
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 1, 0);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (rim, stop) = (rim.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut misses = 0u32;
                    let mut reads = 0u32;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if rim
                            .topic_route_json("T", JsonStyle::Standard, None)
                            .is_none()
                        {
                            misses += 1;
                        }
                        reads += 1;
                    }
                    (reads, misses)
                })
            })
            .collect();
        for counter in 2..2000 {
            // A new data version each time: the topic table is rewritten, more topics each round.
            let extra = format!("X{}", counter % 50);
            register(
                &rim,
                "a",
                "h:1",
                0,
                &wrapper(counter, &[("T", 4, 0), (&extra, 2, 0)]),
                1,
                counter,
            );
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            let (reads, misses) = r.join().expect("reader");
            assert!(reads > 0);
            assert_eq!(
                misses, 0,
                "route of a registered topic missing in {misses} of {reads} reads"
            );
        }
    }

    #[test]
    fn topic_configs_are_taken_only_when_the_data_version_changes() {
        let rim = RouteInfoManager::default();
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 1, 0);
        // Same data version, different content: ignored (Java trusts the version).
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(1, &[("T", 8, 0), ("U", 1, 0)]),
            1,
            10,
        );
        assert_eq!(
            rim.pickup_topic_route_data("T").unwrap().queue_datas[0].read_queue_nums,
            4
        );
        assert!(rim.pickup_topic_route_data("U").is_none());
        // A new version is applied.
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(2, &[("T", 8, 0), ("U", 1, 0)]),
            1,
            20,
        );
        assert_eq!(
            rim.pickup_topic_route_data("T").unwrap().queue_datas[0].read_queue_nums,
            8
        );
        assert!(rim.pickup_topic_route_data("U").is_some());
        assert_eq!(rim.broker_live_info("h:1").unwrap().last_update_millis, 20);
    }

    #[test]
    fn slave_gets_master_address_and_ha_address() {
        let rim = RouteInfoManager::default();
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 1, 0);
        let result = register(&rim, "a", "h:2", 1, &wrapper(1, &[("T", 99, 0)]), 2, 0);
        assert_eq!(result.master_addr.as_deref(), Some("h:1"));
        assert_eq!(result.ha_server_addr.as_deref(), Some("h:1-ha"));
        // A slave's topic configs never touch the routes.
        assert_eq!(
            rim.pickup_topic_route_data("T").unwrap().queue_datas[0].read_queue_nums,
            4
        );
        let bd = &rim.pickup_topic_route_data("T").unwrap().broker_datas[0];
        assert_eq!(bd.broker_addrs.len(), 2);

        // A slave without a live master gets nothing.
        let lone = RouteInfoManager::default();
        assert_eq!(
            register(&lone, "b", "h:3", 1, &wrapper(1, &[]), 3, 0),
            RegisterBrokerResult::default()
        );
    }

    #[test]
    fn an_address_changing_its_id_keeps_one_entry() {
        let rim = RouteInfoManager::default();
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 1, 0);
        register(&rim, "a", "h:2", 1, &wrapper(1, &[]), 2, 0);
        // The slave is promoted: h:2 registers as id 0 and replaces h:1 as master.
        register(&rim, "a", "h:2", 0, &wrapper(5, &[("T", 4, 0)]), 2, 0);
        let bd = rim.all_cluster_info().broker_addr_table["a"].clone();
        assert_eq!(
            bd.broker_addrs.into_iter().collect::<Vec<_>>(),
            vec![(0, "h:2".to_string())]
        );
    }

    #[test]
    fn unregister_removes_broker_and_orphaned_topics() {
        let rim = RouteInfoManager::default();
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(1, &[("T", 4, 0), ("OnlyA", 1, 0)]),
            1,
            0,
        );
        register(&rim, "b", "h:2", 0, &wrapper(1, &[("T", 4, 0)]), 2, 0);
        rim.unregister_broker("c1", "h:1", "a", 0);
        assert!(rim.pickup_topic_route_data("OnlyA").is_none());
        let route = rim.pickup_topic_route_data("T").unwrap();
        assert_eq!(
            route
                .queue_datas
                .iter()
                .map(|q| q.broker_name.as_str())
                .collect::<Vec<_>>(),
            vec!["b"]
        );
        assert!(rim.broker_live_info("h:1").is_none());
        rim.unregister_broker("c1", "h:2", "b", 0);
        assert_eq!(rim.topic_count(), 0);
        assert!(rim.all_cluster_info().cluster_addr_table.is_empty());
    }

    #[test]
    fn silent_brokers_expire_after_the_expiry_and_not_before() {
        let rim = RouteInfoManager::default();
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 7, 1_000);
        assert!(rim
            .scan_not_active_brokers(1_000 + BROKER_CHANNEL_EXPIRED_MILLIS)
            .is_empty());
        let expired = rim.scan_not_active_brokers(1_000 + BROKER_CHANNEL_EXPIRED_MILLIS + 1);
        assert_eq!(
            expired,
            vec![ExpiredBroker {
                broker_addr: "h:1".into(),
                connection: Some(7)
            }]
        );
        assert!(rim.pickup_topic_route_data("T").is_none());
        assert!(rim.all_cluster_info().broker_addr_table.is_empty());
    }

    #[test]
    fn a_closed_connection_removes_the_broker_registered_on_it() {
        let rim = RouteInfoManager::default();
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 4, 0)]), 7, 0);
        register(&rim, "a", "h:2", 1, &wrapper(1, &[]), 8, 0);
        rim.on_channel_destroy("127.0.0.1:5555", 99);
        assert!(
            rim.pickup_topic_route_data("T").is_some(),
            "unknown connection: nothing removed"
        );
        rim.on_channel_destroy("127.0.0.1:5555", 7);
        // The master is gone; the slave keeps the group (and its topics) alive.
        let route = rim.pickup_topic_route_data("T").unwrap();
        assert_eq!(
            route.broker_datas[0]
                .broker_addrs
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            vec![1]
        );
        rim.on_channel_destroy("127.0.0.1:5556", 8);
        assert!(rim.pickup_topic_route_data("T").is_none());
        assert!(rim.all_cluster_info().cluster_addr_table.is_empty());
    }

    #[test]
    fn write_perm_wipe_and_add_count_topics() {
        let rim = RouteInfoManager::default();
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(1, &[("T", 4, 0), ("U", 4, 0)]),
            1,
            0,
        );
        register(&rim, "b", "h:2", 0, &wrapper(1, &[("T", 4, 0)]), 2, 0);
        assert_eq!(rim.wipe_write_perm_of_broker("a"), 2);
        let route = rim.pickup_topic_route_data("T").unwrap();
        let perm_of = |r: &TopicRouteData, b: &str| {
            r.queue_datas
                .iter()
                .find(|q| q.broker_name == b)
                .unwrap()
                .perm
        };
        assert_eq!(perm_of(&route, "a"), 6 & !perm::WRITE);
        assert_eq!(perm_of(&route, "b"), 6);
        assert_eq!(rim.add_write_perm_of_broker("a"), 2);
        assert_eq!(
            perm_of(&rim.pickup_topic_route_data("T").unwrap(), "a"),
            perm::READ | perm::WRITE
        );
        assert_eq!(rim.wipe_write_perm_of_broker("nobody"), 0);
    }

    #[test]
    fn route_json_from_the_table_equals_the_encoded_route() {
        let rim = RouteInfoManager::default();
        register(&rim, "b", "h:2", 0, &wrapper(1, &[("T", 4, 0)]), 2, 0);
        register(&rim, "a", "h:1", 0, &wrapper(1, &[("T", 8, 1)]), 1, 0);
        register(&rim, "a", "h:3", 1, &wrapper(1, &[]), 3, 0);
        let filters = ["fs:1".to_string()];
        rim.register_broker(
            &BrokerRegistration {
                cluster_name: "c1",
                broker_addr: "h:1",
                broker_name: "a",
                broker_id: 0,
                ha_server_addr: None,
                topic_config_wrapper: &wrapper(1, &[("T", 8, 1)]),
                filter_server_list: Some(&filters),
                connection: Some(1),
            },
            0,
        );
        for style in [JsonStyle::Fastjson, JsonStyle::Standard] {
            for conf in [None, Some("a:8")] {
                let mut route = rim.pickup_topic_route_data("T").unwrap();
                assert_eq!(route.filter_server_table.len(), 1);
                route.order_topic_conf = conf.map(str::to_string);
                assert_eq!(
                    rim.topic_route_json("T", style, conf).unwrap(),
                    route.encode_json(style)
                );
            }
        }
        assert!(rim
            .topic_route_json("missing", JsonStyle::Standard, None)
            .is_none());
    }

    #[test]
    fn delete_topic_in_one_cluster_or_everywhere() {
        let rim = RouteInfoManager::default();
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(1, &[("T", 4, 0), ("U", 4, 0)]),
            1,
            0,
        );
        rim.delete_topic_in_cluster("T", "other-cluster");
        assert!(rim.pickup_topic_route_data("T").is_some());
        rim.delete_topic_in_cluster("T", "c1");
        assert!(rim.pickup_topic_route_data("T").is_none());
        rim.delete_topic("U");
        assert_eq!(rim.topic_count(), 0);
    }

    #[test]
    fn topic_lists_by_cluster_system_and_unit_flags() {
        let rim = RouteInfoManager::default();
        register(
            &rim,
            "a",
            "h:1",
            0,
            &wrapper(
                1,
                &[
                    ("plain", 1, 0),
                    ("unit", 1, 1),
                    ("unitsub", 1, 2),
                    ("both", 1, 3),
                ],
            ),
            1,
            0,
        );
        let sorted = |mut l: TopicList| {
            l.topic_list.sort();
            l.topic_list
        };
        assert_eq!(sorted(rim.unit_topics()), vec!["both", "unit"]);
        assert_eq!(sorted(rim.has_unit_sub_topics()), vec!["both", "unitsub"]);
        assert_eq!(sorted(rim.has_unit_sub_ununit_topics()), vec!["unitsub"]);
        assert_eq!(sorted(rim.topics_by_cluster("c1")).len(), 4);
        assert!(rim.topics_by_cluster("nope").topic_list.is_empty());
        let sys = rim.system_topic_list();
        assert_eq!(sys.topic_list, vec!["a", "c1"]);
        assert_eq!(sys.broker_addr.as_deref(), Some("h:1"));
        assert_eq!(
            sorted(rim.all_topic_list()),
            vec!["both", "plain", "unit", "unitsub"]
        );
    }
}
