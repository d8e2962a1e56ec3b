//! One fixed-size, memory-mapped store file (Java's `MappedFile`).
//!
//! The file is named by the 20-digit store offset of its first byte and never changes size. Bytes
//! are appended at the write position by a single writer at a time; readers get zero-copy slices of
//! the bytes below the write position while the writer keeps appending above it. Durability is
//! tracked by the flushed position (everything below it has been `msync`ed).
//!
//! Safety model: the mapping is shared through a raw pointer. Writers (serialized by an internal
//! mutex) only touch `[wrote_position, file_size)`, and publish new bytes by a release-store of
//! the write position; readers acquire-load it and only look below it. The one exception is
//! [`MappedFile::truncate_to`], which rewinds the write position; it is called by recovery and by a
//! slave resetting its log, when nobody reads the cut range (as in Java).

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use memmap2::{MmapOptions, MmapRaw};

/// The page size the flush thresholds are counted in (Java's `OS_PAGE_SIZE`).
pub const OS_PAGE_SIZE: usize = 4096;

/// A store file's name: its start offset as 20 decimal digits (`UtilAll.offset2FileName`).
pub fn offset_to_file_name(offset: i64) -> String {
    format!("{offset:020}")
}

/// The start offset a store file's name encodes, if it is one.
pub fn file_name_to_offset(name: &str) -> Option<i64> {
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// A memory-mapped store file.
pub struct MappedFile {
    path: PathBuf,
    file_name: String,
    file_from_offset: i64,
    file_size: usize,
    map: MmapRaw,
    wrote_position: AtomicUsize,
    flushed_position: AtomicUsize,
    /// Store timestamp of the last message appended (CommitLog) or dispatched (ConsumeQueue).
    store_timestamp: AtomicI64,
    write_lock: Mutex<()>,
    first_create_in_queue: AtomicBool,
    destroyed: AtomicBool,
}

// SAFETY: the raw mapping is only written under `write_lock` above the published write position
// and only read below it (see the module docs); all bookkeeping is atomic.
unsafe impl Send for MappedFile {}
unsafe impl Sync for MappedFile {}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("file_from_offset", &self.file_from_offset)
            .field("file_size", &self.file_size)
            .field("wrote_position", &self.wrote_position())
            .field("flushed_position", &self.flushed_position())
            .finish()
    }
}

impl MappedFile {
    /// Creates (or reopens, keeping its bytes) the file starting at `file_from_offset` in `dir`,
    /// sized `file_size` bytes (sparse: unwritten pages use no disk). The positions start at 0.
    pub fn create(dir: &Path, file_from_offset: i64, file_size: usize) -> io::Result<MappedFile> {
        Self::create_with(dir, file_from_offset, file_size, false)
    }

