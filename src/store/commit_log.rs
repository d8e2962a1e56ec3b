//! The CommitLog: every message of every topic, appended to one log of mapped files (Java
//! `CommitLog`).
//!
//! Appends are serialized by one mutex (Java's put-message lock). Inside it we only assign the
//! queue offset and physical offset, stamp the store time and copy the record straight into the
//! mapped tail; the body CRC, size checks and property handling happen before taking it. A single
//! writer is what keeps physical offsets, queue offsets and store timestamps in the same order
//! (consumers and recovery depend on that), and the critical section is a memcpy, so a lock-free
//! design would buy little.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::checkpoint::Checkpoint;
use super::config::{FlushDiskType, MessageStoreConfig};
use super::flush::{FlushService, FlushSettings};
use super::mapped_file::{MappedFile, MappedSlice};
use super::mapped_file_queue::MappedFileQueue;
use super::message::batch::BatchMessages;
use super::message::encode::{batch_message_layout, property_value, write_record, RecordHeader};
use super::message::msg_id::create_offset_msg_id;
use super::message::properties::Properties;
use super::message::record::StoredRecord;
use super::message::{
    body_crc, property, record_len, sys_flag, MessageExtBatch, MessageExtBrokerInner,
    BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH, SCHEDULE_TOPIC,
};

/// Outcome of a put, as Java's `PutMessageStatus` (the broker maps it to response codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMessageStatus {
    PutOk,
    FlushDiskTimeout,
    FlushSlaveTimeout,
    SlaveNotAvailable,
    ServiceNotAvailable,
    CreateMapedFileFailed,
    MessageIllegal,
    PropertiesSizeExceeded,
    OsPageCacheBusy,
    UnknownError,
    LmqConsumeQueueNumExceeded,
}

impl PutMessageStatus {
    /// Java's enum constant name.
    pub fn java_name(self) -> &'static str {
        match self {
            PutMessageStatus::PutOk => "PUT_OK",
            PutMessageStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            PutMessageStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            PutMessageStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            PutMessageStatus::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            PutMessageStatus::CreateMapedFileFailed => "CREATE_MAPEDFILE_FAILED",
            PutMessageStatus::MessageIllegal => "MESSAGE_ILLEGAL",
            PutMessageStatus::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
            PutMessageStatus::OsPageCacheBusy => "OS_PAGECACHE_BUSY",
            PutMessageStatus::UnknownError => "UNKNOWN_ERROR",
            PutMessageStatus::LmqConsumeQueueNumExceeded => "LMQ_CONSUME_QUEUE_NUM_EXCEEDED",
        }
    }

    /// Whether the message is stored (FLUSH_*/SLAVE_* statuses mean stored but not yet safe).
    pub fn is_stored(self) -> bool {
        matches!(
            self,
            PutMessageStatus::PutOk
                | PutMessageStatus::FlushDiskTimeout
                | PutMessageStatus::FlushSlaveTimeout
                | PutMessageStatus::SlaveNotAvailable
        )
    }
}

/// Java's `AppendMessageStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendMessageStatus {
    PutOk,
    EndOfFile,
    MessageSizeExceeded,
    PropertiesSizeExceeded,
    UnknownError,
}

/// What an append did (Java `AppendMessageResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessageResult {
    pub status: AppendMessageStatus,
    /// Physical offset of the first record written.
    pub wrote_offset: i64,
    /// Bytes written (all records of a batch).
    pub wrote_bytes: i32,
    pub store_timestamp: i64,
    /// Queue offset of the (first) message.
    pub logics_offset: i64,
    /// Messages written (batch size).
    pub msg_num: i32,
    pub store_host: SocketAddr,
    /// Physical offsets of every message of a batch (empty for a single message).
    pub batch_offsets: Vec<i64>,
}

impl AppendMessageResult {
    /// The offset message id; for a batch the ids joined by commas, as Java returns them.
    pub fn msg_id(&self) -> String {
        if self.batch_offsets.is_empty() {
            return create_offset_msg_id(&self.store_host, self.wrote_offset);
        }
        let ids: Vec<String> = self
            .batch_offsets
            .iter()
            .map(|&o| create_offset_msg_id(&self.store_host, o))
            .collect();
        ids.join(",")
    }

