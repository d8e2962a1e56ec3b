//! Interop with the official Apache RocketMQ C++ client (PyPI `rocketmq`, which bundles
//! librocketmq): `ferrocket quickstart` in a child process, `interop/cpp/scenario.py` producing
//! sync, oneway, orderly and batch messages with tags, keys and properties, and push consumers in
//! clustering, tag-filtered, broadcasting and retry (RECONSUME_LATER) setups. Every body and
//! property is checked by the script; this test checks the counts.
//!
//! Message counts: FERROCKET_INTEROP_MESSAGES (default 20000 in CI; the 100000 runs with
//! FERROCKET_INTEROP_MESSAGES=100000), split 60% sync, 10% oneway, 10% orderly, 20% batch.
//! Prints SKIP when the client cannot be installed here.
//!
//! The retry group (measured, issue 4's "retry gap"): the broker stores every
//! CONSUMER_SEND_MSG_BACK it receives and the schedule service delivers each to `%RETRY%<group>`
//! (counted with debug traces in a 20k run: 877 send-backs received = 877 stored = 877 delivered
//! to the retry queue, whose units all carry the right queue offsets, and the client committed
//! offset 877 on it). The
//! messages that never came back were lost inside the client: (1) the Python binding (rocketmq
//! 0.4.4, `_on_message`) re-raises the listener's exception from a `finally`, so ctypes hands
//! librocketmq an undefined status and ~7-15% of failures counted as consumed and were never
//! sent back: the scenario registers its own callback that returns RECONSUME_LATER; (2)
//! librocketmq fails a request at once when its transport-table lock is contended
//! ("GetTransport ... get timed_mutex timeout", apache/rocketmq-client-cpp#455/#456), send-backs
//! included, so they never reach the broker. After (1) was fixed, the retry group still missed
//! 0-2 messages in some 20k runs, never more than the send-backs the client's own log reports
//! as failed (0-3 per run; 36 in one run with two busy loops on the 2 cores, when the lock
//! failed every request for ~3 s): the test asserts exactly that bound, and exact counts when
//! the client reports none. A lost message the listener never saw also never failed its first
//! delivery, so the count of first-delivery failures is short by at most the messages missing. Why a failed send-back can cost a message the listener never saw:
//! librocketmq passes a pulled batch to the listener (even with a batch size of 1 set), the
//! binding's C layer stops at the first failing message, and librocketmq sends the whole batch
//! back, the unseen rest included; an unseen message whose send-back fails is never delivered
//! to the group again (seen in the client log: "consume fail ... index is:16..20" each
//! followed by a failed send-back, for exactly the messages missing).
//!
//! "No route info of this topic" (issue 4's other finding, 1-2 sends in 20k-100k): the same
//! librocketmq lock bug fails a send at once, its retries go within the same millisecond and
//! look for "another broker" (there is none here), and it reports the failure as "No route info"
//! (its log: "GetTransport ... timeout", "send failed of times:1", "could not find property
//! mq", then "No route info"; the NameServer is not asked; our NameServer answered no
//! TOPIC_NOT_EXIST for the topic during any measured run). The scenario retries such a send
//! after a pause, as an application would, and reports the retries.
//!
//! Oneway sends on the same lock contention: librocketmq's `invokeOneway` logs "invokeOneway
//! failed: NULL transport ... code:10" and returns, so `send_oneway` reports success for a
//! message that never left the client. One CI run failed so: every group missed exactly one
//! message. Reproduced with `interop/cpp/flaky_lock.c` (makes the client's contended lock fail
//! at will): the same signature, the missing message a oneway one, one "invokeOneway failed"
//! in the client's log, nothing of it in the broker's. Oneway is fire-and-forget (in Java
//! too), so the test allows exactly the oneway messages the client's log reports dropped, and
//! requires that every message missing from a group is a oneway one.

mod interop_support;
mod support;

use std::process::Command;

