//! Retries and delays: CONSUMER_SEND_MSG_BACK diverts to the schedule topic with Java's delay
//! level and properties, then to the DLQ past maxReconsumeTimes; a send to a retry topic past
//! its max goes to the DLQ; a DELAY=1 message reaches its real topic only after its delay, and
//! the schedule progress is written to delayOffset.json.

mod support;

use ferrocket::broker::runtime::RunningBroker;
use ferrocket::protocol::header::{ConsumerSendMsgBackRequestHeader, SendMessageRequestHeaderV2};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use ferrocket::store::message::msg_id::create_offset_msg_id;
use ferrocket::store::message::{Properties, StoredRecord};
use ferrocket::store::metadata::{DelayOffsetTable, StoreConfigFile, TopicConfig};
use std::time::Duration;
use support::TempDir;

const SCHEDULE: &str = "SCHEDULE_TOPIC_XXXX";

fn props(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}\u{1}{v}")).collect();
    parts.join("\u{2}")
}

fn send_request(
    topic: &str,
    queue_id: i32,
    properties: &str,
    reconsume: i32,
    max: Option<i32>,
) -> RemotingCommand {
    let h = SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(properties.into()),
        reconsume_times: Some(reconsume),
        unit_mode: false,
        consume_retry_times: max,
        batch: false,
        broker_name: None,
    };
    RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(h.to_ext_fields()))
        .with_body(b"payload".to_vec())
}

fn send_back(offset: i64, group: &str, delay_level: i32, max: Option<i32>) -> RemotingCommand {
    let h = ConsumerSendMsgBackRequestHeader {
        offset,
        group: group.into(),
        delay_level,
        origin_msg_id: None,
        origin_topic: None,
        unit_mode: false,
        max_reconsume_times: max,
        bname: None,
    };
    RemotingCommand::request(
        request_code::CONSUMER_SEND_MSG_BACK,
        Some(h.to_ext_fields()),
    )
}

async fn invoke(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client
        .invoke(addr, req, Duration::from_secs(5))
        .await
        .expect("response")
}

/// (physical offset, reconsume times, store timestamp, properties) of every record of a queue.
fn records(
    running: &RunningBroker,
    topic: &str,
    queue_id: i32,
) -> Vec<(i64, i32, i64, Properties, Vec<u8>)> {
    let store = &running.broker.store;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    store
        .get_message(topic, queue_id, 0, 64, None)
        .messages
        .iter()
        .map(|s| {
            let r = StoredRecord::decode(s).unwrap();
            (
                r.physical_offset,
                r.reconsume_times,
                r.store_timestamp,
                r.properties_map(),
                r.body.to_vec(),
            )
        })
        .collect()
}

