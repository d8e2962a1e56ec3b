//! Helpers for the HA tests: in-process masters and slaves on loopback, sends, and CommitLog
//! comparisons.
#![allow(dead_code)]

use ferrocket::broker::runtime::RunningBroker;
use ferrocket::broker::settings::BrokerSettings;
use ferrocket::protocol::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, RemotingClient, RemotingCommand};
use ferrocket::store::config::BrokerRole;
use ferrocket::store::message::msg_id::parse_offset_msg_id;
use std::path::Path;
use std::time::Duration;

pub const TOPIC: &str = "HaTopic";

// The including test binary declares `mod support;` too (one copy per binary).
pub use crate::support::TempDir;

/// Polls `cond` every 10 ms until it holds; fails the test naming `what` after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Settings as the testkit builds them, at a fixed remoting port (HA on port + 1).
pub fn settings(root: &Path, port: u16, role: BrokerRole) -> BrokerSettings {
    let mut s = BrokerSettings::default();
    s.broker.broker_name = "broker-ha".into();
    s.broker.broker_ip1 = "127.0.0.1".into();
    s.broker.broker_ip2 = "127.0.0.1".into();
    s.broker.namesrv_addr = String::new();
    s.store = ferrocket::store::config::MessageStoreConfig::with_root(root);
    s.store.mapped_file_size_commit_log = 1024 * 1024;
    s.store.broker_role = role;
    s.server.listen_port = port as i32;
    s.store.ha_listen_port = port as i32 + 1;
    if role == BrokerRole::Slave {
        s.broker.broker_id = 1;
    }
    s
}

pub async fn start(settings: BrokerSettings) -> RunningBroker {
    let mut last = None;
    for _ in 0..50 {
        match ferrocket::broker::runtime::start(settings.clone()).await {
            Ok(b) => return b,
            Err(e) => last = Some(e.to_string()),
        }
        // A port of a broker just shut down may take a moment to be free.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("broker starts: {last:?}")
}

pub async fn start_master(
    root: &Path,
    role: BrokerRole,
    tweak: impl FnOnce(&mut BrokerSettings),
) -> RunningBroker {
    let mut s = settings(root, 0, role);
    tweak(&mut s);
    start_on_free_ports(s).await
}

/// Starts at a fresh free port trio, another one if a parallel test took a port meanwhile.
pub async fn start_on_free_ports(mut s: BrokerSettings) -> RunningBroker {
    let mut last = None;
    for _ in 0..20 {
        let port = crate::support::free_broker_port("127.0.0.1");
        s.server.listen_port = port as i32;
        s.store.ha_listen_port = port as i32 + 1;
        match ferrocket::broker::runtime::start(s.clone()).await {
            Ok(b) => return b,
            Err(e) => last = Some(e.to_string()),
        }
    }
    panic!("broker starts: {last:?}")
}

pub fn ha_addr(b: &RunningBroker) -> String {
    format!("127.0.0.1:{}", b.broker.store_config.ha_listen_port)
}

pub async fn start_slave(root: &Path, master_ha: &str) -> RunningBroker {
    let mut s = settings(root, 0, BrokerRole::Slave);
    s.store.ha_master_address = master_ha.to_string();
    start_on_free_ports(s).await
}

pub fn send_request(i: u64, body_len: usize) -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "ha_producer".into(),
        topic: TOPIC.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: (i % 4) as i32,
        sys_flag: 0,
        born_timestamp: 1,
        flag: 0,
        properties: Some(format!("KEYS\u{1}ha-{i}\u{2}WAIT\u{1}true")),
        reconsume_times: Some(0),
        ..Default::default()
    };
    let mut body = format!("ha-body-{i}-").into_bytes();
    body.resize(body_len.max(body.len()), b'x');
    RemotingCommand::request(request_code::SEND_MESSAGE, Some(header.to_ext_fields()))
        .with_body(body)
}

/// Sends message `i`; the response code and, when stored, its CommitLog offset.
pub async fn send(
    client: &RemotingClient,
    addr: &str,
    i: u64,
    body_len: usize,
) -> (i32, Option<i64>) {
    let r = client
        .invoke(addr, send_request(i, body_len), Duration::from_secs(10))
        .await
        .expect("send response");
    let offset = read_header::<SendMessageResponseHeader>(&r)
        .ok()
        .and_then(|h| parse_offset_msg_id(&h.msg_id))
        .map(|(_, o)| o);
    (r.code, offset)
}

/// Waits until every slave's CommitLog reaches the master's end.
pub async fn wait_caught_up(master: &RunningBroker, slaves: &[&RunningBroker]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let target = master.broker.store.max_phy_offset();
        if slaves
            .iter()
            .all(|s| s.broker.store.max_phy_offset() == target)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "slaves did not catch up: master {target}, slaves {:?}",
            slaves
                .iter()
                .map(|s| s.broker.store.max_phy_offset())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every CommitLog file: name and bytes.
pub fn commit_log_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("commitlog"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Asserts two stores hold byte-identical CommitLogs.
pub fn assert_same_commit_log(a: &Path, b: &Path) {
    let (fa, fb) = (commit_log_files(a), commit_log_files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "same CommitLog files");
    for ((name, x), (_, y)) in fa.iter().zip(fb.iter()) {
        assert!(x == y, "CommitLog file {name} differs");
    }
}
