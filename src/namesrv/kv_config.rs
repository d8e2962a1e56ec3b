//! Namespaced key/value configuration (Java `KVConfigManager`), persisted to `kvConfigPath` as
//! `{"configTable":{namespace:{key:value}}}` after every change and loaded at start.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use crate::fastjson;
use crate::protocol::body::{KvConfigSerializeWrapper, KvTable};

type Table = BTreeMap<String, BTreeMap<String, String>>;

/// The KV store.
#[derive(Debug)]
pub struct KvConfigManager {
    path: PathBuf,
    table: RwLock<Table>,
    /// Serializes file writes so a slower older snapshot never overwrites a newer one.
    persist_lock: Mutex<()>,
}

impl KvConfigManager {
    /// An empty store that persists to `path`. Call [`load`](Self::load) to read the file.
    pub fn new(path: impl Into<PathBuf>) -> KvConfigManager {
        KvConfigManager {
            path: path.into(),
            table: RwLock::new(Table::new()),
            persist_lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Java `load()`: merges the file's content in. A missing file is an empty store; an
    /// unreadable or malformed one is logged and skipped (the NameServer still starts, as Java's).
    pub fn load(&self) {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "load KV config table failed");
                return;
            }
        };
        match fastjson::decode::<KvConfigSerializeWrapper>(&text) {
            Ok(loaded) => {
                let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
                for (ns, entries) in loaded.config_table {
                    table.insert(ns, entries);
                }
                tracing::info!(path = %self.path.display(), "load KV config table OK");
            }
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "KV config file is not valid JSON")
            }
        }
    }

    /// Java `putKVConfig`, then persists.
    pub fn put(&self, namespace: &str, key: &str, value: &str) {
        {
            let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
            let prev = table
                .entry(namespace.to_string())
                .or_default()
                .insert(key.to_string(), value.to_string());
            tracing::info!(
                namespace,
                key,
                value,
                update = prev.is_some(),
                "putKVConfig"
            );
        }
        self.persist();
    }

    /// Java `deleteKVConfig`, then persists (even when nothing was deleted, as Java does).
    pub fn delete(&self, namespace: &str, key: &str) {
        {
            let mut table = self.table.write().unwrap_or_else(|e| e.into_inner());
            if let Some(entries) = table.get_mut(namespace) {
                let value = entries.remove(key);
                tracing::info!(namespace, key, ?value, "deleteKVConfig");
            }
        }
        self.persist();
    }

    /// Java `getKVConfig`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        table
            .get(namespace)
            .and_then(|entries| entries.get(key))
            .cloned()
    }

    /// Java `getKVListByNamespace`: `None` when the namespace does not exist (an emptied
    /// namespace still exists, as in Java).
    pub fn list_namespace(&self, namespace: &str) -> Option<KvTable> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        table.get(namespace).map(|entries| KvTable {
            table: entries.clone(),
        })
    }

    /// Writes the file the way Java's `MixAll.string2File` does: the new content to `<path>.tmp`,
    /// the previous content to `<path>.bak`, then the tmp file renamed over the original.
    pub fn persist(&self) {
        let _serial = self.persist_lock.lock().unwrap_or_else(|e| e.into_inner());
        let content = {
            let table = self.table.read().unwrap_or_else(|e| e.into_inner());
            fastjson::encode_compact(&KvConfigSerializeWrapper {
                config_table: table.clone(),
            })
        };
        if let Err(e) = write_file_safely(&self.path, &content) {
            tracing::error!(path = %self.path.display(), error = %e, "persist kvconfig failed");
        }
    }
}

/// Java `MixAll.string2File`.
pub fn write_file_safely(path: &Path, content: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let tmp = append_ext(path, ".tmp");
    std::fs::write(&tmp, content)?;
    match std::fs::read(path) {
        Ok(prev) => std::fs::write(append_ext(path, ".bak"), prev)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::rename(&tmp, path)
}

fn append_ext(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}
