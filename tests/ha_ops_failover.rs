//! Failover of consumers from a master to its slave, with processes on loopback: NameServer(s)
//! and the broker-a master and slave of a shipped conf set (`conf/2m-2s-async`,
//! `conf/2m-2s-sync`, used as they are plus what one host needs: ports, store dirs, namesrvAddr,
//! brokerIP1/2), all `ferrocket` child processes killed on drop.
//!
//! The official C++ client (PyPI `rocketmq`, `interop/cpp/failover.py`) produces through the
//! NameServer (to the master); once the slave has every message (HA) and the topic (metadata
//! sync), a push consumer starts, holds its callbacks after a few hundred messages, the master
//! is killed with SIGKILL, and the consumer carries on against the slave. Asserted: nothing lost
//! (every message seen), bodies intact, duplicates counted and printed; the NameServers show
//! both roles (`brokerAddrs {0: master, 1: slave}`) before and only the slave after; the slave
//! served pulls; the offsets the consumer committed to the slave are kept there (every queue
//! committed to its end).
//!
//! Message count: FERROCKET_FAILOVER_MESSAGES, at least (and by default) 6000: more than the
//! client prefetches from the master (1000 per queue), so most messages come from the slave. Prints SKIP when the C++ client
//! cannot be installed here.

mod interop_support;
mod support;

use ferrocket::fastjson;
use ferrocket::protocol::body::ClusterInfo;
use ferrocket::protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader,
};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{free_broker_port, free_port, Proc, TempDir};

const BOOT: Duration = Duration::from_secs(60);
/// The C++ client prefetches up to 1000 messages per queue (4 queues here) while its callbacks
/// are held: below this, it could have everything from the master before the kill and the slave
/// would serve nothing.
const MIN_MESSAGES: u32 = 6000;
const CALL: Duration = Duration::from_secs(5);

/// The shipped conf file plus what running several brokers on one host needs.
fn broker_conf(dir: &Path, set: &str, file: &str, port: u16, namesrv: &str) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conf")
        .join(set)
        .join(file);
    let mut text = std::fs::read_to_string(&shipped).expect("conf set file");
    let store = dir.join(file.trim_end_matches(".properties"));
    text.push_str(&format!(
        "\nlistenPort={port}\nstorePathRootDir={}\nstorePathCommitLog={}\nnamesrvAddr={namesrv}\nbrokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\n",
        store.display(),
        store.join("commitlog").display()
    ));
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// The C++ scenario process: JSON lines out, commands in. Killed on drop.
struct Scenario {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Scenario {
    fn expect(&mut self, event: &str, timeout: Duration) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                        if v["event"] == event {
                            return v;
                        }
                    }
                }
                Err(_) => panic!(
                    "no {event:?} from failover.py within {timeout:?}; output:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client.invoke(addr, req, CALL).await.expect("answer")
}

async fn broker_a_addrs(client: &RemotingClient, namesrv: &str) -> BTreeMap<i64, String> {
    let resp = call(
        client,
        namesrv,
        RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None),
    )
    .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let info: ClusterInfo = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    info.broker_addr_table
        .get("broker-a")
        .map(|b| b.broker_addrs.clone())
        .unwrap_or_default()
}