fn counts() -> (u32, u32, u32, u32) {
    let total: u32 = std::env::var("FERROCKET_INTEROP_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let tenth = total / 10;
    (total - 4 * tenth, tenth, tenth, 2 * tenth)
}

#[test]
fn cpp_client_produces_and_consumes_through_quickstart() {
    let python = match interop_support::setup("cpp") {
        Ok(p) => p,
        Err(why) => {
            ferrocket::testkit::skip(&format!("C++ client interop: {why}"));
            return;
        }
    };
    let mut qs = interop_support::start_quickstart("interop-cpp");
    let (sync, oneway, orderly, batch) = counts();
    let out = Command::new(&python)
        .arg(format!(
            "{}/interop/cpp/scenario.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(["--namesrv", &qs.namesrv, "--topic", "InteropCpp"])
        .args(["--sync", &sync.to_string(), "--oneway", &oneway.to_string()])
        .args([
            "--orderly",
            &orderly.to_string(),
            "--batch",
            &batch.to_string(),
        ])
        .args(["--timeout", "120"])
        .env("HOME", qs.store.path())
        .output()
        .expect("run the scenario");
    let summary = qs.summary(&out);
    println!("C++ client interop summary: {summary}");
    println!(
        "sends retried by the producer (as a Java producer retries): {}",
        summary["retry_count"]
    );

    let sent = &summary["sent"];
    assert_eq!(sent["sync"], sync, "{summary}");
    assert_eq!(sent["oneway"], oneway, "{summary}");
    assert_eq!(sent["orderly"], orderly, "{summary}");
    assert_eq!(sent["batch"], batch, "{summary}");
    assert_eq!(summary["error_count"], 0, "{summary}");
    let total = summary["total_expected"].as_u64().unwrap();
    assert_eq!(total, (sync + oneway + orderly + batch + 1) as u64);
    let consumers = &summary["consumers"];
    // Oneway sends librocketmq dropped without sending (its own log says so; module doc): each
    // is one oneway message no group can see, and nothing else may be missing.
    let dropped = summary["client_dropped_oneway_sends"].as_u64().unwrap();
    let missing_only = |name: &str, allowed: &[&str]| {
        let c = &consumers[name];
        for key in c["missing"].as_array().expect("missing keys") {
            let key = key.as_str().unwrap_or_default();
            assert!(
                allowed.iter().any(|kind| key.starts_with(kind)),
                "{name} never saw {key}: {summary}"
            );
        }
    };
    // Broadcasting consumers start at the queues' ends: they miss the warm-up message too.
    // The retry group is checked below (known gap, module doc).
    for (name, expected, allowed) in [
        ("all", total - dropped, &["oneway "][..]),
        ("bc1", total - 1 - dropped, &["oneway ", "warmup "][..]),
        ("bc2", total - 1 - dropped, &["oneway ", "warmup "][..]),
    ] {
        let c = &consumers[name];
        assert_eq!(
            c["unique"].as_u64(),
            Some(expected),
            "{name} saw every message at least once: {summary}"
        );
        missing_only(name, allowed);
        assert_eq!(
            c["bad"].as_array().map(Vec::len),
            Some(0),
            "{name}: bodies/properties intact: {summary}"
        );
    }
    // The tag filter: exactly the TagA messages (a dropped oneway is TagA or TagB).
    let tag_a_expected = summary["tagA_expected"].as_u64().unwrap();
    let tag_a_missing = consumers["tagA"]["missing_count"].as_u64().unwrap();
    assert!(tag_a_missing <= dropped, "{summary}");
    missing_only("tagA", &["oneway "]);
    assert_eq!(
        consumers["tagA"]["unique"].as_u64(),
        Some(tag_a_expected - tag_a_missing),
        "{summary}"
    );
    assert_eq!(
        consumers["tagA"]["tagA_unique"], consumers["tagA"]["unique"],
        "{summary}"
    );
    let retry = &consumers["retry"];
    assert_eq!(retry["bad"].as_array().map(Vec::len), Some(0), "{summary}");
    let failed = 1 + [sync, oneway, orderly, batch]
        .iter()
        .map(|n| n.div_ceil(50) as u64)
        .sum::<u64>();
    let failed_once = retry["failed_once"].as_u64().unwrap();
    let unique = retry["unique"].as_u64().unwrap();
    let redelivered = retry["redelivered"].as_u64().unwrap();
    let lost_by_client = summary["client_sendback_failures"].as_u64().unwrap();
    assert!(unique <= total && redelivered <= failed_once, "{summary}");
    // Every 50th message fails its first delivery; one the group never saw (lost in the
    // client, counted below) cannot have failed.
    assert!(
        failed_once <= failed && failed_once + (total - unique) >= failed,
        "{summary}"
    );
    assert!(
        (total - unique) + (failed_once - redelivered) <= lost_by_client + dropped,
        "every message missing from the retry group is one librocketmq failed to send back: {summary}"
    );
    let duplicates = |name: &str| {
        let c = &consumers[name];
        c["deliveries"].as_u64().unwrap() - c["unique"].as_u64().unwrap()
    };
    println!(
        "retry group: {redelivered} of {failed} failed messages redelivered, {unique} of {total} seen, {lost_by_client} send-backs failed inside librocketmq"
    );
    println!(
        "duplicates (deliveries - unique): all {} bc1 {} bc2 {}; oneway sends dropped inside librocketmq: {dropped}",
        duplicates("all"),
        duplicates("bc1"),
        duplicates("bc2")
    );
    qs.stop();
}
