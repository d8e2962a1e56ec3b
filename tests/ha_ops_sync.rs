//! A slave's metadata sync (Java `SlaveSynchronize`), without the HA stream: a ferrocket slave
//! takes topics, consumer offsets, delay offsets and subscription groups from a ferrocket
//! master over TCP; and, against the golden capture, a slave fed the bodies a Java 4.9.7 master
//! answered asks the same four requests on the same ports and writes config files byte for
//! byte as the Java slave did.

mod support;

use bytes::BytesMut;
use ferrocket::broker::runtime::RunningBroker;
use ferrocket::broker::slave_sync::{self, SyncError, Synced};
use ferrocket::protocol::header::UpdateConsumerOffsetRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, Connection, RemotingClient, RemotingCodec,
    RemotingCommand, RemotingServer, RequestProcessor, ServerConfig,
};
use ferrocket::store::config::BrokerRole;
use ferrocket::store::metadata::{DelayOffsetTable, SubscriptionGroupConfig, TopicConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::TempDir;
use tokio_util::codec::Decoder;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn start_slave(dir: &Path) -> RunningBroker {
    ferrocket::testkit::start_test_broker(dir, |s| {
        s.broker.broker_id = 1;
        s.store.broker_role = BrokerRole::Slave;
    })
    .await
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn commit_offset(client: &RemotingClient, addr: &str, group: &str, queue: i32, at: i64) {
    let header = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: "SyncTopic".into(),
        queue_id: queue,
        commit_offset: at,
        bname: None,
    };
    let resp = client
        .invoke(
            addr,
            RemotingCommand::request(
                request_code::UPDATE_CONSUMER_OFFSET,
                Some(header.to_ext_fields()),
            ),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
}

#[tokio::test]
async fn slave_takes_the_masters_metadata() {
    let master_dir = TempDir::new("ha-ops-sync-master");
    let slave_dir = TempDir::new("ha-ops-sync-slave");
    let master = ferrocket::testkit::start_test_broker(master_dir.path(), |_| {}).await;
    let m = master.broker.clone();
    let master_addr = m.broker_addr.clone();
    let client = RemotingClient::new(ClientConfig::default());

    // Master state: a topic, a group with non-default settings, offsets committed over the
    // wire, and schedule progress on two delay levels.
    m.topics
        .update(TopicConfig::new("SyncTopic", 4, 4, 6))
        .unwrap();
    m.groups
        .update(SubscriptionGroupConfig {
            retry_max_times: 3,
            which_broker_when_consume_slowly: 1,
            ..SubscriptionGroupConfig::new("sync_group")
        })
        .unwrap();
    for q in 0..4 {
        commit_offset(&client, &master_addr, "sync_group", q, 10 + q as i64).await;
    }
    let mut delay = DelayOffsetTable::default();
    delay.offset_table.insert(1, 5);
    delay.offset_table.insert(3, 2);
    m.schedule.replace_offsets(delay.clone());

    let slave = start_slave(slave_dir.path()).await;
    let s = slave.broker.clone();
    // What consumers committed on the slave alone survives the merge; what the master also has
    // is the master's.
    s.offsets.commit("only_on_slave", "SyncTopic", 0, 77);
    s.offsets.commit("sync_group", "SyncTopic", 0, 999);
    assert!(s.topics.get("SyncTopic").is_none());

    // No master known yet (not registered), or the master is the slave itself: nothing asked.
    assert!(slave_sync::sync_all(&s).await.is_none());
    s.set_master_addr(s.broker_addr.clone());
    assert!(slave_sync::sync_all(&s).await.is_none());

    s.set_master_addr(master_addr.clone());
    let report = slave_sync::sync_all(&s).await.expect("a master to ask");
    assert_eq!(report.master, master_addr);
    assert!(matches!(report.topics, Ok(Synced::Applied)), "{report:?}");
    assert!(matches!(report.consumer_offsets, Ok(Synced::Applied)));
    assert!(matches!(report.delay_offsets, Ok(Synced::Applied)));
    assert!(matches!(report.subscription_groups, Ok(Synced::Applied)));

    // Tables: the master's, with the master's DataVersion.
    assert_eq!(s.topics.snapshot(), m.topics.snapshot());
    assert_eq!(s.topics.get("SyncTopic").unwrap().write_queue_nums, 4);
    assert_eq!(s.groups.snapshot(), m.groups.snapshot());
    assert_eq!(s.groups.get("sync_group").unwrap().retry_max_times, 3);
    for q in 0..4 {
        assert_eq!(s.offsets.query("sync_group", "SyncTopic", q), 10 + q as i64);
    }
    assert_eq!(s.offsets.query("only_on_slave", "SyncTopic", 0), 77);
    assert_eq!(s.schedule.delay_offsets(), delay);
    assert_eq!(s.schedule.offset(1), 5);

    // Files: topics.json and subscriptionGroup.json as the master wrote them; delayOffset.json
    // the master's GET_ALL_DELAY_OFFSET body as it came (compact), as Java's string2File.
    let (mr, sr) = (master_dir.path(), slave_dir.path());
    assert_eq!(
        read(sr.join("config/topics.json")),
        read(mr.join("config/topics.json"))
    );
    assert_eq!(
        read(sr.join("config/subscriptionGroup.json")),
        read(mr.join("config/subscriptionGroup.json"))
    );
    assert_eq!(
        read(sr.join("config/delayOffset.json")),
        ferrocket::fastjson::encode_compact(&delay)
    );
    let offsets_file = read(sr.join("config/consumerOffset.json"));
    assert!(
        offsets_file.contains("\"SyncTopic@only_on_slave\":{0:77")
            && offsets_file.contains("\"SyncTopic@sync_group\":{0:10,1:11,2:12,3:13"),
        "{offsets_file}"
    );

    // Same versions next round: the versioned tables are left alone.
    let report = slave_sync::sync_all(&s).await.unwrap();
    assert!(matches!(report.topics, Ok(Synced::Unchanged)), "{report:?}");
    assert!(matches!(report.subscription_groups, Ok(Synced::Unchanged)));

    // A topic created and a group deleted on the master show on the slave at the next round.
    m.topics
        .update(TopicConfig::new("LaterTopic", 2, 2, 6))
        .unwrap();
    assert!(m.groups.delete("sync_group").unwrap());
    let report = slave_sync::sync_all(&s).await.unwrap();
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(s.topics.get("LaterTopic").unwrap().read_queue_nums, 2);
    assert!(s.groups.get("sync_group").is_none());
    assert_eq!(s.topics.data_version(), m.topics.data_version());

    // The master gone: every step fails, the slave keeps what it had.
    client.shutdown();
    master.shutdown().await;
    let before = (
        s.topics.snapshot(),
        s.groups.snapshot(),
        s.offsets.snapshot(),
    );
    let report = slave_sync::sync_all(&s).await.unwrap();
    assert!(
        matches!(report.topics, Err(SyncError::Remoting(_))),
        "{report:?}"
    );
    assert!(matches!(
        report.consumer_offsets,
        Err(SyncError::Remoting(_))
    ));
    assert!(matches!(report.delay_offsets, Err(SyncError::Remoting(_))));
    assert!(matches!(
        report.subscription_groups,
        Err(SyncError::Remoting(_))
    ));
    assert_eq!(
        before,
        (
            s.topics.snapshot(),
            s.groups.snapshot(),
            s.offsets.snapshot()
        )
    );
    assert_eq!(s.schedule.offset(3), 2);

    // A slave restarted on its store has the synced tables (the schedule's from delayOffset.json).
    slave.shutdown().await;
    assert_eq!(
        read(sr.join("config/delayOffset.json")),
        ferrocket::fastjson::encode_compact(&delay),
        "a slave's shutdown leaves the synced delayOffset.json alone"
    );
    let slave = start_slave(slave_dir.path()).await;
    let s = slave.broker.clone();
    assert!(s.topics.get("LaterTopic").is_some());
    assert_eq!(s.offsets.query("sync_group", "SyncTopic", 2), 12);
    assert_eq!(s.schedule.offset(1), 5);
    slave.shutdown().await;
}

/// A master that answers with what the Java master answered in the golden capture and records
/// which port each request came to.
struct GoldenMaster {
    /// request code -> Java's response (its extFields and body).
    answers: HashMap<i32, RemotingCommand>,
    seen: Arc<Mutex<Vec<(&'static str, RemotingCommand)>>>,
    port_name: &'static str,
}

impl RequestProcessor for GoldenMaster {
    async fn process(
        &self,
        _conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        self.seen
            .lock()
            .unwrap()
            .push((self.port_name, request.clone()));
        let java = self.answers.get(&request.code)?;
        let mut resp = RemotingCommand::response_to(&request, java.code, java.remark.clone());
        resp.ext_fields = java.ext_fields.clone();
        resp.body = java.body.clone();
        Some(resp)
    }
}

fn decode_frame(hex: &str) -> RemotingCommand {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    RemotingCodec::default()
        .decode(&mut BytesMut::from(bytes.as_slice()))
        .expect("decodes")
        .expect("a whole frame")
}

/// Binds a port P and P - 2 (the VIP neighbour) on 127.0.0.1.
async fn bind_pair() -> (tokio::net::TcpListener, tokio::net::TcpListener) {
    for _ in 0..50 {
        let main = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = main.local_addr().unwrap().port();
        if port < 1026 {
            continue;
        }
        if let Ok(vip) = tokio::net::TcpListener::bind(("127.0.0.1", port - 2)).await {
            return (main, vip);
        }
    }
    panic!("no free port pair");
}

#[tokio::test]
async fn golden_slave_sync_requests_and_files_match_java() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_slave_sync_requests_and_files_match_java")
    else {
        return;
    };
    let text = std::fs::read_to_string(golden.join("frames/ha-master-slave.jsonl")).unwrap();
    let mut frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Lines are grouped by connection; the slave's round spans two connections (VIP, main).
    frames.sort_by(|a, b| {
        a["ts"]
            .as_f64()
            .unwrap()
            .total_cmp(&b["ts"].as_f64().unwrap())
    });
    let sync_codes = [
        request_code::GET_ALL_TOPIC_CONFIG,
        request_code::GET_ALL_CONSUMER_OFFSET,
        request_code::GET_ALL_DELAY_OFFSET,
        request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    ];
    // The Java slave's first round: requests, the port each went to, and the answers.
    let mut java_requests = Vec::new();
    let mut answers = HashMap::new();
    for f in &frames {
        if f["client"] != "slave-broker"
            || !f["server"].as_str().unwrap().starts_with("broker-master")
        {
            continue;
        }
        let cmd = decode_frame(f["frame_hex"].as_str().unwrap());
        if f["dir"] == "request" {
            if java_requests.len() < 4 {
                java_requests.push((f["server"].as_str().unwrap().to_string(), cmd));
            }
        } else {
            let code = f["request_code"].as_i64().unwrap() as i32;
            answers.entry(code).or_insert(cmd);
        }
    }
    assert_eq!(
        java_requests
            .iter()
            .map(|(_, r)| r.code)
            .collect::<Vec<_>>(),
        sync_codes
    );

    let seen = Arc::new(Mutex::new(Vec::new()));
    let (main, vip) = bind_pair().await;
    let master_addr = main.local_addr().unwrap().to_string();
    let mut servers = Vec::new();
    for (listener, name) in [(main, "broker-master"), (vip, "broker-master-vip")] {
        let server = RemotingServer::from_listener(
            listener,
            Arc::new(GoldenMaster {
                answers: answers.clone(),
                seen: seen.clone(),
                port_name: name,
            }),
            ServerConfig::default(),
        );
        let token = server.shutdown_token();
        servers.push((tokio::spawn(server.serve()), token));
    }

    let slave_dir = TempDir::new("ha-ops-golden-slave");
    let slave = ferrocket::testkit::start_test_broker(slave_dir.path(), |s| {
        s.broker.broker_id = 1;
        s.broker.broker_name = "broker-a".into();
        s.broker.broker_cluster_name = "DefaultCluster".into();
        s.store.broker_role = BrokerRole::Slave;
    })
    .await;
    slave.broker.set_master_addr(master_addr);
    let report = slave_sync::sync_all(&slave.broker).await.unwrap();
    assert!(report.all_ok(), "{report:?}");

    // Same requests, same order, same ports (topic config on the VIP port), same headers.
    let ours = seen.lock().unwrap().clone();
    assert_eq!(ours.len(), 4);
    for ((java_port, java), (our_port, our)) in java_requests.iter().zip(&ours) {
        assert_eq!(our.code, java.code);
        assert_eq!(our_port, java_port, "code {}", our.code);
        assert_eq!(our.ext_fields, java.ext_fields, "code {}", our.code);
        assert!(our.body.is_none());
    }

    // The four files as the Java slave left them.
    let java_dir = TempDir::new("ha-ops-golden-slave-java");
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(golden.join("store/ha-slave.tar.gz"))
        .arg("-C")
        .arg(java_dir.path())
        .arg("ha-slave/config")
        .status()
        .unwrap();
    assert!(status.success());
    for file in [
        "topics.json",
        "subscriptionGroup.json",
        "consumerOffset.json",
        "delayOffset.json",
    ] {
        assert_eq!(
            read(slave_dir.path().join("config").join(file)),
            read(java_dir.path().join("ha-slave/config").join(file)),
            "{file}"
        );
    }
    slave.shutdown().await;
    assert_eq!(
        read(slave_dir.path().join("config/delayOffset.json")),
        read(java_dir.path().join("ha-slave/config/delayOffset.json")),
    );
    for (task, token) in servers {
        token.cancel();
        let _ = task.await;
    }
}

fn keys(v: &ferrocket::fastjson::Value) -> Vec<String> {
    v.as_object()
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, _)| k.key_text())
        .collect()
}

