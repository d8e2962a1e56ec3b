//! The message store facade (Java `DefaultMessageStore`): opens a store directory (lock, abort
//! detection, load, recovery), appends messages, serves pulls, lookups and key queries, runs the
//! background threads, and shuts down cleanly.
//!
//! Dispatch: a reput thread (Java `ReputMessageService`) follows the CommitLog and feeds each new
//! record to the ConsumeQueues and the IndexFiles. Appends stay short (no CQ or index work under
//! the append lock), a slave's replicated bytes and the records a clean-shutdown recovery finds
//! past the ConsumeQueues go through the very same path, and the thread sleeps on a condition
//! variable the appenders signal, so a new message is dispatched within microseconds (Java polls
//! every 1 ms). The price: a message is readable by pull a moment after `put_message` returns;
//! [`MessageStore::wait_dispatched`] waits for that.
//!
//! All methods block (file I/O, sync-flush waits): call them from `spawn_blocking` or a
//! dedicated thread, never from the async reactor.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::checkpoint::Checkpoint;
use super::commit_log::{now_ms, CommitLog, PutMessageResult, PutMessageStatus};
use super::config::{BrokerRole, MessageStoreConfig, CQ_STORE_UNIT_SIZE};
use super::consume_queue::ConsumeQueueError;
use super::consume_queue::{consume_queue_file_size, ConsumeQueueStore};
use super::dispatch::{CommitLogDispatcher, DispatchRequest};
use super::index::{IndexConfig, IndexService};
use super::mapped_file::MappedSlice;
use super::message::record::{check_record, DecodeError, RecordCheck, StoredRecord};
use super::message::{MessageExtBatch, MessageExtBrokerInner};
use super::pull_limits::PullLimits;
use super::recovery::{self, LogicFiles, RecoveryReport};
use super::retention::{CleanCommitLogService, RunningFlags};

/// Why the store could not open.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("Lock failed, MQ already started: {0}")]
    Locked(PathBuf),
    #[error(transparent)]
    ConsumeQueue(#[from] ConsumeQueueError),
}

/// Java `GetMessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    OffsetOverflowBadly,
    OffsetOverflowOne,
    OffsetTooSmall,
    NoMatchedLogicQueue,
    NoMessageInQueue,
}

/// Message filtering during a pull (Java `MessageFilter`).
pub trait MessageFilter {
    /// Decide by the ConsumeQueue unit's tags code.
    fn is_matched_by_consume_queue(&self, tags_code: i64) -> bool;
    /// Decide by the whole stored record (SQL92 filters).
    fn is_matched_by_commit_log(&self, record: &[u8]) -> bool;
}

/// What a pull found (Java `GetMessageResult`).
#[derive(Debug, Clone)]
pub struct GetMessageResult {
    pub status: GetMessageStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// The raw records, zero-copy; concatenated they are the PULL_MESSAGE response body.
    pub messages: Vec<MappedSlice>,
    pub buffer_total_size: usize,
    /// The consumer is far behind (its data is no longer in memory): pull from a slave.
    pub suggest_pulling_from_slave: bool,
}

impl GetMessageResult {
    fn empty(status: GetMessageStatus, next_begin_offset: i64) -> GetMessageResult {
        GetMessageResult {
            status,
            next_begin_offset,
            min_offset: 0,
            max_offset: 0,
            messages: Vec::new(),
            buffer_total_size: 0,
            suggest_pulling_from_slave: false,
        }
    }

    pub fn message_count(&self) -> usize {
        self.messages.len()
    }
}

/// What a key query found (Java `QueryMessageResult`).
#[derive(Debug, Clone, Default)]
pub struct QueryMessageResult {
    pub messages: Vec<MappedSlice>,
    pub index_last_update_timestamp: i64,
    pub index_last_update_phy_offset: i64,
}

/// Told about each dispatched message (long polling): topic, queue id, the queue's next offset,
/// tags code, store timestamp.
pub type MessageArrivingListener = Box<dyn Fn(&str, i32, i64, i64, i64) + Send + Sync>;

/// The ConsumeQueues and IndexFiles, as recovery and the reput thread see them.
struct Logics {
    consume_queues: Arc<ConsumeQueueStore>,
    index: Arc<IndexService>,
}

impl LogicFiles for Logics {
    fn dispatch(&self, request: &DispatchRequest) {
        self.consume_queues.dispatch(request);
        self.index.dispatch(request);
    }

    fn max_physical_offset(&self) -> i64 {
        self.consume_queues.max_physical_offset()
    }

    fn truncate_dirty(&self, phy_offset: i64) {
        self.consume_queues.truncate_dirty(phy_offset);
    }

    fn destroy_all(&self) {
        let mut topics: Vec<String> = self
            .consume_queues
            .queues()
            .iter()
            .map(|q| q.topic().to_string())
            .collect();
        topics.dedup();
        for t in topics {
            self.consume_queues.delete_topic(&t);
        }
    }

