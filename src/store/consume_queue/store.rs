//! All ConsumeQueues of a store (Java's `consumeQueueTable` and the parts of
//! `DefaultMessageStore` that walk it): load, recover, find-or-create, dispatch, truncate,
//! flush, retention.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use super::queue::{ConsumeQueue, ConsumeQueueError};
use crate::protocol::topic::{SCHEDULE_TOPIC, TRANS_OP_HALF_TOPIC};
use crate::store::dispatch::{CommitLogDispatcher, DispatchRequest};

/// Transaction type bits of `sysFlag` (Java `MessageSysFlag.getTransactionValue`).
const TRANSACTION_TYPE_MASK: i32 = 0xC;
const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;

type Table = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// Every ConsumeQueue of a store, by topic and queue id.
pub struct ConsumeQueueStore {
    dir: PathBuf,
    file_size: usize,
    table: RwLock<Table>,
    /// Store timestamp of the last record dispatched into a queue (the checkpoint's
    /// `logicsMsgTimestamp`).
    logics_msg_timestamp: AtomicI64,
    /// Set when a unit could not be written (Java `RunningFlags.makeLogicsQueueError`); later
    /// dispatches are dropped, as Java's `isCQWriteable()` check does.
    logics_queue_error: AtomicBool,
    /// Deleted topics -> the CommitLog offset their deletion covered: a record of the topic
    /// stored below it but dispatched only after the deletion (dispatch runs behind the
    /// CommitLog) belongs to the deleted topic and must not re-create its queues, holding a
    /// unit at an old offset in front of the re-created topic's first message.
    deleted_below: std::sync::Mutex<HashMap<String, i64>>,
    /// Whether `deleted_below` has any entry: spares every dispatch the lock until a topic has
    /// been deleted.
    has_deletions: AtomicBool,
    /// Queues a topic deletion took out of the table whose files are not deleted yet
    /// ([`Self::destroy_deleted`] does that after the CommitLog's append lock is released, so
    /// sends do not wait for file removal). A queue of the re-created topic is created in the
    /// same directory only once these are gone; both paths delete them under this lock.
    doomed: std::sync::Mutex<Vec<Arc<ConsumeQueue>>>,
}

impl std::fmt::Debug for ConsumeQueueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeQueueStore")
            .field("dir", &self.dir)
            .field("file_size", &self.file_size)
            .field("queues", &self.queues().len())
            .finish()
    }
}

impl ConsumeQueueStore {
    /// A set over `<storePathRootDir>/consumequeue` with files of `file_size` bytes (use
    /// [`super::consume_queue_file_size`] on the configured value).
    pub fn new(dir: impl Into<PathBuf>, file_size: usize) -> ConsumeQueueStore {
        ConsumeQueueStore {
            dir: dir.into(),
            file_size,
            table: RwLock::new(HashMap::new()),
            logics_msg_timestamp: AtomicI64::new(0),
            logics_queue_error: AtomicBool::new(false),
            deleted_below: std::sync::Mutex::new(HashMap::new()),
            has_deletions: AtomicBool::new(false),
            doomed: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The queues of a store: `<storePathRootDir>/consumequeue`, files of
    /// `mappedFileSizeConsumeQueue` rounded up to whole units.
    pub fn from_store_config(
        config: &crate::store::config::MessageStoreConfig,
    ) -> ConsumeQueueStore {
        ConsumeQueueStore::new(config.consume_queue_dir(), config.consume_queue_file_size())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Maps every `<topic>/<queueId>` directory (Java `loadConsumeQueue`); directories whose name
    /// is not a number are skipped. Fails, naming the queue, when a file has the wrong size.
    pub fn load(&self) -> Result<(), ConsumeQueueError> {
        let topics = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(ConsumeQueueError::Io {
                    topic: String::new(),
                    queue_id: -1,
                    source,
                });
            }
        };
        let mut loaded: Table = HashMap::new();
        for topic_entry in topics.flatten() {
            if !topic_entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let Some(topic) = topic_entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(queues) = std::fs::read_dir(topic_entry.path()) else {
                continue;
            };
            for queue_entry in queues.flatten() {
                let Some(queue_id) = queue_entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<i32>().ok())
                else {
                    continue;
                };
                let cq = ConsumeQueue::new(&self.dir, &topic, queue_id, self.file_size);
                cq.load()?;
                loaded
                    .entry(topic.clone())
                    .or_default()
                    .insert(queue_id, Arc::new(cq));
            }
        }
        *self.write() = loaded;
        Ok(())
    }

