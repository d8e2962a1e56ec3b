//! Transactional messages end to end: half sends, END_TRANSACTION commit/rollback (direct and
//! answering a check), the check service's CHECK_TRANSACTION_STATE to a live producer
//! connection, the transactionCheckMax cap and RESUME_CHECK_HALF_MESSAGE, a restart in between,
//! and a replay of the golden `transaction` scenario compared with what Java sent and stored.
//!
//! The check service's loop is slowed to an hour in these brokers; the tests run its passes
//! themselves (`check_pass` then `send_checks`), so what is checked when is deterministic.

mod support;

use bytes::{Bytes, BytesMut};
use ferrocket::broker::runtime::RunningBroker;
use ferrocket::broker::settings::BrokerSettings;
use ferrocket::broker::transaction::check::check_pass;
use ferrocket::broker::transaction::message::StoredMessage;
use ferrocket::broker::transaction::service::send_checks;
use ferrocket::broker::transaction::CID_SYS_RMQ_TRANS;
use ferrocket::protocol::header::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader,
    ResumeCheckHalfMessageRequestHeader, SendMessageRequestHeader,
};
use ferrocket::protocol::{decode_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, Connection, RemotingClient, RemotingCodec,
    RemotingCommand, RequestProcessor,
};
use ferrocket::store::message::msg_id::parse_offset_msg_id;
use ferrocket::store::message::properties::Properties;
use ferrocket::store::metadata::TopicConfig;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::TempDir;
use tokio::sync::mpsc;
use tokio_util::codec::Decoder;

const HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
const T: Duration = Duration::from_secs(10);

async fn start(dir: &Path, check_max: i32) -> RunningBroker {
    start_with(dir, "TxT", |s| s.broker.transaction_check_max = check_max).await
}

/// A broker "broker-a" whose check loop is slowed to an hour (unless `tweak` says otherwise),
/// with `topic` (4 queues).
async fn start_with(
    dir: &Path,
    topic: &str,
    tweak: impl FnOnce(&mut BrokerSettings),
) -> RunningBroker {
    let running = ferrocket::testkit::start_test_broker(dir, |s| {
        s.broker.broker_name = "broker-a".into();
        s.broker.transaction_check_interval = 3_600_000;
        tweak(s);
    })
    .await;
    running
        .broker
        .topics
        .update(TopicConfig::new(topic, 4, 4, 6))
        .unwrap();
    running
}

/// Waits (bounded) until `cond` holds; the assertion is on the condition, not on the time.
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

/// A record of a queue, read from the store.
fn record(running: &RunningBroker, topic: &str, queue_id: i32, offset: i64) -> StoredMessage {
    // The ConsumeQueue follows the CommitLog: let it catch up with what is written.
    assert!(running.broker.store.wait_dispatched(T));
    let r = running
        .broker
        .store
        .get_message(topic, queue_id, offset, 1, None);
    let slice = r
        .messages
        .first()
        .unwrap_or_else(|| panic!("{topic}/{queue_id}@{offset}: {:?}", r.status));
    StoredMessage::decode(slice).unwrap()
}

fn max_offset(running: &RunningBroker, topic: &str, queue_id: i32) -> i64 {
    running.broker.store.max_offset_in_queue(topic, queue_id)
}

/// What the producer side saw of one CHECK_TRANSACTION_STATE.
#[derive(Debug)]
struct SeenCheck {
    header: CheckTransactionStateRequestHeader,
    ext_keys: Vec<String>,
    oneway: bool,
    body: Bytes,
}

/// The producer's answer to checks: by the message's KEYS, END_TRANSACTION with this
/// commitOrRollback (oneway, fromTransactionCheck=true, as the Java producer); KEYS not in the
/// map get no answer.
struct Producer {
    group: String,
    answers: HashMap<String, i32>,
    seen: mpsc::UnboundedSender<SeenCheck>,
}

impl RequestProcessor for Producer {
    async fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        if request.code != request_code::CHECK_TRANSACTION_STATE {
            return Some(RemotingCommand::request_code_not_supported(&request));
        }
        let header = decode_header::<CheckTransactionStateRequestHeader>(&request).ok()?;
        let body = request.body.clone().unwrap_or_default();
        let keys = StoredMessage::decode(&body)
            .and_then(|m| m.property("KEYS").map(str::to_string))
            .unwrap_or_default();
        if let Some(&decision) = self.answers.get(&keys) {
            let end = EndTransactionRequestHeader {
                producer_group: self.group.clone(),
                tran_state_table_offset: header.tran_state_table_offset,
                commit_log_offset: header.commit_log_offset,
                commit_or_rollback: decision,
                from_transaction_check: Some(true),
                msg_id: header.msg_id.clone().unwrap_or_default(),
                transaction_id: header.transaction_id.clone(),
                bname: None,
            };
            let req =
                RemotingCommand::request(request_code::END_TRANSACTION, Some(end.to_ext_fields()));
            conn.send_oneway(req).await.unwrap();
        }
        let ext_keys = request
            .ext_fields
            .as_ref()
            .map(|m| m.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        let _ = self.seen.send(SeenCheck {
            header,
            ext_keys,
            oneway: request.is_oneway(),
            body,
        });
        None
    }
}