    fn flush_all(&self) -> io::Result<()> {
        self.consume_queues.flush(0)?;
        self.index.flush()
    }
}

/// Stop signal shared by the background threads.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    cv: Condvar,
}

impl Stop {
    /// Sleeps up to `d`; true when stopping.
    fn sleep(&self, d: Duration) -> bool {
        let guard = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        if *guard {
            return true;
        }
        let (guard, _) = self
            .cv
            .wait_timeout(guard, d)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }

    fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }
}

/// Raises its flag when dropped: marks a thread as gone, however it ended.
struct ExitFlag(Arc<AtomicBool>);

impl Drop for ExitFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// The housekeeping thread's schedule.
struct Housekeeping {
    last_thorough: Instant,
    last_clean: Instant,
    last_min_phy: i64,
}

/// The message store.
pub struct MessageStore {
    config: MessageStoreConfig,
    /// The config as UPDATE_BROKER_CONFIG last set it. Only the retention pass reads it
    /// (fileReservedTime, deleteWhen, diskMaxUsedSpaceRatio, cleanFileForciblyEnable,
    /// deleteCommitLogFilesInterval, cleanResourceInterval); `maxMessageSize` goes to the
    /// CommitLog and the pull batch bounds to `pull_limits`; every other key takes effect at
    /// the next start.
    live_config: RwLock<MessageStoreConfig>,
    pull_limits: PullLimits,
    commit_log: Arc<CommitLog>,
    logics: Arc<Logics>,
    checkpoint: Arc<Checkpoint>,
    running_flags: RunningFlags,
    clean_commit_log: CleanCommitLogService,
    reput_from: Arc<AtomicI64>,
    /// Set when the reput thread has left its loop (then `shutdown` dispatches what is left).
    reput_exited: Arc<AtomicBool>,
    last_exit_ok: bool,
    recovery: RecoveryReport,
    shutdown: AtomicBool,
    stop: Arc<Stop>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    arriving: Mutex<Option<Arc<MessageArrivingListener>>>,
    /// The flock'ed `lock` file; closed (lock released) at the end of `shutdown`, not when the
    /// last handle goes, so a reopen right after `shutdown()` never races a background thread
    /// still holding a handle.
    lock_file: Mutex<Option<File>>,
    total_physical_memory: u64,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore")
            .field("root", &self.config.store_path_root_dir)
            .field("min_phy", &self.commit_log.min_offset())
            .field("max_phy", &self.commit_log.max_offset())
            .finish()
    }
}

fn total_physical_memory() -> u64 {
    // SAFETY: sysconf has no memory effects.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        24 * 1024 * 1024 * 1024
    }
}

fn lock_store(path: &std::path::Path) -> Result<File, StoreError> {
    use std::os::fd::AsRawFd;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    // SAFETY: flock on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(StoreError::Locked(path.to_path_buf()));
    }
    // Java writes the word "lock" into it.
    use std::os::unix::fs::FileExt;
    file.write_all_at(b"lock", 0)?;
    Ok(file)
}

impl MessageStore {
    /// Opens the store under `config.storePathRootDir`: takes the `lock` file, loads the
    /// ConsumeQueues, CommitLog, checkpoint and IndexFiles, recovers (abnormally if `abort` is
    /// there), creates `abort`, and starts flushing, dispatching and housekeeping. Returns once
    /// every CommitLog record is dispatched.
    pub fn open(config: MessageStoreConfig) -> Result<Arc<MessageStore>, StoreError> {
        let root = config.root_dir();
        std::fs::create_dir_all(&root)?;
        let lock_file = lock_store(&config.lock_path())?;
        let last_exit_ok = !config.abort_path().exists();
        tracing::info!(root = %root.display(), last_exit_ok, "opening message store");

        let checkpoint = Arc::new(Checkpoint::open(&config.checkpoint_path())?);
        let consume_queues = Arc::new(ConsumeQueueStore::new(
            config.consume_queue_dir(),
            consume_queue_file_size(config.mapped_file_size_consume_queue as i64),
        ));
        consume_queues.load()?;
        let commit_log = Arc::new(CommitLog::new(&config, Some(Arc::clone(&checkpoint))));
        commit_log.load()?;
        let index = Arc::new(IndexService::new(
            config.index_dir(),
            IndexConfig {
                max_hash_slot_num: config.max_hash_slot_num,
                max_index_num: config.max_index_num,
                message_index_enable: config.message_index_enable,
                max_msgs_num_batch: config.max_msgs_num_batch,
            },
        ));
        index.load(last_exit_ok, checkpoint.index_msg_timestamp())?;
        {
            let cp = Arc::clone(&checkpoint);
            index.set_on_flushed(Box::new(move |ts| {
                cp.set_index_msg_timestamp(ts);
                if let Err(e) = cp.flush() {
                    tracing::warn!(error = %e, "checkpoint flush failed");
                }
            }));
        }
        let logics = Arc::new(Logics {
            consume_queues,
            index,
        });

        // Recovery: the ConsumeQueues first (they tell how far they got), then the CommitLog.
        logics.consume_queues.recover();
        let report = recovery::recover(
            &commit_log,
            logics.as_ref(),
            &checkpoint,
            !last_exit_ok,
            config.message_index_enable && config.message_index_safe,
        );
        commit_log.set_topic_queue_table(
            logics
                .consume_queues
                .recover_topic_queue_table(commit_log.min_offset()),
        );

        let store = Arc::new(MessageStore {
            live_config: RwLock::new(config.clone()),
            pull_limits: PullLimits::new(&config),
            config,
            commit_log,
            logics,
            checkpoint,
            running_flags: RunningFlags::default(),
            clean_commit_log: CleanCommitLogService::default(),
            reput_from: Arc::new(AtomicI64::new(0)),
            reput_exited: Arc::new(AtomicBool::new(false)),
            last_exit_ok,
            recovery: report,
            shutdown: AtomicBool::new(false),
            stop: Arc::new(Stop::default()),
            threads: Mutex::new(Vec::new()),
            arriving: Mutex::new(None),
            lock_file: Mutex::new(Some(lock_file)),
            total_physical_memory: total_physical_memory(),
        });
        store.start()?;
        Ok(store)
    }

