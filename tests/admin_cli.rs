//! `ferrocket admin` run as a process against an in-process NameServer and broker: the tables
//! it prints carry the cluster, the broker, the topic created through it, its queues and
//! offsets after sends, a group's lag after a commit, the runtime keys mqadmin reads, and the
//! topic is gone after `deleteTopic`. Failures exit non-zero with the command's name. The
//! mqadmin options that reach further: `clusterList -i` repeating, `queryMsgById -g/-d`
//! relayed to a consumer and `-s` resending, `resetOffsetByTime -c` as a C++ admin.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket::broker::runtime::RunningBroker;
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};
use ferrocket::protocol::body::{decode_body, TopicRouteData};
use ferrocket::protocol::header::namesrv::GetRouteInfoRequestHeader;
use ferrocket::protocol::header::{SendMessageRequestHeaderV2, UpdateConsumerOffsetRequestHeader};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use support::TempDir;

const T: Duration = Duration::from_secs(5);

/// What one `ferrocket admin ...` run printed.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs `ferrocket admin <args> -n <namesrv>` off the reactor.
async fn admin(namesrv: &str, args: &[&str]) -> Run {
    let mut argv: Vec<String> = vec!["admin".into()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.push("-n".into());
    argv.push(namesrv.into());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ferrocket"))
            .args(&argv)
            .env_remove("NAMESRV_ADDR")
            .output()
            .expect("run ferrocket admin")
    })
    .await
    .expect("join");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn admin_ok(namesrv: &str, args: &[&str]) -> String {
    let run = admin(namesrv, args).await;
    assert!(
        run.ok,
        "admin {args:?} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    // Shown with --nocapture, for eyeballing the tables.
    println!("$ ferrocket admin {}\n{}", args.join(" "), run.stdout);
    run.stdout
}

/// The whitespace-separated cells of the table line whose first cells are `prefix`.
fn row<'a>(table: &'a str, prefix: &[&str]) -> Option<Vec<&'a str>> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.len() >= prefix.len() && cells[..prefix.len()] == *prefix)
}

struct Cluster {
    namesrv: NamesrvServer,
    ns_addr: String,
    broker: RunningBroker,
    broker_addr: String,
    client: RemotingClient,
    /// Removed when the cluster is dropped (last field: after the broker and NameServer).
    _dir: TempDir,
}

async fn start_cluster(tag: &str) -> Cluster {
    let dir = TempDir::new(tag);
    let mut settings = NamesrvSettings::default();
    settings.namesrv.kv_config_path = dir
        .path()
        .join("kvConfig.json")
        .to_string_lossy()
        .into_owned();
    let ns = Arc::new(Namesrv::new(settings));
    let namesrv = NamesrvServer::start(ns, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("namesrv starts");
    let ns_addr = namesrv.local_addr().to_string();
    let ns_for_broker = ns_addr.clone();
    let broker = ferrocket::testkit::start_test_broker(&dir.path().join("store"), move |s| {
        s.broker.namesrv_addr = ns_for_broker;
    })
    .await;
    let broker_addr = broker.local_addrs[0].to_string();
    let cluster = Cluster {
        namesrv,
        ns_addr,
        broker,
        broker_addr,
        client: RemotingClient::new(ClientConfig::default()),
        _dir: dir,
    };
    // The broker registers on start; wait until the NameServer lists it.
    wait_for(|| async {
        let req = RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None);
        let resp = cluster.client.invoke(&cluster.ns_addr, req, T).await;
        resp.is_ok_and(|r| {
            String::from_utf8_lossy(r.body.as_deref().unwrap_or_default())
                .contains(&cluster.broker_addr)
        })
    })
    .await;
    cluster
}

impl Cluster {
    /// `updateTopic -c DefaultCluster -t <topic> -r 2 -w 2`, then waits until it is routed.
    async fn create_topic_with_admin(&self, topic: &str) {
        let args = [
            "updateTopic",
            "-c",
            "DefaultCluster",
            "-t",
            topic,
            "-r",
            "2",
            "-w",
            "2",
        ];
        admin_ok(&self.ns_addr, &args).await;
        wait_for(|| async { self.route(topic).await.is_some() }).await;
    }

    async fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.into(),
            accept_standard_json_only: None,
        };
        let req = RemotingCommand::request(
            request_code::GET_ROUTEINFO_BY_TOPIC,
            Some(header.to_ext_fields()),
        );
        let resp = self.client.invoke(&self.ns_addr, req, T).await.ok()?;
        (resp.code == response_code::SUCCESS)
            .then(|| decode_body(resp.body.as_deref().unwrap_or_default()).ok())
            .flatten()
    }

    async fn send(&self, topic: &str, queue_id: i32, keys: &str, body: &[u8]) {
        let header = SendMessageRequestHeaderV2 {
            producer_group: "pg".into(),
            topic: topic.into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: Some(format!(
                "KEYS\u{1}{keys}\u{2}TAGS\u{1}tagA\u{2}WAIT\u{1}true"
            )),
            reconsume_times: Some(0),
            unit_mode: false,
            consume_retry_times: None,
            batch: false,
            broker_name: Some("broker-test".into()),
        };
        let req =
            RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(header.to_ext_fields()))
                .with_body(body.to_vec());
        let resp = self
            .client
            .invoke(&self.broker_addr, req, T)
            .await
            .expect("send");
        assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    }

    async fn shutdown(self) {
        self.client.shutdown();
        self.broker.shutdown().await;
        self.namesrv.shutdown().await;
    }
}

