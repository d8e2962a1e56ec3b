//! Typed headers against the golden corpus: every extFields map Java 4.9.7 sent must read into the
//! header type of its code and write back to the same map; the fast-codec headers must come out in
//! the order Java put them on the binary wire.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ferrocket::protocol::header::*;
use ferrocket::protocol::{CommandHeader, HeaderError};
use ferrocket::remoting::ExtFields;
use serde_json::Value;

struct Frame {
    scenario: String,
    seq: u64,
    conn: u64,
    is_request: bool,
    /// Request code for requests, the request's code for responses.
    request_code: i32,
    /// Header code (the response code for responses).
    code: i32,
    binary: bool,
    /// extFields in the order of the line (wire order for binary frames).
    ext: Option<Vec<(String, String)>>,
}

fn load_frames(golden: &Path) -> Vec<Frame> {
    let mut paths: Vec<_> = std::fs::read_dir(golden.join("frames"))
        .expect("frames dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    let mut frames = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read jsonl");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).expect("frame line is JSON");
            let is_request = v["dir"] == "request";
            let code = v["code"].as_i64().expect("code") as i32;
            let request_code = if is_request {
                code
            } else {
                v["request_code"]
                    .as_i64()
                    .expect("response has request_code") as i32
            };
            let ext = v["header"].get("extFields").map(|e| {
                e.as_object()
                    .expect("extFields is an object")
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .expect("extFields values are strings")
                                .to_string(),
                        )
                    })
                    .collect()
            });
            frames.push(Frame {
                scenario: v["scenario"].as_str().unwrap_or_default().to_string(),
                seq: v["seq"].as_u64().unwrap_or_default(),
                conn: v["conn"].as_u64().unwrap_or_default(),
                is_request,
                request_code,
                code,
                binary: v["serialize"] == "ROCKETMQ",
                ext,
            });
        }
    }
    frames
}

fn sorted(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = pairs.to_vec();
    v.sort();
    v
}

fn to_ext(pairs: &[(String, String)]) -> ExtFields {
    pairs.iter().cloned().collect()
}

