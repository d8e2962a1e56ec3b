//! Reads from slaves, with crafted store states (no HA stream needed: a store filled by a master
//! is reopened as a slave): a slave refuses sends with Java's code and remark and serves pulls;
//! PULL_MESSAGE's `suggestWhichBrokerId` follows Java's `slaveReadEnable` rule (a master
//! suggests the group's `whichBrokerWhenConsumeSlowly` when the consumer reads cold data,
//! i.e. more than `accessMessageInMemoryMaxRatio`% of RAM behind the CommitLog's end); offsets
//! committed to a slave: the pull piggyback is ignored (as Java 4.9.7), UPDATE_CONSUMER_OFFSET
//! is stored and served back by QUERY_CONSUMER_OFFSET.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::broker::settings::BrokerSettings;
use ferrocket::protocol::header::*;
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, response_code as rc, RemotingCommand};
use ferrocket::store::config::BrokerRole;
use ferrocket::store::metadata::SubscriptionGroupConfig;

const TOPIC: &str = "ReadTopic";
const GROUP: &str = "read_group";
/// Distinct from Java's defaults (0 and 1) so the answers show where they come from.
const GROUP_BROKER_ID: i64 = 2;
const GROUP_SLOW_BROKER_ID: i64 = 3;

fn as_slave(s: &mut BrokerSettings) {
    s.broker.broker_id = 1;
    s.store.broker_role = BrokerRole::Slave;
}

/// A master store with 4 messages in queue 0 of TOPIC and the group configured, shut down;
/// returns it, kept to reopen (removed when the last broker on it is dropped).
async fn crafted_store(name: &str) -> KeptStore {
    let b = TestBroker::start(name, |_| {}).await;
    b.create_topic(TOPIC, 1);
    b.running
        .broker
        .groups
        .update(SubscriptionGroupConfig {
            broker_id: GROUP_BROKER_ID,
            which_broker_when_consume_slowly: GROUP_SLOW_BROKER_ID,
            ..SubscriptionGroupConfig::new(GROUP)
        })
        .unwrap();
    for i in 0..4 {
        b.put(TOPIC, 0, format!("m{i}").as_bytes(), None);
    }
    let dir = b.stop_keeping_store().await;
    dir
}

async fn reopen(dir: KeptStore, tweak: impl FnOnce(&mut BrokerSettings)) -> TestBroker {
    TestBroker::reopen(dir, tweak).await
}

fn header(offset: i64, max: i32) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        max_msg_nums: max,
        ..pull_header(GROUP, TOPIC, 0, offset, "*")
    }
}