/// Polls `check` until it holds (what the broker's "register soon" leads to); gives up after
/// 20 s with a panic.
async fn wait_for<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "condition not reached"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_print_the_cluster_state() {
    let c = start_cluster("admin-cli").await;
    let ns = c.ns_addr.clone();

    // clusterList: the cluster, broker name, id, address and version from the runtime info.
    let out = admin_ok(&ns, &["clusterList"]).await;
    assert!(out.starts_with("#Cluster Name"), "{out}");
    for title in [
        "#Broker Name",
        "#BID",
        "#Addr",
        "#Version",
        "#InTPS(LOAD)",
        "#SPACE",
    ] {
        assert!(out.contains(title), "{title} missing:\n{out}");
    }
    let line = row(&out, &["DefaultCluster", "broker-test", "0"]).expect("broker line");
    assert_eq!(line[3], c.broker_addr);
    assert_eq!(line[4], "V4_9_7");

    // updateTopic on the cluster, then the NameServer routes it once the broker re-registered.
    let out = admin_ok(
        &ns,
        &[
            "updateTopic",
            "-c",
            "DefaultCluster",
            "-t",
            "AdminT",
            "-r",
            "4",
            "-w",
            "4",
        ],
    )
    .await;
    assert!(
        out.contains(&format!("create topic to {} success.", c.broker_addr)),
        "{out}"
    );
    assert!(out.contains("TopicConfig [topicName=AdminT, readQueueNums=4, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]"), "{out}");
    wait_for(|| async { c.route("AdminT").await.is_some() }).await;

    let out = admin_ok(&ns, &["topicList"]).await;
    assert!(out.lines().any(|l| l == "AdminT"), "{out}");

    let out = admin_ok(&ns, &["topicRoute", "-t", "AdminT", "-l"]).await;
    let line = row(&out, &["DefaultCluster", "broker-test"]).expect("route line");
    assert_eq!(line[2], format!("{{0={}}}", c.broker_addr));
    assert_eq!(&line[3..], ["4", "4", "6"]);
    assert_eq!(
        row(&out, &["Total:"]).expect("total"),
        ["Total:", "1", "4", "4"]
    );
    let json = admin_ok(&ns, &["topicRoute", "-t", "AdminT"]).await;
    assert!(json.contains("\"readQueueNums\":4"), "{json}");

    // topicStatus after 3 sends to queue 0 and 2 to queue 2.
    for i in 0..3 {
        c.send("AdminT", 0, &format!("k{i}"), b"hello").await;
    }
    c.send("AdminT", 2, "shared other", b"x").await;
    c.send("AdminT", 2, "shared", b"y").await;
    let store = c.broker.broker.store.clone();
    assert!(tokio::task::block_in_place(|| store.wait_dispatched(T)));
    let out = admin_ok(&ns, &["topicStatus", "-t", "AdminT"]).await;
    assert!(out.starts_with("#Broker Name"), "{out}");
    let q0 = row(&out, &["broker-test", "0"]).expect("queue 0");
    assert_eq!(&q0[2..4], ["0", "3"]);
    assert!(q0.len() > 4, "last updated time printed: {out}");
    assert_eq!(
        &row(&out, &["broker-test", "1"]).expect("queue 1")[2..],
        ["0", "0"]
    );
    assert_eq!(
        &row(&out, &["broker-test", "2"]).expect("queue 2")[2..4],
        ["0", "2"]
    );

    // A consumer group: a heartbeat (creates %RETRY%G), then a commit of offset 1 on queue 0.
    let heartbeat = r#"{"clientID":"127.0.0.1@admin#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"AdminT"}],"unitMode":false}],"producerDataSet":[]}"#;
    let req = RemotingCommand::request(request_code::HEART_BEAT, None)
        .with_body(heartbeat.as_bytes().to_vec());
    let resp = c.client.invoke(&c.broker_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let commit = UpdateConsumerOffsetRequestHeader {
        consumer_group: "G".into(),
        topic: "AdminT".into(),
        queue_id: 0,
        commit_offset: 1,
        bname: None,
    };
    let req = RemotingCommand::request(
        request_code::UPDATE_CONSUMER_OFFSET,
        Some(commit.to_ext_fields()),
    );
    let resp = c.client.invoke(&c.broker_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    wait_for(|| async { c.route("%RETRY%G").await.is_some() }).await;

    let out = admin_ok(&ns, &["consumerProgress", "-g", "G"]).await;
    let q0 = row(&out, &["AdminT", "broker-test", "0"]).expect("queue 0 line");
    assert_eq!(&q0[3..6], ["3", "1", "2"], "{out}");
    assert_eq!(
        &row(&out, &["AdminT", "broker-test", "2"]).unwrap()[3..6],
        ["2", "0", "2"]
    );
    assert!(out.contains("Diff Total: 4"), "{out}");
    assert!(out.contains("Consume TPS: "), "{out}");

    let out = admin_ok(&ns, &["topicList", "-c"]).await;
    assert!(out.starts_with("#Cluster Name"), "{out}");
    assert!(
        row(&out, &["DefaultCluster", "AdminT", "G"]).is_some(),
        "{out}"
    );
    assert!(!out.contains("%RETRY%"), "retry topics left out: {out}");

    let out = admin_ok(&ns, &["consumerProgress"]).await;
    assert!(out.starts_with("#Group"), "{out}");
    assert_eq!(
        row(&out, &["G"]).expect("group line"),
        ["G", "1", "V4_9_7", "PUSH", "CLUSTERING", "0", "4"]
    );

    // consumerProgress -s true: a second consumer of G reports (GET_CONSUMER_RUNNING_INFO,
    // relayed by the broker) that it holds queue 1; the first one cannot answer: N/A.
    let runner = RemotingClient::with_processor(ClientConfig::default(), Arc::new(RunningInfo));
    let heartbeat = heartbeat.replace("127.0.0.1@admin#1", "10.1.2.3@runner");
    let req =
        RemotingCommand::request(request_code::HEART_BEAT, None).with_body(heartbeat.into_bytes());
    let resp = runner.invoke(&c.broker_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let out = admin_ok(&ns, &["consumerProgress", "-g", "G", "-s", "true"]).await;
    assert!(out.contains("#Client IP"), "{out}");
    assert_eq!(
        row(&out, &["AdminT", "broker-test", "1"]).expect("queue 1"),
        [
            "AdminT",
            "broker-test",
            "1",
            "0",
            "0",
            "10.1.2.3",
            "0",
            "N/A"
        ]
    );
    assert_eq!(
        row(&out, &["AdminT", "broker-test", "0"]).expect("queue 0")[5],
        "N/A"
    );
    runner.shutdown();

    // brokerStatus: sorted key/value lines, with the 4.9.7 key clusterList reads.
    let out = admin_ok(&ns, &["brokerStatus", "-b", &c.broker_addr]).await;
    let keys: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
        .collect();
    assert!(keys.contains(&"getTransferedTps"), "{out}");
    assert!(keys.contains(&"brokerVersionDesc"), "{out}");
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by key");

    // brokerStatus -c: every broker of the cluster, each line prefixed with its address.
    let out = admin_ok(&ns, &["brokerStatus", "-c", "DefaultCluster"]).await;
    let line = out
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("brokerVersionDesc"))
        .expect("version line");
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        [c.broker_addr.as_str(), "brokerVersionDesc", ":", "V4_9_7"]
    );

    // clusterList -m: messages in today (5 sends) from the runtime counters.
    let out = admin_ok(&ns, &["clusterList", "-m"]).await;
    assert!(out.contains("#InTotalToday"), "{out}");
    let line = row(&out, &["DefaultCluster", "broker-test"]).expect("broker line");
    assert_eq!(line[4], "5", "{out}");

    // updateTopic -b with -o true: the order conf goes to the NameServer's KV store (the route
    // carries it only with orderMessageEnable, off by default as in Java).
    let out = admin_ok(
        &ns,
        &[
            "updateTopic",
            "-b",
            &c.broker_addr,
            "-t",
            "OrderT",
            "-w",
            "2",
            "-r",
            "2",
            "-o",
            "true",
        ],
    )
    .await;
    assert!(
        out.contains("set broker orderConf. isOrder=true, orderConf=[broker-test:2]"),
        "{out}"
    );
    assert!(out.contains("order=true]"), "{out}");
    let header = ferrocket::protocol::header::namesrv::GetKVConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "OrderT".into(),
    };
    let req = RemotingCommand::request(request_code::GET_KV_CONFIG, Some(header.to_ext_fields()));
    let resp = c.client.invoke(&c.ns_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        resp.ext_fields.as_ref().and_then(|e| e.get("value")),
        Some("broker-test:2")
    );

    // deleteTopic: brokers then NameServers; the topic is gone from both.
    let out = admin_ok(
        &ns,
        &["deleteTopic", "-c", "DefaultCluster", "-t", "AdminT"],
    )
    .await;
    assert_eq!(
        out,
        "delete topic [AdminT] from cluster [DefaultCluster] success.\ndelete topic [AdminT] from NameServer success.\n"
    );
    assert!(c.broker.broker.topics.get("AdminT").is_none());
    let out = admin_ok(&ns, &["topicList"]).await;
    assert!(!out.lines().any(|l| l == "AdminT"), "{out}");
    let run = admin(&ns, &["topicRoute", "-t", "AdminT"]).await;
    assert!(!run.ok, "route of a deleted topic fails");
    assert!(
        run.stderr.contains("TopicRouteSubCommand command failed")
            && run.stderr.contains("CODE: 17"),
        "{}",
        run.stderr
    );

    c.shutdown().await;
}

