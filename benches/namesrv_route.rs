//! GET_ROUTEINFO_BY_TOPIC throughput of the NameServer: over loopback TCP with N concurrent
//! connections, and the route-table lookup (+ JSON encoding) alone. Table: 2 clusters × 4
//! broker groups (master + slave) × 1 000 topics, every topic on every broker group.
//!
//! `cargo bench --bench namesrv_route` (env: BENCH_SECS per measurement, default 3).

/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::TempDir;

use ferrocket::namesrv::route_info::BrokerRegistration;
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};
use ferrocket::protocol::body::{DataVersion, JsonStyle, TopicConfig, TopicConfigSerializeWrapper};
use ferrocket::protocol::header::namesrv::GetRouteInfoRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};

const CLUSTERS: usize = 2;
const BROKERS_PER_CLUSTER: usize = 4;
const TOPICS: usize = 1_000;

fn populate(ns: &Namesrv) {
    let mut wrapper = TopicConfigSerializeWrapper {
        data_version: DataVersion {
            timestamp: 1,
            counter: 1,
        },
        ..Default::default()
    };
    for t in 0..TOPICS {
        let name = format!("BenchTopic-{t:04}");
        wrapper
            .topic_config_table
            .insert(name.clone(), TopicConfig::new(name, 8, 8, 6));
    }
    let mut conn = 0;
    for c in 0..CLUSTERS {
        for b in 0..BROKERS_PER_CLUSTER {
            for id in 0..2i64 {
                conn += 1;
                let addr = format!("10.0.{c}.{b}:{}", 10911 + id * 1000);
                let ha = format!("10.0.{c}.{b}:{}", 10912 + id * 1000);
                ns.route.register_broker(
                    &BrokerRegistration {
                        cluster_name: &format!("Cluster-{c}"),
                        broker_addr: &addr,
                        broker_name: &format!("broker-{c}-{b}"),
                        broker_id: id,
                        ha_server_addr: Some(&ha),
                        topic_config_wrapper: &wrapper,
                        filter_server_list: Some(&[]),
                        connection: Some(conn),
                    },
                    // Registered now: the server's expiry scan must not drop them mid-run.
                    ns.now_millis(),
                );
            }
        }
    }
}

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and
/// then a short smoke run is enough.
fn is_bench_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn secs() -> Duration {
    let default = if is_bench_run() { 3.0 } else { 0.05 };
    let s = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(s)
}

fn bench_lookup(ns: &Namesrv) {
    let topics: Vec<String> = (0..TOPICS).map(|t| format!("BenchTopic-{t:04}")).collect();
    for (label, encode) in [
        ("pickup (cloned route)", false),
        ("route JSON from table", true),
    ] {
        let start = Instant::now();
        let mut n = 0u64;
        let mut bytes = 0usize;
        while start.elapsed() < secs() {
            for topic in topics.iter().take(100) {
                if encode {
                    let body = ns.route.topic_route_json(topic, JsonStyle::Standard, None);
                    bytes += body.expect("route").len();
                } else {
                    let route = ns.route.pickup_topic_route_data(topic).expect("route");
                    bytes += route.queue_datas.len();
                }
                n += 1;
            }
        }
        let el = start.elapsed().as_secs_f64();
        println!(
            "route table, {label:<24}: {:>10.0} lookups/s  ({:.2} µs each{})",
            n as f64 / el,
            el * 1e6 / n as f64,
            if encode {
                format!(", {} B body", bytes / n as usize)
            } else {
                String::new()
            }
        );
    }
}

async fn bench_wire(addr: String, connections: usize) {
    let deadline = Instant::now() + secs();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let client = RemotingClient::new(ClientConfig::default());
            let mut n = 0u64;
            let mut t = c * 37;
            while Instant::now() < deadline {
                let header = GetRouteInfoRequestHeader {
                    topic: format!("BenchTopic-{:04}", t % TOPICS),
                    accept_standard_json_only: None,
                };
                let req = RemotingCommand::request(
                    request_code::GET_ROUTEINFO_BY_TOPIC,
                    Some(header.to_ext_fields()),
                );
                let resp = client
                    .invoke(&addr, req, Duration::from_secs(5))
                    .await
                    .expect("invoke");
                assert_eq!(resp.code, response_code::SUCCESS);
                n += 1;
                t += 1;
            }
            client.shutdown();
            n
        }));
    }
    let start = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    let el = start.elapsed().as_secs_f64();
    println!(
        "GET_ROUTEINFO_BY_TOPIC over loopback, {connections:>3} connections: {:>9.0} requests/s ({:.1} µs mean latency)",
        total as f64 / el,
        el * 1e6 * connections as f64 / total as f64
    );
}

fn main() {
    let dir = TempDir::new("bench-ns");
    let mut settings = NamesrvSettings::default();
    settings.namesrv.kv_config_path = dir
        .path()
        .join("kvConfig.json")
        .to_string_lossy()
        .into_owned();
    let ns = Arc::new(Namesrv::new(settings));
    populate(&ns);
    println!(
        "table: {CLUSTERS} clusters x {BROKERS_PER_CLUSTER} broker groups (master+slave) x {TOPICS} topics; {} s per figure",
        secs().as_secs_f64()
    );
    bench_lookup(&ns);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = NamesrvServer::start(ns.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start");
        let addr = server.local_addr().to_string();
        let connections: &[usize] = if is_bench_run() {
            &[1, 4, 16, 64]
        } else {
            &[1, 4]
        };
        for &connections in connections {
            bench_wire(addr.clone(), connections).await;
        }
        server.shutdown().await;
    });
}
