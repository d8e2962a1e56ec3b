//! UPDATE_BROKER_CONFIG takes effect at runtime, over TCP against an in-process broker, as in
//! Java 4.9.7: auto-creation of topics and subscription groups switched off and on again,
//! maxMessageSize lowered and raised, rejectTransactionMessage, slaveReadEnable's effect on
//! suggestWhichBrokerId, GET_BROKER_CONFIG reporting the new values, and retention keys
//! reaching the store's cleaning pass.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::protocol::header::SendMessageRequestHeaderV2;
use ferrocket::protocol::heartbeat::HeartbeatData;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, response_code as rc, RemotingCommand};
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::metadata::SubscriptionGroupConfig;
use std::time::{Duration, Instant};

const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

async fn update_config(b: &TestBroker, properties: &str) {
    let request = RemotingCommand::request(request_code::UPDATE_BROKER_CONFIG, None)
        .with_body(properties.as_bytes().to_vec());
    let resp = b.invoke(request).await;
    assert_eq!((resp.code, resp.remark.as_deref()), (rc::SUCCESS, None));
}

/// GET_BROKER_CONFIG's `key=value` lines.
async fn broker_config(b: &TestBroker) -> String {
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::GET_BROKER_CONFIG,
            None,
        ))
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    String::from_utf8(resp.body.expect("config text").to_vec()).expect("utf-8")
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

async fn send(b: &TestBroker, topic: &str, properties: &str, body: &[u8]) -> RemotingCommand {
    let header = SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: Some("broker-test".into()),
    };
    let request =
        RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(header.to_ext_fields()))
            .with_body(body.to_vec());
    b.invoke(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_side_keys_take_effect_without_restart() {
    let b = TestBroker::start("live-send", |_| {}).await;
    b.create_topic("T", 4);

    // autoCreateTopicEnable off: an unknown topic is refused with Java's remark, not created.
    update_config(&b, "autoCreateTopicEnable=false\n").await;
    let resp = send(&b, "NewTopic", "", b"x").await;
    assert_eq!(resp.code, rc::TOPIC_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some(format!("topic[NewTopic] not exist, apply first please!{FAQ}").as_str())
    );
    assert!(!b.running.broker.topics.contains("NewTopic"));
    assert!(has_line(
        &broker_config(&b).await,
        "autoCreateTopicEnable=false"
    ));
    // ... and on again: the same send creates the topic from TBW102.
    update_config(&b, "autoCreateTopicEnable=true\n").await;
    let resp = send(&b, "NewTopic", "", b"x").await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);
    assert_eq!(
        b.running
            .broker
            .topics
            .get("NewTopic")
            .map(|c| c.write_queue_nums),
        Some(4)
    );

    // maxMessageSize lowered: a bigger body is MESSAGE_ILLEGAL, quoting the new limit.
    update_config(&b, "maxMessageSize=1024\n").await;
    let resp = send(&b, "T", "", &[b'a'; 1025]).await;
    assert_eq!(resp.code, rc::MESSAGE_ILLEGAL);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the message is illegal, maybe msg body or properties length not matched. msg body length limit 1024B, msg properties length limit 32KB.")
    );
    let resp = send(&b, "T", "", &[b'a'; 1024]).await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);
    let config = broker_config(&b).await;
    assert!(has_line(&config, "maxMessageSize=1024"), "{config}");
    // The store itself enforces the new limit too.
    let big = MessageExtBrokerInner::new("T", 1, vec![b'b'; 4096]);
    assert_eq!(
        b.running.broker.store.put_message(big).status,
        ferrocket::store::commit_log::PutMessageStatus::MessageIllegal
    );
    update_config(&b, "maxMessageSize=4194304\n").await;
    let resp = send(&b, "T", "", &[b'a'; 4096]).await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);
    let store = &b.running.broker.store;
    assert!(tokio::task::block_in_place(
        || store.wait_dispatched(Duration::from_secs(10))
    ));
    assert_eq!(store.max_offset_in_queue("T", 0), 2);

    // rejectTransactionMessage: half messages are refused from the next send.
    let half = "TRAN_MSG\u{1}true\u{2}PGROUP\u{1}pg";
    update_config(&b, "rejectTransactionMessage=true\n").await;
    let resp = send(&b, "T", half, b"half").await;
    assert_eq!(resp.code, rc::NO_PERMISSION);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the broker[127.0.0.1] sending transaction message is forbidden")
    );
    update_config(&b, "rejectTransactionMessage=false\n").await;
    let resp = send(&b, "T", half, b"half").await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);

    // All of it was persisted to the properties file, as GET_BROKER_CONFIG reports it.
    let config = broker_config(&b).await;
    let persisted = std::fs::read_to_string(b.dir.join("config/broker.properties")).unwrap();
    assert_eq!(persisted, config);
    for line in [
        "autoCreateTopicEnable=true",
        "maxMessageSize=4194304",
        "rejectTransactionMessage=false",
    ] {
        assert!(has_line(&persisted, line), "{line}");
    }
    b.shutdown().await;
}