#[tokio::test]
async fn errors_exit_non_zero_with_a_message() {
    // No server on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = admin(&format!("127.0.0.1:{port}"), &["clusterList"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("ClusterListSubCommand command failed"),
        "{}",
        run.stderr
    );
    let run = admin("127.0.0.1:1", &["queryMsgById", "-i", "not-an-id"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("not an offset message id"),
        "{}",
        run.stderr
    );
    let run = admin(
        "127.0.0.1:1",
        &["resetOffsetByTime", "-g", "G", "-t", "T", "-s", "soon"],
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("Unparseable date"), "{}", run.stderr);
}

/// A consumer answering GET_CONSUMER_RUNNING_INFO: it holds queue 1 of AdminT.
struct RunningInfo;

impl ferrocket::remoting::RequestProcessor for RunningInfo {
    async fn process(
        &self,
        _conn: &ferrocket::remoting::Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        if request.code != request_code::GET_CONSUMER_RUNNING_INFO {
            return (!request.is_oneway())
                .then(|| RemotingCommand::request_code_not_supported(&request));
        }
        let body = r#"{"jstack":null,"mqTable":{{"brokerName":"broker-test","queueId":1,"topic":"AdminT"}:{"cachedMsgCount":0,"locked":false}},"properties":{"consumeType":"CONSUME_PASSIVELY"},"statusTable":{},"subscriptionSet":[]}"#;
        Some(
            RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                .with_body(body.as_bytes().to_vec()),
        )
    }
}