fn pairs(ext: &ExtFields) -> Vec<(String, String)> {
    ext.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    /// (dir, request code) -> frames whose extFields round-tripped through the typed header.
    covered: BTreeMap<(&'static str, i32), usize>,
    /// Error responses carrying no header fields (e.g. PULL_MESSAGE answered SUBSCRIPTION_NOT_LATEST).
    empty_error_responses: usize,
    /// Frames without extFields at all, or with `{}` and no header type for the code.
    no_header: usize,
    /// (key) -> how many times a known non-header key (hook signature, MSG_REGION, ...) was set aside.
    extras: BTreeMap<String, usize>,
    /// Binary frames of fast-codec headers whose wire order was checked.
    fast_order_checked: BTreeMap<(&'static str, i32), usize>,
    failures: Vec<String>,
}

#[test]
fn golden_ext_fields_round_trip_through_typed_headers() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_ext_fields_round_trip_through_typed_headers")
    else {
        return;
    };
    let frames = load_frames(&golden);
    assert_eq!(frames.len(), 1071, "README: 1071 frames in all");
    assert_eq!(
        frames.iter().filter(|f| !f.is_request).count(),
        451,
        "README: 407 + 21 + 11 + 10 + 1 + 1 responses"
    );
    let mut t = Tally::default();

    for f in &frames {
        let dir = if f.is_request { "request" } else { "response" };
        let at = format!(
            "{} conn {} seq {} {dir} {}",
            f.scenario, f.conn, f.seq, f.request_code
        );
        let Some(ext) = &f.ext else {
            t.no_header += 1;
            continue;
        };
        let (kind, extra_keys): (_, Vec<&str>) = if f.is_request {
            let mut keys = RPC_HOOK_KEYS.to_vec();
            keys.extend_from_slice(extra_request_keys(f.request_code));
            (request_header_kind(f.request_code), keys)
        } else {
            (
                response_header_kind(f.request_code),
                extra_response_keys(f.request_code).to_vec(),
            )
        };
        let known: &[&str] = kind.map(HeaderKind::java_fields).unwrap_or(&[]);
        let (header_part, rest): (Vec<_>, Vec<_>) = ext
            .iter()
            .cloned()
            .partition(|(k, _)| known.contains(&k.as_str()));
        for (k, _) in &rest {
            if extra_keys.contains(&k.as_str()) {
                *t.extras.entry(k.clone()).or_default() += 1;
            } else {
                t.failures.push(format!(
                    "{at}: key {k:?} is neither a field of {kind:?} nor a known extra"
                ));
            }
        }
        let Some(kind) = kind else {
            if !header_part.is_empty() {
                t.failures.push(format!(
                    "{at}: extFields {header_part:?} but no header type for the code"
                ));
            }
            t.no_header += 1;
            continue;
        };
        if !f.is_request && f.code != 0 && header_part.is_empty() {
            t.empty_error_responses += 1;
            continue;
        }
        match kind.reencode(&to_ext(&header_part)) {
            Ok(out) => {
                if sorted(&pairs(&out)) != sorted(&header_part) {
                    t.failures.push(format!(
                        "{at}: {kind:?} wrote {:?}, Java sent {header_part:?}",
                        pairs(&out)
                    ));
                    continue;
                }
                *t.covered.entry((dir, f.request_code)).or_default() += 1;
                if f.binary && kind.is_fast_codec() {
                    // Wire order: the header's fields in declaration order, then the map extras.
                    let mut expected: Vec<String> =
                        out.iter().map(|(k, _)| k.to_string()).collect();
                    expected.extend(rest.iter().map(|(k, _)| k.clone()));
                    let wire: Vec<String> = ext.iter().map(|(k, _)| k.clone()).collect();
                    if wire != expected {
                        t.failures.push(format!(
                            "{at}: binary order {wire:?}, typed order {expected:?}"
                        ));
                    }
                    *t.fast_order_checked
                        .entry((dir, f.request_code))
                        .or_default() += 1;
                }
            }
            Err(e) => t
                .failures
                .push(format!("{at}: {kind:?} refused {header_part:?}: {e}")),
        }
    }

    assert!(
        t.failures.is_empty(),
        "{} failures:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );

    let expected_covered: BTreeMap<(&str, i32), usize> = [
        (("request", 11), 88),
        (("request", 12), 1),
        (("request", 14), 26),
        (("request", 15), 117),
        (("request", 17), 1),
        (("request", 29), 2),
        (("request", 30), 1),
        (("request", 31), 1),
        (("request", 32), 1),
        (("request", 33), 1),
        (("request", 35), 54),
        (("request", 36), 1),
        (("request", 37), 4),
        (("request", 38), 24),
        (("request", 39), 1),
        (("request", 40), 9),
        (("request", 100), 1),
        (("request", 101), 1),
        (("request", 102), 1),
        (("request", 103), 24),
        (("request", 104), 3),
        (("request", 105), 108),
        (("request", 202), 1),
        (("request", 203), 1),
        (("request", 204), 1),
        (("request", 208), 1),
        (("request", 215), 1),
        (("request", 216), 1),
        (("request", 219), 1),
        (("request", 300), 1),
        (("request", 310), 83),
        (("request", 320), 2),
        (("response", 11), 49),
        (("response", 12), 1),
        (("response", 14), 26),
        (("response", 15), 1),
        (("response", 21), 3),
        (("response", 26), 1),
        (("response", 29), 2),
        (("response", 30), 1),
        (("response", 31), 1),
        (("response", 32), 1),
        (("response", 35), 54),
        (("response", 38), 24),
        (("response", 101), 1),
        (("response", 103), 15),
        (("response", 310), 81),
        (("response", 320), 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        t.covered, expected_covered,
        "frames covered per (dir, code)"
    );
    // PULL_MESSAGE answered SUBSCRIPTION_NOT_LATEST (25) x11 carries `{}`.
    assert_eq!(t.empty_error_responses, 11);
    // Every binary SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request and response of produce-rocketmq-binary.
    let binary_sends: usize = t.fast_order_checked.values().sum();
    assert!(
        binary_sends >= 4,
        "fast-codec order checked on {:?}",
        t.fast_order_checked
    );
    assert_eq!(
        t.fast_order_checked
            .keys()
            .copied()
            .collect::<BTreeSet<_>>()
            .len(),
        4,
        "{:?}",
        t.fast_order_checked
    );
    for key in [
        "AccessKey",
        "Signature",
        "ReqT",
        "MSG_REGION",
        "TRACE_ON",
        "_UNIQUE_KEY_QUERY",
    ] {
        assert!(
            t.extras.get(key).copied().unwrap_or(0) > 0,
            "extra {key} seen: {:?}",
            t.extras
        );
    }
    println!("covered {:?}", t.covered);
    println!(
        "extras {:?}, fast order {:?}, no header {}",
        t.extras, t.fast_order_checked, t.no_header
    );
}

#[test]
fn code_table_names_match_the_java_request_codes() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("code_table_names_match_the_java_request_codes")
    else {
        return;
    };
    let codes: Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("codes.json")).expect("codes.json"),
    )
    .expect("JSON");
    let java = codes["request_codes"].as_object().expect("request_codes");
    let ours: BTreeMap<String, &str> = CODE_HEADERS
        .iter()
        .map(|row| (row.code.to_string(), row.name))
        .collect();
    assert_eq!(ours.len(), CODE_HEADERS.len(), "codes are unique");
    for (code, names) in java {
        let names: Vec<&str> = names
            .as_array()
            .expect("names")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        match ours.get(code) {
            Some(name) => assert!(names.contains(name), "code {code}: {name} not in {names:?}"),
            None => panic!("request code {code} {names:?} missing from CODE_HEADERS"),
        }
    }
    assert_eq!(java.len(), CODE_HEADERS.len(), "no invented codes");
}

