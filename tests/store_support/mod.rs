//! Helpers for the store tests: temp dirs, golden tarball extraction, SHA-256, and an independent
//! CommitLog record reader (plain byte parsing, written apart from `ferrocket::store::message`, so
//! the round-trip tests do not check the encoder against itself).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Temp dirs are the multi-process tests' own (one definition for every test binary).
#[path = "../support/mod.rs"]
mod support;
#[allow(unused_imports)]
pub use support::TempDir;

/// Extracts `<golden>/store/<name>.tar.gz` into `into` with the system tar (sparse aware);
/// returns the store root.
pub fn extract_store(golden: &Path, name: &str, into: &Path) -> PathBuf {
    let tarball = golden.join("store").join(format!("{name}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(into)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar -xzf {}", tarball.display());
    into.join(name)
}

/// The golden stores whose manifests the golden tests walk.
pub const STORES: [&str; 4] = ["main-master", "crash-master", "ha-master", "ha-slave"];

/// Extracts `store/<name>.tar.gz` of the golden corpus with the system tar (sparse files) into
/// a fresh temp dir named after `test`, and returns (that dir, store root, manifest). The store
/// is removed when the dir is dropped: callers keep it bound while they read the store.
pub fn extract_golden(
    golden: &Path,
    name: &str,
    test: &str,
) -> (TempDir, PathBuf, serde_json::Value) {
    let tmp = TempDir::new(&format!("{test}-{name}"));
    extract_store(golden, name, tmp.path());
    let manifest_path = golden.join("store").join(format!("{name}.manifest.json"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest_path).expect("read manifest"))
            .expect("manifest is JSON");
    let top = manifest["tar_top_dir"].as_str().unwrap_or(name).to_string();
    let root = tmp.path().join(top);
    (tmp, root, manifest)
}

/// A manifest number as i64.
pub fn i64_of(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Java's delay levels `1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h`, in ms.
const DELAY_LEVEL_MS: [i64; 18] = [
    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000,
    480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/// The DispatchRequest Java's `CommitLog.checkMessageAndReturnSize` builds for a manifest
/// record: tags code = `String.hashCode(TAGS)`, or for SCHEDULE_TOPIC_XXXX the delivery time
/// (store time + delay of the level).
pub fn dispatch_request(record: &serde_json::Value) -> ferrocket::store::dispatch::DispatchRequest {
    let props = &record["properties"];
    let prop = |k: &str| {
        props
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let topic = record["topic"].as_str().expect("topic").to_string();
    let store_timestamp = i64_of(&record["storeTimestamp"]);
    let tags = prop("TAGS");
    let mut tags_code = if tags.is_empty() {
        0
    } else {
        ferrocket::java::java_string_hash(&tags) as i64
    };
    if topic == "SCHEDULE_TOPIC_XXXX" {
        if let Ok(level) = prop("DELAY").parse::<usize>() {
            if level > 0 {
                tags_code = store_timestamp + DELAY_LEVEL_MS[level.min(DELAY_LEVEL_MS.len()) - 1];
            }
        }
    }
    ferrocket::store::dispatch::DispatchRequest {
        topic,
        queue_id: i64_of(&record["queueId"]) as i32,
        commit_log_offset: i64_of(&record["commitLogOffset"]),
        msg_size: i64_of(&record["totalSize"]) as i32,
        tags_code,
        store_timestamp,
        consume_queue_offset: i64_of(&record["queueOffset"]),
        keys: prop("KEYS"),
        uniq_key: prop("UNIQ_KEY"),
        sys_flag: i64_of(&record["sysFlag"]) as i32,
        prepared_transaction_offset: i64_of(&record["preparedTransactionOffset"]),
        success: true,
    }
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// CRC-32 (IEEE) computed bit by bit, independent of crc32fast.
pub fn crc32_ieee(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A record as read by plain byte parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub offset: u64,
    pub total_size: u32,
    pub magic: u32,
    pub body_crc: u32,
    pub queue_id: u32,
    pub flag: u32,
    pub queue_offset: u64,
    pub physical_offset: u64,
    pub sys_flag: u32,
    pub born_timestamp: u64,
    pub born_host: String,
    pub store_timestamp: u64,
    pub store_host: String,
    pub reconsume_times: u32,
    pub prepared_transaction_offset: u64,
    pub body: Vec<u8>,
    pub topic: String,
    pub properties: String,
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}
fn be_u64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

fn host(b: &[u8], at: usize, v6: bool) -> (String, usize) {
    if v6 {
        let ip = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&b[at..at + 16]).unwrap());
        (format!("[{ip}]:{}", be_u32(b, at + 16)), 20)
    } else {
        (
            format!(
                "{}.{}.{}.{}:{}",
                b[at],
                b[at + 1],
                b[at + 2],
                b[at + 3],
                be_u32(b, at + 4)
            ),
            8,
        )
    }
}

/// What the walk over one CommitLog file found.
#[derive(Debug, Default)]
pub struct FileWalk {
    pub records: Vec<RawRecord>,
    /// (position, declared size) of a blank end-of-file record.
    pub blank: Option<(usize, u32)>,
}

/// Walks one CommitLog file from the start: records until a blank record or a zero header.
/// Panics (the test fails) on anything else.
pub fn walk_commitlog_file(bytes: &[u8], file_from: u64) -> FileWalk {
    let mut walk = FileWalk::default();
    let mut p = 0usize;
    while p + 8 <= bytes.len() {
        let total = be_u32(bytes, p);
        let magic = be_u32(bytes, p + 4);
        if total == 0 && magic == 0 {
            break;
        }
        if magic == 0xCBD4_3194 {
            assert_eq!(
                total as usize,
                bytes.len() - p,
                "blank record must cover the rest of the file"
            );
            walk.blank = Some((p, total));
            break;
        }
        assert_eq!(magic, 0xDAA3_20A7, "magic at {}", file_from + p as u64);
        let r = &bytes[p..p + total as usize];
        let sys_flag = be_u32(r, 36);
        let (born_host, bl) = host(r, 48, sys_flag & 0x10 != 0);
        let q = 48 + bl;
        let store_timestamp = be_u64(r, q);
        let (store_host, sl) = host(r, q + 8, sys_flag & 0x20 != 0);
        let q = q + 8 + sl;
        let body_len = be_u32(r, q + 12) as usize;
        let body = r[q + 16..q + 16 + body_len].to_vec();
        let t = q + 16 + body_len;
        let topic_len = r[t] as usize;
        let topic = String::from_utf8(r[t + 1..t + 1 + topic_len].to_vec()).unwrap();
        let pl = t + 1 + topic_len;
        let props_len = u16::from_be_bytes([r[pl], r[pl + 1]]) as usize;
        let properties = String::from_utf8(r[pl + 2..pl + 2 + props_len].to_vec()).unwrap();
        assert_eq!(
            pl + 2 + props_len,
            total as usize,
            "fields add up to totalSize"
        );
        walk.records.push(RawRecord {
            offset: file_from + p as u64,
            total_size: total,
            magic,
            body_crc: be_u32(r, 8),
            queue_id: be_u32(r, 12),
            flag: be_u32(r, 16),
            queue_offset: be_u64(r, 20),
            physical_offset: be_u64(r, 28),
            sys_flag,
            born_timestamp: be_u64(r, 40),
            born_host,
            store_timestamp,
            store_host,
            reconsume_times: be_u32(r, q),
            prepared_transaction_offset: be_u64(r, q + 4),
            body,
            topic,
            properties,
        });
        p += total as usize;
    }
    walk
}

#[test]
fn helpers_self_check() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(crc32_ieee(b"123456789"), 0xCBF4_3926);
}
