//! Reading the golden corpus' recorded frames (`frames/<scenario>.jsonl`) for the NameServer
//! tests.

#![allow(dead_code)]

use std::path::Path;

/// One recorded remoting frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub scenario: String,
    pub conn: i64,
    pub seq: i64,
    pub client: String,
    pub server: String,
    pub is_response: bool,
    pub oneway: bool,
    pub code: i32,
    pub version: i32,
    pub opaque: i32,
    pub serialize: String,
    /// Seconds since the scenario's capture start.
    pub ts: f64,
    pub remark: Option<String>,
    /// `None` when the header had no `extFields` member.
    pub ext_fields: Option<Vec<(String, String)>>,
    pub body: Option<Vec<u8>>,
    /// The whole frame, length prefix included.
    pub bytes: Vec<u8>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Every frame of a scenario, in file order (by connection, then capture time).
pub fn load(golden: &Path, scenario: &str) -> Vec<Frame> {
    let text = std::fs::read_to_string(golden.join("frames").join(format!("{scenario}.jsonl")))
        .expect("read frames");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("frame json");
            let bytes = unhex(v["frame_hex"].as_str().expect("frame_hex"));
            let header_len = (u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
                & 0x00FF_FFFF) as usize;
            let body = bytes[8 + header_len..].to_vec();
            let header = &v["header"];
            let ext_fields = header
                .get("extFields")
                .and_then(|e| e.as_object())
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                });
            Frame {
                scenario: scenario.to_string(),
                conn: v["conn"].as_i64().unwrap_or(0),
                seq: v["seq"].as_i64().unwrap_or(0),
                client: v["client"].as_str().unwrap_or_default().to_string(),
                server: v["server"].as_str().unwrap_or_default().to_string(),
                is_response: v["dir"] == "response",
                oneway: v["oneway"].as_bool().unwrap_or(false),
                code: v["code"].as_i64().unwrap_or(0) as i32,
                version: v["version"].as_i64().unwrap_or(0) as i32,
                opaque: v["opaque"].as_i64().unwrap_or(0) as i32,
                serialize: v["serialize"].as_str().unwrap_or_default().to_string(),
                ts: v["ts"].as_f64().unwrap_or(0.0),
                remark: header
                    .get("remark")
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                ext_fields,
                body: if body.is_empty() { None } else { Some(body) },
                bytes,
            }
        })
        .collect()
}

/// The scenario files of the corpus.
pub const SCENARIOS: &[&str] = &[
    "ns-broker-register",
    "ns-broker-register-compressed",
    "ha-master-slave",
    "produce-json",
    "produce-rocketmq-binary",
    "consume-push",
    "consume-pull",
    "consume-orderly",
    "consume-broadcast",
    "sql-filter",
    "transaction",
    "admin",
];

/// Frames to and from the NameServer, of every scenario.
pub fn namesrv_frames(golden: &Path) -> Vec<Frame> {
    SCENARIOS
        .iter()
        .flat_map(|s| load(golden, s))
        .filter(|f| f.server == "namesrv")
        .collect()
}

/// The response to `request` in `frames` (same scenario, connection and opaque).
pub fn response_to<'a>(frames: &'a [Frame], request: &Frame) -> Option<&'a Frame> {
    frames.iter().find(|f| {
        f.is_response
            && f.scenario == request.scenario
            && f.conn == request.conn
            && f.opaque == request.opaque
    })
}

/// One connection of `frames/<scenario>.conns.json`.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub conn: i64,
    pub client: String,
    pub client_addr: String,
    pub server: String,
    /// False: the connection was open before the capture started.
    pub syn_seen: bool,
}

/// The capture start (epoch seconds) and connections of a scenario.
pub fn conns(golden: &Path, scenario: &str) -> (f64, Vec<ConnInfo>) {
    let text =
        std::fs::read_to_string(golden.join("frames").join(format!("{scenario}.conns.json")))
            .expect("conns");
    let v: serde_json::Value = serde_json::from_str(&text).expect("conns json");
    let list = v["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .map(|c| ConnInfo {
            conn: c["conn"].as_i64().unwrap_or(0),
            client: c["client"].as_str().unwrap_or_default().to_string(),
            client_addr: c["client_addr"].as_str().unwrap_or_default().to_string(),
            server: c["server"].as_str().unwrap_or_default().to_string(),
            syn_seen: c["syn_seen"].as_bool().unwrap_or(true),
        })
        .collect();
    (v["capture_start_epoch"].as_f64().unwrap_or(0.0), list)
}