#[test]
fn every_header_type_is_reachable_from_the_table_except_the_unused_ones() {
    let used: BTreeSet<HeaderKind> = CODE_HEADERS
        .iter()
        .flat_map(|row| [row.request, row.response])
        .flatten()
        .collect();
    let unused: BTreeSet<HeaderKind> = HeaderKind::ALL
        .iter()
        .copied()
        .filter(|k| !used.contains(k))
        .collect();
    // Java classes no 4.9.7 code path sends or reads.
    let expected: BTreeSet<HeaderKind> = [
        HeaderKind::EndTransactionResponseHeader,
        HeaderKind::CheckTransactionStateResponseHeader,
        HeaderKind::ViewMessageResponseHeader,
        HeaderKind::RegisterOrderTopicRequestHeader,
    ]
    .into_iter()
    .collect();
    assert_eq!(unused, expected);
    assert_eq!(HeaderKind::ALL.len(), 79);
}

#[test]
fn fast_codec_declaration_order_is_javas_encode_order() {
    // SendMessageRequestHeaderV2.encode writes a..n; PullMessageRequestHeader ends with bname.
    let v2 = SendMessageRequestHeaderV2 {
        properties: Some("p".into()),
        reconsume_times: Some(0),
        consume_retry_times: Some(16),
        broker_name: Some("broker-a".into()),
        ..Default::default()
    };
    let keys: Vec<String> = v2
        .to_ext_fields()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(
        keys,
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"]
    );
    assert_eq!(
        PullMessageRequestHeader::JAVA_FIELDS,
        [
            "consumerGroup",
            "topic",
            "queueId",
            "queueOffset",
            "maxMsgNums",
            "sysFlag",
            "commitOffset",
            "suspendTimeoutMillis",
            "subscription",
            "subVersion",
            "expressionType",
            "bname"
        ]
    );
    assert_eq!(
        PullMessageResponseHeader::JAVA_FIELDS,
        [
            "suggestWhichBrokerId",
            "nextBeginOffset",
            "minOffset",
            "maxOffset"
        ]
    );
    assert_eq!(
        SendMessageResponseHeader::JAVA_FIELDS,
        ["msgId", "queueId", "queueOffset", "transactionId"]
    );
}

