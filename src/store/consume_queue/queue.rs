//! One ConsumeQueue: append (with Java's gap fill and repeated-put rules), recovery, truncation,
//! min/max offsets, reads for pulls, search by time, flush and retention.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::CQ_STORE_UNIT_SIZE;
use crate::store::mapped_file::{MappedFile, MappedSlice};
use crate::store::mapped_file_queue::MappedFileQueue;

const UNIT: usize = CQ_STORE_UNIT_SIZE;

/// One 20-byte unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqUnit {
    pub commit_log_offset: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqUnit {
    /// Decodes a unit from the first 20 bytes of `b` (`None` when shorter).
    pub fn decode(b: &[u8]) -> Option<CqUnit> {
        let b: &[u8; UNIT] = b.get(..UNIT)?.try_into().ok()?;
        let (off, rest) = b.split_at(8);
        let (size, tags) = rest.split_at(4);
        Some(CqUnit {
            commit_log_offset: i64::from_be_bytes(off.try_into().ok()?),
            size: i32::from_be_bytes(size.try_into().ok()?),
            tags_code: i64::from_be_bytes(tags.try_into().ok()?),
        })
    }

    pub fn encode(&self) -> [u8; UNIT] {
        let mut out = [0u8; UNIT];
        out[..8].copy_from_slice(&self.commit_log_offset.to_be_bytes());
        out[8..12].copy_from_slice(&self.size.to_be_bytes());
        out[12..].copy_from_slice(&self.tags_code.to_be_bytes());
        out
    }

    /// Java's test for a written unit during recovery: `offset >= 0 && size > 0`.
    pub fn is_valid(&self) -> bool {
        self.commit_log_offset >= 0 && self.size > 0
    }
}

/// The blank unit Java writes in front of a queue whose first message has a queue offset > 0.
const PRE_BLANK: CqUnit = CqUnit {
    commit_log_offset: 0,
    size: i32::MAX,
    tags_code: 0,
};

/// A run of consecutive units, borrowed zero-copy from the mapped file (Java's
/// `SelectMappedBufferResult` of `getIndexBuffer`).
#[derive(Debug, Clone)]
pub struct CqUnits {
    slice: MappedSlice,
    start_index: i64,
}

impl CqUnits {
    /// Logical offset of the first unit.
    pub fn start_index(&self) -> i64 {
        self.start_index
    }

    /// Number of whole units.
    pub fn len(&self) -> usize {
        self.slice.len() / UNIT
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes (whole units).
    pub fn bytes(&self) -> &[u8] {
        &self.slice[..self.len() * UNIT]
    }

    /// Unit `i` of this run.
    pub fn get(&self, i: usize) -> Option<CqUnit> {
        let start = i.checked_mul(UNIT)?;
        CqUnit::decode(self.slice.get(start..start + UNIT)?)
    }

    pub fn iter(&self) -> impl Iterator<Item = CqUnit> + '_ {
        self.bytes().chunks_exact(UNIT).filter_map(CqUnit::decode)
    }

    /// The first `n` units only (no copy).
    pub fn truncated(self, n: usize) -> CqUnits {
        let keep = n.min(self.len()) * UNIT;
        match self.slice.sub(0, keep) {
            Some(slice) => CqUnits {
                slice,
                start_index: self.start_index,
            },
            None => self,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumeQueueError {
    #[error("consume queue {topic}-{queue_id}: {source}")]
    Io {
        topic: String,
        queue_id: i32,
        #[source]
        source: io::Error,
    },
    #[error("consume queue {topic:?}-{queue_id}: not a valid topic directory name or queue id")]
    BadQueue { topic: String, queue_id: i32 },
    #[error(
        "consume queue {topic}-{queue_id}: no room for the unit at logical offset {logic_offset}"
    )]
    Full {
        topic: String,
        queue_id: i32,
        logic_offset: i64,
    },
}

/// One topic/queue's ConsumeQueue.
pub struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    files: MappedFileQueue,
    file_size: usize,
    /// End (offset + size) of the last CommitLog record covered; -1 when none.
    max_physic_offset: AtomicI64,
    /// Byte offset of the first valid unit (below it: deleted files or pre-blank units).
    min_logic_offset: AtomicI64,
    /// Serializes appends and truncation (the dispatcher is one thread; recovery another).
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for ConsumeQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeQueue")
            .field("topic", &self.topic)
            .field("queue_id", &self.queue_id)
            .field("min_offset", &self.min_offset_in_queue())
            .field("max_offset", &self.max_offset_in_queue())
            .field("max_physic_offset", &self.max_physic_offset())
            .finish()
    }
}

