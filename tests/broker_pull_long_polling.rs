//! Long polling: a pull with the SUSPEND flag that finds nothing is parked and answered when a
//! message it can take arrives (the answer contains it), or with PULL_NOT_FOUND when its
//! suspend time is up; a non-matching tag does not wake it; a parked pull does not hold up the
//! connection; shutdown releases it.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::protocol::header::GetMaxOffsetRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, response_code as rc, RemotingCommand};
use std::sync::Arc;
use std::time::Duration;

fn suspended(
    topic: &str,
    offset: i64,
    sub: &str,
    suspend_ms: i64,
) -> ferrocket::protocol::header::PullMessageRequestHeader {
    let mut h = pull_header("g", topic, 0, offset, sub);
    h.sys_flag |= FLAG_SUSPEND;
    h.suspend_timeout_millis = suspend_ms;
    h
}

/// Waits until `n` pulls are parked (the pull request is in flight on another task).
async fn until_parked(b: &TestBroker, n: usize) {
    tokio::time::timeout(TIMEOUT, async {
        while b.running.broker.pull_holds.parked() != n {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("pull parked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_pull_is_answered_with_the_message_that_arrives() {
    let b = Arc::new(TestBroker::start("lp-wake", |_| {}).await);
    b.create_topic("T", 1);
    b.put("T", 0, b"first", None);
    // Suspend far longer than the test: only the arrival can answer it in time.
    let h = suspended("T", 1, "*", 60_000);
    let pull = tokio::spawn({
        let b = b.clone();
        async move { b.pull(&h).await }
    });
    until_parked(&b, 1).await;

    // The connection is not blocked: another request on it is answered meanwhile.
    let max = GetMaxOffsetRequestHeader {
        topic: "T".into(),
        queue_id: 0,
        bname: None,
    };
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::GET_MAX_OFFSET,
            Some(max.to_ext_fields()),
        ))
        .await;
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(resp.ext("offset"), Some("1"));

    let at = b.put("T", 0, b"second", None);
    let resp = tokio::time::timeout(TIMEOUT, pull)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(resp.code, rc::SUCCESS);
    assert_eq!(resp.remark.as_deref(), Some("FOUND"));
    assert_eq!(resp.body.as_deref(), Some(&b.record(at)[..]));
    assert_eq!(offsets(&resp).0, 2);
    assert_eq!(b.running.broker.pull_holds.parked(), 0);
    Arc::into_inner(b).unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_pull_times_out_with_pull_not_found() {
    let b = TestBroker::start("lp-timeout", |_| {}).await;
    b.create_topic("T", 1);
    b.put("T", 0, b"only", None);
    let resp = b.pull(&suspended("T", 1, "*", 150)).await;
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);
    assert_eq!(resp.remark.as_deref(), Some("OFFSET_OVERFLOW_ONE"));
    assert_eq!(offsets(&resp), (1, 0, 1, 0));
    assert_eq!(b.running.broker.pull_holds.parked(), 0);
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_subscription_filters_out_does_not_wake_the_pull() {
    let b = Arc::new(TestBroker::start("lp-filter", |_| {}).await);
    b.create_topic("T", 1);
    let h = suspended("T", 0, "TagA", 60_000);
    let pull = tokio::spawn({
        let b = b.clone();
        async move { b.pull(&h).await }
    });
    until_parked(&b, 1).await;
    b.put("T", 0, b"c", Some("TagC"));
    // The reput thread notified (dispatch is done) and the TagA pull stayed parked.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(b.running.broker.pull_holds.parked(), 1);
    assert!(!pull.is_finished());
    let a = b.put("T", 0, b"a", Some("TagA"));
    let resp = tokio::time::timeout(TIMEOUT, pull)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(resp.code, rc::SUCCESS);
    // Only the TagA record; the TagC one is skipped.
    assert_eq!(resp.body.as_deref(), Some(&b.record(a)[..]));
    assert_eq!(offsets(&resp).0, 2);
    Arc::into_inner(b).unwrap().shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_long_polling_the_pull_waits_the_short_polling_time() {
    let b = TestBroker::start("lp-short", |s| {
        s.broker.long_polling_enable = false;
        s.broker.short_polling_time_mills = 100;
    })
    .await;
    b.create_topic("T", 1);
    // Suspend 60 s requested, but short polling answers after 100 ms.
    let resp = b.pull(&suspended("T", 0, "*", 60_000)).await;
    assert_eq!(resp.code, rc::PULL_NOT_FOUND);
    assert_eq!(resp.remark.as_deref(), Some("NO_MESSAGE_IN_QUEUE"));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_parked_pulls() {
    let b = TestBroker::start("lp-shutdown", |_| {}).await;
    b.create_topic("T", 1);
    let h = suspended("T", 0, "*", 60_000);
    let consumer = ferrocket::remoting::RemotingClient::new(Default::default());
    let addr = b.addr.clone();
    let pull = tokio::spawn(async move {
        let r = consumer
            .invoke(&addr, pull_request(&h), Duration::from_secs(60))
            .await;
        consumer.shutdown();
        r
    });
    until_parked(&b, 1).await;
    let holds = b.running.broker.pull_holds.clone();
    // Shutting down does not wait for the 60 s suspend; the parked pull is dropped unanswered
    // (as Java's hold service drops it) and its connection closes.
    tokio::time::timeout(TIMEOUT, b.shutdown())
        .await
        .expect("shutdown is not held up by a parked pull");
    assert_eq!(holds.parked(), 0);
    let result = tokio::time::timeout(TIMEOUT, pull)
        .await
        .expect("released")
        .unwrap();
    assert!(
        result.is_err(),
        "a released pull is not answered: {result:?}"
    );
}
