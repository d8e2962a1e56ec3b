//! What the bench puts on the wire and reads back: Java's client message id (`UNIQ_KEY`), the
//! message properties string, SEND_BATCH_MESSAGE bodies, and a walk over the stored-record
//! bodies PULL_MESSAGE returns.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::{BufMut, BytesMut};

pub use crate::store::message::body_crc;
use crate::store::message::host_len;
use crate::store::message::property::{
    KEYS as PROPERTY_KEYS, TAGS as PROPERTY_TAGS,
    UNIQ_CLIENT_MESSAGE_ID_KEYIDX as PROPERTY_UNIQ_KEY,
    WAIT_STORE_MSG_OK as PROPERTY_WAIT_STORE_MSG_OK,
};
use crate::store::message::sys_flag::{BORNHOST_V6_FLAG, STOREHOSTADDRESS_V6_FLAG};

/// Between a property's name and value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Between properties.
pub const PROPERTY_SEPARATOR: char = '\u{2}';

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xF) as usize] as char);
    }
}

/// Java's `MessageClientIDSetter`: the `UNIQ_KEY` a producer gives every message. Upper-case
/// hex of `ip (4 or 16 bytes) · i16 pid · i32 class-loader hash · i32 ms since the start of the
/// month · i16 counter`: 32 hex chars on an IPv4 host.
#[derive(Debug)]
pub struct UniqIdGenerator {
    /// Hex of the fixed part: ip, pid, "class loader hash".
    prefix: String,
    counter: AtomicU32,
}

impl UniqIdGenerator {
    /// A generator for this process on the host with address `ip`. `salt` stands in for
    /// Java's class-loader hash code (any value distinguishing generators of one process).
    pub fn new(ip: IpAddr, salt: u32) -> UniqIdGenerator {
        let mut prefix = String::with_capacity(44);
        match ip {
            IpAddr::V4(v4) => push_hex(&mut prefix, &v4.octets()),
            IpAddr::V6(v6) => push_hex(&mut prefix, &v6.octets()),
        }
        push_hex(&mut prefix, &(std::process::id() as u16).to_be_bytes());
        push_hex(&mut prefix, &salt.to_be_bytes());
        UniqIdGenerator {
            prefix,
            counter: AtomicU32::new(0),
        }
    }

    /// Length of the ids, in chars.
    pub fn id_len(&self) -> usize {
        self.prefix.len() + 12
    }

    /// Appends the next id, for a message created at `now_ms` (epoch ms), to `out`.
    pub fn push_next(&self, out: &mut String, now_ms: i64) {
        out.push_str(&self.prefix);
        let diff = now_ms - month_start_ms(now_ms);
        push_hex(out, &(diff as i32).to_be_bytes());
        let n = self.counter.fetch_add(1, Ordering::Relaxed) as u16;
        push_hex(out, &n.to_be_bytes());
    }
}

/// Java's default `rocketmq.message.compressLevel`.
pub const COMPRESS_LEVEL: u32 = 5;

/// A body compressed as a Java producer does it, `ZlibCompressor.compress(body, 5)`: a zlib
/// stream (header, deflate, adler32).
pub fn compress_body(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(body.len() / 4 + 16),
        flate2::Compression::new(COMPRESS_LEVEL),
    );
    encoder.write_all(body)?;
    encoder.finish()
}

/// A random number from std's hasher seed (an id generator's salt, a start queue).
pub fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish() as u32
}

/// Epoch ms of 00:00 on the first day of `now_ms`'s month, UTC (Java uses the default time
/// zone; the id only needs a monotonic time within the month).
pub fn month_start_ms(now_ms: i64) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    let days = now_ms.div_euclid(DAY_MS);
    let (_, _, d) = civil_from_days(days);
    (days - (d as i64 - 1)) * DAY_MS
}

/// (year, month 1..=12, day 1..=31) of a count of days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Appends one `name\u1value` pair, preceded by the property separator unless `out` is empty.
fn push_property(out: &mut String, name: &str, value: impl FnOnce(&mut String)) {
    if !out.is_empty() {
        out.push(PROPERTY_SEPARATOR);
    }
    out.push_str(name);
    out.push(NAME_VALUE_SEPARATOR);
    value(out);
}

/// The properties string of a message as a Java producer sends it
/// (`MessageDecoder.messageProperties2String`): `KEYS`, `UNIQ_KEY`, `WAIT`, `TAGS`, the order
/// of Java's `HashMap` for these names (buckets 7, 12, 13, 14 of 16), no trailing separator.
/// Written into `out` (cleared first) so a task reuses one buffer.
pub fn write_send_properties(
    out: &mut String,
    keys: Option<&str>,
    uniq: Option<(&UniqIdGenerator, i64)>,
    tags: Option<&str>,
) {
    out.clear();
    if let Some(keys) = keys {
        push_property(out, PROPERTY_KEYS, |o| o.push_str(keys));
    }
    if let Some((ids, now_ms)) = uniq {
        push_property(out, PROPERTY_UNIQ_KEY, |o| ids.push_next(o, now_ms));
    }
    push_property(out, PROPERTY_WAIT_STORE_MSG_OK, |o| o.push_str("true"));
    if let Some(tags) = tags {
        push_property(out, PROPERTY_TAGS, |o| o.push_str(tags));
    }
}

