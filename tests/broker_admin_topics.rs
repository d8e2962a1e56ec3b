//! Topic, subscription-group, offset and connection administration over TCP against a test
//! broker: the codes `mqadmin` uses, with bodies read back through the wire types and compared
//! to the shapes Java 4.9.7 answers with (golden `frames/admin.jsonl`).

mod support;

use bytes::Bytes;
use ferrocket::fastjson::{self, Value};
use ferrocket::protocol::body::{
    ConsumeStats, ConsumerConnection, GroupList, KvTable, ProducerConnection,
    TopicConfigSerializeWrapper, TopicStatsTable,
};
use ferrocket::protocol::header::{
    CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetProducerConnectionListRequestHeader, GetTopicStatsInfoRequestHeader,
    PullMessageRequestHeader, QueryTopicConsumeByWhoRequestHeader,
};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::metadata::{ConsumerOffsetTable, SubscriptionGroupTable};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::TempDir;

struct Admin {
    client: RemotingClient,
    addr: String,
}

impl Admin {
    async fn call(&self, req: RemotingCommand) -> RemotingCommand {
        self.client
            .invoke(&self.addr, req, Duration::from_secs(5))
            .await
            .expect("broker answers")
    }

    async fn code(&self, code: i32, header: &impl CommandHeader) -> RemotingCommand {
        self.call(RemotingCommand::request(code, Some(header.to_ext_fields())))
            .await
    }

    async fn bare(&self, code: i32) -> RemotingCommand {
        self.call(RemotingCommand::request(code, None)).await
    }
}

/// The response's code and remark are `code` and `remark` (Java's texts, exactly).
#[track_caller]
fn assert_answer(resp: &RemotingCommand, code: i32, remark: Option<&str>) {
    assert_eq!(resp.code, code, "code (remark {:?})", resp.remark);
    assert_eq!(resp.remark.as_deref(), remark);
}

fn create_topic(topic: &str, queues: i32) -> CreateTopicRequestHeader {
    CreateTopicRequestHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
    }
}

fn body_json(resp: &RemotingCommand) -> Value {
    let body = resp.body.as_deref().expect("a body");
    fastjson::parse(std::str::from_utf8(body).unwrap()).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, _)| k.key_text())
        .collect();
    k.sort();
    k
}

