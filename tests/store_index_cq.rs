//! ConsumeQueue behaviour without the golden corpus: appends, Java's gap fill and repeated-put
//! rules, file roll, recovery, truncation, retention, bad files.

mod support;

use support::TempDir;

use ferrocket::store::consume_queue::{
    consume_queue_file_size, ConsumeQueue, ConsumeQueueStore, CqUnit,
};
use ferrocket::store::dispatch::{CommitLogDispatcher, DispatchRequest};

/// Five units per file, so rolls and retention happen after a handful of puts.
const SMALL: usize = 100;

/// Record `i` of a fake CommitLog: 100 bytes each, at offset 1000 + 100 i.
fn put(cq: &ConsumeQueue, i: i64) {
    cq.put(
        1000 + 100 * i,
        100,
        7000 + i,
        i,
        1_700_000_000_000 + i * 1000,
    )
    .unwrap();
}

fn unit(i: i64) -> CqUnit {
    CqUnit {
        commit_log_offset: 1000 + 100 * i,
        size: 100,
        tags_code: 7000 + i,
    }
}

fn file_names(cq: &ConsumeQueue) -> Vec<String> {
    cq.files()
        .iter()
        .map(|f| f.file_name().to_string())
        .collect()
}

#[test]
fn file_size_rounds_up_to_whole_units() {
    assert_eq!(consume_queue_file_size(300_000 * 20), 6_000_000);
    assert_eq!(consume_queue_file_size(30), 40);
    assert_eq!(consume_queue_file_size(0), 20);
}

#[test]
fn appends_roll_files_and_read_back() {
    let scratch = TempDir::new("cq-append");
    let dir = scratch.path().to_path_buf();
    let cq = ConsumeQueue::new(&dir, "T", 3, SMALL);
    for i in 0..12 {
        put(&cq, i);
    }
    assert_eq!(
        file_names(&cq),
        [
            "00000000000000000000",
            "00000000000000000100",
            "00000000000000000200"
        ]
    );
    assert!(dir.join("T/3/00000000000000000100").is_file());
    assert_eq!(
        (cq.min_offset_in_queue(), cq.max_offset_in_queue()),
        (0, 12)
    );
    assert_eq!(cq.max_physic_offset(), 1000 + 100 * 12);
    assert_eq!(cq.last_commit_log_end(), 1000 + 100 * 12);
    for i in 0..12 {
        assert_eq!(cq.unit_at(i), Some(unit(i)));
    }
    assert_eq!(cq.unit_at(12), None);
    // A run ends at its file's end; the caller moves on with roll_next_file.
    let run = cq.units_from(6).unwrap();
    assert_eq!(run.start_index(), 6);
    assert_eq!(
        run.iter().collect::<Vec<_>>(),
        vec![unit(6), unit(7), unit(8), unit(9)]
    );
    assert_eq!(
        run.clone().truncated(2).iter().collect::<Vec<_>>(),
        vec![unit(6), unit(7)]
    );
    assert_eq!(cq.roll_next_file(6), 10);
    // The bytes on disk are Java's unit layout.
    let raw = std::fs::read(dir.join("T/3/00000000000000000000")).unwrap();
    assert_eq!(&raw[20..40], &unit(1).encode());
    assert_eq!(&raw[20..28], &1100i64.to_be_bytes());
    assert_eq!(&raw[28..32], &100i32.to_be_bytes());
    assert_eq!(&raw[32..40], &7001i64.to_be_bytes());
}

#[test]
fn repeated_puts_are_ignored() {
    let scratch = TempDir::new("cq-repeat");
    let dir = scratch.path().to_path_buf();
    let cq = ConsumeQueue::new(&dir, "T", 0, SMALL);
    for i in 0..3 {
        put(&cq, i);
    }
    // Same records again (a re-dispatch after recovery): covered by maxPhysicOffset.
    for i in 0..3 {
        put(&cq, i);
    }
    assert_eq!(cq.max_offset_in_queue(), 3);
    // A new record claiming an already written queue offset: skipped too.
    cq.put(5000, 100, 1, 1, 0).unwrap();
    assert_eq!(cq.max_offset_in_queue(), 3);
    assert_eq!(cq.unit_at(1), Some(unit(1)));
    // A gap in queue offsets: Java logs "[BUG]" and appends at the current position anyway.
    cq.put(6000, 100, 1, 7, 0).unwrap();
    assert_eq!(cq.max_offset_in_queue(), 4);
    assert_eq!(cq.unit_at(3).unwrap().commit_log_offset, 6000);
}