type ProducerClient = RemotingClient<Producer>;

fn producer(
    group: &str,
    answers: &[(&str, i32)],
) -> (ProducerClient, mpsc::UnboundedReceiver<SeenCheck>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let p = Producer {
        group: group.into(),
        answers: answers.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        seen: tx,
    };
    (
        RemotingClient::with_processor(ClientConfig::default(), Arc::new(p)),
        rx,
    )
}

async fn heartbeat(client: &ProducerClient, addr: &str, group: &str) {
    let body = format!(
        r#"{{"clientID":"127.0.0.1@tx#1","consumerDataSet":[],"producerDataSet":[{{"groupName":"{group}"}}]}}"#
    );
    let req = RemotingCommand::request(request_code::HEART_BEAT, None).with_body(body.into_bytes());
    let resp = client.invoke(addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
}

/// Sends a half message (SEND_MESSAGE with TRAN_MSG=true, sysFlag PREPARED, as the Java
/// producer); returns the broker's response.
async fn send_half_raw(
    client: &ProducerClient,
    addr: &str,
    group: &str,
    keys: &str,
    queue_id: i32,
) -> RemotingCommand {
    send_half_with(client, addr, group, keys, queue_id, &[]).await
}

async fn send_half_with(
    client: &ProducerClient,
    addr: &str,
    group: &str,
    keys: &str,
    queue_id: i32,
    extra: &[(&str, &str)],
) -> RemotingCommand {
    let mut props = Properties::new();
    for (k, v) in extra {
        props.insert(k, v);
    }
    props.insert("KEYS", keys);
    props.insert("TRAN_MSG", "true");
    props.insert("UNIQ_KEY", &format!("UNIQ-{keys}"));
    props.insert("WAIT", "true");
    props.insert("PGROUP", group);
    props.insert("TAGS", "TagTx");
    let header = SendMessageRequestHeader {
        producer_group: group.into(),
        topic: "TxT".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 4,
        born_timestamp: ferrocket::java::current_time_millis(),
        flag: 0,
        properties: Some(props.to_properties_string()),
        reconsume_times: Some(0),
        unit_mode: false,
        batch: false,
        max_reconsume_times: None,
        bname: None,
    };
    let req = RemotingCommand::request(request_code::SEND_MESSAGE, Some(header.to_ext_fields()))
        .with_body(format!("body of {keys}").into_bytes());
    client.invoke(addr, req, T).await.unwrap()
}

/// Sends a half message; returns (commit log offset, half queue offset).
async fn send_half(
    client: &ProducerClient,
    addr: &str,
    group: &str,
    keys: &str,
    queue_id: i32,
) -> (i64, i64) {
    let resp = send_half_raw(client, addr, group, keys, queue_id).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let ext = resp.ext_fields.unwrap();
    assert_eq!(
        ext.get("queueId").unwrap(),
        queue_id.to_string(),
        "the queue asked for, as Java"
    );
    let (_, offset) = parse_offset_msg_id(ext.get("msgId").unwrap()).unwrap();
    (offset, ext.get("queueOffset").unwrap().parse().unwrap())
}

fn end_header(
    group: &str,
    cl_offset: i64,
    half_offset: i64,
    decision: i32,
) -> EndTransactionRequestHeader {
    EndTransactionRequestHeader {
        producer_group: group.into(),
        tran_state_table_offset: half_offset,
        commit_log_offset: cl_offset,
        commit_or_rollback: decision,
        from_transaction_check: Some(false),
        msg_id: "x".into(),
        transaction_id: None,
        bname: Some("broker-a".into()),
    }
}

/// END_TRANSACTION as a request with a response (Java clients send it oneway; the broker
/// answers either way).
async fn end(
    client: &ProducerClient,
    addr: &str,
    h: EndTransactionRequestHeader,
) -> RemotingCommand {
    let req = RemotingCommand::request(request_code::END_TRANSACTION, Some(h.to_ext_fields()));
    client.invoke(addr, req, T).await.unwrap()
}

/// One check pass now (after the clock moved past every stored timestamp and every stored
/// message is dispatched), its checks sent.
async fn run_check_pass(running: &RunningBroker, timeout_ms: i64, check_max: i32) -> usize {
    tokio::time::sleep(Duration::from_millis(3)).await;
    let b = running.broker.clone();
    // The pass walks the half queue's ConsumeQueue: let it hold what was just sent.
    let checks = tokio::task::spawn_blocking(move || {
        assert!(b.store.wait_dispatched(T));
        check_pass(&b, timeout_ms, check_max)
    })
    .await
    .unwrap();
    let n = checks.len();
    send_checks(&running.broker, checks).await;
    n
}

#[tokio::test]
async fn commit_and_rollback_direct() {
    let dir = TempDir::new("tx-direct");
    let running = start(dir.path(), 15).await;
    let addr = running.local_addrs[0].to_string();
    let (client, _rx) = producer("txg", &[]);
    heartbeat(&client, &addr, "txg").await;

    let (c_off, c_q) = send_half(&client, &addr, "txg", "c", 2).await;
    let (r_off, r_q) = send_half(&client, &addr, "txg", "r", 1).await;
    assert_eq!((c_q, r_q), (0, 1));
    // Half messages are in the half queue only.
    wait_until("halves dispatched", || max_offset(&running, HALF, 0) == 2).await;
    assert_eq!(max_offset(&running, "TxT", 2), 0);
    let half = record(&running, HALF, 0, 0);
    assert_eq!(half.sys_flag, 0);
    assert_eq!(half.property("REAL_TOPIC"), Some("TxT"));
    assert_eq!(half.property("REAL_QID"), Some("2"));

    // Java's checks, in its order, with its remarks.
    let resp = end(&client, &addr, end_header("other", c_off, c_q, 8)).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            response_code::SYSTEM_ERROR,
            Some("The producer group wrong")
        )
    );
    let resp = end(&client, &addr, end_header("txg", c_off, 7, 8)).await;
    assert_eq!(
        resp.remark.as_deref(),
        Some("The transaction state table offset wrong")
    );
    let resp = end(&client, &addr, end_header("txg", c_off + 1, c_q, 8)).await;
    assert_eq!(
        resp.remark.as_deref(),
        Some("Find prepared transaction message failed")
    );
    assert_eq!(
        max_offset(&running, OP, 0),
        0,
        "refused decisions write nothing"
    );

    let resp = end(&client, &addr, end_header("txg", c_off, c_q, 8)).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SUCCESS, None)
    );
    let resp = end(&client, &addr, end_header("txg", r_off, r_q, 12)).await;
    assert_eq!(resp.code, response_code::SUCCESS);

    wait_until("commit dispatched", || max_offset(&running, "TxT", 2) == 1).await;
    let committed = record(&running, "TxT", 2, 0);
    assert_eq!(committed.sys_flag, 8, "TRANSACTION_COMMIT_TYPE");
    assert_eq!(committed.prepared_transaction_offset, c_off);
    assert_eq!(
        committed.properties.to_properties_string(),
        half.properties.to_properties_string(),
        "Java stores the half message's properties string unchanged"
    );
    assert_eq!(&committed.body[..], b"body of c");
    assert_eq!(
        max_offset(&running, "TxT", 1),
        0,
        "a rolled-back message is never visible"
    );
    // Two op records: the half offsets, tag d.
    wait_until("op records", || max_offset(&running, OP, 0) == 2).await;
    let ops: Vec<_> = (0..2).map(|i| record(&running, OP, 0, i)).collect();
    assert_eq!(&ops[0].body[..], b"0");
    assert_eq!(&ops[1].body[..], b"1");
    assert_eq!(
        ops[0].properties.to_properties_string(),
        "WAIT\u{1}true\u{2}TAGS\u{1}d"
    );

    // A pass now finds both done and moves both offsets over them; nothing is checked.
    assert_eq!(run_check_pass(&running, 0, 15).await, 0);
    let offsets = &running.broker.offsets;
    assert_eq!(offsets.query(CID_SYS_RMQ_TRANS, HALF, 0), 2);
    assert_eq!(offsets.query(CID_SYS_RMQ_TRANS, OP, 0), 2);

    client.shutdown();
    running.shutdown().await;
}

