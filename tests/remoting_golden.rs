//! Every remoting frame Java 4.9.7 put on the wire in the golden corpus decodes to the header
//! the corpus recorded, and re-encodes to the identical bytes (JSON and ROCKETMQ headers).

use std::path::Path;

use bytes::BytesMut;
use ferrocket::remoting::{RemotingCodec, RemotingCommand, SerializeType};
use serde_json::Value;
use tokio_util::codec::{Decoder, Encoder};

fn unhex(s: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit {c}"),
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| digit(p[0]) << 4 | digit(p[1]))
        .collect()
}

/// Every frame line of every `frames/*.jsonl`.
fn frame_lines(golden: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(golden.join("frames"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut lines = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            lines.push(serde_json::from_str(line).unwrap());
        }
    }
    lines
}

fn decode_whole(frame: &[u8]) -> RemotingCommand {
    let mut src = BytesMut::from(frame);
    let cmd = RemotingCodec::default()
        .decode(&mut src)
        .unwrap()
        .expect("a whole frame");
    assert!(src.is_empty(), "frame fully consumed");
    cmd
}

fn check_header(cmd: &RemotingCommand, header: &Value, what: &str) {
    let int = |k: &str| {
        header[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{what}: no {k}")) as i32
    };
    assert_eq!(cmd.code, int("code"), "{what}: code");
    assert_eq!(cmd.flag, int("flag"), "{what}: flag");
    assert_eq!(cmd.opaque, int("opaque"), "{what}: opaque");
    assert_eq!(cmd.version, int("version"), "{what}: version");
    assert_eq!(
        Some(cmd.language.name()),
        header["language"].as_str(),
        "{what}: language"
    );
    assert_eq!(
        cmd.remark.as_deref(),
        header.get("remark").and_then(Value::as_str),
        "{what}: remark"
    );
    let expected_ext: Option<Vec<(String, String)>> = header.get("extFields").map(|ext| {
        ext.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect()
    });
    let actual_ext: Option<Vec<(String, String)>> = cmd.ext_fields.as_ref().map(|e| {
        e.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    });
    match cmd.serialize_type {
        SerializeType::Json => assert_eq!(actual_ext, expected_ext, "{what}: extFields"),
        // The corpus shows an empty binary ext section as `{}`; Java (and we) read it as no map.
        SerializeType::RocketMq => {
            assert_eq!(
                actual_ext.unwrap_or_default(),
                expected_ext.unwrap_or_default(),
                "{what}: extFields"
            )
        }
    }
}

#[test]
fn every_golden_frame_decodes_and_re_encodes_byte_for_byte() {
    let Some(golden) = ferrocket::testkit::golden_or_skip(
        "every_golden_frame_decodes_and_re_encodes_byte_for_byte",
    ) else {
        return;
    };
    let lines = frame_lines(&golden);
    assert!(lines.len() > 1000, "corpus has {} frames", lines.len());
    let (mut json, mut binary) = (0, 0);
    for line in &lines {
        let what = format!(
            "{} conn {} seq {}",
            line["scenario"], line["conn"], line["seq"]
        );
        assert!(
            line.get("truncated").is_none(),
            "{what}: truncated frames are not in this corpus"
        );
        let frame = unhex(line["frame_hex"].as_str().unwrap());
        assert_eq!(
            frame.len() as u64,
            line["frame_len"].as_u64().unwrap(),
            "{what}"
        );
        let cmd = decode_whole(&frame);

        let serialize = line["serialize"].as_str().unwrap();
        match cmd.serialize_type {
            SerializeType::Json => {
                assert_eq!(serialize, "JSON", "{what}");
                json += 1;
            }
            SerializeType::RocketMq => {
                assert_eq!(serialize, "ROCKETMQ", "{what}");
                binary += 1;
            }
        }
        check_header(&cmd, &line["header"], &what);
        let header_len = line["header_len"].as_u64().unwrap() as usize;
        let body = &frame[8 + header_len..];
        assert_eq!(cmd.body.as_deref().unwrap_or(&[]), body, "{what}: body");
        assert_eq!(
            body.len() as u64,
            line["body_len"].as_u64().unwrap(),
            "{what}"
        );
        assert_eq!(
            line["dir"] == "response",
            cmd.is_response(),
            "{what}: direction"
        );
        assert_eq!(
            line["oneway"].as_bool().unwrap(),
            cmd.is_oneway(),
            "{what}: oneway"
        );

        let mut again = BytesMut::new();
        RemotingCodec::default().encode(&cmd, &mut again).unwrap();
        if again[..] != frame[..] {
            let text = |b: &[u8]| {
                String::from_utf8_lossy(&b[8..8 + header_len.min(b.len() - 8)]).into_owned()
            };
            panic!(
                "{what}: re-encoded frame differs\n ours: {}\njava: {}",
                text(&again),
                text(&frame)
            );
        }
    }
    println!("{json} JSON and {binary} ROCKETMQ frames byte-identical after decode + encode");
    assert!(
        json > 900 && binary > 50,
        "both header kinds covered ({json} JSON, {binary} ROCKETMQ)"
    );
}

#[test]
fn code_tables_match_codes_json() {
    use ferrocket::remoting::{request_code, request_code_name, response_code, response_code_name};
    let Some(golden) = ferrocket::testkit::golden_or_skip("code_tables_match_codes_json") else {
        return;
    };
    let codes: Value =
        serde_json::from_str(&std::fs::read_to_string(golden.join("codes.json")).unwrap()).unwrap();
    for (table, lookup) in [
        (
            "request_codes",
            request_code_name as fn(i32) -> Option<&'static str>,
        ),
        ("response_codes", response_code_name),
    ] {
        let entries = codes[table].as_object().unwrap();
        assert!(entries.len() > 30, "{table}");
        for (number, names) in entries {
            let number: i32 = number.parse().unwrap();
            let names: Vec<&str> = names
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            assert_eq!(lookup(number), Some(names[0]), "{table} {number}");
        }
    }
    assert_eq!(request_code::SEND_MESSAGE_V2, 310);
    assert_eq!(request_code::GET_ROUTEINFO_BY_TOPIC, 105);
    assert_eq!(response_code::REQUEST_CODE_NOT_SUPPORTED, 3);
    assert_eq!(response_code::FLOW_CONTROL, 215);
    assert_eq!(request_code_name(44), None);
}

#[test]
fn golden_tcp_streams_decode_frame_by_frame_in_any_chunking() {
    use std::collections::BTreeMap;
    let Some(golden) = ferrocket::testkit::golden_or_skip(
        "golden_tcp_streams_decode_frame_by_frame_in_any_chunking",
    ) else {
        return;
    };
    /// One direction of one connection: its bytes as they arrived, and (code, opaque) per frame.
    #[derive(Default)]
    struct Stream {
        bytes: Vec<u8>,
        frames: Vec<(i32, i32)>,
    }
    let mut streams: BTreeMap<(String, u64, String), Stream> = BTreeMap::new();
    for line in frame_lines(&golden) {
        let key = (
            line["scenario"].as_str().unwrap().to_string(),
            line["conn"].as_u64().unwrap(),
            line["direction"].as_str().unwrap().to_string(),
        );
        let stream = streams.entry(key).or_default();
        stream
            .bytes
            .extend(unhex(line["frame_hex"].as_str().unwrap()));
        stream.frames.push((
            line["code"].as_i64().unwrap() as i32,
            line["opaque"].as_i64().unwrap() as i32,
        ));
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut chunk_len = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        1 + (seed % 3000) as usize
    };
    let mut frames = 0;
    for (
        (scenario, conn, direction),
        Stream {
            bytes,
            frames: expected,
        },
    ) in &streams
    {
        let mut codec = RemotingCodec::default();
        let mut src = BytesMut::new();
        let mut decoded = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + chunk_len()).min(bytes.len());
            src.extend_from_slice(&bytes[at..end]);
            at = end;
            while let Some(cmd) = codec.decode(&mut src).unwrap() {
                decoded.push((cmd.code, cmd.opaque));
            }
        }
        assert!(
            src.is_empty(),
            "{scenario} conn {conn} {direction}: bytes left over"
        );
        assert_eq!(&decoded, expected, "{scenario} conn {conn} {direction}");
        frames += decoded.len();
    }
    assert_eq!(frames, 1071);
}
