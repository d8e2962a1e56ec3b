//! Java 4.9.7 stores opened by ferrocket's MessageStore: every CommitLog record matches the
//! manifest field by field, and every message the Java client could pull is readable by
//! topic/queue/offset. crash-master (SIGKILLed, `abort` present) goes through crash recovery
//! and must end up with the record Java had not dispatched yet in its ConsumeQueue.

mod store_support;

use std::time::Duration;

use ferrocket::store::config::MessageStoreConfig;
use ferrocket::store::message::properties::Properties;
use ferrocket::store::message::record::StoredRecord;
use ferrocket::store::message::{body_crc, host_string};
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use serde_json::Value;
use store_support::{extract_store, sha256_hex, TempDir};

fn manifest(golden: &std::path::Path, name: &str) -> Value {
    let text = std::fs::read_to_string(golden.join("store").join(format!("{name}.manifest.json")))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn i(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("field {k} in {v}"))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("field {k}"))
}

fn check_store(name: &str) {
    let Some(golden) = ferrocket::testkit::golden_or_skip(&format!("store_golden::{name}")) else {
        return;
    };
    let m = manifest(&golden, name);
    let tmp = TempDir::new(name);
    let root = extract_store(&golden, name, tmp.path());
    let abort_before = root.join("abort").exists();
    let config = MessageStoreConfig::with_root(&root);
    let store = MessageStore::open(config.clone()).unwrap();
    assert!(store.wait_dispatched(Duration::from_secs(10)));

    let report = store.recovery_report().clone();
    assert_eq!(report.abnormal, abort_before);
    assert_eq!(report.cut, None, "Java's stores are intact");
    let records = m["commitlog"].as_array().unwrap();
    let last = records.last().unwrap();
    let end = i(last, "commitLogOffset") + i(last, "totalSize");
    assert_eq!(report.end_offset, end);
    assert_eq!(store.max_phy_offset(), end);
    assert_eq!(store.min_phy_offset(), 0);

    // Every record, field by field.
    for r in records {
        let offset = i(r, "commitLogOffset");
        let slice = store
            .look_message_by_offset(offset)
            .unwrap_or_else(|| panic!("record at {offset}"));
        let rec = StoredRecord::decode(&slice).unwrap();
        assert_eq!(rec.total_size as i64, i(r, "totalSize"), "{offset}");
        assert_eq!(rec.magic as i64, i(r, "magicCode"));
        assert_eq!(rec.body_crc as i64, i(r, "bodyCRC"));
        assert_eq!(body_crc(rec.body) as i64, i(r, "bodyCRC_computed"));
        assert!(rec.crc_ok());
        assert_eq!(rec.queue_id as i64, i(r, "queueId"));
        assert_eq!(rec.flag as i64, i(r, "flag"));
        assert_eq!(rec.queue_offset, i(r, "queueOffset"));
        assert_eq!(rec.physical_offset, i(r, "physicalOffset"));
        assert_eq!(rec.sys_flag as i64, i(r, "sysFlag"));
        assert_eq!(rec.born_timestamp, i(r, "bornTimestamp"));
        assert_eq!(host_string(&rec.born_host), s(r, "bornHost"));
        assert_eq!(rec.store_timestamp, i(r, "storeTimestamp"));
        assert_eq!(host_string(&rec.store_host), s(r, "storeHost"));
        assert_eq!(rec.reconsume_times as i64, i(r, "reconsumeTimes"));
        assert_eq!(
            rec.prepared_transaction_offset,
            i(r, "preparedTransactionOffset")
        );
        assert_eq!(rec.topic_str(), s(r, "topic"));
        assert_eq!(rec.properties_str(), s(r, "properties_string"));
        assert_eq!(rec.body.len() as i64, i(r, "stored_body_len"));
        assert_eq!(sha256_hex(rec.body), s(r, "stored_body_sha256"));
        assert_eq!(rec.msg_id(), s(r, "msgId"));
        let props = rec.properties_map();
        for (k, v) in r["properties"].as_object().unwrap() {
            assert_eq!(props.get(k), v.as_str(), "property {k} at {offset}");
        }
        assert_eq!(props.len(), r["properties"].as_object().unwrap().len());
        // Java's HashMap order reproduced (records without duplicate keys; batch records repeat WAIT).
        let raw = s(r, "properties_string");
        if raw.split('\u{2}').count() == props.len() {
            assert_eq!(
                Properties::parse(raw).to_java_string(),
                raw,
                "HashMap order at {offset}"
            );
        }
    }

    // Every message the Java client pulled, by topic/queue/offset.
    for msg in m["messages"].as_array().unwrap() {
        let (topic, queue_id, queue_offset) = (
            s(msg, "topic"),
            i(msg, "queueId") as i32,
            i(msg, "queueOffset"),
        );
        let got = store.get_message(topic, queue_id, queue_offset, 1, None);
        assert_eq!(
            got.status,
            GetMessageStatus::Found,
            "{topic}/{queue_id}/{queue_offset}"
        );
        assert_eq!(got.messages.len(), 1);
        assert_eq!(got.next_begin_offset, queue_offset + 1);
        let rec = StoredRecord::decode(&got.messages[0]).unwrap();
        assert_eq!(got.messages[0].start_offset(), i(msg, "commitLogOffset"));
        assert_eq!(rec.total_size as i64, i(msg, "storeSize"));
        assert_eq!(rec.queue_offset, queue_offset);
        assert_eq!(rec.msg_id(), s(msg, "msgId"));
        assert_eq!(rec.store_timestamp, i(msg, "storeTimestamp"));
    }
    // Queue bounds as the Java broker reported them.
    let mut queues_checked = 0;
    for q in m["pull_queues"].as_array().into_iter().flatten() {
        if let (Some(topic), Some(qid), Some(max)) = (
            q["topic"].as_str(),
            q["queueId"].as_i64(),
            q["maxOffset"].as_i64(),
        ) {
            assert_eq!(
                store.max_offset_in_queue(topic, qid as i32),
                max,
                "{topic}/{qid}"
            );
            queues_checked += 1;
        }
    }
    assert!(queues_checked > 0);
    assert!(!m["messages"].as_array().unwrap().is_empty());

    if name == "crash-master" {
        // The 596th record was stored but not in its ConsumeQueue: recovery dispatched it.
        assert_eq!(records.len(), 596);
        assert!(report.dispatched >= 1);
        let r = &records[595];
        let got = store.get_message(
            s(r, "topic"),
            i(r, "queueId") as i32,
            i(r, "queueOffset"),
            1,
            None,
        );
        assert_eq!(got.status, GetMessageStatus::Found);
        assert_eq!(got.messages[0].start_offset(), i(r, "commitLogOffset"));
        // The pre-allocated empty second file lies past the end: deleted like Java does.
        assert_eq!(report.files_deleted, 1);
        // Crash recovery moved the checkpoint to the last recovered record.
        assert_eq!(
            store.checkpoint().physic_msg_timestamp(),
            i(r, "storeTimestamp")
        );
    }

    store.shutdown();
    drop(store);
    assert!(!root.join("abort").exists(), "clean shutdown removes abort");

    // Reopen: normal recovery, same data, nothing cut, nothing to re-dispatch.
    let store = MessageStore::open(config).unwrap();
    let report = store.recovery_report().clone();
    assert!(!report.abnormal);
    assert_eq!(report.cut, None);
    assert_eq!(report.end_offset, end);
    assert_eq!(store.max_phy_offset(), end);
    let first = &m["messages"][0];
    let got = store.get_message(
        s(first, "topic"),
        i(first, "queueId") as i32,
        i(first, "queueOffset"),
        32,
        None,
    );
    assert_eq!(got.status, GetMessageStatus::Found);
    store.shutdown();
}

#[test]
fn main_master() {
    check_store("main-master");
}

#[test]
fn crash_master() {
    check_store("crash-master");
}

#[test]
fn ha_master() {
    check_store("ha-master");
}

#[test]
fn ha_slave() {
    check_store("ha-slave");
}
