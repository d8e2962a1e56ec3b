//! The admin codes that read or tidy the broker's own state, over TCP: QUERY_CONSUME_TIME_SPAN,
//! QUERY_CONSUME_QUEUE, QUERY_CORRECTION_OFFSET, CLONE_GROUP_OFFSET,
//! GET_SYSTEM_TOPIC_LIST_FROM_BROKER, CLEAN_UNUSED_TOPIC, CLEAN_EXPIRED_CONSUMEQUEUE,
//! DELETE_EXPIRED_COMMITLOG, GET_ALL_PRODUCER_INFO, VIEW_BROKER_STATS_DATA,
//! GET_BROKER_CONSUME_STATS, and the ACL codes as a Java broker with ACL off answers them.

mod broker_pull_common;
mod support;

use broker_pull_common::*;
use ferrocket::fastjson::{self, Value};
use ferrocket::protocol::body::{
    BrokerStatsData, ConsumeStatsList, ProducerTableInfo, QueryConsumeQueueResponseBody,
    QueryConsumeTimeSpanBody, QueryCorrectionOffsetBody, TopicList,
};
use ferrocket::protocol::header::{SendMessageRequestHeader, SendMessageRequestHeaderV2};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, response_code, ExtFields, RemotingCommand};
use std::time::Duration;

fn request(code: i32, pairs: &[(&str, &str)]) -> RemotingCommand {
    let mut ext = ExtFields::new();
    for (k, v) in pairs {
        ext.insert(*k, *v);
    }
    RemotingCommand::request(code, Some(ext))
}

