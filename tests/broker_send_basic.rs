//! The send path over TCP against an in-process broker: V1, V2 (JSON and ROCKETMQ headers) and
//! batch sends stored with every field as sent, Java's refusals (bad topic, queueId out of range,
//! forbidden topic, unknown topic without auto-creation), auto-creation, oneway, and SYSTEM_BUSY
//! when the in-flight bound is exceeded.

mod support;

use ferrocket::broker::runtime::RunningBroker;
use ferrocket::protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand, SerializeType,
};
use ferrocket::store::message::batch::encode_batch_body;
use ferrocket::store::message::msg_id::create_offset_msg_id;
use ferrocket::store::message::{body_crc, Properties, StoredRecord};
use ferrocket::store::metadata::TopicConfig;
use std::net::SocketAddr;
use std::time::Duration;
use support::TempDir;

const SEP_KV: char = '\u{1}';
const SEP: char = '\u{2}';

fn props(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}{SEP_KV}{v}"))
        .collect();
    parts.join(&SEP.to_string())
}

fn v2_header(topic: &str, queue_id: i32, properties: &str) -> SendMessageRequestHeaderV2 {
    SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 7,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: Some("broker-test".into()),
    }
}

fn v2_request(topic: &str, queue_id: i32, properties: &str, body: &[u8]) -> RemotingCommand {
    RemotingCommand::request(
        request_code::SEND_MESSAGE_V2,
        Some(v2_header(topic, queue_id, properties).to_ext_fields()),
    )
    .with_body(body.to_vec())
}

async fn invoke(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client
        .invoke(addr, req, Duration::from_secs(5))
        .await
        .expect("response")
}

struct Stored {
    topic: String,
    queue_id: i32,
    queue_offset: i64,
    physical_offset: i64,
    flag: i32,
    sys_flag: i32,
    born_timestamp: i64,
    born_host: SocketAddr,
    store_host: SocketAddr,
    body: Vec<u8>,
    body_crc: i32,
    crc_ok: bool,
    properties: String,
}

/// Every record of a queue, decoded.
fn stored(running: &RunningBroker, topic: &str, queue_id: i32) -> Vec<Stored> {
    let store = &running.broker.store;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let result = store.get_message(topic, queue_id, 0, 64, None);
    result
        .messages
        .iter()
        .map(|slice| {
            let r = StoredRecord::decode(slice).expect("a record");
            Stored {
                topic: r.topic_str().into_owned(),
                queue_id: r.queue_id,
                queue_offset: r.queue_offset,
                physical_offset: r.physical_offset,
                flag: r.flag,
                sys_flag: r.sys_flag,
                born_timestamp: r.born_timestamp,
                born_host: r.born_host,
                store_host: r.store_host,
                body: r.body.to_vec(),
                body_crc: r.body_crc,
                crc_ok: r.crc_ok(),
                properties: r.properties_str().into_owned(),
            }
        })
        .collect()
}

fn create_topic(running: &RunningBroker, name: &str, queues: i32) {
    running
        .broker
        .topics
        .update(TopicConfig::new(name, queues, queues, 6))
        .unwrap();
}

