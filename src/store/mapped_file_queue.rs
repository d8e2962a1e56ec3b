//! An ordered run of equally sized mapped files forming one logical log (Java's
//! `MappedFileQueue`): the CommitLog, and each ConsumeQueue.
//!
//! Offsets are store offsets: file `n` covers `[from, from + mapped_file_size)` where `from` is
//! its name. The file list is behind a `RwLock` that is only written when files are created or
//! removed; appends and reads clone an `Arc` out of it and work on the file lock-free.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use super::mapped_file::{file_name_to_offset, MappedFile};

/// At most this many files are removed by one retention pass (Java `DELETE_FILES_BATCH_MAX`).
pub const DELETE_FILES_BATCH_MAX: usize = 10;

pub struct MappedFileQueue {
    dir: PathBuf,
    mapped_file_size: usize,
    files: RwLock<Vec<Arc<MappedFile>>>,
    /// Store offset up to which everything is flushed.
    flushed_where: AtomicI64,
    /// Store timestamp of the last message covered by a full flush (for the checkpoint).
    store_timestamp: AtomicI64,
    /// Reserve each new file's blocks up front (see [`MappedFile::create`]).
    preallocate: AtomicBool,
}

impl std::fmt::Debug for MappedFileQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFileQueue")
            .field("dir", &self.dir)
            .field("mapped_file_size", &self.mapped_file_size)
            .field("files", &self.read().len())
            .field("flushed_where", &self.flushed_where())
            .finish()
    }
}

impl MappedFileQueue {
    /// A queue over `dir` (created on first use) of files of `mapped_file_size` bytes.
    pub fn new(dir: impl Into<PathBuf>, mapped_file_size: usize) -> MappedFileQueue {
        MappedFileQueue {
            dir: dir.into(),
            mapped_file_size,
            files: RwLock::new(Vec::new()),
            flushed_where: AtomicI64::new(0),
            store_timestamp: AtomicI64::new(0),
            preallocate: AtomicBool::new(false),
        }
    }

