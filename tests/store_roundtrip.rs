//! ferrocket writes a store (several topics and queues, a batch, IPv6 hosts, a compressed body,
//! transactions, a delayed message, roll-over with blank records on small files); an independent
//! byte-level reader (tests/store_support) walks the CommitLog files and checks every record:
//! CRC, offsets, queue offsets, fields. The store itself then serves every message back.

mod store_support;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ferrocket::store::commit_log::PutMessageStatus;
use ferrocket::store::config::MessageStoreConfig;
use ferrocket::store::message::batch::encode_batch_body;
use ferrocket::store::message::msg_id::parse_offset_msg_id;
use ferrocket::store::message::record::StoredRecord;
use ferrocket::store::message::{sys_flag, MessageExtBatch, MessageExtBrokerInner};
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use store_support::{crc32_ieee, walk_commitlog_file, TempDir};

const FILE_SIZE: i32 = 64 * 1024;

#[derive(Debug, Clone)]
struct Expected {
    phy: i64,
    topic: String,
    queue_id: i32,
    queue_offset: i64,
    body: Vec<u8>,
    properties: String,
    sys_flag: i32,
    flag: i32,
    born_host: String,
    store_host: String,
}

fn small_config(root: &std::path::Path) -> MessageStoreConfig {
    let mut c = MessageStoreConfig::with_root(root);
    c.mapped_file_size_commit_log = FILE_SIZE;
    c.mapped_file_size_consume_queue = 20 * 64;
    c.max_hash_slot_num = 1000;
    c.max_index_num = 4000;
    c
}

fn msg(
    topic: &str,
    queue_id: i32,
    body: Vec<u8>,
    props: &str,
    born: SocketAddr,
    store: SocketAddr,
) -> MessageExtBrokerInner {
    let mut m = MessageExtBrokerInner::new(topic, queue_id, Bytes::from(body));
    m.properties_string = props.to_string();
    m.born_host = born;
    m.store_host = store;
    m.born_timestamp = 1_795_421_000_000;
    m
}

fn record(
    expected: &mut Vec<Expected>,
    r: &ferrocket::store::commit_log::PutMessageResult,
    m: &MessageExtBrokerInner,
    born: &str,
    store_h: &str,
) {
    assert_eq!(r.status, PutMessageStatus::PutOk, "{m:?}");
    let a = r.append.as_ref().unwrap();
    expected.push(Expected {
        phy: a.wrote_offset,
        topic: m.topic.clone(),
        queue_id: m.queue_id,
        queue_offset: a.logics_offset,
        body: m.body.to_vec(),
        properties: m.properties_string.clone(),
        sys_flag: m.sys_flag,
        flag: m.flag,
        born_host: born.to_string(),
        store_host: store_h.to_string(),
    });
}