#[tokio::test]
async fn reject_transaction_message_and_slave_refuse() {
    // rejectTransactionMessage=true: half sends get NO_PERMISSION with Java's remark.
    let dir = TempDir::new("tx-reject");
    let running = start_with(dir.path(), "TxT", |s| {
        s.broker.reject_transaction_message = true
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let (client, _rx) = producer("txg", &[]);
    let resp = send_half_raw(&client, &addr, "txg", "k", 0).await;
    assert_eq!(resp.code, response_code::NO_PERMISSION);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the broker[127.0.0.1] sending transaction message is forbidden")
    );
    assert_eq!(max_offset(&running, HALF, 0), 0);
    client.shutdown();
    running.shutdown().await;

    // A slave refuses END_TRANSACTION.
    let dir = TempDir::new("tx-slave");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.broker_role = ferrocket::store::config::BrokerRole::Slave;
        s.broker.broker_id = 1;
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let (client, _rx) = producer("txg", &[]);
    let resp = end(&client, &addr, end_header("txg", 0, 0, 8)).await;
    assert_eq!(resp.code, response_code::SLAVE_NOT_AVAILABLE);
    client.shutdown();
    running.shutdown().await;
}

/// The check service on its own timer (transactionCheckInterval 200 ms, transactionTimeOut 0):
/// an undecided half message is asked about and the producer's commit makes it visible.
#[tokio::test]
async fn check_service_timer_asks_the_producer() {
    let dir = TempDir::new("tx-timer");
    let running = start_with(dir.path(), "TxT", |s| {
        s.broker.transaction_check_interval = 200;
        s.broker.transaction_time_out = 0;
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("txg", &[("timed", 8)]);
    heartbeat(&client, &addr, "txg").await;
    send_half(&client, &addr, "txg", "timed", 1).await;
    let check = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.header.tran_state_table_offset, 1, "the re-put copy");
    // (Under load a second check may go out before the first answer lands; the producer then
    // commits twice, as with Java. At least one copy must appear.)
    wait_until("committed by the timer's check", || {
        max_offset(&running, "TxT", 1) >= 1
    })
    .await;
    assert_eq!(record(&running, "TxT", 1, 0).sys_flag, 8);
    client.shutdown();
    running.shutdown().await;
}

#[tokio::test]
async fn check_back_commit_rollback_unknown_capped_and_resumed() {
    let dir = TempDir::new("tx-check");
    let running = start(dir.path(), 2).await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("txg", &[("commit", 8), ("rollback", 12), ("unknown", 0)]);
    heartbeat(&client, &addr, "txg").await;
    let mut sent = HashMap::new();
    for (keys, q) in [("commit", 0), ("rollback", 1), ("unknown", 3)] {
        sent.insert(keys, send_half(&client, &addr, "txg", keys, q).await);
    }
    wait_until("halves", || max_offset(&running, HALF, 0) == 3).await;

    // Pass 1: all three are asked about, each re-put first with TRANSACTION_CHECK_TIMES=1.
    assert_eq!(run_check_pass(&running, 0, 2).await, 3);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap());
    }
    for (i, check) in seen.iter().enumerate() {
        assert!(check.oneway, "CHECK_TRANSACTION_STATE is oneway");
        assert_eq!(
            check.header.tran_state_table_offset,
            3 + i as i64,
            "the re-put copy's offset"
        );
        let reput = record(&running, HALF, 0, 3 + i as i64);
        assert_eq!(reput.commit_log_offset, check.header.commit_log_offset);
        assert_eq!(
            check.header.offset_msg_id.as_deref(),
            Some(reput.msg_id().as_str())
        );
        assert_eq!(reput.property("TRANSACTION_CHECK_TIMES"), Some("1"));
        let body = StoredMessage::decode(&check.body).unwrap();
        assert_eq!(body.topic, "TxT", "the body carries the real topic");
        assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some("1"));
        assert_eq!(
            body.property("WAIT"),
            Some("false"),
            "as Java's shared property map"
        );
        let keys = body.property("KEYS").unwrap();
        assert_eq!(
            check.header.msg_id.as_deref(),
            Some(format!("UNIQ-{keys}").as_str())
        );
        assert_eq!(check.header.transaction_id, check.header.msg_id);
        assert_eq!(
            body.queue_id,
            [("commit", 0), ("rollback", 1), ("unknown", 3)]
                .iter()
                .find(|(k, _)| *k == keys)
                .unwrap()
                .1
        );
    }
    // The producer's answers: commit and rollback recorded, unknown ignored.
    wait_until("two op records", || max_offset(&running, OP, 0) == 2).await;
    wait_until("commit visible", || max_offset(&running, "TxT", 0) == 1).await;
    let committed = record(&running, "TxT", 0, 0);
    assert_eq!(committed.sys_flag, 8);
    assert_eq!(committed.property("TRANSACTION_CHECK_TIMES"), Some("1"));
    assert_eq!(
        max_offset(&running, "TxT", 1),
        0,
        "rolled back by the check answer"
    );
    assert_eq!(max_offset(&running, "TxT", 3), 0, "unknown stays invisible");
    let offsets = &running.broker.offsets;
    assert_eq!(offsets.query(CID_SYS_RMQ_TRANS, HALF, 0), 3);

    // Pass 2: only the unknown one, now checked the 2nd time.
    assert_eq!(run_check_pass(&running, 0, 2).await, 1);
    let check = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
    let body = StoredMessage::decode(&check.body).unwrap();
    assert_eq!(body.property("KEYS"), Some("unknown"));
    assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some("2"));
    assert_eq!(offsets.query(CID_SYS_RMQ_TRANS, HALF, 0), 6);
    assert_eq!(offsets.query(CID_SYS_RMQ_TRANS, OP, 0), 2);

    // Pass 3: checked transactionCheckMax (2) times: parked in TRANS_CHECK_MAX_TIME_TOPIC.
    assert_eq!(run_check_pass(&running, 0, 2).await, 0);
    wait_until("discarded", || {
        max_offset(&running, "TRANS_CHECK_MAX_TIME_TOPIC", 0) == 1
    })
    .await;
    let parked = record(&running, "TRANS_CHECK_MAX_TIME_TOPIC", 0, 0);
    assert_eq!(parked.property("REAL_TOPIC"), Some("TxT"));
    assert_eq!(parked.property("TRANSACTION_CHECK_TIMES"), Some("2"));
    assert!(running
        .broker
        .topics
        .get("TRANS_CHECK_MAX_TIME_TOPIC")
        .is_some());
    assert_eq!(
        run_check_pass(&running, 0, 2).await,
        0,
        "nothing left to check"
    );
    assert!(rx.try_recv().is_err());

    // RESUME_CHECK_HALF_MESSAGE puts it back with the count reset; the next pass asks again.
    let h = ResumeCheckHalfMessageRequestHeader {
        msg_id: Some(parked.msg_id()),
    };
    let req = RemotingCommand::request(
        request_code::RESUME_CHECK_HALF_MESSAGE,
        Some(h.to_ext_fields()),
    );
    let resp = client.invoke(&addr, req, T).await.unwrap();
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SUCCESS, None)
    );
    let h = ResumeCheckHalfMessageRequestHeader {
        msg_id: Some("nonsense".into()),
    };
    let req = RemotingCommand::request(
        request_code::RESUME_CHECK_HALF_MESSAGE,
        Some(h.to_ext_fields()),
    );
    let resp = client.invoke(&addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.")
    );
    wait_until("resumed", || max_offset(&running, HALF, 0) == 8).await;
    assert_eq!(run_check_pass(&running, 0, 2).await, 1);
    let check = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
    let body = StoredMessage::decode(&check.body).unwrap();
    assert_eq!(body.property("TRANSACTION_CHECK_TIMES"), Some("1"));

    client.shutdown();
    running.shutdown().await;
}

