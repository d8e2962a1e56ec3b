//! CommitLog recovery at start-up (Java `CommitLog.recoverNormally` / `recoverAbnormally`).
//!
//! * Clean shutdown (no `abort` file): walk the last three files and cut the log after the last
//!   valid record; the derived files are cut too if they point past it. Records the derived files
//!   miss are dispatched afterwards by the reput thread, from where they end.
//! * Crash (`abort` present): find the newest file whose first record is older than what the
//!   checkpoint says was durable everywhere (`min(physic, logics) - 3 s`; with the index too when
//!   `messageIndexSafe`), walk from there to the end re-dispatching every record, cut the torn
//!   tail, and cut the derived files to match.
//!
//! A record ends the log when its magic is wrong, its lengths do not add up, it runs past the
//! file, or (with `checkCRCOnRecover`) its body CRC does not match. Everything before it is kept.
//! Unlike Java, every finished file during a crash recovery is made durable and checkpointed, so a
//! crash loop does not re-scan from the start each time (Java issue #9587).

use std::io;
use std::time::{Duration, Instant};

use super::checkpoint::Checkpoint;
use super::commit_log::CommitLog;
use super::dispatch::DispatchRequest;
use super::mapped_file::MappedFile;
use super::message::record::{check_record, DecodeError, RecordCheck};
use super::message::{sys_flag, MESSAGE_MAGIC_CODE};

/// The files derived from the CommitLog (ConsumeQueues and IndexFiles), as recovery needs them.
pub trait LogicFiles: Send + Sync {
    /// Re-applies one recovered record (must tolerate records it already has).
    fn dispatch(&self, request: &DispatchRequest);
    /// The largest CommitLog end offset any derived file covers (-1 when none).
    fn max_physical_offset(&self) -> i64;
    /// Drops whatever points at or past `phy_offset`.
    fn truncate_dirty(&self, phy_offset: i64);
    /// Drops everything (the CommitLog is gone).
    fn destroy_all(&self);
    /// Makes everything dispatched so far durable.
    fn flush_all(&self) -> io::Result<()>;
}

/// Where and why the log was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCut {
    /// The new end of the log.
    pub offset: i64,
    /// What was found there.
    pub reason: String,
}

/// What recovery did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    /// Crash recovery (the `abort` file was present).
    pub abnormal: bool,
    /// The file the walk started from (None: no CommitLog files).
    pub start_file: Option<String>,
    pub start_offset: i64,
    /// End of the valid log after recovery.
    pub end_offset: i64,
    pub scanned_bytes: u64,
    pub records: u64,
    /// Records re-dispatched to the derived files (crash recovery only).
    pub dispatched: u64,
    /// Set when the walk stopped on bytes that are not the clean end of the data.
    pub cut: Option<RecoveryCut>,
    /// CommitLog files deleted because they lie past the end.
    pub files_deleted: usize,
    /// Whether the derived files had to be cut.
    pub logic_truncated: bool,
    pub elapsed: Duration,
}

impl RecoveryReport {
    /// Scan speed in GB/s (10^9 bytes).
    pub fn gb_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        self.scanned_bytes as f64 / secs / 1e9
    }
}

/// Whether the bytes where the walk stopped are the clean end of the data (an all-zero header)
/// rather than damage.
fn is_clean_end(file: &MappedFile, pos: usize) -> bool {
    let avail = file.file_size().saturating_sub(pos).min(8);
    match file.bytes(pos, avail) {
        Some(b) => b.iter().all(|&x| x == 0),
        None => true,
    }
}

/// Java `isMappedFileMatchedRecover`: the file's first record is a message stored at or before
/// the checkpoint's durable time.
fn file_matches_checkpoint(file: &MappedFile, checkpoint: &Checkpoint, index_safe: bool) -> bool {
    let Some(head) = file.bytes(0, 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 20 + 8) else {
        return false;
    };
    let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    if magic != MESSAGE_MAGIC_CODE {
        return false;
    }
    let flag = i32::from_be_bytes([head[36], head[37], head[38], head[39]]);
    let born_host_len = if flag & sys_flag::BORNHOST_V6_FLAG == 0 {
        8
    } else {
        20
    };
    let pos = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born_host_len;
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&head[pos..pos + 8]);
    let store_timestamp = i64::from_be_bytes(ts);
    if store_timestamp == 0 {
        return false;
    }
    let durable = if index_safe {
        checkpoint.min_timestamp_index()
    } else {
        checkpoint.min_timestamp()
    };
    store_timestamp <= durable
}

