//! One IndexFile (Java `IndexFile` + `IndexHeader`): a persistent hash table from
//! `topic#key` to CommitLog offsets.
//!
//! Layout, all big-endian:
//! ```text
//! 0    header (40 bytes): i64 beginTimestamp, i64 endTimestamp, i64 beginPhyOffset,
//!                          i64 endPhyOffset, i32 hashSlotCount, i32 indexCount
//! 40   hashSlotNum × i32 slot heads (index of the newest entry in that slot, 0 = empty)
//! ...  indexNum × 20-byte entries: i32 keyHash, i64 phyOffset, i32 timeDiffSeconds, i32 prevIndex
//! ```
//! Entry 0 is never written: `indexCount` starts at 1 and is the next free entry.
//!
//! The file is mapped whole; the header fields are written through to the mapping as they
//! change, as Java's setters do, so the bytes on disk match Java's at every step.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

use crate::java::java_string_hash;

pub const INDEX_HEADER_SIZE: usize = 40;
pub const HASH_SLOT_SIZE: usize = 4;
pub const INDEX_ENTRY_SIZE: usize = 20;

const BEGIN_TIMESTAMP_POS: usize = 0;
const END_TIMESTAMP_POS: usize = 8;
const BEGIN_PHY_OFFSET_POS: usize = 16;
const END_PHY_OFFSET_POS: usize = 24;
const HASH_SLOT_COUNT_POS: usize = 32;
const INDEX_COUNT_POS: usize = 36;

/// The in-memory copy of the 40-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexHeader {
    pub begin_timestamp: i64,
    pub end_timestamp: i64,
    pub begin_phy_offset: i64,
    pub end_phy_offset: i64,
    /// Number of slots that have at least one entry.
    pub hash_slot_count: i32,
    /// The next entry index to write; starts at 1.
    pub index_count: i32,
}

impl Default for IndexHeader {
    fn default() -> Self {
        IndexHeader {
            begin_timestamp: 0,
            end_timestamp: 0,
            begin_phy_offset: 0,
            end_phy_offset: 0,
            hash_slot_count: 0,
            index_count: 1,
        }
    }
}

impl IndexHeader {
    /// Decodes the header bytes; `indexCount <= 0` reads as 1, as Java's `IndexHeader.load`.
    pub fn decode(bytes: &[u8; INDEX_HEADER_SIZE]) -> IndexHeader {
        let mut header = IndexHeader {
            begin_timestamp: be_i64(bytes, BEGIN_TIMESTAMP_POS),
            end_timestamp: be_i64(bytes, END_TIMESTAMP_POS),
            begin_phy_offset: be_i64(bytes, BEGIN_PHY_OFFSET_POS),
            end_phy_offset: be_i64(bytes, END_PHY_OFFSET_POS),
            hash_slot_count: be_i32(bytes, HASH_SLOT_COUNT_POS),
            index_count: be_i32(bytes, INDEX_COUNT_POS),
        };
        if header.index_count <= 0 {
            header.index_count = 1;
        }
        header
    }

    pub fn encode(&self) -> [u8; INDEX_HEADER_SIZE] {
        let mut out = [0u8; INDEX_HEADER_SIZE];
        out[0..8].copy_from_slice(&self.begin_timestamp.to_be_bytes());
        out[8..16].copy_from_slice(&self.end_timestamp.to_be_bytes());
        out[16..24].copy_from_slice(&self.begin_phy_offset.to_be_bytes());
        out[24..32].copy_from_slice(&self.end_phy_offset.to_be_bytes());
        out[32..36].copy_from_slice(&self.hash_slot_count.to_be_bytes());
        out[36..40].copy_from_slice(&self.index_count.to_be_bytes());
        out
    }
}

fn be_i64(bytes: &[u8], pos: usize) -> i64 {
    let mut b = [0u8; 8];
    if let Some(src) = bytes.get(pos..pos + 8) {
        b.copy_from_slice(src);
    }
    i64::from_be_bytes(b)
}

fn be_i32(bytes: &[u8], pos: usize) -> i32 {
    let mut b = [0u8; 4];
    if let Some(src) = bytes.get(pos..pos + 4) {
        b.copy_from_slice(src);
    }
    i32::from_be_bytes(b)
}

/// One decoded index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub key_hash: i32,
    pub phy_offset: i64,
    pub time_diff_seconds: i32,
    pub prev_index: i32,
}

