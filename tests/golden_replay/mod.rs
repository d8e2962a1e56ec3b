//! Shared by the broker tests that replay golden Java 4.9.7 frames against a broker opened on the
//! golden `main-master` store: hex decoding of recorded frames, a recorded header's extFields,
//! and the store extraction.

#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The bytes of a recorded frame's hex string.
pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("golden hex"))
        .collect()
}

/// A recorded header's extFields as (name, value) pairs in recorded order.
pub fn ext_of(header: &Value) -> Option<Vec<(String, String)>> {
    header.get("extFields").and_then(Value::as_object).map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    })
}

/// Extracts the golden `main-master` store (system tar: sparse files) into `into`; returns its
/// root.
pub fn extract_store(golden: &Path, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).expect("create the store's parent");
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(golden.join("store/main-master.tar.gz"))
        .arg("-C")
        .arg(into)
        .status()
        .expect("tar runs");
    assert!(status.success(), "extract main-master.tar.gz");
    into.join("main-master")
}

/// Asserts that `got` is the response Java recorded in `expected` (a frame of the corpus): code,
/// remark, extFields in Java's order, and the body byte for byte. Returns the recorded body.
pub fn assert_same_response(
    what: &str,
    got: &ferrocket::remoting::RemotingCommand,
    expected: &Value,
) -> Vec<u8> {
    let eh = &expected["header"];
    assert_eq!(
        got.code as i64,
        eh["code"].as_i64().unwrap(),
        "{what}: code"
    );
    assert_eq!(
        got.remark.as_deref(),
        eh["remark"].as_str(),
        "{what}: remark"
    );
    let got_ext: Option<Vec<(String, String)>> = got.ext_fields.as_ref().map(|e| {
        e.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    });
    assert_eq!(got_ext, ext_of(eh), "{what}: extFields");
    let body_len = expected["body_len"].as_u64().unwrap() as usize;
    let frame = hex(expected["frame_hex"].as_str().unwrap());
    let expected_body = frame[frame.len() - body_len..].to_vec();
    assert_eq!(
        got.body.as_deref().unwrap_or_default(),
        expected_body.as_slice(),
        "{what}: body"
    );
    expected_body
}

/// The request a recorded request frame carried: its code, extFields and body (sent as Java's
/// client sent it).
pub fn recorded_request(req: &Value) -> ferrocket::remoting::RemotingCommand {
    let code = req["code"].as_i64().unwrap() as i32;
    let ext = ext_of(&req["header"]).map(|pairs| {
        let mut ext = ferrocket::remoting::ExtFields::new();
        for (k, v) in pairs {
            ext.insert(k, v);
        }
        ext
    });
    let mut request = ferrocket::remoting::RemotingCommand::request(code, ext);
    let body_len = req["body_len"].as_u64().unwrap() as usize;
    if body_len > 0 {
        let frame = hex(req["frame_hex"].as_str().unwrap());
        request = request.with_body(frame[frame.len() - body_len..].to_vec());
    }
    request
}
