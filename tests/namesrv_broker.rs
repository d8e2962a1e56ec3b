//! A stand-in broker and Java-like clients against a ferrocket NameServer over TCP: master and
//! slave registration (JSON and ROCKETMQ headers, plain and compressed bodies), route and cluster
//! queries as 4.9.7 and pre-4.9.4 clients make them, connection close and expiry, the KV store
//! surviving a restart, and the admin requests.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::TempDir;

use ferrocket::fastjson;
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{ManualClock, Namesrv, NamesrvSettings, BROKER_CHANNEL_EXPIRED_MILLIS};
use ferrocket::protocol::body::{
    decode_body, encode_body, ClusterInfo, DataVersion, KvTable, RegisterBrokerBody, TopicConfig,
    TopicList, TopicRouteData,
};
use ferrocket::protocol::header::namesrv::{
    GetRouteInfoRequestHeader, RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader,
};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, ExtFields, RemotingClient, RemotingCommand,
    SerializeType,
};

const T: Duration = Duration::from_secs(5);

fn settings(dir: &Path) -> NamesrvSettings {
    let mut s = NamesrvSettings::default();
    s.namesrv.kv_config_path = dir.join("kvConfig.json").to_string_lossy().into_owned();
    s.namesrv.config_store_path = dir
        .join("namesrv.properties")
        .to_string_lossy()
        .into_owned();
    s
}

