//! kill -9 of a `ferrocket broker` process under load with SYNC_FLUSH: every send the broker
//! acknowledged is in the store afterwards, intact, at the queue offset it was acknowledged with.

mod support;

use ferrocket::protocol::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use ferrocket::store::config::MessageStoreConfig;
use ferrocket::store::message::StoredRecord;
use ferrocket::store::message_store::MessageStore;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{free_port, Proc, TempDir};

const TOPIC: &str = "CrashTopic";

fn send_request(i: u64) -> RemotingCommand {
    let header = SendMessageRequestHeader {
        producer_group: "crash_producer".into(),
        topic: TOPIC.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: (i % 4) as i32,
        sys_flag: 0,
        born_timestamp: 1,
        flag: 0,
        properties: Some(format!("KEYS\u{1}crash-{i}")),
        reconsume_times: Some(0),
        ..Default::default()
    };
    RemotingCommand::request(request_code::SEND_MESSAGE, Some(header.to_ext_fields()))
        .with_body(format!("crash-body-{i}").into_bytes())
}

#[test]
fn acknowledged_sync_flush_sends_survive_kill_9() {
    let dir = TempDir::new("broker-crash");
    let store = dir.path().join("store");
    let port = free_port("127.0.0.1");
    let conf = dir.path().join("broker.conf");
    std::fs::write(
        &conf,
        format!(
            "brokerName=crash-a\nbrokerIP1=127.0.0.1\nbrokerIP2=127.0.0.1\nlistenPort={port}\n\
             flushDiskType=SYNC_FLUSH\nstorePathRootDir={root}\nstorePathCommitLog={root}/commitlog\n\
             mappedFileSizeCommitLog=1048576\n",
            root = store.display()
        ),
    )
    .unwrap();
    let mut broker = Proc::start(
        "broker",
        &["broker", "-c", conf.to_str().unwrap()],
        &[("RUST_LOG", "warn")],
        "boot success",
        Duration::from_secs(30),
    );

    // Acknowledged sends: (index, queueId, queueOffset).
    let acked: Arc<Mutex<Vec<(u64, i32, i64)>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let senders: Vec<_> = (0..8u64)
        .map(|task| {
            let acked = acked.clone();
            let addr = addr.clone();
            rt.spawn(async move {
                let client = RemotingClient::new(ClientConfig::default());
                let mut i = task;
                loop {
                    match client
                        .invoke(&addr, send_request(i), Duration::from_secs(2))
                        .await
                    {
                        Ok(r) if r.code == response_code::SUCCESS => {
                            let h: SendMessageResponseHeader = read_header(&r).unwrap();
                            acked.lock().unwrap().push((i, h.queue_id, h.queue_offset));
                        }
                        Ok(_) => {}
                        Err(_) => return, // the broker is gone
                    }
                    i += 8;
                }
            })
        })
        .collect();
    // Let load build up, then kill -9 in the middle of it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 3000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    broker.kill9();
    for s in senders {
        let _ = rt.block_on(s);
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 3000,
        "only {} sends were acknowledged before the kill",
        acked.len()
    );
    assert!(
        store.join("abort").exists(),
        "a killed broker leaves its abort marker"
    );

    // Recover the store as the next broker start would, and look every acknowledged send up.
    let mut config = MessageStoreConfig::with_root(&store);
    config.mapped_file_size_commit_log = 1024 * 1024;
    let store = MessageStore::open(config).unwrap();
    assert!(
        store.recovery_report().abnormal,
        "abnormal recovery after kill -9"
    );
    for (i, queue_id, queue_offset) in &acked {
        let got = store.get_message(TOPIC, *queue_id, *queue_offset, 1, None);
        let record = got.messages.first().unwrap_or_else(|| {
            panic!(
                "send {i} at {queue_id}/{queue_offset} lost: {:?}",
                got.status
            )
        });
        let r = StoredRecord::decode(record).unwrap();
        assert_eq!(r.body, format!("crash-body-{i}").as_bytes(), "send {i}");
        assert_eq!(r.queue_offset, *queue_offset);
    }
    // Queue offsets are contiguous: each queue holds exactly 0..max with no hole.
    for q in 0..4 {
        let max = store.max_offset_in_queue(TOPIC, q);
        for off in 0..max {
            assert_eq!(
                store.get_message(TOPIC, q, off, 1, None).messages.len(),
                1,
                "queue {q} offset {off}"
            );
        }
    }
    println!(
        "{} acknowledged sends, all present after kill -9 and recovery",
        acked.len()
    );
    store.shutdown();
}
