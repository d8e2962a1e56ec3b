//! The NameServer's JSON bodies against the bytes Java 4.9.7 wrote (golden corpus): every
//! body the NameServer received or sent is read, and written back byte-for-byte where Java's
//! output order is deterministic (a single broker, sorted fields), as equal parsed values
//! otherwise.

mod namesrv_support;

use ferrocket::fastjson::{self, ToJson};
use ferrocket::protocol::body::{
    decode_body, encode_body, encode_body_as, ClusterInfo, DataVersion, JsonStyle, KvTable,
    RegisterBrokerBody, TopicConfig, TopicFilterType, TopicList, TopicRouteData,
};
use namesrv_support::{namesrv_frames, response_to, Frame};

const REGISTER_BROKER: i32 = 103;
const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
const GET_BROKER_CLUSTER_INFO: i32 = 106;
const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
const GET_KVLIST_BY_NAMESPACE: i32 = 219;

fn frames_or_skip(test: &str) -> Option<Vec<Frame>> {
    ferrocket::testkit::golden_or_skip(test).map(|g| namesrv_frames(&g))
}

fn text(body: &[u8]) -> &str {
    std::str::from_utf8(body).expect("utf-8 body")
}

#[test]
fn register_broker_bodies_plain_and_compressed_decode_and_match_their_crc() {
    let Some(frames) = frames_or_skip("register_broker_bodies") else {
        return;
    };
    let (mut plain, mut compressed) = (0, 0);
    for f in frames
        .iter()
        .filter(|f| !f.is_response && f.code == REGISTER_BROKER)
    {
        let ext = f.ext_fields.as_ref().expect("ext");
        let get = |k: &str| {
            ext.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .expect(k)
        };
        let body = f.body.as_deref().expect("body");
        assert_eq!(
            (crc32fast::hash(body) & 0x7FFF_FFFF).to_string(),
            get("bodyCrc32")
        );
        let is_compressed = get("compressed") == "true";
        let decoded = RegisterBrokerBody::decode(body, is_compressed).expect("decode");
        let table = &decoded.topic_config_serialize_wrapper.topic_config_table;
        // A periodic registration carries every topic, the one after a topic change only that
        // topic.
        assert!(!table.is_empty(), "{}", f.scenario);
        if is_compressed {
            compressed += 1;
            // The compressed format carries neither `order` nor `topicSysFlag`.
            assert!(table.values().all(|tc| !tc.order && tc.topic_sys_flag == 0));
            // Our encoding reads back to the same value.
            let again = RegisterBrokerBody::decode_compressed(&decoded.encode_compressed())
                .expect("re-decode");
            assert_eq!(again, decoded);
        } else {
            plain += 1;
            // Written back, it is the same JSON value, and the same bytes: the topic table is
            // written in Java's ConcurrentHashMap order.
            let original = fastjson::parse(text(body)).expect("json");
            assert!(original.equivalent(&decoded.to_json()), "{}", f.scenario);
            assert_eq!(
                fastjson::encode_compact(&decoded),
                text(body),
                "{}",
                f.scenario
            );
            // Every topic config is byte-identical to Java's object.
            for (name, tc) in table.iter() {
                let needle = format!("\"{name}\":{}", fastjson::encode_compact(tc));
                assert!(text(body).contains(&needle), "{needle}");
            }
        }
    }
    assert_eq!(
        (plain, compressed),
        (22, 2),
        "README: 22 plain, 2 compressed"
    );
}

#[test]
fn compressed_and_plain_registrations_of_the_same_broker_agree() {
    let Some(frames) = frames_or_skip("compressed_vs_plain") else {
        return;
    };
    let first = |scenario: &str| {
        let f = frames
            .iter()
            .find(|f| f.scenario == scenario && !f.is_response && f.code == REGISTER_BROKER)
            .expect("register");
        let compressed = f
            .ext_fields
            .as_ref()
            .unwrap()
            .iter()
            .any(|(k, v)| k == "compressed" && v == "true");
        RegisterBrokerBody::decode(f.body.as_deref().unwrap(), compressed).unwrap()
    };
    let plain = first("ns-broker-register");
    let compressed = first("ns-broker-register-compressed");
    let names = |b: &RegisterBrokerBody| {
        let mut names: Vec<String> = b
            .topic_config_serialize_wrapper
            .topic_config_table
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&plain), names(&compressed));
    for (name, tc) in compressed
        .topic_config_serialize_wrapper
        .topic_config_table
        .iter()
    {
        let p = &plain
            .topic_config_serialize_wrapper
            .topic_config_table
            .get(name)
            .unwrap();
        assert_eq!(
            (
                p.read_queue_nums,
                p.write_queue_nums,
                p.perm,
                p.topic_filter_type
            ),
            (
                tc.read_queue_nums,
                tc.write_queue_nums,
                tc.perm,
                tc.topic_filter_type
            )
        );
    }
}