impl ConsumeQueue {
    /// A queue in `<consumequeue dir>/<topic>/<queue_id>`; nothing is read until [`Self::load`].
    pub fn new(
        consume_queue_dir: &Path,
        topic: &str,
        queue_id: i32,
        file_size: usize,
    ) -> ConsumeQueue {
        let dir: PathBuf = consume_queue_dir.join(topic).join(queue_id.to_string());
        ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            files: MappedFileQueue::new(dir, file_size),
            file_size,
            max_physic_offset: AtomicI64::new(-1),
            min_logic_offset: AtomicI64::new(0),
            write_lock: Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn io_err(&self, source: io::Error) -> ConsumeQueueError {
        ConsumeQueueError::Io {
            topic: self.topic.clone(),
            queue_id: self.queue_id,
            source,
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }

    pub fn dir(&self) -> &Path {
        self.files.dir()
    }

    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// The files, oldest first (inspection and tests).
    pub fn files(&self) -> Vec<Arc<MappedFile>> {
        self.files.files()
    }

    /// Maps the queue's files. Every file must be exactly the configured size (Java refuses to
    /// start otherwise: "length not matched message store config value").
    pub fn load(&self) -> Result<(), ConsumeQueueError> {
        self.files.load().map_err(|e| self.io_err(e))
    }

    /// Finds the last valid unit, starting three files from the end (Java `recover`), and cuts
    /// everything after it.
    pub fn recover(&self) {
        let _guard = self.lock();
        let files = self.files.files();
        if files.is_empty() {
            return;
        }
        let mut index = files.len().saturating_sub(3);
        let mut process_offset = 0i64;
        let mut mapped_file_offset = 0usize;
        while let Some(file) = files.get(index) {
            process_offset = file.file_from_offset();
            mapped_file_offset = 0;
            let data = file.bytes(0, file.read_position()).unwrap_or(&[]);
            for (i, raw) in data.chunks_exact(UNIT).enumerate() {
                let Some(unit) = CqUnit::decode(raw) else {
                    break;
                };
                if !unit.is_valid() {
                    break;
                }
                mapped_file_offset = (i + 1) * UNIT;
                self.max_physic_offset.store(
                    unit.commit_log_offset.saturating_add(unit.size as i64),
                    Ordering::Release,
                );
            }
            if mapped_file_offset == self.file_size && index + 1 < files.len() {
                index += 1;
                continue;
            }
            break;
        }
        let end = process_offset + mapped_file_offset as i64;
        tracing::info!(topic = %self.topic, queue_id = self.queue_id, end, "recover consume queue over");
        self.files.set_flushed_where(end);
        self.files.truncate_dirty_files(end);
    }

    /// Appends the unit of a dispatched record at its queue offset (Java
    /// `putMessagePositionInfo`). Records already covered (a re-dispatch after recovery) are
    /// skipped; a queue whose first record has queue offset > 0 gets Java's blank units in front.
    pub fn put(
        &self,
        commit_log_offset: i64,
        size: i32,
        tags_code: i64,
        queue_offset: i64,
        store_timestamp: i64,
    ) -> Result<(), ConsumeQueueError> {
        let _guard = self.lock();
        if commit_log_offset.saturating_add(size as i64) <= self.max_physic_offset() {
            tracing::warn!(
                max_physic_offset = self.max_physic_offset(),
                commit_log_offset,
                "maybe try to build consume queue repeatedly"
            );
            return Ok(());
        }
        let unit = CqUnit {
            commit_log_offset,
            size,
            tags_code,
        }
        .encode();
        let expect_logic_offset = queue_offset.saturating_mul(UNIT as i64);
        let file = self
            .files
            .last_file_or_create(expect_logic_offset)
            .map_err(|e| self.io_err(e))?;

        if file.is_first_create_in_queue() && queue_offset != 0 && file.wrote_position() == 0 {
            self.min_logic_offset
                .store(expect_logic_offset, Ordering::Release);
            self.files.set_flushed_where(expect_logic_offset);
            self.fill_pre_blank(&file, expect_logic_offset);
            tracing::info!(
                file = file.file_name(),
                expect_logic_offset,
                "fill pre blank space"
            );
        }

        if queue_offset != 0 {
            let current_logic_offset = file.file_from_offset() + file.wrote_position() as i64;
            if expect_logic_offset < current_logic_offset {
                tracing::warn!(
                    expect_logic_offset,
                    current_logic_offset,
                    topic = %self.topic,
                    queue_id = self.queue_id,
                    "build consume queue repeatedly"
                );
                return Ok(());
            }
            if expect_logic_offset != current_logic_offset {
                tracing::warn!(
                    expect_logic_offset,
                    current_logic_offset,
                    topic = %self.topic,
                    queue_id = self.queue_id,
                    "[BUG] logic queue order maybe wrong"
                );
            }
        }
        self.max_physic_offset.store(
            commit_log_offset.saturating_add(size as i64),
            Ordering::Release,
        );
        if !file.append(&unit) {
            return Err(ConsumeQueueError::Full {
                topic: self.topic.clone(),
                queue_id: self.queue_id,
                logic_offset: expect_logic_offset,
            });
        }
        file.set_store_timestamp(store_timestamp);
        Ok(())
    }

    fn fill_pre_blank(&self, file: &MappedFile, until_where: i64) {
        let until = until_where.rem_euclid(self.file_size as i64) as usize;
        let blank = PRE_BLANK.encode();
        for _ in (0..until).step_by(UNIT) {
            if !file.append(&blank) {
                break;
            }
        }
    }

    /// Cuts every unit pointing at or past `phy_offset` (Java `truncateDirtyLogicFiles`): files
    /// whose first unit is past it are deleted, the last remaining one is rewound.
    pub fn truncate_dirty(&self, phy_offset: i64) {
        let _guard = self.lock();
        self.max_physic_offset.store(phy_offset, Ordering::Release);
        while let Some(file) = self.files.last_file() {
            let data = file.bytes(0, file.read_position()).unwrap_or(&[]);
            let mut units = data.chunks_exact(UNIT).filter_map(CqUnit::decode);
            let first = units.next();
            match first {
                Some(u) if u.commit_log_offset >= phy_offset => {
                    self.files.delete_last_file();
                    continue;
                }
                // An empty last file, or one whose first unit was never written, holds nothing
                // to keep: drop it and look at the one before (Java would keep that first unit
                // and stop here, leaving the earlier file's dirty units in place).
                None => {
                    self.files.delete_last_file();
                    continue;
                }
                Some(u) if !u.is_valid() => {
                    self.files.delete_last_file();
                    continue;
                }
                Some(u) => {
                    let mut keep = UNIT;
                    self.max_physic_offset
                        .store(u.commit_log_offset + u.size as i64, Ordering::Release);
                    for u in units {
                        if !u.is_valid() || u.commit_log_offset >= phy_offset {
                            break;
                        }
                        keep += UNIT;
                        self.max_physic_offset
                            .store(u.commit_log_offset + u.size as i64, Ordering::Release);
                    }
                    file.truncate_to(keep);
                    break;
                }
            }
        }
        let end = self.files.max_offset();
        if self.files.flushed_where() > end {
            self.files.set_flushed_where(end);
        }
    }

    /// End (offset + size) of the last CommitLog record the queue covers, -1 when empty (Java
    /// `getLastOffset`, used to drop whole queues behind the CommitLog minimum).
    pub fn last_commit_log_end(&self) -> i64 {
        let Some(file) = self.files.last_file() else {
            return -1;
        };
        let wrote = file.wrote_position();
        let pos = wrote.saturating_sub(UNIT);
        let mut last = -1;
        if let Some(data) = file.bytes(pos, wrote - pos) {
            for unit in data.chunks_exact(UNIT).filter_map(CqUnit::decode) {
                if !unit.is_valid() {
                    break;
                }
                last = unit.commit_log_offset + unit.size as i64;
            }
        }
        last
    }

    /// End of the last CommitLog record written into this queue (-1 when none).
    pub fn max_physic_offset(&self) -> i64 {
        self.max_physic_offset.load(Ordering::Acquire)
    }

    /// Byte offset of the first readable unit.
    pub fn min_logic_offset(&self) -> i64 {
        self.min_logic_offset.load(Ordering::Acquire)
    }

    /// The smallest queue offset still readable.
    pub fn min_offset_in_queue(&self) -> i64 {
        self.min_logic_offset() / UNIT as i64
    }

    /// One past the last queue offset written.
    pub fn max_offset_in_queue(&self) -> i64 {
        self.files.max_offset() / UNIT as i64
    }

    pub fn message_total_in_queue(&self) -> i64 {
        self.max_offset_in_queue() - self.min_offset_in_queue()
    }

    /// Moves the minimum to the first unit pointing at or past `commit_log_min_offset` in the
    /// first file (Java `correctMinOffset`).
    pub fn correct_min_offset(&self, commit_log_min_offset: i64) {
        let Some(file) = self.files.first_file() else {
            return;
        };
        let Some(data) = file.bytes(0, file.read_position()) else {
            return;
        };
        for (i, raw) in data.chunks_exact(UNIT).enumerate() {
            let Some(unit) = CqUnit::decode(raw) else {
                break;
            };
            if unit.commit_log_offset >= commit_log_min_offset {
                let min = file.file_from_offset() + (i * UNIT) as i64;
                self.min_logic_offset.store(min, Ordering::Release);
                tracing::info!(topic = %self.topic, queue_id = self.queue_id, min_offset = min / UNIT as i64, "compute logical min offset");
                break;
            }
        }
    }

    /// Deletes leading files whose units all point behind `commit_log_min_offset`, then corrects
    /// the minimum (Java `deleteExpiredFile`). Returns how many files were deleted.
    pub fn delete_expired_files(&self, commit_log_min_offset: i64) -> usize {
        let deleted = self
            .files
            .delete_expired_by_offset(commit_log_min_offset, UNIT);
        self.correct_min_offset(commit_log_min_offset);
        deleted
    }

    /// The units from queue offset `start_index` to the end of the file holding it (Java
    /// `getIndexBuffer`): `None` below the minimum or past the end. Callers cap the count with
    /// [`CqUnits::truncated`]; nothing is copied.
    pub fn units_from(&self, start_index: i64) -> Option<CqUnits> {
        let offset = start_index.checked_mul(UNIT as i64)?;
        if offset < self.min_logic_offset() {
            return None;
        }
        let file = self.files.find_by_offset(offset, false)?;
        let pos = (offset - file.file_from_offset()) as usize;
        let slice = file.slice_from(pos)?;
        Some(CqUnits { slice, start_index })
    }

    /// The unit at queue offset `index`.
    pub fn unit_at(&self, index: i64) -> Option<CqUnit> {
        self.units_from(index)?.get(0)
    }

    /// The queue offset whose record's store time is closest to `timestamp` (Java
    /// `getOffsetInQueueByTime`): picks the file by modification time, then binary-searches it,
    /// asking `store_time(commit_log_offset, size)` for each probed record's store timestamp
    /// (negative when the CommitLog no longer has it, which answers 0). Units behind
    /// `commit_log_min_offset` are skipped.
    pub fn offset_by_time(
        &self,
        timestamp: i64,
        commit_log_min_offset: i64,
        mut store_time: impl FnMut(i64, i32) -> i64,
    ) -> i64 {
        let Some(file) = self.files.file_by_time(timestamp) else {
            return 0;
        };
        let Some(data) = file.bytes(0, file.read_position()) else {
            return 0;
        };
        if data.len() < UNIT {
            return 0;
        }
        let from = file.file_from_offset();
        let unit_at = |pos: i64| -> Option<CqUnit> { CqUnit::decode(data.get(pos as usize..)?) };
        let min_logic = self.min_logic_offset();
        let mut low: i64 = if min_logic > from {
            min_logic - from
        } else {
            0
        };
        let mut high: i64 = data.len() as i64 - UNIT as i64;
        let (mut target, mut left, mut right) = (-1i64, -1i64, -1i64);
        let (mut left_value, mut right_value) = (-1i64, -1i64);
        while high >= low {
            let mid = (low + high) / (2 * UNIT as i64) * UNIT as i64;
            let Some(unit) = unit_at(mid) else { break };
            if unit.commit_log_offset < commit_log_min_offset {
                low = mid + UNIT as i64;
                left = mid;
                continue;
            }
            let t = store_time(unit.commit_log_offset, unit.size);
            if t < 0 {
                return 0;
            } else if t == timestamp {
                target = mid;
                break;
            } else if t > timestamp {
                high = mid - UNIT as i64;
                right = mid;
                right_value = t;
            } else {
                low = mid + UNIT as i64;
                left = mid;
                left_value = t;
            }
        }
        let offset = if target != -1 {
            target
        } else if left_value == -1 {
            right
        } else if right_value == -1 {
            left
        } else if (timestamp - left_value).abs() > (timestamp - right_value).abs() {
            right
        } else {
            left
        };
        (from + offset) / UNIT as i64
    }

    /// Flushes one file's dirty units when at least `least_pages` pages are dirty (0 = any);
    /// returns the new flush point (byte offset in the queue).
    pub fn flush(&self, least_pages: usize) -> io::Result<i64> {
        self.files.flush(least_pages)
    }

    /// Flushes until every written unit is on disk.
    pub fn flush_all(&self) -> io::Result<i64> {
        self.files.flush_all()
    }

    /// Store timestamp of the last unit covered by a full flush.
    pub fn flushed_store_timestamp(&self) -> i64 {
        self.files.store_timestamp()
    }

    /// Deletes every file (topic deleted or queue expired).
    pub fn destroy(&self) {
        let _guard = self.lock();
        self.max_physic_offset.store(-1, Ordering::Release);
        self.min_logic_offset.store(0, Ordering::Release);
        self.files.destroy();
    }

    /// The queue offset that starts the file after the one holding `index` (Java `rollNextFile`).
    pub fn roll_next_file(&self, index: i64) -> i64 {
        let units = (self.file_size / UNIT) as i64;
        index + units - index % units
    }
}
