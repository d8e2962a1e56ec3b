//! The slave path: the HA stream Java's master sent (golden ha/ha-master-slave.jsonl: chunks cut
//! anywhere, not on record boundaries) is appended to a fresh SLAVE store through
//! `append_to_commit_log`; the reput thread dispatches it. The CommitLog must equal the Java
//! slave's byte for byte, its ConsumeQueue files too, and every message must be readable.

mod store_support;

use std::time::Duration;

use bytes::Bytes;
use ferrocket::store::commit_log::PutMessageStatus;
use ferrocket::store::config::{BrokerRole, MessageStoreConfig};
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use serde_json::Value;
use store_support::{extract_store, TempDir};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn replicated_stream_rebuilds_the_java_slave() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("store_ha_slave") else {
        return;
    };
    let stream = std::fs::read_to_string(golden.join("ha/ha-master-slave.jsonl")).unwrap();
    let tmp = TempDir::new("ha-slave");
    let java = extract_store(&golden, "ha-slave", tmp.path());
    let ours_root = tmp.path().join("ours");
    let mut config = MessageStoreConfig::with_root(&ours_root);
    config.broker_role = BrokerRole::Slave;
    let store = MessageStore::open(config).unwrap();

    let mut chunks = 0;
    for line in stream.lines() {
        let unit: Value = serde_json::from_str(line).unwrap();
        if unit["dir"] != "master->slave" || unit["size"].as_i64() == Some(0) {
            continue;
        }
        let offset = unit["phy_offset"].as_i64().unwrap();
        let body = unhex(unit["body_hex"].as_str().unwrap());
        assert_eq!(body.len() as i64, unit["size"].as_i64().unwrap());
        assert!(
            store.append_to_commit_log(offset, &body).unwrap(),
            "append at {offset}"
        );
        chunks += 1;
    }
    assert!(chunks >= 2);
    // A gap or an overlap is refused.
    assert!(!store.append_to_commit_log(0, b"again").unwrap());
    assert!(!store
        .append_to_commit_log(store.max_phy_offset() + 1, b"gap")
        .unwrap());
    assert_eq!(store.max_phy_offset(), 88_844);
    assert!(store.wait_dispatched(Duration::from_secs(10)));

    // A slave refuses producers.
    let r = store.put_message(MessageExtBrokerInner::new(
        "GoldenHA",
        0,
        Bytes::from_static(b"x"),
    ));
    assert_eq!(r.status, PutMessageStatus::ServiceNotAvailable);

    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("store/ha-slave.manifest.json")).unwrap(),
    )
    .unwrap();
    for m in manifest["messages"].as_array().unwrap() {
        let got = store.get_message(
            m["topic"].as_str().unwrap(),
            m["queueId"].as_i64().unwrap() as i32,
            m["queueOffset"].as_i64().unwrap(),
            1,
            None,
        );
        assert_eq!(got.status, GetMessageStatus::Found);
        assert_eq!(
            got.messages[0].start_offset(),
            m["commitLogOffset"].as_i64().unwrap()
        );
    }
    store.shutdown();
    drop(store);

    // Byte-identical CommitLog and ConsumeQueue files.
    let name = "00000000000000000000";
    // The data and the 64 KiB after it (the rest of the 1 GiB files is a hole in both).
    let head = |path: std::path::PathBuf| {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(path).unwrap();
        assert_eq!(f.metadata().unwrap().len(), 1 << 30);
        let mut buf = vec![0u8; 88_844 + 65_536];
        f.read_exact_at(&mut buf, 0).unwrap();
        buf
    };
    let ours = head(ours_root.join("commitlog").join(name));
    assert!(
        ours == head(java.join("commitlog").join(name)),
        "commitlog bytes differ"
    );
    assert!(ours[88_844..].iter().all(|&b| b == 0));
    let mut cq_files = 0;
    for topic in std::fs::read_dir(java.join("consumequeue")).unwrap() {
        let topic = topic.unwrap();
        for queue in std::fs::read_dir(topic.path()).unwrap() {
            let queue = queue.unwrap();
            for file in std::fs::read_dir(queue.path()).unwrap() {
                let file = file.unwrap();
                let rel = file.path().strip_prefix(&java).unwrap().to_path_buf();
                let theirs = std::fs::read(file.path()).unwrap();
                let ours = std::fs::read(ours_root.join(&rel))
                    .unwrap_or_else(|_| panic!("missing {rel:?}"));
                assert!(ours == theirs, "{rel:?} differs");
                cq_files += 1;
            }
        }
    }
    assert!(cq_files > 0);
}
