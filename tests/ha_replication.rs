//! Master/slave replication between in-process brokers on loopback: one and two slaves under
//! load end with byte-identical CommitLogs; a restarted slave and a restarted master resume where
//! they were; SYNC_MASTER acknowledges only what a slave stored, answers SLAVE_NOT_AVAILABLE
//! without a slave and FLUSH_SLAVE_TIMEOUT when the slave stops acknowledging; a slave claiming
//! more than it was sent releases nothing (Java bug #3015).

mod ha_support;
mod support;

use ferrocket::ha::wire::encode_report;
use ferrocket::remoting::{response_code, ClientConfig, RemotingClient};
use ferrocket::store::config::BrokerRole;
use ha_support::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

async fn load(
    addr: &str,
    from: u64,
    count: u64,
    tasks: u64,
    body_len: usize,
) -> Vec<(u64, i32, Option<i64>)> {
    let client = Arc::new(RemotingClient::new(ClientConfig::default()));
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (client, addr) = (client.clone(), addr.to_string());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = from + t;
            while i < from + count {
                let (code, offset) = send(&client, &addr, i, body_len).await;
                out.push((i, code, offset));
                i += tasks;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    client.shutdown();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_and_two_slaves_under_load_end_byte_identical() {
    let dir = TempDir::new("ha-two-slaves");
    let master = start_master(&dir.path().join("m"), BrokerRole::AsyncMaster, |_| {}).await;
    let ha = ha_addr(&master);
    let s1 = start_slave(&dir.path().join("s1"), &ha).await;
    let addr = master.broker.broker_addr.clone();
    // One slave: ~3 MiB through 1 MiB files (roll-overs included).
    let sent = load(&addr, 0, 1500, 4, 2000).await;
    assert!(sent
        .iter()
        .all(|(_, code, _)| *code == response_code::SUCCESS));
    wait_caught_up(&master, &[&s1]).await;
    assert_eq!(master.broker.ha.connected_slaves(), 1);
    // A second slave joins an active master and gets the last file onwards (a report of 0 means
    // "from the start of the master's last file", as Java).
    let s2 = start_slave(&dir.path().join("s2"), &ha).await;
    let sent = load(&addr, 1500, 1500, 4, 2000).await;
    assert!(sent
        .iter()
        .all(|(_, code, _)| *code == response_code::SUCCESS));
    wait_caught_up(&master, &[&s1]).await;
    wait_until("second slave catches up", Duration::from_secs(30), || {
        s2.broker.store.max_phy_offset() == master.broker.store.max_phy_offset()
    })
    .await;
    let status = master.broker.ha.status();
    assert_eq!(status.connected_slaves, 2);
    // Every slave acknowledged the end (within a heartbeat; they report after each append).
    let end = master.broker.store.max_phy_offset();
    wait_until("acks reach the end", Duration::from_secs(10), || {
        master
            .broker
            .ha
            .slave_reports()
            .iter()
            .all(|(_, o)| *o == end)
    })
    .await;
    assert_eq!(master.broker.ha.push_to_slave_max_offset(), end);
    // The slaves dispatched what they received: a message is readable by queue.
    assert!(s1.broker.store.wait_dispatched(Duration::from_secs(10)));
    assert_eq!(
        (0..4)
            .map(|q| s1.broker.store.max_offset_in_queue(TOPIC, q))
            .sum::<i64>(),
        3000
    );
    let s2_first = s2.broker.store.min_phy_offset();
    assert!(
        s2_first > 0 && s2_first % (1024 * 1024) == 0,
        "s2 starts at a file boundary: {s2_first}"
    );
    s2.shutdown().await;
    s1.shutdown().await;
    master.shutdown().await;
    assert_same_commit_log(&dir.path().join("m"), &dir.path().join("s1"));
    // s2 holds exactly the master's files from its first one on.
    let m = commit_log_files(&dir.path().join("m"));
    let s2_files = commit_log_files(&dir.path().join("s2"));
    assert!(!s2_files.is_empty());
    let skip = m.len() - s2_files.len();
    assert!(
        m[skip..] == s2_files[..],
        "s2's files equal the master's last files"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_restart_and_master_restart_resume() {
    let dir = TempDir::new("ha-restarts");
    let (m_root, s_root) = (dir.path().join("m"), dir.path().join("s"));
    let m_settings = settings(
        &m_root,
        support::free_broker_port("127.0.0.1"),
        BrokerRole::AsyncMaster,
    );
    let master = start(m_settings.clone()).await;
    let ha = ha_addr(&master);
    let slave = start_slave(&s_root, &ha).await;
    let addr = master.broker.broker_addr.clone();
    load(&addr, 0, 400, 2, 1000).await;
    wait_caught_up(&master, &[&slave]).await;

    // The slave goes away while the master takes more; back, it resumes from its own end.
    slave.shutdown().await;
    load(&addr, 400, 400, 2, 1000).await;
    let slave = start_slave(&s_root, &ha).await;
    assert!(slave.broker.store.max_phy_offset() < master.broker.store.max_phy_offset());
    wait_caught_up(&master, &[&slave]).await;

    // The master goes away; the slave keeps retrying and resumes once it is back.
    master.shutdown().await;
    let master = start(m_settings).await;
    load(&addr, 800, 400, 2, 1000).await;
    wait_caught_up(&master, &[&slave]).await;
    assert!(slave.broker.ha.status().connected_to_master);
    slave.shutdown().await;
    master.shutdown().await;
    assert_same_commit_log(&m_root, &s_root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_master_acknowledges_only_what_a_slave_stored() {
    let dir = TempDir::new("ha-sync");
    let master = start_master(&dir.path().join("m"), BrokerRole::SyncMaster, |_| {}).await;
    let addr = master.broker.broker_addr.clone();
    let client = RemotingClient::new(ClientConfig::default());

    // No slave: stored, but SLAVE_NOT_AVAILABLE (Java isSlaveOK: no connection).
    let (code, offset) = send(&client, &addr, 0, 100).await;
    assert_eq!(code, response_code::SLAVE_NOT_AVAILABLE);
    assert!(master
        .broker
        .store
        .look_message_by_offset(offset.unwrap())
        .is_some());

    let slave = start_slave(&dir.path().join("s"), &ha_addr(&master)).await;
    wait_until("slave connects", Duration::from_secs(10), || {
        master.broker.ha.connected_slaves() > 0
    })
    .await;
    // Concurrent sends: each SUCCESS is already in the slave's CommitLog when it arrives.
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for t in 0..8u64 {
        let (client, addr) = (client.clone(), addr.clone());
        let slave_store = slave.broker.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in (1 + t..400).step_by(8) {
                let (code, offset) = send(&client, &addr, i, 500).await;
                assert_eq!(code, response_code::SUCCESS, "send {i}");
                let offset = offset.unwrap();
                let on_slave = slave_store.look_message_by_offset(offset);
                assert!(
                    on_slave.is_some(),
                    "acknowledged send {i} at {offset} is on the slave"
                );
                let key = format!("ha-body-{i}-");
                assert!(on_slave
                    .unwrap()
                    .windows(key.len())
                    .any(|w| w == key.as_bytes()));
                ok += 1;
            }
            ok
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    assert_eq!(ok, 399);
    assert_eq!(master.broker.ha.waiting_sends(), 0);
    slave.shutdown().await;
    master.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slave_that_stops_acknowledging_gives_flush_slave_timeout() {
    let dir = TempDir::new("ha-slave-timeout");
    let master = start_master(&dir.path().join("m"), BrokerRole::SyncMaster, |s| {
        s.store.slave_timeout = 500;
    })
    .await;
    // A fake slave: asks from 0, then never reports again.
    let mut fake = tokio::net::TcpStream::connect(ha_addr(&master))
        .await
        .unwrap();
    fake.write_all(&encode_report(0)).await.unwrap();
    wait_until("fake slave registered", Duration::from_secs(10), || {
        master.broker.ha.slave_reports().first().map(|r| r.1) == Some(0)
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = master.broker.broker_addr.clone();
    let (code, offset) = send(&client, &addr, 1, 100).await;
    assert_eq!(code, response_code::FLUSH_SLAVE_TIMEOUT);
    assert!(master
        .broker
        .store
        .look_message_by_offset(offset.unwrap())
        .is_some());
    // A slave that is too far behind (haSlaveFallbehindMax) is "not available" at once.
    drop(fake);
    wait_until("fake slave dropped", Duration::from_secs(10), || {
        master.broker.ha.connected_slaves() == 0
    })
    .await;
    let (code, _) = send(&client, &addr, 2, 100).await;
    assert_eq!(code, response_code::SLAVE_NOT_AVAILABLE);
    client.shutdown();
    master.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_too_far_behind_is_not_available() {
    let dir = TempDir::new("ha-fallbehind");
    let master = start_master(&dir.path().join("m"), BrokerRole::SyncMaster, |s| {
        s.store.slave_timeout = 500;
        s.store.ha_slave_fallbehind_max = 1000;
    })
    .await;
    let mut fake = tokio::net::TcpStream::connect(ha_addr(&master))
        .await
        .unwrap();
    fake.write_all(&encode_report(0)).await.unwrap();
    wait_until("fake slave registered", Duration::from_secs(10), || {
        master.broker.ha.slave_reports().first().map(|r| r.1) == Some(0)
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    // 2000-byte body: the message's end is beyond haSlaveFallbehindMax from the acked 0.
    let (code, _) = send(&client, &master.broker.broker_addr, 1, 2000).await;
    assert_eq!(code, response_code::SLAVE_NOT_AVAILABLE);
    drop(fake);
    client.shutdown();
    master.shutdown().await;
}

/// Beyond Java (#3015): a slave reporting an offset the master has but has not sent it (here the
/// master's very end, while the connection is stuck far behind) does not release the send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_beyond_what_was_sent_releases_nothing() {
    let dir = TempDir::new("ha-3015");
    let master = start_master(&dir.path().join("m"), BrokerRole::SyncMaster, |s| {
        s.store.slave_timeout = 1000;
        s.store.mapped_file_size_commit_log = 64 * 1024 * 1024;
    })
    .await;
    // 16 MiB already in the master, more than the socket buffers of a stalled slave hold.
    let store = master.broker.store.clone();
    tokio::task::spawn_blocking(move || {
        let body = bytes::Bytes::from(vec![b'p'; 4096]);
        for _ in 0..4096 {
            let msg =
                ferrocket::store::message::MessageExtBrokerInner::new("Preload", 0, body.clone());
            assert!(store.put_message(msg).is_ok());
        }
    })
    .await
    .unwrap();
    // A fake slave with a tiny receive buffer that never reads: the stream stalls early.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut fake = socket
        .connect(ha_addr(&master).parse().unwrap())
        .await
        .unwrap();
    fake.write_all(&encode_report(0)).await.unwrap();
    let ha = master.broker.ha.clone();
    wait_until("fake slave registered", Duration::from_secs(10), || {
        ha.slave_reports().first().map(|r| r.1) == Some(0)
    })
    .await;
    let addr = master.broker.broker_addr.clone();
    let send_task = tokio::spawn(async move {
        let client = RemotingClient::new(ClientConfig::default());
        send(&client, &addr, 1, 100).await
    });
    wait_until(
        "the send waits for the slave",
        Duration::from_secs(10),
        || ha.waiting_sends() > 0,
    )
    .await;
    // The fake slave claims everything the master has (Java would count it: it is not beyond
    // the master's max offset).
    let end = master.broker.store.max_phy_offset();
    fake.write_all(&encode_report(end)).await.unwrap();
    let (code, _) = send_task.await.unwrap();
    assert_eq!(code, response_code::FLUSH_SLAVE_TIMEOUT);
    assert_eq!(ha.slave_reports()[0].1, end, "the report was read");
    assert!(
        ha.push_to_slave_max_offset() < end,
        "but not counted beyond what was sent"
    );
    drop(fake);
    master.shutdown().await;
}

/// Java's slave check: a transfer that does not start where the slave's CommitLog ends closes
/// the connection; the slave reconnects and asks again from its real end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_drops_a_master_sending_from_the_wrong_offset_and_reconnects() {
    use ferrocket::ha::wire::TransferHeader;
    use tokio::io::AsyncReadExt;
    let dir = TempDir::new("ha-wrong-offset");
    let fake = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slave = start_slave(
        &dir.path().join("s"),
        &fake.local_addr().unwrap().to_string(),
    )
    .await;
    let accept = || async {
        let (mut conn, _) = tokio::time::timeout(Duration::from_secs(10), fake.accept())
            .await
            .expect("the slave connects")
            .unwrap();
        let mut word = [0u8; 8];
        conn.read_exact(&mut word).await.unwrap();
        (conn, i64::from_be_bytes(word))
    };
    let (mut conn, first) = accept().await;
    assert_eq!(first, 0);
    // Some bytes at 0 (a slave with nothing takes a file boundary), then a jump.
    let body = vec![7u8; 100];
    conn.write_all(
        &TransferHeader {
            offset: 0,
            size: 100,
        }
        .encode(),
    )
    .await
    .unwrap();
    conn.write_all(&body).await.unwrap();
    let mut word = [0u8; 8];
    conn.read_exact(&mut word).await.unwrap();
    assert_eq!(i64::from_be_bytes(word), 100);
    conn.write_all(
        &TransferHeader {
            offset: 500,
            size: 10,
        }
        .encode(),
    )
    .await
    .unwrap();
    conn.write_all(&[1u8; 10]).await.unwrap();
    // The slave closes this connection...
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut rest))
        .await
        .expect("closed")
        .unwrap_or(0);
    assert_eq!(n, 0, "nothing more reported on the bad connection");
    // ...and comes back at once asking from its real end, the bad bytes not appended.
    let (_conn, again) = accept().await;
    assert_eq!(again, 100);
    assert_eq!(slave.broker.store.max_phy_offset(), 100);
    slave.shutdown().await;
}

/// SYNC_FLUSH + SYNC_MASTER: a send is answered once flushed and on the slave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_flush_and_sync_master_together() {
    let dir = TempDir::new("ha-sync-flush");
    let master = start_master(&dir.path().join("m"), BrokerRole::SyncMaster, |s| {
        s.store.flush_disk_type = ferrocket::store::config::FlushDiskType::SyncFlush;
    })
    .await;
    let slave = start_slave(&dir.path().join("s"), &ha_addr(&master)).await;
    wait_until("slave connects", Duration::from_secs(10), || {
        master.broker.ha.connected_slaves() > 0
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    for i in 0..50 {
        let (code, offset) = send(&client, &master.broker.broker_addr, i, 200).await;
        assert_eq!(code, response_code::SUCCESS);
        let offset = offset.unwrap();
        assert!(slave.broker.store.look_message_by_offset(offset).is_some());
        assert!(master.broker.store.commit_log().flushed_offset() > offset);
    }
    client.shutdown();
    slave.shutdown().await;
    master.shutdown().await;
}
