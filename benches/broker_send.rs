//! Sync sends against an in-process broker: 128-byte SEND_MESSAGE_V2 requests over one
//! connection with 64 in flight, ASYNC_FLUSH then SYNC_FLUSH. Prints msgs/s and p50/p99 latency.
//!
//! `cargo bench --bench broker_send` (BENCH_SECS=n to change the 3-second runs).

mod common;
/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use support::TempDir;

use ferrocket::remoting::{ClientConfig, RemotingClient, RemotingCommand};
use ferrocket::store::config::FlushDiskType;
use ferrocket::store::metadata::TopicConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 64;
const BODY: usize = 128;

fn request() -> RemotingCommand {
    common::send_v2_request("BenchSend", BODY)
}

async fn run(flush: FlushDiskType, secs: u64) {
    let dir = TempDir::new(&format!("bench-send-{flush:?}"));
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.flush_disk_type = flush;
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    running
        .broker
        .topics
        .update(TopicConfig::new("BenchSend", 4, 4, 6))
        .unwrap();
    let addr = running.local_addrs[0].to_string();
    let client = Arc::new(RemotingClient::new(ClientConfig::default()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let (all, failed) = common::send_load(&client, &addr, IN_FLIGHT, request, deadline).await;
    let elapsed = start.elapsed().as_secs_f64();
    let pct = |p: f64| common::percentile(&all, p);
    println!(
        "{flush:?}: {} sends in {elapsed:.2}s = {:.0} msgs/s, p50 {:?}, p99 {:?}, failed {failed}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    running.shutdown().await;
}

fn main() {
    let secs = common::bench_secs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run(FlushDiskType::AsyncFlush, secs).await;
        run(FlushDiskType::SyncFlush, secs).await;
    });
}