/// Splits a properties string into (name, value) pairs; malformed pairs are skipped.
pub fn parse_properties(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split(PROPERTY_SEPARATOR)
        .filter_map(|pair| pair.split_once(NAME_VALUE_SEPARATOR))
}

/// Bytes one batch item takes in a SEND_BATCH_MESSAGE body.
pub fn batch_item_len(body_len: usize, properties_len: usize) -> usize {
    20 + body_len + 2 + properties_len
}

/// Appends one message to a SEND_BATCH_MESSAGE body (`MessageDecoder.encodeMessage`):
/// `i32 totalSize · i32 magic (0) · i32 bodyCRC · i32 flag · i32 bodyLen · body ·
/// i16 propertiesLen · properties`. Java's client leaves bodyCRC 0; the bench writes the real
/// CRC (the broker recomputes it either way).
pub fn put_batch_item(buf: &mut BytesMut, body: &[u8], crc: i32, flag: i32, properties: &str) {
    let total = batch_item_len(body.len(), properties.len());
    buf.reserve(total);
    buf.put_i32(total as i32);
    buf.put_i32(0);
    buf.put_i32(crc);
    buf.put_i32(flag);
    buf.put_i32(body.len() as i32);
    buf.put_slice(body);
    buf.put_i16(properties.len() as i16);
    buf.put_slice(properties.as_bytes());
}

/// What the consumer needs from one stored record of a PULL_MESSAGE body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSummary {
    pub total_size: usize,
    pub queue_offset: i64,
    pub born_timestamp: i64,
    pub body_len: usize,
}

/// A record the walk could not read; the rest of the body is skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed stored record at byte {at} of a {body_len}-byte pull body")]
pub struct MalformedRecord {
    pub at: usize,
    pub body_len: usize,
}

/// Offset of `sysFlag` and `bornTimestamp` in a record (after totalSize, magic, bodyCRC,
/// queueId, flag, queueOffset, physicalOffset).
const SYS_FLAG_AT: usize = 36;
const BORN_TIMESTAMP_AT: usize = 40;
const QUEUE_OFFSET_AT: usize = 20;

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn summarize(record: &[u8]) -> Option<RecordSummary> {
    let sys_flag = be_i32(record, SYS_FLAG_AT)?;
    let born_host = host_len(sys_flag & BORNHOST_V6_FLAG != 0);
    let store_host = host_len(sys_flag & STOREHOSTADDRESS_V6_FLAG != 0);
    // bornHost, storeTimestamp, storeHost, reconsumeTimes, preparedTransactionOffset.
    let body_len_at = BORN_TIMESTAMP_AT + 8 + born_host + 8 + store_host + 4 + 8;
    let body_len = usize::try_from(be_i32(record, body_len_at)?).ok()?;
    if body_len_at + 4 + body_len > record.len() {
        return None;
    }
    Some(RecordSummary {
        total_size: record.len(),
        queue_offset: be_i64(record, QUEUE_OFFSET_AT)?,
        born_timestamp: be_i64(record, BORN_TIMESTAMP_AT)?,
        body_len,
    })
}

