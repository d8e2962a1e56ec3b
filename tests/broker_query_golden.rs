//! Replays the golden `mqadmin queryMsgByKey` (QUERY_MESSAGE) and `queryMsgById`
//! (VIEW_MESSAGE_BY_ID) requests against a broker running on a copy of the store Java wrote
//! (`main-master`) and compares each answer with Java's: code, remark, extFields (keys, values
//! and order) and the body byte for byte. Nothing is normalised: the index header values are
//! those of the store's last index file, which the capture's query saw too.

mod golden_replay;
use golden_replay::{assert_same_response, extract_store, recorded_request};

mod broker_pull_common;
mod support;

use support::TempDir;

use broker_pull_common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqadmin_queries_replay_identically_on_the_golden_store() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker query golden replay") else {
        return;
    };
    let tmp = TempDir::new("query-golden");
    let root = extract_store(&golden, tmp.path());
    let b = TestBroker::start_in(root, |s| {
        s.broker.broker_name = "broker-a".into();
        s.store.mapped_file_size_commit_log = 1024 * 1024 * 1024;
    })
    .await;

    let text = std::fs::read_to_string(golden.join("frames/admin.jsonl")).unwrap();
    let frames: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut compared = Vec::new();
    for req in frames.iter().filter(|f| {
        f["server"] == "broker-master"
            && f["dir"] == "request"
            && (f["code"] == 12 || f["code"] == 33)
    }) {
        let expected = frames
            .iter()
            .find(|f| {
                f["conn"] == req["conn"] && f["dir"] == "response" && f["opaque"] == req["opaque"]
            })
            .expect("Java answered");
        let got = b.invoke(recorded_request(req)).await;
        let what = req["code_name"].as_str().unwrap().to_string();
        let expected_body = assert_same_response(&what, &got, expected);
        assert!(
            !expected_body.is_empty(),
            "{what}: Java answered with a body"
        );
        compared.push(what);
    }
    assert_eq!(compared, ["QUERY_MESSAGE", "VIEW_MESSAGE_BY_ID"]);
    b.shutdown().await;
}
