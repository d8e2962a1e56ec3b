//! PULL_MESSAGE over TCP against messages put straight into the store: FOUND bodies are the
//! CommitLog bytes, tag filtering, the not-found / offset-moved answers with Java's remarks,
//! and the checks that refuse a pull before the store is read.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::remoting::response_code as rc;
use ferrocket::remoting::RemotingCommand;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_from_zero_returns_the_commitlog_records_byte_identical() {
    let b = TestBroker::start("pull-found", |_| {}).await;
    b.create_topic("T", 4);
    let offsets: Vec<i64> = (0..5)
        .map(|i| b.put("T", 1, format!("body-{i}").as_bytes(), Some("TagA")))
        .collect();
    let expected: Vec<u8> = offsets.iter().flat_map(|o| b.record(*o)).collect();

    let resp = b.pull(&pull_header("g", "T", 1, 0, "*")).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(resp.remark.as_deref(), Some("FOUND"));
    assert_eq!(offsets_of(&resp), (5, 0, 5, 0));
    assert_eq!(resp.body.as_deref(), Some(&expected[..]));

    // maxMsgNums bounds the batch; the next pull continues where it stopped.
    let mut h = pull_header("g", "T", 1, 0, "*");
    h.max_msg_nums = 2;
    let resp = b.pull(&h).await;
    assert_eq!(offsets_of(&resp).0, 2);
    let two: Vec<u8> = offsets[..2].iter().flat_map(|o| b.record(*o)).collect();
    assert_eq!(resp.body.as_deref(), Some(&two[..]));
    h.queue_offset = 2;
    // A ROCKETMQ-serialized pull gets the fast-codec header: fields in declaration order.
    let mut binary = pull_request(&h);
    binary.serialize_type = ferrocket::remoting::SerializeType::RocketMq;
    let resp = b.invoke(binary).await;
    assert_eq!(
        resp.serialize_type,
        ferrocket::remoting::SerializeType::RocketMq
    );
    let keys: Vec<&str> = resp
        .ext_fields
        .as_ref()
        .unwrap()
        .iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "suggestWhichBrokerId",
            "nextBeginOffset",
            "minOffset",
            "maxOffset"
        ]
    );
    let resp = b.pull(&h).await;
    assert_eq!(offsets_of(&resp).0, 4);
    let next: Vec<u8> = offsets[2..4].iter().flat_map(|o| b.record(*o)).collect();
    assert_eq!(resp.body.as_deref(), Some(&next[..]));
    b.shutdown().await;
}