    /// Reserve disk blocks for new files when they are created, so a full disk fails the file
    /// creation (a clean CREATE_MAPEDFILE_FAILED) instead of a later write into the mapping.
    pub fn set_preallocate(&self, on: bool) {
        self.preallocate.store(on, Ordering::Relaxed);
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Arc<MappedFile>>> {
        self.files.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Arc<MappedFile>>> {
        self.files.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn mapped_file_size(&self) -> usize {
        self.mapped_file_size
    }

    /// Maps every store file of the directory in name order (a missing directory is an empty
    /// queue). Each file must be exactly `mapped_file_size` bytes, as Java requires; positions are
    /// set to the full size until recovery finds the real end. Names that are not 20 digits are
    /// skipped with a warning (Java would fail on them).
    pub fn load(&self) -> io::Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !entry.file_type()?.is_file() {
                continue;
            }
            if file_name_to_offset(name).is_none() {
                tracing::warn!(path = %entry.path().display(), "not a store file name, skipped");
                continue;
            }
            paths.push(entry.path());
        }
        paths.sort();
        let mut loaded = Vec::with_capacity(paths.len());
        for path in paths {
            let file = MappedFile::open(&path, self.mapped_file_size)?;
            file.set_wrote_position(self.mapped_file_size);
            file.set_flushed_position(self.mapped_file_size);
            tracing::info!(path = %path.display(), "load store file OK");
            loaded.push(Arc::new(file));
        }
        *self.write() = loaded;
        self.check_self();
        Ok(())
    }

    /// Logs (as Java does) when neighbouring files are not exactly one file size apart.
    pub fn check_self(&self) {
        let files = self.read();
        for pair in files.windows(2) {
            if pair[1].file_from_offset() - pair[0].file_from_offset()
                != self.mapped_file_size as i64
            {
                tracing::error!(
                    pre = pair[0].file_name(),
                    cur = pair[1].file_name(),
                    "[BUG] the mapped file queue's data is damaged: adjacent files' offsets do not match"
                );
            }
        }
    }

    /// A snapshot of the files, oldest first.
    pub fn files(&self) -> Vec<Arc<MappedFile>> {
        self.read().clone()
    }

    pub fn file_count(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    pub fn first_file(&self) -> Option<Arc<MappedFile>> {
        self.read().first().cloned()
    }

    pub fn last_file(&self) -> Option<Arc<MappedFile>> {
        self.read().last().cloned()
    }

    /// The file to append to: the last one, or a new one when there is none (starting at the file
    /// boundary at or below `start_offset`) or the last one is full (Java
    /// `getLastMappedFile(startOffset, true)`).
    pub fn last_file_or_create(&self, start_offset: i64) -> io::Result<Arc<MappedFile>> {
        if let Some(last) = self.last_file() {
            if !last.is_full() {
                return Ok(last);
            }
        }
        let mut files = self.write();
        // Re-check under the write lock: another thread may have created it meanwhile.
        let create_offset = match files.last() {
            Some(last) if !last.is_full() => return Ok(Arc::clone(last)),
            Some(last) => last.file_from_offset() + self.mapped_file_size as i64,
            None => start_offset - start_offset.rem_euclid(self.mapped_file_size as i64),
        };
        let file = MappedFile::create_with(
            &self.dir,
            create_offset,
            self.mapped_file_size,
            self.preallocate.load(Ordering::Relaxed),
        )?;
        if files.is_empty() {
            file.set_first_create_in_queue(true);
        }
        let file = Arc::new(file);
        files.push(Arc::clone(&file));
        Ok(file)
    }

    /// The file holding `offset`, or (if `return_first_on_not_found`) the first file when none does
    /// (Java `findMappedFileByOffset`).
    pub fn find_by_offset(
        &self,
        offset: i64,
        return_first_on_not_found: bool,
    ) -> Option<Arc<MappedFile>> {
        let files = self.read();
        let first = files.first()?;
        let last = files.last()?;
        let size = self.mapped_file_size as i64;
        if offset >= first.file_from_offset() && offset < last.file_from_offset() + size {
            let index = (offset / size - first.file_from_offset() / size) as usize;
            if let Some(f) = files.get(index) {
                if offset >= f.file_from_offset() && offset < f.file_from_offset() + size {
                    return Some(Arc::clone(f));
                }
            }
            if let Some(f) = files
                .iter()
                .find(|f| offset >= f.file_from_offset() && offset < f.file_from_offset() + size)
            {
                return Some(Arc::clone(f));
            }
        } else {
            tracing::warn!(
                offset,
                first = first.file_from_offset(),
                end = last.file_from_offset() + size,
                files = files.len(),
                "offset not matched by any mapped file"
            );
        }
        return_first_on_not_found.then(|| Arc::clone(first))
    }

    /// Start offset of the first file, -1 when there is none.
    pub fn min_offset(&self) -> i64 {
        self.first_file().map_or(-1, |f| f.file_from_offset())
    }

    /// End of the readable data: last file start + its read position (0 when empty).
    pub fn max_offset(&self) -> i64 {
        self.last_file()
            .map_or(0, |f| f.file_from_offset() + f.read_position() as i64)
    }

    /// End of the written data (same as `max_offset` without a transient store pool).
    pub fn max_wrote_position(&self) -> i64 {
        self.last_file()
            .map_or(0, |f| f.file_from_offset() + f.wrote_position() as i64)
    }

    pub fn remain_to_flush(&self) -> i64 {
        self.max_offset() - self.flushed_where()
    }

    pub fn flushed_where(&self) -> i64 {
        self.flushed_where.load(Ordering::Acquire)
    }

    pub fn set_flushed_where(&self, offset: i64) {
        self.flushed_where.store(offset, Ordering::Release);
    }

    /// Store timestamp of the data covered by the last full flush (`flush(0)`).
    pub fn store_timestamp(&self) -> i64 {
        self.store_timestamp.load(Ordering::Acquire)
    }

    /// Flushes the file holding the flush point if `least_pages` pages are dirty (0 = any) and
    /// returns the new flush point. One call flushes at most one file, as in Java; callers that
    /// need everything loop while it advances.
    pub fn flush(&self, least_pages: usize) -> io::Result<i64> {
        let where_ = self.flushed_where();
        let Some(file) = self.find_by_offset(where_, where_ == 0) else {
            return Ok(where_);
        };
        let ts = file.store_timestamp();
        let pos = file.flush(least_pages)?;
        let new_where = file.file_from_offset() + pos as i64;
        // Never move backwards (a concurrent flusher may be ahead).
        let new_where = self
            .flushed_where
            .fetch_max(new_where, Ordering::AcqRel)
            .max(new_where);
        if least_pages == 0 {
            self.store_timestamp.store(ts, Ordering::Release);
        }
        Ok(new_where)
    }

    /// Flushes until everything written so far is durable.
    pub fn flush_all(&self) -> io::Result<i64> {
        loop {
            let before = self.flushed_where();
            let after = self.flush(0)?;
            if after >= self.max_offset() || after == before {
                return Ok(after);
            }
        }
    }

    /// Cuts the log at `offset`: the file holding it is rewound (stale bytes zeroed), later files
    /// are deleted (Java `truncateDirtyFiles`).
    pub fn truncate_dirty_files(&self, offset: i64) {
        let size = self.mapped_file_size as i64;
        let mut removed = Vec::new();
        {
            let mut files = self.write();
            files.retain(|f| {
                let tail = f.file_from_offset() + size;
                if tail <= offset {
                    true
                } else if offset >= f.file_from_offset() {
                    f.truncate_to((offset - f.file_from_offset()) as usize);
                    true
                } else {
                    removed.push(Arc::clone(f));
                    false
                }
            });
        }
        for f in removed {
            tracing::info!(file = f.file_name(), offset, "truncate: delete dirty file");
            if let Err(e) = f.destroy() {
                tracing::error!(file = f.file_name(), error = %e, "could not delete dirty file");
            }
        }
        if self.flushed_where() > offset {
            self.set_flushed_where(offset);
        }
    }

    /// Deletes the last file (recovery of a logic queue whose last file is useless).
    pub fn delete_last_file(&self) {
        let last = self.write().pop();
        if let Some(f) = last {
            tracing::info!(file = f.file_name(), "on recover, destroy a mapped file");
            if let Err(e) = f.destroy() {
                tracing::error!(file = f.file_name(), error = %e, "could not delete file");
            }
        }
    }

    /// Rewinds to `offset` (slave truncation, Java `resetOffset`): refuses to throw away more than
    /// two files of data.
    pub fn reset_offset(&self, offset: i64) -> bool {
        if self.max_wrote_position() - offset > 2 * self.mapped_file_size as i64 {
            return false;
        }
        self.truncate_dirty_files(offset);
        true
    }

    /// Deletes files not modified for `expired_ms` (all but the last; oldest first; stops at the
    /// first one still alive so no hole is made), at most [`DELETE_FILES_BATCH_MAX`], sleeping
    /// `delete_files_interval_ms` between two. `clean_immediately` ignores the age.
    pub fn delete_expired_by_time(
        &self,
        expired_ms: i64,
        delete_files_interval_ms: u64,
        clean_immediately: bool,
        now_ms: i64,
    ) -> usize {
        let files = self.files();
        let candidates = files.len().saturating_sub(1);
        let mut deleted = Vec::new();
        for (i, f) in files.iter().take(candidates).enumerate() {
            let live_until = f.last_modified_millis().saturating_add(expired_ms);
            if now_ms < live_until && !clean_immediately {
                break;
            }
            if let Err(e) = f.destroy() {
                tracing::warn!(file = f.file_name(), error = %e, "could not delete expired file");
                break;
            }
            tracing::info!(file = f.file_name(), "deleted expired file");
            deleted.push(Arc::clone(f));
            if deleted.len() >= DELETE_FILES_BATCH_MAX {
                break;
            }
            if delete_files_interval_ms > 0 && i + 1 < candidates {
                std::thread::sleep(Duration::from_millis(delete_files_interval_ms));
            }
        }
        self.remove_from_list(&deleted);
        deleted.len()
    }

    /// Deletes leading files of a logic queue whose last unit (an `i64` CommitLog offset at
    /// `size - unit_size`) is below `offset` (Java `deleteExpiredFileByOffset`, ConsumeQueue).
    pub fn delete_expired_by_offset(&self, offset: i64, unit_size: usize) -> usize {
        let files = self.files();
        let candidates = files.len().saturating_sub(1);
        let mut deleted = Vec::new();
        for f in files.iter().take(candidates) {
            let pos = self.mapped_file_size.saturating_sub(unit_size);
            let Some(max_in_file) = f
                .bytes(pos, 8)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes)
            else {
                break;
            };
            if max_in_file >= offset {
                break;
            }
            tracing::info!(
                file = f.file_name(),
                offset,
                max_in_file,
                "delete expired logic file"
            );
            if f.destroy().is_err() {
                break;
            }
            deleted.push(Arc::clone(f));
        }
        self.remove_from_list(&deleted);
        deleted.len()
    }

    fn remove_from_list(&self, removed: &[Arc<MappedFile>]) {
        if removed.is_empty() {
            return;
        }
        self.write()
            .retain(|f| !removed.iter().any(|r| Arc::ptr_eq(r, f)));
    }

    /// The first file modified at or after `timestamp_ms`, else the last (Java `getMappedFileByTime`).
    pub fn file_by_time(&self, timestamp_ms: i64) -> Option<Arc<MappedFile>> {
        let files = self.read();
        files
            .iter()
            .find(|f| f.last_modified_millis() >= timestamp_ms)
            .or_else(|| files.last())
            .cloned()
    }

    /// Total mapped bytes.
    pub fn mapped_memory_size(&self) -> u64 {
        self.read().len() as u64 * self.mapped_file_size as u64
    }

    /// Deletes every file and the directory (tests, topic deletion).
    pub fn destroy(&self) {
        let files = std::mem::take(&mut *self.write());
        for f in files {
            if let Err(e) = f.destroy() {
                tracing::warn!(file = f.file_name(), error = %e, "could not delete file");
            }
        }
        self.set_flushed_where(0);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrocket-mfq-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn fill(q: &MappedFileQueue, total: usize, chunk: usize) {
        let data = vec![0xABu8; chunk];
        let mut written = 0;
        while written < total {
            let f = q.last_file_or_create(0).unwrap();
            if f.append(&data) {
                written += chunk;
            } else {
                // Pad the tail so the next file starts clean, as the CommitLog's blank record does.
                f.append(&vec![0u8; f.remaining()]);
            }
        }
    }

    #[test]
    fn create_roll_find_and_offsets() {
        let dir = temp_dir("roll");
        let q = MappedFileQueue::new(&dir, 1024);
        assert_eq!(q.min_offset(), -1);
        assert_eq!(q.max_offset(), 0);
        assert!(q.find_by_offset(0, true).is_none());
        fill(&q, 3000, 100);
        let names: Vec<_> = q
            .files()
            .iter()
            .map(|f| f.file_name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "00000000000000000000",
                "00000000000000001024",
                "00000000000000002048"
            ]
        );
        assert_eq!(q.min_offset(), 0);
        // 10 chunks per file (24 bytes of padding), 30 chunks: 2 full files + 1000 bytes.
        assert_eq!(q.max_offset(), 2048 + 1000);
        assert_eq!(
            q.find_by_offset(1500, false).unwrap().file_from_offset(),
            1024
        );
        assert_eq!(
            q.find_by_offset(2047, false).unwrap().file_from_offset(),
            1024
        );
        assert!(q.find_by_offset(4096, false).is_none());
        assert_eq!(q.find_by_offset(4096, true).unwrap().file_from_offset(), 0);
        assert_eq!(q.last_file().unwrap().file_from_offset(), 2048);
        assert!(q.files()[0].is_first_create_in_queue());
        assert!(!q.files()[1].is_first_create_in_queue());

        // Flush one file per call until everything is durable.
        assert_eq!(q.flush(0).unwrap(), 1024);
        assert_eq!(q.flush_all().unwrap(), 3048);
        assert_eq!(q.remain_to_flush(), 0);
        q.destroy();
        assert!(!dir.exists());
    }

    #[test]
    fn a_queue_can_start_at_a_late_offset() {
        let dir = temp_dir("late");
        let q = MappedFileQueue::new(&dir, 1000);
        let f = q.last_file_or_create(12_345).unwrap();
        assert_eq!(f.file_from_offset(), 12_000);
        assert_eq!(q.min_offset(), 12_000);
        q.destroy();
    }

    #[test]
    fn load_checks_sizes_and_order_and_truncates() {
        let dir = temp_dir("load");
        {
            let q = MappedFileQueue::new(&dir, 1024);
            fill(&q, 2500, 100);
        }
        std::fs::write(dir.join("README"), b"not a store file").unwrap();
        let q = MappedFileQueue::new(&dir, 1024);
        q.load().unwrap();
        assert_eq!(q.file_count(), 3);
        // Loaded files count as full until recovery says otherwise.
        assert_eq!(q.max_offset(), 3072);

        q.truncate_dirty_files(1100);
        assert_eq!(q.file_count(), 2);
        assert_eq!(q.max_offset(), 1100);
        assert!(!dir.join("00000000000000002048").exists());
        let last = q.last_file().unwrap();
        assert!(last.bytes(0, 76).unwrap().iter().all(|&b| b == 0xAB));

        // A file of the wrong size stops the load, like Java.
        let wrong = MappedFileQueue::new(&dir, 2048);
        assert!(wrong.load().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn retention_by_time_and_by_offset() {
        let dir = temp_dir("expire");
        let q = MappedFileQueue::new(&dir, 1000);
        fill(&q, 3500, 500);
        assert_eq!(q.file_count(), 4);
        let now = crate::store::mapped_file_queue::tests::now_ms();
        // Nothing is older than an hour.
        assert_eq!(q.delete_expired_by_time(3_600_000, 0, false, now), 0);
        // Forced: all but the last.
        assert_eq!(q.delete_expired_by_time(3_600_000, 0, true, now), 3);
        assert_eq!(q.min_offset(), 3000);
        q.destroy();

        // Logic-queue style: files of 20-byte units whose last unit holds an offset.
        let q = MappedFileQueue::new(&dir, 40);
        for phy in [100i64, 200, 300, 400, 500] {
            let mut unit = [0u8; 20];
            unit[..8].copy_from_slice(&phy.to_be_bytes());
            let f = q.last_file_or_create(0).unwrap();
            assert!(f.append(&unit));
        }
        assert_eq!(q.file_count(), 3);
        // File 0 ends with 200, file 1 with 400: min commitlog offset 300 deletes only file 0.
        assert_eq!(q.delete_expired_by_offset(300, 20), 1);
        assert_eq!(q.min_offset(), 40);
        q.destroy();
    }

    pub(crate) fn now_ms() -> i64 {
        crate::java::current_time_millis()
    }
}