/// (code, suggestWhichBrokerId, message count in the body)
async fn pull(b: &TestBroker, offset: i64, max: i32) -> (i32, i64, usize) {
    let resp = b.pull(&header(offset, max)).await;
    let (next, _, _, suggest) = offsets(&resp);
    let count = if resp.code == rc::SUCCESS {
        (next - offset) as usize
    } else {
        assert!(resp.body.is_none());
        0
    };
    (resp.code, suggest, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_suggests_the_slave_for_cold_reads_only_with_slave_read_enable() {
    let dir = crafted_store("ha-reads-master").await;
    // accessMessageInMemoryMaxRatio=0: every message behind the CommitLog's end counts as
    // cold (Java: diff > totalPhysicalMemory * ratio / 100).
    let b = reopen(dir, |s| {
        s.broker.slave_read_enable = true;
        s.store.access_message_in_memory_max_ratio = 0;
    })
    .await;
    assert_eq!(pull(&b, 0, 1).await, (rc::SUCCESS, GROUP_SLOW_BROKER_ID, 1));
    assert_eq!(
        pull(&b, 3, 32).await,
        (rc::SUCCESS, GROUP_SLOW_BROKER_ID, 1)
    );
    let dir = b.stop_keeping_store().await;

    // The default ratio (40% of RAM): a few bytes behind is hot, the group's brokerId.
    let b = reopen(dir, |s| s.broker.slave_read_enable = true).await;
    assert_eq!(pull(&b, 0, 1).await, (rc::SUCCESS, GROUP_BROKER_ID, 1));
    // Nothing new: the same rule on PULL_NOT_FOUND (Java sets the id before the status switch).
    assert_eq!(
        pull(&b, 4, 32).await,
        (rc::PULL_NOT_FOUND, GROUP_BROKER_ID, 0)
    );
    let dir = b.stop_keeping_store().await;

    // slaveReadEnable=false (Java's default): always the master, however cold.
    let b = reopen(dir, |s| s.store.access_message_in_memory_max_ratio = 0).await;
    assert_eq!(pull(&b, 0, 1).await, (rc::SUCCESS, 0, 1));
    assert_eq!(pull(&b, 4, 32).await, (rc::PULL_NOT_FOUND, 0, 0));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_serves_pulls_and_points_back_to_the_master() {
    let dir = crafted_store("ha-reads-slave").await;
    // Java's default slaveReadEnable=false: a slave still answers with the messages (Java sets
    // PULL_RETRY_IMMEDIATELY and then overwrites it with the store status) and suggests the
    // master, even for cold reads.
    let b = reopen(dir, |s| {
        as_slave(s);
        s.store.access_message_in_memory_max_ratio = 0;
    })
    .await;
    let resp = b.pull(&header(0, 32)).await;
    assert_eq!(resp.code, rc::SUCCESS, "{:?}", resp.remark);
    assert_eq!(resp.remark.as_deref(), Some("FOUND"));
    let (next, min, max, suggest) = offsets(&resp);
    assert_eq!((next, min, max, suggest), (4, 0, 4, 0));
    let body = resp.body.expect("the records");
    let mut expected = Vec::new();
    let mut at = 0i64;
    for _ in 0..4 {
        let record = b.record(at);
        at += record.len() as i64;
        expected.extend_from_slice(&record);
    }
    assert_eq!(
        body.as_ref(),
        expected.as_slice(),
        "the slave's records verbatim"
    );
    let dir = b.stop_keeping_store().await;

    // slaveReadEnable=true on a slave: cold reads go to whichBrokerWhenConsumeSlowly, hot ones
    // to the group's brokerId.
    let b = reopen(dir, |s| {
        as_slave(s);
        s.broker.slave_read_enable = true;
        s.store.access_message_in_memory_max_ratio = 0;
    })
    .await;
    assert_eq!(pull(&b, 1, 1).await, (rc::SUCCESS, GROUP_SLOW_BROKER_ID, 1));
    let dir = b.stop_keeping_store().await;
    let b = reopen(dir, |s| {
        as_slave(s);
        s.broker.slave_read_enable = true;
    })
    .await;
    assert_eq!(pull(&b, 1, 1).await, (rc::SUCCESS, GROUP_BROKER_ID, 1));

    // An offset past the end: a master corrects it (PULL_OFFSET_MOVED); a slave without
    // offsetCheckInSlave does not, it answers PULL_RETRY_IMMEDIATELY, keeps the offset and
    // points to the group's brokerId.
    let resp = b.pull(&header(100, 32)).await;
    assert_eq!(resp.code, rc::PULL_RETRY_IMMEDIATELY, "{:?}", resp.remark);
    assert_eq!(resp.remark.as_deref(), Some("OFFSET_OVERFLOW_BADLY"));
    let (next, _, max, suggest) = offsets(&resp);
    assert_eq!((next, max, suggest), (100, 4, GROUP_BROKER_ID));
    assert!(
        b.running.broker.topics.get("OFFSET_MOVED_EVENT").is_none()
            || b.running
                .broker
                .store
                .max_offset_in_queue("OFFSET_MOVED_EVENT", 0)
                == 0,
        "no OFFSET_MOVED_EVENT written on a slave"
    );
    let dir = b.stop_keeping_store().await;

    let b = reopen(dir, |s| {
        as_slave(s);
        s.store.offset_check_in_slave = true;
    })
    .await;
    let resp = b.pull(&header(100, 32)).await;
    assert_eq!(resp.code, rc::PULL_OFFSET_MOVED, "{:?}", resp.remark);
    assert_eq!(offsets(&resp).0, 4, "corrected to the max offset");
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_refuses_sends_with_javas_code_and_remark() {
    let dir = crafted_store("ha-reads-send").await;
    let b = reopen(dir, as_slave).await;
    let end = b.running.broker.store.max_phy_offset();
    let send = SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: TOPIC.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: Some("WAIT\u{1}true".into()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: None,
    };
    for code in [request_code::SEND_MESSAGE_V2, request_code::SEND_MESSAGE] {
        let ext = if code == request_code::SEND_MESSAGE {
            SendMessageRequestHeader::from(send.clone()).to_ext_fields()
        } else {
            send.to_ext_fields()
        };
        let resp = b
            .invoke(RemotingCommand::request(code, Some(ext)).with_body(b"to a slave".to_vec()))
            .await;
        assert_eq!(resp.code, rc::SERVICE_NOT_AVAILABLE, "{:?}", resp.remark);
        let remark = resp.remark.unwrap_or_default();
        assert!(
            remark.starts_with(
                "service not available now. It may be caused by one of the following reasons: the broker's disk is full ["
            ) && remark.ends_with("], messages are put to the slave, message store has been shut down, etc."),
            "{remark}"
        );
    }
    assert_eq!(
        b.running.broker.store.max_phy_offset(),
        end,
        "nothing stored"
    );
    assert_eq!(b.running.broker.store.max_offset_in_queue(TOPIC, 0), 4);
    b.shutdown().await;
}

async fn query_offset(b: &TestBroker) -> (i32, Option<i64>) {
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: GROUP.into(),
        topic: TOPIC.into(),
        queue_id: 0,
        bname: None,
    };
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::QUERY_CONSUMER_OFFSET,
            Some(h.to_ext_fields()),
        ))
        .await;
    let offset = (resp.code == rc::SUCCESS).then(|| {
        read_header::<QueryConsumerOffsetResponseHeader>(&resp)
            .unwrap()
            .offset
    });
    (resp.code, offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_committed_to_a_slave() {
    let dir = crafted_store("ha-reads-offsets").await;
    let b = reopen(dir, as_slave).await;
    // The commit piggybacked on a pull: Java 4.9.7 stores it on masters only.
    let mut h = header(0, 2);
    h.sys_flag |= FLAG_COMMIT_OFFSET;
    h.commit_offset = 2;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(b.running.broker.offsets.query(GROUP, TOPIC, 0), -1);

    // UPDATE_CONSUMER_OFFSET is stored on a slave (Java's client commits there when the master
    // is gone) and QUERY_CONSUMER_OFFSET serves it.
    let update = UpdateConsumerOffsetRequestHeader {
        consumer_group: GROUP.into(),
        topic: TOPIC.into(),
        queue_id: 0,
        commit_offset: 3,
        bname: None,
    };
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::UPDATE_CONSUMER_OFFSET,
            Some(update.to_ext_fields()),
        ))
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(query_offset(&b).await, (rc::SUCCESS, Some(3)));

    // Kept across a restart of the slave (written at shutdown and every 5 s).
    let dir = b.stop_keeping_store().await;
    let b = reopen(dir, as_slave).await;
    assert_eq!(query_offset(&b).await, (rc::SUCCESS, Some(3)));

    // The same pull on a master stores the piggybacked offset.
    let dir = b.stop_keeping_store().await;
    let b = reopen(dir, |_| {}).await;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(b.running.broker.offsets.query(GROUP, TOPIC, 0), 2);
    b.shutdown().await;
}