#[tokio::test]
async fn half_messages_survive_restart() {
    let dir = TempDir::new("tx-restart");
    let running = start(dir.path(), 15).await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("txg", &[]);
    heartbeat(&client, &addr, "txg").await;
    send_half(&client, &addr, "txg", "later", 2).await;
    wait_until("half", || max_offset(&running, HALF, 0) == 1).await;
    // Checked once, no answer.
    assert_eq!(run_check_pass(&running, 0, 15).await, 1);
    tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
    client.shutdown();
    running.shutdown().await;

    let running = start(dir.path(), 15).await;
    let addr = running.local_addrs[0].to_string();
    assert_eq!(
        running.broker.offsets.query(CID_SYS_RMQ_TRANS, HALF, 0),
        1,
        "the check progress was persisted in consumerOffset.json"
    );
    let (client, mut rx) = producer("txg", &[("later", 8)]);
    heartbeat(&client, &addr, "txg").await;
    assert_eq!(run_check_pass(&running, 0, 15).await, 1);
    let check = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
    let body = StoredMessage::decode(&check.body).unwrap();
    assert_eq!(
        body.property("TRANSACTION_CHECK_TIMES"),
        Some("2"),
        "the count continues"
    );
    wait_until("committed after restart", || {
        max_offset(&running, "TxT", 2) == 1
    })
    .await;
    assert_eq!(record(&running, "TxT", 2, 0).sys_flag, 8);
    client.shutdown();
    running.shutdown().await;
}