/// The offset message id, queue and queue offset of every stored record of a queue.
fn stored(c: &Cluster, topic: &str, queue_id: i32) -> Vec<(String, i64, Vec<u8>)> {
    let store = &c.broker.broker.store;
    let result = store.get_message(topic, queue_id, 0, 64, None);
    result
        .messages
        .iter()
        .map(|slice| {
            let r = ferrocket::store::message::StoredRecord::decode(slice).expect("a record");
            (r.msg_id(), r.queue_offset, r.body.to_vec())
        })
        .collect()
}

async fn commit(c: &Cluster, group: &str, topic: &str, queue_id: i32, offset: i64) {
    let header = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        commit_offset: offset,
        bname: None,
    };
    let req = RemotingCommand::request(
        request_code::UPDATE_CONSUMER_OFFSET,
        Some(header.to_ext_fields()),
    );
    let resp = c.client.invoke(&c.broker_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queries_and_offset_resets() {
    let c = start_cluster("admin-cli-msg").await;
    let ns = c.ns_addr.clone();
    c.create_topic_with_admin("AdminQ").await;
    c.send("AdminQ", 0, "k1", b"first").await;
    c.send("AdminQ", 1, "shared other", b"second").await;
    c.send("AdminQ", 1, "shared", b"third").await;
    let store = c.broker.broker.store.clone();
    assert!(tokio::task::block_in_place(|| store.wait_dispatched(T)));
    let q0 = stored(&c, "AdminQ", 0);
    let q1 = stored(&c, "AdminQ", 1);
    assert_eq!((q0.len(), q1.len()), (1, 2));

    // queryMsgByKey: every record whose KEYS hold the key, with its offset id, queue, offset.
    let out = admin_ok(&ns, &["queryMsgByKey", "-t", "AdminQ", "-k", "shared"]).await;
    assert!(out.starts_with("#Message ID"), "{out}");
    let mut found: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    found.sort();
    let mut expected = vec![
        vec![q1[0].0.as_str(), "1", "0"],
        vec![q1[1].0.as_str(), "1", "1"],
    ];
    expected.sort();
    assert_eq!(found, expected, "{out}");
    let out = admin_ok(&ns, &["queryMsgByKey", "-t", "AdminQ", "-k", "k1"]).await;
    assert_eq!(
        row(&out, &[q0[0].0.as_str()]).expect("k1 line"),
        [q0[0].0.as_str(), "0", "0"]
    );
    let run = admin(&ns, &["queryMsgByKey", "-t", "AdminQ", "-k", "nope"]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("but no message"), "{}", run.stderr);

    // queryMsgById: the fields of the record the offset id points at; the body in a file.
    let id = q1[0].0.clone();
    let out = admin_ok(&ns, &["queryMsgById", "-i", &id]).await;
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"))
            .to_string()
    };
    assert_eq!(field("OffsetID:"), id);
    assert_eq!(field("Topic:"), "AdminQ");
    assert_eq!(field("Tags:"), "[tagA]");
    assert_eq!(field("Keys:"), "[shared other]");
    assert_eq!(field("Queue ID:"), "1");
    assert_eq!(field("Queue Offset:"), "0");
    assert_eq!(field("Reconsume Times:"), "0");
    assert_eq!(field("Store Host:"), c.broker_addr);
    assert!(field("Properties:").contains("KEYS=shared other"), "{out}");
    let body = std::fs::read(field("Message Body Path:")).expect("body file");
    assert_eq!(body, b"second");

    // resetOffsetByTime, group online: the broker computes the table and pushes it to the
    // clients; "now" is each queue's max offset.
    let heartbeat = r#"{"clientID":"127.0.0.1@admin#2","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"G2","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"AdminQ"}],"unitMode":false}],"producerDataSet":[]}"#;
    let req = RemotingCommand::request(request_code::HEART_BEAT, None)
        .with_body(heartbeat.as_bytes().to_vec());
    let resp = c.client.invoke(&c.broker_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    commit(&c, "G2", "AdminQ", 0, 0).await;
    commit(&c, "G2", "AdminQ", 1, 0).await;
    let out = admin_ok(
        &ns,
        &["resetOffsetByTime", "-g", "G2", "-t", "AdminQ", "-s", "now"],
    )
    .await;
    assert!(out.starts_with("rollback consumer offset by specified group[G2], topic[AdminQ], force[true], timestamp(string)[now], timestamp(long)[-1]"), "{out}");
    assert_eq!(
        row(&out, &["broker-test", "0"]).expect("queue 0"),
        ["broker-test", "0", "1"]
    );
    assert_eq!(
        row(&out, &["broker-test", "1"]).expect("queue 1"),
        ["broker-test", "1", "2"]
    );

    // Group offline: mqadmin's old way, the offsets committed by the tool itself.
    commit(&c, "G3", "AdminQ", 0, 1).await;
    commit(&c, "G3", "AdminQ", 1, 2).await;
    let out = admin_ok(
        &ns,
        &[
            "resetOffsetByTime",
            "-g",
            "G3",
            "-t",
            "AdminQ",
            "-s",
            "2000-01-01#00:00:00:000",
        ],
    )
    .await;
    assert!(
        out.starts_with("rollback consumer offset by specified consumerGroup[G3]"),
        "{out}"
    );
    assert!(out.contains("#timestampOffset"), "{out}");
    assert_eq!(
        row(&out, &["broker-test", "1"]).expect("queue 1"),
        ["broker-test", "1", "2", "2", "0", "0"]
    );
    assert_eq!(c.broker.broker.offsets.query("G3", "AdminQ", 0), 0);
    assert_eq!(c.broker.broker.offsets.query("G3", "AdminQ", 1), 0);

    c.shutdown().await;
}

/// A stand-in broker and NameServer in one: routes every topic to itself and answers
/// QUERY_MESSAGE and VIEW_MESSAGE_BY_ID with the bodies a Java 4.9.7 broker sent (golden).
struct GoldenResponder {
    addr: String,
    query_body: Vec<u8>,
    view_body: Vec<u8>,
}

impl ferrocket::remoting::RequestProcessor for GoldenResponder {
    async fn process(
        &self,
        _conn: &ferrocket::remoting::Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let ok = |body: Vec<u8>| {
            RemotingCommand::response_to(&request, response_code::SUCCESS, None).with_body(body)
        };
        Some(match request.code {
            request_code::GET_ROUTEINFO_BY_TOPIC => ok(format!(
                r#"{{"brokerDatas":[{{"brokerAddrs":{{0:"{}"}},"brokerName":"broker-a","cluster":"DefaultCluster"}}],"filterServerTable":{{}},"queueDatas":[{{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}}]}}"#,
                self.addr
            )
            .into_bytes()),
            request_code::QUERY_MESSAGE => {
                let mut response = ok(self.query_body.clone());
                let mut ext = ferrocket::remoting::ExtFields::new();
                ext.insert("indexLastUpdatePhyoffset", "435527");
                ext.insert("indexLastUpdateTimestamp", "1795422985020");
                response.ext_fields = Some(ext);
                response
            }
            request_code::VIEW_MESSAGE_BY_ID => ok(self.view_body.clone()),
            _ => RemotingCommand::request_code_not_supported(&request),
        })
    }
}

/// The body of the first golden response to `code` in `frames/admin.jsonl`, and the request's
/// extFields.
fn golden_exchange(golden: &std::path::Path, code: &str) -> (serde_json::Value, Vec<u8>) {
    let text = std::fs::read_to_string(golden.join("frames/admin.jsonl")).expect("admin.jsonl");
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("frame"))
        .collect();
    let request = frames
        .iter()
        .find(|f| f["dir"] == "request" && f["code_name"] == code)
        .expect("request");
    let response = frames
        .iter()
        .find(|f| {
            f["dir"] == "response"
                && f["request_code_name"] == code
                && f["conn"] == request["conn"]
                && f["opaque"] == request["opaque"]
        })
        .expect("response");
    let hex = response["frame_hex"].as_str().expect("frame_hex");
    let frame: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    let body_len = response["body_len"].as_u64().expect("body_len") as usize;
    let header: serde_json::Value =
        serde_json::from_str(request["header_text"].as_str().expect("header_text")).expect("json");
    (
        header["extFields"].clone(),
        frame[frame.len() - body_len..].to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_queries_read_java_answers() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("message_queries_read_java_answers")
    else {
        return;
    };
    let (query_ext, query_body) = golden_exchange(&golden, "QUERY_MESSAGE");
    let (_, view_body) = golden_exchange(&golden, "VIEW_MESSAGE_BY_ID");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let responder = Arc::new(GoldenResponder {
        addr: addr.to_string(),
        query_body: query_body.clone(),
        view_body: view_body.clone(),
    });
    let server = ferrocket::remoting::RemotingServer::from_listener(
        listener,
        responder,
        ferrocket::remoting::ServerConfig::default(),
    );
    let stop = server.shutdown_token();
    let served = tokio::spawn(server.serve());
    let ns = addr.to_string();

    // queryMsgByKey: the records of Java's answer whose KEYS hold the key.
    let topic = query_ext["topic"].as_str().expect("topic");
    let key = query_ext["key"].as_str().expect("key");
    let records = {
        let mut out = Vec::new();
        let mut rest = &query_body[..];
        while !rest.is_empty() {
            let r = ferrocket::store::message::StoredRecord::decode(rest).expect("record");
            rest = &rest[r.total_size as usize..];
            out.push(r);
        }
        out
    };
    let expected: Vec<String> = records
        .iter()
        .filter(|r| {
            r.topic_str() == topic
                && r.properties_map()
                    .get("KEYS")
                    .is_some_and(|k| k.split(' ').any(|k| k == key))
        })
        .map(|r| format!("{} {} {}", r.msg_id(), r.queue_id, r.queue_offset))
        .collect();
    assert!(!expected.is_empty(), "the golden answer holds the key");
    let out = admin_ok(&ns, &["queryMsgByKey", "-t", topic, "-k", key]).await;
    let printed: Vec<String> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(printed, expected);

    // queryMsgById: an offset id naming the responder; the fields of Java's record.
    let record = ferrocket::store::message::StoredRecord::decode(&view_body).expect("record");
    let id = ferrocket::store::message::msg_id::create_offset_msg_id(&addr, record.physical_offset);
    let out = admin_ok(&ns, &["queryMsgById", "-i", &id]).await;
    let props = record.properties_map();
    for (name, value) in [
        ("OffsetID:", record.msg_id()),
        ("Topic:", record.topic_str().into_owned()),
        (
            "Tags:",
            format!("[{}]", props.get("TAGS").unwrap_or("null")),
        ),
        (
            "Keys:",
            format!("[{}]", props.get("KEYS").unwrap_or("null")),
        ),
        ("Queue ID:", record.queue_id.to_string()),
        ("Queue Offset:", record.queue_offset.to_string()),
        ("CommitLog Offset:", record.physical_offset.to_string()),
        ("System Flag:", record.sys_flag.to_string()),
    ] {
        assert!(
            out.lines().any(|l| l == format!("{name:<20} {value}")),
            "{name} {value} missing:\n{out}"
        );
    }
    stop.cancel();
    let _ = served.await;
}

/// A consumer of group `GD` answering as a Java client: CONSUME_MESSAGE_DIRECTLY with a
/// consume result; it records every request the broker sends it (the relayed push, the oneway
/// RESET_CONSUMER_CLIENT_OFFSET).
#[derive(Default)]
struct DirectConsumer {
    seen: std::sync::Mutex<Vec<RemotingCommand>>,
}

impl DirectConsumer {
    /// The requests with `code` received so far.
    fn received(&self, code: i32) -> Vec<RemotingCommand> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.code == code)
            .cloned()
            .collect()
    }

    /// The `n`-th (from 0) request with `code`, once it has arrived.
    async fn nth_received(&self, code: i32, n: usize) -> RemotingCommand {
        wait_for(|| async { self.received(code).len() > n }).await;
        self.received(code).swap_remove(n)
    }
}

