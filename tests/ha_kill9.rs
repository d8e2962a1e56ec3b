//! kill -9 of a SYNC_MASTER `ferrocket broker` process under load: every send it acknowledged
//! (SUCCESS) is in the slave's store afterwards, intact, at the acknowledged offset.

mod ha_support;
mod support;

use ferrocket::remoting::{response_code, ClientConfig, RemotingClient};
use ferrocket::store::config::{BrokerRole, MessageStoreConfig};
use ferrocket::store::message::StoredRecord;
use ferrocket::store::message_store::MessageStore;
use ha_support::{start_slave, wait_until, TempDir};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{free_broker_port, Proc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_sync_master_sends_survive_a_master_kill_9() {
    let dir = TempDir::new("ha-kill9");
    let m_root = dir.path().join("m");
    let port = free_broker_port("127.0.0.1");
    let conf = dir.path().join("master.conf");
    std::fs::write(
        &conf,
        format!(
            "brokerName=broker-ha\nbrokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\nlistenPort={port}\n\
             brokerRole=SYNC_MASTER\nstorePathRootDir={root}\nstorePathCommitLog={root}/commitlog\n\
             mappedFileSizeCommitLog=1048576\n",
            root = m_root.display()
        ),
    )
    .unwrap();
    let mut master = Proc::start(
        "master",
        &["broker", "-c", conf.to_str().unwrap()],
        &[("RUST_LOG", "warn")],
        "boot success",
        Duration::from_secs(30),
    );
    let s_root = dir.path().join("s");
    let slave = start_slave(&s_root, &format!("127.0.0.1:{}", port + 1)).await;
    wait_until("slave connects", Duration::from_secs(20), || {
        let status = slave.broker.ha.status();
        status.behind_master == 0 && status.connected_to_master
    })
    .await;
    // Let the master see the slave's first report before loading it.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let acked: Arc<Mutex<Vec<(u64, i64)>>> = Arc::default();
    let addr = format!("127.0.0.1:{port}");
    let senders: Vec<_> = (0..8u64)
        .map(|task| {
            let (acked, addr) = (acked.clone(), addr.clone());
            tokio::spawn(async move {
                let client = RemotingClient::new(ClientConfig::default());
                let mut i = task;
                loop {
                    let r = client
                        .invoke(
                            &addr,
                            ha_support::send_request(i, 300),
                            Duration::from_secs(5),
                        )
                        .await;
                    match r {
                        Ok(r) if r.code == response_code::SUCCESS => {
                            let h: ferrocket::protocol::header::SendMessageResponseHeader =
                                ferrocket::protocol::read_header(&r).unwrap();
                            let (_, offset) =
                                ferrocket::store::message::msg_id::parse_offset_msg_id(&h.msg_id)
                                    .unwrap();
                            acked.lock().unwrap().push((i, offset));
                        }
                        Ok(_) => {}
                        Err(_) => return, // the master is gone
                    }
                    i += 8;
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 1500 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    master.kill9();
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 1500,
        "only {} acknowledged sends",
        acked.len()
    );
    slave.shutdown().await;

    // Reopen the slave's store cold: every acknowledged message is there.
    let mut config = MessageStoreConfig::with_root(&s_root);
    config.broker_role = BrokerRole::Slave;
    config.mapped_file_size_commit_log = 1024 * 1024;
    let store = tokio::task::spawn_blocking(move || MessageStore::open(config).unwrap())
        .await
        .unwrap();
    for (i, offset) in &acked {
        let raw = store
            .look_message_by_offset(*offset)
            .unwrap_or_else(|| panic!("acknowledged send {i} at {offset} missing on the slave"));
        let rec = StoredRecord::decode(&raw).unwrap();
        assert_eq!(rec.physical_offset, *offset);
        let want = format!("ha-body-{i}-");
        assert!(rec.body.starts_with(want.as_bytes()), "send {i}: body");
    }
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || s2.shutdown())
        .await
        .unwrap();
}