fn ext(pairs: &[(&str, &str)]) -> ExtFields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn send_header_v2_converts_like_java() {
    let wire = ext(&[
        ("a", "g1"),
        ("b", "T"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "3"),
        ("f", "0"),
        ("g", "1795422903491"),
        ("h", "0"),
        ("i", "WAIT\u{1}true"),
        ("j", "2"),
        ("k", "false"),
        ("l", "16"),
        ("m", "true"),
        ("n", "broker-a"),
    ]);
    let v2 = SendMessageRequestHeaderV2::from_ext_fields(&wire).unwrap();
    let v1 = SendMessageRequestHeader::from(v2.clone());
    assert_eq!(v1.producer_group, "g1");
    assert_eq!(v1.born_timestamp, 1795422903491);
    assert_eq!(v1.max_reconsume_times, Some(16), "l -> maxReconsumeTimes");
    assert_eq!(v1.bname.as_deref(), Some("broker-a"), "n -> bname");
    assert!(v1.batch && !v1.unit_mode);
    assert_eq!(v1.to_ext_fields().get("maxReconsumeTimes"), Some("16"));
    assert_eq!(SendMessageRequestHeaderV2::from(v1), v2);
}

#[test]
fn missing_required_field_of_a_fast_codec_header_is_named() {
    let mut wire = ext(&[
        ("a", "g"),
        ("b", "T"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "0"),
        ("f", "0"),
        ("h", "0"),
    ]);
    assert_eq!(
        SendMessageRequestHeaderV2::from_ext_fields(&wire),
        Err(HeaderError::Missing("g"))
    );
    wire.insert("g", "12x");
    assert_eq!(
        SendMessageRequestHeaderV2::from_ext_fields(&wire),
        Err(HeaderError::Invalid {
            field: "g",
            value: "12x".into()
        })
    );
    wire.insert("g", "12");
    let h = SendMessageRequestHeaderV2::from_ext_fields(&wire).unwrap();
    // Java's initial values for the absent optional fields: null boxes, false primitives.
    assert_eq!(
        (
            h.properties,
            h.reconsume_times,
            h.unit_mode,
            h.batch,
            h.broker_name
        ),
        (None, None, false, false, None)
    );
}

#[test]
fn optional_defaults_follow_java_initialisers() {
    let h = EndTransactionRequestHeader::from_ext_fields(&ext(&[
        ("producerGroup", "g"),
        ("tranStateTableOffset", "1"),
        ("commitLogOffset", "2"),
        ("commitOrRollback", "8"),
        ("msgId", "m"),
    ]))
    .unwrap();
    assert_eq!(
        h.from_transaction_check,
        Some(false),
        "Boolean fromTransactionCheck = false"
    );
    assert_eq!(h.to_ext_fields().get("fromTransactionCheck"), Some("false"));
    assert_eq!(h.transaction_id, None);

    let q = QueryConsumeQueueRequestHeader::from_ext_fields(&ExtFields::new()).unwrap();
    assert_eq!(
        (q.queue_id, q.index, q.count, q.topic.as_deref()),
        (0, 0, 0, None),
        "plain int/long fields default to 0"
    );
    assert_eq!(
        q.to_ext_fields(),
        ext(&[("queueId", "0"), ("index", "0"), ("count", "0")])
    );

    let back = ConsumerSendMsgBackRequestHeader::from_ext_fields(&ext(&[
        ("offset", "5"),
        ("group", "g"),
        ("delayLevel", "0"),
    ]))
    .unwrap();
    assert!(!back.unit_mode);
    assert_eq!(back.max_reconsume_times, None);
}

