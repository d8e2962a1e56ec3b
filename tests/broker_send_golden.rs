//! Replays the SEND requests a Java 4.9.7 producer sent (golden `produce-json.jsonl` and
//! `produce-rocketmq-binary.jsonl`) against a fresh broker holding the same topics, and compares
//! each response with the one the Java broker sent: code, remark, serialize type, extFields keys
//! in wire order and values (offset message ids compared by shape, since they carry our port).

mod support;

use bytes::BytesMut;
use ferrocket::remoting::{
    ClientConfig, RemotingClient, RemotingCodec, RemotingCommand, SerializeType,
};
use ferrocket::store::message::StoredRecord;
use ferrocket::store::metadata::TopicConfig;
use std::collections::HashMap;
use std::time::Duration;
use support::TempDir;
use tokio_util::codec::Decoder;

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn decode_frame(hex: &str) -> RemotingCommand {
    let mut buf = BytesMut::from(hex_to_bytes(hex).as_slice());
    RemotingCodec::default()
        .decode(&mut buf)
        .expect("decodes")
        .expect("a whole frame")
}

fn is_offset_msg_id(id: &str) -> bool {
    id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())
}

async fn replay(scenario: &str, topic: &str, serialize: SerializeType) {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip(&format!("broker_send_golden {scenario}"))
    else {
        return;
    };
    let path = golden.join("frames").join(format!("{scenario}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap();
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &serde_json::Value| f["server"] == "broker-master" && f["client"] == "producer")
        .collect();
    // Java's response to each request, by (connection, opaque).
    let mut java_responses: HashMap<(i64, i64), RemotingCommand> = HashMap::new();
    for f in &frames {
        if f["dir"] == "response" {
            let key = (f["conn"].as_i64().unwrap(), f["opaque"].as_i64().unwrap());
            java_responses.insert(key, decode_frame(f["frame_hex"].as_str().unwrap()));
        }
    }

    let dir = TempDir::new(&format!("send-golden-{scenario}"));
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.broker_name = "broker-a".into();
    })
    .await;
    running
        .broker
        .topics
        .update(TopicConfig::new(topic, 8, 8, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let mut compared = 0;
    for f in &frames {
        let code = f["code"].as_i64().unwrap();
        if f["dir"] != "request" || ![10, 310, 320].contains(&code) {
            continue;
        }
        let request = decode_frame(f["frame_hex"].as_str().unwrap());
        assert_eq!(request.serialize_type, serialize);
        let delayed = request.ext("i").is_some_and(|p| p.contains("DELAY\u{1}"));
        let key = (f["conn"].as_i64().unwrap(), f["opaque"].as_i64().unwrap());
        if request.is_oneway() {
            client.invoke_oneway(&addr, request).await.unwrap();
            assert!(!java_responses.contains_key(&key));
            continue;
        }
        let ours = client
            .invoke(&addr, request, Duration::from_secs(5))
            .await
            .unwrap();
        let java = &java_responses[&key];
        assert_eq!(ours.code, java.code, "opaque {}", key.1);
        assert_eq!(ours.remark, java.remark);
        assert_eq!(ours.serialize_type, java.serialize_type);
        let ours_ext = ours.ext_fields.clone().unwrap_or_default();
        let java_ext = java.ext_fields.clone().unwrap_or_default();
        let ours_keys: Vec<&str> = ours_ext.iter().map(|(k, _)| k).collect();
        let java_keys: Vec<&str> = java_ext.iter().map(|(k, _)| k).collect();
        assert_eq!(ours_keys, java_keys, "extFields order, opaque {}", key.1);
        for ((k, ov), (_, jv)) in ours_ext.iter().zip(java_ext.iter()) {
            match k {
                "msgId" => {
                    let o: Vec<&str> = ov.split(',').collect();
                    let j: Vec<&str> = jv.split(',').collect();
                    assert_eq!(o.len(), j.len());
                    assert!(o.iter().all(|id| is_offset_msg_id(id)), "{ov}");
                }
                // Delayed messages answer their SCHEDULE_TOPIC queue offset, which depends on
                // what the Java broker had stored before this scenario.
                "queueOffset" if delayed => assert!(ov.parse::<i64>().is_ok()),
                _ => assert_eq!(ov, jv, "{k}"),
            }
        }
        compared += 1;
    }
    assert!(compared >= 10, "compared {compared} responses");

    // The records as stored: the same as the Java broker's (main-master manifest), matched by
    // topic and UNIQ_KEY: properties string byte for byte (CLUSTER added, WAIT dropped except
    // where Java's store re-serialized the map), flag, sysFlag, body CRC, born time, queue.
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("store/main-master.manifest.json")).unwrap(),
    )
    .unwrap();
    let java_records = manifest["commitlog"].as_array().unwrap();
    let store = &running.broker.store;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let auto_topic = topic.replace("Golden", "GoldenAuto");
    let mut matched = 0;
    for t in [topic, auto_topic.as_str(), "SCHEDULE_TOPIC_XXXX"] {
        for q in 0..8 {
            for slice in store.get_message(t, q, 0, 64, None).messages {
                let r = StoredRecord::decode(&slice).unwrap();
                let props = r.properties_map();
                let uniq = props.get("UNIQ_KEY").unwrap().to_string();
                let java = java_records
                    .iter()
                    .find(|j| j["topic"] == t && j["uniqKey"] == uniq.as_str())
                    .unwrap_or_else(|| panic!("Java stored {t} {uniq}"));
                assert_eq!(
                    r.properties_str(),
                    java["properties_string"].as_str().unwrap(),
                    "{t} {uniq}"
                );
                assert_eq!(i64::from(r.flag), java["flag"].as_i64().unwrap());
                assert_eq!(i64::from(r.sys_flag), java["sysFlag"].as_i64().unwrap());
                assert_eq!(i64::from(r.body_crc), java["bodyCRC"].as_i64().unwrap());
                assert_eq!(r.born_timestamp, java["bornTimestamp"].as_i64().unwrap());
                assert_eq!(i64::from(r.queue_id), java["queueId"].as_i64().unwrap());
                if t != "SCHEDULE_TOPIC_XXXX" {
                    assert_eq!(r.queue_offset, java["queueOffset"].as_i64().unwrap());
                }
                matched += 1;
            }
        }
    }
    assert!(matched >= 15, "matched {matched} records");
    running.shutdown().await;
}

