//! Committed consumer offsets (Java `ConsumerOffsetManager`): `topic@group` -> queue -> next
//! offset to consume, kept in memory and written to `config/consumerOffset.json` every
//! `flushConsumerOffsetInterval` and at shutdown.

use crate::store::metadata::{
    ConfigFileError, ConsumerOffsetTable, StoreConfigFile, TOPIC_GROUP_SEPARATOR,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

pub struct ConsumerOffsetManager {
    store_root: PathBuf,
    table: Mutex<ConsumerOffsetTable>,
}

impl ConsumerOffsetManager {
    pub fn load(store_root: &Path) -> Result<ConsumerOffsetManager, ConfigFileError> {
        let (stored, _) = ConsumerOffsetTable::load_from(store_root)?;
        Ok(ConsumerOffsetManager {
            store_root: store_root.to_path_buf(),
            table: Mutex::new(stored.unwrap_or_default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ConsumerOffsetTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.lock().commit(topic, group, queue_id, offset);
    }

    /// The committed offset, or -1 when there is none (Java's `queryOffset`).
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        self.lock().offset(topic, group, queue_id).unwrap_or(-1)
    }

    /// Every queue's committed offset of a group on a topic.
    pub fn query_all(&self, group: &str, topic: &str) -> HashMap<i32, i64> {
        let table = self.lock();
        table
            .offset_table
            .get(&ConsumerOffsetTable::key(topic, group))
            .map(|q| q.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }

    fn split_key(key: &str) -> Option<(&str, &str)> {
        key.split_once(TOPIC_GROUP_SEPARATOR)
    }

    /// Topics a group has offsets for (`whichTopicByConsumer`).
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.lock()
            .offset_table
            .iter()
            .filter_map(|(k, _)| {
                Self::split_key(k)
                    .filter(|(_, g)| *g == group)
                    .map(|(t, _)| t.to_string())
            })
            .collect()
    }

    /// Groups that have offsets on a topic (`whichGroupByTopic`).
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.lock()
            .offset_table
            .iter()
            .filter_map(|(k, _)| {
                Self::split_key(k)
                    .filter(|(t, _)| *t == topic)
                    .map(|(_, g)| g.to_string())
            })
            .collect()
    }

    /// Drops a group's offsets on every topic (DELETE_SUBSCRIPTIONGROUP with cleanOffset).
    pub fn remove_group(&self, group: &str) {
        self.lock()
            .offset_table
            .retain(|k, _| Self::split_key(k).is_none_or(|(_, g)| g != group));
    }

    /// Drops every group's offsets on a topic (DELETE_TOPIC_IN_BROKER).
    pub fn remove_topic(&self, topic: &str) {
        self.lock()
            .offset_table
            .retain(|k, _| Self::split_key(k).is_none_or(|(t, _)| t != topic));
    }

    /// CLONE_GROUP_OFFSET.
    pub fn clone_offsets(&self, src_group: &str, dest_group: &str, topic: &str) {
        let mut table = self.lock();
        if let Some(offsets) = table
            .offset_table
            .get(&ConsumerOffsetTable::key(topic, src_group))
            .cloned()
        {
            table
                .offset_table
                .insert(ConsumerOffsetTable::key(topic, dest_group), offsets);
        }
    }

    /// The whole table (GET_ALL_CONSUMER_OFFSET and persistence).
    pub fn snapshot(&self) -> ConsumerOffsetTable {
        self.lock().clone()
    }

    /// Replaces the table (a slave syncing from its master).
    pub fn replace(&self, table: ConsumerOffsetTable) {
        *self.lock() = table;
    }

    /// Java `getOffsetTable().putAll(master's)`: every `topic@group` the master has takes the
    /// master's queue offsets; entries only this broker has are kept (a slave's metadata sync).
    pub fn put_all(&self, from: ConsumerOffsetTable) {
        let mut table = self.lock();
        for (key, queues) in from.offset_table.iter() {
            table.offset_table.insert(key.clone(), queues.clone());
        }
    }

    /// Writes consumerOffset.json from a snapshot, so commits are not held up by the disk.
    pub fn persist(&self) -> Result<(), ConfigFileError> {
        let snapshot = self.snapshot();
        snapshot.persist_to(&self.store_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_query_persist_reload() {
        let dir = std::env::temp_dir().join(format!("ferrocket-offsets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let m = ConsumerOffsetManager::load(&dir).unwrap();
        assert_eq!(m.query("g", "T", 0), -1);
        m.commit("g", "T", 0, 5);
        m.commit("g", "T", 1, 7);
        m.commit("g", "T", 0, 6);
        m.commit("h", "U", 0, 1);
        assert_eq!(m.query("g", "T", 0), 6);
        assert_eq!(m.query_all("g", "T"), HashMap::from([(0, 6), (1, 7)]));
        assert_eq!(m.topics_of_group("g"), vec!["T"]);
        assert_eq!(m.groups_of_topic("U"), vec!["h"]);
        m.clone_offsets("g", "g2", "T");
        assert_eq!(m.query("g2", "T", 1), 7);
        m.persist().unwrap();
        let text = std::fs::read_to_string(dir.join("config/consumerOffset.json")).unwrap();
        assert!(text.contains("\"T@g\":{0:6,1:7"), "{text}");

        let again = ConsumerOffsetManager::load(&dir).unwrap();
        assert_eq!(again.query("g", "T", 1), 7);
        again.remove_group("g");
        assert_eq!(again.query("g", "T", 1), -1);
        assert_eq!(again.query("g2", "T", 1), 7);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