    /// The offset just after what was written.
    pub fn next_offset(&self) -> i64 {
        self.wrote_offset + self.wrote_bytes as i64
    }
}

/// A put's status and, when something was appended, the append's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMessageResult {
    pub status: PutMessageStatus,
    pub append: Option<AppendMessageResult>,
}

impl PutMessageResult {
    pub fn failed(status: PutMessageStatus) -> PutMessageResult {
        PutMessageResult {
            status,
            append: None,
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == PutMessageStatus::PutOk
    }
}

pub(crate) fn now_ms() -> i64 {
    crate::java::current_time_millis()
}

/// The next queue offset of every topic-queue (Java `topicQueueTable`, key `topic-queueId`).
#[derive(Debug, Default)]
struct PutState {
    topic_queue_table: FastMap<String, FastMap<i32, i64>>,
    spare: i64,
}

/// FNV-1a: the queue table is looked up on every append with short keys, where SipHash
/// dominated the lookup.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

impl PutState {
    /// The next-offset slot of a topic-queue, created at 0 (one hash lookup on the hot path).
    fn slot(&mut self, topic: &str, queue_id: i32) -> &mut i64 {
        if !self.topic_queue_table.contains_key(topic) {
            self.topic_queue_table
                .insert(topic.to_string(), FastMap::default());
        }
        match self.topic_queue_table.get_mut(topic) {
            Some(queues) => queues.entry(queue_id).or_insert(0),
            // Inserted just above; this arm only spares us a panic path.
            None => &mut self.spare,
        }
    }

    fn next_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.topic_queue_table
            .get(topic)
            .and_then(|q| q.get(&queue_id))
            .copied()
            .unwrap_or(0)
    }

    fn set_next_offset(&mut self, topic: &str, queue_id: i32, next: i64) {
        match self.topic_queue_table.get_mut(topic) {
            Some(q) => {
                q.insert(queue_id, next);
            }
            None => {
                self.topic_queue_table
                    .insert(topic.to_string(), FastMap::from_iter([(queue_id, next)]));
            }
        }
    }
}

/// The put lock, noting when it was taken until it is released.
struct PutLock<'a> {
    guard: MutexGuard<'a, PutState>,
    begin: &'a std::sync::atomic::AtomicI64,
}

impl std::ops::Deref for PutLock<'_> {
    type Target = PutState;
    fn deref(&self) -> &PutState {
        &self.guard
    }
}

impl std::ops::DerefMut for PutLock<'_> {
    fn deref_mut(&mut self) -> &mut PutState {
        &mut self.guard
    }
}

impl Drop for PutLock<'_> {
    fn drop(&mut self) {
        self.begin.store(0, Ordering::Release);
    }
}

/// Wakes the dispatcher (reput) thread after appends. Only the first append after the thread
/// went to sleep pays for a wake-up (`sleeping` is swapped off); the others see it awake. The
/// thread spins briefly before sleeping (see [`AppendNotifier::wait`]), so under steady load
/// appends never make a system call for it.
#[derive(Debug, Default)]
pub struct AppendNotifier {
    sleeping: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
}

impl AppendNotifier {
    pub fn notify(&self) {
        // Pairs with the fence in `wait`: either the sleeper sees our append, or we see it asleep.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) && self.sleeping.swap(false, Ordering::SeqCst) {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.cv.notify_all();
        }
    }

    /// Waits until `ready()` holds, a notification, or `timeout`: first a short spin (about
    /// 50 µs, yielding the core), then a sleep on the condition variable.
    pub fn wait(&self, timeout: Duration, ready: impl Fn() -> bool) {
        let spin_until = std::time::Instant::now() + Duration::from_micros(50);
        while std::time::Instant::now() < spin_until {
            if ready() {
                return;
            }
            std::thread::yield_now();
        }
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleeping.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        if !ready() {
            let _ = self.cv.wait_timeout(guard, timeout);
        }
        self.sleeping.store(false, Ordering::SeqCst);
    }
}

