//! Interop with ali-ons (npm; the Node.js RocketMQ/Aliyun ONS client) pointed at a plain
//! NameServer: `ferrocket quickstart` in a child process and `interop/node/scenario.js`, which
//! creates the topic through ali-ons' own UPDATE_AND_CREATE_TOPIC, sends sync, sharded
//! (`shardingKey`) and delayed (delay level 1) messages with tags, keys and user properties, and
//! consumes them with push consumers: clustering, tag-filtered, broadcasting (two instances)
//! and a retry group whose listener throws on the first delivery of every 20th message (ali-ons
//! sends it back with CONSUMER_SEND_MSG_BACK and it returns through `%RETRY%<group>`).
//! ali-ons signs every request (extFields AccessKey, Signature, OnsChannel, dummy keys here):
//! the servers ignore them, as an ACL-less Java broker does.
//!
//! Counts: FERROCKET_INTEROP_NODE_MESSAGES (default 3000), split 80% sync, 18% sharded, 2%
//! delayed. Prints SKIP when node/npm or the package are unavailable.

mod interop_support;
mod support;

use std::process::Command;

fn counts() -> (u64, u64, u64) {
    let total: u64 = std::env::var("FERROCKET_INTEROP_NODE_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
        .max(100);
    let delayed = total / 50;
    let sharded = total * 18 / 100;
    (total - sharded - delayed, sharded, delayed)
}

#[test]
fn ali_ons_produces_and_consumes_through_quickstart() {
    let dir = match interop_support::setup("node") {
        Ok(d) => d,
        Err(why) => {
            ferrocket::testkit::skip(&format!("ali-ons (Node.js) interop: {why}"));
            return;
        }
    };
    let mut qs = interop_support::start_quickstart("interop-node");
    let (sync, sharded, delayed) = counts();
    let out = Command::new("node")
        .arg(format!("{dir}/scenario.js"))
        .args(["--namesrv", &qs.namesrv, "--topic", "InteropNode"])
        .args(["--sync", &sync.to_string()])
        .args(["--sharded", &sharded.to_string()])
        .args(["--delayed", &delayed.to_string()])
        .args(["--timeout", "120"])
        .env("HOME", qs.store.path())
        .output()
        .expect("run node");
    let summary = qs.summary(&out);
    println!("ali-ons interop summary: {summary}");

    assert_eq!(summary["warmup_status"], "SEND_OK", "{summary}");
    let sent = &summary["sent"];
    assert_eq!(sent["sync"], sync, "{summary}");
    assert_eq!(sent["sharded"], sharded, "{summary}");
    assert_eq!(sent["delayed"], delayed, "{summary}");
    assert_eq!(summary["send_error_count"], 0, "{summary}");
    assert_eq!(
        summary["client_errors"].as_array().map(Vec::len),
        Some(0),
        "no client-side error but the retry topic's route before the first heartbeat: {summary}"
    );
    // One queue per sharding key (the broker stores a message in the queue the client chose).
    assert_eq!(summary["shard_queue_mismatch"], 0, "{summary}");
    let total = sync + sharded + delayed + 1;
    assert_eq!(summary["total_expected"], total, "{summary}");
    let tag_a = 1 + sync.div_ceil(2) + sharded.div_ceil(2) + delayed.div_ceil(2);
    assert_eq!(summary["tagA_expected"], tag_a, "{summary}");

    let consumers = &summary["consumers"];
    for name in ["all", "bc1", "bc2"] {
        let c = &consumers[name];
        assert_eq!(c["unique"], total, "{name} saw every message: {summary}");
        assert_eq!(c["deliveries"], total, "{name} saw each once: {summary}");
        assert_eq!(
            c["bad"].as_array().map(Vec::len),
            Some(0),
            "{name}: bodies, tags, keys, properties intact: {summary}"
        );
        assert_eq!(
            c["delayed_early"], 0,
            "{name}: delayed messages stored >= 1 s after birth: {summary}"
        );
    }
    // Per sharding key, first deliveries come in send order.
    assert_eq!(consumers["all"]["order_violations"], 0, "{summary}");
    // The tag filter: exactly the TagA messages, each once.
    let c = &consumers["tagA"];
    assert_eq!(c["unique"], tag_a, "{summary}");
    assert_eq!(c["tagA_unique"], tag_a, "{summary}");
    assert_eq!(c["deliveries"], tag_a, "{summary}");
    assert_eq!(c["bad"].as_array().map(Vec::len), Some(0), "{summary}");
    // The retry group: every message, and each failed one exactly once more, through the retry
    // topic (sent back with delay level 0 = the broker's choice, 3 + reconsume times = 10 s).
    let c = &consumers["retry"];
    let failed = (0..sync).step_by(20).count()
        + (0..sharded).step_by(20).count()
        + (0..delayed).step_by(20).count()
        + 1; // warmup idx 0
    assert_eq!(c["unique"], total, "{summary}");
    assert_eq!(c["failed_once"], failed as u64, "{summary}");
    assert_eq!(c["redelivered"], failed as u64, "{summary}");
    assert_eq!(c["redelivered_via_retry_topic"], failed as u64, "{summary}");
    assert_eq!(c["deliveries"], total + failed as u64, "{summary}");
    assert_eq!(c["bad"].as_array().map(Vec::len), Some(0), "{summary}");
    qs.stop();
}
