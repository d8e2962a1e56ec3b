//! Consumer offsets and queue offset lookups: the commit piggybacked on PULL_MESSAGE,
//! UPDATE/QUERY_CONSUMER_OFFSET (with Java's rule for groups that never committed), and
//! GET_MAX/MIN_OFFSET, GET_EARLIEST_MSG_STORETIME, SEARCH_OFFSET_BY_TIMESTAMP on a known store.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::protocol::header::*;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, response_code as rc, RemotingCommand};

async fn query_offset(b: &TestBroker, group: &str, topic: &str, queue_id: i32) -> RemotingCommand {
    let h = QueryConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id,
        bname: None,
    };
    b.invoke(RemotingCommand::request(
        request_code::QUERY_CONSUMER_OFFSET,
        Some(h.to_ext_fields()),
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_offset_piggyback_and_update_are_visible_to_query() {
    let b = TestBroker::start("off-commit", |_| {}).await;
    b.create_topic("T", 2);
    for i in 0..4 {
        b.put("T", 1, format!("m{i}").as_bytes(), None);
    }
    let mut h = pull_header("g", "T", 1, 2, "*");
    h.sys_flag |= FLAG_COMMIT_OFFSET;
    h.commit_offset = 2;
    let resp = b.pull(&h).await;
    assert_eq!(resp.code, rc::SUCCESS);
    let resp = query_offset(&b, "g", "T", 1).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(resp.ext("offset"), Some("2"));

    // Without the flag nothing is committed.
    let mut h = pull_header("g", "T", 1, 3, "*");
    h.commit_offset = 3;
    b.pull(&h).await;
    assert_eq!(query_offset(&b, "g", "T", 1).await.ext("offset"), Some("2"));

    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: "g".into(),
        topic: "T".into(),
        queue_id: 1,
        commit_offset: 4,
        bname: None,
    };
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::UPDATE_CONSUMER_OFFSET,
            Some(up.to_ext_fields()),
        ))
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert!(resp.remark.is_none());
    assert!(
        resp.ext_fields.as_ref().is_some_and(|e| e.is_empty()),
        "Java sends extFields {{}}"
    );
    assert_eq!(query_offset(&b, "g", "T", 1).await.ext("offset"), Some("4"));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_without_commit_is_zero_while_the_queue_start_is_in_memory() {
    let b = TestBroker::start("off-query", |_| {}).await;
    b.create_topic("T", 1);
    b.put("T", 0, b"m", None);
    let resp = query_offset(&b, "fresh", "T", 0).await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(resp.ext("offset"), Some("0"));
    // A queue that does not exist: Java's min offset 0, nothing on disk: 0 too.
    assert_eq!(
        query_offset(&b, "fresh", "T", 5).await.ext("offset"),
        Some("0")
    );
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_without_commit_is_not_found_when_the_data_is_on_disk() {
    // With no memory share for messages, everything counts as "in disk".
    let b = TestBroker::start("off-query-disk", |s| {
        s.store.access_message_in_memory_max_ratio = 0;
    })
    .await;
    b.create_topic("T", 1);
    b.put("T", 0, b"m1", None);
    b.put("T", 0, b"m2", None);
    let resp = query_offset(&b, "fresh", "T", 0).await;
    assert_eq!(resp.code, rc::QUERY_NOT_FOUND);
    assert_eq!(
        resp.remark.as_deref(),
        Some("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
    );
    assert!(resp.ext_fields.as_ref().is_some_and(|e| e.is_empty()));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_offset_lookups_answer_for_a_known_store() {
    let b = TestBroker::start("off-lookups", |_| {}).await;
    b.create_topic("T", 2);
    let mut stored_at = Vec::new();
    for i in 0..3 {
        let phy = b.put("T", 0, format!("m{i}").as_bytes(), None);
        let bytes = b.record(phy);
        let rec = ferrocket::store::message::StoredRecord::decode(&bytes).unwrap();
        stored_at.push(rec.store_timestamp);
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    let q =
        |code: i32, ext: ferrocket::remoting::ExtFields| RemotingCommand::request(code, Some(ext));
    let max = GetMaxOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        bname: None,
    };
    let resp = b
        .invoke(q(request_code::GET_MAX_OFFSET, max.to_ext_fields()))
        .await;
    assert_eq!((resp.code, resp.ext("offset")), (rc::SUCCESS, Some("3")));
    let min = GetMinOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        bname: None,
    };
    let resp = b
        .invoke(q(request_code::GET_MIN_OFFSET, min.to_ext_fields()))
        .await;
    assert_eq!((resp.code, resp.ext("offset")), (rc::SUCCESS, Some("0")));
    // Empty and missing queues: 0 / 0, as Java (which creates the queue on lookup).
    let empty = GetMaxOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 1,
        bname: None,
    };
    assert_eq!(
        b.invoke(q(request_code::GET_MAX_OFFSET, empty.to_ext_fields()))
            .await
            .ext("offset"),
        Some("0")
    );
    let missing = GetMinOffsetRequestHeader {
        topic: "X".into(),
        queue_id: 0,
        bname: None,
    };
    assert_eq!(
        b.invoke(q(request_code::GET_MIN_OFFSET, missing.to_ext_fields()))
            .await
            .ext("offset"),
        Some("0")
    );

    let earliest = GetEarliestMsgStoretimeRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        bname: None,
    };
    let resp = b
        .invoke(q(
            request_code::GET_EARLIEST_MSG_STORETIME,
            earliest.to_ext_fields(),
        ))
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(
        resp.ext("timestamp"),
        Some(stored_at[0].to_string().as_str())
    );
    let none = GetEarliestMsgStoretimeRequestHeader {
        topic: "T".into(),
        queue_id: 1,
        bname: None,
    };
    assert_eq!(
        b.invoke(q(
            request_code::GET_EARLIEST_MSG_STORETIME,
            none.to_ext_fields()
        ))
        .await
        .ext("timestamp"),
        Some("-1")
    );

    let search = |ts: i64| SearchOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        timestamp: ts,
        bname: None,
    };
    let resp = b
        .invoke(q(
            request_code::SEARCH_OFFSET_BY_TIMESTAMP,
            search(stored_at[1]).to_ext_fields(),
        ))
        .await;
    assert_eq!((resp.code, resp.ext("offset")), (rc::SUCCESS, Some("1")));
    let resp = b
        .invoke(q(
            request_code::SEARCH_OFFSET_BY_TIMESTAMP,
            search(0).to_ext_fields(),
        ))
        .await;
    assert_eq!(resp.ext("offset"), Some("0"));
    b.shutdown().await;
}
