//! Requests the broker relays to its clients, tested against fake client connections that
//! answer as a Java client would: GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY,
//! INVOKE_BROKER_TO_RESET_OFFSET (RESET_CONSUMER_CLIENT_OFFSET to every consumer),
//! INVOKE_BROKER_TO_GET_CONSUMER_STATUS (GET_CONSUMER_STATUS_FROM_CLIENT), and
//! SEND_REPLY_MESSAGE(_V2) (PUSH_REPLY_MESSAGE_TO_CLIENT to the requester).

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::fastjson;
use ferrocket::protocol::body::{GetConsumerStatusBody, MessageQueue, ResetOffsetBody};
use ferrocket::protocol::header::{
    ResetOffsetRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, Connection, ExtFields, LanguageCode, RemotingClient,
    RemotingCommand, RequestProcessor,
};
use ferrocket::store::message::msg_id::create_offset_msg_id;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client that records every request the broker sends it and answers as a Java client.
#[derive(Default)]
struct FakeClient {
    seen: Mutex<Vec<RemotingCommand>>,
}

impl FakeClient {
    /// Waits (bounded) until a request with `code` has arrived, and returns it.
    async fn wait_for(&self, code: i32) -> RemotingCommand {
        for _ in 0..500 {
            if let Some(r) = self
                .seen
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|r| r.code == code)
            {
                return r.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no request {code} reached the client");
    }

    fn count(&self, code: i32) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.code == code)
            .count()
    }
}

fn status_queue() -> MessageQueue {
    MessageQueue {
        topic: "RT".into(),
        broker_name: "broker-test".into(),
        queue_id: 1,
    }
}

