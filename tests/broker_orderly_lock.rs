//! LOCK_BATCH_MQ / UNLOCK_BATCH_MQ: the golden `consume-orderly` lock traffic replayed with
//! byte-identical answers, and two clients contending for queues of one group. (Lock expiry is
//! covered by the unit test of `broker::rebalance_lock`, with explicit clock values.)

mod support;

use bytes::BytesMut;
use ferrocket::protocol::body::{encode_body, LockBatchRequestBody, MessageQueue};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCodec, RemotingCommand,
};
use std::time::Duration;
use support::TempDir;
use tokio_util::codec::Decoder;

const T: Duration = Duration::from_secs(10);

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn decode_frame(hex: &str) -> RemotingCommand {
    let mut buf = BytesMut::from(hex_to_bytes(hex).as_slice());
    RemotingCodec::default().decode(&mut buf).unwrap().unwrap()
}

/// Every LOCK_BATCH_MQ and UNLOCK_BATCH_MQ the Java orderly consumer sent, in order: our
/// answers equal Java's (code, no remark, no extFields, body bytes: the locked set in Java's
/// `HashSet` order).
#[tokio::test]
async fn golden_lock_unlock_replay() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_lock_unlock_replay") else {
        return;
    };
    let text = std::fs::read_to_string(golden.join("frames/consume-orderly.jsonl")).unwrap();
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &serde_json::Value| f["server"] == "broker-master")
        .collect();
    let dir = TempDir::new("lock-golden");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.broker_name = "broker-a".into();
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut compared = 0;
    for f in &frames {
        let code = f["code"].as_i64().unwrap() as i32;
        if f["dir"] != "request"
            || ![request_code::LOCK_BATCH_MQ, request_code::UNLOCK_BATCH_MQ].contains(&code)
        {
            continue;
        }
        let request = decode_frame(f["frame_hex"].as_str().unwrap());
        let java = frames
            .iter()
            .find(|r| {
                r["dir"] == "response" && r["conn"] == f["conn"] && r["opaque"] == f["opaque"]
            })
            .map(|r| decode_frame(r["frame_hex"].as_str().unwrap()))
            .unwrap();
        let ours = client.invoke(&addr, request, T).await.unwrap();
        assert_eq!(ours.code, java.code);
        assert_eq!(ours.remark, java.remark);
        assert_eq!(ours.ext_fields.is_none(), java.ext_fields.is_none());
        assert_eq!(
            ours.body.as_deref().map(String::from_utf8_lossy),
            java.body.as_deref().map(String::from_utf8_lossy),
            "response body of {}",
            f["code_name"]
        );
        compared += 1;
    }
    assert_eq!(
        compared, 7,
        "6 LOCK_BATCH_MQ + 1 UNLOCK_BATCH_MQ in the scenario"
    );
    // The final UNLOCK_BATCH_MQ released every queue.
    let mq = MessageQueue {
        topic: "GoldenOrderly".into(),
        broker_name: "broker-a".into(),
        queue_id: 3,
    };
    assert_eq!(
        running.broker.rebalance_locks.owner(
            "golden_orderly_consumer",
            &mq,
            running.broker.now_millis()
        ),
        None
    );
    client.shutdown();
    running.shutdown().await;
}

fn mq(queue_id: i32) -> MessageQueue {
    MessageQueue {
        topic: "OrderT".into(),
        broker_name: "broker-test".into(),
        queue_id,
    }
}

async fn lock(
    client: &RemotingClient,
    addr: &str,
    code: i32,
    client_id: &str,
    queues: &[i32],
) -> Vec<i32> {
    let body = LockBatchRequestBody {
        consumer_group: "og".into(),
        client_id: client_id.into(),
        mq_set: queues.iter().map(|&q| mq(q)).collect(),
    };
    let req = RemotingCommand::request(code, None).with_body(encode_body(&body));
    let resp = client.invoke(addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let Some(body) = resp.body else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut got: Vec<i32> = v["lockOKMQSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["queueId"].as_i64().unwrap() as i32)
        .collect();
    got.sort_unstable();
    got
}

#[tokio::test]
async fn two_clients_contend_for_queues() {
    let dir = TempDir::new("lock-contend");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let a = RemotingClient::new(ClientConfig::default());
    let b = RemotingClient::new(ClientConfig::default());
    let (lk, un) = (request_code::LOCK_BATCH_MQ, request_code::UNLOCK_BATCH_MQ);

    assert_eq!(lock(&a, &addr, lk, "A", &[0, 1]).await, vec![0, 1]);
    assert_eq!(
        lock(&b, &addr, lk, "B", &[1, 2]).await,
        vec![2],
        "queue 1 is A's"
    );
    // Re-locking refreshes and answers with everything held.
    assert_eq!(lock(&a, &addr, lk, "A", &[0, 1, 2]).await, vec![0, 1]);
    // B cannot release A's queue; A can.
    assert!(lock(&b, &addr, un, "B", &[0, 1]).await.is_empty());
    assert_eq!(lock(&b, &addr, lk, "B", &[1]).await, Vec::<i32>::new());
    assert!(lock(&a, &addr, un, "A", &[1]).await.is_empty());
    assert_eq!(lock(&b, &addr, lk, "B", &[1]).await, vec![1]);
    // A malformed body is a SYSTEM_ERROR, not a crash.
    let req = RemotingCommand::request(lk, None).with_body(b"{not json".to_vec());
    let resp = a.invoke(&addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);

    a.shutdown();
    b.shutdown();
    running.shutdown().await;
}