async fn check_v2_send(serialize: SerializeType, tag: &str) {
    let dir = TempDir::new(&format!("send-v2-{tag}"));
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    create_topic(&running, "T1", 4);
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let local = client.connection(&addr).await.unwrap().local_addr();

    let sent_props = props(&[
        ("a", "7"),
        ("KEYS", "k1 k2"),
        ("UNIQ_KEY", "AC1100010000000000000000000000"),
        ("WAIT", "true"),
        ("TAGS", "TagA"),
    ]);
    let mut ids = Vec::new();
    for (i, body) in [b"hello".as_slice(), b"world!"].into_iter().enumerate() {
        let mut req = v2_request("T1", 2, &sent_props, body);
        req.serialize_type = serialize;
        let resp = invoke(&client, &addr, req).await;
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
        assert_eq!(resp.remark, None);
        assert_eq!(resp.serialize_type, serialize);
        let ext = resp.ext_fields.clone().unwrap();
        assert_eq!(ext.get("MSG_REGION"), Some("DefaultRegion"));
        assert_eq!(ext.get("TRACE_ON"), Some("true"));
        let h: SendMessageResponseHeader = read_header(&resp).unwrap();
        assert_eq!(h.queue_id, 2);
        assert_eq!(h.queue_offset, i as i64);
        ids.push(h.msg_id);
        if serialize == SerializeType::RocketMq {
            // Fast-codec header: fields in declaration order, then the extras.
            let keys: Vec<&str> = ext.iter().map(|(k, _)| k).collect();
            assert_eq!(keys[..3], ["msgId", "queueId", "queueOffset"]);
        }
    }
    let records = stored(&running, "T1", 2);
    assert_eq!(records.len(), 2);
    let store_host: SocketAddr = running.broker.broker_addr.parse().unwrap();
    for (i, (r, body)) in records
        .iter()
        .zip([b"hello".as_slice(), b"world!"])
        .enumerate()
    {
        assert_eq!(r.topic, "T1");
        assert_eq!(r.queue_id, 2);
        assert_eq!(r.queue_offset, i as i64);
        assert_eq!(r.flag, 7);
        assert_eq!(r.sys_flag, 0);
        assert_eq!(r.born_timestamp, 1_700_000_000_123);
        assert_eq!(r.born_host, local);
        assert_eq!(r.store_host, store_host);
        assert_eq!(r.body, body);
        assert_eq!(r.body_crc, body_crc(body));
        assert!(r.crc_ok);
        assert_eq!(ids[i], create_offset_msg_id(&store_host, r.physical_offset));
        // Java re-serializes the map: CLUSTER added, WAIT dropped, HashMap order.
        let p = Properties::parse(&r.properties);
        assert_eq!(p.get("a"), Some("7"));
        assert_eq!(p.get("KEYS"), Some("k1 k2"));
        assert_eq!(p.get("TAGS"), Some("TagA"));
        assert_eq!(p.get("CLUSTER"), Some("DefaultCluster"));
        assert_eq!(p.get("WAIT"), None);
        assert_eq!(p.len(), 5);
        assert_eq!(r.properties, p.to_java_string());
    }
    running.shutdown().await;
}

#[tokio::test]
async fn v2_send_json_header_stored_as_sent() {
    check_v2_send(SerializeType::Json, "json").await;
}

#[tokio::test]
async fn v2_send_rocketmq_header_stored_as_sent() {
    check_v2_send(SerializeType::RocketMq, "binary").await;
}

#[tokio::test]
async fn v1_send_and_batch_send() {
    let dir = TempDir::new("send-v1-batch");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    create_topic(&running, "T2", 4);
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let v1: SendMessageRequestHeader = v2_header("T2", 1, &props(&[("TAGS", "X")])).into();
    let req = RemotingCommand::request(request_code::SEND_MESSAGE, Some(v1.to_ext_fields()))
        .with_body(b"v1-body".to_vec());
    let resp = invoke(&client, &addr, req).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);

    // Batch: three messages with their own properties, bodies of different sizes.
    let inner_props: Vec<String> = (0..3)
        .map(|i| props(&[("batchIndex", &i.to_string()), ("TAGS", "B")]))
        .collect();
    let bodies: Vec<Vec<u8>> = (0..3).map(|i| vec![b'a' + i as u8; 10 + i]).collect();
    let body = encode_batch_body((0..3).map(|i| {
        (
            i as i32 + 100,
            bodies[i].as_slice(),
            inner_props[i].as_str(),
        )
    }));
    let mut h = v2_header("T2", 1, &props(&[("WAIT", "true")]));
    h.batch = true;
    let req = RemotingCommand::request(request_code::SEND_BATCH_MESSAGE, Some(h.to_ext_fields()))
        .with_body(body);
    let resp = invoke(&client, &addr, req).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let rh: SendMessageResponseHeader = read_header(&resp).unwrap();
    assert_eq!(rh.queue_offset, 1);
    assert_eq!(rh.msg_id.split(',').count(), 3);

    let records = stored(&running, "T2", 1);
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].body, b"v1-body");
    assert_eq!(
        Properties::parse(&records[0].properties).get("CLUSTER"),
        Some("DefaultCluster")
    );
    for i in 0..3 {
        let r = &records[i + 1];
        assert_eq!(r.queue_offset, i as i64 + 1);
        assert_eq!(r.flag, i as i32 + 100);
        assert_eq!(r.body, bodies[i]);
        assert_eq!(
            r.body_crc,
            body_crc(&bodies[i]),
            "real CRC, not the client's 0"
        );
        assert!(r.crc_ok);
        let p = Properties::parse(&r.properties);
        assert_eq!(p.get("batchIndex"), Some(i.to_string().as_str()));
        assert_eq!(p.get("CLUSTER"), Some("DefaultCluster"));
        let ids: Vec<&str> = rh.msg_id.split(',').collect();
        assert_eq!(
            ids[i],
            create_offset_msg_id(&r.store_host, r.physical_offset)
        );
    }
    running.shutdown().await;
}

