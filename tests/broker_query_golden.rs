//! Replays the golden `mqadmin queryMsgByKey` (QUERY_MESSAGE) and `queryMsgById`
//! (VIEW_MESSAGE_BY_ID) requests against a broker running on a copy of the store Java wrote
//! (`main-master`) and compares each answer with Java's: code, remark, extFields (keys, values
//! and order) and the body byte for byte. Nothing is normalised: the index header values are
//! those of the store's last index file, which the capture's query saw too.

mod golden_replay;
use golden_replay::{ext_of, extract_store, hex};

mod broker_pull_common;

use broker_pull_common::*;
use ferrocket::remoting::{ExtFields, RemotingCommand};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqadmin_queries_replay_identically_on_the_golden_store() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker query golden replay") else {
        return;
    };
    let tmp = temp_dir("query-golden");
    let root = extract_store(&golden, &tmp);
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
        let code = req["code"].as_i64().unwrap() as i32;
        let ext = ext_of(&req["header"]).map(|pairs| {
            let mut ext = ExtFields::new();
            for (k, v) in pairs {
                ext.insert(k, v);
            }
            ext
        });
        let expected = frames
            .iter()
            .find(|f| {
                f["conn"] == req["conn"] && f["dir"] == "response" && f["opaque"] == req["opaque"]
            })
            .expect("Java answered");
        let got = b.invoke(RemotingCommand::request(code, ext)).await;
        let what = req["code_name"].as_str().unwrap().to_string();
        let eh = &expected["header"];
        assert_eq!(got.code as i64, eh["code"].as_i64().unwrap(), "{what}");
        assert_eq!(got.remark.as_deref(), eh["remark"].as_str(), "{what}");
        let got_ext: Option<Vec<(String, String)>> = got.ext_fields.as_ref().map(|e| {
            e.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        assert_eq!(got_ext, ext_of(eh), "{what}: extFields");
        let body_len = expected["body_len"].as_u64().unwrap() as usize;
        assert!(body_len > 0);
        let frame = hex(expected["frame_hex"].as_str().unwrap());
        assert_eq!(
            got.body.as_deref().unwrap_or_default(),
            &frame[frame.len() - body_len..],
            "{what}: body"
        );
        compared.push(what);
    }
    assert_eq!(compared, ["QUERY_MESSAGE", "VIEW_MESSAGE_BY_ID"]);
    b.shutdown().await;
    let _ = std::fs::remove_dir_all(&tmp);
}
