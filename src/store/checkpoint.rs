//! The `checkpoint` file (Java `StoreCheckpoint`): 4096 bytes holding `i64 physicMsgTimestamp`,
//! `i64 logicsMsgTimestamp`, `i64 indexMsgTimestamp` at offsets 0, 8 and 16; the rest zeros.
//! Abnormal recovery starts from the first CommitLog file whose first message is older than what
//! the checkpoint says is durable everywhere.
//!
//! Writes go in place with one 24-byte `pwrite` + `fdatasync` (a single sector, so a crash leaves
//! either the old or the new triple).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

pub const CHECKPOINT_FILE_SIZE: u64 = 4096;

#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    file: Mutex<File>,
    physic_msg_timestamp: AtomicI64,
    logics_msg_timestamp: AtomicI64,
    index_msg_timestamp: AtomicI64,
}

impl Checkpoint {
    /// Opens (or creates, zero-filled) the checkpoint file and reads the three timestamps. A
    /// short or missing file reads as zeros.
    pub fn open(path: &Path) -> io::Result<Checkpoint> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        let mut buf = [0u8; 24];
        let n = if len >= 24 {
            file.read_at(&mut buf, 0)?
        } else {
            0
        };
        if n < 24 {
            buf = [0u8; 24];
        }
        if len < CHECKPOINT_FILE_SIZE {
            file.set_len(CHECKPOINT_FILE_SIZE)?;
        }
        let get = |i: usize| i64::from_be_bytes(buf[i..i + 8].try_into().unwrap_or([0; 8]));
        let cp = Checkpoint {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            physic_msg_timestamp: AtomicI64::new(get(0)),
            logics_msg_timestamp: AtomicI64::new(get(8)),
            index_msg_timestamp: AtomicI64::new(get(16)),
        };
        tracing::info!(
            physic = cp.physic_msg_timestamp(),
            logics = cp.logics_msg_timestamp(),
            index = cp.index_msg_timestamp(),
            "store checkpoint loaded"
        );
        Ok(cp)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn physic_msg_timestamp(&self) -> i64 {
        self.physic_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn set_physic_msg_timestamp(&self, ts: i64) {
        self.physic_msg_timestamp.store(ts, Ordering::Release);
    }
    pub fn logics_msg_timestamp(&self) -> i64 {
        self.logics_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn set_logics_msg_timestamp(&self, ts: i64) {
        self.logics_msg_timestamp.store(ts, Ordering::Release);
    }
    pub fn index_msg_timestamp(&self) -> i64 {
        self.index_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn set_index_msg_timestamp(&self, ts: i64) {
        self.index_msg_timestamp.store(ts, Ordering::Release);
    }

    /// `min(physic, logics) - 3 s`, never negative (Java `getMinTimestamp`).
    pub fn min_timestamp(&self) -> i64 {
        (self.physic_msg_timestamp().min(self.logics_msg_timestamp()) - 3000).max(0)
    }

    /// `min(min_timestamp, index)` (Java `getMinTimestampIndex`, used with messageIndexSafe).
    pub fn min_timestamp_index(&self) -> i64 {
        self.min_timestamp().min(self.index_msg_timestamp())
    }

    /// Writes the three timestamps and syncs them.
    pub fn flush(&self) -> io::Result<()> {
        let mut buf = [0u8; 24];
        buf[0..8].copy_from_slice(&self.physic_msg_timestamp().to_be_bytes());
        buf[8..16].copy_from_slice(&self.logics_msg_timestamp().to_be_bytes());
        buf[16..24].copy_from_slice(&self.index_msg_timestamp().to_be_bytes());
        let file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all_at(&buf, 0)?;
        file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_min_timestamps() {
        let dir = std::env::temp_dir().join(format!("ferrocket-cp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("checkpoint");
        let cp = Checkpoint::open(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 4096);
        assert_eq!(
            (
                cp.physic_msg_timestamp(),
                cp.logics_msg_timestamp(),
                cp.index_msg_timestamp()
            ),
            (0, 0, 0)
        );
        assert_eq!(cp.min_timestamp(), 0);
        cp.set_physic_msg_timestamp(1_795_421_000_000);
        cp.set_logics_msg_timestamp(1_795_421_000_500);
        cp.set_index_msg_timestamp(1_795_420_000_000);
        cp.flush().unwrap();
        assert_eq!(cp.min_timestamp(), 1_795_420_997_000);
        assert_eq!(cp.min_timestamp_index(), 1_795_420_000_000);
        drop(cp);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert_eq!(&bytes[0..8], &1_795_421_000_000i64.to_be_bytes());
        assert_eq!(&bytes[8..16], &1_795_421_000_500i64.to_be_bytes());
        assert_eq!(&bytes[16..24], &1_795_420_000_000i64.to_be_bytes());
        assert!(bytes[24..].iter().all(|&b| b == 0));
        let again = Checkpoint::open(&path).unwrap();
        assert_eq!(again.logics_msg_timestamp(), 1_795_421_000_500);
        // A truncated file reads as zeros.
        std::fs::write(&path, [1u8; 10]).unwrap();
        assert_eq!(Checkpoint::open(&path).unwrap().physic_msg_timestamp(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