fn parse_body(resp: &RemotingCommand) -> ferrocket::fastjson::Value {
    let text = std::str::from_utf8(resp.body.as_deref().expect("a body")).unwrap();
    ferrocket::fastjson::parse(text).unwrap()
}

/// The other side: a ferrocket master answers a Java slave's four requests (replayed from the
/// capture) as the Java master did: same code, extFields (`{}` for GET_ALL_TOPIC_CONFIG, none
/// for the others), body shapes; on a fresh master the offset bodies are byte-identical.
#[tokio::test]
async fn golden_master_answers_a_java_slaves_sync_requests_as_java() {
    let Some(golden) = ferrocket::testkit::golden_or_skip(
        "golden_master_answers_a_java_slaves_sync_requests_as_java",
    ) else {
        return;
    };
    let text = std::fs::read_to_string(golden.join("frames/ha-master-slave.jsonl")).unwrap();
    let mut requests = Vec::new();
    let mut answers: HashMap<i32, RemotingCommand> = HashMap::new();
    for line in text.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        if f["client"] != "slave-broker"
            || !f["server"].as_str().unwrap().starts_with("broker-master")
        {
            continue;
        }
        let cmd = decode_frame(f["frame_hex"].as_str().unwrap());
        if f["dir"] == "request" {
            if !requests
                .iter()
                .any(|r: &RemotingCommand| r.code == cmd.code)
            {
                requests.push(cmd);
            }
        } else {
            answers
                .entry(f["request_code"].as_i64().unwrap() as i32)
                .or_insert(cmd);
        }
    }
    assert_eq!(requests.len(), 4);

    let dir = TempDir::new("ha-ops-golden-master");
    let master = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.broker_name = "broker-a".into();
        s.broker.broker_cluster_name = "DefaultCluster".into();
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    let main_addr = master.broker.broker_addr.clone();
    for request in requests {
        let addr = if request.code == request_code::GET_ALL_TOPIC_CONFIG {
            slave_sync::vip_channel(&main_addr)
        } else {
            main_addr.clone()
        };
        let ours = client
            .invoke(&addr, request.clone(), TIMEOUT)
            .await
            .unwrap();
        let java = &answers[&request.code];
        assert_eq!(ours.code, java.code, "code {}", request.code);
        assert_eq!(ours.remark, java.remark, "code {}", request.code);
        assert_eq!(ours.ext_fields, java.ext_fields, "code {}", request.code);
        let (o, j) = (parse_body(&ours), parse_body(java));
        assert_eq!(keys(&o), keys(&j), "code {}", request.code);
        match request.code {
            request_code::GET_ALL_CONSUMER_OFFSET | request_code::GET_ALL_DELAY_OFFSET => {
                assert_eq!(ours.body, java.body, "code {}", request.code)
            }
            request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => {
                // The same system groups, each with the same fields, in the same order.
                let table = |v: &ferrocket::fastjson::Value| {
                    v.as_object()
                        .unwrap()
                        .iter()
                        .find(|(k, _)| k.key_text().as_deref() == Some("subscriptionGroupTable"))
                        .map(|(_, t)| t.clone())
                        .unwrap()
                };
                let (ot, jt) = (table(&o), table(&j));
                assert_eq!(keys(&ot), keys(&jt));
                for ((_, og), (_, jg)) in
                    ot.as_object().unwrap().iter().zip(jt.as_object().unwrap())
                {
                    assert!(og.equivalent(jg), "{og:?} vs {jg:?}");
                }
            }
            _ => {}
        }
    }
    client.shutdown();
    master.shutdown().await;
}

