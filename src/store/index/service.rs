//! The set of IndexFiles (Java `IndexService`): builds index entries from dispatched records,
//! answers key queries, rolls to a new file when one is full, and deletes files that lie wholly
//! behind the CommitLog's minimum offset.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use super::file::{IndexFile, IndexFileError};
use crate::store::dispatch::{CommitLogDispatcher, DispatchRequest};

/// Transaction type bits of `sysFlag` (Java `MessageSysFlag`).
const TRANSACTION_TYPE_MASK: i32 = 0xC;
const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;

/// The MessageStoreConfig values the index needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexConfig {
    /// `maxHashSlotNum`, default 5,000,000.
    pub max_hash_slot_num: i32,
    /// `maxIndexNum`, default 20,000,000.
    pub max_index_num: i32,
    /// `messageIndexEnable`, default true: when false, dispatch builds no index.
    pub message_index_enable: bool,
    /// `maxMsgsNumBatch`, default 64: the cap on offsets a query returns.
    pub max_msgs_num_batch: i32,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            max_hash_slot_num: 5_000_000,
            max_index_num: 5_000_000 * 4,
            message_index_enable: true,
            max_msgs_num_batch: 64,
        }
    }
}

impl IndexConfig {
    /// The index settings of a store configuration.
    pub fn from_store_config(config: &crate::store::config::MessageStoreConfig) -> IndexConfig {
        IndexConfig {
            max_hash_slot_num: config.max_hash_slot_num,
            max_index_num: config.max_index_num,
            message_index_enable: config.message_index_enable,
            max_msgs_num_batch: config.max_msgs_num_batch,
        }
    }
}

/// What a key query found (Java `QueryOffsetResult`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOffsetResult {
    /// CommitLog offsets, newest file first, newest entry first within a file.
    pub phy_offsets: Vec<i64>,
    pub index_last_update_timestamp: i64,
    pub index_last_update_phy_offset: i64,
}

/// Called with a full file's end timestamp once that file is safely on disk: the value Java stores
/// as the checkpoint's `indexMsgTimestamp` (and then flushes the checkpoint).
pub type IndexFlushedHook = Box<dyn Fn(i64) + Send + Sync>;

/// All index files of a store, oldest first.
pub struct IndexService {
    dir: PathBuf,
    config: IndexConfig,
    files: RwLock<Vec<IndexFile>>,
    /// End timestamp of the newest full file known to be flushed (0 = none yet).
    index_msg_timestamp: Arc<AtomicI64>,
    on_flushed: Arc<RwLock<Option<IndexFlushedHook>>>,
    /// Set when no index file could be created (Java `RunningFlags.makeIndexFileError`, which
    /// makes the whole store refuse writes).
    index_error: AtomicBool,
}

impl std::fmt::Debug for IndexService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexService")
            .field("dir", &self.dir)
            .field("config", &self.config)
            .finish()
    }
}

impl IndexService {
    /// The service of a store: `<storePathRootDir>/index` with the configured geometry.
    pub fn from_store_config(config: &crate::store::config::MessageStoreConfig) -> IndexService {
        IndexService::new(config.index_dir(), IndexConfig::from_store_config(config))
    }