impl ferrocket::remoting::RequestProcessor for DirectConsumer {
    async fn process(
        &self,
        _conn: &ferrocket::remoting::Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        self.seen.lock().unwrap().push(request.clone());
        match request.code {
            request_code::CONSUME_MESSAGE_DIRECTLY => {
                let body = r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":7}"#;
                Some(
                    RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                        .with_body(body.as_bytes().to_vec()),
                )
            }
            _ => (!request.is_oneway())
                .then(|| RemotingCommand::request_code_not_supported(&request)),
        }
    }
}

const DIRECT_CLIENT: &str = "127.0.0.1@direct";

/// Runs `ferrocket admin clusterList -i 1` until it printed `tables` tables, then kills it;
/// returns what it printed. Gives up after 30 s.
fn cluster_list_every_second(ns: &str, tables: usize) -> String {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocket"))
        .args(["admin", "clusterList", "-i", "1", "-n", ns])
        .env_remove("NAMESRV_ADDR")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run ferrocket admin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let mut rows = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while rows < tables {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                rows += usize::from(line.starts_with("DefaultCluster"));
                printed.push_str(&line);
                printed.push('\n');
            }
            Err(_) => break,
        }
    }
    // Still running after the tables: -i repeats until interrupted.
    let still_running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "clusterList -i exited:\n{printed}");
    assert_eq!(rows, tables, "tables printed within 30 s:\n{printed}");
    printed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_reach_the_broker_and_the_consumer() {
    let c = start_cluster("admin-cli-opts").await;
    let ns = c.ns_addr.clone();

    // clusterList -i 1: the table again every second, each with the broker's runtime figures.
    let printed = {
        let ns = ns.clone();
        tokio::task::spawn_blocking(move || cluster_list_every_second(&ns, 2))
            .await
            .unwrap()
    };
    assert_eq!(printed.matches("#Cluster Name").count(), 2, "{printed}");
    let lines: Vec<Vec<&str>> = printed
        .lines()
        .filter(|l| l.starts_with("DefaultCluster"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    for line in &lines {
        assert_eq!(
            line[..5],
            [
                "DefaultCluster",
                "broker-test",
                "0",
                &c.broker_addr,
                "V4_9_7"
            ]
        );
    }

    c.create_topic_with_admin("AdminO").await;
    let big: Vec<u8> = (0..6000u32).map(|i| b'a' + (i % 26) as u8).collect();
    c.send("AdminO", 0, "pushed", b"payload").await;
    c.send("AdminO", 1, "large", &big).await;
    let store = c.broker.broker.store.clone();
    assert!(tokio::task::block_in_place(|| store.wait_dispatched(T)));
    let (small_id, big_id) = (
        stored(&c, "AdminO", 0)[0].0.clone(),
        stored(&c, "AdminO", 1)[0].0.clone(),
    );

    // A consumer of GD online on the broker.
    let consumer = Arc::new(DirectConsumer::default());
    let consumer_client = RemotingClient::with_processor(ClientConfig::default(), consumer.clone());
    let heartbeat = format!(
        r#"{{"clientID":"{DIRECT_CLIENT}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"GD","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"AdminO"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    let mut hb =
        RemotingCommand::request(request_code::HEART_BEAT, None).with_body(heartbeat.into_bytes());
    hb.version = 407;
    let resp = consumer_client.invoke(&c.broker_addr, hb, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);

    // queryMsgById -g -d: the broker relays the stored record to the client; its
    // ConsumeMessageDirectlyResult is printed as Java's toString.
    let out = admin_ok(
        &ns,
        &[
            "queryMsgById",
            "-i",
            &small_id,
            "-g",
            "GD",
            "-d",
            DIRECT_CLIENT,
        ],
    )
    .await;
    assert_eq!(
        out,
        "ConsumeMessageDirectlyResult [order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null, spentTimeMills=7]"
    );
    let pushed = consumer.received(request_code::CONSUME_MESSAGE_DIRECTLY);
    assert_eq!(pushed.len(), 1);
    let push = &pushed[0];
    assert_eq!(
        (
            push.ext("consumerGroup"),
            push.ext("clientId"),
            push.ext("msgId"),
            push.ext("brokerName")
        ),
        (
            Some("GD"),
            Some(DIRECT_CLIENT),
            Some(small_id.as_str()),
            Some("broker-test")
        )
    );
    let record =
        ferrocket::store::message::StoredRecord::decode(push.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        (record.msg_id(), record.body),
        (small_id.clone(), &b"payload"[..])
    );

    // A client that is not online: the broker's refusal on stderr, as mqadmin prints the
    // exception and goes on; nothing on stdout.
    let run = admin(
        &ns,
        &["queryMsgById", "-i", &small_id, "-g", "GD", "-d", "nobody"],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("CODE: 1")
            && run.stderr.contains("The Consumer <GD> <nobody> not online"),
        "{}",
        run.stderr
    );
    assert_eq!(
        consumer
            .received(request_code::CONSUME_MESSAGE_DIRECTLY)
            .len(),
        1
    );

    // queryMsgById -s true: the message is stored again on its topic, body and properties
    // kept, a UNIQ_KEY given (the original had none); the SendResult names the new record.
    for (id, key, body) in [
        (&small_id, "pushed", &b"payload"[..]),
        (&big_id, "large", &big[..]),
    ] {
        let out = admin_ok(&ns, &["queryMsgById", "-i", id, "-s", "true"]).await;
        let prefix =
            format!("prepare resend msg. originalMsgId={id}SendResult [sendStatus=SEND_OK, msgId=");
        let rest = out.strip_prefix(&prefix).unwrap_or_else(|| panic!("{out}"));
        let field = |name: &str| {
            let start = rest
                .find(&format!("{name}="))
                .unwrap_or_else(|| panic!("{name}: {out}"))
                + name.len()
                + 1;
            rest[start..].split([',', ']']).next().unwrap().to_string()
        };
        let uniq = rest.split(',').next().unwrap().to_string();
        let offset_id = field("offsetMsgId");
        let queue_id: i32 = field("queueId").parse().unwrap();
        let queue_offset: i64 = field("queueOffset").parse().unwrap();
        assert!(
            out.contains(&format!(
                "messageQueue=MessageQueue [topic=AdminO, brokerName=broker-test, queueId={queue_id}]"
            )),
            "{out}"
        );
        assert!(out.ends_with(']'), "no line break, as Java: {out:?}");
        assert_eq!(uniq.len(), 32, "{out}");
        assert!(tokio::task::block_in_place(|| store.wait_dispatched(T)));
        let (_, offset) =
            ferrocket::store::message::msg_id::parse_offset_msg_id(&offset_id).expect("offset id");
        let slice = store.look_message_by_offset(offset).expect("resent record");
        let resent = ferrocket::store::message::StoredRecord::decode(&slice).unwrap();
        assert_eq!(resent.msg_id(), offset_id);
        assert_eq!(resent.topic_str(), "AdminO");
        assert_eq!(
            (resent.queue_id, resent.queue_offset),
            (queue_id, queue_offset)
        );
        let props = resent.properties_map();
        assert_eq!(props.get("KEYS"), Some(key));
        assert_eq!(props.get("TAGS"), Some("tagA"));
        assert_eq!(props.get("UNIQ_KEY"), Some(uniq.as_str()));
        // Bodies from 4 KiB on go compressed, as a Java producer sends them.
        let compressed = resent.sys_flag & 1 != 0;
        assert_eq!(compressed, body.len() >= 4096);
        // COMPRESSED_FLAG with the zlib type bits, as Java 4.9.7 producers mark it.
        let expected_flags = if compressed { 0x301 } else { 0 };
        assert_eq!(resent.sys_flag & 0x701, expected_flags);
        let plain = if compressed {
            let mut inflated = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::ZlibDecoder::new(resent.body),
                &mut inflated,
            )
            .unwrap();
            inflated
        } else {
            resent.body.to_vec()
        };
        assert_eq!(plain, body);
    }
    let before = stored(&c, "AdminO", 0).len() + stored(&c, "AdminO", 1).len();
    assert_eq!(before, 4);
    let out = admin_ok(&ns, &["queryMsgById", "-i", &small_id, "-s", "false"]).await;
    assert_eq!(out, "");

    // resetOffsetByTime -c: the request says CPP, so the consumer gets the table as C++
    // clients read it (a list); without -c the Java map.
    commit(&c, "GD", "AdminO", 0, 0).await;
    commit(&c, "GD", "AdminO", 1, 0).await;
    let (max0, max1) = (
        stored(&c, "AdminO", 0).len() as i64,
        stored(&c, "AdminO", 1).len() as i64,
    );
    let out = admin_ok(
        &ns,
        &[
            "resetOffsetByTime",
            "-g",
            "GD",
            "-t",
            "AdminO",
            "-s",
            "now",
            "-c",
        ],
    )
    .await;
    assert!(out.starts_with("rollback consumer offset by specified group[GD], topic[AdminO], force[true], timestamp(string)[now], timestamp(long)[-1]"), "{out}");
    assert_eq!(
        row(&out, &["broker-test", "0"]).unwrap(),
        ["broker-test", "0", &max0.to_string()]
    );
    assert_eq!(
        row(&out, &["broker-test", "1"]).unwrap(),
        ["broker-test", "1", &max1.to_string()]
    );
    let reset = consumer
        .nth_received(request_code::RESET_CONSUMER_CLIENT_OFFSET, 0)
        .await;
    let for_c: ferrocket::protocol::body::ResetOffsetBodyForC =
        decode_body(reset.body.as_deref().unwrap()).expect("ResetOffsetBodyForC");
    let list: Vec<(String, i32, i64)> = for_c
        .offset_table
        .iter()
        .map(|q| (q.topic.clone(), q.queue_id, q.offset))
        .collect();
    assert_eq!(
        list,
        [
            ("AdminO".to_string(), 0, max0),
            ("AdminO".to_string(), 1, max1)
        ]
    );

    admin_ok(
        &ns,
        &["resetOffsetByTime", "-g", "GD", "-t", "AdminO", "-s", "now"],
    )
    .await;
    let reset = consumer
        .nth_received(request_code::RESET_CONSUMER_CLIENT_OFFSET, 1)
        .await;
    let java: ferrocket::protocol::body::ResetOffsetBody =
        decode_body(reset.body.as_deref().unwrap()).expect("ResetOffsetBody");
    let table: Vec<(i32, i64)> = java
        .offset_table
        .iter()
        .map(|(mq, o)| (mq.queue_id, *o))
        .collect();
    assert_eq!(table, [(0, max0), (1, max1)]);

    consumer_client.shutdown();
    c.shutdown().await;
}
