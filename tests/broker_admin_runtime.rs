//! Broker configuration and runtime information over TCP (GET_BROKER_CONFIG,
//! UPDATE_BROKER_CONFIG, GET_BROKER_RUNTIME_INFO, GET_ALL_DELAY_OFFSET), and a replay of the
//! golden `mqadmin` requests to the broker that do not depend on other scenarios, compared with
//! Java 4.9.7's answers: codes, remarks, header and body key sets.

mod support;

use bytes::BytesMut;
use ferrocket::fastjson::{self, Value};
use ferrocket::protocol::body::{DataVersion, KvTable};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCodec, RemotingCommand,
};
use std::collections::BTreeSet;
use std::time::Duration;
use support::TempDir;
use tokio_util::codec::Decoder;

/// Java's delay offsets of the golden admin phase (levels 2 and 3 were used).
const DELAY_OFFSETS: &str = r#"{"offsetTable":{2:2,3:1}}"#;

fn with_delay_offsets(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/delayOffset.json"), DELAY_OFFSETS).unwrap();
}

async fn call(client: &RemotingClient, addr: &str, req: RemotingCommand) -> RemotingCommand {
    client
        .invoke(addr, req, Duration::from_secs(5))
        .await
        .expect("broker answers")
}

fn body_text(resp: &RemotingCommand) -> String {
    String::from_utf8(resp.body.as_deref().unwrap_or_default().to_vec()).unwrap()
}

fn property_keys(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_string()))
        .collect()
}

fn object_keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.key_text())
        .collect()
}

/// Runtime-info keys, with the path-specific disk ratio key reduced to its prefix.
fn runtime_keys(table: &Value) -> BTreeSet<String> {
    object_keys(table)
        .into_iter()
        .map(|k| {
            if k.starts_with("commitLogDiskRatio_") {
                "commitLogDiskRatio_<path>".to_string()
            } else {
                k
            }
        })
        .collect()
}