#[test]
fn write_then_read_independently() {
    let tmp = TempDir::new("roundtrip");
    let config = small_config(tmp.path());
    let store = MessageStore::open(config.clone()).unwrap();
    let v4: SocketAddr = "127.0.0.1:10911".parse().unwrap();
    let v6: SocketAddr = "[2001:db8::7]:10911".parse().unwrap();
    let client4: SocketAddr = "10.1.2.3:54321".parse().unwrap();
    let client6: SocketAddr = "[fe80::1]:40000".parse().unwrap();
    let mut expected: Vec<Expected> = Vec::new();
    let host4 = "127.0.0.1:10911".to_string();

    for i in 0..120 {
        let topic = ["TopicA", "TopicB", "TopicC"][i % 3];
        let queue_id = (i % 4) as i32;
        let size = [0usize, 10, 300, 1500, 5000][i % 5];
        let body: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
        let props = format!(
            "KEYS\u{1}key-{i}\u{2}UNIQ_KEY\u{1}U{i:08}\u{2}TAGS\u{1}Tag{}",
            i % 2
        );
        let (born, store_host, born_s, store_s) = if i % 7 == 0 {
            (client6, v6, "[fe80::1]:40000", "[2001:db8::7]:10911")
        } else {
            (client4, v4, "10.1.2.3:54321", host4.as_str())
        };
        let mut m = msg(topic, queue_id, body, &props, born, store_host);
        m.flag = i as i32;
        let r = store.put_message(m.clone());
        m.apply_host_flags();
        record(&mut expected, &r, &m, born_s, store_s);
        if i % 7 == 0 {
            assert_eq!(
                m.sys_flag & (sys_flag::BORNHOST_V6_FLAG | sys_flag::STOREHOSTADDRESS_V6_FLAG),
                0x30
            );
            let id = r.append.as_ref().unwrap().msg_id();
            assert_eq!(id.len(), 56);
            assert_eq!(
                parse_offset_msg_id(&id),
                Some((v6, r.append.as_ref().unwrap().wrote_offset))
            );
        }
    }

    // A zlib-compressed body: stored as sent, CRC over the compressed bytes.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[b'x'; 4000]).unwrap();
    let compressed = z.finish().unwrap();
    let mut m = msg("TopicZ", 0, compressed.clone(), "TAGS\u{1}z", client4, v4);
    m.sys_flag = sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_ZLIB_TYPE;
    let r = store.put_message(m.clone());
    record(&mut expected, &r, &m, "10.1.2.3:54321", &host4);

    // Transactions: a prepared half gets queue offset 0 and does not advance the queue.
    let mut half = msg(
        "TopicTx",
        1,
        b"half".to_vec(),
        "TRAN_MSG\u{1}true",
        client4,
        v4,
    );
    half.sys_flag = sys_flag::TRANSACTION_PREPARED_TYPE;
    let r = store.put_message(half.clone());
    assert_eq!(r.append.as_ref().unwrap().logics_offset, 0);
    record(&mut expected, &r, &half, "10.1.2.3:54321", &host4);
    let mut commit = msg("TopicTx", 1, b"commit".to_vec(), "", client4, v4);
    commit.sys_flag = sys_flag::TRANSACTION_COMMIT_TYPE;
    commit.prepared_transaction_offset = expected.last().unwrap().phy;
    let r = store.put_message(commit.clone());
    assert_eq!(r.append.as_ref().unwrap().logics_offset, 0);
    record(&mut expected, &r, &commit, "10.1.2.3:54321", &host4);
    let r = store.put_message(commit.clone());
    assert_eq!(r.append.as_ref().unwrap().logics_offset, 1);
    record(&mut expected, &r, &commit, "10.1.2.3:54321", &host4);

    // A delayed message goes to SCHEDULE_TOPIC_XXXX queue level-1 with REAL_TOPIC/REAL_QID.
    let delayed = msg(
        "TopicA",
        3,
        b"later".to_vec(),
        "DELAY\u{1}3\u{2}KEYS\u{1}kd",
        client4,
        v4,
    );
    let r = store.put_message(delayed);
    assert!(r.is_ok());
    let rec_bytes = store
        .look_message_by_offset(r.append.as_ref().unwrap().wrote_offset)
        .unwrap();
    let rec = StoredRecord::decode(&rec_bytes).unwrap();
    assert_eq!(rec.topic_str(), "SCHEDULE_TOPIC_XXXX");
    assert_eq!(rec.queue_id, 2);
    let props = rec.properties_map();
    assert_eq!(props.get("REAL_TOPIC"), Some("TopicA"));
    assert_eq!(props.get("REAL_QID"), Some("3"));
    assert_eq!(props.get("DELAY"), Some("3"));
    let mut as_stored = msg(
        "SCHEDULE_TOPIC_XXXX",
        2,
        b"later".to_vec(),
        &rec.properties_str(),
        client4,
        v4,
    );
    as_stored.sys_flag = 0;
    record(&mut expected, &r, &as_stored, "10.1.2.3:54321", &host4);

    // A batch: every inner message its own record with a real CRC and consecutive queue offsets.
    let inner: Vec<(i32, Vec<u8>, String)> = (0..5)
        .map(|k| {
            (
                k,
                vec![b'b'; 100 + k as usize],
                format!("KEYS\u{1}batch-{k}\u{2}UNIQ_KEY\u{1}B{k}"),
            )
        })
        .collect();
    let body = encode_batch_body(inner.iter().map(|(f, b, p)| (*f, b.as_slice(), p.as_str())));
    let batch = MessageExtBatch {
        topic: "TopicB".into(),
        queue_id: 2,
        sys_flag: 0,
        born_timestamp: 1_795_421_000_000,
        born_host: client4,
        store_host: v4,
        reconsume_times: 0,
        body: Bytes::from(body),
        properties_string: "CLUSTER\u{1}DefaultCluster\u{2}WAIT\u{1}true".into(),
    };
    let before = store.commit_log().queue_offset("TopicB", 2);
    let r = store.put_messages(batch);
    assert!(r.is_ok(), "{r:?}");
    let a = r.append.as_ref().unwrap();
    assert_eq!(a.msg_num, 5);
    assert_eq!(a.logics_offset, before);
    assert_eq!(a.msg_id().split(',').count(), 5);
    for (k, (flag, b, p)) in inner.iter().enumerate() {
        expected.push(Expected {
            phy: a.batch_offsets[k],
            topic: "TopicB".into(),
            queue_id: 2,
            queue_offset: before + k as i64,
            body: b.clone(),
            properties: format!("{p}\u{2}CLUSTER\u{1}DefaultCluster\u{2}WAIT\u{1}true"),
            sys_flag: 0,
            flag: *flag,
            born_host: "10.1.2.3:54321".into(),
            store_host: host4.clone(),
        });
    }

    // Refusals, with Java's statuses; nothing is written for them.
    let max_before = store.max_phy_offset();
    let big = msg("TopicA", 0, vec![0u8; 4 * 1024 * 1024 + 1], "", client4, v4);
    assert_eq!(
        store.put_message(big).status,
        PutMessageStatus::MessageIllegal
    );
    let long_props = msg(
        "TopicA",
        0,
        vec![1],
        &"k\u{1}v\u{2}".repeat(9000),
        client4,
        v4,
    );
    assert_eq!(
        store.put_message(long_props).status,
        PutMessageStatus::MessageIllegal
    );
    let long_topic = msg(&"t".repeat(128), 0, vec![1], "", client4, v4);
    assert_eq!(
        store.put_message(long_topic).status,
        PutMessageStatus::MessageIllegal
    );
    let too_big_for_file = msg("TopicA", 0, vec![0u8; FILE_SIZE as usize], "", client4, v4);
    assert_eq!(
        store.put_message(too_big_for_file).status,
        PutMessageStatus::MessageIllegal
    );
    assert_eq!(store.max_phy_offset(), max_before);

    assert!(store.wait_dispatched(Duration::from_secs(10)));

    // The store serves every consumable message back, by queue offset and by key.
    for e in &expected {
        if e.sys_flag & 0xC == sys_flag::TRANSACTION_PREPARED_TYPE {
            continue;
        }
        let got = store.get_message(&e.topic, e.queue_id, e.queue_offset, 1, None);
        assert_eq!(got.status, GetMessageStatus::Found, "{e:?}");
        assert_eq!(got.messages[0].start_offset(), e.phy);
        let rec = StoredRecord::decode(&got.messages[0]).unwrap();
        assert_eq!(rec.body, &e.body[..]);
    }
    let q = store.query_message("TopicA", "key-3", 32, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);
    assert_eq!(StoredRecord::decode(&q.messages[0]).unwrap().flag, 3);
    let q = store.query_message("TopicB", "batch-4", 32, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);

    store.shutdown();
    drop(store);

    // Independent reader over the raw files.
    let mut dir: Vec<_> = std::fs::read_dir(tmp.path().join("commitlog"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dir.sort();
    assert!(dir.len() >= 3, "roll-over happened: {} files", dir.len());
    let mut raw = Vec::new();
    let mut blanks = 0;
    for (n, path) in dir.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(bytes.len(), FILE_SIZE as usize);
        let from: u64 = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        assert_eq!(from, n as u64 * FILE_SIZE as u64);
        let walk = walk_commitlog_file(&bytes, from);
        if n + 1 < dir.len() {
            let (pos, size) = walk
                .blank
                .expect("every full file ends with a blank record");
            assert_eq!(pos as u32 + size, FILE_SIZE as u32);
            assert!(bytes[pos + 8..].iter().all(|&b| b == 0));
            blanks += 1;
        } else {
            assert!(walk.blank.is_none());
        }
        raw.extend(walk.records);
    }
    assert!(blanks >= 2);
    assert_eq!(raw.len(), expected.len());
    let mut next_q: std::collections::HashMap<(String, u32), u64> = Default::default();
    for (r, e) in raw.iter().zip(&expected) {
        assert_eq!(r.offset as i64, e.phy);
        assert_eq!(r.physical_offset, r.offset);
        assert_eq!(
            r.body_crc,
            crc32_ieee(&r.body) & 0x7FFF_FFFF,
            "real CRC at {}",
            r.offset
        );
        assert_eq!(r.topic, e.topic);
        assert_eq!(r.queue_id as i32, e.queue_id);
        assert_eq!(r.queue_offset as i64, e.queue_offset);
        assert_eq!(r.body, e.body);
        assert_eq!(r.properties, e.properties);
        assert_eq!(r.sys_flag as i32, e.sys_flag);
        assert_eq!(r.flag as i32, e.flag);
        assert_eq!(r.born_host, e.born_host);
        assert_eq!(r.store_host, e.store_host);
        assert_eq!(r.born_timestamp, 1_795_421_000_000);
        assert!(r.store_timestamp > 1_700_000_000_000);
        if r.sys_flag & 0xC != 4 {
            let next = next_q.entry((r.topic.clone(), r.queue_id)).or_default();
            assert_eq!(r.queue_offset, *next, "queue offsets contiguous");
            *next += 1;
        }
    }
    // Store timestamps never go backwards along the log.
    assert!(raw
        .windows(2)
        .all(|w| w[0].store_timestamp <= w[1].store_timestamp));

    // Reopen: the queue table continues where it was.
    let store = MessageStore::open(config).unwrap();
    assert_eq!(store.recovery_report().cut, None);
    let r = store.put_message(msg("TopicB", 2, b"after".to_vec(), "", client4, v4));
    assert_eq!(
        r.append.unwrap().logics_offset,
        next_q[&("TopicB".to_string(), 2)] as i64
    );
    store.shutdown();
}

/// Topic deletion's fence: the CommitLog forgets the topic's queue offsets and hands its end
/// to the deletion in one step, so the next message of the (re-created) topic starts its queue again at 0 and
/// lies at or above the fence, while what was stored before lies below it.
#[test]
fn removing_a_topic_from_the_queue_table_fences_its_old_records() {
    let dir = TempDir::new("cl-fence");
    let store = MessageStore::open(small_config(dir.path())).expect("open store");
    let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
    let put = |topic: &str| {
        let r = store.put_message(msg(topic, 1, b"x".to_vec(), "", host, host));
        assert_eq!(r.status, PutMessageStatus::PutOk);
        let a = r.append.expect("appended");
        (a.wrote_offset, a.logics_offset)
    };
    for i in 0..3 {
        assert_eq!(put("Gone").1, i);
    }
    assert_eq!(put("Kept").1, 0);
    let commit_log = store.commit_log();
    let end = store.max_phy_offset();
    let fence = commit_log.remove_topic_then("Gone", |fence| fence);
    assert_eq!(fence, end);
    let (phy, queue_offset) = put("Gone");
    assert_eq!(queue_offset, 0, "the topic's queue starts again");
    assert!(phy >= fence);
    assert_eq!(put("Kept").1, 1, "other topics keep their offsets");
    assert!(commit_log
        .topic_queue_table()
        .iter()
        .any(|(t, q, next)| t == "Gone" && *q == 1 && *next == 1));
    store.shutdown();
}
