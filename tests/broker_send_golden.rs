//! Replays the SEND requests a Java 4.9.7 producer sent (golden `produce-json.jsonl` and
//! `produce-rocketmq-binary.jsonl`) against a fresh broker holding the same topics, and compares
//! each response with the one the Java broker sent: code, remark, serialize type, extFields keys
//! in wire order and values (offset message ids compared by shape, since they carry our port).

use bytes::BytesMut;
use ferrocket::remoting::{
    ClientConfig, RemotingClient, RemotingCodec, RemotingCommand, SerializeType,
};
use ferrocket::store::metadata::TopicConfig;
use std::collections::HashMap;
use std::time::Duration;
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

    let dir = std::env::temp_dir().join(format!(
        "ferrocket-send-golden-{scenario}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let running = ferrocket::testkit::start_test_broker(&dir, |s| {
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