/// The CommitLog.
pub struct CommitLog {
    queue: Arc<MappedFileQueue>,
    put_state: Mutex<PutState>,
    /// When the current holder took the put lock (ms), 0 when free: Java's `beginTimeInLock`,
    /// read by the broker to refuse sends while an append is stuck (OS page cache busy).
    begin_time_in_lock: std::sync::atomic::AtomicI64,
    flush: FlushService,
    appended: Arc<AppendNotifier>,
    file_size: usize,
    /// `maxMessageSize`: largest body (Java's `maxMessageBodySize`); the largest whole record
    /// is this + 64 KiB, as Java's encoder. Changeable at runtime (`set_max_message_size`).
    max_body_size: AtomicUsize,
    delay_levels_ms: Vec<i64>,
    check_crc_on_recover: bool,
    /// `warmMapedFileEnable`: the prefault thread populates whole files, not just 32 MiB ahead
    /// (Java warms new files in its allocation thread; never under the append lock).
    warm_mapped_file: bool,
    prefault_stop: Arc<AtomicBool>,
    prefaulter: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// How far ahead of the write position the prefault thread keeps pages mapped writable.
const PREFAULT_AHEAD: usize = 32 << 20;
/// Smallest range worth a `madvise` call.
const PREFAULT_CHUNK: usize = 4 << 20;

/// Keeps the pages just ahead of the appender populated (Java warms whole files in its
/// allocation thread when `warmMapedFileEnable`; this is the cheap, always-on version), so the
/// append path copies into resident pages instead of faulting on each new one.
fn run_prefault(queue: Arc<MappedFileQueue>, stop: Arc<AtomicBool>, ahead: usize) {
    let mut file_from = i64::MIN;
    let mut done_until = 0usize;
    while !stop.load(Ordering::Acquire) {
        if let Some(file) = queue.last_file() {
            let wrote = file.wrote_position();
            if file.file_from_offset() != file_from {
                file_from = file.file_from_offset();
                done_until = wrote - wrote % super::mapped_file::OS_PAGE_SIZE;
            }
            let target = wrote.saturating_add(ahead).min(file.file_size());
            let start = done_until.max(wrote - wrote % super::mapped_file::OS_PAGE_SIZE);
            if target > start && (target - start >= PREFAULT_CHUNK || target == file.file_size()) {
                if let Err(e) = file.prefault(start, target - start) {
                    tracing::info!(error = %e, "page prefault unavailable; appends take their own page faults");
                    return;
                }
                done_until = target;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog")
            .field("queue", &self.queue)
            .finish()
    }
}

impl CommitLog {
    /// `maxMessageSize` now: the largest body a put accepts.
    pub fn max_body_size(&self) -> usize {
        self.max_body_size.load(Ordering::Relaxed)
    }

    /// UPDATE_BROKER_CONFIG `maxMessageSize`. Java's put path adopts a new value of at least
    /// 10 (`updateMaxMessageSize`) and keeps the old one otherwise; so do we.
    pub fn set_max_message_size(&self, max_message_size: i32) {
        if max_message_size >= 10 {
            self.max_body_size
                .store(max_message_size as usize, Ordering::Relaxed);
        }
    }

    pub fn new(config: &MessageStoreConfig, checkpoint: Option<Arc<Checkpoint>>) -> CommitLog {
        let queue = Arc::new(MappedFileQueue::new(
            config.commit_log_dir(),
            config.commit_log_file_size(),
        ));
        queue.set_preallocate(true);
        let max_body_size = config.max_message_size.max(0) as usize;
        CommitLog {
            flush: FlushService::new(
                Arc::clone(&queue),
                checkpoint,
                FlushSettings::from_config(config),
            ),
            queue,
            put_state: Mutex::new(PutState::default()),
            begin_time_in_lock: std::sync::atomic::AtomicI64::new(0),
            appended: Arc::new(AppendNotifier::default()),
            file_size: config.commit_log_file_size(),
            max_body_size: AtomicUsize::new(max_body_size),
            delay_levels_ms: config.delay_levels_ms().unwrap_or_else(|e| {
                tracing::error!(error = %e, "bad messageDelayLevel, delay levels disabled");
                Vec::new()
            }),
            check_crc_on_recover: config.check_crc_on_recover,
            warm_mapped_file: config.warm_maped_file_enable,
            prefault_stop: Arc::new(AtomicBool::new(false)),
            prefaulter: Mutex::new(None),
        }
    }

    fn state(&self) -> PutLock<'_> {
        let guard = self.put_state.lock().unwrap_or_else(|e| e.into_inner());
        self.begin_time_in_lock.store(now_ms(), Ordering::Release);
        PutLock {
            guard,
            begin: &self.begin_time_in_lock,
        }
    }

    /// Milliseconds the current append has held the put lock (0 when free). Java's
    /// `isOSPageCacheBusy` compares this with `osPageCacheBusyTimeOutMills`.
    pub fn lock_held_millis(&self) -> i64 {
        let begin = self.begin_time_in_lock.load(Ordering::Acquire);
        if begin == 0 {
            return 0;
        }
        (now_ms() - begin).max(0)
    }

    pub fn mapped_file_queue(&self) -> &Arc<MappedFileQueue> {
        &self.queue
    }

    pub fn file_size(&self) -> usize {
        self.file_size
    }

    pub fn delay_levels_ms(&self) -> &[i64] {
        &self.delay_levels_ms
    }

    pub fn check_crc_on_recover(&self) -> bool {
        self.check_crc_on_recover
    }

    pub fn append_notifier(&self) -> &Arc<AppendNotifier> {
        &self.appended
    }

    pub fn flush_service(&self) -> &FlushService {
        &self.flush
    }

    /// Maps the existing files (sizes checked); recovery then finds the real end.
    pub fn load(&self) -> io::Result<()> {
        self.queue.load()
    }

    pub fn start(&self) -> io::Result<()> {
        self.flush.start()?;
        let mut slot = self.prefaulter.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let (queue, stop) = (Arc::clone(&self.queue), Arc::clone(&self.prefault_stop));
            let ahead = if self.warm_mapped_file {
                usize::MAX
            } else {
                PREFAULT_AHEAD
            };
            *slot = Some(
                std::thread::Builder::new()
                    .name("commitlog-prefault".into())
                    .spawn(move || run_prefault(queue, stop, ahead))?,
            );
        }
        Ok(())
    }

    pub fn shutdown(&self) {
        self.prefault_stop.store(true, Ordering::Release);
        let handle = self
            .prefaulter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        self.flush.shutdown();
    }

    /// Offset of the first byte still stored (-1 when there is no file). A first file already
    /// deleted from disk counts as gone (Java `getMinOffset`).
    pub fn min_offset(&self) -> i64 {
        match self.queue.first_file() {
            Some(f) if !f.is_destroyed() => f.file_from_offset(),
            Some(f) => self.roll_next_file(f.file_from_offset()),
            None => -1,
        }
    }

    /// Offset after the last byte written.
    pub fn max_offset(&self) -> i64 {
        self.queue.max_offset()
    }

    /// Offset up to which everything is on disk.
    pub fn flushed_offset(&self) -> i64 {
        self.queue.flushed_where()
    }

    /// First offset of the file after the one holding `offset`.
    pub fn roll_next_file(&self, offset: i64) -> i64 {
        let size = self.file_size as i64;
        offset + size - offset % size
    }

    /// `size` bytes at `offset` (one record, for a pull), zero-copy.
    pub fn get_message(&self, offset: i64, size: usize) -> Option<MappedSlice> {
        let file = self.queue.find_by_offset(offset, offset == 0)?;
        let pos = (offset - file.file_from_offset()) as usize;
        file.slice(pos, size)
    }

    /// Everything readable from `offset` to the end of its file (HA transfer, reput).
    pub fn get_data(&self, offset: i64) -> Option<MappedSlice> {
        let file = self.queue.find_by_offset(offset, offset == 0)?;
        let pos = usize::try_from(offset - file.file_from_offset()).ok()?;
        file.slice_from(pos)
    }

    /// The whole record at `offset` (its size read from its first 4 bytes).
    pub fn record_at(&self, offset: i64) -> Option<MappedSlice> {
        let head = self.get_message(offset, 4)?;
        let size = i32::from_be_bytes(head[..4].try_into().ok()?);
        if size <= 0 {
            return None;
        }
        self.get_message(offset, size as usize)
    }

    /// Store timestamp of the record at `offset` (Java `pickupStoreTimestamp`), -1 if unreadable.
    pub fn pickup_store_timestamp(&self, offset: i64) -> i64 {
        self.record_at(offset)
            .and_then(|s| StoredRecord::decode(&s).ok().map(|r| r.store_timestamp))
            .unwrap_or(-1)
    }

    /// Next queue offset of a topic-queue.
    pub fn queue_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.state().next_offset(topic, queue_id)
    }

