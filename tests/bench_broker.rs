//! `ferrocket bench` against ferrocket's own broker (testkit::start_test_broker): produce N,
//! then consume the same N from the start, with the broker's stored records and born timestamps.
//! Until the broker serves SEND_MESSAGE_V2 and PULL_MESSAGE this prints a `SKIP:` line.

mod support;

use ferrocket::bench::{self, BenchArgs, BenchReport, ErrorKind};
use ferrocket::remoting::response_code;
use support::TempDir;

fn args(line: &str) -> BenchArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }
    let argv = std::iter::once("bench").chain(line.split_whitespace());
    <Cli as clap::Parser>::try_parse_from(argv).unwrap().bench
}

async fn run(line: &str) -> BenchReport {
    bench::run(args(line)).await.expect("bench ran")
}

fn unsupported(report: &BenchReport) -> bool {
    report.totals.errors.contains_key(&ErrorKind::Response(
        response_code::REQUEST_CODE_NOT_SUPPORTED,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_then_consume_on_the_ferrocket_broker() {
    let dir = TempDir::new("bench-broker");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0];

    // A topic the broker auto-creates from TBW102 with 4 queues, as for a Java producer.
    let report = run(&format!(
        "produce --broker {addr} --broker-name broker-test --queues 4 --topic BenchE2E \
         --messages 200 --size 256 --keys on --tags T --concurrency 8"
    ))
    .await;
    if unsupported(&report) {
        ferrocket::testkit::skip("produce_then_consume_on_the_ferrocket_broker: the broker does not serve SEND_MESSAGE_V2 yet");
        running.shutdown().await;
        return;
    }
    assert_eq!(report.messages(), 200, "errors: {:?}", report.totals.errors);

    let batch = run(&format!(
        "produce --broker {addr} --broker-name broker-test --queues 4 --topic BenchE2E \
         --messages 100 --batch 10 --serialize rocketmq"
    ))
    .await;
    assert_eq!(batch.messages(), 100, "errors: {:?}", batch.totals.errors);

    let consumed = run(&format!(
        "consume --broker {addr} --broker-name broker-test --queues 4 --topic BenchE2E \
         --group bench_e2e --from first --messages 300 --duration 30"
    ))
    .await;
    if unsupported(&consumed) {
        ferrocket::testkit::skip("produce_then_consume_on_the_ferrocket_broker: the broker does not serve PULL_MESSAGE yet");
    } else {
        assert_eq!(
            consumed.messages(),
            300,
            "errors: {:?}",
            consumed.totals.errors
        );
        assert_eq!(consumed.totals.body_bytes, 200 * 256 + 100 * 128);
        // Born timestamps were set by this test's producer moments ago.
        assert!(consumed.totals.latency_us.max() < 60_000_000);
    }
    running.shutdown().await;
}

/// Consume through ferrocket's PULL_MESSAGE handler and long polling: messages put straight
/// into the broker's store (with known born timestamps), pulled back by `bench consume`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_from_the_ferrocket_broker_store() {
    use ferrocket::protocol::body::TopicConfig;
    use ferrocket::store::message::MessageExtBrokerInner;

    let dir = TempDir::new("bench-pull");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0];
    running
        .broker
        .topics
        .update(TopicConfig::new("BenchPull", 2, 2, 6))
        .unwrap();
    let born = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 5_000;
    for i in 0..100 {
        let mut msg = MessageExtBrokerInner::new("BenchPull", i % 2, vec![b'p'; 64]);
        msg.born_timestamp = born;
        msg.properties_string = "WAIT\u{1}true".to_string();
        let put = running.broker.store.put_message(msg);
        assert!(put.append.is_some(), "put {i}: {:?}", put.status);
    }
    let report = run(&format!(
        "consume --broker {addr} --broker-name broker-test --queues 2 --topic BenchPull \
         --group bench_pull --from first --messages 100 --duration 30"
    ))
    .await;
    running.shutdown().await;
    assert_eq!(report.messages(), 100, "errors: {:?}", report.totals.errors);
    assert_eq!(report.totals.body_bytes, 100 * 64);
    // Born 5 s before the put: every latency is at least that.
    assert!(report.totals.latency_us.min() >= 5_000_000);
    assert!(report.totals.latency_us.max() < 65_000_000);
}

/// Figures, not a check: pull throughput of ferrocket's broker for a seeded backlog. Run in
/// release: `cargo test --release --test bench_broker pull_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "prints throughput figures; run explicitly in release"]
async fn pull_figures() {
    use ferrocket::protocol::body::TopicConfig;
    use ferrocket::store::message::MessageExtBrokerInner;

    let dir = TempDir::new("bench-figures");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.mapped_file_size_commit_log = 256 * 1024 * 1024;
    })
    .await;
    let addr = running.local_addrs[0];
    running
        .broker
        .topics
        .update(TopicConfig::new("BenchFig", 4, 4, 6))
        .unwrap();
    let started = std::time::Instant::now();
    let born = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for i in 0..200_000 {
        let mut msg = MessageExtBrokerInner::new("BenchFig", i % 4, vec![b'f'; 128]);
        msg.born_timestamp = born;
        msg.properties_string = "WAIT\u{1}true".to_string();
        assert!(running.broker.store.put_message(msg).append.is_some());
    }
    println!("seeded 200000 messages in {:?}", started.elapsed());
    let report = run(&format!(
        "consume --broker {addr} --broker-name broker-test --queues 4 --topic BenchFig \
         --group bench_fig --from first --messages 200000 --duration 60"
    ))
    .await;
    running.shutdown().await;
    assert_eq!(report.messages(), 200_000);
}
