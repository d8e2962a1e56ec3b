//! SQL92 filtering end to end: the golden `sql-filter` capture replayed against a broker on the
//! store Java wrote (same responses, exactly the messages Java delivered: a = 6..10), the
//! consumerFilter.json Java wrote read and written back byte for byte, and the behaviours around
//! it (filtering disabled, CHECK_CLIENT_CONFIG errors, registered subscriptions, FILTER_DATA_*,
//! NO_MATCHED_MESSAGE, the retry-topic rule of `filterSupportRetry`).

mod golden_replay;
use golden_replay::{assert_same_response, extract_store, recorded_request};

mod broker_pull_common;
mod support;

use support::TempDir;

use broker_pull_common::*;
use ferrocket::broker::consumer_filter::ConsumerFilterManager;
use ferrocket::filter::bloom::BloomFilter;
use ferrocket::protocol::header::PullMessageRequestHeader;
use ferrocket::remoting::{request_code, response_code, RemotingCommand};
use ferrocket::store::message::{MessageExtBrokerInner, StoredRecord};
use serde_json::Value;

/// The `a` property of every record in a FOUND body.
fn a_values(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let r = StoredRecord::decode(rest).expect("record");
        out.push(r.properties_map().get("a").unwrap_or_default().to_string());
        rest = &rest[r.total_size as usize..];
    }
    out
}

/// Replays the consumer's CHECK_CLIENT_CONFIG, HEART_BEAT, PULL_MESSAGE and UNREGISTER_CLIENT
/// requests in the order Java answered them (the capture shows a pull racing the second
/// heartbeat), skipping pulls Java never answered, and compares every response with Java's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_filter_capture_replays_identically_on_the_golden_store() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker_sql_filter") else {
        return;
    };
    let tmp = TempDir::new("sql-golden");
    let root = extract_store(&golden, tmp.path());
    // Start as Java did for this scenario: no filter data for the group yet.
    for f in ["consumerFilter.json", "consumerFilter.json.bak"] {
        let _ = std::fs::remove_file(root.join("config").join(f));
    }
    let b = TestBroker::start_in(root.clone(), |s| {
        s.broker.broker_name = "broker-a".into();
        s.broker.enable_property_filter = true;
        s.store.mapped_file_size_commit_log = 1024 * 1024 * 1024;
    })
    .await;

    let text = std::fs::read_to_string(golden.join("frames/sql-filter.jsonl")).unwrap();
    let frames: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let replayed = [46, 34, 11, 35];
    let mut exchanges: Vec<(&Value, &Value)> = frames
        .iter()
        .filter(|f| {
            f["server"] == "broker-master"
                && f["dir"] == "request"
                && f["client"] == "consumer"
                && replayed.contains(&(f["code"].as_i64().unwrap() as i32))
        })
        .filter_map(|req| {
            frames
                .iter()
                .find(|f| {
                    f["conn"] == req["conn"]
                        && f["dir"] == "response"
                        && f["opaque"] == req["opaque"]
                })
                .map(|resp| (req, resp))
        })
        .collect();
    exchanges.sort_by_key(|(_, resp)| resp["seq"].as_i64().unwrap());

    let mut compared = 0;
    let mut found = 0;
    let mut delivered = Vec::new();
    for (req, expected) in exchanges {
        let code = req["code"].as_i64().unwrap() as i32;
        let request = recorded_request(req);
        let got = b.invoke(request).await;
        let what = format!("{} seq {}", req["code_name"], req["seq"]);
        let expected_body = assert_same_response(&what, &got, expected);
        if code == request_code::PULL_MESSAGE && !expected_body.is_empty() {
            found += 1;
            delivered.extend(
                a_values(&expected_body)
                    .iter()
                    .map(|a| a.parse::<i32>().unwrap()),
            );
        }
        compared += 1;
    }
    // CHECK_CLIENT_CONFIG, 4 heartbeats, 4 FOUND + 3 SUBSCRIPTION_NOT_LATEST pulls, 2 unregisters.
    assert_eq!((compared, found), (14, 4));
    delivered.sort();
    assert_eq!(delivered, vec![6, 7, 8, 9, 10], "what Java delivered");

    // What the replay registered, as Java wrote it (times aside).
    let broker = b.running.broker.clone();
    let data = broker
        .filters
        .data("GoldenSql", "golden_sql_consumer")
        .unwrap();
    assert_eq!(data.expression.as_deref(), Some("a > 5"));
    assert_eq!(data.client_version, 1795422961289);
    assert_eq!(
        data.bloom_filter_data.as_ref().unwrap().bit_pos,
        vec![28, 78, 16]
    );
    assert!(data.is_dead(), "UNREGISTER_CLIENT killed it");
    b.shutdown().await;
}