    /// Replaces the queue-offset table (after recovery, from the ConsumeQueues' max offsets).
    pub fn set_topic_queue_table(&self, entries: impl IntoIterator<Item = (String, i32, i64)>) {
        let mut state = self.state();
        state.topic_queue_table.clear();
        for (topic, queue_id, next) in entries {
            state.set_next_offset(&topic, queue_id, next);
        }
    }

    /// A snapshot of the queue-offset table.
    pub fn topic_queue_table(&self) -> Vec<(String, i32, i64)> {
        let state = self.state();
        let mut v: Vec<_> = state
            .topic_queue_table
            .iter()
            .flat_map(|(t, q)| q.iter().map(move |(id, off)| (t.clone(), *id, *off)))
            .collect();
        v.sort();
        v
    }

    pub fn remove_queue_from_topic_queue_table(&self, topic: &str, queue_id: i32) {
        let mut state = self.state();
        if let Some(q) = state.topic_queue_table.get_mut(topic) {
            q.remove(&queue_id);
            if q.is_empty() {
                state.topic_queue_table.remove(topic);
            }
        }
    }

    /// Forgets every queue offset of `topic` (topic deletion), then runs `then` with the
    /// CommitLog's end at that instant (the fence), all under the append lock. Every record
    /// stored below the fence carries the old topic's queue offsets; no record of the re-created
    /// topic (whose queue offsets start again at 0) can be stored until `then` has returned, so
    /// `then` removes the old topic's ConsumeQueues before any new record could reach them.
    pub fn remove_topic_then<R>(&self, topic: &str, then: impl FnOnce(i64) -> R) -> R {
        let mut state = self.state();
        state.topic_queue_table.remove(topic);
        then(self.queue.max_offset())
    }