#[tokio::test]
async fn refusals_with_java_remarks() {
    let dir = TempDir::new("send-refusals");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.auto_create_topic_enable = false;
    })
    .await;
    create_topic(&running, "T3", 2);
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let resp = invoke(&client, &addr, v2_request("bad topic!", 0, "", b"x")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")
    );

    let resp = invoke(
        &client,
        &addr,
        v2_request("SCHEDULE_TOPIC_XXXX", 0, "", b"x"),
    )
    .await;
    assert_eq!(resp.code, response_code::NO_PERMISSION);
    assert_eq!(
        resp.remark.as_deref(),
        Some("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.")
    );

    let resp = invoke(&client, &addr, v2_request("Unknown", 0, "", b"x")).await;
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("topic[Unknown] not exist, apply first please!\nSee http://rocketmq.apache.org/docs/faq/ for further details.")
    );
    assert!(!running.broker.topics.contains("Unknown"));

    let resp = invoke(&client, &addr, v2_request("T3", 2, "", b"x")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    let remark = resp.remark.unwrap();
    assert!(
        remark.starts_with("request queueId[2] is illegal, TopicConfig [topicName=T3, readQueueNums=2, writeQueueNums=2, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false] Producer: 127.0.0.1:"),
        "{remark}"
    );
    // Failures carry only the extras, no send header.
    let ext = resp.ext_fields.unwrap();
    assert_eq!(ext.len(), 2);
    assert!(ext.get("msgId").is_none());
    assert_eq!(running.broker.store.max_offset_in_queue("T3", 0), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn auto_create_from_tbw102_and_oneway() {
    let dir = TempDir::new("send-autocreate");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let resp = invoke(&client, &addr, v2_request("AutoT", 3, "", b"x")).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let c = running.broker.topics.get("AutoT").expect("auto-created");
    assert_eq!((c.read_queue_nums, c.write_queue_nums, c.perm), (4, 4, 6));

    // Oneway: stored, no response.
    let mut req = v2_request("AutoT", 3, "", b"oneway");
    req.mark_oneway();
    client.invoke_oneway(&addr, req).await.unwrap();
    let store = &running.broker.store;
    for _ in 0..200 {
        if store.max_offset_in_queue("AutoT", 3) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let records = stored(&running, "AutoT", 3);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].body, b"oneway");
    running.shutdown().await;
}

#[tokio::test]
async fn system_busy_when_no_send_slot() {
    let dir = TempDir::new("send-busy");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.send_thread_pool_queue_capacity = 0;
    })
    .await;
    create_topic(&running, "T4", 1);
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut busy = 0;
    for _ in 0..10 {
        let resp = invoke(&client, &addr, v2_request("T4", 0, "", b"x")).await;
        if resp.code == response_code::SYSTEM_BUSY {
            assert_eq!(
                resp.remark.as_deref(),
                Some("[OVERLOAD]system busy, start flow control for a while")
            );
            busy += 1;
        }
    }
    assert_eq!(busy, 10);
    assert_eq!(running.broker.store.max_offset_in_queue("T4", 0), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn transaction_message_rejected_when_configured() {
    let dir = TempDir::new("send-tx-reject");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.reject_transaction_message = true;
    })
    .await;
    create_topic(&running, "T5", 1);
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut h = v2_header("T5", 0, &props(&[("TRAN_MSG", "true"), ("PGROUP", "pg")]));
    h.sys_flag = 4;
    let req = RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(h.to_ext_fields()))
        .with_body(b"half".to_vec());
    let resp = invoke(&client, &addr, req).await;
    assert_eq!(resp.code, response_code::NO_PERMISSION);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the broker[127.0.0.1] sending transaction message is forbidden")
    );
    running.shutdown().await;
}

#[tokio::test]
async fn sync_flush_sends_wait_off_the_reactor() {
    let dir = TempDir::new("send-syncflush");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.flush_disk_type = ferrocket::store::config::FlushDiskType::SyncFlush;
    })
    .await;
    create_topic(&running, "T6", 1);
    let addr = running.local_addrs[0].to_string();
    let client = std::sync::Arc::new(RemotingClient::new(ClientConfig::default()));
    let mut sends = Vec::new();
    for i in 0..16 {
        let client = client.clone();
        let addr = addr.clone();
        sends.push(tokio::spawn(async move {
            let body = format!("sync-{i}");
            invoke(&client, &addr, v2_request("T6", 0, "", body.as_bytes())).await
        }));
    }
    for s in sends {
        let resp = s.await.unwrap();
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    }
    let records = stored(&running, "T6", 0);
    assert_eq!(records.len(), 16);
    // SYNC_FLUSH answered only once flushed: everything acknowledged is on disk.
    let flushed = running.broker.store.commit_log().flushed_offset();
    let last = records.last().unwrap();
    assert!(flushed > last.physical_offset, "flushed {flushed}");
    running.shutdown().await;
}
