//! CommitLog retention (Java `CleanCommitLogService`): expired files are deleted at the
//! `deleteWhen` hours, or at any hour when the disk is fuller than `diskMaxUsedSpaceRatio`;
//! above `diskSpaceCleanForciblyRatio` (85 %) files are deleted regardless of age (when
//! `cleanFileForciblyEnable`), and above `diskSpaceWarningLevelRatio` (90 %) the store is marked
//! disk-full and refuses writes (SERVICE_NOT_AVAILABLE) until space comes back. A write is never
//! attempted into space that is not there: that is how a full disk cannot corrupt the store
//! (Java bug #4707); new CommitLog files also reserve their blocks when created.

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use super::commit_log::CommitLog;
use super::config::{
    MessageStoreConfig, DISK_SPACE_CLEAN_FORCIBLY_RATIO, DISK_SPACE_WARNING_LEVEL_RATIO,
};

/// Java's `RunningFlags` bits.
#[derive(Debug, Default)]
pub struct RunningFlags(AtomicU32);

impl RunningFlags {
    pub const NOT_READABLE: u32 = 1;
    pub const NOT_WRITEABLE: u32 = 1 << 1;
    pub const WRITE_LOGICS_QUEUE_ERROR: u32 = 1 << 2;
    pub const WRITE_INDEX_FILE_ERROR: u32 = 1 << 3;
    pub const DISK_FULL: u32 = 1 << 4;

    pub fn bits(&self) -> u32 {
        self.0.load(Ordering::Acquire)
    }

    /// Java `isWriteable`: none of not-writeable, disk-full, logics-queue or index errors.
    pub fn is_writeable(&self) -> bool {
        self.bits()
            & (Self::NOT_WRITEABLE
                | Self::WRITE_LOGICS_QUEUE_ERROR
                | Self::DISK_FULL
                | Self::WRITE_INDEX_FILE_ERROR)
            == 0
    }

    pub fn is_disk_full(&self) -> bool {
        self.bits() & Self::DISK_FULL != 0
    }

    /// Sets a flag; returns whether it was clear before.
    pub fn set(&self, flag: u32) -> bool {
        self.0.fetch_or(flag, Ordering::AcqRel) & flag == 0
    }

    /// Clears a flag; returns whether it was set before.
    pub fn clear(&self, flag: u32) -> bool {
        self.0.fetch_and(!flag, Ordering::AcqRel) & flag != 0
    }
}

/// Used fraction (0..1) of the file system holding `path` (`UtilAll.getDiskPartitionSpaceUsedPercent`:
/// (total - free) / total, free including reserved blocks); -1 when it cannot be read.
pub fn disk_used_ratio(path: &Path) -> f64 {
    let mut probe = path.to_path_buf();
    while !probe.exists() {
        if !probe.pop() {
            return -1.0;
        }
    }
    let Ok(c_path) = CString::new(probe.as_os_str().as_encoded_bytes()) else {
        return -1.0;
    };
    // SAFETY: statvfs fills the struct we own; the path is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut st) } != 0 {
        return -1.0;
    }
    let total = st.f_blocks as f64 * st.f_frsize as f64;
    let free = st.f_bfree as f64 * st.f_frsize as f64;
    if total <= 0.0 {
        return -1.0;
    }
    (total - free) / total
}

/// The local hour of the day (0-23).
pub fn local_hour_now() -> i32 {
    // SAFETY: time/localtime_r only write into the struct we own.
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return -1;
        }
        tm.tm_hour
    }
}

/// Java `UtilAll.isItTimeToDo`: `when` is `;`-separated hours.
pub fn is_it_time_to_do(when: &str, hour: i32) -> bool {
    when.split(';')
        .any(|h| h.trim().parse::<i32>().is_ok_and(|h| h == hour))
}

/// The CommitLog part of retention; `run_once` is called every `cleanResourceInterval`.
#[derive(Debug, Default)]
pub struct CleanCommitLogService {
    manual_delete_times: AtomicI32,
}

/// What one pass decided and did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CleanPass {
    pub disk_ratio: f64,
    pub time_up: bool,
    pub space_full: bool,
    pub clean_immediately: bool,
    pub deleted: usize,
}

impl CleanCommitLogService {
    /// Admin "delete expired files" (Java `executeDeleteFilesManually`): the next 20 passes delete.
    pub fn execute_delete_files_manually(&self) {
        self.manual_delete_times.store(20, Ordering::Release);
    }

    /// One pass with the given disk usage (so tests can simulate a full disk).
    pub fn run_with_ratio(
        &self,
        config: &MessageStoreConfig,
        commit_log: &CommitLog,
        flags: &RunningFlags,
        disk_ratio: f64,
        hour: i32,
    ) -> CleanPass {
        let max_ratio = config.disk_max_used_space_ratio as f64 / 100.0;
        let mut clean_immediately = false;
        if disk_ratio > DISK_SPACE_WARNING_LEVEL_RATIO {
            if flags.set(RunningFlags::DISK_FULL) {
                tracing::error!(
                    ratio = disk_ratio,
                    "physic disk maybe full soon, so mark disk full"
                );
            }
            clean_immediately = true;
        } else if disk_ratio > DISK_SPACE_CLEAN_FORCIBLY_RATIO {
            clean_immediately = true;
        } else if flags.clear(RunningFlags::DISK_FULL) {
            tracing::info!(ratio = disk_ratio, "physic disk space OK, so mark disk ok");
        }
        let space_full = disk_ratio < 0.0 || disk_ratio > max_ratio;
        let time_up = is_it_time_to_do(&config.delete_when, hour);
        let manual = self.manual_delete_times.load(Ordering::Acquire) > 0;
        let mut deleted = 0;
        if time_up || space_full || manual {
            if manual {
                self.manual_delete_times.fetch_sub(1, Ordering::AcqRel);
            }
            let clean_at_once = config.clean_file_forcibly_enable && clean_immediately;
            let reserved_ms = config.file_reserved_time.max(0) as i64 * 3_600_000;
            deleted = commit_log.delete_expired_files(
                reserved_ms,
                config.delete_commit_log_files_interval.max(0) as u64,
                clean_at_once,
            );
            if deleted == 0 && space_full {
                tracing::warn!("disk space will be full soon, but delete file failed.");
            }
        }
        CleanPass {
            disk_ratio,
            time_up,
            space_full,
            clean_immediately,
            deleted,
        }
    }

    /// One pass measuring the CommitLog's disk.
    pub fn run_once(
        &self,
        config: &MessageStoreConfig,
        commit_log: &CommitLog,
        flags: &RunningFlags,
    ) -> CleanPass {
        let ratio = disk_used_ratio(&config.commit_log_dir());
        self.run_with_ratio(config, commit_log, flags, ratio, local_hour_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_flags() {
        assert!(is_it_time_to_do("04", 4));
        assert!(is_it_time_to_do("01;04;23", 23));
        assert!(!is_it_time_to_do("04", 5));
        assert!(!is_it_time_to_do("x", 0));
        let f = RunningFlags::default();
        assert!(f.is_writeable());
        assert!(f.set(RunningFlags::DISK_FULL));
        assert!(!f.set(RunningFlags::DISK_FULL));
        assert!(!f.is_writeable());
        assert!(f.clear(RunningFlags::DISK_FULL));
        assert!(f.is_writeable());
        let r = disk_used_ratio(&std::env::temp_dir().join("does/not/exist"));
        assert!((0.0..=1.0).contains(&r));
        assert!((0..24).contains(&local_hour_now()));
    }
}
