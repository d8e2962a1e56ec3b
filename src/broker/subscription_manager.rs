//! Consumer group settings (Java `SubscriptionGroupManager`): retry queues, max retries,
//! broadcast/consume switches, persisted to `config/subscriptionGroup.json`.

use crate::store::metadata::{
    ConfigFileError, DataVersion, StoreConfigFile, SubscriptionGroupConfig, SubscriptionGroupTable,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// `MixAll.CID_RMQ_SYS_PREFIX`: system consumer groups are created on demand even when
/// auto-creation is off.
pub const SYS_GROUP_PREFIX: &str = "CID_RMQ_SYS_";

/// The groups Java's `SubscriptionGroupManager.init` creates, and whether each may consume in
/// broadcast mode (all may; the ONS ones set it explicitly).
const SYSTEM_GROUPS: [&str; 7] = [
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
];

pub struct SubscriptionGroupManager {
    store_root: PathBuf,
    table: RwLock<SubscriptionGroupTable>,
    /// `autoCreateSubscriptionGroup`, changeable at runtime (UPDATE_BROKER_CONFIG).
    auto_create: AtomicBool,
}

impl SubscriptionGroupManager {
    pub fn load(
        store_root: &Path,
        auto_create: bool,
    ) -> Result<SubscriptionGroupManager, ConfigFileError> {
        let mut table = SubscriptionGroupTable::default();
        for group in SYSTEM_GROUPS {
            table
                .subscription_group_table
                .insert(group.to_string(), SubscriptionGroupConfig::new(group));
        }
        if let (Some(stored), _) = SubscriptionGroupTable::load_from(store_root)? {
            for (name, c) in stored.subscription_group_table.iter_java_order() {
                table
                    .subscription_group_table
                    .insert(name.clone(), c.clone());
            }
            table.data_version = stored.data_version;
        }
        Ok(SubscriptionGroupManager {
            store_root: store_root.to_path_buf(),
            table: RwLock::new(table),
            auto_create: AtomicBool::new(auto_create),
        })
    }

    /// UPDATE_BROKER_CONFIG `autoCreateSubscriptionGroup`.
    pub fn set_auto_create(&self, enable: bool) {
        self.auto_create.store(enable, Ordering::Relaxed);
    }

    fn read(&self) -> RwLockReadGuard<'_, SubscriptionGroupTable> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, SubscriptionGroupTable> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self, table: &mut SubscriptionGroupTable) -> Result<(), ConfigFileError> {
        table.data_version.next_version();
        table.persist_to(&self.store_root)
    }

    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.read().subscription_group_table.get(group).cloned()
    }

    /// Java `findSubscriptionGroupConfig`: the group's settings, created with defaults when
    /// auto-creation is on (or the group is a system group). `None`: unknown and not creatable.
    pub fn find_or_create(
        &self,
        group: &str,
    ) -> Result<Option<SubscriptionGroupConfig>, ConfigFileError> {
        if let Some(c) = self.get(group) {
            return Ok(Some(c));
        }
        if !(self.auto_create.load(Ordering::Relaxed) || group.starts_with(SYS_GROUP_PREFIX)) {
            return Ok(None);
        }
        let mut table = self.write();
        let created = table
            .subscription_group_table
            .entry_or_insert_with(group.to_string(), || SubscriptionGroupConfig::new(group))
            .clone();
        self.changed(&mut table)?;
        tracing::info!("auto-created subscription group {group}");
        Ok(Some(created))
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
    pub fn update(&self, config: SubscriptionGroupConfig) -> Result<(), ConfigFileError> {
        let mut table = self.write();
        let name = config.group_name.clone().unwrap_or_default();
        table.subscription_group_table.insert(name, config);
        self.changed(&mut table)
    }

    /// DELETE_SUBSCRIPTIONGROUP. True if it existed.
    pub fn delete(&self, group: &str) -> Result<bool, ConfigFileError> {
        let mut table = self.write();
        if table.subscription_group_table.remove(group).is_none() {
            return Ok(false);
        }
        self.changed(&mut table)?;
        Ok(true)
    }

    pub fn data_version(&self) -> DataVersion {
        self.read().data_version
    }

    /// The whole table (GET_ALL_SUBSCRIPTIONGROUP_CONFIG, slaves' metadata sync).
    pub fn snapshot(&self) -> SubscriptionGroupTable {
        self.read().clone()
    }

    /// Replaces the table (a slave syncing from its master).
    pub fn replace(&self, table: SubscriptionGroupTable) -> Result<(), ConfigFileError> {
        let mut current = self.write();
        *current = table;
        current.persist_to(&self.store_root)
    }

    pub fn persist(&self) -> Result<(), ConfigFileError> {
        self.read().persist_to(&self.store_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_groups_auto_create_and_reload() {
        let dir = std::env::temp_dir().join(format!("ferrocket-subgroups-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let m = SubscriptionGroupManager::load(&dir, false).unwrap();
        assert!(m.get("TOOLS_CONSUMER").is_some());
        assert_eq!(
            m.find_or_create("app_group").unwrap(),
            None,
            "auto-creation off"
        );
        let sys = m.find_or_create("CID_RMQ_SYS_TRANS").unwrap().unwrap();
        assert_eq!((sys.retry_queue_nums, sys.retry_max_times), (1, 16));

        let m = SubscriptionGroupManager::load(&dir, true).unwrap();
        assert!(m.get("CID_RMQ_SYS_TRANS").is_some(), "persisted");
        let g = m.find_or_create("app_group").unwrap().unwrap();
        assert_eq!(g.group_name.as_deref(), Some("app_group"));
        m.update(SubscriptionGroupConfig {
            retry_max_times: 3,
            ..g
        })
        .unwrap();
        let m2 = SubscriptionGroupManager::load(&dir, true).unwrap();
        assert_eq!(m2.get("app_group").unwrap().retry_max_times, 3);
        assert_eq!(m2.data_version(), m.data_version());
        assert!(m2.delete("app_group").unwrap());
        assert!(m2.get("app_group").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