/// The IndexFile hash of a key: `abs(String.hashCode)`, 0 when `abs` overflows (Java's
/// `indexKeyHashMethod`).
pub fn index_key_hash(key: &str) -> i32 {
    java_string_hash(key).checked_abs().unwrap_or(0)
}

/// Why an index file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum IndexFileError {
    #[error("index file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("index file {path} is {actual} bytes, expected {expected} (maxHashSlotNum/maxIndexNum mismatch or truncated file)")]
    BadSize {
        path: PathBuf,
        actual: u64,
        expected: u64,
    },
    #[error("index geometry hashSlotNum={hash_slot_num} indexNum={index_num} is invalid")]
    BadGeometry { hash_slot_num: i32, index_num: i32 },
}

/// A mapped index file.
pub struct IndexFile {
    path: PathBuf,
    mmap: MmapMut,
    hash_slot_num: i32,
    index_num: i32,
    header: IndexHeader,
}

impl std::fmt::Debug for IndexFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexFile")
            .field("path", &self.path)
            .field("header", &self.header)
            .finish()
    }
}

/// Total file size for a geometry, or `None` when it does not fit the address space.
/// `index_file_size`, or the error naming the geometry that has none.
fn checked_file_size(hash_slot_num: i32, index_num: i32) -> Result<u64, IndexFileError> {
    index_file_size(hash_slot_num, index_num).ok_or(IndexFileError::BadGeometry {
        hash_slot_num,
        index_num,
    })
}

pub fn index_file_size(hash_slot_num: i32, index_num: i32) -> Option<u64> {
    if hash_slot_num <= 0 || index_num <= 0 {
        return None;
    }
    let size = INDEX_HEADER_SIZE as u64
        + hash_slot_num as u64 * HASH_SLOT_SIZE as u64
        + index_num as u64 * INDEX_ENTRY_SIZE as u64;
    usize::try_from(size).ok().map(|_| size)
}

