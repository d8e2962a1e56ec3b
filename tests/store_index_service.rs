//! IndexService behaviour without the golden corpus: which records get keys, rolling to a new
//! file, queries across files, abnormal-exit load, retention, bad files.

mod support;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;
use support::TempDir;

use ferrocket::store::dispatch::{CommitLogDispatcher, DispatchRequest};
use ferrocket::store::index::{index_file_size, IndexConfig, IndexService};

/// 11 slots, 5 entries per file (4 usable: entry 0 is never written).
fn small() -> IndexConfig {
    IndexConfig {
        max_hash_slot_num: 11,
        max_index_num: 5,
        ..IndexConfig::default()
    }
}

fn record(offset: i64, keys: &str, uniq: &str, store_timestamp: i64) -> DispatchRequest {
    DispatchRequest {
        topic: "T".into(),
        commit_log_offset: offset,
        msg_size: 100,
        store_timestamp,
        keys: keys.into(),
        uniq_key: uniq.into(),
        success: true,
        ..Default::default()
    }
}

fn entry_counts(service: &IndexService) -> Vec<i32> {
    service.with_files(|files| files.iter().map(|f| f.header().index_count - 1).collect())
}

#[test]
fn keys_uniq_key_and_what_is_skipped() {
    let scratch = TempDir::new("idxsvc-keys");
    let dir = scratch.path().to_path_buf();
    let service = IndexService::new(
        &dir,
        IndexConfig {
            max_hash_slot_num: 101,
            max_index_num: 100,
            ..small()
        },
    );
    // Empty words between separators are skipped; uniq key first.
    service.dispatch(&record(0, " a  b ", "U0", 1_000));
    assert_eq!(entry_counts(&service), vec![3]);
    // Rolled-back transaction records are not indexed; prepared and committed ones are.
    service.dispatch(&DispatchRequest {
        sys_flag: 0xC,
        ..record(100, "rb", "U1", 2_000)
    });
    service.dispatch(&DispatchRequest {
        sys_flag: 0x4,
        ..record(200, "prep", "", 3_000)
    });
    service.dispatch(&DispatchRequest {
        sys_flag: 0x8,
        ..record(300, "commit", "", 4_000)
    });
    assert_eq!(entry_counts(&service), vec![5]);
    // A record behind the last indexed offset (re-dispatch after recovery) is skipped.
    service.dispatch(&record(250, "late", "", 5_000));
    assert_eq!(entry_counts(&service), vec![5]);
    let q = |key: &str| service.query_offsets("T", key, 32, 0, i64::MAX).phy_offsets;
    assert_eq!(q("a"), vec![0]);
    assert_eq!(q("U0"), vec![0]);
    assert!(q("rb").is_empty());
    assert!(q("U1").is_empty());
    assert_eq!(q("prep"), vec![200]);
    assert_eq!(q("commit"), vec![300]);
    assert!(q("late").is_empty());
    assert!(service
        .query_offsets("Other", "a", 32, 0, i64::MAX)
        .phy_offsets
        .is_empty());
    let r = service.query_offsets("T", "a", 32, 0, i64::MAX);
    assert_eq!(
        (
            r.index_last_update_phy_offset,
            r.index_last_update_timestamp
        ),
        (300, 4_000)
    );

    // messageIndexEnable=false: dispatch builds nothing.
    let off_dir = TempDir::new("idxsvc-keys-off");
    let off = IndexService::new(
        off_dir.path().to_path_buf(),
        IndexConfig {
            message_index_enable: false,
            ..small()
        },
    );
    off.dispatch(&record(0, "a", "U", 1));
    assert!(entry_counts(&off).is_empty());
}