#[test]
fn a_queue_that_starts_late_gets_blank_units() {
    let scratch = TempDir::new("cq-preblank");
    let dir = scratch.path().to_path_buf();
    let cq = ConsumeQueue::new(&dir, "T", 0, SMALL);
    // First record at queue offset 7: the queue's first file starts at unit 5, units 5 and 6
    // are Java's blanks (0, Integer.MAX_VALUE, 0).
    cq.put(1000, 100, 1, 7, 0).unwrap();
    assert_eq!(file_names(&cq), ["00000000000000000100"]);
    assert_eq!(cq.min_offset_in_queue(), 7);
    assert_eq!(cq.max_offset_in_queue(), 8);
    assert_eq!(cq.unit_at(7).unwrap().commit_log_offset, 1000);
    assert_eq!(cq.unit_at(6), None, "below the min offset");
    let raw = std::fs::read(dir.join("T/0/00000000000000000100")).unwrap();
    let blank = CqUnit {
        commit_log_offset: 0,
        size: i32::MAX,
        tags_code: 0,
    }
    .encode();
    assert_eq!(&raw[0..20], &blank);
    assert_eq!(&raw[20..40], &blank);
    assert_eq!(
        CqUnit::decode(&raw[40..60]).unwrap().commit_log_offset,
        1000
    );
}

#[test]
fn recovery_finds_the_last_valid_unit() {
    let scratch = TempDir::new("cq-recover");
    let dir = scratch.path().to_path_buf();
    {
        let cq = ConsumeQueue::new(&dir, "T", 0, SMALL);
        for i in 0..8 {
            put(&cq, i);
        }
    }
    let store = ConsumeQueueStore::new(&dir, SMALL);
    store.load().unwrap();
    assert_eq!(store.recover(), 1000 + 100 * 8);
    let cq = store.find("T", 0).unwrap();
    assert_eq!(cq.max_offset_in_queue(), 8);
    // Appending continues where the data ends, not at the loaded files' full size.
    put(&cq, 8);
    assert_eq!(cq.unit_at(8), Some(unit(8)));
    assert_eq!(cq.max_offset_in_queue(), 9);

    // A torn tail: unit 6 zeroed on disk (as if never written) hides unit 7.
    drop(store);
    let path = dir.join("T/0/00000000000000000100");
    let mut raw = std::fs::read(&path).unwrap();
    raw[20..40].fill(0);
    std::fs::write(&path, &raw).unwrap();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    store.load().unwrap();
    assert_eq!(store.recover(), 1000 + 100 * 6);
    let cq = store.find("T", 0).unwrap();
    assert_eq!(cq.max_offset_in_queue(), 6);
    assert_eq!(cq.unit_at(6), None);
    // The stale unit 7 behind the cut was zeroed, so a later recovery cannot resurrect it.
    let raw = std::fs::read(&path).unwrap();
    assert!(raw[20..].iter().all(|&b| b == 0));
}

#[test]
fn truncate_dirty_cuts_units_past_the_commit_log() {
    let scratch = TempDir::new("cq-truncate");
    let dir = scratch.path().to_path_buf();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    let a = store.find_or_create("A", 0).unwrap();
    let b = store.find_or_create("B", 1).unwrap();
    for i in 0..12 {
        put(&a, i);
    }
    for i in 0..2 {
        put(&b, i);
    }
    // The CommitLog ends inside record 6: records 6.. are gone.
    store.truncate_dirty(1000 + 100 * 6 + 50);
    assert_eq!(a.max_offset_in_queue(), 7, "record 6 starts before the cut");
    store.truncate_dirty(1000 + 100 * 6);
    assert_eq!(a.max_offset_in_queue(), 6);
    assert_eq!(a.max_physic_offset(), 1000 + 100 * 6);
    assert_eq!(
        file_names(&a),
        ["00000000000000000000", "00000000000000000100"],
        "third file deleted"
    );
    assert!(!dir.join("A/0/00000000000000000200").exists());
    assert_eq!(a.unit_at(6), None);
    assert_eq!(
        b.max_offset_in_queue(),
        2,
        "queues before the cut are untouched"
    );
    // A cut before everything empties the queue.
    store.truncate_dirty(0);
    assert_eq!(a.max_offset_in_queue(), 0);
    assert!(a.files().is_empty());
    // B was emptied too; it starts again at the next record's queue offset (blank units before).
    put(&b, 2);
    assert_eq!(b.unit_at(2), Some(unit(2)));
}