    /// [`MappedFile::create`], optionally reserving the file's disk blocks (`posix_fallocate`):
    /// a store write into a sparse mapping on a full disk would kill the process with SIGBUS,
    /// a failed reservation is an ordinary error and leaves nothing behind.
    pub fn create_with(
        dir: &Path,
        file_from_offset: i64,
        file_size: usize,
        preallocate: bool,
    ) -> io::Result<MappedFile> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(offset_to_file_name(file_from_offset));
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        if file.metadata()?.len() != file_size as u64 {
            file.set_len(file_size as u64)?;
        }
        if preallocate {
            use std::os::fd::AsRawFd;
            // SAFETY: plain syscall on an open descriptor.
            let rc =
                unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, file_size as libc::off_t) };
            // EINVAL/EOPNOTSUPP: the file system cannot reserve; go on sparse like Java.
            if rc != 0 && rc != libc::EINVAL && rc != libc::EOPNOTSUPP {
                drop(file);
                if !existed {
                    let _ = std::fs::remove_file(&path);
                }
                return Err(io::Error::from_raw_os_error(rc));
            }
        }
        Self::map(path, file, file_from_offset, file_size)
    }

    /// Opens an existing store file, which must be exactly `file_size` bytes and named by its start
    /// offset. The positions start at 0; the queue that loads it sets them.
    pub fn open(path: &Path, file_size: usize) -> io::Result<MappedFile> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let file_from_offset = file_name_to_offset(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a store file name (20 digits)", path.display()),
            )
        })?;
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        if len != file_size as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: length {len} not matched message store config value {file_size}, please check it manually",
                    path.display()
                ),
            ));
        }
        Self::map(path.to_path_buf(), file, file_from_offset, file_size)
    }

    fn map(
        path: PathBuf,
        file: File,
        file_from_offset: i64,
        file_size: usize,
    ) -> io::Result<MappedFile> {
        if file_size == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mapped file size must be > 0",
            ));
        }
        let map = MmapOptions::new().len(file_size).map_raw(&file)?;
        Ok(MappedFile {
            file_name: offset_to_file_name(file_from_offset),
            path,
            file_from_offset,
            file_size,
            map,
            wrote_position: AtomicUsize::new(0),
            flushed_position: AtomicUsize::new(0),
            store_timestamp: AtomicI64::new(0),
            write_lock: Mutex::new(()),
            first_create_in_queue: AtomicBool::new(false),
            destroyed: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The 20-digit name.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Store offset of the file's first byte.
    pub fn file_from_offset(&self) -> i64 {
        self.file_from_offset
    }

    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// Bytes appended so far (position of the next append).
    pub fn wrote_position(&self) -> usize {
        self.wrote_position.load(Ordering::Acquire)
    }

    /// How far readers may read: the write position (no transient store pool here).
    pub fn read_position(&self) -> usize {
        self.wrote_position()
    }

    /// Sets the write position without touching bytes: loading a file (Java sets it to the file
    /// size) and recovery (the end of the last valid record).
    pub fn set_wrote_position(&self, pos: usize) {
        self.wrote_position
            .store(pos.min(self.file_size), Ordering::Release);
    }

    /// Everything below this position is on disk.
    pub fn flushed_position(&self) -> usize {
        self.flushed_position.load(Ordering::Acquire)
    }

    pub fn set_flushed_position(&self, pos: usize) {
        self.flushed_position
            .store(pos.min(self.file_size), Ordering::Release);
    }

    pub fn is_full(&self) -> bool {
        self.wrote_position() >= self.file_size
    }

    /// Space left for appends.
    pub fn remaining(&self) -> usize {
        self.file_size.saturating_sub(self.wrote_position())
    }

    pub fn store_timestamp(&self) -> i64 {
        self.store_timestamp.load(Ordering::Relaxed)
    }

    pub fn set_store_timestamp(&self, ts: i64) {
        self.store_timestamp.store(ts, Ordering::Relaxed);
    }

    /// Whether the queue created this file as its very first one (Java's `firstCreateInQueue`,
    /// used by the ConsumeQueue to fill the unused head of a queue that starts late).
    pub fn is_first_create_in_queue(&self) -> bool {
        self.first_create_in_queue.load(Ordering::Relaxed)
    }

    pub fn set_first_create_in_queue(&self, first: bool) {
        self.first_create_in_queue.store(first, Ordering::Relaxed);
    }

    /// Appends by handing `write` the free tail of the file and the store offset of its first byte;
    /// `write` returns how many bytes it wrote (from the start of the tail) and a value passed back.
    /// The bytes become readable once `write` returns. This is the one-encode, no-copy append path.
    pub fn append_with<R>(&self, write: impl FnOnce(i64, &mut [u8]) -> (usize, R)) -> R {
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let pos = self.wrote_position.load(Ordering::Acquire);
        // SAFETY: `pos <= file_size`; the tail above the write position is only touched by the
        // holder of `write_lock`, and readers never look above the write position.
        let tail = unsafe {
            std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(pos), self.file_size - pos)
        };
        let tail_len = tail.len();
        let (written, value) = write(self.file_from_offset + pos as i64, tail);
        let written = written.min(tail_len);
        self.wrote_position.store(pos + written, Ordering::Release);
        value
    }

    /// Appends `data` whole if it fits; returns whether it did (Java `appendMessage(byte[])`).
    pub fn append(&self, data: &[u8]) -> bool {
        self.append_with(|_, tail| {
            if data.len() <= tail.len() {
                tail[..data.len()].copy_from_slice(data);
                (data.len(), true)
            } else {
                (0, false)
            }
        })
    }

    /// Rewinds the write and flushed positions to `pos` and zeroes the stale bytes after it up to
    /// the first page that is already all zero, so a later recovery can never read a chain of old
    /// records beyond the cut. Only for recovery/slave reset: nobody may read the cut range.
    pub fn truncate_to(&self, pos: usize) {
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let pos = pos.min(self.file_size);
        let base = self.map.as_mut_ptr();
        let mut start = pos;
        while start < self.file_size {
            let end = ((start / OS_PAGE_SIZE) + 1) * OS_PAGE_SIZE;
            let end = end.min(self.file_size);
            // SAFETY: in bounds; see the method docs about concurrent readers.
            let chunk = unsafe { std::slice::from_raw_parts_mut(base.add(start), end - start) };
            if chunk.iter().all(|&b| b == 0) {
                // A whole clean page ends the stale data (a torn record may leave the rest of
                // the first page clean and continue on the next one).
                if start % OS_PAGE_SIZE == 0 {
                    break;
                }
            } else {
                chunk.fill(0);
            }
            start = end;
        }
        self.wrote_position.store(pos, Ordering::Release);
        if self.flushed_position() > pos {
            self.flushed_position.store(pos, Ordering::Release);
        }
    }

    /// Whether a flush with this page threshold has work to do (Java `isAbleToFlush`).
    pub fn is_able_to_flush(&self, least_pages: usize) -> bool {
        let flushed = self.flushed_position();
        let write = self.read_position();
        if self.is_full() {
            return write > flushed;
        }
        if least_pages > 0 {
            return (write / OS_PAGE_SIZE).saturating_sub(flushed / OS_PAGE_SIZE) >= least_pages;
        }
        write > flushed
    }

    /// `msync`s the written-but-unflushed range when at least `least_pages` pages are dirty (0 =
    /// any byte) and returns the flushed position (Java `flush(flushLeastPages)`).
    pub fn flush(&self, least_pages: usize) -> io::Result<usize> {
        if self.is_able_to_flush(least_pages) {
            let value = self.read_position();
            let from = self.flushed_position();
            if value > from {
                self.map.flush_range(from, value - from)?;
            }
            self.flushed_position.fetch_max(value, Ordering::AcqRel);
        }
        Ok(self.flushed_position())
    }

    /// Populates the page tables of `[pos, pos + len)` writable without touching the bytes
    /// (`MADV_POPULATE_WRITE`), so the appender does not take the page faults (page-cache
    /// allocation and zeroing) itself. Safe to run beside the writer: nothing is written.
    pub fn prefault(&self, pos: usize, len: usize) -> io::Result<()> {
        let end = pos.saturating_add(len).min(self.file_size);
        if pos >= end {
            return Ok(());
        }
        self.map
            .advise_range(memmap2::Advice::PopulateWrite, pos, end - pos)
    }

    /// `msync`s the whole mapping regardless of the positions (recovery makes re-read data
    /// durable before it moves the checkpoint).
    pub fn sync_all(&self) -> io::Result<()> {
        self.map.flush()
    }

    /// Borrowed view of `[pos, pos + size)` if it is below the read position.
    pub fn bytes(&self, pos: usize, size: usize) -> Option<&[u8]> {
        let end = pos.checked_add(size)?;
        if end > self.read_position() {
            return None;
        }
        // SAFETY: the range lies below the published write position, which the writer never
        // touches again (except `truncate_to`, see module docs).
        Some(unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(pos), size) })
    }

    /// Zero-copy slice of `[pos, pos + size)` that keeps the file mapped while held (Java
    /// `selectMappedBuffer(pos, size)`); `None` if it is not fully written.
    pub fn slice(self: &Arc<Self>, pos: usize, size: usize) -> Option<MappedSlice> {
        self.bytes(pos, size)?;
        Some(MappedSlice {
            file: Arc::clone(self),
            pos,
            len: size,
        })
    }

    /// Zero-copy slice from `pos` to the read position (Java `selectMappedBuffer(pos)`).
    pub fn slice_from(self: &Arc<Self>, pos: usize) -> Option<MappedSlice> {
        let read = self.read_position();
        if pos >= read {
            return None;
        }
        self.slice(pos, read - pos)
    }

    /// Touches every page so the first appends do not page-fault (Java `warmMappedFile`); with
    /// `flush_every_pages` (SYNC_FLUSH) it also forces the written pages out as it goes.
    pub fn warm(&self, flush_every_pages: Option<usize>) -> io::Result<()> {
        let base = self.map.as_mut_ptr();
        let start = self.wrote_position();
        let first_page = start.div_ceil(OS_PAGE_SIZE) * OS_PAGE_SIZE;
        let mut last_flush = first_page;
        let mut i = first_page;
        while i < self.file_size {
            // SAFETY: in bounds and above the write position; a zero is what the page holds.
            unsafe { base.add(i).write_volatile(0) };
            if let Some(pages) = flush_every_pages {
                if pages > 0 && (i - last_flush) / OS_PAGE_SIZE >= pages {
                    self.map.flush_range(last_flush, i - last_flush)?;
                    last_flush = i;
                }
            }
            i += OS_PAGE_SIZE;
        }
        if flush_every_pages.is_some() && self.file_size > last_flush {
            self.map
                .flush_range(last_flush, self.file_size - last_flush)?;
        }
        Ok(())
    }

    /// File modification time in epoch milliseconds (what retention compares with).
    pub fn last_modified_millis(&self) -> i64 {
        std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    /// Touches the file's modification time (after appends it changes by itself through the
    /// mapping only when the kernel writes back, so callers that need it exact set it).
    pub fn touch(&self) {
        if let Ok(f) = OpenOptions::new().write(true).open(&self.path) {
            let _ = f.set_modified(SystemTime::now());
        }
    }

    /// Removes the file from disk. The mapping lives on until the last `Arc` (a reader's slice)
    /// is dropped, so readers never see it vanish: Java's reference counting, done by `Arc`.
    pub fn destroy(&self) -> io::Result<()> {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }
}

