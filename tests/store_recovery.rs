//! Damaged stores: a flipped byte, a wrong magic, a torn last record, garbage after the end, a
//! missing checkpoint, a file of the wrong size. Recovery reports where and why it cut, keeps
//! every record before the damage, cuts the ConsumeQueues to match, and the queues continue
//! without a gap.

mod store_support;

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use ferrocket::store::config::MessageStoreConfig;
use ferrocket::store::message::record::StoredRecord;
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use store_support::TempDir;

const FILE_SIZE: i64 = 64 * 1024;
const QUEUES: i32 = 3;

#[derive(Debug, Clone, Copy)]
struct Written {
    phy: i64,
    size: i32,
    queue_id: i32,
    queue_offset: i64,
}

fn config(root: &Path) -> MessageStoreConfig {
    let mut c = MessageStoreConfig::with_root(root);
    c.mapped_file_size_commit_log = FILE_SIZE as i32;
    c.mapped_file_size_consume_queue = 20 * 64;
    c.max_hash_slot_num = 1000;
    c.max_index_num = 4000;
    c
}

fn body(k: usize) -> Vec<u8> {
    (0..1500).map(|i| (i * 13 + k) as u8).collect()
}

/// 60 messages over two CommitLog files, clean shutdown.
fn write_store(root: &Path) -> Vec<Written> {
    let store = MessageStore::open(config(root)).unwrap();
    let mut out = Vec::new();
    for k in 0..60 {
        let queue_id = (k % QUEUES as usize) as i32;
        let mut m = MessageExtBrokerInner::new("Damaged", queue_id, Bytes::from(body(k)));
        m.properties_string = format!("KEYS\u{1}k{k}");
        let r = store.put_message(m);
        let a = r.append.unwrap();
        out.push(Written {
            phy: a.wrote_offset,
            size: a.wrote_bytes,
            queue_id,
            queue_offset: a.logics_offset,
        });
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    store.shutdown();
    assert!(out.last().unwrap().phy > FILE_SIZE, "two files");
    out
}

fn file_of(root: &Path, phy: i64) -> (std::fs::File, u64) {
    let name = format!("{:020}", phy / FILE_SIZE * FILE_SIZE);
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(root.join("commitlog").join(name))
        .unwrap();
    (f, (phy % FILE_SIZE) as u64)
}

fn patch(root: &Path, phy: i64, bytes: &[u8]) {
    let (f, pos) = file_of(root, phy);
    f.write_all_at(bytes, pos).unwrap();
}

fn read_byte(root: &Path, phy: i64) -> u8 {
    let (f, pos) = file_of(root, phy);
    let mut b = [0u8];
    f.read_exact_at(&mut b, pos).unwrap();
    b[0]
}

fn crash_marker(root: &Path) {
    std::fs::write(root.join("abort"), b"").unwrap();
}

/// Reopens and checks: cut at `cut_at` (index into `written`), all before intact, queues cut and
/// continuing without a gap.
fn check_cut(root: &Path, written: &[Written], cut_at: usize, reason: &str, abnormal: bool) {
    let store = MessageStore::open(config(root)).unwrap();
    let report = store.recovery_report().clone();
    println!("{report:?}");
    assert_eq!(report.abnormal, abnormal);
    let cut = report.cut.clone().expect("a cut is reported");
    assert_eq!(
        cut.offset,
        written
            .get(cut_at)
            .map_or_else(|| end_of(written), |w| w.phy)
    );
    assert!(
        cut.reason.contains(reason),
        "reason {:?} should mention {reason:?}",
        cut.reason
    );
    assert_eq!(store.max_phy_offset(), cut.offset);
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    for (k, w) in written.iter().enumerate().take(cut_at) {
        let rec_bytes = store.look_message_by_offset(w.phy).unwrap();
        let rec = StoredRecord::decode(&rec_bytes).unwrap();
        assert!(rec.crc_ok());
        assert_eq!(rec.body, &body(k)[..]);
        let got = store.get_message("Damaged", w.queue_id, w.queue_offset, 1, None);
        assert_eq!(got.status, GetMessageStatus::Found);
        assert_eq!(got.messages[0].start_offset(), w.phy);
    }
    // Each queue ends right before its first cut message, and the next append takes that offset.
    for q in 0..QUEUES {
        let kept = written[..cut_at].iter().filter(|w| w.queue_id == q).count() as i64;
        assert_eq!(store.max_offset_in_queue("Damaged", q), kept, "queue {q}");
        assert_eq!(
            store.get_message("Damaged", q, kept, 1, None).status,
            GetMessageStatus::OffsetOverflowOne
        );
        let r = store.put_message(MessageExtBrokerInner::new(
            "Damaged",
            q,
            Bytes::from_static(b"after the cut"),
        ));
        let a = r.append.unwrap();
        assert_eq!(a.logics_offset, kept);
        assert!(store.wait_dispatched(Duration::from_secs(10)));
        let got = store.get_message("Damaged", q, kept, 1, None);
        assert_eq!(got.status, GetMessageStatus::Found);
        assert_eq!(got.messages[0].start_offset(), a.wrote_offset);
    }
    store.shutdown();
}

fn end_of(written: &[Written]) -> i64 {
    let w = written.last().unwrap();
    w.phy + w.size as i64
}

#[test]
fn flipped_body_byte_cuts_at_that_record() {
    let tmp = TempDir::new("flip");
    let written = write_store(tmp.path());
    let k = 20;
    let at = written[k].phy + written[k].size as i64 - 40;
    patch(tmp.path(), at, &[read_byte(tmp.path(), at) ^ 0x5A]);
    crash_marker(tmp.path());
    check_cut(tmp.path(), &written, k, "CRC", true);
    // The second file lay past the cut: gone.
    assert!(!tmp
        .path()
        .join("commitlog")
        .join(format!("{FILE_SIZE:020}"))
        .exists());
}

#[test]
fn wrong_magic_cuts_at_that_record() {
    let tmp = TempDir::new("magic");
    let written = write_store(tmp.path());
    let k = 45;
    patch(
        tmp.path(),
        written[k].phy + 4,
        &0x1234_5678i32.to_be_bytes(),
    );
    crash_marker(tmp.path());
    check_cut(tmp.path(), &written, k, "magic", true);
}

#[test]
fn torn_last_record_is_cut_after_a_clean_shutdown_too() {
    let tmp = TempDir::new("torn");
    let written = write_store(tmp.path());
    let k = written.len() - 1;
    // The second half of the last record never reached the disk.
    let half = written[k].size as usize / 2;
    patch(
        tmp.path(),
        written[k].phy + half as i64,
        &vec![0u8; written[k].size as usize - half],
    );
    check_cut(tmp.path(), &written, k, "does not match the fields", false);
}

#[test]
fn torn_header_is_cut() {
    let tmp = TempDir::new("header");
    let written = write_store(tmp.path());
    let k = written.len() - 1;
    // Only the size field made it.
    patch(
        tmp.path(),
        written[k].phy + 4,
        &vec![0u8; written[k].size as usize - 4],
    );
    crash_marker(tmp.path());
    check_cut(tmp.path(), &written, k, "magic", true);
}

#[test]
fn garbage_after_the_end_is_reported_and_kept_out() {
    let tmp = TempDir::new("garbage");
    let written = write_store(tmp.path());
    patch(
        tmp.path(),
        end_of(&written),
        b"\x00\x00\x01\x00garbage garbage",
    );
    crash_marker(tmp.path());
    check_cut(tmp.path(), &written, written.len(), "magic", true);
}

#[test]
fn missing_checkpoint_recovers_everything_from_the_first_file() {
    let tmp = TempDir::new("nocp");
    let written = write_store(tmp.path());
    std::fs::remove_file(tmp.path().join("checkpoint")).unwrap();
    crash_marker(tmp.path());
    let store = MessageStore::open(config(tmp.path())).unwrap();
    let report = store.recovery_report().clone();
    assert!(report.abnormal);
    assert_eq!(report.cut, None);
    assert_eq!(report.start_offset, 0);
    assert_eq!(report.records, written.len() as u64);
    assert_eq!(report.end_offset, end_of(&written));
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    for w in &written {
        let got = store.get_message("Damaged", w.queue_id, w.queue_offset, 1, None);
        assert_eq!(got.status, GetMessageStatus::Found);
    }
    // Recovery wrote a checkpoint so a crash loop would not start over.
    assert!(store.checkpoint().physic_msg_timestamp() > 0);
    store.shutdown();
    assert_eq!(
        std::fs::metadata(tmp.path().join("checkpoint"))
            .unwrap()
            .len(),
        4096
    );
}

#[test]
fn crash_recovery_starts_from_the_checkpointed_file() {
    let tmp = TempDir::new("cpstart");
    let written = write_store(tmp.path());
    // Pretend everything before the second file was durable long ago: rewrite the second file's
    // first record's store time far in the future relative to the checkpoint, the first file's
    // in the past.
    let cp =
        ferrocket::store::checkpoint::Checkpoint::open(&tmp.path().join("checkpoint")).unwrap();
    let first_in_second = written.iter().find(|w| w.phy >= FILE_SIZE).unwrap();
    let ts_pos = first_in_second.phy + 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8;
    let (f, pos) = file_of(tmp.path(), ts_pos);
    let mut ts = [0u8; 8];
    f.read_exact_at(&mut ts, pos).unwrap();
    let second_ts = i64::from_be_bytes(ts);
    cp.set_physic_msg_timestamp(second_ts + 3000);
    cp.set_logics_msg_timestamp(second_ts + 3000);
    cp.flush().unwrap();
    drop(cp);
    crash_marker(tmp.path());
    let store = MessageStore::open(config(tmp.path())).unwrap();
    let report = store.recovery_report().clone();
    assert!(report.abnormal);
    assert_eq!(
        report.start_offset, FILE_SIZE,
        "starts from the newest file older than the checkpoint"
    );
    assert_eq!(report.end_offset, end_of(&written));
    assert_eq!(
        report.records,
        written.iter().filter(|w| w.phy >= FILE_SIZE).count() as u64
    );
    store.shutdown();
}

#[test]
fn a_file_of_the_wrong_size_is_refused() {
    let tmp = TempDir::new("size");
    write_store(tmp.path());
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(
            tmp.path()
                .join("commitlog")
                .join(format!("{FILE_SIZE:020}")),
        )
        .unwrap();
    f.set_len(1000).unwrap();
    let err = MessageStore::open(config(tmp.path())).unwrap_err();
    assert!(err.to_string().contains("length 1000 not matched"), "{err}");
}

#[test]
fn a_second_open_of_the_same_store_is_refused() {
    let tmp = TempDir::new("lock");
    let store = MessageStore::open(config(tmp.path())).unwrap();
    let err = MessageStore::open(config(tmp.path())).unwrap_err();
    assert!(err.to_string().contains("Lock failed"), "{err}");
    assert_eq!(std::fs::read(tmp.path().join("lock")).unwrap(), b"lock");
    assert!(
        tmp.path().join("abort").exists(),
        "abort exists while running"
    );
    store.shutdown();
    drop(store);
    assert!(!tmp.path().join("abort").exists());
    // Released on drop: opens again.
    MessageStore::open(config(tmp.path())).unwrap().shutdown();
}

#[test]
fn dropping_the_last_handle_shuts_down_cleanly() {
    let tmp = TempDir::new("drop");
    let store = MessageStore::open(config(tmp.path())).unwrap();
    let r = store.put_message(MessageExtBrokerInner::new(
        "Dropped",
        0,
        Bytes::from_static(b"kept"),
    ));
    let phy = r.append.unwrap().wrote_offset;
    drop(store); // no shutdown(): the background threads must not keep the store alive
                 // The last handle may have been a background thread's momentary one: the shutdown then
                 // runs there, so wait for it (bounded).
    let started = std::time::Instant::now();
    let store = loop {
        if !tmp.path().join("abort").exists() {
            if let Ok(store) = MessageStore::open(config(tmp.path())) {
                break store;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Drop did not shut the store down"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    println!("reopened after {:?}", started.elapsed());
    assert!(!store.recovery_report().abnormal);
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    assert_eq!(
        store.get_message("Dropped", 0, 0, 1, None).messages[0].start_offset(),
        phy
    );
    store.shutdown();
}