#[test]
fn required_fields_report_javas_text() {
    let err =
        PullMessageRequestHeader::from_ext_fields(&ext(&[("consumerGroup", "g")])).unwrap_err();
    assert_eq!(err.to_string(), "the custom field <topic> is null");
    // A @CFNotNull primitive keeps Java's 0/false when missing, as Java 4.9.7 does.
    let h = GetConsumeStatsInBrokerHeader::from_ext_fields(&ExtFields::new()).unwrap();
    assert!(!h.is_order);
    let reset =
        ResetOffsetRequestHeader::from_ext_fields(&ext(&[("topic", "T"), ("group", "g")])).unwrap();
    assert_eq!((reset.timestamp, reset.is_force), (0, false));
    assert_eq!(
        ResetOffsetRequestHeader::from_ext_fields(&ext(&[("topic", "T")])),
        Err(HeaderError::Missing("group")),
        "boxed @CFNotNull fields stay required"
    );
}

#[test]
fn booleans_parse_like_boolean_parse_boolean() {
    let base = [("topic", "T"), ("group", "g"), ("timestamp", "-1")];
    for (raw, want) in [
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("false", false),
        ("1", true), // the C++ client's spelling of true (deliberate deviation)
        ("", false),
    ] {
        let mut e = ext(&base);
        e.insert("isForce", raw);
        assert_eq!(
            ResetOffsetRequestHeader::from_ext_fields(&e)
                .unwrap()
                .is_force,
            want,
            "{raw:?}"
        );
    }
}

#[test]
fn check_fields_rejects_what_java_rejects() {
    let mut e = ext(&[
        ("producerGroup", "g"),
        ("tranStateTableOffset", "1"),
        ("commitLogOffset", "2"),
        ("commitOrRollback", "4"),
        ("msgId", "m"),
    ]);
    let err = EndTransactionRequestHeader::from_ext_fields(&e).unwrap_err();
    assert_eq!(err.to_string(), "commitOrRollback field wrong");
    for ok in ["0", "8", "12"] {
        e.insert("commitOrRollback", ok);
        assert!(
            EndTransactionRequestHeader::from_ext_fields(&e).is_ok(),
            "{ok}"
        );
    }

    let mut topic = ext(&[
        ("topic", "T"),
        ("defaultTopic", "TBW102"),
        ("readQueueNums", "8"),
        ("writeQueueNums", "8"),
        ("perm", "6"),
        ("topicFilterType", "single_tag"),
        ("order", "false"),
    ]);
    assert_eq!(
        CreateTopicRequestHeader::from_ext_fields(&topic)
            .unwrap_err()
            .to_string(),
        "topicFilterType = [single_tag] value invalid"
    );
    topic.insert("topicFilterType", "MULTI_TAG");
    assert!(CreateTopicRequestHeader::from_ext_fields(&topic).is_ok());
}

#[test]
fn golden_ext_fields_come_out_in_javas_hash_map_order() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_ext_fields_come_out_in_javas_hash_map_order")
    else {
        return;
    };
    let mut checked: BTreeMap<(bool, &str), usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in load_frames(&golden) {
        let Some(ext) = &f.ext else { continue };
        let kind = if f.is_request {
            request_header_kind(f.request_code)
        } else {
            response_header_kind(f.request_code)
        };
        if ext.len() < 2 || (f.binary && kind.is_some_and(HeaderKind::is_fast_codec)) {
            continue; // nothing to order, or declaration order (checked above)
        }
        let wire: Vec<&str> = ext.iter().map(|(k, _)| k.as_str()).collect();
        let ours = java_ext_fields_order(kind, &to_ext(ext));
        let ours: Vec<&str> = ours.iter().map(|(k, _)| k).collect();
        if wire != ours {
            failures.push(format!(
                "{} conn {} seq {} code {}: Java {wire:?}, ours {ours:?}",
                f.scenario, f.conn, f.seq, f.request_code
            ));
        }
        *checked
            .entry((f.binary, if f.is_request { "request" } else { "response" }))
            .or_default() += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {:?} differ:\n{}",
        failures.len(),
        checked,
        failures.join("\n")
    );
    println!("hash-map order checked: {checked:?}");
    assert!(checked.values().sum::<usize>() > 500, "{checked:?}");
}