#[tokio::test]
async fn runtime_info_config_and_delay_offsets() {
    let dir = TempDir::new("admin-runtime");
    with_delay_offsets(dir.path());
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());

    // Runtime info: every value a string, formatted as Java formats it.
    running.broker.stats.record_put("T", 3, 300);
    let resp = call(
        &client,
        &addr,
        RemotingCommand::request(request_code::GET_BROKER_RUNTIME_INFO, None),
    )
    .await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    let info: KvTable = fastjson::decode(&body_text(&resp)).unwrap();
    let t = &info.table;
    assert_eq!(t["brokerVersion"], "407");
    assert_eq!(t["brokerVersionDesc"], "V4_9_7");
    assert_eq!(t["msgPutTotalTodayNow"], "3");
    assert_eq!(t["putMessageSizeTotal"], "300");
    assert_eq!(t["putMessageAverageSize"], "100.0");
    assert_eq!(t["scheduleMessageOffset_2"], "2,0");
    assert_eq!(t["scheduleMessageOffset_3"], "1,0");
    assert_eq!(t["sendThreadPoolQueueCapacity"], "10000");
    assert_eq!(t["pullThreadPoolQueueCapacity"], "100000");
    assert_eq!(t["remainTransientStoreBufferNumbs"], "2147483647");
    assert_eq!(t["putLatency99"], "0.00");
    assert_eq!(t["remainHowManyDataToFlush"], "0 B");
    assert!(t["runtime"].starts_with("[ 0 days, 0 hours, 0 minutes, "));
    assert!(t["putMessageDistributeTime"].starts_with("[<=0ms]:0 [0~10ms]:0 "));
    assert!(t["commitLogDirCapacity"].starts_with("Total : "));
    // tps: "10s 60s 600s" with no figure before the history exists, as Java.
    assert_eq!(t["putTps"], "  ");
    assert_eq!(t["getTotalTps"], "0.0 0.0 0.0");
    // Java's -1.0 while the directory does not exist yet (nothing written), else a fraction.
    let ratio: f64 = t["commitLogDiskRatio"].parse().unwrap();
    assert!(ratio == -1.0 || (0.0..=1.0).contains(&ratio), "{ratio}");
    let ratio: f64 = t["consumeQueueDiskRatio"].parse().unwrap();
    assert!(ratio == -1.0 || (0.0..=1.0).contains(&ratio), "{ratio}");
    let boot: i64 = t["bootTimestamp"].parse().unwrap();
    assert!(boot > 1_700_000_000_000);

    // With 11 s of samples the 10-second figures appear; `mqadmin clusterList` parses them
    // exactly like this (split on ' ', first token as a double; longs and doubles elsewhere).
    let now = boot + 100_000;
    for s in 0..=10 {
        running.broker.stats.record_put("T", 1, 10);
        running.broker.stats.sample(now + s * 1000);
    }
    let resp = call(
        &client,
        &addr,
        RemotingCommand::request(request_code::GET_BROKER_RUNTIME_INFO, None),
    )
    .await;
    let info: KvTable = fastjson::decode(&body_text(&resp)).unwrap();
    let t = &info.table;
    let first_tps = |key: &str| -> f64 { t[key].split(' ').next().unwrap().parse().unwrap() };
    assert_eq!(first_tps("putTps"), 1.0);
    assert_eq!(first_tps("getTransferedTps"), 0.0);
    for key in [
        "earliestMessageTimeStamp",
        "pageCacheLockTimeMills",
        "sendThreadPoolQueueSize",
        "pullThreadPoolQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills",
        "pullThreadPoolQueueHeadWaitTimeMills",
        "msgPutTotalYesterdayMorning",
        "msgPutTotalTodayMorning",
        "msgGetTotalYesterdayMorning",
        "msgGetTotalTodayMorning",
        "msgGetTotalTodayNow",
    ] {
        t[key]
            .parse::<i64>()
            .unwrap_or_else(|e| panic!("{key}={}: {e}", t[key]));
    }
    assert_eq!(t["msgPutTotalTodayNow"], "14");
    for key in [
        "commitLogDiskRatio",
        "consumeQueueDiskRatio",
        "putMessageAverageSize",
    ] {
        t[key]
            .parse::<f64>()
            .unwrap_or_else(|e| panic!("{key}={}: {e}", t[key]));
    }

    // GET_ALL_DELAY_OFFSET: the schedule progress as Java encodes it.
    let resp = call(
        &client,
        &addr,
        RemotingCommand::request(request_code::GET_ALL_DELAY_OFFSET, None),
    )
    .await;
    assert_eq!(resp.code, response_code::SUCCESS);
    assert_eq!(body_text(&resp), DELAY_OFFSETS);

    // GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG, GET_BROKER_CONFIG.
    let get_config = || RemotingCommand::request(request_code::GET_BROKER_CONFIG, None);
    let resp = call(&client, &addr, get_config()).await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let v0: DataVersion = fastjson::decode(resp.ext("version").unwrap()).unwrap();
    let text = body_text(&resp);
    assert!(text.contains("\nbrokerPermission=6\n"), "{text}");
    assert!(text.contains("brokerName=broker-test\n"));
    let topics_v0 = running.broker.topics.data_version();
    let update = RemotingCommand::request(request_code::UPDATE_BROKER_CONFIG, None)
        .with_body(&b"brokerPermission=4\nnotAConfigKey=1\nmaxMessageSize=1024\n"[..]);
    let resp = call(&client, &addr, update).await;
    assert_eq!((resp.code, resp.remark.as_deref()), (0, None));
    let resp = call(&client, &addr, get_config()).await;
    let v1: DataVersion = fastjson::decode(resp.ext("version").unwrap()).unwrap();
    assert_eq!(v1.counter, v0.counter + 1);
    let text = body_text(&resp);
    assert!(text.contains("\nbrokerPermission=4\n"), "{text}");
    assert!(text.contains("\nmaxMessageSize=1024\n"));
    assert!(!text.contains("notAConfigKey"));
    // brokerPermission is live: the next registration announces every topic read-only,
    // under a new topic-table version so the NameServer takes it.
    assert_eq!(running.broker.knobs.broker_permission(), 4);
    assert_eq!(
        running.broker.topics.data_version().counter,
        topics_v0.counter + 1
    );
    let register = ferrocket::broker::registration::register_request(&running.broker);
    let register_body = body_text(&register);
    assert!(register_body.contains(r#""perm":4"#), "{register_body}");
    assert!(!register_body.contains(r#""perm":6"#), "{register_body}");
    let persisted = std::fs::read_to_string(dir.path().join("config/broker.properties")).unwrap();
    assert_eq!(
        persisted, text,
        "all configs written to the properties file"
    );

    client.shutdown();
    running.shutdown().await;
}

/// One golden frame: (conn, dir, code, request_code, decoded command).
struct Frame {
    conn: i64,
    is_request: bool,
    code: i64,
    command: RemotingCommand,
}

fn load_frames(path: &std::path::Path) -> Vec<Frame> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut frames = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v = fastjson::parse(line).unwrap();
        if v.get("server").and_then(Value::as_str) != Some("broker-master") {
            continue;
        }
        let hex = v.get("frame_hex").and_then(Value::as_str).unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let mut buf = BytesMut::from(&bytes[..]);
        let command = RemotingCodec::new(64 * 1024 * 1024)
            .decode(&mut buf)
            .unwrap()
            .unwrap();
        let is_request = v.get("dir").and_then(Value::as_str) == Some("request");
        let code = if is_request {
            v.get("code").and_then(Value::as_i64).unwrap()
        } else {
            v.get("request_code").and_then(Value::as_i64).unwrap_or(-1)
        };
        frames.push(Frame {
            conn: v.get("conn").and_then(Value::as_i64).unwrap(),
            is_request,
            code,
            command,
        });
    }
    frames
}

fn ext_keys(c: &RemotingCommand) -> BTreeSet<String> {
    c.ext_fields
        .as_ref()
        .map(|e| e.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn golden_mqadmin_requests_get_java_shaped_answers() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("broker admin golden replay") else {
        return;
    };
    let frames = load_frames(&golden.join("frames/admin.jsonl"));
    // The admin codes that stand on their own (connection lists need the golden clients).
    let replayed = [
        request_code::GET_BROKER_RUNTIME_INFO,
        request_code::UPDATE_AND_CREATE_TOPIC,
        request_code::GET_TOPIC_STATS_INFO,
        request_code::GET_BROKER_CONFIG,
        request_code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        request_code::GET_CONSUME_STATS,
        request_code::QUERY_TOPIC_CONSUME_BY_WHO,
        request_code::DELETE_TOPIC_IN_BROKER,
    ];
    let dir = TempDir::new("admin-golden");
    with_delay_offsets(dir.path());
    let running = ferrocket::testkit::start_test_broker(dir.path(), |s| {
        s.broker.broker_name = "broker-a".into();
    })
    .await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut checked = BTreeSet::new();
    for (i, req) in frames.iter().enumerate() {
        if !req.is_request || !replayed.contains(&(req.code as i32)) {
            continue;
        }
        let Some(java) = frames[i + 1..].iter().find(|f| {
            f.conn == req.conn && !f.is_request && f.command.opaque == req.command.opaque
        }) else {
            continue;
        };
        let java = &java.command;
        let ours = call(&client, &addr, req.command.clone()).await;
        let name = ferrocket::remoting::request_code_name(req.code as i32).unwrap_or("?");
        assert_eq!(ours.code, java.code, "{name}");
        assert_eq!(ours.remark, java.remark, "{name}");
        assert_eq!(ext_keys(&ours), ext_keys(java), "{name} header keys");
        let java_body = body_text(java);
        let our_body = body_text(&ours);
        match req.code as i32 {
            request_code::GET_BROKER_CONFIG => {
                let missing: Vec<_> = property_keys(&java_body)
                    .difference(&property_keys(&our_body))
                    .cloned()
                    .collect();
                assert!(missing.is_empty(), "config keys missing: {missing:?}");
            }
            request_code::GET_BROKER_RUNTIME_INFO => {
                let j = fastjson::parse(&java_body).unwrap();
                let o = fastjson::parse(&our_body).unwrap();
                assert_eq!(object_keys(&o), object_keys(&j));
                let jt = runtime_keys(j.get("table").unwrap());
                let ot = runtime_keys(o.get("table").unwrap());
                let missing: Vec<_> = jt.difference(&ot).cloned().collect();
                assert!(missing.is_empty(), "runtime info keys missing: {missing:?}");
            }
            request_code::GET_TOPIC_STATS_INFO => {
                let j = fastjson::parse(&java_body).unwrap();
                let o = fastjson::parse(&our_body).unwrap();
                let jt = j.get("offsetTable").unwrap().as_object().unwrap();
                let ot = o.get("offsetTable").unwrap().as_object().unwrap();
                assert_eq!(ot.len(), jt.len());
                for (k, v) in ot {
                    assert!(
                        jt.iter()
                            .any(|(jk, jv)| jk.equivalent(k) && jv.equivalent(v)),
                        "{k:?} -> {v:?} not in Java's answer"
                    );
                }
            }
            _ if java_body.is_empty() => assert_eq!(our_body, "", "{name}"),
            _ => {
                let j = fastjson::parse(&java_body).unwrap();
                let o = fastjson::parse(&our_body).unwrap();
                assert_eq!(object_keys(&o), object_keys(&j), "{name} body keys");
            }
        }
        checked.insert(name);
    }
    assert_eq!(checked.len(), replayed.len(), "replayed: {checked:?}");
    assert!(running.broker.groups.get("GoldenAdminGroup").is_some());
    assert!(running.broker.topics.get("GoldenAdminTopic").is_none());

    client.shutdown();
    running.shutdown().await;
}