// ---- golden replay -------------------------------------------------------------------------

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn decode_frame(hex: &str) -> RemotingCommand {
    let mut buf = BytesMut::from(hex_to_bytes(hex).as_slice());
    RemotingCodec::default().decode(&mut buf).unwrap().unwrap()
}

fn ext_keys(cmd: &RemotingCommand) -> Vec<String> {
    cmd.ext_fields
        .as_ref()
        .map(|m| m.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// The golden `transaction` scenario replayed request by request on the producer's broker
/// connection. Normalised: commit log offsets (ours differ from Java's; END_TRANSACTION headers
/// are rewritten from Java's offsets to ours), offset msgIds (compared by shape), hosts/ports and
/// timestamps inside records. Everything else is compared with Java's bytes: send responses'
/// extFields, the CHECK_TRANSACTION_STATE header keys and record layout (length, properties
/// string, queue offset), the stored properties of committed copies and op records, and the
/// CID_RMQ_SYS_TRANS offsets Java left in consumerOffset.json (half 4, op 3).
#[tokio::test]
async fn golden_transaction_replay() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_transaction_replay") else {
        return;
    };
    let text = std::fs::read_to_string(golden.join("frames/transaction.jsonl")).unwrap();
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &serde_json::Value| f["server"] == "broker-master")
        .collect();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("store/main-master.manifest.json")).unwrap(),
    )
    .unwrap();
    let java_records: Vec<&serde_json::Value> = manifest["commitlog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["topic"] == "GoldenTx" || r["topic"] == OP || r["topic"] == HALF)
        .collect();
    let java_props = |topic: &str, queue_offset: i64| -> String {
        java_records
            .iter()
            .find(|r| r["topic"] == topic && r["queueOffset"] == queue_offset)
            .unwrap()["properties_string"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let dir = TempDir::new("tx-golden");
    let running = start_with(dir.path(), "GoldenTx", |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("golden_tx_producer", &[]);

    let mut java_responses = HashMap::new();
    for f in &frames {
        if f["dir"] == "response" && f["direction"] == "s2c" {
            java_responses.insert(
                f["opaque"].as_i64().unwrap(),
                decode_frame(f["frame_hex"].as_str().unwrap()),
            );
        }
    }
    // Java's commit log offset of each half record -> ours.
    let mut offset_map: HashMap<i64, i64> = HashMap::new();
    let mut op_count = 0;
    let mut java_check: Option<RemotingCommand> = None;
    for f in &frames {
        if f["dir"] != "request" {
            continue;
        }
        let mut request = decode_frame(f["frame_hex"].as_str().unwrap());
        if f["direction"] == "s2c" {
            java_check = Some(request);
            // The broker's check comes here: run our pass at this point of the scenario.
            assert_eq!(run_check_pass(&running, 3000, 15).await, 1);
            continue;
        }
        match request.code {
            request_code::END_TRANSACTION => {
                let ext = request.ext_fields.as_mut().unwrap();
                let java_off: i64 = ext.get("commitLogOffset").unwrap().parse().unwrap();
                // The answer to a check names the re-put copy: replaced below from the check.
                let ours = offset_map.get(&java_off).copied().unwrap_or(java_off);
                ext.insert("commitLogOffset", ours.to_string());
                if ext.get("fromTransactionCheck") == Some("true") {
                    let seen = tokio::time::timeout(T, rx.recv()).await.unwrap().unwrap();
                    ext.insert("commitLogOffset", seen.header.commit_log_offset.to_string());
                    assert_eq!(
                        ext.get("tranStateTableOffset").unwrap(),
                        seen.header.tran_state_table_offset.to_string()
                    );
                    let java = java_check.take().unwrap();
                    assert_eq!(
                        seen.ext_keys,
                        ext_keys(&java),
                        "CHECK_TRANSACTION_STATE extFields in Java's order"
                    );
                    let jh = decode_header::<CheckTransactionStateRequestHeader>(&java).unwrap();
                    assert_eq!(seen.header.msg_id, jh.msg_id);
                    assert_eq!(seen.header.transaction_id, jh.transaction_id);
                    assert_eq!(
                        seen.header.tran_state_table_offset,
                        jh.tran_state_table_offset
                    );
                    let java_body = java.body.clone().unwrap();
                    assert_eq!(
                        seen.body.len(),
                        java_body.len(),
                        "record length as Java's (377)"
                    );
                    let (ours_b, java_b) = (
                        StoredMessage::decode(&seen.body).unwrap(),
                        StoredMessage::decode(&java_body).unwrap(),
                    );
                    assert_eq!(
                        ours_b.properties.to_properties_string(),
                        java_b.properties.to_properties_string()
                    );
                    assert_eq!(
                        (
                            ours_b.topic.as_str(),
                            ours_b.queue_id,
                            ours_b.queue_offset,
                            ours_b.sys_flag,
                            ours_b.flag,
                            &ours_b.body,
                            ours_b.body_crc
                        ),
                        (
                            java_b.topic.as_str(),
                            java_b.queue_id,
                            java_b.queue_offset,
                            java_b.sys_flag,
                            java_b.flag,
                            &java_b.body,
                            java_b.body_crc
                        )
                    );
                }
                let decision = ext.get("commitOrRollback").unwrap().to_string();
                client.invoke_oneway(&addr, request).await.unwrap();
                if decision != "0" {
                    op_count += 1;
                    wait_until("op record", || max_offset(&running, OP, 0) == op_count).await;
                }
            }
            _ => {
                let opaque = request.opaque as i64;
                let code = request.code;
                let resp = client.invoke(&addr, request, T).await.unwrap();
                let Some(java) = java_responses.get(&opaque) else {
                    continue;
                };
                assert_eq!(resp.code, java.code, "code {code}");
                if code == request_code::SEND_MESSAGE_V2 {
                    assert_eq!(ext_keys(&resp), ext_keys(java), "send response extFields");
                    let (o, j) = (
                        resp.ext_fields.as_ref().unwrap(),
                        java.ext_fields.as_ref().unwrap(),
                    );
                    for k in ["queueId", "queueOffset", "MSG_REGION", "TRACE_ON"] {
                        assert_eq!(o.get(k).unwrap(), j.get(k).unwrap(), "{k}");
                    }
                    let (_, ours) = parse_offset_msg_id(o.get("msgId").unwrap()).unwrap();
                    let (_, theirs) = parse_offset_msg_id(j.get("msgId").unwrap()).unwrap();
                    offset_map.insert(theirs, ours);
                }
            }
        }
    }
    assert!(java_check.is_none(), "the check was answered");
    // What is stored, against Java's records.
    wait_until("both committed", || {
        max_offset(&running, "GoldenTx", 3) == 1 && max_offset(&running, "GoldenTx", 1) == 1
    })
    .await;
    assert_eq!(
        max_offset(&running, "GoldenTx", 0),
        0,
        "tx-rollback never visible"
    );
    for q in 0..4 {
        assert_eq!(
            record(&running, HALF, 0, q)
                .properties
                .to_properties_string(),
            java_props(HALF, q),
            "half {q}"
        );
        let ours = record(&running, HALF, 0, q);
        let java = java_records
            .iter()
            .find(|r| r["topic"] == HALF && r["queueOffset"] == q)
            .unwrap();
        for (field, value) in [
            ("sysFlag", ours.sys_flag as i64),
            ("flag", ours.flag as i64),
            ("queueId", ours.queue_id as i64),
            ("reconsumeTimes", ours.reconsume_times as i64),
            (
                "preparedTransactionOffset",
                ours.prepared_transaction_offset,
            ),
        ] {
            assert_eq!(value, java[field].as_i64().unwrap(), "half {q} {field}");
        }
    }
    // The re-put copy keeps the original's born timestamp and host, as Java's.
    let (orig, reput) = (record(&running, HALF, 0, 2), record(&running, HALF, 0, 3));
    assert_eq!(
        (orig.born_timestamp, orig.born_host),
        (reput.born_timestamp, reput.born_host)
    );
    for (q, java_q) in [(3, 0), (1, 0)] {
        let ours = record(&running, "GoldenTx", q, 0);
        let java = java_records
            .iter()
            .find(|r| r["topic"] == "GoldenTx" && r["queueId"] == q && r["queueOffset"] == java_q)
            .unwrap();
        assert_eq!(
            ours.properties.to_properties_string(),
            java["properties_string"].as_str().unwrap()
        );
        assert_eq!(ours.sys_flag as i64, java["sysFlag"].as_i64().unwrap());
        assert_eq!(
            ours.prepared_transaction_offset,
            offset_map
                .get(&java["preparedTransactionOffset"].as_i64().unwrap())
                .copied()
                .unwrap_or(ours.prepared_transaction_offset)
        );
    }
    for q in 0..3 {
        let ours = record(&running, OP, 0, q);
        // Written by the broker itself: born host = store host = the broker's address.
        assert_eq!(ours.born_host, ours.store_host);
        assert_eq!(ours.store_host.to_string(), addr);
        assert_eq!((ours.sys_flag, ours.flag, ours.queue_id), (0, 0, 0));
        assert_eq!(ours.properties.to_properties_string(), java_props(OP, q));
        let java_body = java_records
            .iter()
            .find(|r| r["topic"] == OP && r["queueOffset"] == q)
            .unwrap()["body_b64"]
            .as_str()
            .unwrap()
            .to_string();
        let expect = match java_body.as_str() {
            "MA==" => "0",
            "MQ==" => "1",
            "Mw==" => "3",
            other => other,
        };
        assert_eq!(std::str::from_utf8(&ours.body).unwrap(), expect);
    }
    // One more pass: Java's final check offsets.
    assert_eq!(run_check_pass(&running, 3000, 15).await, 0);
    assert_eq!(running.broker.offsets.query(CID_SYS_RMQ_TRANS, HALF, 0), 4);
    assert_eq!(running.broker.offsets.query(CID_SYS_RMQ_TRANS, OP, 0), 3);

    client.shutdown();
    running.shutdown().await;
}

/// Java's own stored half record (tx-unknown, commit log offset 433875 in main-master) run
/// through what a check does to it (TRANSACTION_CHECK_TIMES 1, re-put at queue offset 3 /
/// commit log offset 434376) gives Java's CHECK_TRANSACTION_STATE byte for byte: the whole
/// extFields (names, order, values) and the 377-byte body. Also Java's re-put record: the
/// renewed message's properties string equals the 4th half record's.
#[test]
fn golden_check_request_is_byte_identical() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_check_request_is_byte_identical")
    else {
        return;
    };
    let dir = TempDir::new("tx-golden-check-body");
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(golden.join("store/main-master.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .arg("main-master/commitlog/00000000000000000000")
        .status()
        .unwrap();
    assert!(status.success());
    let commitlog = dir
        .path()
        .join("main-master/commitlog/00000000000000000000");
    let read_at = |offset: u64, len: usize| {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = std::fs::File::open(&commitlog).unwrap();
        f.seek(SeekFrom::Start(offset)).unwrap();
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf).unwrap();
        buf
    };
    let mut half = StoredMessage::decode(&read_at(433_875, 366)).unwrap();
    let java_reput = StoredMessage::decode(&read_at(434_376, 392)).unwrap();

    assert!(!half.bump_check_times(15));
    assert_eq!(
        half.renewed().properties_string,
        java_reput.properties.to_properties_string(),
        "the re-put record's properties"
    );
    half.moved_to(3, 434_376);
    let ours = ferrocket::broker::transaction::check::check_request(&half).unwrap();
    assert_eq!(ours.producer_group, "golden_tx_producer");

    let text = std::fs::read_to_string(golden.join("frames/transaction.jsonl")).unwrap();
    let java = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| f["code_name"] == "CHECK_TRANSACTION_STATE")
        .map(|f| decode_frame(f["frame_hex"].as_str().unwrap()))
        .unwrap();
    let pairs = |c: &RemotingCommand| -> Vec<(String, String)> {
        c.ext_fields
            .as_ref()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(pairs(&ours.request), pairs(&java));
    assert_eq!(ours.request.body, java.body, "body byte for byte");
    assert_eq!(ours.request.code, java.code);
}

/// CHECK_IMMUNITY_TIME_IN_SECONDS: a producer-set first-check delay. Within it the message is
/// not checked; Java re-puts it with TRAN_PREPARED_QUEUE_OFFSET naming the original's offset
/// and moves on.
#[tokio::test]
async fn check_immunity_defers_the_check() {
    let dir = TempDir::new("tx-immunity");
    let running = start(dir.path(), 15).await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("txg", &[]);
    heartbeat(&client, &addr, "txg").await;
    let resp = send_half_with(
        &client,
        &addr,
        "txg",
        "immune",
        0,
        &[("CHECK_IMMUNITY_TIME_IN_SECONDS", "3600")],
    )
    .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(run_check_pass(&running, 0, 15).await, 0, "not checked yet");
    assert!(rx.try_recv().is_err());
    let copy = record(&running, HALF, 0, 1);
    assert_eq!(copy.property("TRAN_PREPARED_QUEUE_OFFSET"), Some("0"));
    assert_eq!(copy.property("KEYS"), Some("immune"));
    assert_eq!(
        running.broker.offsets.query(CID_SYS_RMQ_TRANS, HALF, 0),
        1,
        "the walk moved past the original"
    );
    client.shutdown();
    running.shutdown().await;
}

/// A SYNC_MASTER's check pass writes its re-put half messages as a send does: it counts one as
/// written only once a slave has it. With no slave connected the re-put answers
/// SLAVE_NOT_AVAILABLE, so the pass asks no producer and stops its walk where it was (the
/// half message is checked again on a later pass, when a slave may be back).
#[tokio::test]
async fn sync_master_check_pass_waits_for_a_slave() {
    let dir = TempDir::new("tx-sync-master");
    let running = start_with(dir.path(), "TxT", |s| {
        s.store.broker_role = ferrocket::store::config::BrokerRole::SyncMaster;
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let (client, mut rx) = producer("txg", &[]);
    heartbeat(&client, &addr, "txg").await;

    // The half message itself is stored; the send says no slave has it, as Java's would.
    let resp = send_half_raw(&client, &addr, "txg", "h", 0).await;
    assert_eq!(resp.code, response_code::SLAVE_NOT_AVAILABLE);
    wait_until("half stored", || max_offset(&running, HALF, 0) == 1).await;

    assert_eq!(run_check_pass(&running, 0, 15).await, 0, "no check sent");
    assert!(rx.try_recv().is_err());
    let offsets = &running.broker.offsets;
    assert_eq!(
        offsets.query(CID_SYS_RMQ_TRANS, HALF, 0),
        -1,
        "the walk did not move past the half message"
    );
    running.shutdown().await;
}