fn ok_body(resp: &RemotingCommand) -> &[u8] {
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None), "{resp:?}");
    resp.body.as_deref().expect("a body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_span_consume_queue_correction_and_clone() {
    let b = TestBroker::start("admin-query-codes", |_| {}).await;
    let broker = &b.running.broker;
    b.create_topic("T", 2);
    let q0: Vec<i64> = (0..3)
        .map(|i| b.put("T", 0, format!("m{i}").as_bytes(), Some("A")))
        .collect();
    b.put("T", 1, b"n0", None);
    broker.offsets.commit("g1", "T", 0, 2);
    broker.offsets.commit("g1", "T", 1, 1);
    broker.offsets.commit("g2", "T", 0, 1);
    broker.offsets.commit("gc", "T", 0, 3);
    broker.offsets.commit("gc", "T", 1, 0);
    let time = |q: i32, o: i64| broker.store.message_store_timestamp("T", q, o);

    // QUERY_CONSUME_TIME_SPAN.
    let resp = b
        .invoke(request(
            request_code::QUERY_CONSUME_TIME_SPAN,
            &[("topic", "T"), ("group", "g1")],
        ))
        .await;
    let body: QueryConsumeTimeSpanBody = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    let spans = &body.consume_time_span_set;
    assert_eq!(spans.len(), 2);
    let s0 = &spans[0];
    assert_eq!(
        (s0.message_queue.topic.as_str(), s0.message_queue.queue_id),
        ("T", 0)
    );
    assert_eq!(s0.min_time_stamp, time(0, 0));
    assert_eq!(s0.max_time_stamp, time(0, 2));
    assert_eq!(s0.consume_time_stamp, time(0, 1));
    assert!(
        s0.delay_time >= 0 && s0.delay_time < 600_000,
        "{}",
        s0.delay_time
    );
    // Fully consumed queue: no delay.
    assert_eq!(
        (spans[1].consume_time_stamp, spans[1].delay_time),
        (time(1, 0), 0)
    );
    let text = String::from_utf8(resp.body.clone().unwrap().to_vec()).unwrap();
    assert!(text.contains(r#""minTimeStampStr":""#), "{text}");
    let resp = b
        .invoke(request(
            request_code::QUERY_CONSUME_TIME_SPAN,
            &[("topic", "Nope"), ("group", "g1")],
        ))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            response_code::TOPIC_NOT_EXIST,
            Some("topic[Nope] not exist")
        )
    );

    // QUERY_CONSUME_QUEUE: units 1.. of queue 0.
    let resp = b
        .invoke(request(
            request_code::QUERY_CONSUME_QUEUE,
            &[
                ("topic", "T"),
                ("queueId", "0"),
                ("index", "1"),
                ("count", "5"),
                ("consumerGroup", "g1"),
            ],
        ))
        .await;
    let cq: QueryConsumeQueueResponseBody = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert_eq!((cq.min_queue_index, cq.max_queue_index), (0, 3));
    let units = cq.queue_data.unwrap();
    assert_eq!(
        units.iter().map(|u| u.physic_offset).collect::<Vec<_>>(),
        q0[1..]
    );
    assert_eq!(units[0].physic_size as usize, b.record(q0[1]).len());
    assert_eq!(units[0].tags_code, 65, "String.hashCode of \"A\"");
    assert_eq!(cq.filter_data.as_deref(), Some("g1@T is not online!"));
    assert!(cq.subscription_data.is_none());
    let resp = b
        .invoke(request(
            request_code::QUERY_CONSUME_QUEUE,
            &[
                ("topic", "T"),
                ("queueId", "0"),
                ("index", "9"),
                ("count", "5"),
            ],
        ))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (0, Some("Index 9 of 0@T is not exist!"))
    );
    assert!(resp.body.is_none());
    let resp = b
        .invoke(request(
            request_code::QUERY_CONSUME_QUEUE,
            &[
                ("topic", "T"),
                ("queueId", "5"),
                ("index", "0"),
                ("count", "1"),
            ],
        ))
        .await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (1, Some("5@T is not exist!"))
    );

    // QUERY_CORRECTION_OFFSET: min over g1 (g2 and gc filtered out), MAX where gc is behind.
    let resp = b
        .invoke(request(
            request_code::QUERY_CORRECTION_OFFSET,
            &[
                ("topic", "T"),
                ("filterGroups", "g2,gc"),
                ("compareGroup", "gc"),
            ],
        ))
        .await;
    let corr: QueryCorrectionOffsetBody = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert_eq!(corr.correction_offsets, [(0, 2), (1, i64::MAX)].into());
    assert_eq!(
        broker.offsets.query("g2", "T", 0),
        1,
        "filtered offsets stay"
    );
    let resp = b
        .invoke(request(
            request_code::QUERY_CORRECTION_OFFSET,
            &[("topic", "T"), ("compareGroup", "nobody")],
        ))
        .await;
    let corr: QueryCorrectionOffsetBody = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert_eq!(corr.correction_offsets, [(0, 1), (1, 0)].into());

    // CLONE_GROUP_OFFSET: every topic of the source when none is named.
    let resp = b
        .invoke(request(
            request_code::CLONE_GROUP_OFFSET,
            &[
                ("srcGroup", "g1"),
                ("destGroup", "gd"),
                ("offline", "false"),
            ],
        ))
        .await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    assert_eq!(
        (
            broker.offsets.query("gd", "T", 0),
            broker.offsets.query("gd", "T", 1)
        ),
        (2, 1)
    );

    // GET_BROKER_CONSUME_STATS: every subscription group with offsets, and the total lag.
    for g in ["g1", "g2"] {
        broker.groups.find_or_create(g).unwrap();
    }
    let resp = b
        .invoke(request(
            request_code::GET_BROKER_CONSUME_STATS,
            &[("isOrder", "false")],
        ))
        .await;
    let list: ConsumeStatsList = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert_eq!(
        list.broker_addr.as_deref(),
        Some(broker.broker_addr.as_str())
    );
    let g1 = list
        .consume_stats_list
        .iter()
        .find_map(|m| m.get("g1"))
        .expect("g1 listed");
    assert_eq!(g1.len(), 1);
    assert_eq!(g1[0].offset_table.len(), 2);
    let g2 = list
        .consume_stats_list
        .iter()
        .find_map(|m| m.get("g2"))
        .expect("g2 listed");
    // g1: (3-2)+(1-1) = 1; g2: (3-1)+(1-0) = 3.
    assert_eq!(
        g2[0]
            .offset_table
            .values()
            .map(|w| w.consumer_offset)
            .sum::<i64>(),
        1
    );
    let expected: i64 = list
        .consume_stats_list
        .iter()
        .flat_map(|m| m.values().flatten())
        .flat_map(|s| s.offset_table.values())
        .map(|w| w.broker_offset - w.consumer_offset)
        .sum();
    assert_eq!(list.total_diff, expected);
    assert!(list.total_diff >= 4);
    let resp = b
        .invoke(request(
            request_code::GET_BROKER_CONSUME_STATS,
            &[("isOrder", "true")],
        ))
        .await;
    let list: ConsumeStatsList = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert!(list
        .consume_stats_list
        .iter()
        .all(|m| m.values().all(|v| v.is_empty())));
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_topics_cleanups_and_producers() {
    let b = TestBroker::start("admin-cleanups", |_| {}).await;
    let broker = &b.running.broker;

    let resp = b
        .invoke(RemotingCommand::request(
            request_code::GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
            None,
        ))
        .await;
    let text = String::from_utf8(ok_body(&resp).to_vec()).unwrap();
    assert!(!text.contains("brokerAddr"), "{text}");
    let list: TopicList = fastjson::decode(&text).unwrap();
    let reply = format!("{}_REPLY_TOPIC", broker.config.broker_cluster_name);
    for t in [
        "TBW102",
        "SCHEDULE_TOPIC_XXXX",
        "RMQ_SYS_TRANS_HALF_TOPIC",
        "OFFSET_MOVED_EVENT",
        broker.config.broker_cluster_name.as_str(),
        broker.config.broker_name.as_str(),
        reply.as_str(),
    ] {
        assert!(
            list.topic_list.iter().any(|x| x == t),
            "{t} missing from {text}"
        );
    }
    let mut dedup = list.topic_list.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), list.topic_list.len());

    // CLEAN_UNUSED_TOPIC drops the queues of a topic whose config is gone, nothing else.
    b.create_topic("Keep", 1);
    b.create_topic("Gone", 1);
    b.put("Keep", 0, b"k", None);
    b.put("Gone", 0, b"g", None);
    broker.topics.delete("Gone").unwrap();
    let cqs = broker.store.consume_queues();
    assert!(cqs.find("Gone", 0).is_some());
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::CLEAN_UNUSED_TOPIC,
            None,
        ))
        .await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    assert!(cqs.find("Gone", 0).is_none());
    assert_eq!(broker.store.max_offset_in_queue("Keep", 0), 1);
    // Nothing expired here: the queues stay.
    for code in [
        request_code::CLEAN_EXPIRED_CONSUMEQUEUE,
        request_code::DELETE_EXPIRED_COMMITLOG,
    ] {
        let resp = b.invoke(RemotingCommand::request(code, None)).await;
        assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    }
    assert_eq!(broker.store.max_offset_in_queue("Keep", 0), 1);
    assert!(!b.record(0).is_empty());

    // GET_ALL_PRODUCER_INFO: the producer registered by this connection's heartbeat.
    let hb = r#"{"clientID":"prod@1","consumerDataSet":[],"producerDataSet":[{"groupName":"pg"}]}"#;
    let resp = b
        .invoke(
            RemotingCommand::request(request_code::HEART_BEAT, None)
                .with_body(hb.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(resp.code, 0);
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::GET_ALL_PRODUCER_INFO,
            None,
        ))
        .await;
    let table: ProducerTableInfo = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    let p = &table.data["pg"][0];
    assert_eq!(
        (p.client_id.as_str(), p.language.as_str(), p.version),
        ("prod@1", "RUST", 407)
    );
    assert!(p.remote_ip.starts_with("/127.0.0.1:"), "{}", p.remote_ip);
    assert!(p.last_update_timestamp > 0);
    b.shutdown().await;
}