/// A zero-copy view into a mapped file (Java's `SelectMappedBufferResult`): derefs to the bytes.
#[derive(Clone)]
pub struct MappedSlice {
    file: Arc<MappedFile>,
    pos: usize,
    len: usize,
}

impl MappedSlice {
    /// Store offset of the first byte.
    pub fn start_offset(&self) -> i64 {
        self.file.file_from_offset() + self.pos as i64
    }

    /// Position inside the file.
    pub fn file_pos(&self) -> usize {
        self.pos
    }

    pub fn mapped_file(&self) -> &Arc<MappedFile> {
        &self.file
    }

    /// A narrower view of the same mapping (`offset`/`len` relative to this slice).
    pub fn sub(&self, offset: usize, len: usize) -> Option<MappedSlice> {
        let end = offset.checked_add(len)?;
        if end > self.len {
            return None;
        }
        Some(MappedSlice {
            file: Arc::clone(&self.file),
            pos: self.pos + offset,
            len,
        })
    }
}

impl Deref for MappedSlice {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: checked against the read position when the slice was made; the Arc keeps the
        // mapping alive.
        unsafe { std::slice::from_raw_parts(self.file.map.as_ptr().add(self.pos), self.len) }
    }
}

impl AsRef<[u8]> for MappedSlice {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for MappedSlice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedSlice")
            .field("start_offset", &self.start_offset())
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrocket-mf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn names_are_twenty_digit_offsets() {
        assert_eq!(offset_to_file_name(1073741824), "00000000001073741824");
        assert_eq!(
            file_name_to_offset("00000000001073741824"),
            Some(1073741824)
        );
        assert_eq!(file_name_to_offset("0000000000107374182"), None);
        assert_eq!(file_name_to_offset("0000000000107374182x"), None);
    }

