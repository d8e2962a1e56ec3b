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