#[test]
fn full_file_rolls_over_and_queries_span_files() {
    let scratch = TempDir::new("idxsvc-roll");
    let dir = scratch.path().to_path_buf();
    let service = IndexService::new(&dir, small());
    let (tx, rx) = mpsc::channel();
    service.set_on_flushed(Box::new(move |ts| {
        let _ = tx.send(ts);
    }));
    // Same key "k" on every record: 10 entries over 3 files (4 + 4 + 2).
    for i in 0..10 {
        service.dispatch(&record(i * 100, "k", "", 10_000 + i * 1000));
    }
    assert_eq!(entry_counts(&service), vec![4, 4, 2]);
    service.with_files(|files| {
        // A successor starts with the predecessor's end (Java seeds the new header).
        let h1 = files[1].header();
        assert_eq!((h1.begin_phy_offset, h1.begin_timestamp), (400, 14_000));
        assert_eq!((h1.end_phy_offset, h1.end_timestamp), (700, 17_000));
        let size = index_file_size(11, 5).unwrap();
        for f in files {
            assert_eq!(std::fs::metadata(f.path()).unwrap().len(), size);
        }
        assert!(
            files[0].file_name() < files[1].file_name()
                && files[1].file_name() < files[2].file_name()
        );
    });
    let all = service.query_offsets("T", "k", 64, 0, i64::MAX).phy_offsets;
    assert_eq!(all, vec![900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    // maxNum, then maxMsgsNumBatch (64) caps it.
    assert_eq!(
        service.query_offsets("T", "k", 3, 0, i64::MAX).phy_offsets,
        vec![900, 800, 700]
    );
    // A time window selects files and entries by store time.
    assert_eq!(
        service
            .query_offsets("T", "k", 64, 13_000, 15_000)
            .phy_offsets,
        vec![500, 400, 300]
    );

    // The full files were flushed on a background thread, which reports their end time for the
    // checkpoint's indexMsgTimestamp.
    let mut reported = vec![rx.recv_timeout(Duration::from_secs(60)).unwrap()];
    reported.push(rx.recv_timeout(Duration::from_secs(60)).unwrap());
    reported.sort();
    assert_eq!(reported, vec![13_000, 17_000]);
    assert_eq!(service.index_msg_timestamp(), 17_000);

    // Reload after a clean exit: same answers.
    drop(service);
    let service = IndexService::new(&dir, small());
    service.load(true, 0).unwrap();
    assert_eq!(entry_counts(&service), vec![4, 4, 2]);
    assert_eq!(
        service
            .query_offsets("T", "k", 64, 0, i64::MAX)
            .phy_offsets
            .len(),
        10
    );
    // New records go into the last, not yet full file.
    service.dispatch(&record(1000, "k", "", 20_000));
    assert_eq!(entry_counts(&service), vec![4, 4, 3]);
}

#[test]
fn abnormal_exit_drops_files_past_the_checkpoint() {
    let scratch = TempDir::new("idxsvc-abnormal");
    let dir = scratch.path().to_path_buf();
    {
        let service = IndexService::new(&dir, small());
        for i in 0..10 {
            service.dispatch(&record(i * 100, "k", "", 10_000 + i * 1000));
        }
        service.flush().unwrap();
    }
    // Files end at 13 000, 17 000, 19 000; the checkpoint says 17 000 is safe.
    let service = IndexService::new(&dir, small());
    service.load(false, 17_000).unwrap();
    assert_eq!(entry_counts(&service), vec![4, 4]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "the third file is deleted from disk"
    );
    // Re-dispatching the lost records rebuilds them in a new file.
    for i in 8..10 {
        service.dispatch(&record(i * 100, "k", "", 10_000 + i * 1000));
    }
    assert_eq!(
        service
            .query_offsets("T", "k", 64, 0, i64::MAX)
            .phy_offsets
            .len(),
        10
    );
    // After a clean exit nothing is dropped whatever the checkpoint says.
    drop(service);
    let service = IndexService::new(&dir, small());
    service.load(true, 0).unwrap();
    assert_eq!(entry_counts(&service), vec![4, 4, 2]);
}

#[test]
fn retention_deletes_files_behind_the_commit_log_minimum() {
    let scratch = TempDir::new("idxsvc-expire");
    let dir = scratch.path().to_path_buf();
    let service = IndexService::new(&dir, small());
    for i in 0..10 {
        service.dispatch(&record(i * 100, "k", "", 10_000 + i * 1000));
    }
    // File ends: 300, 700, 900. Minimum 500: only the first file is wholly behind.
    assert_eq!(service.delete_expired_files(500), 1);
    assert_eq!(entry_counts(&service), vec![4, 2]);
    // The last file always stays.
    assert_eq!(service.delete_expired_files(1_000_000), 1);
    assert_eq!(entry_counts(&service), vec![2]);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    assert_eq!(
        service.query_offsets("T", "k", 64, 0, i64::MAX).phy_offsets,
        vec![900, 800]
    );
}

#[test]
fn files_with_the_wrong_size_are_skipped_not_fatal() {
    let scratch = TempDir::new("idxsvc-badsize");
    let dir = scratch.path().to_path_buf();
    {
        let service = IndexService::new(&dir, small());
        for i in 0..6 {
            service.dispatch(&record(i * 100, "k", "", 10_000 + i * 1000));
        }
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2);
    // A torn first file and a stray file: both skipped (and left on disk for inspection).
    std::fs::write(&names[0], b"short").unwrap();
    std::fs::write(dir.join("README"), b"x").unwrap();
    let service = IndexService::new(&dir, small());
    service.load(true, 0).unwrap();
    assert_eq!(entry_counts(&service), vec![2]);
    assert_eq!(
        service.query_offsets("T", "k", 64, 0, i64::MAX).phy_offsets,
        vec![500, 400]
    );
    assert!(names[0].exists());
}

#[test]
fn a_garbage_header_is_read_safely_and_the_file_treated_as_full() {
    let scratch = TempDir::new("idxsvc-badheader");
    let dir = scratch.path().to_path_buf();
    {
        let service = IndexService::new(&dir, small());
        service.dispatch(&record(0, "k", "", 10_000));
    }
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut raw = std::fs::read(&path).unwrap();
    // indexCount = i32::MAX, hashSlotCount negative, every slot head pointing far away.
    raw[32..36].copy_from_slice(&(-5i32).to_be_bytes());
    raw[36..40].copy_from_slice(&i32::MAX.to_be_bytes());
    for slot in 0..11 {
        raw[40 + slot * 4..44 + slot * 4].copy_from_slice(&(i32::MAX - slot as i32).to_be_bytes());
    }
    std::fs::write(&path, &raw).unwrap();
    let service = IndexService::new(&dir, small());
    service.load(true, 0).unwrap();
    assert!(service
        .query_offsets("T", "k", 64, 0, i64::MAX)
        .phy_offsets
        .is_empty());
    // The next record goes into a fresh file; queries find it.
    service.dispatch(&record(100, "k", "", 11_000));
    assert_eq!(service.with_files(|f| f.len()), 2);
    assert_eq!(
        service.query_offsets("T", "k", 64, 0, i64::MAX).phy_offsets,
        vec![100]
    );
}

#[test]
fn an_unwritable_index_dir_sets_the_error_flag() {
    let scratch = TempDir::new("idxsvc-unwritable");
    let dir = scratch.path().to_path_buf();
    // A regular file where the index directory should be: no index file can be created.
    let blocked = dir.join("index");
    std::fs::write(&blocked, b"not a dir").unwrap();
    let service = IndexService::new(&blocked, small());
    assert!(!service.is_index_error());
    service.dispatch(&record(0, "k", "", 1_000));
    assert!(service.is_index_error());
    assert!(service
        .query_offsets("T", "k", 8, 0, i64::MAX)
        .phy_offsets
        .is_empty());
}