/// What a Java server or client does when it answers or sends: extra keys added first
/// (`addExtField`), then the header. `write_header` must then give Java's exact key order, for
/// JSON frames (HashMap order) and binary fast-codec frames (declaration order, then extras).
#[test]
fn golden_write_header_reproduces_javas_key_order() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_write_header_reproduces_javas_key_order")
    else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in load_frames(&golden) {
        let Some(ext) = &f.ext else { continue };
        let kind = if f.is_request {
            request_header_kind(f.request_code)
        } else {
            response_header_kind(f.request_code)
        };
        let Some(kind) = kind else { continue };
        if !f.is_request && f.code != 0 && ext.is_empty() {
            continue;
        }
        let fields = kind.java_fields();
        let mut cmd = ferrocket::remoting::RemotingCommand::request(f.code, None);
        if f.binary {
            cmd.serialize_type = ferrocket::remoting::SerializeType::RocketMq;
        }
        let extras: ExtFields = ext
            .iter()
            .filter(|(k, _)| !fields.contains(&k.as_str()))
            .cloned()
            .collect();
        cmd.ext_fields = Some(extras);
        kind.write_from(&to_ext(ext), &mut cmd)
            .expect("golden header decodes");
        let wire: Vec<&str> = ext.iter().map(|(k, _)| k.as_str()).collect();
        let written = cmd.ext_fields.expect("written");
        let ours: Vec<&str> = written.iter().map(|(k, _)| k).collect();
        if wire != ours {
            failures.push(format!(
                "{} conn {} seq {}: Java {wire:?}, ours {ours:?}",
                f.scenario, f.conn, f.seq
            ));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 563 + 263, "every frame the round-trip test covers");
}

/// Untrusted input: every header type, fed maps of its own keys with hostile values (and some
/// missing), must answer Ok or a HeaderError - never panic - and what it accepts must re-read to
/// the same map (decoding is a projection).
#[test]
fn hostile_ext_fields_never_panic_and_decoding_is_idempotent() {
    let values = [
        "",
        " ",
        "0",
        "-1",
        "+1",
        "2147483648",
        "-9223372036854775809",
        "9223372036854775807",
        "true",
        "TRUE",
        "1e3",
        "NaN",
        "٣",
        "\u{0}",
        "a\u{1}b\u{2}",
        "x".repeat(70_000).leak(),
        "SINGLE_TAG",
        "8",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut accepted, mut refused) = (0, 0);
    for kind in HeaderKind::ALL {
        for _ in 0..300 {
            let mut ext = ExtFields::new();
            for field in kind.java_fields() {
                if next() % 5 != 0 {
                    ext.insert(*field, values[(next() % values.len() as u64) as usize]);
                }
            }
            if next() % 3 == 0 {
                ext.insert("unknownKey", "v");
            }
            match kind.reencode(&ext) {
                Ok(once) => {
                    accepted += 1;
                    let twice = kind
                        .reencode(&once)
                        .expect("a header's own output reads back");
                    assert_eq!(once, twice, "{kind:?}");
                    assert!(once.get("unknownKey").is_none());
                }
                Err(HeaderError::Missing(f) | HeaderError::Invalid { field: f, .. }) => {
                    refused += 1;
                    assert!(kind.java_fields().contains(&f), "{kind:?} blamed {f}");
                }
                Err(HeaderError::Rejected(_)) => refused += 1,
            }
        }
    }
    assert!(
        accepted > 1000 && refused > 1000,
        "accepted {accepted}, refused {refused}"
    );
}

#[test]
fn code_table_agrees_with_the_remoting_code_names() {
    for row in CODE_HEADERS {
        assert_eq!(
            ferrocket::remoting::request_code_name(row.code),
            Some(row.name),
            "code {}",
            row.code
        );
    }
    assert!(
        CODE_HEADERS.windows(2).all(|w| w[0].code < w[1].code),
        "sorted, unique"
    );
    assert_eq!(
        request_header_kind(310),
        Some(HeaderKind::SendMessageRequestHeaderV2)
    );
    assert_eq!(
        response_header_kind(320),
        Some(HeaderKind::SendMessageResponseHeader)
    );
    assert_eq!(request_header_kind(34), None, "HEART_BEAT has only a body");
    assert_eq!(request_header_kind(9999), None);
}
