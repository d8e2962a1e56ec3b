//! SQL92 filter figures:
//! - compiles/s of a typical selector (uncached parse);
//! - evaluations/s of compiled selectors against a stored record's properties read in place
//!   (the broker's per-message work during a filtered pull);
//! - pull throughput from an in-process broker over loopback: the same stored messages pulled
//!   32 at a time with a TAG `*` subscription and with an SQL92 one that keeps a quarter of them
//!   (messages scanned/s and delivered/s).
//!
//! `cargo bench --bench filter` (release). Env: `FILTER_EVALS` (default 2000000), `PULL_MSGS`
//! (default 100000), `PULL_BODY` bytes (default 256).

/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use ferrocket::filter::{Expression, RecordProperties};
use ferrocket::protocol::body::TopicConfig;
use ferrocket::protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferrocket::protocol::topic::perm;
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use ferrocket::store::message::{MessageExtBrokerInner, StoredRecord};
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::TempDir;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn properties(i: usize) -> String {
    let region = if i % 2 == 0 { "eu" } else { "us" };
    format!(
        "a\u{1}{}\u{2}region\u{1}{region}\u{2}KEYS\u{1}key-{i}\u{2}UNIQ_KEY\u{1}FD000000000000000000000000000002{i:024}\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}price\u{1}{}.5",
        i % 10,
        i % 1000
    )
}

fn main() {
    let evals = env("FILTER_EVALS", 2_000_000);
    let selectors = [
        "a > 4",
        "a > 4 AND region = 'eu'",
        "(a BETWEEN 2 AND 8 OR region IN ('us', 'ap', 'sa')) AND price < 500.0 AND KEYS IS NOT NULL",
    ];

    let started = Instant::now();
    let rounds = 100_000;
    for _ in 0..rounds {
        black_box(Expression::parse(black_box(selectors[2])).expect("compiles"));
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "compile (uncached) of {:?}: {:.0} compiles/s",
        selectors[2],
        rounds as f64 / secs
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(pull_bench(&selectors, evals));
}

/// Evaluates each selector `evals` times over stored records read in place from the mapped
/// CommitLog, as the pull path does.
fn evaluation_bench(
    store: &ferrocket::store::message_store::MessageStore,
    offsets: &[i64],
    selectors: &[&str],
    evals: usize,
) {
    let records: Vec<_> = offsets
        .iter()
        .map(|o| store.look_message_by_offset(*o).expect("record"))
        .collect();
    for selector in selectors {
        let e = Expression::parse(selector).expect("compiles");
        let started = Instant::now();
        let mut matched = 0usize;
        for i in 0..evals {
            let record: &[u8] = &records[i % records.len()];
            let properties = RecordProperties::of_record(record).expect("record");
            if e.matches(&properties) {
                matched += 1;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "evaluate {selector:?} on stored records: {:.2} M evaluations/s ({:.0} ns each, {:.0}% matched)",
            evals as f64 / secs / 1e6,
            secs * 1e9 / evals as f64,
            matched as f64 * 100.0 / evals as f64
        );
    }
}

fn pull_request(offset: i64, expression_type: &str, expression: &str) -> RemotingCommand {
    let header = PullMessageRequestHeader {
        consumer_group: "bench".into(),
        topic: "Bench".into(),
        queue_id: 0,
        queue_offset: offset,
        max_msg_nums: 32,
        sys_flag: 4,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some(expression.into()),
        sub_version: 0,
        expression_type: Some(expression_type.into()),
        bname: None,
    };
    RemotingCommand::request(request_code::PULL_MESSAGE, Some(header.to_ext_fields()))
}

async fn pull_bench(selectors: &[&str], evals: usize) {
    let msgs = env("PULL_MSGS", 100_000);
    let body_len = env("PULL_BODY", 256);
    let dir = TempDir::new("bench-filter");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.enable_property_filter = true;
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    let broker = running.broker.clone();
    let addr = running.local_addrs[0].to_string();
    broker
        .topics
        .update(TopicConfig::new("Bench", 1, 1, perm::READ | perm::WRITE))
        .expect("topic");
    let store = broker.store.clone();
    let offsets = tokio::task::spawn_blocking(move || {
        let mut offsets = Vec::new();
        for i in 0..msgs {
            let mut msg = MessageExtBrokerInner::new("Bench", 0, vec![b'x'; body_len]);
            msg.properties_string = properties(i);
            msg.born_timestamp = 1_700_000_000_000;
            let append = store.put_message(msg).append.expect("stored");
            if offsets.len() < 64 {
                offsets.push(append.wrote_offset);
            }
        }
        assert!(store.wait_dispatched(Duration::from_secs(60)));
        offsets
    })
    .await
    .expect("fill");
    evaluation_bench(&broker.store, &offsets, selectors, evals);

    let client = RemotingClient::new(ClientConfig::default());
    for (ty, expr) in [("TAG", "*"), ("SQL92", "a > 4 AND region = 'eu'")] {
        let started = Instant::now();
        let mut offset = 0i64;
        let mut delivered = 0usize;
        while offset < msgs as i64 {
            let resp = client
                .invoke(
                    &addr,
                    pull_request(offset, ty, expr),
                    Duration::from_secs(10),
                )
                .await
                .expect("pull");
            let h: PullMessageResponseHeader = read_header(&resp).expect("header");
            if resp.code == response_code::SUCCESS {
                let mut rest = resp.body.as_deref().unwrap_or_default();
                while let Ok(r) = StoredRecord::decode(rest) {
                    delivered += 1;
                    rest = &rest[r.total_size as usize..];
                }
            }
            if h.next_begin_offset <= offset {
                break;
            }
            offset = h.next_begin_offset;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "pull {ty} {expr:?}: {:.0} msgs scanned/s, {:.0} delivered/s ({delivered} of {msgs})",
            offset as f64 / secs,
            delivered as f64 / secs
        );
    }
    client.shutdown();
    running.shutdown().await;
}