    /// Recovers every queue and returns the largest CommitLog end any of them covers (-1 when
    /// none): the CommitLog recovery starts from there (Java `recoverConsumeQueue`).
    pub fn recover(&self) -> i64 {
        let mut max = -1;
        for cq in self.queues() {
            cq.recover();
            max = max.max(cq.max_physic_offset());
        }
        max
    }

    /// The queue, if it exists.
    pub fn find(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.read()
            .get(topic)
            .and_then(|m| m.get(&queue_id))
            .cloned()
    }

    /// The queue, created (empty, no file yet) when absent (Java `findConsumeQueue`). A topic
    /// that cannot be a directory name (empty, `.`, `..`, or with `/`, `\\`, NUL) is refused:
    /// it can only come from a corrupt record and must not reach outside the store.
    pub fn find_or_create(
        &self,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, ConsumeQueueError> {
        if let Some(cq) = self.find(topic, queue_id) {
            return Ok(cq);
        }
        check_queue_name(topic, queue_id)?;
        Ok(self.table_entry(&mut self.write(), topic, queue_id))
    }

    /// The queue in `table` (write-locked by the caller), put there empty when absent.
    fn table_entry(&self, table: &mut Table, topic: &str, queue_id: i32) -> Arc<ConsumeQueue> {
        let queues = table.entry(topic.to_string()).or_default();
        Arc::clone(queues.entry(queue_id).or_insert_with(|| {
            Arc::new(ConsumeQueue::new(
                &self.dir,
                topic,
                queue_id,
                self.file_size,
            ))
        }))
    }

    /// A snapshot of all queues.
    pub fn queues(&self) -> Vec<Arc<ConsumeQueue>> {
        self.read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// The queues of one topic, by queue id.
    pub fn topic_queues(&self, topic: &str) -> Vec<Arc<ConsumeQueue>> {
        let mut v: Vec<_> = self
            .read()
            .get(topic)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|q| q.queue_id());
        v
    }

    /// The largest CommitLog end covered by any queue (-1 when none).
    pub fn max_physical_offset(&self) -> i64 {
        self.queues()
            .iter()
            .map(|q| q.max_physic_offset())
            .max()
            .unwrap_or(-1)
    }

    /// Cuts every queue at `phy_offset` (Java `truncateDirtyLogicFiles`).
    pub fn truncate_dirty(&self, phy_offset: i64) {
        for cq in self.queues() {
            cq.truncate_dirty(phy_offset);
        }
    }

    /// After recovery: each queue's max offset (what the CommitLog's `topicQueueTable` starts
    /// from, keyed `topic-queueId` in Java) and each queue's min offset corrected against the
    /// CommitLog's minimum (Java `recoverTopicQueueTable`).
    pub fn recover_topic_queue_table(&self, commit_log_min_offset: i64) -> Vec<(String, i32, i64)> {
        let mut table = Vec::new();
        for cq in self.queues() {
            table.push((
                cq.topic().to_string(),
                cq.queue_id(),
                cq.max_offset_in_queue(),
            ));
            cq.correct_min_offset(commit_log_min_offset);
        }
        table
    }

    /// Puts the unit of a dispatched record (Java `putMessagePositionInfoWrapper`); updates the
    /// `logicsMsgTimestamp` on success. A failure marks the logics queues as broken.
    ///
    /// Against a concurrent topic deletion (which sets the fence, then removes the queues under
    /// the table's write lock): the fence is checked and the unit written while the table lock
    /// is held, so a deletion can neither destroy the queue between lookup and write nor be
    /// undone by a record of the deleted topic re-creating its queue.
    pub fn put(&self, req: &DispatchRequest) -> Result<(), ConsumeQueueError> {
        if let Some(written) = self.put_into_existing(req) {
            return written;
        }
        if let Err(e) = self.create_unless_fenced(req) {
            // A corrupt record, not a broken queue: skip it, keep dispatching.
            tracing::error!("dispatch skipped: {e}");
            return Err(e);
        }
        // None: deleted again since it was created; the fence then covers this record.
        self.put_into_existing(req).unwrap_or(Ok(()))
    }

    /// The write into the record's queue if it exists (under the read lock); `Some(Ok)` also
    /// when the record is fenced off by its topic's deletion.
    fn put_into_existing(&self, req: &DispatchRequest) -> Option<Result<(), ConsumeQueueError>> {
        let table = self.read();
        let cq = table.get(&req.topic)?.get(&req.queue_id)?;
        if self.deleted_before(&req.topic, req.commit_log_offset) {
            return Some(Ok(()));
        }
        Some(self.write_unit(cq, req))
    }

    /// Creates the record's queue (Java `findConsumeQueue`) unless the record belongs to a
    /// deleted topic; checked under the write lock, after which no deletion can slip in.
    fn create_unless_fenced(&self, req: &DispatchRequest) -> Result<(), ConsumeQueueError> {
        check_queue_name(&req.topic, req.queue_id)?;
        let mut table = self.write();
        if self.deleted_before(&req.topic, req.commit_log_offset) {
            return Ok(());
        }
        self.destroy_doomed(|cq| cq.topic() == req.topic);
        self.table_entry(&mut table, &req.topic, req.queue_id);
        Ok(())
    }

    fn write_unit(
        &self,
        cq: &ConsumeQueue,
        req: &DispatchRequest,
    ) -> Result<(), ConsumeQueueError> {
        match cq.put(
            req.commit_log_offset,
            req.msg_size,
            req.tags_code,
            req.consume_queue_offset,
            req.store_timestamp,
        ) {
            Ok(()) => {
                self.logics_msg_timestamp
                    .store(req.store_timestamp, Ordering::Release);
                Ok(())
            }
            Err(e) => {
                tracing::error!("[BUG] consume queue can not write: {e}");
                self.logics_queue_error.store(true, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Store timestamp of the last record put into a queue (0 before the first).
    pub fn logics_msg_timestamp(&self) -> i64 {
        self.logics_msg_timestamp.load(Ordering::Acquire)
    }

    /// Whether a unit could not be written (Java's "logics queue error" running flag).
    pub fn is_logics_queue_error(&self) -> bool {
        self.logics_queue_error.load(Ordering::Acquire)
    }

    /// Clears the error flag (Java `RunningFlags.clearLogicsQueueError`, an admin action).
    pub fn clear_logics_queue_error(&self) {
        self.logics_queue_error.store(false, Ordering::Release);
    }

    /// Flushes every queue with at least `least_pages` dirty pages (0 = everything), as Java's
    /// `FlushConsumeQueueService.doFlush`. The caller writes the checkpoint's
    /// `logicsMsgTimestamp` (read before the flush) after a full flush.
    pub fn flush(&self, least_pages: usize) -> std::io::Result<()> {
        let mut first_error = None;
        for cq in self.queues() {
            let result = if least_pages == 0 {
                cq.flush_all().map(|_| ())
            } else {
                cq.flush(least_pages).map(|_| ())
            };
            if let Err(e) = result {
                tracing::error!(
                    topic = cq.topic(),
                    queue_id = cq.queue_id(),
                    "flush consume queue failed: {e}"
                );
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Flushes everything dispatched so far.
    pub fn flush_all(&self) -> std::io::Result<()> {
        self.flush(0)
    }

    /// Destroys every queue and forgets them (the CommitLog is gone: Java `destroyLogics`).
    pub fn destroy_all(&self) {
        let table = std::mem::take(&mut *self.write());
        for cq in table.values().flat_map(|m| m.values()) {
            cq.destroy();
        }
        self.logics_msg_timestamp.store(0, Ordering::Release);
    }

    /// Deletes the files of every queue that lie wholly behind `commit_log_min_offset` (Java
    /// `CleanConsumeQueueService.deleteExpiredFiles`; the caller also tells the IndexService).
    /// Returns the number of files deleted.
    pub fn delete_expired_files(&self, commit_log_min_offset: i64) -> usize {
        self.queues()
            .iter()
            .map(|cq| cq.delete_expired_files(commit_log_min_offset))
            .sum()
    }

    /// Destroys whole queues whose last record is behind `commit_log_min_offset` (Java
    /// `cleanExpiredConsumerQueue`; never SCHEDULE_TOPIC_XXXX). Returns the removed
    /// (topic, queue id) pairs so the CommitLog can forget their next offsets.
    pub fn clean_expired_queues(&self, commit_log_min_offset: i64) -> Vec<(String, i32)> {
        let mut removed = Vec::new();
        let mut table = self.write();
        table.retain(|topic, queues| {
            if topic == SCHEDULE_TOPIC {
                return true;
            }
            queues.retain(|queue_id, cq| {
                let last = cq.last_commit_log_end();
                if last != -1 && last < commit_log_min_offset {
                    tracing::info!(topic = %topic, queue_id, commit_log_min_offset, last, "consumer queue destroyed");
                    cq.destroy();
                    removed.push((topic.clone(), *queue_id));
                    false
                } else {
                    true
                }
            });
            !queues.is_empty()
        });
        removed
    }

    /// Destroys every queue of the topics not in `keep` (Java `cleanUnusedTopic`; system
    /// schedule and transaction-op topics are always kept). Returns the removed topics.
    pub fn clean_unused_topics(&self, keep: &dyn Fn(&str) -> bool) -> Vec<String> {
        let mut removed = Vec::new();
        let mut table = self.write();
        table.retain(|topic, queues| {
            if keep(topic) || topic == SCHEDULE_TOPIC || topic == TRANS_OP_HALF_TOPIC {
                return true;
            }
            for cq in queues.values() {
                cq.destroy();
            }
            removed.push(topic.clone());
            false
        });
        removed
    }

    /// Whether a record of `topic` at `commit_log_offset` was stored before the topic's deletion.
    fn deleted_before(&self, topic: &str, commit_log_offset: i64) -> bool {
        if !self.has_deletions.load(Ordering::Acquire) {
            return false;
        }
        let fences = self.deleted_below.lock().unwrap_or_else(|p| p.into_inner());
        fences
            .get(topic)
            .is_some_and(|&fence| commit_log_offset < fence)
    }

    /// Topic deletion that also drops the topic's records below `stored_up_to` (the CommitLog's
    /// max offset once the topic's queue offsets were reset) if they are dispatched later.
    /// Takes the queues out of the table; their files go in [`Self::destroy_deleted`] (or
    /// before a queue of the re-created topic is made). Returns whether the topic had queues.
    pub fn delete_topic_stored_below(&self, topic: &str, stored_up_to: i64) -> bool {
        {
            let mut fences = self.deleted_below.lock().unwrap_or_else(|p| p.into_inner());
            let fence = fences.entry(topic.to_string()).or_insert(stored_up_to);
            *fence = (*fence).max(stored_up_to);
            self.has_deletions.store(true, Ordering::Release);
        }
        let Some(queues) = self.write().remove(topic) else {
            return false;
        };
        self.doomed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(queues.into_values());
        true
    }

    /// Deletes the files of the queues topic deletions took out of the table.
    pub fn destroy_deleted(&self) {
        self.destroy_doomed(|_| true);
    }

    fn destroy_doomed(&self, which: impl Fn(&ConsumeQueue) -> bool) {
        let mut doomed = self.doomed.lock().unwrap_or_else(|p| p.into_inner());
        doomed.retain(|cq| {
            if which(cq) {
                cq.destroy();
                return false;
            }
            true
        });
    }

    /// Destroys every queue of one topic at once. Returns whether it had any. The files go
    /// while the table is write-locked: a queue of the same name created meanwhile waits, then
    /// makes its directory afresh, instead of having it deleted under it.
    pub fn delete_topic(&self, topic: &str) -> bool {
        let mut table = self.write();
        match table.remove(topic) {
            Some(queues) => {
                for cq in queues.values() {
                    cq.destroy();
                }
                true
            }
            None => false,
        }
    }
}

/// A queue that can exist: a topic usable as a directory name (see [`is_safe_dir_name`]) and
/// a non-negative queue id.
fn check_queue_name(topic: &str, queue_id: i32) -> Result<(), ConsumeQueueError> {
    if is_safe_dir_name(topic) && queue_id >= 0 {
        return Ok(());
    }
    Err(ConsumeQueueError::BadQueue {
        topic: topic.to_string(),
        queue_id,
    })
}

/// Whether `name` is usable as one directory name under `consumequeue/`.
fn is_safe_dir_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

impl CommitLogDispatcher for ConsumeQueueStore {
    /// Java `CommitLogDispatcherBuildConsumeQueue`: normal and committed-transaction records
    /// get a unit; prepared and rolled-back ones do not.
    fn dispatch(&self, request: &DispatchRequest) {
        match request.sys_flag & TRANSACTION_TYPE_MASK {
            TRANSACTION_PREPARED_TYPE | TRANSACTION_ROLLBACK_TYPE => {}
            _ => {
                if self.is_logics_queue_error() {
                    return;
                }
                // The error is logged and flagged inside `put`.
                let _ = self.put(request);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(topic: &str, commit_log_offset: i64, consume_queue_offset: i64) -> DispatchRequest {
        DispatchRequest {
            topic: topic.to_string(),
            queue_id: 0,
            commit_log_offset,
            msg_size: 100,
            tags_code: 0,
            store_timestamp: 1,
            consume_queue_offset,
            keys: String::new(),
            uniq_key: String::new(),
            sys_flag: 0,
            prepared_transaction_offset: 0,
            success: true,
        }
    }

    /// Issue 4, item 5: a record of a deleted topic dispatched after the deletion (the
    /// dispatcher runs behind the CommitLog) re-created the queue with a unit at its old
    /// offset, so the re-created topic's first message was not alone in it.
    #[test]
    fn records_stored_before_a_topic_deletion_do_not_recreate_its_queue() {
        let dir = std::env::temp_dir().join(format!("ferrocket-cq-fence-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = ConsumeQueueStore::new(&dir, 20 * 64);
        store.dispatch(&record("T", 0, 0));
        assert_eq!(store.find("T", 0).map(|q| q.max_offset_in_queue()), Some(1));

        // Deleted while the record at 100 (queue offset 1) was stored but not yet dispatched.
        assert!(store.delete_topic_stored_below("T", 200));
        store.dispatch(&record("T", 100, 1));
        assert!(
            store.find("T", 0).is_none(),
            "the old record re-created the queue"
        );

        // The re-created topic's first message starts its queue at 0, alone.
        store.dispatch(&record("T", 200, 0));
        let q = store.find("T", 0).expect("re-created queue");
        assert_eq!(q.min_offset_in_queue(), 0);
        assert_eq!(q.max_offset_in_queue(), 1);
        // Other topics are not fenced.
        store.dispatch(&record("U", 150, 0));
        assert!(store.find("U", 0).is_some());
        store.destroy_all();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A deletion racing the dispatcher. The dispatcher has records of the old topic (stored
    /// below the fence) and, once the deletion is done, of the re-created topic (above it; the
    /// CommitLog stores none before, see `CommitLog::remove_topic_then`). However they
    /// interleave, the old records leave nothing (they neither re-create the queue nor write
    /// into the destroyed one) and the new topic's queue holds exactly its own records.
    #[test]
    fn a_deletion_racing_the_dispatcher_keeps_old_and_new_apart() {
        const FENCE: i64 = 1_000_000;
        let dir = std::env::temp_dir().join(format!("ferrocket-cq-race-{}", std::process::id()));
        for round in 0..150 {
            let _ = std::fs::remove_dir_all(&dir);
            let store = Arc::new(ConsumeQueueStore::new(&dir, 20 * 64));
            let deleted = Arc::new(AtomicBool::new(false));
            let dispatcher = {
                let (store, deleted) = (Arc::clone(&store), Arc::clone(&deleted));
                std::thread::spawn(move || {
                    for i in 0..40 {
                        let _ = store.put(&record("T", i * 100, i));
                    }
                    while !deleted.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                    for i in 0..40 {
                        store
                            .put(&record("T", FENCE + i * 100, i))
                            .expect("new record");
                    }
                })
            };
            for _ in 0..round % 40 {
                std::thread::yield_now();
            }
            store.delete_topic_stored_below("T", FENCE);
            deleted.store(true, Ordering::Release);
            store.destroy_deleted();
            dispatcher.join().unwrap();
            assert!(!store.is_logics_queue_error(), "round {round}");
            let q = store.find("T", 0).expect("the new topic's queue");
            assert_eq!(
                (q.min_offset_in_queue(), q.max_offset_in_queue()),
                (0, 40),
                "round {round}"
            );
            let first = q.unit_at(0).expect("unit 0");
            assert_eq!(first.commit_log_offset, FENCE, "round {round}");
            store.destroy_all();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
