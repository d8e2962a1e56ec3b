//! Retention and a full disk: above the warning level (90 %) the store refuses writes with
//! SERVICE_NOT_AVAILABLE and deletes old CommitLog files regardless of age (all but the newest);
//! what remains stays readable; when space is back, writes resume where the queues were.

mod store_support;

use std::time::Duration;

use bytes::Bytes;
use ferrocket::store::commit_log::PutMessageStatus;
use ferrocket::store::config::MessageStoreConfig;
use ferrocket::store::message::record::StoredRecord;
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use store_support::TempDir;

const FILE_SIZE: i64 = 64 * 1024;

#[test]
fn full_disk_refuses_writes_and_forced_clean_keeps_the_rest_intact() {
    let tmp = TempDir::new("retention");
    let mut config = MessageStoreConfig::with_root(tmp.path());
    config.mapped_file_size_commit_log = FILE_SIZE as i32;
    config.mapped_file_size_consume_queue = 20 * 16;
    config.max_hash_slot_num = 1000;
    config.max_index_num = 4000;
    config.delete_commit_log_files_interval = 0;
    config.delete_when = "99".into(); // never the hour
    let store = MessageStore::open(config).unwrap();
    let mut written = Vec::new();
    for k in 0..200u32 {
        let r = store.put_message(MessageExtBrokerInner::new(
            "Ret",
            0,
            Bytes::from(vec![k as u8; 1000]),
        ));
        let a = r.append.unwrap();
        written.push((a.wrote_offset, a.logics_offset));
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    let files = store.commit_log().mapped_file_queue().file_count();
    assert!(files >= 3);

    // Plenty of space, not the hour, files young: nothing happens.
    let pass = store.run_retention_with(0.30, 12);
    assert_eq!(pass.deleted, 0);
    assert!(store.running_flags().is_writeable());

    // Over 75 % (diskMaxUsedSpaceRatio) but files are young and below the forced level: kept.
    let pass = store.run_retention_with(0.80, 12);
    assert!(pass.space_full && !pass.clean_immediately);
    assert_eq!(pass.deleted, 0);

    // Over 90 %: disk marked full, writes refused, everything but the newest file deleted.
    let pass = store.run_retention_with(0.95, 12);
    assert!(pass.clean_immediately);
    assert_eq!(pass.deleted, files - 1);
    assert!(!store.running_flags().is_writeable());
    let before = store.max_phy_offset();
    let r = store.put_message(MessageExtBrokerInner::new(
        "Ret",
        0,
        Bytes::from_static(b"refused"),
    ));
    assert_eq!(r.status, PutMessageStatus::ServiceNotAvailable);
    assert!(r.append.is_none());
    assert_eq!(store.max_phy_offset(), before, "nothing written");

    // What is left is intact and readable; what is gone reports as such.
    let min = store.min_phy_offset();
    assert_eq!(min, (files as i64 - 1) * FILE_SIZE);
    for &(phy, queue_offset) in &written {
        if phy >= min {
            let rec = store.look_message_by_offset(phy).unwrap();
            assert!(StoredRecord::decode(&rec).unwrap().crc_ok());
            assert_eq!(
                store.get_message("Ret", 0, queue_offset, 1, None).status,
                GetMessageStatus::Found
            );
        } else {
            assert!(store.look_message_by_offset(phy).is_none());
        }
    }
    let first_kept = written.iter().find(|w| w.0 >= min).unwrap().1;
    assert!(store.min_offset_in_queue("Ret", 0) <= first_kept);

    // Space is back: writes resume, the queue continues.
    let pass = store.run_retention_with(0.40, 12);
    assert_eq!(pass.deleted, 0);
    assert!(store.running_flags().is_writeable());
    let r = store.put_message(MessageExtBrokerInner::new(
        "Ret",
        0,
        Bytes::from_static(b"back"),
    ));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert_eq!(r.append.unwrap().logics_offset, written.len() as i64);
    store.shutdown();
}