/// End to end in one process: the slave learns its master from the NameServer's answer to its
/// registration, its 3 s / 10 s timer brings a topic created on the master, and once the master
/// has unregistered the next registration answer (no masterAddr) makes the slave forget it, as
/// Java's `setMasterAddr(result.getMasterAddr())`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_follows_the_master_the_namesrv_names() {
    use ferrocket::namesrv::server::NamesrvServer;
    use ferrocket::namesrv::{Namesrv, NamesrvSettings};
    let ns = Arc::new(Namesrv::new(NamesrvSettings::default()));
    let server = NamesrvServer::start(ns, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ns_addr = server.local_addr().to_string();
    let (master_dir, slave_dir) = (
        TempDir::new("ha-ops-ns-master"),
        TempDir::new("ha-ops-ns-slave"),
    );
    let setup = |s: &mut ferrocket::broker::settings::BrokerSettings| {
        s.broker.broker_name = "broker-ns".into();
        s.broker.namesrv_addr = ns_addr.clone();
        // The shortest period Java allows: the slave hears of the master's exit within 10 s.
        s.broker.register_name_server_period = 10_000;
    };
    let master = ferrocket::testkit::start_test_broker(master_dir.path(), setup).await;
    let master_addr = master.broker.broker_addr.clone();
    master
        .broker
        .topics
        .update(TopicConfig::new("NsTopic", 3, 3, 6))
        .unwrap();
    let slave = ferrocket::testkit::start_test_broker(slave_dir.path(), |s| {
        setup(s);
        s.broker.broker_id = 1;
        s.store.broker_role = BrokerRole::Slave;
    })
    .await;
    let s = slave.broker.clone();

    let wait = |what: &str, secs: u64| {
        let what = what.to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        move || {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        }
    };
    let check = wait("slave learns its master", 10);
    while s.master_addr().as_deref() != Some(master_addr.as_str()) {
        check();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let check = wait("the timer syncs the topic", 30);
    while s.topics.get("NsTopic").is_none() {
        check();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s.topics.data_version(), master.broker.topics.data_version());

    master.shutdown().await;
    let check = wait("slave forgets the master", 30);
    while s.master_addr().is_some() {
        check();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        slave_sync::sync_all(&s).await.is_none(),
        "no master, nothing asked"
    );
    slave.shutdown().await;
    server.shutdown().await;
}