    /// A service over `<storePathRootDir>/index`; nothing is read until [`IndexService::load`].
    pub fn new(dir: impl Into<PathBuf>, config: IndexConfig) -> IndexService {
        IndexService {
            dir: dir.into(),
            config,
            files: RwLock::new(Vec::new()),
            index_msg_timestamp: Arc::new(AtomicI64::new(0)),
            on_flushed: Arc::new(RwLock::new(None)),
            index_error: AtomicBool::new(false),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// Installs the checkpoint hook (see [`IndexFlushedHook`]).
    pub fn set_on_flushed(&self, hook: IndexFlushedHook) {
        if let Ok(mut slot) = self.on_flushed.write() {
            *slot = Some(hook);
        }
    }

    /// Whether an index file could not be created (the store should then refuse writes, as
    /// Java's `RunningFlags.isWriteable()` does).
    pub fn is_index_error(&self) -> bool {
        self.index_error.load(Ordering::Acquire)
    }

    /// The `indexMsgTimestamp` this service has made safe so far (0 = none).
    pub fn index_msg_timestamp(&self) -> i64 {
        self.index_msg_timestamp.load(Ordering::Acquire)
    }

    /// Loads the index files in name order. After an abnormal exit, files whose end timestamp
    /// is past the checkpoint's `indexMsgTimestamp` are deleted (their tail may be torn; recovery
    /// re-dispatches those records), as Java's `IndexService.load`. A file with the wrong size is
    /// left on disk and skipped with a warning.
    pub fn load(
        &self,
        last_exit_ok: bool,
        checkpoint_index_msg_timestamp: i64,
    ) -> std::io::Result<()> {
        let mut names = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
                .map(|e| e.path())
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        names.sort();
        let mut loaded = Vec::with_capacity(names.len());
        for path in names {
            match IndexFile::open(
                &path,
                self.config.max_hash_slot_num,
                self.config.max_index_num,
            ) {
                Ok(file) => {
                    if !last_exit_ok && file.end_timestamp() > checkpoint_index_msg_timestamp {
                        tracing::info!(file = %path.display(), "index file newer than checkpoint after abnormal exit, deleting");
                        file.destroy()?;
                        continue;
                    }
                    tracing::info!(file = %path.display(), "load index file OK");
                    loaded.push(file);
                }
                Err(IndexFileError::Io { source, .. }) => return Err(source),
                Err(e) => tracing::warn!("skipping index file: {e}"),
            }
        }
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        *files = loaded;
        Ok(())
    }

    /// Java's `buildIndex`: one entry for `topic#uniqKey` and one per non-empty KEYS word.
    /// Rolled-back transaction records and records behind the newest file's end are skipped.
    pub fn build_index(&self, req: &DispatchRequest) {
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        if !self.ensure_writable_last(&mut files) {
            tracing::error!("build index error, stop building index");
            self.index_error.store(true, Ordering::Release);
            return;
        }
        let end_phy_offset = files.last().map(|f| f.end_phy_offset()).unwrap_or(0);
        if req.commit_log_offset < end_phy_offset {
            return;
        }
        if req.sys_flag & TRANSACTION_TYPE_MASK == TRANSACTION_ROLLBACK_TYPE {
            return;
        }
        let mut key = String::with_capacity(req.topic.len() + 1 + 64);
        if !req.uniq_key.is_empty()
            && !self.put_key(&mut files, &mut key, &req.topic, &req.uniq_key, req)
        {
            return;
        }
        for word in req.keys.split(' ').filter(|w| !w.is_empty()) {
            if !self.put_key(&mut files, &mut key, &req.topic, word, req) {
                return;
            }
        }
    }

    fn put_key(
        &self,
        files: &mut Vec<IndexFile>,
        buf: &mut String,
        topic: &str,
        key: &str,
        req: &DispatchRequest,
    ) -> bool {
        buf.clear();
        buf.push_str(topic);
        buf.push('#');
        buf.push_str(key);
        // At most one roll: a brand-new file always has room.
        for _ in 0..2 {
            if let Some(last) = files.last_mut() {
                if last.put_key(buf, req.commit_log_offset, req.store_timestamp) {
                    return true;
                }
            }
            tracing::warn!("index file is full, trying to create another one");
            if !self.ensure_writable_last(files) {
                break;
            }
        }
        tracing::error!(offset = req.commit_log_offset, key = %buf, "putKey error");
        self.index_error.store(true, Ordering::Release);
        false
    }

    /// Makes sure the last file has room, creating a successor when it is full (Java's
    /// `getAndCreateLastIndexFile`); the full predecessor is flushed on a background thread.
    fn ensure_writable_last(&self, files: &mut Vec<IndexFile>) -> bool {
        let (prev_end_phy, prev_end_ts, prev_path) = match files.last() {
            Some(last) if !last.is_write_full() => return true,
            Some(last) => (
                last.end_phy_offset(),
                last.end_timestamp(),
                Some(last.path().to_path_buf()),
            ),
            None => (0, 0, None),
        };
        if let Err(e) = std::fs::create_dir_all(&self.dir) {
            tracing::error!("cannot create index dir {}: {e}", self.dir.display());
            return false;
        }
        let mut now = now_millis();
        // Two files in the same millisecond would share a name: take the next free one.
        let created = loop {
            let path = self.dir.join(time_millis_to_human_string(now));
            match IndexFile::create(
                &path,
                self.config.max_hash_slot_num,
                self.config.max_index_num,
                prev_end_phy,
                prev_end_ts,
            ) {
                Err(IndexFileError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists =>
                {
                    now += 1;
                }
                other => break other,
            }
        };
        match created {
            Ok(file) => {
                files.push(file);
                if let Some(prev_path) = prev_path {
                    self.flush_full_file_in_background(prev_path, prev_end_ts);
                }
                true
            }
            Err(e) => {
                tracing::error!("getLastIndexFile exception: {e}");
                false
            }
        }
    }

    /// Java flushes a full file on a "FlushIndexFileThread" and then records its end timestamp
    /// in the checkpoint. fsync of the file descriptor writes back the pages dirtied through the
    /// mapping too, so the thread needs only the path.
    fn flush_full_file_in_background(&self, path: PathBuf, end_timestamp: i64) {
        let index_msg_timestamp = Arc::clone(&self.index_msg_timestamp);
        let hook = Arc::clone(&self.on_flushed);
        let spawned = std::thread::Builder::new()
            .name("FlushIndexFileThread".into())
            .spawn(move || {
                let synced = std::fs::File::open(&path).and_then(|f| f.sync_all());
                match synced {
                    Ok(()) if end_timestamp > 0 => {
                        index_msg_timestamp.fetch_max(end_timestamp, Ordering::AcqRel);
                        if let Ok(hook) = hook.read() {
                            if let Some(hook) = hook.as_ref() {
                                hook(end_timestamp);
                            }
                        }
                    }
                    Ok(()) => {}
                    Err(e) => tracing::error!("flush index file {} failed: {e}", path.display()),
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start FlushIndexFileThread: {e}");
        }
    }

    /// Java's `queryOffset`: offsets for `topic#key` stored in [begin, end], newest file first,
    /// at most `min(max_num, maxMsgsNumBatch)`.
    pub fn query_offsets(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin: i64,
        end: i64,
    ) -> QueryOffsetResult {
        let max_num = max_num.min(self.config.max_msgs_num_batch.max(0) as usize);
        let mut result = QueryOffsetResult {
            phy_offsets: Vec::with_capacity(max_num),
            ..Default::default()
        };
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        let full_key = format!("{topic}#{key}");
        for (i, f) in files.iter().enumerate().rev() {
            if i + 1 == files.len() {
                result.index_last_update_timestamp = f.end_timestamp();
                result.index_last_update_phy_offset = f.end_phy_offset();
            }
            if f.is_time_matched(begin, end) {
                f.select_phy_offsets(&mut result.phy_offsets, &full_key, max_num, begin, end);
            }
            if f.begin_timestamp() < begin || result.phy_offsets.len() >= max_num {
                break;
            }
        }
        result
    }

    /// Deletes the files (never the newest) whose end offset is behind `min_commit_log_offset`.
    /// Returns how many were deleted.
    pub fn delete_expired_files(&self, min_commit_log_offset: i64) -> usize {
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        let Some(first) = files.first() else { return 0 };
        if first.end_phy_offset() >= min_commit_log_offset {
            return 0;
        }
        let removable = files
            .iter()
            .take(files.len().saturating_sub(1))
            .take_while(|f| f.end_phy_offset() < min_commit_log_offset)
            .count();
        let mut deleted = 0;
        for file in files.drain(..removable) {
            let name = file.file_name();
            match file.destroy() {
                Ok(()) => deleted += 1,
                Err(e) => tracing::error!("deleteExpiredFile {name} failed: {e}"),
            }
        }
        deleted
    }

    /// Forces every file to disk (used at shutdown; Java relies on the page cache there).
    pub fn flush(&self) -> std::io::Result<()> {
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        for f in files.iter_mut() {
            f.flush()?;
        }
        Ok(())
    }

    /// Deletes every index file (Java's `destroy`, used when the store is wiped).
    pub fn destroy(&self) -> std::io::Result<()> {
        let mut files = self.files.write().unwrap_or_else(|p| p.into_inner());
        for f in files.drain(..) {
            f.destroy()?;
        }
        Ok(())
    }

    /// Calls `f` with the loaded files, oldest first (inspection, tests, admin).
    pub fn with_files<R>(&self, f: impl FnOnce(&[IndexFile]) -> R) -> R {
        let files = self.files.read().unwrap_or_else(|p| p.into_inner());
        f(&files)
    }
}

impl CommitLogDispatcher for IndexService {
    fn dispatch(&self, request: &DispatchRequest) {
        if self.config.message_index_enable {
            self.build_index(request);
        }
    }
}

fn now_millis() -> i64 {
    crate::java::current_time_millis()
}

/// `yyyyMMddHHmmssSSS` of an epoch-millisecond time, in UTC (Java uses the JVM's default
/// time zone; brokers run in UTC in practice, and the name only orders files).
pub fn time_millis_to_human_string(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}{ms:03}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_config_defaults_are_javas() {
        let store = crate::store::config::MessageStoreConfig::with_root("/tmp/x");
        assert_eq!(
            IndexConfig::from_store_config(&store),
            IndexConfig::default()
        );
        let service = IndexService::from_store_config(&store);
        assert_eq!(service.dir(), std::path::Path::new("/tmp/x/index"));
        let cqs = crate::store::consume_queue::ConsumeQueueStore::from_store_config(&store);
        assert_eq!(cqs.dir(), std::path::Path::new("/tmp/x/consumequeue"));
    }

    #[test]
    fn human_string_matches_java_format() {
        // The golden index file 20261123083458012 was created at this instant (UTC host).
        assert_eq!(
            time_millis_to_human_string(1_795_422_898_012),
            "20261123083458012"
        );
        assert_eq!(time_millis_to_human_string(0), "19700101000000000");
        assert_eq!(
            time_millis_to_human_string(951_782_400_000),
            "20000229000000000"
        );
    }
}
