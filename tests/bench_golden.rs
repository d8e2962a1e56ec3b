//! The bench's SEND_MESSAGE_V2 against what a Java 4.9.7 producer sent (golden produce-json and
//! produce-rocketmq-binary captures): with the per-message values (queue, born timestamp,
//! properties) taken from the captured frame, the bench's request encodes to the same bytes.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use clap::Parser;
use tokio_util::codec::Encoder;
use tokio_util::sync::CancellationToken;

use ferrocket::bench::{self, BenchArgs};
use ferrocket::remoting::{
    request_code, response_code, Connection, ExtFields, LanguageCode, RemotingCodec,
    RemotingCommand, RemotingServer, RequestProcessor, SerializeType, ServerConfig,
};

/// Answers every send with SUCCESS and keeps the requests.
#[derive(Default)]
struct Recorder {
    sends: Mutex<Vec<RemotingCommand>>,
}

impl RequestProcessor for Recorder {
    async fn process(&self, _: &Connection, request: RemotingCommand) -> Option<RemotingCommand> {
        let response = RemotingCommand::response_to(&request, response_code::SUCCESS, None);
        if request.code == request_code::SEND_MESSAGE_V2 {
            self.sends.lock().unwrap().push(request);
        }
        Some(response)
    }
}

fn golden_send(dir: &std::path::Path, scenario: &str, keys: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(dir.join("frames").join(format!("{scenario}.jsonl"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|f| {
            f["code"] == 310
                && f["dir"] == "request"
                && f["header"]["extFields"]["i"]
                    .as_str()
                    .is_some_and(|i| i.starts_with(&format!("KEYS\u{1}{keys}\u{2}")))
        })
        .expect("golden send present")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn check(scenario: &str, serialize: &str, group: &str, topic: &str) {
    let Some(dir) = ferrocket::testkit::golden_or_skip(scenario) else {
        return;
    };
    // The async send: KEYS, UNIQ_KEY, WAIT, TAGS=TagB, no user properties.
    let golden = golden_send(&dir, scenario, "key-async-1");
    let gext = &golden["header"]["extFields"];

    let recorder = Arc::new(Recorder::default());
    let server = RemotingServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        recorder.clone(),
        ServerConfig::default(),
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let stop: CancellationToken = server.shutdown_token();
    tokio::spawn(server.serve());

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }
    let line = format!(
        "bench produce --broker {addr} --broker-name broker-a --queues 1 --messages 1 \
         --keys on --tags TagB --serialize {serialize} --producer-group {group} --topic {topic}"
    );
    let args = Cli::try_parse_from(line.split_whitespace()).unwrap().bench;
    let report = bench::run(args).await.unwrap();
    stop.cancel();
    assert_eq!(report.messages(), 1);
    let ours = recorder.sends.lock().unwrap().pop().unwrap();

    // Same property names in the same order.
    let names = |i: &str| -> Vec<String> {
        bench::message::parse_properties(i)
            .map(|(k, _)| k.to_string())
            .collect()
    };
    assert_eq!(
        names(ours.ext("i").unwrap()),
        names(gext["i"].as_str().unwrap())
    );

    // Put the captured per-message values in place (order kept) and re-encode.
    let mut ext: ExtFields = ours.ext_fields.clone().unwrap();
    for key in ["e", "g", "i"] {
        ext.insert(key, gext[key].as_str().unwrap());
    }
    let body = hex::decode_body(&golden);
    let command = RemotingCommand {
        code: ours.code,
        language: LanguageCode::Java,
        version: golden["version"].as_i64().unwrap() as i32,
        opaque: golden["opaque"].as_i64().unwrap() as i32,
        flag: ours.flag,
        remark: None,
        ext_fields: Some(ext),
        serialize_type: ours.serialize_type,
        body: Some(body.into()),
    };
    assert_eq!(
        command.serialize_type,
        if serialize == "json" {
            SerializeType::Json
        } else {
            SerializeType::RocketMq
        }
    );
    let mut frame = BytesMut::new();
    RemotingCodec::default()
        .encode(&command, &mut frame)
        .unwrap();
    assert_eq!(
        hex(&frame),
        golden["frame_hex"].as_str().unwrap(),
        "{scenario}"
    );
}

mod hex {
    /// The body of a captured frame: the bytes after the header.
    pub fn decode_body(frame: &serde_json::Value) -> Vec<u8> {
        let text = frame["frame_hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect();
        let header_len = frame["header_len"].as_u64().unwrap() as usize;
        bytes[8 + header_len..].to_vec()
    }
}

#[tokio::test]
async fn json_send_matches_java_bytes() {
    check("produce-json", "json", "golden_produce_json", "GoldenJson").await;
}

#[tokio::test]
async fn rocketmq_send_matches_java_bytes() {
    check(
        "produce-rocketmq-binary",
        "rocketmq",
        "golden_produce_binary",
        "GoldenBinary",
    )
    .await;
}