impl RequestProcessor for FakeClient {
    async fn process(
        &self,
        _conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        self.seen.lock().unwrap().push(request.clone());
        let ok = |body: String| {
            Some(
                RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                    .with_body(body.into_bytes()),
            )
        };
        match request.code {
            request_code::GET_CONSUMER_RUNNING_INFO => ok(r#"{"jstack":"fake"}"#.into()),
            request_code::CONSUME_MESSAGE_DIRECTLY => {
                ok(r#"{"consumeResult":"CR_SUCCESS"}"#.into())
            }
            request_code::GET_CONSUMER_STATUS_FROM_CLIENT => {
                let mut body = GetConsumerStatusBody::default();
                body.message_queue_table.insert(status_queue(), 5);
                ok(fastjson::encode_compact(&body))
            }
            request_code::PUSH_REPLY_MESSAGE_TO_CLIENT => ok(String::new()),
            _ => None,
        }
    }
}

/// A fake client connected to the broker and registered by a heartbeat.
async fn fake_client(
    b: &TestBroker,
    heartbeat: &str,
    version: i32,
) -> (RemotingClient<FakeClient>, Arc<FakeClient>) {
    let fake = Arc::new(FakeClient::default());
    let client = RemotingClient::with_processor(ClientConfig::default(), fake.clone());
    let mut hb = RemotingCommand::request(request_code::HEART_BEAT, None)
        .with_body(heartbeat.as_bytes().to_vec());
    hb.version = version;
    let resp = client.invoke(&b.addr, hb, TIMEOUT).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    (client, fake)
}

fn consumer_heartbeat(client_id: &str, group: &str) -> String {
    format!(
        r#"{{"clientID":"{client_id}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":0,"tagsSet":[],"topic":"RT"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    )
}

fn request(code: i32, pairs: &[(&str, &str)]) -> RemotingCommand {
    let mut ext = ExtFields::new();
    for (k, v) in pairs {
        ext.insert(*k, *v);
    }
    RemotingCommand::request(code, Some(ext))
}

fn reset_request(group: &str, topic: &str, timestamp: i64, force: bool) -> RemotingCommand {
    let h = ResetOffsetRequestHeader {
        topic: topic.into(),
        group: group.into(),
        timestamp,
        is_force: force,
    };
    RemotingCommand::request(
        request_code::INVOKE_BROKER_TO_RESET_OFFSET,
        Some(h.to_ext_fields()),
    )
}

fn offsets_of(body: &[u8]) -> Vec<(i32, i64)> {
    let b: ResetOffsetBody = fastjson::decode_bytes(body).unwrap();
    b.offset_table
        .iter()
        .map(|(mq, o)| (mq.queue_id, *o))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_relays_answer_as_java() {
    let b = TestBroker::start("admin-relay", |_| {}).await;
    b.create_topic("RT", 2);
    let q0: Vec<i64> = (0..3)
        .map(|i| b.put("RT", 0, format!("m{i}").as_bytes(), None))
        .collect();
    b.put("RT", 1, b"n0", None);
    b.put("RT", 1, b"n1", None);
    let broker = &b.running.broker;
    broker.offsets.commit("relay-group", "RT", 0, 3);
    broker.offsets.commit("relay-group", "RT", 1, 1);
    let (_consumer, fake) =
        fake_client(&b, &consumer_heartbeat("fake@1", "relay-group"), 407).await;

    // GET_CONSUMER_RUNNING_INFO: the client's answer comes back as it is; the client got the
    // admin's extFields.
    let resp = b
        .invoke(request(
            request_code::GET_CONSUMER_RUNNING_INFO,
            &[
                ("consumerGroup", "relay-group"),
                ("clientId", "fake@1"),
                ("jstackEnable", "false"),
            ],
        ))
        .await;
    assert_eq!(
        (resp.code, resp.body.as_deref()),
        (0, Some(&br#"{"jstack":"fake"}"#[..]))
    );
    let got = fake.wait_for(request_code::GET_CONSUMER_RUNNING_INFO).await;
    assert_eq!(got.ext("clientId"), Some("fake@1"));
    assert_eq!(got.ext("jstackEnable"), Some("false"));
    let resp = b
        .invoke(request(
            request_code::GET_CONSUMER_RUNNING_INFO,
            &[("consumerGroup", "relay-group"), ("clientId", "nobody")],
        ))
        .await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The Consumer <relay-group> <nobody> not online")
    );

    // CONSUME_MESSAGE_DIRECTLY: the stored record goes to the client with the broker's name.
    let store_host = broker.broker_addr.parse().unwrap();
    let msg_id = create_offset_msg_id(&store_host, q0[1]);
    let resp = b
        .invoke(request(
            request_code::CONSUME_MESSAGE_DIRECTLY,
            &[
                ("consumerGroup", "relay-group"),
                ("clientId", "fake@1"),
                ("msgId", &msg_id),
            ],
        ))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        resp.body.as_deref(),
        Some(&br#"{"consumeResult":"CR_SUCCESS"}"#[..])
    );
    let got = fake.wait_for(request_code::CONSUME_MESSAGE_DIRECTLY).await;
    assert_eq!(got.body.as_deref(), Some(&b.record(q0[1])[..]));
    assert_eq!(got.ext("brokerName"), Some("broker-test"));
    assert_eq!(got.ext("msgId"), Some(msg_id.as_str()));

    // INVOKE_BROKER_TO_RESET_OFFSET. Back to the beginning: every queue to 0.
    let resp = b.invoke(reset_request("relay-group", "RT", 0, false)).await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    assert_eq!(offsets_of(resp.body.as_deref().unwrap()), [(0, 0), (1, 0)]);
    let got = fake
        .wait_for(request_code::RESET_CONSUMER_CLIENT_OFFSET)
        .await;
    assert!(got.is_oneway());
    assert_eq!(got.body, resp.body);
    assert_eq!(
        (
            got.ext("topic"),
            got.ext("group"),
            got.ext("timestamp"),
            got.ext("isForce")
        ),
        (Some("RT"), Some("relay-group"), Some("0"), Some("false"))
    );
    // To the end without force: nobody moves forward; with force: everybody at the end.
    let resp = b
        .invoke(reset_request("relay-group", "RT", -1, false))
        .await;
    assert_eq!(offsets_of(resp.body.as_deref().unwrap()), [(0, 3), (1, 1)]);
    let resp = b.invoke(reset_request("relay-group", "RT", -1, true)).await;
    assert_eq!(offsets_of(resp.body.as_deref().unwrap()), [(0, 3), (1, 2)]);
    // By time: the store time of q0's second message is where queue 0 goes back to.
    let second_time = broker.store.message_store_timestamp("RT", 0, 1);
    let resp = b
        .invoke(reset_request("relay-group", "RT", second_time, false))
        .await;
    let table = offsets_of(resp.body.as_deref().unwrap());
    assert_eq!(table[0].0, 0);
    assert!(table[0].1 <= 1, "{table:?}");
    assert_eq!(
        broker.store.message_store_timestamp("RT", 0, table[0].1),
        broker.store.message_store_timestamp(
            "RT",
            0,
            broker.store.offset_in_queue_by_time("RT", 0, second_time)
        )
    );
    // The consumer applies it and commits: what it pulls next starts there.
    broker.offsets.commit("relay-group", "RT", 0, table[0].1);
    let resp = b
        .pull(&pull_header(
            "relay-group",
            "RT",
            0,
            broker.offsets.query("relay-group", "RT", 0),
            "*",
        ))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(offsets(&resp).0, 3);
    // A C++ admin makes the broker send the list form.
    let mut cpp = reset_request("relay-group", "RT", 0, false);
    cpp.language = LanguageCode::Cpp;
    let before = fake.count(request_code::RESET_CONSUMER_CLIENT_OFFSET);
    b.invoke(cpp).await;
    for _ in 0..500 {
        if fake.count(request_code::RESET_CONSUMER_CLIENT_OFFSET) > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = fake
        .wait_for(request_code::RESET_CONSUMER_CLIENT_OFFSET)
        .await;
    assert_eq!(
        std::str::from_utf8(got.body.as_deref().unwrap()).unwrap(),
        r#"{"offsetTable":[{"brokerName":"broker-test","offset":0,"queueId":0,"topic":"RT"},{"brokerName":"broker-test","offset":0,"queueId":1,"topic":"RT"}]}"#
    );
    // Java's refusals.
    let resp = b
        .invoke(reset_request("relay-group", "NoSuchTopic", 0, false))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            1,
            Some("[reset-offset] reset offset failed, no topic in this broker. topic=NoSuchTopic")
        )
    );
    let resp = b.invoke(reset_request("ghost", "RT", 0, false)).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (1, Some("THe consumer group <ghost> not exist"))
    );
    broker.offsets.commit("offline-group", "RT", 0, 1);
    broker.offsets.commit("offline-group", "RT", 1, 1);
    let resp = b
        .invoke(reset_request("offline-group", "RT", 5, false))
        .await;
    assert_eq!(resp.code, response_code::CONSUMER_NOT_ONLINE);
    assert_eq!(
        resp.remark.as_deref(),
        Some("Consumer not online, so can not reset offset, Group: offline-group Topic: RT Timestamp: 5")
    );

    // INVOKE_BROKER_TO_GET_CONSUMER_STATUS: clientId -> what the client reported.
    let resp = b
        .invoke(request(
            request_code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
            &[("topic", "RT"), ("group", "relay-group")],
        ))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let status: GetConsumerStatusBody =
        fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    let expected: BTreeMap<_, _> = [(status_queue(), 5)].into();
    assert_eq!(status.consumer_table.get("fake@1"), Some(&expected));
    assert!(status.message_queue_table.is_empty());
    let got = fake
        .wait_for(request_code::GET_CONSUMER_STATUS_FROM_CLIENT)
        .await;
    assert_eq!(
        (got.ext("topic"), got.ext("group")),
        (Some("RT"), Some("relay-group"))
    );
    // Only another client asked for: nobody answers.
    let resp = b
        .invoke(request(
            request_code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
            &[
                ("topic", "RT"),
                ("group", "relay-group"),
                ("clientAddr", "other@2"),
            ],
        ))
        .await;
    let status: GetConsumerStatusBody =
        fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert!(status.consumer_table.is_empty());
    let resp = b
        .invoke(request(
            request_code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
            &[("topic", "RT"), ("group", "ghost")],
        ))
        .await;
    assert_eq!(
        resp.remark.as_deref(),
        Some("No Any Consumer online in the consumer group: [ghost]")
    );

    // A client too old for running info (V3_1_7 = 61).
    let (_old, _) = fake_client(&b, &consumer_heartbeat("old@1", "old-group"), 61).await;
    let resp = b
        .invoke(request(
            request_code::GET_CONSUMER_RUNNING_INFO,
            &[("consumerGroup", "old-group"), ("clientId", "old@1")],
        ))
        .await;
    assert_eq!(
        resp.remark.as_deref(),
        Some("The Consumer <old@1> Version <V3_1_7> too low to finish, please upgrade it to V3_1_8_SNAPSHOT")
    );
    b.shutdown().await;
}

fn reply_header(topic: &str, properties: &str) -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "replier".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(properties.into()),
        reconsume_times: Some(0),
        unit_mode: false,
        batch: false,
        max_reconsume_times: None,
        bname: None,
    }
}

async fn reply_test(store_reply: bool) {
    let b = TestBroker::start(&format!("admin-reply-{store_reply}"), |s| {
        s.broker.store_reply_message_enable = store_reply;
    })
    .await;
    let broker = &b.running.broker;
    let reply_topic = format!("{}_REPLY_TOPIC", broker.config.broker_cluster_name);
    let (requester, fake) = fake_client(
        &b,
        r#"{"clientID":"requester@1","consumerDataSet":[],"producerDataSet":[{"groupName":"req-producer"}]}"#,
        407,
    )
    .await;

    let props = "REPLY_TO_CLIENT\u{1}requester@1\u{2}CORRELATION_ID\u{1}c-1\u{2}";
    let header = reply_header(&reply_topic, props);
    let send = RemotingCommand::request(
        request_code::SEND_REPLY_MESSAGE,
        Some(header.to_ext_fields()),
    )
    .with_body(&b"the reply"[..]);
    let resp = b.invoke(send).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SUCCESS, None)
    );
    let pushed = fake
        .wait_for(request_code::PUSH_REPLY_MESSAGE_TO_CLIENT)
        .await;
    assert_eq!(pushed.body.as_deref(), Some(&b"the reply"[..]));
    assert_eq!(pushed.ext("topic"), Some(reply_topic.as_str()));
    assert_eq!(pushed.ext("producerGroup"), Some("replier"));
    let pushed_props = pushed.ext("properties").unwrap();
    assert!(pushed_props.contains("REPLY_TO_CLIENT\u{1}requester@1\u{2}"));
    assert!(pushed_props.contains("PUSH_REPLY_TIME\u{1}"));
    assert!(pushed.ext("bornHost").unwrap().starts_with("127.0.0.1:"));
    let h: SendMessageResponseHeader = read_header(&resp).unwrap();
    assert_eq!(resp.ext("MSG_REGION"), Some("DefaultRegion"));
    if store_reply {
        assert_ne!(h.msg_id, "0");
        let (_, offset) =
            ferrocket::store::message::msg_id::parse_offset_msg_id(&h.msg_id).unwrap();
        let record = b.record(offset);
        let r = ferrocket::store::message::StoredRecord::decode(&record).unwrap();
        assert_eq!(r.body, b"the reply");
        assert_eq!(r.topic, reply_topic.as_bytes());
        assert_eq!(r.properties, props.as_bytes(), "stored as sent");
        assert!(broker.store.wait_dispatched(TIMEOUT));
        assert_eq!(broker.store.max_offset_in_queue(&reply_topic, 0), 1);
    } else {
        assert_eq!((h.msg_id.as_str(), h.queue_id, h.queue_offset), ("0", 0, 0));
        assert!(broker.store.wait_dispatched(TIMEOUT));
        assert_eq!(broker.store.max_offset_in_queue(&reply_topic, 0), 0);
    }

    // V2 header, same path.
    let v2: SendMessageRequestHeaderV2 = reply_header(&reply_topic, props).into();
    let send = RemotingCommand::request(
        request_code::SEND_REPLY_MESSAGE_V2,
        Some(v2.to_ext_fields()),
    )
    .with_body(&b"second"[..]);
    let resp = b.invoke(send).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(fake.count(request_code::PUSH_REPLY_MESSAGE_TO_CLIENT), 2);

    // Requester and replier on one connection (one client instance doing both): the push
    // is answered while the reply is still being processed.
    let header = reply_header(&reply_topic, props);
    let send = RemotingCommand::request(
        request_code::SEND_REPLY_MESSAGE,
        Some(header.to_ext_fields()),
    )
    .with_body(&b"to myself"[..]);
    let resp = requester.invoke(&b.addr, send, TIMEOUT).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(fake.count(request_code::PUSH_REPLY_MESSAGE_TO_CLIENT), 3);

    // Java's failures: no REPLY_TO_CLIENT, an unknown requester.
    for (props, remark) in [
        (
            "CORRELATION_ID\u{1}c-2\u{2}",
            "reply message properties[REPLY_TO_CLIENT] is null",
        ),
        (
            "REPLY_TO_CLIENT\u{1}gone@9\u{2}",
            "push reply message fail, channel of <gone@9> not found.",
        ),
    ] {
        let send = RemotingCommand::request(
            request_code::SEND_REPLY_MESSAGE,
            Some(reply_header(&reply_topic, props).to_ext_fields()),
        )
        .with_body(&b"x"[..]);
        let resp = b.invoke(send).await;
        assert_eq!(
            (resp.code, resp.remark.as_deref()),
            (response_code::SYSTEM_ERROR, Some(remark))
        );
    }
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_reaches_the_requester_and_is_stored() {
    reply_test(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_without_storing() {
    reply_test(false).await;
}