async fn start(dir: &Path, clock: Arc<ManualClock>) -> (NamesrvServer, String) {
    let ns = Arc::new(Namesrv::with_clock(
        settings(dir),
        clock,
        BROKER_CHANNEL_EXPIRED_MILLIS,
    ));
    let server = NamesrvServer::start(ns, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start");
    let addr = server.local_addr().to_string();
    (server, addr)
}

fn client() -> RemotingClient {
    RemotingClient::new(ClientConfig::default())
}

fn topic_table(counter: i64, topics: &[(&str, i32)]) -> RegisterBrokerBody {
    let mut body = RegisterBrokerBody::default();
    body.topic_config_serialize_wrapper.data_version = DataVersion {
        timestamp: 1_795_422_071_140,
        counter,
    };
    for (name, queues) in topics {
        body.topic_config_serialize_wrapper
            .topic_config_table
            .insert(
                name.to_string(),
                TopicConfig::new(*name, *queues, *queues, 6),
            );
    }
    body
}

/// REGISTER_BROKER as a Java broker sends it.
fn register_request(
    name: &str,
    addr: &str,
    id: i64,
    body: &RegisterBrokerBody,
    compressed: bool,
    serialize: SerializeType,
) -> RemotingCommand {
    let bytes = if compressed {
        body.encode_compressed()
    } else {
        encode_body(body)
    };
    let header = RegisterBrokerRequestHeader {
        broker_name: name.to_string(),
        broker_addr: addr.to_string(),
        cluster_name: "DefaultCluster".to_string(),
        ha_server_addr: format!("{addr}-ha"),
        broker_id: id,
        compressed,
        body_crc32: Some((crc32fast::hash(&bytes) & 0x7FFF_FFFF) as i32),
    };
    let mut req =
        RemotingCommand::request(request_code::REGISTER_BROKER, Some(header.to_ext_fields()))
            .with_body(bytes);
    req.serialize_type = serialize;
    req
}

fn route_request(topic: &str, version: i32) -> RemotingCommand {
    let header = GetRouteInfoRequestHeader {
        topic: topic.to_string(),
        accept_standard_json_only: None,
    };
    let mut req = RemotingCommand::request(
        request_code::GET_ROUTEINFO_BY_TOPIC,
        Some(header.to_ext_fields()),
    );
    req.version = version;
    req
}

fn ext(pairs: &[(&str, &str)]) -> Option<ExtFields> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn body_text(resp: &RemotingCommand) -> String {
    String::from_utf8(resp.body.as_deref().unwrap_or_default().to_vec()).expect("utf-8")
}

/// Polls `check` until true (the NameServer reacts to a closed connection asynchronously).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn master_and_slave_register_and_clients_read_routes_in_both_dialects() {
    let dir = TempDir::new("ns-broker");
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(1_000_000))).await;
    let master = client();
    let slave = client();

    // Master: JSON header, plain JSON body.
    let body = topic_table(1, &[("TopicA", 8), ("TBW102", 8)]);
    let req = register_request(
        "broker-a",
        "127.0.0.1:10911",
        0,
        &body,
        false,
        SerializeType::Json,
    );
    let resp = master.invoke(&ns_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        resp.ext_fields,
        Some(ExtFields::new()),
        "a master gets `extFields:{{}}`"
    );
    assert!(
        resp.body.is_none(),
        "no ORDER_TOPIC_CONFIG namespace, no body"
    );

    // Slave: ROCKETMQ binary header, compressed body; answered in binary with the master's
    // addresses.
    let req = register_request(
        "broker-a",
        "127.0.0.1:11911",
        1,
        &body,
        true,
        SerializeType::RocketMq,
    );
    let resp = slave.invoke(&ns_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(resp.serialize_type, SerializeType::RocketMq);
    assert_eq!(resp.ext("masterAddr"), Some("127.0.0.1:10911"));
    assert_eq!(resp.ext("haServerAddr"), Some("127.0.0.1:10911-ha"));

    // A 4.9.7 client (version 407) gets standard JSON, byte for byte what Java writes.
    let client_ = client();
    let resp = client_
        .invoke(&ns_addr, route_request("TopicA", 407), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        body_text(&resp),
        r#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:11911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#
    );
    // A 4.9.3 client (version 399 < V4_9_4) gets fastjson's bare integer keys.
    let resp = client_
        .invoke(&ns_addr, route_request("TopicA", 399), T)
        .await
        .unwrap();
    assert!(
        body_text(&resp).contains(r#""brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:11911"}"#),
        "{}",
        body_text(&resp)
    );
    let route: TopicRouteData = decode_body(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        route.broker_datas[0].select_broker_addr(),
        Some("127.0.0.1:10911")
    );

    // Unknown topic: Java's code and remark.
    let resp = client_
        .invoke(&ns_addr, route_request("Nope", 407), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);
    assert_eq!(
        resp.remark.as_deref(),
        Some("No topic route info in name server for the topic: Nope\nSee http://rocketmq.apache.org/docs/faq/ for further details.")
    );

    // Cluster info: always bare keys.
    let resp = client_
        .invoke(
            &ns_addr,
            RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        body_text(&resp),
        r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:11911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#
    );

    // The master's connection closes: its address goes, the slave keeps the route alive.
    master.shutdown();
    let ns = server.namesrv().clone();
    eventually("master removed", || {
        ns.route.broker_live_info("127.0.0.1:10911").is_none()
    })
    .await;
    let resp = client_
        .invoke(&ns_addr, route_request("TopicA", 407), T)
        .await
        .unwrap();
    let route: TopicRouteData = decode_body(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        route.broker_datas[0]
            .broker_addrs
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );

    // Then the slave unregisters (as on SIGTERM): the topic is gone.
    let header = UnRegisterBrokerRequestHeader {
        broker_name: "broker-a".into(),
        broker_addr: "127.0.0.1:11911".into(),
        cluster_name: "DefaultCluster".into(),
        broker_id: 1,
    };
    let resp = slave
        .invoke(
            &ns_addr,
            RemotingCommand::request(
                request_code::UNREGISTER_BROKER,
                Some(header.to_ext_fields()),
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        (resp.code, resp.ext_fields.is_none()),
        (response_code::SUCCESS, true)
    );
    let resp = client_
        .invoke(&ns_addr, route_request("TopicA", 407), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);

    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_broker_expires_after_120_s_and_its_connection_is_closed() {
    let dir = TempDir::new("ns-expiry");
    let clock = Arc::new(ManualClock::new(5_000_000));
    let (server, ns_addr) = start(dir.path(), clock.clone()).await;
    let broker = client();
    let body = topic_table(3, &[("TopicE", 4)]);
    let resp = broker
        .invoke(
            &ns_addr,
            register_request(
                "broker-e",
                "10.0.0.1:10911",
                0,
                &body,
                false,
                SerializeType::Json,
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let conn = broker.connection(&ns_addr).await.unwrap();

    clock.advance(BROKER_CHANNEL_EXPIRED_MILLIS);
    assert_eq!(
        server.processor().scan_not_active_brokers(),
        0,
        "exactly 120 s is not yet expired"
    );
    assert!(!conn.is_closed());

    // A QUERY_DATA_VERSION with an unchanged version counts as a heartbeat.
    let mut q = RemotingCommand::request(
        request_code::QUERY_DATA_VERSION,
        ext(&[
            ("brokerName", "broker-e"),
            ("brokerAddr", "10.0.0.1:10911"),
            ("clusterName", "DefaultCluster"),
            ("brokerId", "0"),
        ]),
    );
    q.body = Some(encode_body(&body.topic_config_serialize_wrapper.data_version).into());
    let resp = broker.invoke(&ns_addr, q, T).await.unwrap();
    assert_eq!(resp.ext("changed"), Some("false"));
    assert_eq!(
        decode_body::<DataVersion>(resp.body.as_deref().unwrap())
            .unwrap()
            .counter,
        3
    );

    clock.advance(BROKER_CHANNEL_EXPIRED_MILLIS);
    assert_eq!(
        server.processor().scan_not_active_brokers(),
        0,
        "the heartbeat reset the timer"
    );
    clock.advance(1);
    assert_eq!(server.processor().scan_not_active_brokers(), 1);
    tokio::time::timeout(T, conn.closed())
        .await
        .expect("the NameServer closes the expired broker's connection");
    let probe = client();
    let resp = probe
        .invoke(&ns_addr, route_request("TopicE", 407), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::TOPIC_NOT_EXIST);

    server.shutdown().await;
}

#[tokio::test]
async fn kv_config_is_persisted_in_javas_format_and_reloaded_after_restart() {
    let dir = TempDir::new("ns-kv");
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(0))).await;
    let admin = client();
    let put = |ns: &str, k: &str, v: &str| {
        RemotingCommand::request(
            request_code::PUT_KV_CONFIG,
            ext(&[("namespace", ns), ("key", k), ("value", v)]),
        )
    };
    for (ns, k, v) in [
        ("GoldenNamespace", "goldenKey", "goldenValue"),
        ("ORDER_TOPIC_CONFIG", "TopicO", "broker-a:4"),
    ] {
        let resp = admin.invoke(&ns_addr, put(ns, k, v), T).await.unwrap();
        assert_eq!(resp.code, response_code::SUCCESS);
    }
    let file = std::fs::read_to_string(dir.path().join("kvConfig.json")).unwrap();
    assert_eq!(
        file,
        r#"{"configTable":{"GoldenNamespace":{"goldenKey":"goldenValue"},"ORDER_TOPIC_CONFIG":{"TopicO":"broker-a:4"}}}"#
    );
    server.shutdown().await;

    // A new NameServer on the same file knows the values.
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(0))).await;
    let admin = client();
    let get = RemotingCommand::request(
        request_code::GET_KV_CONFIG,
        ext(&[("namespace", "GoldenNamespace"), ("key", "goldenKey")]),
    );
    let resp = admin.invoke(&ns_addr, get, T).await.unwrap();
    assert_eq!(
        (resp.code, resp.ext("value")),
        (response_code::SUCCESS, Some("goldenValue"))
    );

    let list = RemotingCommand::request(
        request_code::GET_KVLIST_BY_NAMESPACE,
        ext(&[("namespace", "GoldenNamespace")]),
    );
    let resp = admin.invoke(&ns_addr, list, T).await.unwrap();
    assert_eq!(body_text(&resp), r#"{"table":{"goldenKey":"goldenValue"}}"#);

    // A registration answers with the ORDER_TOPIC_CONFIG namespace as body.
    let broker = client();
    let body = topic_table(1, &[("TopicO", 4)]);
    let resp = broker
        .invoke(
            &ns_addr,
            register_request(
                "broker-a",
                "127.0.0.1:10911",
                0,
                &body,
                false,
                SerializeType::Json,
            ),
            T,
        )
        .await
        .unwrap();
    let kv: KvTable = decode_body(resp.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        kv.table.get("TopicO").map(String::as_str),
        Some("broker-a:4")
    );

    let del = RemotingCommand::request(
        request_code::DELETE_KV_CONFIG,
        ext(&[("namespace", "GoldenNamespace"), ("key", "goldenKey")]),
    );
    assert_eq!(
        admin.invoke(&ns_addr, del, T).await.unwrap().code,
        response_code::SUCCESS
    );
    let get = RemotingCommand::request(
        request_code::GET_KV_CONFIG,
        ext(&[("namespace", "GoldenNamespace"), ("key", "goldenKey")]),
    );
    let resp = admin.invoke(&ns_addr, get, T).await.unwrap();
    assert_eq!(resp.code, response_code::QUERY_NOT_FOUND);
    assert_eq!(
        resp.remark.as_deref(),
        Some("No config item, Namespace: GoldenNamespace Key: goldenKey")
    );
    assert_eq!(resp.ext_fields, Some(ExtFields::new()));
    let list = RemotingCommand::request(
        request_code::GET_KVLIST_BY_NAMESPACE,
        ext(&[("namespace", "Nope")]),
    );
    let resp = admin.invoke(&ns_addr, list, T).await.unwrap();
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            response_code::QUERY_NOT_FOUND,
            Some("No config item, Namespace: Nope")
        )
    );
    // The previous file was kept as .bak, as Java's MixAll.string2File does.
    assert!(dir.path().join("kvConfig.json.bak").is_file());

    server.shutdown().await;
}

