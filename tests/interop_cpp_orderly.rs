//! Interop with the official Apache RocketMQ C++ client (PyPI `rocketmq` 0.4.4, bundling
//! librocketmq) for orderly push consumption and the pull consumer: `ferrocket quickstart` in a
//! child process and `interop/cpp/orderly_pull.py` (its doc says what it does and checks).
//!
//! Orderly: 2,000 messages sent with `send_orderly` over 8 sharding keys (4 queues), two orderly
//! consumers in one group (c1 from the start, c2 joining at a third of the sends, c1 shutting
//! down at two thirds), so the queues move c1 -> c2 twice under LOCK_BATCH_MQ / UNLOCK_BATCH_MQ.
//! Asserted: every (key, sequence) consumed, bodies intact, sequence numbers strictly increasing
//! per key within each consumer, first deliveries in sequence order over both consumers, no
//! queue consumed by both consumers at the same time, both rebalances really happened.
//! Duplicates (after a queue changes hands) are allowed and printed.
//! Pull: the binding's PullConsumer pulls every queue from offset 0 to its end: every message
//! exactly once, queue offsets contiguous, per key in order, bodies intact.
//! Prints SKIP when the client cannot be installed here.
//!
//! What this cannot catch: a broker that grants every lock (checked by running the scenario on a
//! broker with `rocketmq.broker.rebalance.lockMaxLiveTime=-1`: it still passes). librocketmq
//! unlocks a queue the moment its rebalance takes it away, before the other client asks, so the
//! broker's refusals never come into play here; `tests/broker_orderly_lock.rs` covers those
//! semantics. Nor is librocketmq's own unlock-while-consuming (the script's `--stall`, doc there)
//! asserted: that is the client's behaviour, not the broker's.

mod interop_support;
mod support;

use std::process::Command;

const MESSAGES: u64 = 2000;
const KEYS: u64 = 8;

#[test]
fn cpp_client_orderly_consumers_and_pull_consumer() {
    let python = match interop_support::setup("cpp") {
        Ok(p) => p,
        Err(why) => {
            println!("SKIP: C++ client orderly/pull interop: {why}");
            return;
        }
    };
    let mut qs = interop_support::start_quickstart("interop-cpp-orderly");
    let started = std::time::Instant::now();
    let out = Command::new(&python)
        .arg(format!(
            "{}/interop/cpp/orderly_pull.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["--namesrv", &qs.namesrv, "--topic", "InteropCppOrderly"])
        .args(["--messages", &MESSAGES.to_string()])
        .args(["--keys", &KEYS.to_string()])
        .args(["--timeout", "60"])
        // librocketmq writes its logs under $HOME/logs.
        .env("HOME", qs.store.path())
        .output()
        .expect("run the orderly/pull scenario");
    let summary = qs.summary(&out);
    println!("C++ client orderly/pull summary: {summary}");

    assert_eq!(summary["messages"], MESSAGES, "{summary}");
    assert_eq!(summary["send_error_count"], 0, "{summary}");

    let orderly = &summary["orderly"];
    assert_eq!(
        orderly["unique"], MESSAGES,
        "every message consumed: {summary}"
    );
    assert_eq!(orderly["missing"], 0, "{summary}");
    assert_eq!(
        orderly["bad_bodies"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
    for name in ["c1", "c2"] {
        let c = &orderly["consumers"][name];
        assert_eq!(
            c["order_violations"], 0,
            "{name}: per key strictly increasing: {summary}"
        );
        assert!(
            c["deliveries"].as_u64().unwrap_or(0) > 0,
            "{name} consumed something: {summary}"
        );
    }
    assert_eq!(
        orderly["merged_order_violations"], 0,
        "first deliveries in sequence order over both consumers: {summary}"
    );
    assert_eq!(
        orderly["concurrent_queue_violations"], 0,
        "no queue consumed by both consumers at once: {summary}"
    );
    // The rebalances happened: c2 took over queues c1 had consumed (all of them once c1 left),
    // and c1 consumed nothing after its shutdown.
    assert_eq!(
        orderly["queues_consumed_by_both"], 4,
        "every queue changed hands: {summary}"
    );
    assert_eq!(orderly["c1_calls_after_shutdown"], 0, "{summary}");
    assert_eq!(
        orderly["consumers"]["c2"]["queues"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "{summary}"
    );

    let pull = &summary["pull"];
    assert_eq!(pull["queues"], 4, "{summary}");
    // Every message once (+ the warm-up message that created the topic).
    assert_eq!(pull["messages"], MESSAGES + 1, "{summary}");
    assert_eq!(pull["max_offset_sum"], MESSAGES + 1, "{summary}");
    assert_eq!(pull["unique"], MESSAGES, "{summary}");
    assert_eq!(pull["duplicates"], 0, "{summary}");
    assert_eq!(pull["missing"], 0, "{summary}");
    assert_eq!(pull["offset_gaps"], 0, "{summary}");
    assert_eq!(pull["order_violations"], 0, "{summary}");
    assert_eq!(pull["bad"].as_array().map(Vec::len), Some(0), "{summary}");

    println!(
        "orderly: {MESSAGES} messages over {KEYS} keys, {} deliveries (c1 {}, c2 {}), {} duplicates; pull: {} messages; {:.1}s",
        orderly["deliveries"],
        orderly["consumers"]["c1"]["deliveries"],
        orderly["consumers"]["c2"]["deliveries"],
        orderly["duplicates"],
        pull["messages"],
        started.elapsed().as_secs_f64()
    );
    qs.stop();
}