/// Walks the records of a PULL_MESSAGE body: each starts with its `i32 totalSize`.
pub fn walk_records(
    body: &[u8],
) -> impl Iterator<Item = Result<RecordSummary, MalformedRecord>> + '_ {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        if at >= body.len() {
            return None;
        }
        let malformed = MalformedRecord {
            at,
            body_len: body.len(),
        };
        let record = be_i32(body, at)
            .and_then(|size| usize::try_from(size).ok())
            .filter(|&size| size > BORN_TIMESTAMP_AT + 8)
            .and_then(|size| body.get(at..at.checked_add(size)?))
            .and_then(summarize);
        match record {
            Some(r) => {
                at += r.total_size;
                Some(Ok(r))
            }
            None => {
                at = body.len();
                Some(Err(malformed))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn month_start() {
        // 2026-11-23T09:20:02Z -> 2026-11-01T00:00:00Z.
        assert_eq!(month_start_ms(1_795_425_602_000), 1_793_491_200_000);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(month_start_ms(0), 0);
    }

    #[test]
    fn uniq_ids_have_java_layout() {
        let ids = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 0x0102_0304);
        let now = 1_793_491_200_000 + 0x1234;
        let mut a = String::new();
        ids.push_next(&mut a, now);
        let mut b = String::new();
        ids.push_next(&mut b, now);
        assert_eq!(a.len(), 32);
        assert_eq!(ids.id_len(), 32);
        let pid = format!("{:04X}", std::process::id() as u16);
        assert_eq!(a, format!("7F000001{pid}0102030400001234{:04X}", 0));
        assert_eq!(&b[28..], "0001");
        let v6 = UniqIdGenerator::new("fd00::2".parse().unwrap(), 0);
        assert_eq!(v6.id_len(), 56);
    }

    #[test]
    fn properties_in_java_order() {
        let ids = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 7);
        let mut p = String::from("stale");
        write_send_properties(
            &mut p,
            Some("k1 k2"),
            Some((&ids, 1_795_425_602_000)),
            Some("TagA"),
        );
        let pairs: Vec<_> = parse_properties(&p).collect();
        let names: Vec<_> = pairs.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["KEYS", "UNIQ_KEY", "WAIT", "TAGS"]);
        assert_eq!(pairs[0].1, "k1 k2");
        assert_eq!(pairs[2].1, "true");
        assert!(!p.ends_with(PROPERTY_SEPARATOR));
        write_send_properties(&mut p, None, None, None);
        assert_eq!(p, "WAIT\u{1}true");
    }

    #[test]
    fn batch_item_matches_the_golden_layout() {
        // Item 1 of the golden produce-json batch, with the real CRC instead of Java's 0.
        let props = "batchIndex\u{1}1\u{2}KEYS\u{1}key-batch-1\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024C2630946E0973235FD40004\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagBatch";
        let body = b"golden json batch item 1";
        let mut buf = BytesMut::new();
        put_batch_item(&mut buf, body, body_crc(body), 0, props);
        assert_eq!(buf.len(), 165);
        assert_eq!(&buf[0..4], &165i32.to_be_bytes());
        assert_eq!(&buf[4..8], &[0, 0, 0, 0]);
        assert_eq!(&buf[8..12], &body_crc(body).to_be_bytes());
        assert_eq!(&buf[16..20], &24i32.to_be_bytes());
        assert_eq!(&buf[44..46], &119i16.to_be_bytes());
    }

    fn record(born: i64, sys_flag: i32, body: &[u8]) -> Vec<u8> {
        let v6 = |bit| if sys_flag & bit != 0 { 16 } else { 4 };
        let mut r = Vec::new();
        r.extend_from_slice(&0i32.to_be_bytes()); // size, patched below
        r.extend_from_slice(&(-626_843_481i32).to_be_bytes());
        r.extend_from_slice(&body_crc(body).to_be_bytes());
        r.extend_from_slice(&1i32.to_be_bytes());
        r.extend_from_slice(&0i32.to_be_bytes());
        r.extend_from_slice(&5i64.to_be_bytes());
        r.extend_from_slice(&0i64.to_be_bytes());
        r.extend_from_slice(&sys_flag.to_be_bytes());
        r.extend_from_slice(&born.to_be_bytes());
        r.extend(std::iter::repeat_n(0, v6(BORNHOST_V6_FLAG) + 4));
        r.extend_from_slice(&(born + 1).to_be_bytes());
        r.extend(std::iter::repeat_n(0, v6(STOREHOSTADDRESS_V6_FLAG) + 4));
        r.extend_from_slice(&0i32.to_be_bytes());
        r.extend_from_slice(&0i64.to_be_bytes());
        r.extend_from_slice(&(body.len() as i32).to_be_bytes());
        r.extend_from_slice(body);
        r.push(1);
        r.push(b'T');
        r.extend_from_slice(&0i16.to_be_bytes());
        let len = r.len() as i32;
        r[0..4].copy_from_slice(&len.to_be_bytes());
        r
    }

    #[test]
    fn walk_reads_born_timestamps_and_body_lengths() {
        let mut body = record(1000, 0, b"hello");
        body.extend(record(
            2000,
            BORNHOST_V6_FLAG | STOREHOSTADDRESS_V6_FLAG,
            b"abc",
        ));
        let got: Vec<_> = walk_records(&body).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].born_timestamp, got[0].body_len, got[0].queue_offset),
            (1000, 5, 5)
        );
        assert_eq!(got[0].total_size, 91 + 5 + 1);
        assert_eq!((got[1].born_timestamp, got[1].body_len), (2000, 3));
        assert_eq!(got[1].total_size, 91 + 24 + 3 + 1);
    }

    #[test]
    fn walk_stops_at_garbage() {
        let mut body = record(1000, 0, b"hello");
        body.extend_from_slice(&[0, 0, 0, 200, 1, 2]);
        let got: Vec<_> = walk_records(&body).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert_eq!(
            got[1],
            Err(MalformedRecord {
                at: 97,
                body_len: 103
            })
        );
        assert_eq!(walk_records(&[0xFF; 3]).count(), 1);
        assert_eq!(walk_records(&[]).count(), 0);
    }
}
