//! The broker starts on a fresh store, answers a heartbeat and a consumer-list query over TCP,
//! and shuts down cleanly (the store's abort marker is gone afterwards).

mod support;

use ferrocket::protocol::header::GetConsumerListByGroupRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use std::time::Duration;
use support::TempDir;

#[tokio::test]
async fn heartbeat_then_consumer_list() {
    let dir = TempDir::new("broker-smoke");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    let heartbeat = r#"{"clientID":"127.0.0.1@1#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"g1","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}],"unitMode":false}],"producerDataSet":[]}"#;
    let req = RemotingCommand::request(request_code::HEART_BEAT, None)
        .with_body(heartbeat.as_bytes().to_vec());
    let resp = client
        .invoke(&addr, req, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert!(
        resp.ext_fields.is_none(),
        "Java sends no extFields on a heartbeat response"
    );

    let header = GetConsumerListByGroupRequestHeader {
        consumer_group: "g1".into(),
    };
    let req = RemotingCommand::request(
        request_code::GET_CONSUMER_LIST_BY_GROUP,
        Some(header.to_ext_fields()),
    );
    let resp = client
        .invoke(&addr, req, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        resp.body.as_deref(),
        Some(&br#"{"consumerIdList":["127.0.0.1@1#1"]}"#[..])
    );
    // The heartbeat created the group's retry topic.
    assert!(running.broker.topics.get("%RETRY%g1").is_some());

    let unknown = RemotingCommand::request(9999, None);
    let resp = client
        .invoke(&addr, unknown, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::REQUEST_CODE_NOT_SUPPORTED);

    client.shutdown();
    running.shutdown().await;
    assert!(
        !dir.path().join("abort").exists(),
        "clean shutdown removes the abort marker"
    );
    assert!(dir.path().join("config/topics.json").exists());
}