    #[test]
    fn append_read_flush_and_reopen() {
        let dir = temp_dir("basic");
        let mf = Arc::new(MappedFile::create(&dir, 8192, 8192).unwrap());
        assert_eq!(mf.file_name(), "00000000000000008192");
        assert!(mf.append(b"hello"));
        let phy = mf.append_with(|phy, tail| {
            tail[..6].copy_from_slice(b" world");
            (6, phy)
        });
        assert_eq!(phy, 8192 + 5);
        assert_eq!(mf.wrote_position(), 11);
        assert_eq!(&*mf.slice(0, 11).unwrap(), b"hello world");
        assert!(mf.slice(5, 7).is_none(), "beyond the write position");
        let s = mf.slice_from(6).unwrap();
        assert_eq!(&*s, b"world");
        assert_eq!(s.start_offset(), 8198);
        assert_eq!(&*s.sub(1, 3).unwrap(), b"orl");
        assert!(s.sub(3, 3).is_none());

        // Below the page threshold nothing is flushed; with 0 everything is.
        assert_eq!(mf.flush(1).unwrap(), 0);
        assert_eq!(mf.flush(0).unwrap(), 11);
        assert!(!mf.is_able_to_flush(0));

        // Too big for the rest of the file: refused, nothing written.
        assert!(!mf.append(&vec![1u8; 8192]));
        assert_eq!(mf.wrote_position(), 11);
        drop(s);
        drop(mf);

        let path = dir.join("00000000000000008192");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
        let reopened = MappedFile::open(&path, 8192).unwrap();
        reopened.set_wrote_position(8192);
        assert_eq!(reopened.bytes(0, 11).unwrap(), b"hello world");
        assert!(reopened.is_full());
        assert!(
            MappedFile::open(&path, 4096).is_err(),
            "size mismatch must be refused"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn truncate_zeroes_stale_bytes() {
        let dir = temp_dir("trunc");
        let mf = MappedFile::create(&dir, 0, 3 * OS_PAGE_SIZE).unwrap();
        assert!(mf.append(&vec![7u8; OS_PAGE_SIZE + 100]));
        mf.flush(0).unwrap();
        mf.truncate_to(10);
        assert_eq!(mf.wrote_position(), 10);
        assert_eq!(mf.flushed_position(), 10);
        mf.set_wrote_position(3 * OS_PAGE_SIZE);
        let all = mf.bytes(0, 3 * OS_PAGE_SIZE).unwrap();
        assert!(all[..10].iter().all(|&b| b == 7));
        assert!(
            all[10..].iter().all(|&b| b == 0),
            "stale bytes after the cut are zeroed"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn destroy_keeps_live_slices_readable() {
        let dir = temp_dir("destroy");
        let mf = Arc::new(MappedFile::create(&dir, 0, 4096).unwrap());
        assert!(mf.append(b"abc"));
        let s = mf.slice(0, 3).unwrap();
        mf.destroy().unwrap();
        assert!(!mf.path().exists());
        assert!(mf.is_destroyed());
        assert_eq!(&*s, b"abc");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn warm_touches_without_changing_positions() {
        let dir = temp_dir("warm");
        let mf = MappedFile::create(&dir, 0, 4 * OS_PAGE_SIZE).unwrap();
        assert!(mf.append(b"x"));
        mf.warm(Some(1)).unwrap();
        assert_eq!(mf.wrote_position(), 1);
        assert_eq!(mf.bytes(0, 1).unwrap(), b"x");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
