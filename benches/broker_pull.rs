//! Pull path figures from an in-process broker over loopback TCP:
//! - pull throughput: messages already stored, consumers pull 32 at a time with the
//!   subscription on each request (`*`), one task per queue, until every queue is drained;
//! - long-poll wake-up latency: a pull parked on an empty queue, then a message put into the
//!   store; time from the put to the parked pull's answer (p50/p99).
//!
//! `cargo bench --bench broker_pull` (release). Env: `PULL_MSGS` (default 200000),
//! `PULL_BODY` bytes (default 512), `PULL_QUEUES` (default 4), `WAKE_ROUNDS` (default 500).

/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use ferrocket::protocol::body::TopicConfig;
use ferrocket::protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferrocket::protocol::topic::perm;
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use ferrocket::store::message::MessageExtBrokerInner;
use std::time::{Duration, Instant};
use support::TempDir;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pull_request(topic: &str, queue_id: i32, offset: i64, suspend_ms: i64) -> RemotingCommand {
    let header = PullMessageRequestHeader {
        consumer_group: "bench".into(),
        topic: topic.into(),
        queue_id,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: if suspend_ms > 0 { 4 | 2 } else { 4 },
        commit_offset: 0,
        suspend_timeout_millis: suspend_ms,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        bname: None,
    };
    RemotingCommand::request(request_code::PULL_MESSAGE, Some(header.to_ext_fields()))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let msgs = env("PULL_MSGS", 200_000);
    let body_len = env("PULL_BODY", 512);
    let queues = env("PULL_QUEUES", 4) as i32;
    let rounds = env("WAKE_ROUNDS", 500);
    let dir = TempDir::new("bench-pull");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    let broker = running.broker.clone();
    let addr = running.local_addrs[0].to_string();
    for topic in ["Bench", "Wake"] {
        broker
            .topics
            .update(TopicConfig::new(
                topic,
                queues,
                queues,
                perm::READ | perm::WRITE,
            ))
            .expect("topic");
    }

    // Fill the queues.
    let store = broker.store.clone();
    let body = vec![b'x'; body_len];
    let fill = tokio::task::spawn_blocking(move || {
        for i in 0..msgs {
            let msg =
                MessageExtBrokerInner::new("Bench", (i % queues as usize) as i32, body.clone());
            store.put_message(msg);
        }
        store.wait_dispatched(Duration::from_secs(60));
    });
    fill.await.expect("fill");

    // Throughput: one task per queue, one client (connection) each.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for q in 0..queues {
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let client = RemotingClient::new(ClientConfig::default());
            let (mut offset, mut count, mut bytes) = (0i64, 0usize, 0usize);
            loop {
                let resp = client
                    .invoke(
                        &addr,
                        pull_request("Bench", q, offset, 0),
                        Duration::from_secs(10),
                    )
                    .await
                    .expect("pull");
                if resp.code != response_code::SUCCESS {
                    break;
                }
                let h: PullMessageResponseHeader = read_header(&resp).expect("header");
                count += (h.next_begin_offset - offset) as usize;
                bytes += resp.body.as_ref().map_or(0, |b| b.len());
                offset = h.next_begin_offset;
            }
            client.shutdown();
            (count, bytes)
        }));
    }
    let (mut count, mut bytes) = (0usize, 0usize);
    for t in tasks {
        let (c, b) = t.await.expect("task");
        count += c;
        bytes += b;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "pull throughput: {count} msgs ({body_len}-byte bodies, {queues} queues, 32/pull) in {secs:.2} s: {:.0} msgs/s, {:.1} MB/s of records",
        count as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    assert_eq!(count, msgs, "every message pulled once");

    // Long-poll wake-up latency.
    let client = RemotingClient::new(ClientConfig::default());
    let mut lat = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let request = pull_request("Wake", 0, i as i64, 30_000);
        let c = client.clone();
        let a = addr.clone();
        let pull =
            tokio::spawn(async move { c.invoke(&a, request, Duration::from_secs(35)).await });
        while broker.pull_holds.parked() == 0 {
            tokio::task::yield_now().await;
        }
        let store = broker.store.clone();
        let t0 = Instant::now();
        tokio::task::spawn_blocking(move || {
            store.put_message(MessageExtBrokerInner::new("Wake", 0, b"wake".to_vec()))
        })
        .await
        .expect("put");
        let resp = pull.await.expect("task").expect("pull answered");
        lat.push(t0.elapsed());
        assert_eq!(resp.code, response_code::SUCCESS);
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "long-poll wake-up (put -> parked pull answered, {rounds} rounds): p50 {:?}, p99 {:?}, max {:?}",
        pct(0.50),
        pct(0.99),
        lat[lat.len() - 1]
    );
    client.shutdown();
    running.shutdown().await;
}
