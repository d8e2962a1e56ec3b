//! Replication figures from an in-process master + slave pair on loopback: 128-byte
//! SEND_MESSAGE_V2 requests, 64 in flight over one connection, against an ASYNC_MASTER then a
//! SYNC_MASTER (each send waits for the slave's acknowledgement). Prints msgs/s, p50/p99 send
//! latency, the replication lag sampled every millisecond (bytes the slave's CommitLog is behind
//! the master's), and how long the slave took to catch up after the last send.
//!
//! `cargo bench --bench ha` (BENCH_SECS=n to change the 3-second runs).

mod common;
/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use support::TempDir;

use ferrocket::remoting::{ClientConfig, RemotingClient, RemotingCommand};
use ferrocket::store::config::BrokerRole;
use ferrocket::store::metadata::TopicConfig;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 64;
const BODY: usize = 128;

fn request() -> RemotingCommand {
    common::send_v2_request("BenchHa", BODY)
}

async fn run(role: BrokerRole, secs: u64) {
    let dir = TempDir::new(&format!("bench-ha-{role:?}"));
    let master = ferrocket::testkit::start_test_broker(&dir.path().join("m"), |s| {
        s.store.broker_role = role;
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    let ha_addr = format!("127.0.0.1:{}", master.broker.store_config.ha_listen_port);
    let slave = ferrocket::testkit::start_test_broker(&dir.path().join("s"), |s| {
        s.broker.broker_id = 1;
        s.store.broker_role = BrokerRole::Slave;
        s.store.ha_master_address = ha_addr.clone();
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    while master.broker.ha.connected_slaves() == 0 || !slave.broker.ha.status().connected_to_master
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    master
        .broker
        .topics
        .update(TopicConfig::new("BenchHa", 4, 4, 6))
        .unwrap();
    let addr = master.local_addrs[0].to_string();
    let client = Arc::new(RemotingClient::new(ClientConfig::default()));
    // Lag sampler.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (m, s, done) = (
            master.broker.store.clone(),
            slave.broker.store.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !done.load(Ordering::Relaxed) {
                samples.push((m.max_phy_offset() - s.max_phy_offset()).max(0));
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            samples
        })
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let (all, failed) = common::send_load(&client, &addr, IN_FLIGHT, request, deadline).await;
    let elapsed = start.elapsed().as_secs_f64();
    let end = master.broker.store.max_phy_offset();
    let caught_up_from = Instant::now();
    while slave.broker.store.max_phy_offset() < end {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let catch_up = caught_up_from.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut lag = sampler.await.unwrap();
    lag.sort();
    let pct = |p: f64| common::percentile(&all, p);
    let lag_pct = |p: f64| common::percentile(&lag, p);
    let mean_lag = lag.iter().sum::<i64>() as f64 / lag.len().max(1) as f64;
    println!(
        "{role:?}: {} sends in {elapsed:.2}s = {:.0} msgs/s, p50 {:?}, p99 {:?}, failed {failed}; \
         replication lag mean {mean_lag:.0} B, p99 {} B, max {} B ({} samples); \
         slave caught up {catch_up:?} after the last send",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        lag_pct(0.99),
        lag.last().copied().unwrap_or_default(),
        lag.len(),
    );
    client.shutdown();
    slave.shutdown().await;
    master.shutdown().await;
}

fn main() {
    let secs = common::bench_secs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        run(BrokerRole::AsyncMaster, secs).await;
        run(BrokerRole::SyncMaster, secs).await;
    });
}