fn send_request(topic: &str, body: &[u8]) -> RemotingCommand {
    let h = SendMessageRequestHeader {
        producer_group: "pg".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(String::new()),
        reconsume_times: Some(0),
        unit_mode: false,
        batch: false,
        max_reconsume_times: None,
        bname: None,
    };
    let v2: SendMessageRequestHeaderV2 = h.into();
    RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(v2.to_ext_fields()))
        .with_body(body.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_data_after_sends() {
    let b = TestBroker::start("admin-stats", |_| {}).await;
    let broker = &b.running.broker;
    b.create_topic("S", 1);
    let stats_of = |name: &str, key: &str| {
        request(
            request_code::VIEW_BROKER_STATS_DATA,
            &[("statsName", name), ("statsKey", key)],
        )
    };
    let resp = b.invoke(stats_of("TOPIC_PUT_NUMS", "S")).await;
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (1, Some("The stats <TOPIC_PUT_NUMS> <S> not exist"))
    );

    for i in 0..4 {
        let resp = b
            .invoke(send_request("S", format!("body-{i}").as_bytes()))
            .await;
        assert_eq!(resp.code, 0, "{:?}", resp.remark);
    }
    // Take the samples now rather than waiting for the 10-second tick (a sample an hour ahead
    // is due in every window).
    broker.stats.sample(broker.now_millis() + 3_600_000);
    let resp = b.invoke(stats_of("TOPIC_PUT_NUMS", "S")).await;
    let data: BrokerStatsData = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    for w in [&data.stats_minute, &data.stats_hour, &data.stats_day] {
        assert_eq!((w.sum, w.avgpt), (4, 1.0));
        assert!(w.tps > 0.0);
    }
    let keys: Vec<String> =
        match fastjson::parse(std::str::from_utf8(resp.body.as_deref().unwrap()).unwrap()).unwrap()
        {
            Value::Object(m) => m.iter().filter_map(|(k, _)| k.key_text()).collect(),
            _ => panic!(),
        };
    assert_eq!(keys, ["statsDay", "statsHour", "statsMinute"]);
    let resp = b.invoke(stats_of("TOPIC_PUT_SIZE", "S")).await;
    let data: BrokerStatsData = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert!(data.stats_day.sum > 4 * 6, "whole records counted");
    let cluster = broker.config.broker_cluster_name.clone();
    let resp = b.invoke(stats_of("BROKER_PUT_NUMS", &cluster)).await;
    let data: BrokerStatsData = fastjson::decode_bytes(ok_body(&resp)).unwrap();
    assert_eq!(data.stats_day.sum, 4);
    let resp = b.invoke(stats_of("BROKER_PUT_NUMS", "elsewhere")).await;
    assert_eq!(
        resp.remark.as_deref(),
        Some("The stats <BROKER_PUT_NUMS> <elsewhere> not exist")
    );
    let resp = b.invoke(stats_of("GROUP_GET_NUMS", "S@nobody")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    b.shutdown().await;
}

#[tokio::test]
async fn acl_codes_answer_as_java_with_acl_off() {
    let b = TestBroker::start("admin-acl", |_| {}).await;
    let npe = |call: &str| {
        format!("Cannot invoke \"org.apache.rocketmq.acl.AccessValidator.{call}\" because \"accessValidator\" is null")
    };
    let resp = b
        .invoke(request(
            request_code::UPDATE_AND_CREATE_ACL_CONFIG,
            &[("accessKey", "ak"), ("secretKey", "sk12345678")],
        ))
        .await;
    assert_eq!(
        resp.code,
        response_code::UPDATE_AND_CREATE_ACL_CONFIG_FAILED
    );
    assert_eq!(
        resp.remark,
        Some(npe(
            "updateAccessConfig(org.apache.rocketmq.common.PlainAccessConfig)"
        ))
    );
    let resp = b
        .invoke(request(
            request_code::DELETE_ACL_CONFIG,
            &[("accessKey", "ak")],
        ))
        .await;
    assert_eq!(resp.code, response_code::DELETE_ACL_CONFIG_FAILED);
    assert_eq!(resp.remark, Some(npe("deleteAccessConfig(String)")));
    let resp = b
        .invoke(request(
            request_code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
            &[
                ("globalWhiteAddrs", "10.0.0.1"),
                ("aclFileFullPath", "/x/plain_acl.yml"),
            ],
        ))
        .await;
    assert_eq!(
        resp.code,
        response_code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED
    );
    assert_eq!(
        resp.remark,
        Some(npe("updateGlobalWhiteAddrsConfig(java.util.List, String)"))
    );
    // The header is checked first: a missing accessKey is Java's header error.
    let resp = b
        .invoke(request(request_code::DELETE_ACL_CONFIG, &[]))
        .await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    // The two reads get no response at all; the connection keeps serving.
    for code in [
        request_code::GET_BROKER_CLUSTER_ACL_INFO,
        request_code::GET_BROKER_CLUSTER_ACL_CONFIG,
    ] {
        let r = b
            .client
            .invoke(
                &b.addr,
                RemotingCommand::request(code, None),
                Duration::from_millis(300),
            )
            .await;
        assert!(r.is_err(), "code {code} answered: {r:?}");
    }
    let resp = b
        .invoke(RemotingCommand::request(
            request_code::GET_BROKER_RUNTIME_INFO,
            None,
        ))
        .await;
    assert_eq!(resp.code, 0);
    b.shutdown().await;
}