fn heartbeat(group: &str) -> RemotingCommand {
    let body = format!(
        r#"{{"clientID":"c1","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":5,"tagsSet":[],"topic":"T"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    // The body parses as a heartbeat (a typo here would make the test vacuous).
    assert!(ferrocket::fastjson::decode::<HeartbeatData>(&body).is_ok());
    RemotingCommand::request(request_code::HEART_BEAT, None).with_body(body.into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_side_keys_take_effect_without_restart() {
    let b = TestBroker::start("live-consume", |_| {}).await;
    b.create_topic("T", 2);
    b.put("T", 0, b"m0", None);

    // autoCreateSubscriptionGroup off: a heartbeat no longer creates the group (nor its retry
    // topic), and a pull for it is SUBSCRIPTION_GROUP_NOT_EXIST.
    update_config(&b, "autoCreateSubscriptionGroup=false\n").await;
    let resp = b.invoke(heartbeat("g1")).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert!(b.running.broker.groups.get("g1").is_none());
    assert!(!b.running.broker.topics.contains("%RETRY%g1"));
    let resp = b.pull(&pull_header("g1", "T", 0, 0, "*")).await;
    assert_eq!(resp.code, rc::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some(format!("subscription group [g1] does not exist, {FAQ}").as_str())
    );
    // On again: the pull creates the group and finds the message.
    update_config(&b, "autoCreateSubscriptionGroup=true\n").await;
    let resp = b.pull(&pull_header("g1", "T", 0, 0, "*")).await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);
    assert!(b.running.broker.groups.get("g1").is_some());
    let resp = b.invoke(heartbeat("g1")).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert!(b.running.broker.topics.contains("%RETRY%g1"));

    // slaveReadEnable: off, a master always suggests itself; on, a hot read suggests the
    // group's brokerId.
    let mut group = SubscriptionGroupConfig::new("gs");
    group.broker_id = 3;
    b.running.broker.groups.update(group).unwrap();
    let resp = b.pull(&pull_header("gs", "T", 0, 0, "*")).await;
    assert_eq!((resp.code, offsets(&resp).3), (rc::SUCCESS, 0));
    update_config(&b, "slaveReadEnable=true\n").await;
    let resp = b.pull(&pull_header("gs", "T", 0, 0, "*")).await;
    assert_eq!((resp.code, offsets(&resp).3), (rc::SUCCESS, 3));
    update_config(&b, "slaveReadEnable=false\n").await;
    let resp = b.pull(&pull_header("gs", "T", 0, 0, "*")).await;
    assert_eq!((resp.code, offsets(&resp).3), (rc::SUCCESS, 0));

    let config = broker_config(&b).await;
    assert!(has_line(&config, "autoCreateSubscriptionGroup=true"));
    assert!(has_line(&config, "slaveReadEnable=false"));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_keys_reach_the_store() {
    let b = TestBroker::start("live-retention", |s| {
        s.store.mapped_file_size_commit_log = 64 * 1024;
        s.store.flush_interval_consume_queue = 50;
    })
    .await;
    b.create_topic("T", 1);
    for _ in 0..40 {
        b.put("T", 0, &[b'r'; 4000], None);
    }
    let store = &b.running.broker.store;
    assert!(
        store.max_phy_offset() > 2 * 64 * 1024,
        "three files or more"
    );
    assert_eq!(store.min_phy_offset(), 0);

    // Every hour is deletion time, nothing is reserved, and the pass runs every 100 ms: the
    // store drops the full files (it always keeps the one being written).
    let all_hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    update_config(
        &b,
        &format!(
            "fileReservedTime=0\ndeleteWhen={}\ncleanResourceInterval=100\ndeleteCommitLogFilesInterval=0\n",
            all_hours.join(";")
        ),
    )
    .await;
    let live = store.live_config();
    assert_eq!(
        (live.file_reserved_time, live.clean_resource_interval),
        (0, 100)
    );
    assert_eq!(live.delete_when, all_hours.join(";"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.min_phy_offset() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let min = store.min_phy_offset();
    assert!(min > 0, "expired CommitLog files deleted");
    assert_eq!(min % (64 * 1024), 0, "whole files");
    assert!(min <= store.max_phy_offset());
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_and_transaction_keys_take_effect_without_restart() {
    let b = TestBroker::start("live-pull", |_| {}).await;
    b.create_topic("T", 1);
    for i in 0..10 {
        b.put("T", 0, format!("m{i}").as_bytes(), None);
    }

    // maxTransferCountOnMessageInMemory bounds one pull's batch from the next pull on.
    let resp = b.pull(&pull_header("g", "T", 0, 0, "*")).await;
    assert_eq!((resp.code, offsets(&resp).0), (rc::SUCCESS, 10));
    update_config(&b, "maxTransferCountOnMessageInMemory=3\n").await;
    let resp = b.pull(&pull_header("g", "T", 0, 0, "*")).await;
    assert_eq!((resp.code, offsets(&resp).0), (rc::SUCCESS, 3));
    update_config(&b, "maxTransferBytesOnMessageInMemory=1\n").await;
    let resp = b.pull(&pull_header("g", "T", 0, 4, "*")).await;
    assert_eq!(
        (resp.code, offsets(&resp).0),
        (rc::SUCCESS, 5),
        "the first message always goes, the byte bound stops the batch after it"
    );

    // longPollingEnable off: a suspended pull at the end of the queue is held
    // shortPollingTimeMills (here 2.5 s), not the 20 s the consumer asked for.
    update_config(&b, "longPollingEnable=false\nshortPollingTimeMills=2500\n").await;
    let mut header = pull_header("g", "T", 0, 10, "*");
    header.sys_flag |= FLAG_SUSPEND;
    header.suspend_timeout_millis = 20_000;
    let started = Instant::now();
    let resp = b.pull(&header).await;
    let held = started.elapsed();
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);
    assert!(
        held >= Duration::from_millis(2500) && held < Duration::from_secs(15),
        "held {held:?}"
    );

    // The transaction check keys reach the check service's next pass.
    update_config(
        &b,
        "transactionTimeOut=1500\ntransactionCheckMax=4\ntransactionCheckInterval=2500\n",
    )
    .await;
    let knobs = &b.running.broker.knobs;
    assert_eq!(
        (
            knobs.transaction_time_out(),
            knobs.transaction_check_max(),
            knobs.transaction_check_interval()
        ),
        (1500, 4, 2500)
    );
    let config = broker_config(&b).await;
    for line in [
        "maxTransferCountOnMessageInMemory=3",
        "shortPollingTimeMills=2500",
        "transactionCheckMax=4",
    ] {
        assert!(has_line(&config, line), "{line}");
    }
    b.shutdown().await;
}