/// Java's consumerFilter.json loads (entries already dead stay as they are) and is written
/// back byte for byte while the entry is younger than filterDataCleanTimeSpan; once older, the
/// clean drops it and the topic, as Java's `encode` does.
#[test]
fn golden_consumer_filter_json_round_trips_through_the_manager() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker_sql_filter_json") else {
        return;
    };
    let tmp = TempDir::new("sql-filter-json");
    let root = extract_store(&golden, tmp.path());
    let file = root.join("config/consumerFilter.json");
    let java = std::fs::read(&file).unwrap();
    let dead_time = 1795422968398i64;
    let day = 24 * 3600 * 1000;
    let bloom = BloomFilter::create_by_fn(20, 32).unwrap();
    let m = ConsumerFilterManager::load(&root, bloom, day, dead_time + 1000).unwrap();
    let data = m.data("GoldenSql", "golden_sql_consumer").unwrap();
    assert_eq!(data.dead_time, dead_time);
    assert!(m
        .get("GoldenSql", "golden_sql_consumer")
        .unwrap()
        .expression
        .is_some());
    m.persist(dead_time + day - 1).unwrap();
    assert_eq!(
        std::fs::read(&file).unwrap(),
        java,
        "written back as Java wrote it"
    );
    m.persist(dead_time + day).unwrap();
    let cleaned = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(cleaned, "{\n\t\"filterDataByTopic\":{}\n}");
}

const GROUP: &str = "sql_group";
const TOPIC: &str = "SqlTopic";

fn heartbeat(group: &str, topic: &str, expr: &str, version: i64) -> RemotingCommand {
    let body = format!(
        r#"{{"clientID":"127.0.0.1@1","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"SQL92","subString":"{expr}","subVersion":{version},"tagsSet":[],"topic":"{topic}"}},{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":{version},"tagsSet":[],"topic":"%RETRY%{group}"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    RemotingCommand::request(request_code::HEART_BEAT, None).with_body(body.into_bytes())
}

fn check_client_config(expr_type: &str, expr: &str) -> RemotingCommand {
    let body = format!(
        r#"{{"clientId":"127.0.0.1@1","group":"{GROUP}","subscriptionData":{{"classFilterMode":false,"codeSet":[],"expressionType":"{expr_type}","subString":"{expr}","subVersion":1,"tagsSet":[],"topic":"{TOPIC}"}}}}"#
    );
    RemotingCommand::request(request_code::CHECK_CLIENT_CONFIG, None).with_body(body.into_bytes())
}

/// Stores a message with user properties.
fn put_with(b: &TestBroker, topic: &str, props: &[(&str, &str)]) {
    let mut msg = MessageExtBrokerInner::new(topic, 0, b"x".to_vec());
    msg.properties_string = props
        .iter()
        .map(|(k, v)| format!("{k}\u{1}{v}"))
        .collect::<Vec<_>>()
        .join("\u{2}");
    let store = &b.running.broker.store;
    store.put_message(msg).append.expect("stored");
    assert!(store.wait_dispatched(TIMEOUT));
}

/// A pull using the registered subscription (no SUBSCRIPTION flag), as push consumers send.
fn registered_pull(topic: &str, offset: i64, version: i64) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        sys_flag: 0,
        subscription: None,
        sub_version: version,
        expression_type: Some("SQL92".into()),
        ..pull_header(GROUP, topic, 0, offset, "")
    }
}

