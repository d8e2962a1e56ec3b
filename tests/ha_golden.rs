//! The HA protocol against Java 4.9.7's recorded stream (golden `ha/ha-master-slave.jsonl`):
//! - a ferrocket SLAVE fed the recorded master units by a fake master socket rebuilds the Java
//!   slave's CommitLog byte for byte and reports the offsets Java's slave reported;
//! - a ferrocket MASTER opened on the golden master store answers a slave's reports with
//!   correctly framed batches carrying the recorded bytes.

mod store_support;

use ferrocket::ha::wire::{encode_report, TransferHeader, HEADER_LEN};
use ferrocket::store::config::BrokerRole;
use serde_json::Value;
use std::time::Duration;
use store_support::{extract_store, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const REPLICATED: usize = 88_844;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The recorded units in order: Ok((header, body)) master -> slave, Err(offset) slave reports.
fn recorded_units(golden: &std::path::Path) -> Vec<Result<(TransferHeader, Vec<u8>), i64>> {
    let text = std::fs::read_to_string(golden.join("ha/ha-master-slave.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let u: Value = serde_json::from_str(line).unwrap();
            if u["dir"] == "slave->master" {
                let hex = unhex(u["hex"].as_str().unwrap());
                let offset = i64::from_be_bytes(hex.try_into().unwrap());
                assert_eq!(offset, u["offset_report"].as_i64().unwrap());
                Err(offset)
            } else {
                let header =
                    TransferHeader::decode(&unhex(u["header_hex"].as_str().unwrap())).unwrap();
                assert_eq!(header.offset, u["phy_offset"].as_i64().unwrap());
                let body = unhex(u["body_hex"].as_str().unwrap());
                assert_eq!(body.len(), header.size as usize);
                Ok((header, body))
            }
        })
        .collect()
}

async fn read_report(s: &mut TcpStream) -> i64 {
    let mut word = [0u8; 8];
    tokio::time::timeout(Duration::from_secs(20), s.read_exact(&mut word))
        .await
        .expect("a report in time")
        .unwrap();
    i64::from_be_bytes(word)
}

async fn read_unit(s: &mut TcpStream) -> (TransferHeader, Vec<u8>) {
    let mut h = [0u8; HEADER_LEN];
    tokio::time::timeout(Duration::from_secs(20), s.read_exact(&mut h))
        .await
        .expect("a transfer in time")
        .unwrap();
    let header = TransferHeader::decode(&h).unwrap();
    let mut body = vec![0u8; header.size as usize];
    s.read_exact(&mut body).await.unwrap();
    (header, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_replays_the_recorded_java_master_stream() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("ha_golden slave") else {
        return;
    };
    let units = recorded_units(&golden);
    let tmp = TempDir::new("ha-golden-slave");
    let java = extract_store(&golden, "ha-slave", tmp.path());
    let fake_master = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let master_addr = fake_master.local_addr().unwrap().to_string();
    let root = tmp.path().join("ours");
    let slave = ferrocket::testkit::start_test_broker(&root, |s| {
        s.broker.broker_id = 1;
        s.store.broker_role = BrokerRole::Slave;
        s.store.ha_master_address = master_addr.clone();
        s.store.mapped_file_size_commit_log = 1 << 30;
    })
    .await;

    let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), fake_master.accept())
        .await
        .expect("the slave connects")
        .unwrap();
    // The first report: an empty slave asks from 0, as Java's did.
    let mut reports = vec![read_report(&mut conn).await];
    for unit in &units {
        let Ok((header, body)) = unit else { continue };
        conn.write_all(&header.encode()).await.unwrap();
        conn.write_all(body).await.unwrap();
        if header.size > 0 {
            // The slave reports right after each append: its new max offset.
            reports.push(read_report(&mut conn).await);
        }
    }
    // Java's slave also repeats its offset every haSendHeartbeatInterval; those timer-driven
    // repeats are the consecutive duplicates in the recording.
    let mut expected: Vec<i64> = units
        .iter()
        .filter_map(|u| u.as_ref().err().copied())
        .collect();
    expected.dedup();
    assert_eq!(reports, expected);
    assert_eq!(*reports.last().unwrap(), REPLICATED as i64);
    let status = slave.broker.ha.status();
    assert!(status.connected_to_master);
    assert_eq!(status.master_ha_addr.as_deref(), Some(master_addr.as_str()));
    assert_eq!(status.behind_master, 0);
    assert!(slave.broker.store.wait_dispatched(Duration::from_secs(10)));
    drop(conn);
    slave.shutdown().await;

    let name = "commitlog/00000000000000000000";
    let head = |path: std::path::PathBuf| {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(path).unwrap();
        let mut buf = vec![0u8; REPLICATED + 65_536];
        f.read_exact_at(&mut buf, 0).unwrap();
        buf
    };
    let ours = head(root.join(name));
    assert!(ours == head(java.join(name)), "commitlog bytes differ");
    // The ConsumeQueue the slave's dispatch built equals Java's too.
    let rel = "consumequeue/GoldenHA";
    let mut files = 0;
    for queue in std::fs::read_dir(java.join(rel)).unwrap() {
        let queue = queue.unwrap();
        for file in std::fs::read_dir(queue.path()).unwrap() {
            let path = file.unwrap().path();
            let rel = path.strip_prefix(&java).unwrap();
            assert!(
                std::fs::read(root.join(rel)).unwrap() == std::fs::read(&path).unwrap(),
                "{rel:?} differs"
            );
            files += 1;
        }
    }
    assert!(files > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_streams_the_golden_store_as_java_framed_it() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("ha_golden master") else {
        return;
    };
    let units = recorded_units(&golden);
    let recorded: Vec<u8> = units
        .iter()
        .filter_map(|u| u.as_ref().ok())
        .flat_map(|(_, body)| body.iter().copied())
        .collect();
    assert_eq!(recorded.len(), REPLICATED);
    let tmp = TempDir::new("ha-golden-master");
    let root = extract_store(&golden, "ha-master", tmp.path());
    let master = ferrocket::testkit::start_test_broker(&root, |s| {
        s.store.mapped_file_size_commit_log = 1 << 30;
        s.store.ha_send_heartbeat_interval = 300;
    })
    .await;
    let ha_addr = format!("127.0.0.1:{}", master.broker.store_config.ha_listen_port);

    // A slave with nothing: reports 0, gets the whole (only) file in haTransferBatchSize pieces.
    let mut slave = TcpStream::connect(&ha_addr).await.unwrap();
    slave.write_all(&encode_report(0)).await.unwrap();
    let mut got = Vec::new();
    let mut first = None;
    while got.len() < REPLICATED {
        let (header, body) = read_unit(&mut slave).await;
        if header.is_heartbeat() {
            assert_eq!(header.offset, got.len() as i64);
            continue;
        }
        assert_eq!(header.offset, got.len() as i64, "contiguous offsets");
        assert!(header.size > 0 && header.size <= 32 * 1024, "batch size");
        first.get_or_insert((header, body.clone()));
        got.extend_from_slice(&body);
    }
    assert_eq!(got.len(), REPLICATED);
    assert!(got == recorded, "streamed bytes equal the recorded stream");
    // The first batch is exactly Java's first unit.
    let java_first = units
        .iter()
        .find_map(|u| u.as_ref().ok().filter(|(h, _)| h.size > 0));
    assert_eq!(first.as_ref(), java_first);
    // Idle: an empty header at the end offset, as Java's heartbeat.
    let (hb, _) = read_unit(&mut slave).await;
    assert_eq!(
        hb,
        TransferHeader {
            offset: REPLICATED as i64,
            size: 0
        }
    );
    // Acknowledge: the master records it.
    slave
        .write_all(&encode_report(REPLICATED as i64))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while master.broker.ha.push_to_slave_max_offset() < REPLICATED as i64 {
        assert!(std::time::Instant::now() < deadline, "ack counted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = master.broker.ha.status();
    assert_eq!(status.connected_slaves, 1);
    assert_eq!(status.slave_reports[0].1, REPLICATED as i64);
    assert_eq!(status.slave_fall_behind, 0);

    // A slave that has the first 44 422 bytes (the recorded resume point) gets the rest from
    // there: the recorded unit at 44 422 is a prefix of what it receives.
    let mut second = TcpStream::connect(&ha_addr).await.unwrap();
    second.write_all(&encode_report(44_422)).await.unwrap();
    let (header, body) = loop {
        let unit = read_unit(&mut second).await;
        if !unit.0.is_heartbeat() {
            break unit;
        }
    };
    assert_eq!(header.offset, 44_422);
    assert_eq!(header.size as usize, 32 * 1024);
    assert!(body[..] == recorded[44_422..44_422 + 32 * 1024]);
    let java_unit = units
        .iter()
        .find_map(|u| {
            u.as_ref()
                .ok()
                .filter(|(h, _)| h.offset == 44_422 && h.size > 0)
        })
        .unwrap();
    assert!(body.starts_with(&java_unit.1));
    drop((slave, second));
    master.shutdown().await;
}