/// Runs recovery. `index_safe` is `messageIndexEnable && messageIndexSafe`.
pub fn recover(
    commit_log: &CommitLog,
    logic: &dyn LogicFiles,
    checkpoint: &Checkpoint,
    abnormal: bool,
    index_safe: bool,
) -> RecoveryReport {
    let started = Instant::now();
    let queue = commit_log.mapped_file_queue();
    let files = queue.files();
    let max_phy_of_logic = logic.max_physical_offset();
    let mut report = RecoveryReport {
        abnormal,
        ..RecoveryReport::default()
    };

    if files.is_empty() {
        tracing::warn!("the commitlog files are deleted, and delete the consume queue files");
        queue.set_flushed_where(0);
        logic.destroy_all();
        report.elapsed = started.elapsed();
        return report;
    }

    let mut index = if abnormal {
        let found = files
            .iter()
            .rposition(|f| file_matches_checkpoint(f, checkpoint, index_safe));
        found.unwrap_or(0)
    } else {
        files.len().saturating_sub(3)
    };
    report.start_file = Some(files[index].file_name().to_string());
    report.start_offset = files[index].file_from_offset();
    tracing::info!(
        file = files[index].file_name(),
        abnormal,
        "recover commitlog from this file"
    );

    let check_crc = commit_log.check_crc_on_recover();
    let delay_levels = commit_log.delay_levels_ms();
    let mut file = &files[index];
    let mut pos = 0usize;
    let mut last_store_timestamp = 0i64;
    loop {
        let rest = file
            .bytes(pos, file.file_size().saturating_sub(pos))
            .unwrap_or(&[]);
        let verdict = if rest.is_empty() {
            RecordCheck::Invalid(DecodeError::Truncated {
                needed: 8,
                available: 0,
            })
        } else {
            check_record(rest, check_crc, delay_levels)
        };
        match verdict {
            RecordCheck::Message(req) => {
                let size = req.msg_size as usize;
                pos += size;
                report.scanned_bytes += size as u64;
                report.records += 1;
                last_store_timestamp = req.store_timestamp;
                if abnormal {
                    logic.dispatch(&req);
                    report.dispatched += 1;
                }
            }
            RecordCheck::Blank => {
                report.scanned_bytes += (file.file_size() - pos) as u64;
                if abnormal {
                    checkpoint_finished_file(file, logic, checkpoint, last_store_timestamp);
                }
                index += 1;
                match files.get(index) {
                    Some(next) => {
                        tracing::info!(file = next.file_name(), "recover next physics file");
                        file = next;
                        pos = 0;
                    }
                    None => {
                        // Java's "current branch can not happen": the last file ends in a blank.
                        pos = file.file_size();
                        break;
                    }
                }
            }
            RecordCheck::Invalid(reason) => {
                if !is_clean_end(file, pos) {
                    let offset = file.file_from_offset() + pos as i64;
                    tracing::warn!(offset, reason = %reason, "recovery: commitlog cut after the last valid record");
                    report.cut = Some(RecoveryCut {
                        offset,
                        reason: reason.to_string(),
                    });
                }
                break;
            }
        }
    }
    let process_offset = file.file_from_offset() + pos as i64;
    report.end_offset = process_offset;

    let before = queue.file_count();
    queue.set_flushed_where(process_offset);
    queue.truncate_dirty_files(process_offset);
    report.files_deleted = before - queue.file_count();

    if max_phy_of_logic >= process_offset {
        tracing::warn!(
            max_phy_of_logic,
            process_offset,
            "maxPhyOffsetOfConsumeQueue >= processOffset, truncate dirty logic files"
        );
        logic.truncate_dirty(process_offset);
        report.logic_truncated = true;
    }

    if abnormal && last_store_timestamp > 0 {
        // Everything up to the end is now in the CommitLog and the derived files: make it
        // durable and say so, so the next crash recovery starts here.
        checkpoint_finished_file(file, logic, checkpoint, last_store_timestamp);
    }

    report.elapsed = started.elapsed();
    tracing::info!(
        abnormal,
        start = report.start_offset,
        end = report.end_offset,
        scanned_bytes = report.scanned_bytes,
        records = report.records,
        dispatched = report.dispatched,
        files_deleted = report.files_deleted,
        gb_per_s = report.gb_per_second(),
        cut = ?report.cut,
        "commitlog recovery done"
    );
    report
}

/// After a file is fully re-dispatched: sync it and the derived files, then move the checkpoint.
fn checkpoint_finished_file(
    file: &MappedFile,
    logic: &dyn LogicFiles,
    checkpoint: &Checkpoint,
    ts: i64,
) {
    if ts <= 0 {
        return;
    }
    let synced = file.sync_all().and_then(|_| logic.flush_all());
    match synced {
        Ok(()) => {
            checkpoint.set_physic_msg_timestamp(ts);
            checkpoint.set_logics_msg_timestamp(ts);
            checkpoint.set_index_msg_timestamp(ts);
            if let Err(e) = checkpoint.flush() {
                tracing::warn!(error = %e, "could not write the checkpoint during recovery");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not sync during recovery; checkpoint not moved")
        }
    }
}