    fn start(self: &Arc<Self>) -> Result<(), StoreError> {
        // Dispatch what the ConsumeQueues miss, from where they end (Java `start`).
        let mut from = self
            .logics
            .consume_queues
            .max_physical_offset()
            .max(self.commit_log.min_offset())
            .max(0);
        if from < self.commit_log.min_offset() {
            from = self.commit_log.min_offset();
        }
        self.reput_from.store(from, Ordering::Release);
        self.commit_log.start()?;
        let mut threads = Vec::new();
        // The threads hold only a `Weak`: a store dropped without `shutdown` still stops them
        // (through `Drop`) instead of being kept alive by them.
        {
            let weak = Arc::downgrade(self);
            let notifier = Arc::clone(self.commit_log.append_notifier());
            let (commit_log, reput_from, stop) = (
                Arc::clone(&self.commit_log),
                Arc::clone(&self.reput_from),
                Arc::clone(&self.stop),
            );
            let exited = ExitFlag(Arc::clone(&self.reput_exited));
            threads.push(
                std::thread::Builder::new()
                    .name("store-reput".into())
                    .spawn(move || {
                        // Raised however the loop ends (even by a panic): a `shutdown` running
                        // elsewhere then dispatches the rest itself instead of waiting for us.
                        let _exited = exited;
                        let mut reported_bad_at = -1i64;
                        loop {
                            let progressed = match weak.upgrade() {
                                Some(store) => store.reput_step(&mut reported_bad_at),
                                None => break,
                            };
                            let caught_up =
                                commit_log.max_offset() <= reput_from.load(Ordering::Acquire);
                            if stop.is_stopped() && (!progressed || caught_up) {
                                break;
                            }
                            if !progressed {
                                notifier.wait(Duration::from_millis(100), || {
                                    commit_log.max_offset() > reput_from.load(Ordering::Acquire)
                                        || stop.is_stopped()
                                });
                            }
                        }
                    })?,
            );
        }
        // Java waits for the reput to catch up before serving, then rebuilds the queue table.
        // A dispatch that stops moving (an unreadable record in an old file) must not hang the
        // start: after 2 s without progress we go on and say so.
        let mut last = (self.dispatch_behind_bytes(), Instant::now());
        while self.dispatch_behind_bytes() > 0 {
            let behind = self.dispatch_behind_bytes();
            if behind != last.0 {
                last = (behind, Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(2) {
                tracing::error!(behind, "dispatch is stuck during start; serving anyway");
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.commit_log.set_topic_queue_table(
            self.logics
                .consume_queues
                .recover_topic_queue_table(self.commit_log.min_offset()),
        );
        std::fs::write(self.config.abort_path(), b"")?;
        {
            let weak = Arc::downgrade(self);
            let stop = Arc::clone(&self.stop);
            let flush_interval =
                Duration::from_millis(self.config.flush_interval_consume_queue.max(1) as u64);
            threads.push(
                std::thread::Builder::new()
                    .name("store-housekeeping".into())
                    .spawn(move || {
                        let mut state = Housekeeping {
                            last_thorough: Instant::now(),
                            last_clean: Instant::now(),
                            last_min_phy: 0,
                        };
                        while !stop.sleep(flush_interval) {
                            match weak.upgrade() {
                                Some(store) => store.housekeeping_step(&mut state),
                                None => break,
                            }
                        }
                    })?,
            );
        }
        self.threads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(threads);
        Ok(())
    }

    pub fn config(&self) -> &MessageStoreConfig {
        &self.config
    }

    /// The config with UPDATE_BROKER_CONFIG's changes (see `live_config` field).
    pub fn live_config(&self) -> MessageStoreConfig {
        self.read_live_config().clone()
    }

    fn read_live_config(&self) -> std::sync::RwLockReadGuard<'_, MessageStoreConfig> {
        self.live_config.read().unwrap_or_else(|p| p.into_inner())
    }

    /// UPDATE_BROKER_CONFIG: the retention pass uses `config`'s values from its next run, the
    /// CommitLog its `maxMessageSize` from the next put, pulls the batch bounds from the next
    /// pull.
    pub fn update_live_config(&self, config: &MessageStoreConfig) {
        self.commit_log
            .set_max_message_size(config.max_message_size);
        self.pull_limits.refresh(config);
        *self.live_config.write().unwrap_or_else(|p| p.into_inner()) = config.clone();
    }

    pub fn commit_log(&self) -> &Arc<CommitLog> {
        &self.commit_log
    }

    pub fn consume_queues(&self) -> &Arc<ConsumeQueueStore> {
        &self.logics.consume_queues
    }

    pub fn index_service(&self) -> &Arc<IndexService> {
        &self.logics.index
    }

    pub fn checkpoint(&self) -> &Arc<Checkpoint> {
        &self.checkpoint
    }

    pub fn running_flags(&self) -> &RunningFlags {
        &self.running_flags
    }

    /// Whether the previous run shut down cleanly (no `abort` file).
    pub fn last_exit_ok(&self) -> bool {
        self.last_exit_ok
    }

    /// What recovery did at open.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    pub fn set_message_arriving_listener(&self, listener: MessageArrivingListener) {
        *self.arriving.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(listener));
    }

    fn check_store_status(&self) -> PutMessageStatus {
        if self.shutdown.load(Ordering::Acquire) {
            tracing::warn!("message store has shutdown, so putMessage is forbidden");
            return PutMessageStatus::ServiceNotAvailable;
        }
        if self.config.broker_role == BrokerRole::Slave {
            return PutMessageStatus::ServiceNotAvailable;
        }
        if !self.running_flags.is_writeable() {
            return PutMessageStatus::ServiceNotAvailable;
        }
        PutMessageStatus::PutOk
    }

    fn note_put(&self, result: &PutMessageResult) {
        if result.status == PutMessageStatus::CreateMapedFileFailed
            && self.running_flags.set(RunningFlags::DISK_FULL)
        {
            tracing::error!(
                "cannot create a CommitLog file (disk full?): refusing writes until space is back"
            );
        }
    }

    /// Stores one message.
    pub fn put_message(&self, msg: MessageExtBrokerInner) -> PutMessageResult {
        let status = self.check_store_status();
        if status != PutMessageStatus::PutOk {
            return PutMessageResult::failed(status);
        }
        // Java counts UTF-16 units; a string's char count never exceeds its byte length.
        if msg.topic.len() > i8::MAX as usize && msg.topic.encode_utf16().count() > i8::MAX as usize
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if msg.properties_string.len() > i16::MAX as usize
            && msg.properties_string.encode_utf16().count() > i16::MAX as usize
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let result = self.commit_log.put_message(msg);
        self.note_put(&result);
        result
    }

    /// Java `isOSPageCacheBusy`: an append has held the put lock longer than
    /// `osPageCacheBusyTimeOutMills` (the page cache is stalling writes).
    pub fn is_os_page_cache_busy(&self) -> bool {
        let held = self.commit_log.lock_held_millis();
        held > self.config.os_page_cache_busy_time_out_mills && held < 10_000_000
    }

    /// Stores a due delayed message without diverting it again (the schedule service; see
    /// `CommitLog::put_due_message`).
    pub fn put_due_message(&self, msg: MessageExtBrokerInner) -> PutMessageResult {
        let status = self.check_store_status();
        if status != PutMessageStatus::PutOk {
            return PutMessageResult::failed(status);
        }
        let result = self.commit_log.put_due_message(msg);
        self.note_put(&result);
        result
    }

    /// Stores a batch (SEND_BATCH_MESSAGE).
    pub fn put_messages(&self, batch: MessageExtBatch) -> PutMessageResult {
        let status = self.check_store_status();
        if status != PutMessageStatus::PutOk {
            return PutMessageResult::failed(status);
        }
        if batch.topic.encode_utf16().count() > i8::MAX as usize
            || batch.body.len() > self.commit_log.max_body_size()
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let result = self.commit_log.put_messages(batch);
        self.note_put(&result);
        result
    }

    fn next_offset_correction(&self, old: i64, new: i64) -> i64 {
        if self.config.broker_role != BrokerRole::Slave || self.config.offset_check_in_slave {
            new
        } else {
            old
        }
    }

    fn in_disk(&self, offset_py: i64, max_offset_py: i64) -> bool {
        let memory = self.pull_limits.memory_window(self.total_physical_memory);
        (max_offset_py - offset_py) as f64 > memory
    }

    fn is_batch_full(
        &self,
        size_py: i32,
        max_msg_nums: i32,
        buffer_total: usize,
        message_total: usize,
        in_disk: bool,
    ) -> bool {
        if buffer_total == 0 || message_total == 0 {
            return false;
        }
        if max_msg_nums as i64 <= message_total as i64 {
            return true;
        }
        let (max_bytes, max_count) = self.pull_limits.batch_bounds(in_disk);
        buffer_total as i64 + size_py as i64 > max_bytes as i64
            || message_total as i64 > max_count as i64 - 1
    }

    /// Pulls up to `max_msg_nums` messages of a queue from `offset` (Java `getMessage`): the
    /// ConsumeQueue units give the records' offsets, the CommitLog gives their bytes.
    pub fn get_message(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msg_nums: i32,
        filter: Option<&dyn MessageFilter>,
    ) -> GetMessageResult {
        if self.shutdown.load(Ordering::Acquire) {
            return GetMessageResult::empty(GetMessageStatus::NoMessageInQueue, offset);
        }
        let max_offset_py = self.commit_log.max_offset();
        let Some(cq) = self.logics.consume_queues.find(topic, queue_id) else {
            return GetMessageResult::empty(
                GetMessageStatus::NoMatchedLogicQueue,
                self.next_offset_correction(offset, 0),
            );
        };
        let min_offset = cq.min_offset_in_queue();
        let max_offset = cq.max_offset_in_queue();
        let mut result = GetMessageResult::empty(GetMessageStatus::NoMessageInQueue, offset);
        result.min_offset = min_offset;
        result.max_offset = max_offset;
        if max_offset == 0 {
            result.status = GetMessageStatus::NoMessageInQueue;
            result.next_begin_offset = self.next_offset_correction(offset, 0);
        } else if offset < min_offset {
            result.status = GetMessageStatus::OffsetTooSmall;
            result.next_begin_offset = self.next_offset_correction(offset, min_offset);
        } else if offset == max_offset {
            result.status = GetMessageStatus::OffsetOverflowOne;
            result.next_begin_offset = self.next_offset_correction(offset, offset);
        } else if offset > max_offset {
            result.status = GetMessageStatus::OffsetOverflowBadly;
            // 4.9.7 corrects to the max offset (older versions used the min when it was 0;
            // the golden consume-pull frames show nextBeginOffset = maxOffset).
            result.next_begin_offset = self.next_offset_correction(offset, max_offset);
        } else if let Some(units) = cq.units_from(offset) {
            result.status = GetMessageStatus::NoMatchedMessage;
            let mut next_phy_file_start = i64::MIN;
            let mut max_phy_offset_pulling = 0i64;
            let max_filter_units = (16000i64.max(max_msg_nums as i64 * CQ_STORE_UNIT_SIZE as i64)
                / CQ_STORE_UNIT_SIZE as i64) as usize;
            let mut scanned = 0usize;
            for unit in units.iter() {
                if scanned >= max_filter_units {
                    break;
                }
                scanned += 1;
                let offset_py = unit.commit_log_offset;
                let size_py = unit.size;
                max_phy_offset_pulling = offset_py;
                if next_phy_file_start != i64::MIN && offset_py < next_phy_file_start {
                    continue;
                }
                let in_disk = self.in_disk(offset_py, max_offset_py);
                if self.is_batch_full(
                    size_py,
                    max_msg_nums,
                    result.buffer_total_size,
                    result.messages.len(),
                    in_disk,
                ) {
                    scanned -= 1;
                    break;
                }
                if let Some(f) = filter {
                    if !f.is_matched_by_consume_queue(unit.tags_code) {
                        continue;
                    }
                }
                let Some(slice) = self
                    .commit_log
                    .get_message(offset_py, size_py.max(0) as usize)
                else {
                    if result.buffer_total_size == 0 {
                        result.status = GetMessageStatus::MessageWasRemoving;
                    }
                    next_phy_file_start = self.commit_log.roll_next_file(offset_py);
                    continue;
                };
                if let Some(f) = filter {
                    if !f.is_matched_by_commit_log(&slice) {
                        continue;
                    }
                }
                result.buffer_total_size += slice.len();
                result.messages.push(slice);
                result.status = GetMessageStatus::Found;
                next_phy_file_start = i64::MIN;
            }
            result.next_begin_offset = offset + scanned as i64;
            let diff = max_offset_py - max_phy_offset_pulling;
            let memory = self.pull_limits.memory_window(self.total_physical_memory);
            result.suggest_pulling_from_slave = diff as f64 > memory;
        } else {
            result.status = GetMessageStatus::OffsetFoundNull;
            result.next_begin_offset =
                self.next_offset_correction(offset, cq.roll_next_file(offset));
            tracing::warn!(
                topic,
                queue_id,
                offset,
                min_offset,
                max_offset,
                "consumer request topic offset found null"
            );
        }
        result
    }

    /// Whether the message at a queue offset is no longer in memory (Java
    /// `checkInDiskByConsumeOffset`): false when the queue or the offset does not exist.
    pub fn check_in_disk_by_consume_offset(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        self.logics
            .consume_queues
            .find(topic, queue_id)
            .and_then(|cq| cq.unit_at(offset))
            .is_some_and(|u| self.in_disk(u.commit_log_offset, self.commit_log.max_offset()))
    }

    /// The record at a physical offset (Java `lookMessageByOffset` / `selectOneMessageByOffset`).
    pub fn look_message_by_offset(&self, commit_log_offset: i64) -> Option<MappedSlice> {
        self.commit_log.record_at(commit_log_offset)
    }

    /// Messages whose KEYS or UNIQ_KEY is `key`, stored in `[begin, end]` (Java `queryMessage`).
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max_num: usize,
        begin: i64,
        end: i64,
    ) -> QueryMessageResult {
        let found = self
            .logics
            .index
            .query_offsets(topic, key, max_num, begin, end);
        let mut result = QueryMessageResult {
            messages: Vec::new(),
            index_last_update_timestamp: found.index_last_update_timestamp,
            index_last_update_phy_offset: found.index_last_update_phy_offset,
        };
        for offset in found.phy_offsets {
            let Some(slice) = self.commit_log.record_at(offset) else {
                continue;
            };
            // Hash collisions: keep only records of this topic.
            let same_topic = StoredRecord::decode(&slice)
                .map(|r| r.topic == topic.as_bytes())
                .unwrap_or(false);
            if same_topic {
                result.messages.push(slice);
            } else {
                tracing::warn!(topic, key, offset, "queryMessage hash duplicate");
            }
        }
        result
    }