fn put(store: &ferrocket::store::message_store::MessageStore, topic: &str, queue_id: i32) {
    let r = store.put_message(MessageExtBrokerInner::new(
        topic,
        queue_id,
        Bytes::from_static(b"admin test body"),
    ));
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn topics_groups_offsets_and_stats() {
    let dir = TempDir::new("admin-topics");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let broker = running.broker.clone();
    let admin = Admin {
        client: RemotingClient::new(ClientConfig::default()),
        addr: running.local_addrs[0].to_string(),
    };

    // UPDATE_AND_CREATE_TOPIC: Java answers SUCCESS with the remark it started with.
    let resp = admin
        .code(
            request_code::UPDATE_AND_CREATE_TOPIC,
            &create_topic("AdminTopic", 8),
        )
        .await;
    assert_answer(
        &resp,
        response_code::SUCCESS,
        Some("not set any response code"),
    );
    let resp = admin
        .code(
            request_code::UPDATE_AND_CREATE_TOPIC,
            &create_topic("SCHEDULE_TOPIC_XXXX", 8),
        )
        .await;
    assert_answer(
        &resp,
        response_code::SYSTEM_ERROR,
        Some("The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic."),
    );
    let resp = admin
        .code(
            request_code::UPDATE_AND_CREATE_TOPIC,
            &create_topic("bad topic!", 8),
        )
        .await;
    assert_answer(
        &resp,
        response_code::SYSTEM_ERROR,
        Some("The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"),
    );

    // GET_ALL_TOPIC_CONFIG: the wrapper with its version; empty extFields as Java.
    let resp = admin.bare(request_code::GET_ALL_TOPIC_CONFIG).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert!(resp.ext_fields.as_ref().is_some_and(|e| e.is_empty()));
    assert_eq!(keys(&body_json(&resp)), ["dataVersion", "topicConfigTable"]);
    let all: TopicConfigSerializeWrapper =
        fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    let t = all.topic_config_table.get("AdminTopic").expect("created");
    assert_eq!((t.read_queue_nums, t.write_queue_nums, t.perm), (8, 8, 6));
    assert!(all.topic_config_table.get("TBW102").is_some());

    // Messages in queues 0 and 3, then GET_TOPIC_STATS_INFO.
    let store = broker.store.clone();
    tokio::task::spawn_blocking(move || {
        for _ in 0..3 {
            put(&store, "AdminTopic", 0);
        }
        put(&store, "AdminTopic", 3);
        assert!(store.wait_dispatched(Duration::from_secs(10)));
    })
    .await
    .unwrap();
    let heartbeat = r#"{"clientID":"127.0.0.1@9#9","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"puller","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":0,"tagsSet":[],"topic":"AdminTopic"}],"unitMode":false}],"producerDataSet":[]}"#;
    let resp = admin
        .call(
            RemotingCommand::request(request_code::HEART_BEAT, None)
                .with_body(heartbeat.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    // A pull of queue 0 is counted for the runtime info (the pull path's stats hook).
    let pull = PullMessageRequestHeader {
        consumer_group: "puller".into(),
        topic: "AdminTopic".into(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: 2,
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        bname: None,
    };
    let resp = admin.code(request_code::PULL_MESSAGE, &pull).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let resp = admin.bare(request_code::GET_BROKER_RUNTIME_INFO).await;
    let info: KvTable = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(info.table["msgGetTotalTodayNow"], "3");

    let stats_req = GetTopicStatsInfoRequestHeader {
        topic: "AdminTopic".into(),
    };
    let resp = admin
        .code(request_code::GET_TOPIC_STATS_INFO, &stats_req)
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let text = std::str::from_utf8(resp.body.as_deref().unwrap()).unwrap();
    assert!(
        text.starts_with(r#"{"offsetTable":{{"brokerName":"broker-test","queueId":"#),
        "{text}"
    );
    let stats: TopicStatsTable = fastjson::decode(text).unwrap();
    assert_eq!(stats.offset_table.len(), 8);
    let q = |id: i32| {
        stats
            .offset_table
            .iter()
            .find(|(mq, _)| mq.queue_id == id)
            .map(|(_, o)| o.clone())
            .unwrap()
    };
    assert_eq!((q(0).min_offset, q(0).max_offset), (0, 3));
    assert!(q(0).last_update_timestamp > 1_700_000_000_000);
    assert_eq!(q(3).max_offset, 1);
    assert_eq!((q(5).max_offset, q(5).last_update_timestamp), (0, 0));
    let resp = admin
        .code(
            request_code::GET_TOPIC_STATS_INFO,
            &GetTopicStatsInfoRequestHeader {
                topic: "NoSuchTopic".into(),
            },
        )
        .await;
    assert_answer(
        &resp,
        response_code::TOPIC_NOT_EXIST,
        Some("topic[NoSuchTopic] not exist"),
    );

    // Subscription groups: the golden mqadmin updateSubGroup body.
    let version_before = broker.groups.data_version();
    let golden_group = r#"{"brokerId":0,"consumeBroadcastEnable":false,"consumeEnable":true,"consumeFromMinEnable":false,"groupName":"GoldenAdminGroup","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#;
    let resp = admin
        .call(
            RemotingCommand::request(request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, None)
                .with_body(golden_group.as_bytes().to_vec()),
        )
        .await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    let resp = admin
        .bare(request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG)
        .await;
    let groups: SubscriptionGroupTable =
        fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    let g = groups
        .subscription_group_table
        .get("GoldenAdminGroup")
        .expect("group created");
    assert!(!g.consume_broadcast_enable);
    assert!(groups
        .subscription_group_table
        .get("TOOLS_CONSUMER")
        .is_some());
    assert_eq!(groups.data_version.counter, version_before.counter + 1);

    // Offsets: committed by the group on queue 0, then consume stats and who-consumes.
    broker
        .offsets
        .commit("GoldenAdminGroup", "AdminTopic", 0, 2);
    let resp = admin.bare(request_code::GET_ALL_CONSUMER_OFFSET).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let offsets: ConsumerOffsetTable =
        fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(offsets.offset("AdminTopic", "GoldenAdminGroup", 0), Some(2));
    let text = String::from_utf8(resp.body.unwrap().to_vec()).unwrap();
    assert_eq!(
        text,
        r#"{"offsetTable":{"AdminTopic@GoldenAdminGroup":{0:2}}}"#
    );

    let resp = admin
        .code(
            request_code::GET_CONSUME_STATS,
            &GetConsumeStatsRequestHeader {
                consumer_group: "GoldenAdminGroup".into(),
                topic: None,
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(keys(&body_json(&resp)), ["consumeTps", "offsetTable"]);
    let cs: ConsumeStats = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(cs.offset_table.len(), 8, "one entry per read queue");
    let (_, w0) = cs
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 0 && mq.topic == "AdminTopic")
        .unwrap();
    assert_eq!((w0.broker_offset, w0.consumer_offset), (3, 2));
    assert!(w0.last_timestamp > 1_700_000_000_000);
    let (_, w3) = cs
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 3)
        .unwrap();
    assert_eq!(
        (w3.broker_offset, w3.consumer_offset, w3.last_timestamp),
        (1, 0, 0)
    );

    let resp = admin
        .code(
            request_code::QUERY_TOPIC_CONSUME_BY_WHO,
            &QueryTopicConsumeByWhoRequestHeader {
                topic: "AdminTopic".into(),
            },
        )
        .await;
    let who: GroupList = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    // The group with offsets and the online subscriber.
    assert_eq!(who.group_list, ["GoldenAdminGroup", "puller"]);

    // DELETE_SUBSCRIPTIONGROUP with removeOffset: group and its offsets are gone.
    let resp = admin
        .code(
            request_code::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: "GoldenAdminGroup".into(),
                remove_offset: true,
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert!(broker.groups.get("GoldenAdminGroup").is_none());
    assert_eq!(
        broker.offsets.query("GoldenAdminGroup", "AdminTopic", 0),
        -1
    );

    // DELETE_TOPIC_IN_BROKER: config, queues and offsets gone; system topics refused.
    broker.offsets.commit("other", "AdminTopic", 1, 1);
    let resp = admin
        .code(
            request_code::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "AdminTopic".into(),
            },
        )
        .await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    assert!(broker.topics.get("AdminTopic").is_none());
    // As Java, each queue's directory goes (the topic's own directory may stay, empty).
    assert!(!dir.path().join("consumequeue/AdminTopic/0").exists());
    assert!(!dir.path().join("consumequeue/AdminTopic/3").exists());
    assert_eq!(broker.store.max_offset_in_queue("AdminTopic", 0), 0);
    assert_eq!(broker.offsets.query("other", "AdminTopic", 1), -1);
    let resp = admin
        .code(
            request_code::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "TBW102".into(),
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert!(broker.topics.get("TBW102").is_some());

    admin.client.shutdown();
    running.shutdown().await;
}

#[tokio::test]
async fn connection_lists_follow_heartbeats() {
    let dir = TempDir::new("admin-conns");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let admin = Admin {
        client: RemotingClient::new(ClientConfig::default()),
        addr: running.local_addrs[0].to_string(),
    };
    let resp = admin
        .code(
            request_code::GET_CONSUMER_CONNECTION_LIST,
            &GetConsumerConnectionListRequestHeader {
                consumer_group: "cg".into(),
            },
        )
        .await;
    assert_answer(
        &resp,
        response_code::CONSUMER_NOT_ONLINE,
        Some("the consumer group[cg] not online"),
    );
    let resp = admin
        .code(
            request_code::GET_PRODUCER_CONNECTION_LIST,
            &GetProducerConnectionListRequestHeader {
                producer_group: "pg".into(),
            },
        )
        .await;
    assert_answer(
        &resp,
        response_code::SYSTEM_ERROR,
        Some("the producer group[pg] not exist"),
    );

    let heartbeat = r#"{"clientID":"127.0.0.1@7#7","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":5,"tagsSet":[],"topic":"T"}],"unitMode":false}],"producerDataSet":[{"groupName":"pg"}]}"#;
    let resp = admin
        .call(
            RemotingCommand::request(request_code::HEART_BEAT, None)
                .with_body(heartbeat.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);

    let resp = admin
        .code(
            request_code::GET_CONSUMER_CONNECTION_LIST,
            &GetConsumerConnectionListRequestHeader {
                consumer_group: "cg".into(),
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    // Java's key set (golden GET_CONSUMER_CONNECTION_LIST response).
    assert_eq!(
        keys(&body_json(&resp)),
        [
            "connectionSet",
            "consumeFromWhere",
            "consumeType",
            "messageModel",
            "subscriptionTable"
        ]
    );
    let cc: ConsumerConnection = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(cc.connection_set.len(), 1);
    let c = &cc.connection_set[0];
    assert_eq!(c.client_id, "127.0.0.1@7#7");
    assert!(c.client_addr.starts_with("127.0.0.1:"), "{}", c.client_addr);
    assert_eq!(c.language, "RUST");
    assert_eq!(cc.subscription_table["T"].sub_version, 5);

    let resp = admin
        .code(
            request_code::GET_PRODUCER_CONNECTION_LIST,
            &GetProducerConnectionListRequestHeader {
                producer_group: "pg".into(),
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let pc: ProducerConnection = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(pc.connection_set.len(), 1);
    assert_eq!(pc.connection_set[0].client_id, "127.0.0.1@7#7");
    assert_eq!(
        keys(
            &body_json(&resp)
                .get("connectionSet")
                .unwrap()
                .as_array()
                .unwrap()[0]
        ),
        ["clientAddr", "clientId", "language", "version"]
    );

    // QUERY_TOPIC_CONSUME_BY_WHO sees the online subscription.
    let resp = admin
        .code(
            request_code::QUERY_TOPIC_CONSUME_BY_WHO,
            &QueryTopicConsumeByWhoRequestHeader { topic: "T".into() },
        )
        .await;
    let who: GroupList = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(who.group_list, ["cg"]);

    admin.client.shutdown();
    running.shutdown().await;
}

/// Java crashes when a topic is deleted with messages to it in flight. Here writers keep
/// putting to the topic while it is deleted: nothing panics, the broker keeps answering, the
/// topic is gone from the table afterwards, and the store still takes and dispatches messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topic_while_messages_are_in_flight() {
    let dir = TempDir::new("admin-delete-race");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let broker = running.broker.clone();
    let admin = Admin {
        client: RemotingClient::new(ClientConfig::default()),
        addr: running.local_addrs[0].to_string(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stored = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for w in 0..2 {
        let store = broker.store.clone();
        let stop = stop.clone();
        let stored = stored.clone();
        writers.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = store.put_message(MessageExtBrokerInner::new(
                    "Doomed",
                    (i + w) % 4,
                    Bytes::from(vec![b'x'; 200]),
                ));
                if r.is_ok() {
                    stored.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
                // A busy sender, not a flood the debug-build dispatcher cannot keep up with.
                std::thread::sleep(Duration::from_micros(100));
            }
        }));
    }
    for round in 0..5 {
        let resp = admin
            .code(
                request_code::UPDATE_AND_CREATE_TOPIC,
                &create_topic("Doomed", 4),
            )
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "round {round}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let resp = admin
            .code(
                request_code::DELETE_TOPIC_IN_BROKER,
                &DeleteTopicRequestHeader {
                    topic: "Doomed".into(),
                },
            )
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "round {round}");
        // The broker keeps serving other requests meanwhile.
        let resp = admin
            .code(
                request_code::GET_TOPIC_STATS_INFO,
                &GetTopicStatsInfoRequestHeader {
                    topic: "Doomed".into(),
                },
            )
            .await;
        assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST, "round {round}");
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("no writer panicked");
    }
    assert!(stored.load(Ordering::Relaxed) > 0);
    assert!(broker.topics.get("Doomed").is_none());
    // Writes that raced the last delete may have left units behind (as in Java); once they
    // are dispatched, a delete with nothing in flight leaves nothing, and the topic starts again from offset 0 when a
    // send re-creates it from TBW102 (auto-creation is on).
    let store = broker.store.clone();
    let settled =
        tokio::task::spawn_blocking(move || store.wait_dispatched(Duration::from_secs(30)))
            .await
            .unwrap();
    assert!(settled);
    let resp = admin
        .code(
            request_code::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "Doomed".into(),
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    for q in 0..4 {
        assert_eq!(
            broker.store.max_offset_in_queue("Doomed", q),
            0,
            "queue {q}"
        );
        let qdir = dir.path().join(format!("consumequeue/Doomed/{q}"));
        let listing: Vec<_> = std::fs::read_dir(&qdir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| (e.file_name(), e.metadata().map(|m| m.len()).ok()))
                    .collect()
            })
            .unwrap_or_default();
        assert!(!qdir.exists(), "{listing:?}");
    }
    let (config, created) = broker
        .topics
        .create_in_send("Doomed", "TBW102", 4, 0)
        .unwrap();
    assert!(created);
    assert_eq!(config.unwrap().write_queue_nums, 4);
    let store = broker.store.clone();
    tokio::task::spawn_blocking(move || {
        let r = store.put_message(MessageExtBrokerInner::new(
            "Doomed",
            2,
            Bytes::from_static(b"reborn"),
        ));
        assert_eq!(r.append.as_ref().unwrap().logics_offset, 0);
        assert!(store.wait_dispatched(Duration::from_secs(10)));
        assert_eq!(store.max_offset_in_queue("Doomed", 2), 1);
    })
    .await
    .unwrap();
    // The store is healthy: a new message to another topic is stored and dispatched.
    let store = broker.store.clone();
    tokio::task::spawn_blocking(move || {
        put(&store, "Survivor", 0);
        assert!(store.wait_dispatched(Duration::from_secs(10)));
        assert_eq!(store.max_offset_in_queue("Survivor", 0), 1);
    })
    .await
    .unwrap();
    let resp = admin.bare(request_code::GET_BROKER_RUNTIME_INFO).await;
    assert_eq!(resp.code, response_code::SUCCESS);

    admin.client.shutdown();
    running.shutdown().await;
}

/// A slave refuses topic and group changes with Java's remark (`validateSlave`) and still
/// answers the read-only codes its own slaves and tools use.
#[tokio::test]
async fn slave_refuses_changes() {
    let dir = TempDir::new("admin-slave");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.store.broker_role = ferrocket::store::config::BrokerRole::Slave;
        s.broker.broker_id = 1;
    })
    .await;
    let admin = Admin {
        client: RemotingClient::new(ClientConfig::default()),
        addr: running.local_addrs[0].to_string(),
    };
    let refusal = Some(
        "Can't modify topic or subscription group from slave broker, please execute it from master broker.",
    );
    let resp = admin
        .code(request_code::UPDATE_AND_CREATE_TOPIC, &create_topic("T", 4))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SYSTEM_ERROR, refusal)
    );
    let resp = admin
        .code(
            request_code::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: "TOOLS_CONSUMER".into(),
                remove_offset: false,
            },
        )
        .await;
    assert_eq!(resp.remark.as_deref(), refusal);
    assert!(running.broker.groups.get("TOOLS_CONSUMER").is_some());
    assert!(running.broker.topics.get("T").is_none());
    let resp = admin.bare(request_code::GET_ALL_TOPIC_CONFIG).await;
    assert_eq!(resp.code, response_code::SUCCESS);

    admin.client.shutdown();
    running.shutdown().await;
}

fn send_v2(topic: &str, queue_id: i32) -> RemotingCommand {
    let header = ferrocket::protocol::header::SendMessageRequestHeaderV2 {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: Some(String::new()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: false,
        broker_name: Some("broker-test".into()),
    };
    RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(header.to_ext_fields()))
        .with_body(&b"hot message"[..])
}

/// A producer keeps sending over TCP while an admin deletes the topic again and again: every
/// send is answered (auto-creation brings the topic back), nothing panics, the runtime info
/// counts exactly the stored sends, and after the producer stops a delete leaves no topic
/// until the next send re-creates it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topic_while_a_producer_sends() {
    let dir = TempDir::new("admin-delete-send");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let broker = running.broker.clone();
    let addr = running.local_addrs[0].to_string();
    let admin = Admin {
        client: RemotingClient::new(ClientConfig::default()),
        addr: addr.clone(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let stop = stop.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            let client = RemotingClient::new(ClientConfig::default());
            let (mut ok, mut other) = (0u64, Vec::new());
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let resp = client
                    .invoke(&addr, send_v2("Hot", i % 4), Duration::from_secs(5))
                    .await
                    .expect("every send is answered");
                if resp.code == response_code::SUCCESS {
                    ok += 1;
                } else {
                    other.push((resp.code, resp.remark));
                }
                i += 1;
            }
            client.shutdown();
            (ok, other)
        })
    };
    for round in 0..5 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let resp = admin
            .code(
                request_code::DELETE_TOPIC_IN_BROKER,
                &DeleteTopicRequestHeader {
                    topic: "Hot".into(),
                },
            )
            .await;
        assert_eq!(resp.code, response_code::SUCCESS, "round {round}");
    }
    stop.store(true, Ordering::Relaxed);
    let (ok, other) = producer.await.expect("producer task did not panic");
    assert!(ok > 0);
    // A send that raced a delete may be refused with a clear code, never dropped.
    for (code, remark) in &other {
        assert_ne!(*code, response_code::SUCCESS, "{remark:?}");
    }
    let resp = admin.bare(request_code::GET_BROKER_RUNTIME_INFO).await;
    let info: KvTable = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(info.table["msgPutTotalTodayNow"], ok.to_string());

    let store = broker.store.clone();
    assert!(
        tokio::task::spawn_blocking(move || store.wait_dispatched(Duration::from_secs(30)))
            .await
            .unwrap()
    );
    let resp = admin
        .code(
            request_code::DELETE_TOPIC_IN_BROKER,
            &DeleteTopicRequestHeader {
                topic: "Hot".into(),
            },
        )
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert!(broker.topics.get("Hot").is_none());
    for q in 0..4 {
        assert_eq!(broker.store.max_offset_in_queue("Hot", q), 0);
    }
    let resp = admin.call(send_v2("Hot", 1)).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(
        resp.ext("queueOffset"),
        Some("0"),
        "the topic starts afresh"
    );
    assert_eq!(broker.topics.get("Hot").unwrap().write_queue_nums, 4);

    admin.client.shutdown();
    running.shutdown().await;
}