#[test]
fn route_answers_are_rewritten_byte_for_byte_in_standard_json() {
    let Some(frames) = frames_or_skip("route_answers") else {
        return;
    };
    let mut checked = 0;
    for req in frames
        .iter()
        .filter(|f| !f.is_response && f.code == GET_ROUTEINFO_BY_TOPIC)
    {
        let Some(resp) = response_to(&frames, req) else {
            continue;
        };
        let Some(body) = resp.body.as_deref() else {
            continue;
        };
        assert!(req.version >= 401, "4.9.7 clients get standard JSON");
        let route: TopicRouteData = decode_body(body).expect("route");
        assert_eq!(
            text(&encode_body_as(&route, JsonStyle::Standard)),
            text(body)
        );
        // The old-client dialect is the same value with bare broker id keys.
        let old = String::from_utf8(encode_body_as(&route, JsonStyle::Fastjson)).unwrap();
        assert!(old.contains("\"brokerAddrs\":{0:\""), "{old}");
        assert_eq!(
            decode_body::<TopicRouteData>(old.as_bytes()).unwrap(),
            route
        );
        checked += 1;
    }
    assert!(checked > 50, "{checked} route answers");
}

#[test]
fn cluster_info_topic_list_and_kv_table_answers_match_java() {
    let Some(frames) = frames_or_skip("cluster_topic_kv") else {
        return;
    };
    let mut seen = [0; 3];
    for req in frames.iter().filter(|f| !f.is_response) {
        let Some(resp) = response_to(&frames, req) else {
            continue;
        };
        let Some(body) = resp.body.as_deref() else {
            continue;
        };
        match req.code {
            GET_BROKER_CLUSTER_INFO => {
                let info: ClusterInfo = decode_body(body).unwrap();
                assert_eq!(
                    text(&encode_body(&info)),
                    text(body),
                    "bare integer keys, as Java"
                );
                assert!(text(body).contains("{0:\""));
                seen[0] += 1;
            }
            GET_ALL_TOPIC_LIST_FROM_NAMESERVER => {
                let list: TopicList = decode_body(body).unwrap();
                assert_eq!(list.topic_list.len(), 25);
                let original = fastjson::parse(text(body)).unwrap();
                let mut ours = list.clone();
                ours.topic_list.sort();
                let mut theirs: Vec<String> = original
                    .get("topicList")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                theirs.sort();
                assert_eq!(ours.topic_list, theirs);
                assert_eq!(
                    text(&encode_body(&list)),
                    text(body),
                    "same order in, same bytes out"
                );
                seen[1] += 1;
            }
            GET_KVLIST_BY_NAMESPACE => {
                let kv: KvTable = decode_body(body).unwrap();
                assert_eq!(
                    kv.table.get("goldenKey").map(String::as_str),
                    Some("goldenValue")
                );
                assert_eq!(text(&encode_body(&kv)), text(body));
                seen[2] += 1;
            }
            _ => {}
        }
    }
    assert_eq!(seen, [3, 1, 1]);
}

#[test]
fn bodies_are_read_liberally_with_java_defaults() {
    // Missing members take Java's field defaults, unknown ones are ignored, numbers may be
    // strings, integer map keys may be bare or quoted.
    let tc: TopicConfig =
        decode_body(br#"{"topicName":"T","perm":"4","unknown":{"x":[1,2]}}"#).unwrap();
    assert_eq!(
        (
            tc.read_queue_nums,
            tc.write_queue_nums,
            tc.perm,
            tc.topic_filter_type,
            tc.order
        ),
        (16, 16, 4, TopicFilterType::SingleTag, false)
    );
    let route: TopicRouteData =
        decode_body(br#"{"brokerDatas":[{"brokerAddrs":{0:"a:1",'1':"a:2"},"brokerName":"b"}],}"#)
            .unwrap();
    assert_eq!(route.broker_datas[0].broker_addrs.len(), 2);
    assert!(route.queue_datas.is_empty() && route.order_topic_conf.is_none());
    let dv: DataVersion = decode_body(br#"{"counter":3}"#).unwrap();
    assert_eq!(dv.counter, 3);
    assert!(
        dv.timestamp > 1_700_000_000_000,
        "missing timestamp = now, as Java's constructor"
    );
    assert!(decode_body::<TopicRouteData>(b"{\"queueDatas\":7}").is_err());
    assert!(decode_body::<TopicRouteData>(b"\xff\xfe").is_err());
    assert!(RegisterBrokerBody::decode_compressed(b"not zlib").is_err());
}

#[test]
fn topic_config_line_format_is_javas() {
    let tc = TopicConfig::new("T", 8, 4, 6);
    assert_eq!(tc.encode_line(), "T 8 4 6 SINGLE_TAG");
    assert_eq!(TopicConfig::decode_line("T 8 4 6 SINGLE_TAG").unwrap(), tc);
    assert!(TopicConfig::decode_line("T 8 4 SINGLE_TAG").is_err());
    assert!(TopicConfig::decode_line("T 8 x 6 SINGLE_TAG").is_err());
    assert!(TopicConfig::decode_line("T 8 4 6 NOPE").is_err());
}

#[test]
fn a_compressed_body_inflating_past_the_cap_is_rejected() {
    use std::io::Write;
    // A valid header, then a filter server list claiming (and holding) 40 MB of zeros.
    let mut plain = Vec::new();
    let dv = br#"{"counter":1,"timestamp":1}"#;
    plain.extend_from_slice(&(dv.len() as i32).to_be_bytes());
    plain.extend_from_slice(dv);
    plain.extend_from_slice(&0i32.to_be_bytes());
    let big = 40 * 1024 * 1024;
    plain.extend_from_slice(&(big as i32).to_be_bytes());
    plain.resize(plain.len() + big, b' ');
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&plain).unwrap();
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
    assert!(RegisterBrokerBody::decode_compressed(&bomb).is_err());
}