fn offsets_of(resp: &RemotingCommand) -> (i64, i64, i64, i64) {
    offsets(resp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_filter_returns_only_matching_records_and_skips_the_rest() {
    let b = TestBroker::start("pull-tags", |_| {}).await;
    b.create_topic("T", 1);
    let tags = ["TagA", "TagB", "TagC", "TagA", "TagC", "TagB", "TagC"];
    let offs: Vec<i64> = tags
        .iter()
        .enumerate()
        .map(|(i, t)| b.put("T", 0, format!("m{i}").as_bytes(), Some(t)))
        .collect();
    let resp = b.pull(&pull_header("g", "T", 0, 0, "TagA || TagB")).await;
    assert_eq!(resp.code, rc::SUCCESS);
    let expected: Vec<u8> = [0, 1, 3, 5]
        .iter()
        .flat_map(|&i| b.record(offs[i]))
        .collect();
    assert_eq!(resp.body.as_deref(), Some(&expected[..]));
    // All 7 units were scanned: the next pull starts past the trailing TagC.
    assert_eq!(offsets_of(&resp), (7, 0, 7, 0));

    // Only non-matching messages from offset 6: NO_MATCHED_MESSAGE, retry at once past them.
    let resp = b.pull(&pull_header("g", "T", 0, 6, "TagA || TagB")).await;
    assert_eq!(resp.code, rc::PULL_RETRY_IMMEDIATELY);
    assert_eq!(resp.remark.as_deref(), Some("NO_MATCHED_MESSAGE"));
    assert_eq!(offsets_of(&resp).0, 7);
    assert!(resp.body.is_none());
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_offset_moved_answers_carry_javas_remarks() {
    let b = TestBroker::start("pull-notfound", |_| {}).await;
    b.create_topic("T", 2);
    for i in 0..3 {
        b.put("T", 0, format!("m{i}").as_bytes(), None);
    }
    // Empty queue, offset 0: PULL_NOT_FOUND / NO_MESSAGE_IN_QUEUE.
    let resp = b.pull(&pull_header("g", "T", 1, 0, "*")).await;
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);
    assert_eq!(resp.remark.as_deref(), Some("NO_MESSAGE_IN_QUEUE"));
    assert_eq!(offsets_of(&resp), (0, 0, 0, 0));
    // Empty queue, offset 7: the offset moved back to 0.
    let resp = b.pull(&pull_header("g", "T", 1, 7, "*")).await;
    assert_eq!(resp.code, rc::PULL_OFFSET_MOVED);
    assert_eq!(resp.remark.as_deref(), Some("NO_MESSAGE_IN_QUEUE"));
    assert_eq!(offsets_of(&resp).0, 0);
    // Offset = max: OFFSET_OVERFLOW_ONE.
    let resp = b.pull(&pull_header("g", "T", 0, 3, "*")).await;
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);
    assert_eq!(resp.remark.as_deref(), Some("OFFSET_OVERFLOW_ONE"));
    assert_eq!(offsets_of(&resp), (3, 0, 3, 0));
    assert!(resp.body.is_none());
    // Offset far past max: OFFSET_OVERFLOW_BADLY, corrected to the max offset (4.9.7).
    let resp = b.pull(&pull_header("g", "T", 0, 103, "*")).await;
    assert_eq!(resp.code, rc::PULL_OFFSET_MOVED);
    assert_eq!(resp.remark.as_deref(), Some("OFFSET_OVERFLOW_BADLY"));
    assert_eq!(offsets_of(&resp), (3, 0, 3, 0));
    // ... and the master wrote an OFFSET_MOVED_EVENT message about it (then about the 7 above).
    let store = &b.running.broker.store;
    assert!(store.wait_dispatched(TIMEOUT));
    let events = store.get_message("OFFSET_MOVED_EVENT", 0, 0, 32, None);
    assert_eq!(events.messages.len(), 2);
    let last = ferrocket::store::message::StoredRecord::decode(&events.messages[1]).unwrap();
    assert_eq!(
        last.body,
        &br#"{"consumerGroup":"g","messageQueue":{"brokerName":"broker-test","queueId":0,"topic":"T"},"offsetNew":3,"offsetRequest":103}"#[..]
    );
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_the_store_read_match_java() {
    let b = TestBroker::start("pull-refuse", |s| {
        s.broker.auto_create_subscription_group = false;
    })
    .await;
    b.create_topic("T", 2);
    // Unknown group without auto-creation.
    let resp = b.pull(&pull_header("nogroup", "T", 0, 0, "*")).await;
    assert_eq!(resp.code, rc::SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("subscription group [nogroup] does not exist, \nSee http://rocketmq.apache.org/docs/faq/ for further details.")
    );
    assert!(resp.ext_fields.as_ref().is_some_and(|e| e.is_empty()));
    b.running
        .broker
        .groups
        .update(ferrocket::store::metadata::SubscriptionGroupConfig::new(
            "g",
        ))
        .unwrap();

    let resp = b.pull(&pull_header("g", "Nope", 0, 0, "*")).await;
    assert_eq!(resp.code, rc::TOPIC_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("topic[Nope] not exist, apply first please! \nSee http://rocketmq.apache.org/docs/faq/ for further details.")
    );

    let resp = b.pull(&pull_header("g", "T", 2, 0, "*")).await;
    assert_eq!(resp.code, rc::SYSTEM_ERROR);
    let remark = resp.remark.unwrap_or_default();
    assert!(
        remark.starts_with(
            "queueId[2] is illegal, topic:[T] topicConfig.readQueueNums:[2] consumer:[/127.0.0.1:"
        ),
        "{remark}"
    );

    // No HAS_SUBSCRIPTION flag and no heartbeat: the group is unknown to the client manager.
    let mut h = pull_header("g", "T", 0, 0, "*");
    h.sys_flag = 0;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::SUBSCRIPTION_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the consumer's group info not exist\nSee http://rocketmq.apache.org/docs/faq/ for further details.")
    );

    // After a heartbeat subscribing version 5, a pull claiming version 9 is told to wait.
    let heartbeat = r#"{"clientID":"c1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"g","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":5,"tagsSet":[],"topic":"T"}],"unitMode":false}],"producerDataSet":[]}"#;
    let resp = b
        .invoke(
            RemotingCommand::request(ferrocket::remoting::request_code::HEART_BEAT, None)
                .with_body(heartbeat.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    h.sub_version = 9;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::SUBSCRIPTION_NOT_LATEST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the consumer's subscription not latest")
    );
    assert!(resp.ext_fields.as_ref().is_some_and(|e| e.is_empty()));
    // A pull on a topic the group does not subscribe.
    b.create_topic("Other", 1);
    let mut other = pull_header("g", "Other", 0, 0, "*");
    other.sys_flag = 0;
    let resp = b.pull(&other).await;
    assert_eq!(resp.code, rc::SUBSCRIPTION_NOT_EXIST);
    // The registered subscription (version 5) serves a pull of version 5.
    h.sub_version = 5;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);

    // A consume-disabled group.
    let mut off = ferrocket::store::metadata::SubscriptionGroupConfig::new("g");
    off.consume_enable = false;
    b.running.broker.groups.update(off).unwrap();
    let resp = b.pull(&pull_header("g", "T", 0, 0, "*")).await;
    assert_eq!(resp.code, rc::NO_PERMISSION);
    assert_eq!(
        resp.remark.as_deref(),
        Some("subscription group no permission, g")
    );
    b.shutdown().await;
}