fn sql_pull(topic: &str, offset: i64, expr: &str) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        expression_type: Some("SQL92".into()),
        ..pull_header(GROUP, topic, 0, offset, expr)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtering_disabled_answers_as_java() {
    let b = TestBroker::start("sql-disabled", |s| s.broker.enable_property_filter = false).await;
    b.create_topic(TOPIC, 1);
    put_with(&b, TOPIC, &[("a", "9")]);
    let resp = b.invoke(check_client_config("SQL92", "a > 5")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    // TAG subscriptions pass whatever the setting.
    let resp = b.invoke(check_client_config("TAG", "*")).await;
    assert_eq!((resp.code, resp.remark), (response_code::SUCCESS, None));
    let resp = b.pull(&sql_pull(TOPIC, 0, "a > 5")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    assert!(resp.body.is_none());
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_client_config_reports_compile_errors_as_java() {
    let b = TestBroker::start("sql-check", |s| s.broker.enable_property_filter = true).await;
    let cases = [
        ("SQL92", "a > 5", response_code::SUCCESS, None),
        (
            "SQL92",
            "a between 10 and 0",
            response_code::SUBSCRIPTION_PARSE_FAILED,
            Some("java.lang.RuntimeException: Illegal values of between, left value(10) must less than or equal to right value(0)"),
        ),
        (
            "SQL92",
            "a > TRUE",
            response_code::SUBSCRIPTION_PARSE_FAILED,
            Some("java.lang.RuntimeException: Value 'TRUE' cannot be compared."),
        ),
        // A type without a filter: Java's NullPointerException, no message.
        ("FOO", "a > 5", response_code::SUBSCRIPTION_PARSE_FAILED, None),
    ];
    for (ty, expr, code, remark) in cases {
        let resp = b.invoke(check_client_config(ty, expr)).await;
        assert_eq!(resp.code, code, "{ty} {expr}");
        assert_eq!(resp.remark.as_deref(), remark, "{ty} {expr}");
    }
    let resp = b.invoke(check_client_config("SQL92", "a >")).await;
    assert_eq!(resp.code, response_code::SUBSCRIPTION_PARSE_FAILED);
    assert!(resp
        .remark
        .unwrap()
        .starts_with("org.apache.rocketmq.filter.parser.ParseException: Encountered \"<EOF>\""));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_sql_subscriptions_filter_pulls() {
    let b = TestBroker::start("sql-registered", |s| s.broker.enable_property_filter = true).await;
    b.create_topic(TOPIC, 1);
    for (a, region) in [("1", "eu"), ("7", "us"), ("9", "eu"), ("x", "eu")] {
        put_with(&b, TOPIC, &[("a", a), ("region", region)]);
    }
    put_with(&b, TOPIC, &[("region", "eu")]);

    // No heartbeat yet: the group is unknown.
    let resp = b.pull(&registered_pull(TOPIC, 0, 10)).await;
    assert_eq!(resp.code, response_code::SUBSCRIPTION_NOT_EXIST);

    let hb = b
        .invoke(heartbeat(GROUP, TOPIC, "a > 5 AND region = 'eu'", 10))
        .await;
    assert_eq!(hb.code, response_code::SUCCESS);
    let resp = b.pull(&registered_pull(TOPIC, 0, 10)).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(resp.remark.as_deref(), Some("FOUND"));
    // a=9/eu only: a=7 is in "us", "x" does not parse as an int (no match), a missing a is null.
    assert_eq!(a_values(resp.body.as_deref().unwrap()), ["9"]);
    assert_eq!(offsets(&resp).0, 5);
    // Past the only match: nothing matched in the rest of the queue.
    let resp = b.pull(&registered_pull(TOPIC, 3, 10)).await;
    assert_eq!(resp.code, response_code::PULL_RETRY_IMMEDIATELY);
    assert_eq!(resp.remark.as_deref(), Some("NO_MATCHED_MESSAGE"));
    assert_eq!(offsets(&resp).0, 5);

    // A newer heartbeat whose expression does not compile: the filter data is dropped.
    b.invoke(heartbeat(GROUP, TOPIC, "a >", 20)).await;
    let resp = b.pull(&registered_pull(TOPIC, 0, 20)).await;
    assert_eq!(resp.code, response_code::FILTER_DATA_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The broker's consumer filter data is not exist!Your expression may be wrong!")
    );
    // Registered again with a valid expression: filtered by it.
    b.invoke(heartbeat(GROUP, TOPIC, "region <> 'eu'", 30))
        .await;
    let resp = b.pull(&registered_pull(TOPIC, 0, 30)).await;
    assert_eq!(a_values(resp.body.as_deref().unwrap()), ["7"]);
    // The client is newer than the filter data the broker holds... but its subscription too.
    let resp = b.pull(&registered_pull(TOPIC, 0, 31)).await;
    assert_eq!(resp.code, response_code::SUBSCRIPTION_NOT_LATEST);

    // Filter data older than the client's subscription (Java sees it when a pull races the
    // heartbeat that registers both): FILTER_DATA_NOT_LATEST.
    let filters = &b.running.broker.filters;
    let mut table = filters.snapshot(0);
    table
        .filter_data_by_topic
        .get_mut(TOPIC)
        .unwrap()
        .group_filter_data
        .get_mut(GROUP)
        .unwrap()
        .client_version = 29;
    filters.adopt(table, 0);
    let resp = b.pull(&registered_pull(TOPIC, 0, 30)).await;
    assert_eq!(resp.code, response_code::FILTER_DATA_NOT_LATEST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("the consumer's consumer filter data not latest")
    );

    // A pull carrying its own SQL92 subscription (pull consumers).
    let resp = b.pull(&sql_pull(TOPIC, 0, "a IN ('1', 'x')")).await;
    assert_eq!(a_values(resp.body.as_deref().unwrap()), ["1", "x"]);
    b.shutdown().await;
}

/// `filterSupportRetry`: a pull of the group's retry topic (a TAG subscription) is filtered by
/// the SQL92 expression the group registered for each message's original topic (RETRY_TOPIC).
async fn retry_pull(support_retry: bool) -> Vec<String> {
    let name = format!("sql-retry-{support_retry}");
    let b = TestBroker::start(&name, |s| {
        s.broker.enable_property_filter = true;
        s.broker.filter_support_retry = support_retry;
    })
    .await;
    b.create_topic(TOPIC, 1);
    let hb = b.invoke(heartbeat(GROUP, TOPIC, "a > 5", 10)).await;
    assert_eq!(hb.code, response_code::SUCCESS);
    let retry = format!("%RETRY%{GROUP}");
    for a in ["1", "9"] {
        put_with(&b, &retry, &[("a", a), ("RETRY_TOPIC", TOPIC)]);
    }
    let resp = b.pull(&registered_pull(&retry, 0, 10)).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let got = a_values(resp.body.as_deref().unwrap());
    b.shutdown().await;
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_topic_pulls_use_the_original_topics_filter_with_filter_support_retry() {
    assert_eq!(retry_pull(true).await, ["9"]);
    assert_eq!(retry_pull(false).await, ["1", "9"]);
}
