//! The broker's topic table (Java `TopicConfigManager`): the system topics every broker has,
//! topics created by admins, auto-created on first send (from `TBW102`) or for consumer retries,
//! persisted to `<storePathRootDir>/config/topics.json` with a `DataVersion` the NameServer
//! uses to tell whether anything changed.
//!
//! Methods that create a topic report it (`created`), and the caller re-registers with the
//! NameServers, as Java's `registerBrokerAll` after a creation. Writes to topics.json are small
//! and rare (control plane), so they happen in the calling thread.

use crate::broker::config::BrokerConfig;
use crate::protocol::topic::{self, perm};
use crate::store::metadata::{
    ConfigFileError, DataVersion, StoreConfigFile, TopicConfig, TopicConfigSerializeWrapper,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Queues of SCHEDULE_TOPIC_XXXX: one per delay level.
pub const SCHEDULE_TOPIC_QUEUE_NUM: i32 = 18;

pub struct TopicConfigManager {
    store_root: PathBuf,
    table: RwLock<TopicConfigSerializeWrapper>,
    /// Topics Java adds to `TopicValidator`'s system set at start-up: cluster and broker name
    /// topics, the reply topic and the trace topic, on top of the fixed ones.
    extra_system_topics: Vec<String>,
    /// `autoCreateTopicEnable`, changeable at runtime (UPDATE_BROKER_CONFIG).
    auto_create_topic_enable: AtomicBool,
}

fn config(name: &str, queues: i32, perm: i32) -> TopicConfig {
    TopicConfig::new(name, queues, queues, perm)
}

impl TopicConfigManager {
    /// The system topics (Java's constructor), then whatever topics.json (or its .bak) holds.
    pub fn load(
        broker: &BrokerConfig,
        store_root: &Path,
    ) -> Result<TopicConfigManager, ConfigFileError> {
        let rw = perm::READ | perm::WRITE;
        let mut wrapper = TopicConfigSerializeWrapper::default();
        let mut extra = Vec::new();
        let mut put = |c: TopicConfig| {
            let name = c.topic_name.clone().unwrap_or_default();
            wrapper.topic_config_table.insert(name, c);
        };
        put(config(topic::SELF_TEST_TOPIC, 1, rw));
        if broker.auto_create_topic_enable {
            put(config(
                topic::AUTO_CREATE_TOPIC_KEY_TOPIC,
                broker.default_topic_queue_nums,
                perm::INHERIT | rw,
            ));
        }
        put(config(topic::BENCHMARK_TOPIC, 1024, rw));
        let cluster_perm = perm::INHERIT | if broker.cluster_topic_enable { rw } else { 0 };
        put(TopicConfig {
            perm: cluster_perm,
            ..config(&broker.broker_cluster_name, 16, 0)
        });
        extra.push(broker.broker_cluster_name.clone());
        let broker_perm = perm::INHERIT | if broker.broker_topic_enable { rw } else { 0 };
        put(config(&broker.broker_name, 1, broker_perm));
        extra.push(broker.broker_name.clone());
        put(config(topic::OFFSET_MOVED_EVENT, 1, rw));
        put(config(topic::SCHEDULE_TOPIC, SCHEDULE_TOPIC_QUEUE_NUM, rw));
        if broker.trace_topic_enable {
            put(config(&broker.msg_trace_topic_name, 1, rw));
            extra.push(broker.msg_trace_topic_name.clone());
        }
        let reply = topic::reply_topic(&broker.broker_cluster_name);
        put(config(&reply, 1, rw));
        extra.push(reply);

        let (stored, _source) = TopicConfigSerializeWrapper::load_from(store_root)?;
        if let Some(stored) = stored {
            for (name, c) in stored.topic_config_table.iter_java_order() {
                wrapper.topic_config_table.insert(name.clone(), c.clone());
            }
            wrapper.data_version = stored.data_version;
        }
        Ok(TopicConfigManager {
            store_root: store_root.to_path_buf(),
            table: RwLock::new(wrapper),
            extra_system_topics: extra,
            auto_create_topic_enable: AtomicBool::new(broker.auto_create_topic_enable),
        })
    }

    /// UPDATE_BROKER_CONFIG `autoCreateTopicEnable`. TBW102 is created at start-up only when
    /// the key is on (Java's constructor), so turning it on at runtime helps only a broker
    /// that has TBW102 (started with the key on, or TBW102 in topics.json).
    pub fn set_auto_create_topic_enable(&self, enable: bool) {
        self.auto_create_topic_enable
            .store(enable, Ordering::Relaxed);
    }

    fn read(&self) -> RwLockReadGuard<'_, TopicConfigSerializeWrapper> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, TopicConfigSerializeWrapper> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Bumps the version and writes topics.json (under the write lock, so writes are ordered).
    fn changed(&self, table: &mut TopicConfigSerializeWrapper) -> Result<(), ConfigFileError> {
        table.data_version.next_version();
        table.persist_to(&self.store_root)
    }

    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.read().topic_config_table.get(topic).cloned()
    }

    pub fn contains(&self, topic: &str) -> bool {
        self.read().topic_config_table.contains_key(topic)
    }

    pub fn data_version(&self) -> DataVersion {
        self.read().data_version
    }

    /// The whole table and its version (registration, GET_ALL_TOPIC_CONFIG).
    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        self.read().clone()
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.read()
            .topic_config_table
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Java's system-topic test, including the names this broker added at start-up.
    pub fn is_system_topic(&self, name: &str) -> bool {
        topic::is_system_topic(name) || self.extra_system_topics.iter().any(|t| t == name)
    }

    /// `TopicValidator.getSystemTopicSet()`: the fixed system topics, then the names this
    /// broker added at start-up, without duplicates, in insertion order.
    pub fn system_topic_names(&self) -> Vec<String> {
        let mut names: Vec<String> = topic::system_topics()
            .iter()
            .map(|t| t.to_string())
            .collect();
        for t in &self.extra_system_topics {
            if !names.contains(t) {
                names.push(t.clone());
            }
        }
        names
    }

    pub fn is_order_topic(&self, name: &str) -> bool {
        self.get(name).is_some_and(|c| c.order)
    }

    /// Java `createTopicInSendMessageMethod`: on the first send to an unknown topic, copy the
    /// queue settings of `default_topic` (TBW102) if it is inheritable. Returns the topic's
    /// config (existing or new; `None` when it cannot be created) and whether it was created.
    pub fn create_in_send(
        &self,
        topic_name: &str,
        default_topic: &str,
        client_default_queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Result<(Option<TopicConfig>, bool), ConfigFileError> {
        let mut table = self.write();
        if let Some(existing) = table.topic_config_table.get(topic_name) {
            return Ok((Some(existing.clone()), false));
        }
        let Some(default) = table.topic_config_table.get(default_topic) else {
            tracing::warn!(
                "create topic {topic_name}: default topic {default_topic} does not exist"
            );
            return Ok((None, false));
        };
        // With autoCreateTopicEnable off TBW102 is no template. Java strips TBW102's inherit
        // bit here for good, so turning the key back on at runtime would not bring
        // auto-creation back (nor would a restart, once topics.json holds the stripped perm);
        // we leave TBW102 as it is, so the key works both ways.
        let refused = default_topic == topic::AUTO_CREATE_TOPIC_KEY_TOPIC
            && !self.auto_create_topic_enable.load(Ordering::Relaxed);
        if refused || !perm::is_inherited(default.perm) {
            tracing::warn!("create topic {topic_name}: default topic {default_topic} is not inheritable (perm {})", default.perm);
            return Ok((None, false));
        }
        let queues = client_default_queue_nums
            .min(default.write_queue_nums)
            .max(0);
        let created = TopicConfig {
            topic_name: Some(topic_name.to_string()),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: default.perm & !perm::INHERIT,
            topic_filter_type: default.topic_filter_type,
            topic_sys_flag,
            order: false,
        };
        table
            .topic_config_table
            .insert(topic_name.to_string(), created.clone());
        tracing::info!("auto-created topic {topic_name} from {default_topic}: {queues} queues");
        self.changed(&mut table)?;
        Ok((Some(created), true))
    }

    /// Java `createTopicInSendMessageBackMethod` (retry topics) and
    /// `createTopicOfTranCheckMaxTime`: create with the given settings if absent.
    pub fn create_if_absent(
        &self,
        topic_name: &str,
        queue_nums: i32,
        perm: i32,
        topic_sys_flag: i32,
    ) -> Result<(TopicConfig, bool), ConfigFileError> {
        if let Some(existing) = self.get(topic_name) {
            return Ok((existing, false));
        }
        let mut table = self.write();
        if let Some(existing) = table.topic_config_table.get(topic_name) {
            return Ok((existing.clone(), false));
        }
        let created = TopicConfig {
            topic_sys_flag,
            ..config(topic_name, queue_nums, perm)
        };
        table
            .topic_config_table
            .insert(topic_name.to_string(), created.clone());
        self.changed(&mut table)?;
        Ok((created, true))
    }

    /// UPDATE_AND_CREATE_TOPIC: insert or replace.
    pub fn update(&self, config: TopicConfig) -> Result<(), ConfigFileError> {
        let mut table = self.write();
        let name = config.topic_name.clone().unwrap_or_default();
        table.topic_config_table.insert(name, config);
        self.changed(&mut table)
    }

    /// DELETE_TOPIC_IN_BROKER. True if the topic existed.
    pub fn delete(&self, topic_name: &str) -> Result<bool, ConfigFileError> {
        let mut table = self.write();
        if table.topic_config_table.remove(topic_name).is_none() {
            return Ok(false);
        }
        self.changed(&mut table)?;
        Ok(true)
    }

    /// Java `updateOrderTopicConfig`: the NameServer's ORDER_TOPIC_CONFIG names the ordered
    /// topics; every other topic is not ordered.
    pub fn update_order_topics(&self, order_topics: &[String]) -> Result<(), ConfigFileError> {
        let mut table = self.write();
        let mut changed = false;
        for (name, c) in table.topic_config_table.iter_mut() {
            let want = order_topics.contains(name);
            if c.order != want {
                c.order = want;
                changed = true;
            }
        }
        if changed {
            self.changed(&mut table)?;
        }
        Ok(())
    }

    /// Moves the version on without a table change (Java, after `brokerPermission` changed:
    /// the NameServer must take the re-announced permissions).
    pub fn next_data_version(&self) -> Result<(), ConfigFileError> {
        let mut table = self.write();
        self.changed(&mut table)
    }

    /// Takes a master's table and version as they are and writes topics.json (a slave's
    /// metadata sync, Java `SlaveSynchronize.syncTopicConfig`: clear, putAll, assign version).
    pub fn replace(&self, wrapper: TopicConfigSerializeWrapper) -> Result<(), ConfigFileError> {
        let mut table = self.write();
        *table = wrapper;
        table.persist_to(&self.store_root)
    }

    /// Writes topics.json as it is now (shutdown).
    pub fn persist(&self) -> Result<(), ConfigFileError> {
        self.read().persist_to(&self.store_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker() -> BrokerConfig {
        BrokerConfig {
            broker_name: "broker-a".into(),
            broker_cluster_name: "DefaultCluster".into(),
            ..Default::default()
        }
    }

    fn temp(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrocket-topics-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn system_topics_as_java_creates_them() {
        let dir = temp("sys");
        let m = TopicConfigManager::load(&broker(), &dir).unwrap();
        let tbw = m.get("TBW102").unwrap();
        assert_eq!(
            (tbw.read_queue_nums, tbw.write_queue_nums, tbw.perm),
            (8, 8, 7)
        );
        assert_eq!(m.get("SCHEDULE_TOPIC_XXXX").unwrap().write_queue_nums, 18);
        assert_eq!(m.get("BenchmarkTest").unwrap().write_queue_nums, 1024);
        assert_eq!(m.get("DefaultCluster").unwrap().perm, 7);
        assert_eq!(m.get("broker-a").unwrap().write_queue_nums, 1);
        assert!(m.get("DefaultCluster_REPLY_TOPIC").is_some());
        assert!(m.is_system_topic("broker-a"));
        assert!(!m.is_system_topic("GoldenJson"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn auto_create_persist_reload_delete() {
        let dir = temp("auto");
        let m = TopicConfigManager::load(&broker(), &dir).unwrap();
        let v0 = m.data_version();
        let (c, created) = m.create_in_send("NewTopic", "TBW102", 4, 0).unwrap();
        let c = c.unwrap();
        assert!(created);
        assert_eq!((c.read_queue_nums, c.write_queue_nums, c.perm), (4, 4, 6));
        assert_eq!(m.data_version().counter, v0.counter + 1);
        // Asking for more queues than TBW102 has gives TBW102's count.
        let (c, _) = m.create_in_send("Wide", "TBW102", 64, 0).unwrap();
        assert_eq!(c.unwrap().write_queue_nums, 8);
        // Existing topics come back unchanged, not re-created.
        let (_, created) = m.create_in_send("NewTopic", "TBW102", 2, 0).unwrap();
        assert!(!created);
        // No template: nothing created.
        assert_eq!(
            m.create_in_send("X", "NoSuchTopic", 4, 0).unwrap(),
            (None, false)
        );

        let (retry, created) = m.create_if_absent("%RETRY%g", 1, 6, 0).unwrap();
        assert!(created);
        assert_eq!(retry.write_queue_nums, 1);

        let again = TopicConfigManager::load(&broker(), &dir).unwrap();
        assert_eq!(again.get("NewTopic"), m.get("NewTopic"));
        assert_eq!(again.data_version(), m.data_version());
        assert!(again.delete("NewTopic").unwrap());
        assert!(!again.delete("NewTopic").unwrap());
        assert!(TopicConfigManager::load(&broker(), &dir)
            .unwrap()
            .get("NewTopic")
            .is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn auto_create_disabled_refuses_tbw102_template() {
        let dir = temp("noauto");
        let mut b = broker();
        b.auto_create_topic_enable = false;
        let m = TopicConfigManager::load(&b, &dir).unwrap();
        assert!(m.get("TBW102").is_none());
        assert_eq!(
            m.create_in_send("T", "TBW102", 4, 0).unwrap(),
            (None, false)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn order_topics_follow_the_namesrv_list() {
        let dir = temp("order");
        let m = TopicConfigManager::load(&broker(), &dir).unwrap();
        m.update(TopicConfig::new("O", 4, 4, 6)).unwrap();
        m.update_order_topics(&["O".to_string()]).unwrap();
        assert!(m.is_order_topic("O"));
        m.update_order_topics(&[]).unwrap();
        assert!(!m.is_order_topic("O"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