impl IndexFile {
    /// Creates a new, empty index file (sparse). A successor file starts where the previous one
    /// ended: Java seeds begin/end phy offset and timestamp with the previous file's end values.
    pub fn create(
        path: &Path,
        hash_slot_num: i32,
        index_num: i32,
        prev_end_phy_offset: i64,
        prev_end_timestamp: i64,
    ) -> Result<IndexFile, IndexFileError> {
        let size = checked_file_size(hash_slot_num, index_num)?;
        let io_err = |source| IndexFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io_err)?;
        file.set_len(size).map_err(io_err)?;
        let mut index_file = Self::map(path, &file, hash_slot_num, index_num)?;
        if prev_end_phy_offset > 0 {
            index_file.set_begin_phy_offset(prev_end_phy_offset);
            index_file.set_end_phy_offset(prev_end_phy_offset);
        }
        if prev_end_timestamp > 0 {
            index_file.set_begin_timestamp(prev_end_timestamp);
            index_file.set_end_timestamp(prev_end_timestamp);
        }
        Ok(index_file)
    }

    /// Opens an existing index file and loads its header. The file must have exactly the size of
    /// the configured geometry; header values are taken as they are, but an `indexCount` beyond
    /// the capacity makes the file read as full, so nothing is ever read or written outside it.
    pub fn open(
        path: &Path,
        hash_slot_num: i32,
        index_num: i32,
    ) -> Result<IndexFile, IndexFileError> {
        let expected = checked_file_size(hash_slot_num, index_num)?;
        let io_err = |source| IndexFileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err)?;
        let actual = file.metadata().map_err(io_err)?.len();
        if actual != expected {
            return Err(IndexFileError::BadSize {
                path: path.to_path_buf(),
                actual,
                expected,
            });
        }
        let mut index_file = Self::map(path, &file, hash_slot_num, index_num)?;
        let mut raw = [0u8; INDEX_HEADER_SIZE];
        raw.copy_from_slice(&index_file.mmap[..INDEX_HEADER_SIZE]);
        index_file.header = IndexHeader::decode(&raw);
        Ok(index_file)
    }

    fn map(
        path: &Path,
        file: &File,
        hash_slot_num: i32,
        index_num: i32,
    ) -> Result<IndexFile, IndexFileError> {
        // SAFETY: the store directory belongs to this process (Java's `lock` file protects it);
        // nobody else truncates the file while it is mapped.
        let mmap = unsafe { MmapMut::map_mut(file) }.map_err(|source| IndexFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(IndexFile {
            path: path.to_path_buf(),
            mmap,
            hash_slot_num,
            index_num,
            header: IndexHeader::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name (`yyyyMMddHHmmssSSS`).
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn header(&self) -> IndexHeader {
        self.header
    }

    pub fn begin_timestamp(&self) -> i64 {
        self.header.begin_timestamp
    }

    pub fn end_timestamp(&self) -> i64 {
        self.header.end_timestamp
    }

    pub fn end_phy_offset(&self) -> i64 {
        self.header.end_phy_offset
    }

    pub fn is_write_full(&self) -> bool {
        self.header.index_count >= self.index_num
    }

    /// Java's `isTimeMatched`: the file's [begin, end] overlaps the query's [begin, end].
    pub fn is_time_matched(&self, begin: i64, end: i64) -> bool {
        let (b, e) = (self.header.begin_timestamp, self.header.end_timestamp);
        (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
    }

    fn slot_pos(&self, key_hash: i32) -> usize {
        INDEX_HEADER_SIZE + (key_hash % self.hash_slot_num) as usize * HASH_SLOT_SIZE
    }

    fn entry_pos(&self, index: i32) -> usize {
        INDEX_HEADER_SIZE
            + self.hash_slot_num as usize * HASH_SLOT_SIZE
            + index as usize * INDEX_ENTRY_SIZE
    }

    /// The head of a slot (0 when empty).
    pub fn slot_value(&self, slot: i32) -> i32 {
        if slot < 0 || slot >= self.hash_slot_num {
            return 0;
        }
        be_i32(
            &self.mmap,
            INDEX_HEADER_SIZE + slot as usize * HASH_SLOT_SIZE,
        )
    }

    /// Reads entry `index` (1-based); `None` outside the file's capacity.
    pub fn entry(&self, index: i32) -> Option<IndexEntry> {
        if index < 0 || index >= self.index_num {
            return None;
        }
        let pos = self.entry_pos(index);
        let raw = self.mmap.get(pos..pos + INDEX_ENTRY_SIZE)?;
        Some(IndexEntry {
            key_hash: be_i32(raw, 0),
            phy_offset: be_i64(raw, 4),
            time_diff_seconds: be_i32(raw, 12),
            prev_index: be_i32(raw, 16),
        })
    }

    fn put_i32(&mut self, pos: usize, v: i32) {
        if let Some(dst) = self.mmap.get_mut(pos..pos + 4) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }

    fn put_i64(&mut self, pos: usize, v: i64) {
        if let Some(dst) = self.mmap.get_mut(pos..pos + 8) {
            dst.copy_from_slice(&v.to_be_bytes());
        }
    }

    fn set_begin_timestamp(&mut self, v: i64) {
        self.header.begin_timestamp = v;
        self.put_i64(BEGIN_TIMESTAMP_POS, v);
    }

    fn set_end_timestamp(&mut self, v: i64) {
        self.header.end_timestamp = v;
        self.put_i64(END_TIMESTAMP_POS, v);
    }

    fn set_begin_phy_offset(&mut self, v: i64) {
        self.header.begin_phy_offset = v;
        self.put_i64(BEGIN_PHY_OFFSET_POS, v);
    }

    fn set_end_phy_offset(&mut self, v: i64) {
        self.header.end_phy_offset = v;
        self.put_i64(END_PHY_OFFSET_POS, v);
    }

    /// Adds one key. Returns `false` when the file is full (the caller then rolls to a new file).
    pub fn put_key(&mut self, key: &str, phy_offset: i64, store_timestamp: i64) -> bool {
        if self.is_write_full() {
            return false;
        }
        let key_hash = index_key_hash(key);
        let slot_pos = self.slot_pos(key_hash);
        let index_count = self.header.index_count;

        let mut slot_value = be_i32(&self.mmap, slot_pos);
        if slot_value <= 0 || slot_value > index_count {
            slot_value = 0;
        }

        let begin = self.header.begin_timestamp;
        let time_diff = if begin <= 0 {
            0
        } else {
            ((store_timestamp - begin) / 1000).clamp(0, i32::MAX as i64) as i32
        };

        let entry_pos = self.entry_pos(index_count);
        self.put_i32(entry_pos, key_hash);
        self.put_i64(entry_pos + 4, phy_offset);
        self.put_i32(entry_pos + 12, time_diff);
        self.put_i32(entry_pos + 16, slot_value);
        self.put_i32(slot_pos, index_count);

        if index_count <= 1 {
            self.set_begin_phy_offset(phy_offset);
            self.set_begin_timestamp(store_timestamp);
        }
        if slot_value == 0 {
            self.header.hash_slot_count = self.header.hash_slot_count.wrapping_add(1);
            self.put_i32(HASH_SLOT_COUNT_POS, self.header.hash_slot_count);
        }
        self.header.index_count += 1;
        self.put_i32(INDEX_COUNT_POS, self.header.index_count);
        self.set_end_phy_offset(phy_offset);
        self.set_end_timestamp(store_timestamp);
        true
    }

    /// Appends to `out` the CommitLog offsets stored for `key` with a store time in
    /// [begin, end], newest first, until `out` holds `max` offsets (Java's `selectPhyOffset`).
    pub fn select_phy_offsets(
        &self,
        out: &mut Vec<i64>,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) {
        let key_hash = index_key_hash(key);
        let index_count = self.header.index_count;
        let slot_value = be_i32(&self.mmap, self.slot_pos(key_hash));
        if slot_value <= 0 || slot_value > index_count || index_count <= 1 {
            return;
        }
        // A chain visits each entry at most once; the bound stops a corrupt file's cycle.
        let steps = index_count.min(self.index_num);
        let mut next = slot_value;
        for _ in 0..steps {
            if out.len() >= max {
                break;
            }
            let Some(entry) = self.entry(next) else { break };
            if entry.time_diff_seconds < 0 {
                break;
            }
            let time_read = self.header.begin_timestamp + entry.time_diff_seconds as i64 * 1000;
            if entry.key_hash == key_hash && time_read >= begin && time_read <= end {
                out.push(entry.phy_offset);
            }
            let prev = entry.prev_index;
            if prev <= 0 || prev > index_count || prev == next || time_read < begin {
                break;
            }
            next = prev;
        }
    }

    /// Writes the whole header and forces the mapping to disk (Java's `IndexFile.flush`).
    pub fn flush(&mut self) -> io::Result<()> {
        let header = self.header.encode();
        self.mmap[..INDEX_HEADER_SIZE].copy_from_slice(&header);
        self.mmap.flush()
    }

    /// Unmaps and deletes the file.
    pub fn destroy(self) -> io::Result<()> {
        let IndexFile { path, mmap, .. } = self;
        drop(mmap);
        std::fs::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory, removed when the test ends.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp_dir(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "ferrocket-index-file-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    #[test]
    fn key_hash_is_abs_of_java_hash_and_zero_on_overflow() {
        assert_eq!(index_key_hash("polygenelubricants"), 0);
        assert_eq!(index_key_hash("TagA"), 2598919);
        assert_eq!(index_key_hash(""), 0);
        let negative = "GoldenJson#key-sync-1";
        assert!(index_key_hash(negative) >= 0);
    }

    #[test]
    fn put_and_select_chain_in_one_slot() {
        let scratch = tmp_dir("chain");
        let dir = scratch.0.clone();
        // One slot: every key collides, chains link through prevIndex.
        let mut f = IndexFile::create(&dir.join("f"), 1, 10, 0, 0).unwrap();
        assert!(f.put_key("T#a", 100, 10_000));
        assert!(f.put_key("T#b", 200, 12_000));
        assert!(f.put_key("T#a", 300, 15_500));
        let h = f.header();
        assert_eq!(h.index_count, 4);
        assert_eq!(h.hash_slot_count, 1);
        assert_eq!((h.begin_timestamp, h.end_timestamp), (10_000, 15_500));
        assert_eq!((h.begin_phy_offset, h.end_phy_offset), (100, 300));
        assert_eq!(f.slot_value(0), 3);
        assert_eq!(
            f.entry(3).unwrap(),
            IndexEntry {
                key_hash: index_key_hash("T#a"),
                phy_offset: 300,
                time_diff_seconds: 5,
                prev_index: 2
            }
        );
        assert_eq!(f.entry(1).unwrap().prev_index, 0);

        let mut out = Vec::new();
        f.select_phy_offsets(&mut out, "T#a", 10, 0, i64::MAX);
        assert_eq!(out, vec![300, 100]);
        out.clear();
        f.select_phy_offsets(&mut out, "T#a", 1, 0, i64::MAX);
        assert_eq!(out, vec![300]);
        out.clear();
        // Time window excluding the newest one.
        f.select_phy_offsets(&mut out, "T#a", 10, 0, 14_000);
        assert_eq!(out, vec![100]);

        // Header bytes on disk equal the in-memory header.
        let reopened_bytes = std::fs::read(dir.join("f")).unwrap();
        assert_eq!(&reopened_bytes[..40], &h.encode());
    }

    #[test]
    fn full_file_refuses_keys() {
        let scratch = tmp_dir("full");
        let dir = scratch.0.clone();
        let mut f = IndexFile::create(&dir.join("f"), 7, 3, 0, 0).unwrap();
        assert!(f.put_key("T#1", 1, 1000));
        assert!(f.put_key("T#2", 2, 1000));
        assert!(f.is_write_full());
        assert!(!f.put_key("T#3", 3, 1000));
        assert_eq!(f.header().index_count, 3);
    }

    #[test]
    fn successor_file_is_seeded_with_previous_end() {
        let scratch = tmp_dir("succ");
        let dir = scratch.0.clone();
        let mut f = IndexFile::create(&dir.join("f"), 7, 3, 500, 9_000).unwrap();
        assert_eq!(f.header().begin_phy_offset, 500);
        assert_eq!(f.header().begin_timestamp, 9_000);
        // The first entry's time diff is relative to the seeded begin, then begin is reset.
        assert!(f.put_key("T#1", 600, 13_500));
        assert_eq!(f.entry(1).unwrap().time_diff_seconds, 4);
        assert_eq!(f.header().begin_timestamp, 13_500);
        assert_eq!(f.header().begin_phy_offset, 600);
    }

    #[test]
    fn bad_header_never_reads_outside_the_file() {
        let scratch = tmp_dir("bad");
        let dir = scratch.0.clone();
        let path = dir.join("f");
        {
            let mut f = IndexFile::create(&path, 5, 4, 0, 0).unwrap();
            assert!(f.put_key("T#1", 1, 1000));
            f.flush().unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        // indexCount far beyond capacity, slot heads pointing everywhere.
        bytes[36..40].copy_from_slice(&i32::MAX.to_be_bytes());
        for slot in 0..5 {
            let p = 40 + slot * 4;
            bytes[p..p + 4].copy_from_slice(&(1000 + slot as i32).to_be_bytes());
        }
        std::fs::write(&path, &bytes).unwrap();
        let mut f = IndexFile::open(&path, 5, 4).unwrap();
        assert!(f.is_write_full());
        assert!(!f.put_key("T#2", 2, 1000));
        let mut out = Vec::new();
        for k in ["T#1", "T#2", "x", "y", "z"] {
            f.select_phy_offsets(&mut out, k, 10, 0, i64::MAX);
        }
        assert!(out.is_empty());

        // Wrong size: refused with a clear error.
        std::fs::write(&path, &bytes[..100]).unwrap();
        let err = IndexFile::open(&path, 5, 4).unwrap_err();
        assert!(
            matches!(err, IndexFileError::BadSize { actual: 100, .. }),
            "{err}"
        );
    }

    #[test]
    fn cyclic_chain_terminates() {
        let scratch = tmp_dir("cycle");
        let dir = scratch.0.clone();
        let path = dir.join("f");
        {
            let mut f = IndexFile::create(&path, 1, 10, 0, 0).unwrap();
            f.put_key("T#a", 1, 1000);
            f.put_key("T#a", 2, 1000);
            f.flush().unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        // Entry 1's prevIndex -> 2, entry 2's prevIndex -> 1: a two-entry cycle.
        let e1 = 40 + 4 + 20;
        bytes[e1 + 16..e1 + 20].copy_from_slice(&2i32.to_be_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let f = IndexFile::open(&path, 1, 10).unwrap();
        let mut out = Vec::new();
        f.select_phy_offsets(&mut out, "T#b", 100, 0, i64::MAX);
        assert!(out.is_empty());
        f.select_phy_offsets(&mut out, "T#a", 100, 0, i64::MAX);
        assert_eq!(out.len(), 3, "bounded walk: {out:?}");

        // Same cycle with a huge indexCount: the walk is bounded by the file's capacity.
        bytes[36..40].copy_from_slice(&i32::MAX.to_be_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let f = IndexFile::open(&path, 1, 10).unwrap();
        let mut out = Vec::new();
        f.select_phy_offsets(&mut out, "T#b", 1000, 0, i64::MAX);
        assert!(out.is_empty());
        f.select_phy_offsets(&mut out, "T#a", 1000, 0, i64::MAX);
        assert_eq!(out.len(), 10);
    }
}