    fn file_for_append(&self) -> Result<Arc<MappedFile>, PutMessageStatus> {
        let file = self.queue.last_file_or_create(0).map_err(|e| {
            tracing::error!(error = %e, "create mapped file error");
            PutMessageStatus::CreateMapedFileFailed
        })?;
        Ok(file)
    }

    /// Appends one message (Java `asyncPutMessage`, waiting for the flush in SYNC_FLUSH).
    pub fn put_message(&self, msg: MessageExtBrokerInner) -> PutMessageResult {
        self.put_message_diverting(msg, true)
    }

    /// Appends a message whose `DELAY` property is history, not a request: the schedule service
    /// re-putting a due message keeps Java's properties string (DELAY included) but must not
    /// divert it again (Java clears the level in the map, not in the string).
    pub fn put_due_message(&self, msg: MessageExtBrokerInner) -> PutMessageResult {
        self.put_message_diverting(msg, false)
    }

    fn put_message_diverting(
        &self,
        mut msg: MessageExtBrokerInner,
        divert: bool,
    ) -> PutMessageResult {
        let crc = body_crc(&msg.body);
        let tran = sys_flag::transaction_value(msg.sys_flag);
        // One pass over the properties for the two the store itself reads.
        let (delay, wait) = scan_delay_and_wait(&msg.properties_string);
        let delay = delay
            .and_then(|v| v.trim().parse::<i32>().ok())
            .unwrap_or(0);
        if divert
            && delay > 0
            && (tran == sys_flag::TRANSACTION_NOT_TYPE || tran == sys_flag::TRANSACTION_COMMIT_TYPE)
        {
            self.divert_delayed(&mut msg, delay);
        }
        msg.apply_host_flags();

        if msg.properties_string.len() > i16::MAX as usize {
            tracing::warn!(
                len = msg.properties_string.len(),
                "putMessage message properties length too long"
            );
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        if msg.topic.len() > i8::MAX as usize {
            tracing::warn!(
                len = msg.topic.len(),
                "putMessage message topic length too long"
            );
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let len = msg.record_len();
        let max_body_size = self.max_body_size();
        let max_record_size = max_body_size
            .saturating_add(64 * 1024)
            .min(i32::MAX as usize);
        if msg.body.len() > max_body_size || len > max_record_size {
            tracing::warn!(
                total = len,
                body = msg.body.len(),
                max = max_body_size,
                "message size exceeded"
            );
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if len + END_FILE_MIN_BLANK_LENGTH > self.file_size {
            tracing::warn!(
                total = len,
                file_size = self.file_size,
                "message larger than a CommitLog file"
            );
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }

        let result = {
            let mut state = self.state();
            let mut file = match self.file_for_append() {
                Ok(f) => f,
                Err(status) => return PutMessageResult::failed(status),
            };
            let store_timestamp = now_ms();
            let slot = state.slot(&msg.topic, msg.queue_id);
            let mut appended = None;
            for _ in 0..2 {
                let next_queue_offset = *slot;
                let outcome = file.append_with(|phy, tail| {
                    if len + END_FILE_MIN_BLANK_LENGTH > tail.len() {
                        return (write_blank(tail), None);
                    }
                    let counts = tran == sys_flag::TRANSACTION_NOT_TYPE
                        || tran == sys_flag::TRANSACTION_COMMIT_TYPE;
                    let queue_offset = if counts { next_queue_offset } else { 0 };
                    let header = RecordHeader {
                        body_crc: crc,
                        queue_id: msg.queue_id,
                        flag: msg.flag,
                        queue_offset,
                        physical_offset: phy,
                        sys_flag: msg.sys_flag,
                        born_timestamp: msg.born_timestamp,
                        born_host: &msg.born_host,
                        store_timestamp,
                        store_host: &msg.store_host,
                        reconsume_times: msg.reconsume_times,
                        prepared_transaction_offset: msg.prepared_transaction_offset,
                    };
                    write_record(
                        tail,
                        len,
                        &header,
                        &msg.body,
                        msg.topic.as_bytes(),
                        &[msg.properties_string.as_bytes()],
                    );
                    (len, Some((phy, queue_offset, counts)))
                });
                match outcome {
                    Some((phy, queue_offset, counts)) => {
                        if counts {
                            *slot = queue_offset + 1;
                        }
                        file.set_store_timestamp(store_timestamp);
                        appended = Some(AppendMessageResult {
                            status: AppendMessageStatus::PutOk,
                            wrote_offset: phy,
                            wrote_bytes: len as i32,
                            store_timestamp,
                            logics_offset: queue_offset,
                            msg_num: 1,
                            store_host: msg.store_host,
                            batch_offsets: Vec::new(),
                        });
                        break;
                    }
                    None => {
                        file = match self.file_for_append() {
                            Ok(f) => f,
                            Err(status) => return PutMessageResult::failed(status),
                        };
                    }
                }
            }
            match appended {
                Some(a) => a,
                None => return PutMessageResult::failed(PutMessageStatus::UnknownError),
            }
        };
        self.appended.notify();
        self.finish_put(result, wait)
    }

    /// Appends a batch (Java `asyncPutMessages`): every inner message gets its own record with a
    /// real body CRC, consecutive queue offsets, and the batch properties appended to its own.
    pub fn put_messages(&self, mut batch: MessageExtBatch) -> PutMessageResult {
        if sys_flag::transaction_value(batch.sys_flag) != sys_flag::TRANSACTION_NOT_TYPE {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        if property_value(&batch.properties_string, property::DELAY_TIME_LEVEL)
            .and_then(|v| v.trim().parse::<i32>().ok())
            .is_some_and(|level| level > 0)
        {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        batch.apply_host_flags();
        if batch.topic.len() > i8::MAX as usize || batch.body.len() > self.max_body_size() {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }
        let parsed = match BatchMessages::parse(&batch.body) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "bad batch body");
                return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
            }
        };
        let batch_props = batch.properties_string.as_bytes();
        if batch_props.len() > i16::MAX as usize {
            return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        // Everything but the offsets and the store time is computed outside the lock.
        let mut layouts = Vec::with_capacity(parsed.len());
        let mut total = 0usize;
        for m in &parsed.messages {
            let (props_len, parts) = batch_message_layout(&batch.body, m, batch_props);
            if props_len > i16::MAX as usize {
                return PutMessageResult::failed(PutMessageStatus::PropertiesSizeExceeded);
            }
            let body = &batch.body[m.body.clone()];
            let len = record_len(batch.sys_flag, body.len(), batch.topic.len(), props_len);
            total += len;
            layouts.push((len, body_crc(body), m, parts));
        }
        if total + END_FILE_MIN_BLANK_LENGTH > self.file_size {
            return PutMessageResult::failed(PutMessageStatus::MessageIllegal);
        }

        let result = {
            let mut state = self.state();
            let mut file = match self.file_for_append() {
                Ok(f) => f,
                Err(status) => return PutMessageResult::failed(status),
            };
            let store_timestamp = now_ms();
            let mut appended = None;
            for _ in 0..2 {
                let outcome = file.append_with(|phy, tail| {
                    if total + END_FILE_MIN_BLANK_LENGTH > tail.len() {
                        return (write_blank(tail), None);
                    }
                    let first_queue_offset = state.next_offset(&batch.topic, batch.queue_id);
                    let mut offsets = Vec::with_capacity(layouts.len());
                    let mut pos = 0usize;
                    for (i, (len, crc, m, parts)) in layouts.iter().enumerate() {
                        let header = RecordHeader {
                            body_crc: *crc,
                            queue_id: batch.queue_id,
                            flag: m.flag,
                            queue_offset: first_queue_offset + i as i64,
                            physical_offset: phy + pos as i64,
                            sys_flag: batch.sys_flag,
                            born_timestamp: batch.born_timestamp,
                            born_host: &batch.born_host,
                            store_timestamp,
                            store_host: &batch.store_host,
                            reconsume_times: batch.reconsume_times,
                            prepared_transaction_offset: 0,
                        };
                        write_record(
                            &mut tail[pos..],
                            *len,
                            &header,
                            &batch.body[m.body.clone()],
                            batch.topic.as_bytes(),
                            parts,
                        );
                        offsets.push(phy + pos as i64);
                        pos += len;
                    }
                    (total, Some((phy, first_queue_offset, offsets)))
                });
                match outcome {
                    Some((phy, first_queue_offset, offsets)) => {
                        state.set_next_offset(
                            &batch.topic,
                            batch.queue_id,
                            first_queue_offset + offsets.len() as i64,
                        );
                        file.set_store_timestamp(store_timestamp);
                        appended = Some(AppendMessageResult {
                            status: AppendMessageStatus::PutOk,
                            wrote_offset: phy,
                            wrote_bytes: total as i32,
                            store_timestamp,
                            logics_offset: first_queue_offset,
                            msg_num: offsets.len() as i32,
                            store_host: batch.store_host,
                            batch_offsets: offsets,
                        });
                        break;
                    }
                    None => {
                        file = match self.file_for_append() {
                            Ok(f) => f,
                            Err(status) => return PutMessageResult::failed(status),
                        };
                    }
                }
            }
            match appended {
                Some(a) => a,
                None => return PutMessageResult::failed(PutMessageStatus::UnknownError),
            }
        };
        self.appended.notify();
        let wait = batch.wait_store_msg_ok();
        self.finish_put(result, wait)
    }

    /// Flush handling after an append (Java `submitFlushRequest`).
    fn finish_put(&self, result: AppendMessageResult, wait: bool) -> PutMessageResult {
        let mut status = PutMessageStatus::PutOk;
        match self.flush.mode() {
            FlushDiskType::SyncFlush if wait => {
                if !self.flush.wait_flushed(result.next_offset()) {
                    tracing::warn!(offset = result.wrote_offset, "wait for flush timeout");
                    status = PutMessageStatus::FlushDiskTimeout;
                }
            }
            _ => self.flush.wakeup(),
        }
        PutMessageResult {
            status,
            append: Some(result),
        }
    }

    /// A delay-level message goes to SCHEDULE_TOPIC_XXXX, queue `level - 1`, with its real topic
    /// and queue in REAL_TOPIC/REAL_QID (Java does this inside `putMessage`).
    fn divert_delayed(&self, msg: &mut MessageExtBrokerInner, level: i32) {
        let max_level = self.delay_levels_ms.len() as i32;
        let level = level.min(max_level);
        if level <= 0 {
            return;
        }
        let mut props = Properties::parse(&msg.properties_string);
        props.insert(property::DELAY_TIME_LEVEL, &level.to_string());
        props.insert(property::REAL_TOPIC, &msg.topic);
        props.insert(property::REAL_QUEUE_ID, &msg.queue_id.to_string());
        msg.properties_string = props.to_java_string();
        msg.topic = SCHEDULE_TOPIC.to_string();
        msg.queue_id = level - 1;
    }

    /// Appends raw CommitLog bytes at `start_offset` (a slave receiving HA data; Java
    /// `appendData`). The bytes must continue the log exactly; they may span files.
    pub fn append_data(&self, start_offset: i64, data: &[u8]) -> io::Result<bool> {
        let _state = self.state();
        // An empty slave store takes its first bytes at any file boundary: a master streams
        // from the start of its last file to a slave that has nothing (Java creates the first
        // file there too).
        let fresh = self.queue.is_empty() && start_offset % self.file_size as i64 == 0;
        if start_offset != self.queue.max_wrote_position() && !fresh {
            return Ok(false);
        }
        let mut rest = data;
        let mut offset = start_offset;
        while !rest.is_empty() {
            let file = self.queue.last_file_or_create(offset)?;
            let n = rest.len().min(file.remaining());
            if n == 0 || !file.append(&rest[..n]) {
                return Ok(false);
            }
            rest = &rest[n..];
            offset += n as i64;
        }
        self.appended.notify();
        self.flush.wakeup();
        Ok(true)
    }

    /// Deletes files unmodified for `expired_ms` (all of them but the last when `clean_immediately`).
    pub fn delete_expired_files(
        &self,
        expired_ms: i64,
        interval_ms: u64,
        clean_immediately: bool,
    ) -> usize {
        self.queue
            .delete_expired_by_time(expired_ms, interval_ms, clean_immediately, now_ms())
    }
}

/// The DELAY value and the WAIT flag (default true) of a properties string, in one pass over
/// its bytes (last occurrence wins, as in a Java map).
fn scan_delay_and_wait(props: &str) -> (Option<&str>, bool) {
    let mut delay = None;
    let mut wait = true;
    for entry in props.split('\u{2}') {
        if let Some(v) = entry.strip_prefix("DELAY\u{1}") {
            if !v.is_empty() {
                delay = Some(v);
            }
        } else if let Some(v) = entry.strip_prefix("WAIT\u{1}") {
            if !v.is_empty() {
                wait = v != "false";
            }
        }
    }
    (delay, wait)
}

/// Writes a blank record header over the free tail (Java writes 8 bytes and counts the whole tail
/// as written) and returns the tail length.
fn write_blank(tail: &mut [u8]) -> usize {
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&(tail.len().min(i32::MAX as usize) as i32).to_be_bytes());
    header[4..].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
    let n = tail.len().min(8);
    tail[..n].copy_from_slice(&header[..n]);
    tail.len()
}