#[test]
fn retention_deletes_files_behind_the_commit_log_minimum() {
    let scratch = TempDir::new("cq-expire");
    let dir = scratch.path().to_path_buf();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    let cq = store.find_or_create("T", 0).unwrap();
    for i in 0..12 {
        put(&cq, i);
    }
    // CommitLog now starts at record 7: file 0 (units 0..5) is wholly behind, file 1 is not.
    let deleted = store.delete_expired_files(1000 + 100 * 7);
    assert_eq!(deleted, 1);
    assert_eq!(
        file_names(&cq),
        ["00000000000000000100", "00000000000000000200"]
    );
    assert_eq!(cq.min_offset_in_queue(), 7);
    assert_eq!(cq.unit_at(6), None);
    assert_eq!(cq.unit_at(7), Some(unit(7)));
    // The last file is never deleted by retention...
    assert_eq!(store.delete_expired_files(1_000_000), 1);
    assert_eq!(file_names(&cq), ["00000000000000000200"]);
    // ...but a queue wholly behind the minimum is dropped as a whole (not SCHEDULE_TOPIC_XXXX).
    let sched = store.find_or_create("SCHEDULE_TOPIC_XXXX", 1).unwrap();
    put(&sched, 0);
    let removed = store.clean_expired_queues(1_000_000);
    assert_eq!(removed, vec![("T".to_string(), 0)]);
    assert!(store.find("T", 0).is_none());
    assert!(!dir.join("T/0/00000000000000000200").exists());
    assert!(store.find("SCHEDULE_TOPIC_XXXX", 1).is_some());
}

#[test]
fn dispatch_skips_prepared_and_rolled_back_transactions() {
    let scratch = TempDir::new("cq-dispatch");
    let dir = scratch.path().to_path_buf();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    let req = |offset: i64, sys_flag: i32, queue_offset: i64| DispatchRequest {
        topic: "T".into(),
        queue_id: 0,
        commit_log_offset: offset,
        msg_size: 100,
        tags_code: 42,
        store_timestamp: 1_700_000_000_000 + offset,
        consume_queue_offset: queue_offset,
        sys_flag,
        success: true,
        ..Default::default()
    };
    store.dispatch(&req(0, 0x4, 0)); // prepared
    store.dispatch(&req(100, 0xC, 0)); // rolled back
    assert!(store.find("T", 0).is_none());
    store.dispatch(&req(200, 0x8, 0)); // committed
    store.dispatch(&req(300, 0, 1)); // plain
    let cq = store.find("T", 0).unwrap();
    assert_eq!(cq.max_offset_in_queue(), 2);
    assert_eq!(
        cq.unit_at(0).unwrap(),
        CqUnit {
            commit_log_offset: 200,
            size: 100,
            tags_code: 42
        }
    );
    assert_eq!(store.logics_msg_timestamp(), 1_700_000_000_300);
    assert_eq!(store.max_physical_offset(), 400);
    let table = store.recover_topic_queue_table(0);
    assert_eq!(table, vec![("T".to_string(), 0, 2)]);
}

#[test]
fn a_truncated_file_fails_the_load_with_its_name() {
    let scratch = TempDir::new("cq-badsize");
    let dir = scratch.path().to_path_buf();
    {
        let cq = ConsumeQueue::new(&dir, "T", 0, SMALL);
        for i in 0..7 {
            put(&cq, i);
        }
    }
    let path = dir.join("T/0/00000000000000000100");
    let raw = std::fs::read(&path).unwrap();
    std::fs::write(&path, &raw[..30]).unwrap();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    let err = store.load().unwrap_err().to_string();
    assert!(
        err.contains("00000000000000000100") && err.contains("T-0"),
        "{err}"
    );
    // Directories that are not queue ids are ignored, as Java does.
    std::fs::create_dir_all(dir.join("T/notanumber")).unwrap();
    std::fs::write(&path, vec![0u8; SMALL]).unwrap();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    store.load().unwrap();
    assert_eq!(store.queues().len(), 1);
    store.recover();
    assert_eq!(store.find("T", 0).unwrap().max_offset_in_queue(), 5);
}