#[tokio::test]
async fn admin_requests_topic_lists_perms_config_and_bad_input() {
    let dir = TempDir::new("ns-admin");
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(0))).await;
    let broker = client();
    let admin = client();
    let mut body = topic_table(1, &[("Plain", 4), ("Unit", 4)]);
    body.topic_config_serialize_wrapper
        .topic_config_table
        .get_mut("Unit")
        .unwrap()
        .topic_sys_flag = 1;
    broker
        .invoke(
            &ns_addr,
            register_request(
                "broker-a",
                "127.0.0.1:10911",
                0,
                &body,
                false,
                SerializeType::Json,
            ),
            T,
        )
        .await
        .unwrap();
    let call = |code: i32, fields: &[(&str, &str)]| {
        RemotingCommand::request(code, if fields.is_empty() { None } else { ext(fields) })
    };
    let topics = |resp: &RemotingCommand| {
        let mut l = decode_body::<TopicList>(resp.body.as_deref().unwrap()).unwrap();
        l.topic_list.sort();
        l
    };

    let resp = admin
        .invoke(
            &ns_addr,
            call(request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER, &[]),
            T,
        )
        .await
        .unwrap();
    assert_eq!(topics(&resp).topic_list, vec!["Plain", "Unit"]);
    let resp = admin
        .invoke(&ns_addr, call(request_code::GET_UNIT_TOPIC_LIST, &[]), T)
        .await
        .unwrap();
    assert_eq!(topics(&resp).topic_list, vec!["Unit"]);
    let resp = admin
        .invoke(
            &ns_addr,
            call(request_code::GET_HAS_UNIT_SUB_TOPIC_LIST, &[]),
            T,
        )
        .await
        .unwrap();
    assert!(topics(&resp).topic_list.is_empty());
    let resp = admin
        .invoke(
            &ns_addr,
            call(request_code::GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, &[]),
            T,
        )
        .await
        .unwrap();
    assert!(topics(&resp).topic_list.is_empty());
    let resp = admin
        .invoke(
            &ns_addr,
            call(
                request_code::GET_TOPICS_BY_CLUSTER,
                &[("cluster", "DefaultCluster")],
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(topics(&resp).topic_list, vec!["Plain", "Unit"]);
    let resp = admin
        .invoke(
            &ns_addr,
            call(request_code::GET_SYSTEM_TOPIC_LIST_FROM_NS, &[]),
            T,
        )
        .await
        .unwrap();
    // Java's HashSet order: "broker-a" falls in bucket 11, "DefaultCluster" in bucket 15.
    assert_eq!(
        body_text(&resp),
        r#"{"brokerAddr":"127.0.0.1:10911","topicList":["broker-a","DefaultCluster"]}"#
    );

    let resp = admin
        .invoke(
            &ns_addr,
            call(
                request_code::WIPE_WRITE_PERM_OF_BROKER,
                &[("brokerName", "broker-a")],
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.ext("wipeTopicCount"), Some("2"));
    let route = admin
        .invoke(&ns_addr, route_request("Plain", 407), T)
        .await
        .unwrap();
    assert!(
        body_text(&route).contains(r#""perm":4"#),
        "write bit wiped: {}",
        body_text(&route)
    );
    let resp = admin
        .invoke(
            &ns_addr,
            call(
                request_code::ADD_WRITE_PERM_OF_BROKER,
                &[("brokerName", "broker-a")],
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.ext("addTopicCount"), Some("2"));

    let resp = admin
        .invoke(
            &ns_addr,
            call(
                request_code::DELETE_TOPIC_IN_NAMESRV,
                &[("topic", "Plain"), ("clusterName", "DefaultCluster")],
            ),
            T,
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(
        admin
            .invoke(&ns_addr, route_request("Plain", 407), T)
            .await
            .unwrap()
            .code,
        response_code::TOPIC_NOT_EXIST
    );

    // Config: readable, updatable (persisted), but not its paths.
    let mut update = call(request_code::UPDATE_NAMESRV_CONFIG, &[]);
    update.body = Some(
        b"orderMessageEnable=true\nserverWorkerThreads=16\n"
            .to_vec()
            .into(),
    );
    assert_eq!(
        admin.invoke(&ns_addr, update, T).await.unwrap().code,
        response_code::SUCCESS
    );
    let resp = admin
        .invoke(&ns_addr, call(request_code::GET_NAMESRV_CONFIG, &[]), T)
        .await
        .unwrap();
    let text = body_text(&resp);
    assert!(
        text.contains("orderMessageEnable=true\n") && text.contains("serverWorkerThreads=16\n"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("namesrv.properties")).unwrap(),
        text,
        "persisted to configStorePath"
    );
    let mut update = call(request_code::UPDATE_NAMESRV_CONFIG, &[]);
    update.body = Some(b"kvConfigPath=/etc/x\n".to_vec().into());
    let resp = admin.invoke(&ns_addr, update, T).await.unwrap();
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            response_code::NO_PERMISSION,
            Some("Can not update config path")
        )
    );

    // orderMessageEnable now on: the route carries orderTopicConf from the KV store.
    let put = call(
        request_code::PUT_KV_CONFIG,
        &[
            ("namespace", "ORDER_TOPIC_CONFIG"),
            ("key", "Unit"),
            ("value", "broker-a:4"),
        ],
    );
    admin.invoke(&ns_addr, put, T).await.unwrap();
    let route = admin
        .invoke(&ns_addr, route_request("Unit", 407), T)
        .await
        .unwrap();
    assert!(
        body_text(&route).contains(r#""orderTopicConf":"broker-a:4""#),
        "{}",
        body_text(&route)
    );

    // Bad input: a clear error, never a dropped connection.
    let resp = admin
        .invoke(&ns_addr, call(request_code::GET_ROUTEINFO_BY_TOPIC, &[]), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert!(
        resp.remark.as_deref().unwrap_or_default().contains("topic"),
        "{:?}",
        resp.remark
    );
    let resp = admin.invoke(&ns_addr, call(9999, &[]), T).await.unwrap();
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (
            response_code::REQUEST_CODE_NOT_SUPPORTED,
            Some(" request type 9999 not supported")
        )
    );
    let mut bad_crc = register_request(
        "broker-b",
        "127.0.0.1:20911",
        0,
        &body,
        false,
        SerializeType::Json,
    );
    bad_crc
        .ext_fields
        .as_mut()
        .unwrap()
        .insert("bodyCrc32", "12345");
    let resp = broker.invoke(&ns_addr, bad_crc, T).await.unwrap();
    assert_eq!(
        (resp.code, resp.remark.as_deref()),
        (response_code::SYSTEM_ERROR, Some("crc32 not match"))
    );
    let mut garbage = register_request(
        "broker-b",
        "127.0.0.1:20911",
        0,
        &body,
        true,
        SerializeType::Json,
    );
    garbage.body = Some(b"not zlib at all".to_vec().into());
    garbage
        .ext_fields
        .as_mut()
        .unwrap()
        .insert("bodyCrc32", "0");
    let resp = broker.invoke(&ns_addr, garbage, T).await.unwrap();
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert!(resp
        .remark
        .unwrap_or_default()
        .starts_with("Failed to decode RegisterBrokerBody"));
    let resp = admin
        .invoke(
            &ns_addr,
            RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None),
            T,
        )
        .await
        .unwrap();
    let info: ClusterInfo = fastjson::decode_bytes(resp.body.as_deref().unwrap()).unwrap();
    assert!(
        !info.broker_addr_table.contains_key("broker-b"),
        "rejected registrations change nothing"
    );

    server.shutdown().await;
}

#[tokio::test]
async fn old_brokers_register_with_a_bare_topic_config_wrapper_and_bodyless_registration_works() {
    let dir = TempDir::new("ns-old");
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(0))).await;
    let broker = client();
    // A broker older than V3_0_11 (version 37) sends the TopicConfigSerializeWrapper itself.
    let wrapper = topic_table(4, &[("OldTopic", 2)]).topic_config_serialize_wrapper;
    let mut req = register_request(
        "broker-old",
        "127.0.0.1:30911",
        0,
        &RegisterBrokerBody::default(),
        false,
        SerializeType::Json,
    );
    req.version = 36;
    req.body = Some(encode_body(&wrapper).into());
    req.ext_fields.as_mut().unwrap().insert("bodyCrc32", "0");
    let resp = broker.invoke(&ns_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    let route = broker
        .invoke(&ns_addr, route_request("OldTopic", 36), T)
        .await
        .unwrap();
    let route: TopicRouteData = decode_body(route.body.as_deref().unwrap()).unwrap();
    assert_eq!(route.queue_datas[0].read_queue_nums, 2);
    assert_eq!(
        server
            .namesrv()
            .route
            .query_broker_topic_config("127.0.0.1:30911")
            .unwrap()
            .counter,
        4
    );

    // No body at all: registered with data version (0, 0) and no topics.
    let mut req = register_request(
        "broker-nobody",
        "127.0.0.1:40911",
        0,
        &RegisterBrokerBody::default(),
        false,
        SerializeType::Json,
    );
    req.body = None;
    req.ext_fields.as_mut().unwrap().insert("bodyCrc32", "0");
    let resp = broker.invoke(&ns_addr, req, T).await.unwrap();
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(
        server
            .namesrv()
            .route
            .query_broker_topic_config("127.0.0.1:40911"),
        Some(DataVersion::ZERO)
    );

    server.shutdown().await;
}

#[tokio::test]
async fn every_namesrv_code_survives_missing_headers_and_garbage_bodies() {
    let dir = TempDir::new("ns-garbage");
    let (server, ns_addr) = start(dir.path(), Arc::new(ManualClock::new(0))).await;
    let c = client();
    let codes = [
        request_code::PUT_KV_CONFIG,
        request_code::GET_KV_CONFIG,
        request_code::DELETE_KV_CONFIG,
        request_code::QUERY_DATA_VERSION,
        request_code::REGISTER_BROKER,
        request_code::UNREGISTER_BROKER,
        request_code::GET_ROUTEINFO_BY_TOPIC,
        request_code::GET_BROKER_CLUSTER_INFO,
        request_code::WIPE_WRITE_PERM_OF_BROKER,
        request_code::ADD_WRITE_PERM_OF_BROKER,
        request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
        request_code::DELETE_TOPIC_IN_NAMESRV,
        request_code::GET_KVLIST_BY_NAMESPACE,
        request_code::GET_TOPICS_BY_CLUSTER,
        request_code::GET_SYSTEM_TOPIC_LIST_FROM_NS,
        request_code::GET_UNIT_TOPIC_LIST,
        request_code::GET_HAS_UNIT_SUB_TOPIC_LIST,
        request_code::GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
        request_code::UPDATE_NAMESRV_CONFIG,
        request_code::GET_NAMESRV_CONFIG,
    ];
    let garbage: [&[u8]; 4] = [
        b"",
        b"\xff\xfe\x00garbage",
        b"{\"topicConfigSerializeWrapper\":[1,2",
        b"x=\\u12",
    ];
    let bad_fields = ext(&[
        ("brokerId", "not-a-number"),
        ("topic", "T"),
        ("namespace", "N"),
        ("key", "K"),
        ("value", "V"),
        ("brokerName", "b"),
        ("brokerAddr", "a:1"),
        ("clusterName", "c"),
        ("haServerAddr", "h:1"),
        ("cluster", "c"),
        ("compressed", "true"),
    ]);
    for code in codes {
        for body in garbage {
            for fields in [None, bad_fields.clone()] {
                let mut req = RemotingCommand::request(code, fields);
                if !body.is_empty() {
                    req.body = Some(body.to_vec().into());
                }
                let resp = c.invoke(&ns_addr, req, T).await.expect("always answered");
                assert!(
                    [
                        response_code::SUCCESS,
                        response_code::SYSTEM_ERROR,
                        response_code::TOPIC_NOT_EXIST,
                        response_code::QUERY_NOT_FOUND
                    ]
                    .contains(&resp.code),
                    "code {code}: answered {} {:?}",
                    resp.code,
                    resp.remark
                );
                if resp.code == response_code::SYSTEM_ERROR {
                    assert!(
                        !resp.remark.clone().unwrap_or_default().is_empty(),
                        "code {code}: an error says why"
                    );
                }
            }
        }
    }
    // Still serving, and nothing bogus was registered.
    let resp = c
        .invoke(
            &ns_addr,
            RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        body_text(&resp),
        r#"{"brokerAddrTable":{},"clusterAddrTable":{}}"#
    );
    server.shutdown().await;
}
