//! Replays the broker requests of the golden `consume-pull` capture (GET_MIN/MAX_OFFSET,
//! GET_EARLIEST_MSG_STORETIME, SEARCH_OFFSET_BY_TIMESTAMP, PULL_MESSAGE until NO_NEW_MSG, the
//! illegal-offset pull, UPDATE_CONSUMER_OFFSET sync + oneway, QUERY_CONSUMER_OFFSET) against a
//! broker running on a copy of the store Java wrote (`main-master`), and compares each response
//! with Java's: code, remark, extFields (keys, values and order), and FOUND bodies byte for byte.

mod golden_replay;
use golden_replay::{assert_same_response, extract_store, recorded_request};

mod broker_pull_common;
mod support;

use support::TempDir;

use broker_pull_common::*;
use serde_json::Value;
use std::path::Path;

const REPLAYED: [i32; 7] = [11, 14, 15, 29, 30, 31, 32];

/// Replays the selected client requests of `scenario` in capture order (bodies included) and
/// compares the responses to the `compare` codes with Java's. Requests Java never answered in
/// the capture (pulls still parked when it ended) are not sent. Returns (compared, FOUND bodies).
async fn replay(
    b: &TestBroker,
    golden: &Path,
    scenario: &str,
    send: &[i32],
    compare: &[i32],
) -> (usize, usize) {
    let text = std::fs::read_to_string(golden.join(format!("frames/{scenario}.jsonl"))).unwrap();
    let frames: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut compared = 0;
    let mut found_bodies = 0;
    for req in frames.iter().filter(|f| {
        f["server"] == "broker-master"
            && f["dir"] == "request"
            && f["direction"] == "c2s"
            && send.contains(&(f["code"].as_i64().unwrap() as i32))
    }) {
        let code = req["code"].as_i64().unwrap() as i32;
        let request = recorded_request(req);
        if req["oneway"].as_bool().unwrap() {
            b.client.invoke_oneway(&b.addr, request).await.unwrap();
            continue;
        }
        let Some(expected) = frames.iter().find(|f| {
            f["conn"] == req["conn"] && f["dir"] == "response" && f["opaque"] == req["opaque"]
        }) else {
            continue;
        };
        let got = b.invoke(request).await;
        if !compare.contains(&code) {
            continue;
        }
        let what = format!("{scenario}: {} opaque {}", req["code_name"], req["opaque"]);
        let expected_body = assert_same_response(&what, &got, expected);
        if code == 11 && !expected_body.is_empty() {
            found_bodies += 1;
        }
        compared += 1;
    }
    println!("{scenario}: replayed {compared} responses ({found_bodies} FOUND bodies) identically");
    (compared, found_bodies)
}

/// The temp dir holding the store comes first: bound first, it is removed after the broker
/// has been dropped.
async fn golden_broker(golden: &Path, name: &str) -> (TempDir, TestBroker) {
    let tmp = TempDir::new(name);
    let root = extract_store(golden, tmp.path());
    let b = TestBroker::start_in(root, |s| {
        s.broker.broker_name = "broker-a".into();
        s.broker.enable_property_filter = true;
        s.store.mapped_file_size_commit_log = 1024 * 1024 * 1024;
    })
    .await;
    (tmp, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_pull_capture_replays_identically_on_the_golden_store() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker_pull_golden") else {
        return;
    };
    let (_tmp, b) = golden_broker(&golden, "pull-golden").await;
    let (compared, found) = replay(&b, &golden, "consume-pull", &REPLAYED, &REPLAYED).await;
    // GET_MIN, GET_MAX, GET_EARLIEST, SEARCH x2, 4 pulls + 1 illegal, UPDATE sync, QUERY.
    assert_eq!(compared, 12);
    assert_eq!(found, 3);
    b.shutdown().await;
}

/// Push and orderly consumers pull with the subscription their heartbeat registered (no
/// HAS_SUBSCRIPTION flag): the heartbeats are replayed too. Only the answered pulls are
/// compared (QUERY_CONSUMER_OFFSET answers differ: the final store has the offsets committed
/// later in the capture).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_orderly_pulls_replay_identically_on_the_golden_store() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker_pull_golden_push") else {
        return;
    };
    let (_tmp, b) = golden_broker(&golden, "pull-golden-push").await;
    let (push, push_found) = replay(&b, &golden, "consume-push", &[34, 11], &[11]).await;
    // 3 FOUND + 1 NO_MATCHED_MESSAGE (TagA || TagB against a TagC queue) on GoldenPush, and
    // the FOUND redelivery from the retry topic.
    assert_eq!((push, push_found), (5, 4));
    let (orderly, orderly_found) = replay(&b, &golden, "consume-orderly", &[34, 11], &[11]).await;
    assert_eq!((orderly, orderly_found), (3, 3));
    b.shutdown().await;
}