#[test]
fn offset_by_time_binary_search() {
    let scratch = TempDir::new("cq-bytime");
    let dir = scratch.path().to_path_buf();
    let cq = ConsumeQueue::new(&dir, "T", 0, 2000);
    // Store times 10 000, 10 010, ... one per record.
    for i in 0..50 {
        cq.put(1000 + 100 * i, 100, 0, i, 0).unwrap();
    }
    let time_of = |off: i64, _size: i32| 10_000 + (off - 1000) / 100 * 10;
    for i in 0..50 {
        assert_eq!(cq.offset_by_time(10_000 + i * 10, 0, time_of), i);
    }
    assert_eq!(
        cq.offset_by_time(10_000 + 123, 0, time_of),
        12,
        "nearer to 120"
    );
    assert_eq!(
        cq.offset_by_time(10_000 + 127, 0, time_of),
        13,
        "nearer to 130"
    );
    assert_eq!(cq.offset_by_time(0, 0, time_of), 0);
    assert_eq!(cq.offset_by_time(99_999, 0, time_of), 49);
    // Units behind the CommitLog minimum are skipped.
    assert_eq!(cq.offset_by_time(0, 1000 + 100 * 20, time_of), 20);
}

#[test]
fn destroy_all_and_flush_all() {
    let scratch = TempDir::new("cq-destroy");
    let dir = scratch.path().to_path_buf();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    for (t, q) in [("A", 0), ("A", 1), ("B", 0)] {
        put(&store.find_or_create(t, q).unwrap(), 0);
    }
    store.flush_all().unwrap();
    assert_eq!(store.queues().len(), 3);
    store.destroy_all();
    assert!(store.queues().is_empty());
    assert_eq!(store.max_physical_offset(), -1);
    assert!(!dir.join("A/0/00000000000000000000").exists());
    // Reloading finds nothing to serve.
    let store = ConsumeQueueStore::new(&dir, SMALL);
    store.load().unwrap();
    assert!(store.queues().iter().all(|q| q.max_offset_in_queue() == 0));
}

#[test]
fn truncate_dirty_looks_past_an_empty_last_file() {
    let scratch = TempDir::new("cq-truncate-empty-last");
    let dir = scratch.path().to_path_buf();
    {
        let cq = ConsumeQueue::new(&dir, "T", 0, SMALL);
        for i in 0..5 {
            put(&cq, i);
        }
    }
    // A second file that was created but never got a unit (all zero).
    std::fs::write(dir.join("T/0/00000000000000000100"), vec![0u8; SMALL]).unwrap();
    let store = ConsumeQueueStore::new(&dir, SMALL);
    store.load().unwrap();
    let cq = store.find("T", 0).unwrap();
    // Records 3 and 4 are gone from the CommitLog.
    store.truncate_dirty(1000 + 100 * 3);
    assert_eq!(file_names(&cq), ["00000000000000000000"]);
    assert_eq!(cq.max_offset_in_queue(), 3);
    assert_eq!(cq.max_physic_offset(), 1000 + 100 * 3);
    assert_eq!(cq.unit_at(3), None);
}

#[test]
fn a_record_with_a_path_like_topic_is_refused() {
    let scratch = TempDir::new("cq-badtopic");
    let dir = scratch.path().to_path_buf();
    let store = ConsumeQueueStore::new(dir.join("consumequeue"), SMALL);
    for topic in ["../escape", "..", "a/b", "", "a\\b"] {
        let req = DispatchRequest {
            topic: topic.into(),
            msg_size: 10,
            success: true,
            ..Default::default()
        };
        store.dispatch(&req);
        assert!(store.put(&req).is_err(), "{topic:?}");
        assert!(store.find_or_create(topic, 0).is_err());
    }
    assert!(store.find_or_create("T", -1).is_err());
    assert!(store.queues().is_empty());
    assert!(!dir.join("escape").exists());
    // A corrupt record does not stop the queues: the next good one is written.
    assert!(!store.is_logics_queue_error());
    let good = DispatchRequest {
        topic: "T".into(),
        msg_size: 10,
        success: true,
        ..Default::default()
    };
    store.dispatch(&good);
    assert_eq!(store.find("T", 0).unwrap().max_offset_in_queue(), 1);
}
