//! `scripts/cluster.sh` with the shipped `conf/2m-2s-sync` set and two NameServers: the four
//! brokers (two SYNC_MASTERs, two slaves) start from Java's files as they are, both NameServers
//! show `brokerAddrs {0: master, 1: slave}` for broker-a and broker-b, a send to a SYNC_MASTER
//! is acknowledged only once replicated (SUCCESS, not FLUSH_SLAVE_TIMEOUT / SLAVE_NOT_AVAILABLE)
//! and shows on its slave, and `down` stops every process. A guard runs `down` (and kills what
//! is left by pid) if the test fails half-way.

mod support;

use ferrocket::fastjson;
use ferrocket::protocol::body::ClusterInfo;
use ferrocket::protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, SendMessageRequestHeaderV2,
};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{free_port, TempDir};

const CALL: Duration = Duration::from_secs(10);

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cluster.sh")
}

/// Runs `cluster.sh down` on drop, then SIGKILLs any pid still listed.
struct ClusterGuard<'a>(&'a Path);

impl Drop for ClusterGuard<'_> {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("down").arg(self.0).output();
        if let Ok(entries) = std::fs::read_dir(self.0) {
            for e in entries.flatten() {
                if let Ok(pid) = std::fs::read_to_string(e.path().join("pid")) {
                    let _ = Command::new("kill").arg("-KILL").arg(pid.trim()).status();
                }
            }
        }
    }
}

fn port_free(p: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
}

/// A base port B with B + 1000 i (i < 4) and their -2 / +1 neighbours free, and two free
/// NameServer ports.
fn ports() -> (u16, u16) {
    loop {
        let b = free_port("127.0.0.1");
        if !(1030..61000).contains(&b) {
            continue;
        }
        let brokers_free = (0..4).all(|i| {
            let p = b + 1000 * i;
            port_free(p) && port_free(p - 2) && port_free(p + 1)
        });
        let ns = free_port("127.0.0.1");
        if brokers_free && ns < 65000 && port_free(ns + 1) {
            return (b, ns);
        }
    }
}

async fn cluster_info(client: &RemotingClient, ns: &str) -> ClusterInfo {
    let resp = client
        .invoke(
            ns,
            RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None),
            CALL,
        )
        .await
        .expect("NameServer answers");
    assert_eq!(resp.code, response_code::SUCCESS);
    fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap()
}

async fn max_offset(client: &RemotingClient, addr: &str, topic: &str) -> i64 {
    let h = GetMaxOffsetRequestHeader {
        topic: topic.into(),
        queue_id: 0,
        bname: None,
    };
    let resp = client
        .invoke(
            addr,
            RemotingCommand::request(request_code::GET_MAX_OFFSET, Some(h.to_ext_fields())),
            CALL,
        )
        .await
        .expect("broker answers");
    read_header::<GetMaxOffsetResponseHeader>(&resp).map_or(-1, |h| h.offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_script_runs_2m_2s_sync_with_two_namesrvs() {
    let dir = TempDir::new("ha-cluster");
    let cluster = dir.path().join("cluster");
    let (base, ns_port) = ports();
    let up = Command::new(script())
        .args(["up", "2m-2s-sync"])
        .arg(&cluster)
        .env("FERROCKET_BIN", env!("CARGO_BIN_EXE_ferrocket"))
        .env("NAMESRV_COUNT", "2")
        .env("NAMESRV_PORT", ns_port.to_string())
        .env("BROKER_PORT", base.to_string())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cluster.sh");
    let _guard = ClusterGuard(&cluster);
    let out = String::from_utf8_lossy(&up.stdout).to_string();
    assert!(
        up.status.success(),
        "cluster.sh up failed:\n{out}\n{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert_eq!(
        out.lines().filter(|l| l.contains(" up ")).count(),
        6,
        "{out}"
    );

    // Masters first: broker-a, broker-b, then broker-a-s, broker-b-s.
    let addr = |i: u16| format!("127.0.0.1:{}", base + 1000 * i);
    let want = BTreeMap::from([
        (
            "broker-a".to_string(),
            BTreeMap::from([(0, addr(0)), (1, addr(2))]),
        ),
        (
            "broker-b".to_string(),
            BTreeMap::from([(0, addr(1)), (1, addr(3))]),
        ),
    ]);
    let client = RemotingClient::new(ClientConfig::default());
    for ns in [ns_port, ns_port + 1] {
        let ns = format!("127.0.0.1:{ns}");
        let info = cluster_info(&client, &ns).await;
        let got: BTreeMap<String, BTreeMap<i64, String>> = info
            .broker_addr_table
            .iter()
            .map(|(name, data)| (name.clone(), data.broker_addrs.clone()))
            .collect();
        assert_eq!(got, want, "NameServer {ns}");
        let names: Vec<&String> = info.cluster_addr_table["DefaultCluster"].iter().collect();
        assert_eq!(names, ["broker-a", "broker-b"]);
    }

    // A send to the broker-a SYNC_MASTER returns once its slave has it.
    let topic = "ClusterScriptTopic";
    let header = SendMessageRequestHeaderV2 {
        producer_group: "cluster_pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some("WAIT\u{1}true".into()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: None,
    };
    let resp = client
        .invoke(
            &addr(0),
            RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(header.to_ext_fields()))
                .with_body(b"replicated".to_vec()),
            CALL,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let deadline = Instant::now() + Duration::from_secs(30);
    while max_offset(&client, &addr(2), topic).await != 1 {
        assert!(
            Instant::now() < deadline,
            "the slave never dispatched the message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.shutdown();

    let pids: Vec<String> = std::fs::read_dir(&cluster)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("pid")).ok())
        .map(|p| p.trim().to_string())
        .collect();
    assert_eq!(pids.len(), 6);
    let down = Command::new(script())
        .arg("down")
        .arg(&cluster)
        .output()
        .unwrap();
    assert!(down.status.success());
    let stopped = String::from_utf8_lossy(&down.stdout).to_string();
    assert_eq!(
        stopped.lines().filter(|l| l.starts_with("stopped")).count(),
        6,
        "{stopped}"
    );
    // Slaves stop before masters, masters before NameServers.
    let order: Vec<&str> = stopped
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        order,
        [
            "broker-a-s",
            "broker-b-s",
            "broker-a",
            "broker-b",
            "namesrv-0",
            "namesrv-1"
        ]
    );
    for pid in pids {
        let alive = Command::new("kill")
            .args(["-0", &pid])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "pid {pid} still running after down");
    }
}