    /// One past the last offset of a queue (0 when it does not exist).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.logics
            .consume_queues
            .find(topic, queue_id)
            .map_or(0, |cq| cq.max_offset_in_queue())
    }

    /// The first readable offset of a queue (-1 when it does not exist).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.logics
            .consume_queues
            .find(topic, queue_id)
            .map_or(-1, |cq| cq.min_offset_in_queue())
    }

    /// The queue offset of the message stored closest to `timestamp` (Java `getOffsetInQueueByTime`).
    pub fn offset_in_queue_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        let Some(cq) = self.logics.consume_queues.find(topic, queue_id) else {
            return 0;
        };
        let commit_log = &self.commit_log;
        cq.offset_by_time(timestamp, commit_log.min_offset(), |offset, _size| {
            commit_log.pickup_store_timestamp(offset)
        })
    }

    /// Store time of a queue's message (Java `getMessageStoreTimeStamp`), -1 when unknown.
    pub fn message_store_timestamp(
        &self,
        topic: &str,
        queue_id: i32,
        consume_queue_offset: i64,
    ) -> i64 {
        self.logics
            .consume_queues
            .find(topic, queue_id)
            .and_then(|cq| cq.unit_at(consume_queue_offset))
            .map_or(-1, |u| {
                self.commit_log.pickup_store_timestamp(u.commit_log_offset)
            })
    }

    /// Store time of a queue's first readable message (Java `getEarliestMessageTime`), -1 when none.
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> i64 {
        let min = self.min_offset_in_queue(topic, queue_id);
        if min < 0 {
            return -1;
        }
        self.message_store_timestamp(topic, queue_id, min)
    }

    /// Store time of the oldest CommitLog record (Java `getEarliestMessageTime()`), -1 when none.
    pub fn earliest_commit_log_time(&self) -> i64 {
        let min = self.commit_log.min_offset();
        if min < 0 {
            return -1;
        }
        self.commit_log.pickup_store_timestamp(min)
    }

    pub fn min_phy_offset(&self) -> i64 {
        self.commit_log.min_offset()
    }

    pub fn max_phy_offset(&self) -> i64 {
        self.commit_log.max_offset()
    }

    /// CommitLog bytes from `offset` to the end of its file (HA transfer).
    pub fn commit_log_data(&self, offset: i64) -> Option<MappedSlice> {
        self.commit_log.get_data(offset)
    }

    /// Appends replicated bytes on a slave; the reput thread dispatches them.
    pub fn append_to_commit_log(&self, start_offset: i64, data: &[u8]) -> io::Result<bool> {
        if self.shutdown.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.commit_log.append_data(start_offset, data)
    }

    /// CommitLog bytes not yet dispatched to the ConsumeQueues/IndexFiles.
    pub fn dispatch_behind_bytes(&self) -> i64 {
        (self.commit_log.max_offset() - self.reput_from.load(Ordering::Acquire)).max(0)
    }

    /// Waits until every appended record is dispatched (false after `timeout`).
    pub fn wait_dispatched(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.dispatch_behind_bytes() > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        true
    }

    /// One CommitLog retention pass as if the disk were `disk_ratio` full at `hour` (the
    /// housekeeping thread runs it every `cleanResourceInterval` with the measured ratio; tests
    /// and tools use this to simulate a full disk). ConsumeQueue and IndexFile files behind the
    /// new CommitLog minimum are deleted too.
    pub fn run_retention_with(&self, disk_ratio: f64, hour: i32) -> super::retention::CleanPass {
        let pass = self.clean_commit_log.run_with_ratio(
            &self.config,
            &self.commit_log,
            &self.running_flags,
            disk_ratio,
            hour,
        );
        let min_phy = self.commit_log.min_offset();
        if pass.deleted > 0 && min_phy > 0 {
            self.logics.consume_queues.delete_expired_files(min_phy);
            self.logics.index.delete_expired_files(min_phy);
        }
        pass
    }

    /// Admin "delete expired CommitLog files now".
    pub fn execute_delete_files_manually(&self) {
        self.clean_commit_log.execute_delete_files_manually();
    }

    /// One pass of the dispatcher over the readable bytes of the file at the reput offset;
    /// returns whether it moved.
    fn reput_step(&self, reported_bad_at: &mut i64) -> bool {
        let delay_levels = self.commit_log.delay_levels_ms();
        let mut from = self.reput_from.load(Ordering::Acquire);
        let min = self.commit_log.min_offset();
        if from < min {
            tracing::warn!(
                from,
                min,
                "reput offset behind the CommitLog minimum; skipping ahead"
            );
            from = min;
            self.reput_from.store(from, Ordering::Release);
        }
        let mut progressed = false;
        if from >= self.commit_log.max_offset() {
            return false;
        }
        let Some(data) = self.commit_log.get_data(from) else {
            return false;
        };
        let mut pos = 0usize;
        while pos < data.len() {
            match check_record(&data[pos..], false, delay_levels) {
                RecordCheck::Message(req) => {
                    self.logics.dispatch(&req);
                    pos += req.msg_size as usize;
                    self.reput_from.store(from + pos as i64, Ordering::Release);
                    progressed = true;
                    self.notify_arriving(&req);
                }
                RecordCheck::Blank => {
                    let next = self.commit_log.roll_next_file(from + pos as i64);
                    self.reput_from.store(next, Ordering::Release);
                    progressed = true;
                    break;
                }
                // More bytes to come (a slave receives records in arbitrary chunks).
                RecordCheck::Invalid(DecodeError::Truncated { .. }) => break,
                RecordCheck::Invalid(e) => {
                    let at = from + pos as i64;
                    if *reported_bad_at != at {
                        tracing::error!(offset = at, error = %e, "reput: unreadable CommitLog record; dispatch stalls here");
                        *reported_bad_at = at;
                    }
                    break;
                }
            }
        }
        progressed
    }

    fn notify_arriving(&self, req: &DispatchRequest) {
        if self.config.broker_role == BrokerRole::Slave {
            return;
        }
        let listener = self
            .arriving
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(l) = listener {
            l(
                &req.topic,
                req.queue_id,
                req.consume_queue_offset + 1,
                req.tags_code,
                req.store_timestamp,
            );
        }
    }

    fn flush_consume_queues(&self, least_pages: usize) {
        let logics_ts = self.logics.consume_queues.logics_msg_timestamp();
        if let Err(e) = self.logics.consume_queues.flush(least_pages) {
            tracing::warn!(error = %e, "consume queue flush failed");
            return;
        }
        if least_pages == 0 {
            if logics_ts > 0 {
                self.checkpoint.set_logics_msg_timestamp(logics_ts);
            }
            if let Err(e) = self.checkpoint.flush() {
                tracing::warn!(error = %e, "checkpoint flush failed");
            }
        }
    }

    fn housekeeping_step(&self, state: &mut Housekeeping) {
        let c = &self.config;
        let thorough = Duration::from_millis(c.flush_consume_queue_thorough_interval.max(0) as u64);
        let clean_interval =
            Duration::from_millis(self.read_live_config().clean_resource_interval.max(1) as u64);
        let mut least = c.flush_consume_queue_least_pages.max(0) as usize;
        if state.last_thorough.elapsed() >= thorough {
            state.last_thorough = Instant::now();
            least = 0;
        }
        self.flush_consume_queues(least);
        if self.logics.consume_queues.is_logics_queue_error() {
            self.running_flags
                .set(RunningFlags::WRITE_LOGICS_QUEUE_ERROR);
        }
        if state.last_clean.elapsed() >= clean_interval {
            state.last_clean = Instant::now();
            // A copy: the pass may sleep between deletions, an update must not wait for it.
            let live = self.live_config();
            self.clean_commit_log
                .run_once(&live, &self.commit_log, &self.running_flags);
            // ConsumeQueue/IndexFile cleanup follows the CommitLog minimum.
            let min_phy = self.commit_log.min_offset();
            if min_phy > state.last_min_phy {
                state.last_min_phy = min_phy;
                self.logics.consume_queues.delete_expired_files(min_phy);
                self.logics.index.delete_expired_files(min_phy);
            }
        }
    }

    /// Clean shutdown: stops the threads (the reput first catches up), flushes the CommitLog,
    /// ConsumeQueues, IndexFiles and checkpoint, and removes `abort` (kept when something is
    /// wrong, so the next start recovers as after a crash).
    pub fn shutdown(&self) {
        self.shut_down(false);
    }

    /// `shutdown`, also run by `Drop` (`last_handle_dropped`) on whichever thread drops the last
    /// handle: the caller, the reput thread or the housekeeping thread.
    fn shut_down(&self, last_handle_dropped: bool) {
        if self.shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(
            thread = std::thread::current().name().unwrap_or("?"),
            last_handle_dropped,
            "message store shutting down"
        );
        // Let the reput finish what is appended (bounded, as Java's 5 s). One thread at a time
        // dispatches; this one does when the reput thread cannot: we are it, it has left its
        // loop, or the last handle is gone (it steps only while holding an upgraded handle, and
        // none can be upgraded any more; it may not even have been scheduled yet to notice).
        let on_reput = std::thread::current().name() == Some("store-reput");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut reported = -1;
        while self.dispatch_behind_bytes() > 0 && Instant::now() < deadline {
            let ours = on_reput || last_handle_dropped || self.reput_exited.load(Ordering::Acquire);
            if !(ours && self.reput_step(&mut reported)) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        self.stop.stop();
        self.commit_log.append_notifier().notify();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            if t.thread().id() == std::thread::current().id() {
                continue; // dropped from inside this thread: it ends by itself
            }
            let _ = t.join();
        }
        self.flush_consume_queues(0);
        self.commit_log.shutdown();
        if let Err(e) = self.logics.index.flush() {
            tracing::warn!(error = %e, "index flush failed at shutdown");
        }
        let physic_ts = self.commit_log.mapped_file_queue().store_timestamp();
        if physic_ts > 0 {
            self.checkpoint.set_physic_msg_timestamp(physic_ts);
        }
        if let Err(e) = self.checkpoint.flush() {
            tracing::warn!(error = %e, "checkpoint flush failed at shutdown");
        }
        if self.running_flags.is_writeable() && self.dispatch_behind_bytes() == 0 {
            if let Err(e) = std::fs::remove_file(self.config.abort_path()) {
                tracing::warn!(error = %e, "could not remove the abort file");
            }
            tracing::info!(at = now_ms(), "message store shut down normally");
        } else {
            tracing::warn!("the store may be wrong, so shutdown abnormally, and keep abort file.");
        }
        // Release the store lock now: everything is on disk.
        drop(
            self.lock_file
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shut_down(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store thread other than the reput thread (as the housekeeping thread, which upgrades
    /// its handle every `flushIntervalConsumeQueue`) holds the last handle right after an
    /// append: the `Drop` on that thread skips joining itself, dispatches what the reput thread
    /// did not, and completes the shutdown (abort removed, lock released).
    #[test]
    fn a_store_thread_dropping_the_last_handle_completes_the_shutdown() {
        let root = std::env::temp_dir().join(format!("ferrocket-ms-drop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut config = MessageStoreConfig::with_root(&root);
        config.mapped_file_size_commit_log = 64 * 1024;
        config.mapped_file_size_consume_queue = 20 * 64;
        config.max_hash_slot_num = 100;
        config.max_index_num = 400;
        let store = MessageStore::open(config.clone()).unwrap();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<Arc<MessageStore>>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let store = go_rx.recv().unwrap();
            let r = store.put_message(MessageExtBrokerInner::new(
                "DroppedOnStoreThread",
                0,
                bytes::Bytes::from_static(b"late"),
            ));
            assert!(r.append.is_some());
            // The last handle (unless the reput thread's momentary one outlives it): Drop
            // runs here, with the message most likely not yet dispatched.
            drop(store);
            let _ = done_tx.send(());
        });
        // Registered as the store's own threads are, so shutdown would join it.
        store.threads.lock().unwrap().push(holder);
        go_tx.send(store).unwrap();
        done_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the drop on a store thread deadlocked");
        // Had the reput thread's handle outlived ours, the shutdown runs there: wait for the lock.
        let started = Instant::now();
        let store = loop {
            match MessageStore::open(config.clone()) {
                Ok(store) => break store,
                Err(e) => assert!(started.elapsed() < Duration::from_secs(20), "{e}"),
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        assert!(store.last_exit_ok(), "the shutdown removed abort");
        assert_eq!(store.max_offset_in_queue("DroppedOnStoreThread", 0), 1);
        store.shutdown();
        drop(store);
        let _ = std::fs::remove_dir_all(&root);
    }
}