#[tokio::test]
async fn replay_produce_json() {
    replay("produce-json", "GoldenJson", SerializeType::Json).await;
}

#[tokio::test]
async fn replay_produce_rocketmq_binary() {
    replay(
        "produce-rocketmq-binary",
        "GoldenBinary",
        SerializeType::RocketMq,
    )
    .await;
}

/// The consume-push scenario's RECONSUME_LATER: Java stored the sent-back copy in
/// SCHEDULE_TOPIC_XXXX queue 2 (level 3). Our copy of the same original message carries the
/// same properties string, in the same order, but for the ORIGIN_MESSAGE_ID value (an offset
/// msg id, which names our port and offset).
#[tokio::test]
async fn send_back_properties_as_java() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("send_back_properties_as_java") else {
        return;
    };
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("store/main-master.manifest.json")).unwrap(),
    )
    .unwrap();
    let records = manifest["commitlog"].as_array().unwrap();
    let original = records
        .iter()
        .find(|r| r["commitLogOffset"] == 423002)
        .expect("push-1 in the golden store");
    let java_copy = records
        .iter()
        .find(|r| r["topic"] == "SCHEDULE_TOPIC_XXXX" && r["queueId"] == 2)
        .expect("the sent-back copy");

    let dir = TempDir::new("send-back-golden");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    running
        .broker
        .topics
        .update(TopicConfig::new("GoldenPush", 4, 4, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let header = ferrocket::protocol::header::SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: "GoldenPush".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: original["bornTimestamp"].as_i64().unwrap(),
        flag: 0,
        properties: Some(original["properties_string"].as_str().unwrap().to_string()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: None,
    };
    use ferrocket::protocol::CommandHeader;
    let req = RemotingCommand::request(
        ferrocket::remoting::request_code::SEND_MESSAGE_V2,
        Some(header.to_ext_fields()),
    )
    .with_body(b"body".to_vec());
    let resp = client
        .invoke(&addr, req, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.code, 0);
    let back = ferrocket::protocol::header::ConsumerSendMsgBackRequestHeader {
        offset: 0,
        group: "golden_push_consumer".into(),
        delay_level: 0,
        origin_msg_id: None,
        origin_topic: Some("GoldenPush".into()),
        unit_mode: false,
        max_reconsume_times: Some(16),
        bname: None,
    };
    let req = RemotingCommand::request(
        ferrocket::remoting::request_code::CONSUMER_SEND_MSG_BACK,
        Some(back.to_ext_fields()),
    );
    let resp = client
        .invoke(&addr, req, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(resp.code, 0, "{:?}", resp.remark);
    let store = &running.broker.store;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let got = store.get_message("SCHEDULE_TOPIC_XXXX", 2, 0, 4, None);
    assert_eq!(got.messages.len(), 1);
    let ours = StoredRecord::decode(&got.messages[0]).unwrap();
    let ours_props = ours.properties_map();
    let origin = ours_props.get("ORIGIN_MESSAGE_ID").unwrap().to_string();
    let java_props = ferrocket::store::message::Properties::parse(
        java_copy["properties_string"].as_str().unwrap(),
    );
    let java_origin = java_props.get("ORIGIN_MESSAGE_ID").unwrap();
    let expected = java_copy["properties_string"]
        .as_str()
        .unwrap()
        .replace(java_origin, &origin);
    assert_eq!(ours.properties_str(), expected);
    assert_eq!(ours.reconsume_times, 1);
    running.shutdown().await;
}