/// Polls until every NameServer reports `want` for broker-a.
async fn wait_for_addrs(
    client: &RemotingClient,
    namesrvs: &[String],
    want: &BTreeMap<i64, String>,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for ns in namesrvs {
        loop {
            let got = broker_a_addrs(client, ns).await;
            if &got == want {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "NameServer {ns}: broker-a addrs {got:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn max_offset(client: &RemotingClient, addr: &str, topic: &str, queue_id: i32) -> i64 {
    let h = GetMaxOffsetRequestHeader {
        topic: topic.into(),
        queue_id,
        bname: None,
    };
    let resp = call(
        client,
        addr,
        RemotingCommand::request(request_code::GET_MAX_OFFSET, Some(h.to_ext_fields())),
    )
    .await;
    if resp.code != response_code::SUCCESS {
        return -1;
    }
    read_header::<GetMaxOffsetResponseHeader>(&resp)
        .map(|h| h.offset)
        .unwrap_or(-1)
}

async fn committed(client: &RemotingClient, addr: &str, group: &str, topic: &str, q: i32) -> i64 {
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: q,
        bname: None,
    };
    let resp = call(
        client,
        addr,
        RemotingCommand::request(request_code::QUERY_CONSUMER_OFFSET, Some(h.to_ext_fields())),
    )
    .await;
    if resp.code != response_code::SUCCESS {
        return -1;
    }
    read_header::<QueryConsumerOffsetResponseHeader>(&resp)
        .map(|h| h.offset)
        .unwrap_or(-1)
}

/// The topic's queue count on a broker (0 when it does not have the topic).
async fn queue_count(client: &RemotingClient, addr: &str, topic: &str) -> i32 {
    let resp = call(
        client,
        addr,
        RemotingCommand::request(request_code::GET_ALL_TOPIC_CONFIG, None),
    )
    .await;
    let wrapper: ferrocket::protocol::body::TopicConfigSerializeWrapper =
        fastjson::decode_bytes(resp.body.as_deref().unwrap_or(b"{}")).unwrap();
    wrapper
        .topic_config_table
        .get(topic)
        .map_or(0, |c| c.write_queue_nums)
}

async fn runtime_value(client: &RemotingClient, addr: &str, key: &str) -> Option<String> {
    let resp = call(
        client,
        addr,
        RemotingCommand::request(request_code::GET_BROKER_RUNTIME_INFO, None),
    )
    .await;
    let kv: ferrocket::protocol::body::KvTable =
        fastjson::decode_bytes(resp.body.as_deref()?).ok()?;
    kv.table.get(key).cloned()
}

async fn failover(set: &str, namesrv_count: usize) {
    let python = match interop_support::setup("cpp") {
        Ok(p) => p,
        Err(why) => {
            ferrocket::testkit::skip(&format!("C++ client failover ({set}): {why}"));
            return;
        }
    };
    let messages: u32 = std::env::var("FERROCKET_FAILOVER_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MIN_MESSAGES)
        .max(MIN_MESSAGES);
    let dir = TempDir::new(&format!("ha-failover-{set}"));
    let quiet = [("RUST_LOG", "warn")];

    let mut namesrvs = Vec::new();
    let mut ns_addrs = Vec::new();
    for i in 0..namesrv_count {
        let port = free_port("127.0.0.1");
        let conf = dir.path().join(format!("namesrv-{i}.properties"));
        std::fs::write(&conf, format!("listenPort={port}\n")).unwrap();
        namesrvs.push(Proc::start(
            &format!("namesrv-{i}"),
            &["namesrv", "-c", conf.to_str().unwrap()],
            &quiet,
            "The Name Server boot success",
            BOOT,
        ));
        ns_addrs.push(format!("127.0.0.1:{port}"));
    }
    let ns_list = ns_addrs.join(";");
    let (mport, sport) = (free_broker_port("127.0.0.1"), free_broker_port("127.0.0.1"));
    let master_conf = broker_conf(dir.path(), set, "broker-a.properties", mport, &ns_list);
    let slave_conf = broker_conf(dir.path(), set, "broker-a-s.properties", sport, &ns_list);
    let mut master = Proc::start(
        "broker-a",
        &["broker", "-c", master_conf.to_str().unwrap()],
        &quiet,
        "boot success",
        BOOT,
    );
    // Replication is the HA service on listenPort + 1; a build without it cannot fail over.
    if std::net::TcpStream::connect(("127.0.0.1", mport + 1)).is_err() {
        ferrocket::testkit::skip(&format!("C++ client failover ({set}): the master does not listen on its HA port (no replication in this build)"));
        return;
    }
    let mut slave = Proc::start(
        "broker-a-s",
        &["broker", "-c", slave_conf.to_str().unwrap()],
        &quiet,
        "boot success",
        BOOT,
    );
    let (master_addr, slave_addr) = (format!("127.0.0.1:{mport}"), format!("127.0.0.1:{sport}"));
    let client = RemotingClient::new(ClientConfig::default());
    let both = BTreeMap::from([(0, master_addr.clone()), (1, slave_addr.clone())]);
    wait_for_addrs(&client, &ns_addrs, &both).await;

    let topic = format!("Failover_{}", set.replace('-', "_"));
    let group = format!("failover_{topic}");
    let (tx, lines) = mpsc::channel();
    let mut child = Command::new(&python)
        .arg(format!(
            "{}/interop/cpp/failover.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["--namesrv", &ns_list, "--topic", &topic, "--group", &group])
        .args(["--messages", &messages.to_string(), "--pause-after", "300"])
        // librocketmq (1.2.x in that package) writes a queue's consumed offset without an
        // increase-only check, from 4 consume threads: a thread descheduled between computing
        // and storing it can put an older value back after the last message. Its next pull
        // at the queue's end, held by the broker for the 15 s suspend and answered NO_NEW_MSG,
        // sets the offset to the queue's end; the 5 s commit after that carries it. 25 s of
        // linger covers both (12 s did not, once, on a loaded machine: [1120, 1501, 1499,
        // 1408] committed for ends [1501, 1501, 1499, 1499]).
        .args(["--linger", "25"])
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run failover.py");
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stdin = child.stdin.take().unwrap();
    let mut scenario = Scenario {
        child,
        stdin,
        lines,
        seen: Vec::new(),
    };

    let produced = scenario.expect("produced", Duration::from_secs(600));
    println!("{set}: produced {produced}");
    assert_eq!(produced["sent"], messages, "{produced}");

    // The slave must have the topic (metadata sync, every 10 s) and every message (HA).
    let queues = queue_count(&client, &master_addr, &topic).await;
    assert!(queues > 0, "the master has the topic");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut master_max = Vec::new();
    for q in 0..queues {
        master_max.push(max_offset(&client, &master_addr, &topic, q).await);
    }
    assert_eq!(master_max.iter().sum::<i64>(), messages as i64);
    loop {
        let known = queue_count(&client, &slave_addr, &topic).await == queues;
        let mut slave_max = Vec::new();
        for q in 0..queues {
            slave_max.push(max_offset(&client, &slave_addr, &topic, q).await);
        }
        if known && slave_max == master_max {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "slave not caught up: topic known {known}, max offsets {slave_max:?} vs master {master_max:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    scenario.send("consume");
    let paused = scenario.expect("paused", Duration::from_secs(120));
    println!("{set}: consumer paused at {paused}; killing the master (SIGKILL)");
    master.kill9();
    scenario.send("resume");
    let only_slave = BTreeMap::from([(1, slave_addr.clone())]);
    wait_for_addrs(&client, &ns_addrs, &only_slave).await;

    let summary = scenario.expect("summary", Duration::from_secs(600));
    println!("{set}: failover summary {summary}");
    println!(
        "{set}: duplicates after failover: {} ({} deliveries of {} messages)",
        summary["duplicates"], summary["deliveries"], summary["unique"]
    );
    assert_eq!(summary["sent"], messages, "{summary}");
    assert_eq!(summary["missing_count"], 0, "nothing lost: {summary}");
    assert_eq!(summary["unique"], messages, "{summary}");
    assert_eq!(
        summary["bad"].as_array().map(Vec::len),
        Some(0),
        "bodies intact: {summary}"
    );

    // The slave served the messages the master could no longer serve.
    let got: u64 = runtime_value(&client, &slave_addr, "msgGetTotalTodayNow")
        .await
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    println!("{set}: messages served by the slave: {got}");
    assert!(got > 0, "the slave served pulls");
    // The consumer committed its progress to the slave and the slave kept it: every queue
    // committed to its end. The client's commits are oneway requests (the last one as it shuts
    // down), so one may land a moment after the summary: read again (bounded) until it has.
    let mut ends = Vec::new();
    for q in 0..queues {
        ends.push(max_offset(&client, &slave_addr, &topic, q).await);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let commits = loop {
        let mut commits = Vec::new();
        for q in 0..queues {
            commits.push(committed(&client, &slave_addr, &group, &topic, q).await);
        }
        if commits == ends || std::time::Instant::now() >= deadline {
            break commits;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        commits, ends,
        "offsets committed to the slave vs queue ends"
    );

    assert!(
        slave.terminate(Duration::from_secs(30)),
        "slave stops cleanly"
    );
    for mut ns in namesrvs {
        ns.terminate(Duration::from_secs(10));
    }
    client.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpp_consumer_fails_over_to_the_slave_async_master_one_namesrv() {
    failover("2m-2s-async", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpp_consumer_fails_over_to_the_slave_sync_master_two_namesrvs() {
    failover("2m-2s-sync", 2).await;
}