#[tokio::test]
async fn send_back_to_retry_with_delay_then_dlq() {
    let dir = TempDir::new("send-back");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    running
        .broker
        .topics
        .update(TopicConfig::new("TB", 1, 1, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let resp = invoke(
        &client,
        &addr,
        send_request("TB", 0, &props(&[("TAGS", "t")]), 0, None),
    )
    .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let original = records(&running, "TB", 0);
    let (orig_offset, ..) = original[0];
    let store_host = running.broker.broker_addr.parse().unwrap();
    let orig_msg_id = create_offset_msg_id(&store_host, orig_offset);

    // First failure, delay level 0: Java picks 3 + reconsumeTimes = level 3 (queue 2).
    let resp = invoke(&client, &addr, send_back(orig_offset, "cg", 0, Some(2))).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert!(resp.ext_fields.is_none());
    let retry = running
        .broker
        .topics
        .get("%RETRY%cg")
        .expect("retry topic created");
    assert_eq!((retry.read_queue_nums, retry.perm), (1, 6));
    let delayed = records(&running, SCHEDULE, 2);
    assert_eq!(delayed.len(), 1);
    let (retry_offset, times, _, p, body) = &delayed[0];
    assert_eq!(*times, 1);
    assert_eq!(body, b"payload");
    assert_eq!(p.get("REAL_TOPIC"), Some("%RETRY%cg"));
    assert_eq!(p.get("REAL_QID"), Some("0"));
    assert_eq!(p.get("DELAY"), Some("3"));
    assert_eq!(p.get("RETRY_TOPIC"), Some("TB"));
    assert_eq!(p.get("WAIT"), Some("false"));
    assert_eq!(p.get("ORIGIN_MESSAGE_ID"), Some(orig_msg_id.as_str()));
    assert_eq!(p.get("TAGS"), Some("t"));

    // An explicit level is kept.
    let resp = invoke(&client, &addr, send_back(orig_offset, "cg", 5, Some(2))).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(records(&running, SCHEDULE, 4).len(), 1);

    // The retried copy fails again: reconsumeTimes 1 >= max 1 -> DLQ.
    let resp = invoke(&client, &addr, send_back(*retry_offset, "cg", 0, Some(1))).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let dlq = running
        .broker
        .topics
        .get("%DLQ%cg")
        .expect("DLQ topic created");
    assert_eq!(
        (dlq.read_queue_nums, dlq.write_queue_nums, dlq.perm),
        (1, 1, 6)
    );
    let dead = records(&running, "%DLQ%cg", 0);
    assert_eq!(dead.len(), 1);
    let (_, times, _, p, _) = &dead[0];
    assert_eq!(*times, 2);
    assert_eq!(p.get("DELAY"), Some("0"));
    assert_eq!(p.get("RETRY_TOPIC"), Some("TB"), "the first topic stays");
    assert_eq!(
        p.get("ORIGIN_MESSAGE_ID"),
        Some(orig_msg_id.as_str()),
        "origin kept"
    );

    // delayLevel < 0 goes straight to the DLQ.
    let resp = invoke(&client, &addr, send_back(orig_offset, "cg", -1, None)).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(records(&running, "%DLQ%cg", 0).len(), 2);

    // A bad offset: Java's remark.
    let resp = invoke(&client, &addr, send_back(999_999_999, "cg", 0, None)).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("look message by offset failed, 999999999")
    );
    running.shutdown().await;
}

#[tokio::test]
async fn send_to_retry_topic_past_max_goes_to_dlq() {
    let dir = TempDir::new("send-retry-dlq");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    running
        .broker
        .topics
        .update(TopicConfig::new("%RETRY%g2", 1, 1, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let resp = invoke(&client, &addr, send_request("%RETRY%g2", 0, "", 1, Some(3))).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(records(&running, "%RETRY%g2", 0).len(), 1);
    let resp = invoke(&client, &addr, send_request("%RETRY%g2", 0, "", 3, Some(3))).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(records(&running, "%RETRY%g2", 0).len(), 1);
    assert_eq!(records(&running, "%DLQ%g2", 0).len(), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn delayed_message_arrives_after_its_level() {
    let dir = TempDir::new("send-delay");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.flush_delay_offset_interval = 200;
    })
    .await;
    running
        .broker
        .topics
        .update(TopicConfig::new("TD", 2, 2, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let resp = invoke(
        &client,
        &addr,
        send_request("TD", 1, &props(&[("DELAY", "1"), ("KEYS", "d1")]), 0, None),
    )
    .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let store = running.broker.store.clone();
    let waiting = records(&running, SCHEDULE, 0);
    assert_eq!(waiting.len(), 1);
    // Not delivered yet: the schedule service starts a second after the broker, and the
    // message is due a second after it was stored.
    assert_eq!(store.max_offset_in_queue("TD", 1), 0);

    let mut delivered = false;
    // Bounded generously: the assertion is that it comes, and not early (below).
    for _ in 0..400 {
        if store.max_offset_in_queue("TD", 1) == 1 {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "delivered within 20 s");
    let got = records(&running, "TD", 1);
    assert_eq!(got.len(), 1);
    let (_, _, delivered_at, p, body) = &got[0];
    let (_, _, stored_at, ..) = &waiting[0];
    assert!(
        delivered_at - stored_at >= 1000,
        "due time respected: {}",
        delivered_at - stored_at
    );
    assert_eq!(body, b"payload");
    assert_eq!(p.get("KEYS"), Some("d1"));
    assert_eq!(p.get("REAL_TOPIC"), Some("TD"));
    assert_eq!(p.get("REAL_QID"), Some("1"));
    assert_eq!(
        p.get("DELAY"),
        Some("1"),
        "Java keeps DELAY in the re-put string"
    );
    // Not diverted again.
    assert_eq!(store.max_offset_in_queue(SCHEDULE, 0), 1);
    assert_eq!(running.broker.schedule.offset(1), 1);
    assert_eq!(
        running.broker.schedule.runtime_info(),
        vec![("scheduleMessageOffset_1".to_string(), "1,1".to_string())]
    );

    let root = dir.path().to_path_buf();
    let mut written = None;
    for _ in 0..50 {
        if let Ok((Some(t), _)) = DelayOffsetTable::load_from(&root) {
            if t.offset_table.get(&1) == Some(&1) {
                written = Some(t);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(written.is_some(), "delayOffset.json written periodically");
    running.shutdown().await;
    let text = std::fs::read_to_string(dir.path().join("config/delayOffset.json")).unwrap();
    assert!(text.contains("\"offsetTable\""), "{text}");
    let (t, _) = DelayOffsetTable::load_from(dir.path()).unwrap();
    assert_eq!(t.unwrap().offset_table.get(&1), Some(&1));
}
