//! Reading stored records (`MessageDecoder.decode`, `CommitLog.checkMessageAndReturnSize`).
//! Nothing here trusts the bytes: every length is checked against what is there.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::properties::Properties;
use super::{
    body_crc, property, read_host, record_len, sys_flag, BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE,
    SCHEDULE_TOPIC,
};
use crate::java::java_string_hash;
use crate::store::dispatch::DispatchRequest;

/// Why bytes are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    #[error("illegal magic code 0x{0:08X}")]
    BadMagic(i32),
    #[error("blank (end of file) record of {0} bytes")]
    Blank(i32),
    #[error("illegal total size {0}")]
    BadTotalSize(i32),
    #[error("total size {total} does not match the fields ({computed})")]
    SizeMismatch { total: i32, computed: usize },
    #[error("negative length field {0}")]
    NegativeLength(i32),
    #[error("body CRC mismatch: stored {stored}, computed {computed}")]
    CrcMismatch { stored: i32, computed: i32 },
}

/// A decoded record borrowing its variable parts from the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord<'a> {
    pub total_size: i32,
    pub magic: i32,
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// The body as stored (compressed when `sys_flag & COMPRESSED_FLAG`).
    pub body: &'a [u8],
    pub topic: &'a [u8],
    pub properties: &'a [u8],
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(DecodeError::Truncated {
                needed: self.pos.saturating_add(n),
                available: self.bytes.len(),
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn i32(&mut self) -> Result<i32, DecodeError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn i16(&mut self) -> Result<i16, DecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn host(&mut self, v6: bool) -> Result<SocketAddr, DecodeError> {
        let b = self.take(super::host_len(v6))?;
        read_host(b, v6).ok_or(DecodeError::Truncated {
            needed: self.pos,
            available: self.bytes.len(),
        })
    }
}

/// Smallest possible record (IPv4 hosts, empty body/topic/properties).
pub const MIN_RECORD_LEN: usize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;

impl<'a> StoredRecord<'a> {
    /// Decodes the record at the start of `bytes` (which may continue with more records).
    /// A blank record is reported as [`DecodeError::Blank`].
    pub fn decode(bytes: &'a [u8]) -> Result<StoredRecord<'a>, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let total_size = r.i32()?;
        let magic = r.i32()?;
        match magic {
            MESSAGE_MAGIC_CODE => {}
            BLANK_MAGIC_CODE => return Err(DecodeError::Blank(total_size)),
            other => return Err(DecodeError::BadMagic(other)),
        }
        if total_size < MIN_RECORD_LEN as i32 {
            return Err(DecodeError::BadTotalSize(total_size));
        }
        if total_size as usize > bytes.len() {
            return Err(DecodeError::Truncated {
                needed: total_size as usize,
                available: bytes.len(),
            });
        }
        // Only look inside the record's own bytes from here on.
        let mut r = Reader {
            bytes: &bytes[..total_size as usize],
            pos: 8,
        };
        let body_crc = r.i32()?;
        let queue_id = r.i32()?;
        let flag = r.i32()?;
        let queue_offset = r.i64()?;
        let physical_offset = r.i64()?;
        let sys_flag = r.i32()?;
        let born_timestamp = r.i64()?;
        let born_host = r.host(sys_flag & sys_flag::BORNHOST_V6_FLAG != 0)?;
        let store_timestamp = r.i64()?;
        let store_host = r.host(sys_flag & sys_flag::STOREHOSTADDRESS_V6_FLAG != 0)?;
        let reconsume_times = r.i32()?;
        let prepared_transaction_offset = r.i64()?;
        let body_len = r.i32()?;
        if body_len < 0 {
            return Err(DecodeError::NegativeLength(body_len));
        }
        let body = r.take(body_len as usize)?;
        let topic_len = r.take(1)?[0] as usize;
        let topic = r.take(topic_len)?;
        let properties_len = r.i16()?;
        if properties_len < 0 {
            return Err(DecodeError::NegativeLength(properties_len as i32));
        }
        let properties = r.take(properties_len as usize)?;
        let computed = record_len(sys_flag, body.len(), topic.len(), properties.len());
        if computed != total_size as usize {
            return Err(DecodeError::SizeMismatch {
                total: total_size,
                computed,
            });
        }
        Ok(StoredRecord {
            total_size,
            magic,
            body_crc,
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag,
            born_timestamp,
            born_host,
            store_timestamp,
            store_host,
            reconsume_times,
            prepared_transaction_offset,
            body,
            topic,
            properties,
        })
    }

    /// The topic as Java decodes it (UTF-8, invalid bytes replaced).
    pub fn topic_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.topic)
    }

    pub fn properties_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.properties)
    }

    pub fn properties_map(&self) -> Properties {
        Properties::parse_bytes(self.properties)
    }

    /// Whether the stored body CRC matches the body.
    pub fn crc_ok(&self) -> bool {
        body_crc(self.body) == self.body_crc
    }

    /// The offset message id (store host + physical offset).
    pub fn msg_id(&self) -> String {
        super::msg_id::create_offset_msg_id(&self.store_host, self.physical_offset)
    }

    /// What the ConsumeQueue and IndexFile builders need (Java `checkMessageAndReturnSize`).
    /// `delay_levels_ms[level - 1]` gives the delay of each level for SCHEDULE_TOPIC_XXXX tags codes.
    pub fn dispatch_request(&self, delay_levels_ms: &[i64]) -> DispatchRequest {
        let props = self.properties_map();
        let topic = self.topic_str().into_owned();
        let mut tags_code = 0i64;
        if let Some(tags) = props.get(property::TAGS) {
            if !tags.is_empty() {
                tags_code = java_string_hash(tags) as i64;
            }
        }
        if topic == SCHEDULE_TOPIC {
            if let Some(level) = props
                .get(property::DELAY_TIME_LEVEL)
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                let level = level.min(delay_levels_ms.len() as i32);
                if level > 0 {
                    tags_code =
                        compute_deliver_timestamp(delay_levels_ms, level, self.store_timestamp);
                }
            }
        }
        DispatchRequest {
            topic,
            queue_id: self.queue_id,
            commit_log_offset: self.physical_offset,
            msg_size: self.total_size,
            tags_code,
            store_timestamp: self.store_timestamp,
            consume_queue_offset: self.queue_offset,
            keys: props.get(property::KEYS).unwrap_or_default().to_string(),
            uniq_key: props
                .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
                .unwrap_or_default()
                .to_string(),
            sys_flag: self.sys_flag,
            prepared_transaction_offset: self.prepared_transaction_offset,
            success: true,
        }
    }
}

/// `ScheduleMessageService.computeDeliverTimestamp`: store time + the level's delay (1 s when the
/// level is unknown).
pub fn compute_deliver_timestamp(delay_levels_ms: &[i64], level: i32, store_timestamp: i64) -> i64 {
    match usize::try_from(level - 1)
        .ok()
        .and_then(|i| delay_levels_ms.get(i))
    {
        Some(delay) => store_timestamp + delay,
        None => store_timestamp + 1000,
    }
}

/// The verdict on the bytes at one CommitLog position during recovery or dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordCheck {
    /// A valid message record of `msg_size` bytes.
    Message(DispatchRequest),
    /// A blank record: the rest of this file is filler, continue in the next file.
    Blank,
    /// Not a valid record: the log ends here.
    Invalid(DecodeError),
}

/// Checks the record at the start of `bytes` the way recovery does (`checkMessageAndReturnSize`
/// with `readBody`): magic, sizes, and the body CRC when `check_crc`.
pub fn check_record(bytes: &[u8], check_crc: bool, delay_levels_ms: &[i64]) -> RecordCheck {
    match StoredRecord::decode(bytes) {
        Ok(record) => {
            if check_crc && !record.body.is_empty() {
                let computed = body_crc(record.body);
                if computed != record.body_crc {
                    return RecordCheck::Invalid(DecodeError::CrcMismatch {
                        stored: record.body_crc,
                        computed,
                    });
                }
            }
            RecordCheck::Message(record.dispatch_request(delay_levels_ms))
        }
        Err(DecodeError::Blank(_)) => RecordCheck::Blank,
        Err(e) => RecordCheck::Invalid(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::message::batch::BatchMessages;

    fn sample() -> Vec<u8> {
        use crate::store::message::encode::{write_record, RecordHeader};
        let born = "127.0.0.1:1".parse().unwrap();
        let store = "[::1]:10911".parse().unwrap();
        let body = b"hello body";
        let props = b"TAGS\x01TagA\x02KEYS\x01k1 k2";
        let sys = sys_flag::STOREHOSTADDRESS_V6_FLAG;
        let len = record_len(sys, body.len(), 5, props.len());
        let mut out = vec![0u8; len];
        let h = RecordHeader {
            body_crc: body_crc(body),
            queue_id: 3,
            flag: 7,
            queue_offset: 11,
            physical_offset: 4096,
            sys_flag: sys,
            born_timestamp: 1,
            born_host: &born,
            store_timestamp: 2,
            store_host: &store,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
        };
        write_record(&mut out, len, &h, body, b"Topic", &[props]);
        out
    }

    #[test]
    fn decode_and_dispatch_request() {
        let bytes = sample();
        let r = StoredRecord::decode(&bytes).unwrap();
        assert_eq!(r.total_size as usize, bytes.len());
        assert_eq!(r.store_host.to_string(), "[::1]:10911");
        assert_eq!(r.topic, b"Topic");
        assert!(r.crc_ok());
        assert_eq!(r.msg_id().len(), 56);
        let d = r.dispatch_request(&[1000, 5000]);
        assert_eq!(d.tags_code, java_string_hash("TagA") as i64);
        assert_eq!(d.keys, "k1 k2");
        assert_eq!(d.consume_queue_offset, 11);
        assert_eq!(d.commit_log_offset, 4096);
        match check_record(&bytes, true, &[]) {
            RecordCheck::Message(m) => assert_eq!(m.msg_size as usize, bytes.len()),
            other => panic!("{other:?}"),
        }
        let mut blank = vec![0u8; 64];
        blank[..4].copy_from_slice(&64i32.to_be_bytes());
        blank[4..8].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
        assert_eq!(check_record(&blank, true, &[]), RecordCheck::Blank);
        let mut flipped = bytes.clone();
        let n = flipped.len();
        flipped[n - 30] ^= 1; // inside the body
        assert!(matches!(
            check_record(&flipped, true, &[]),
            RecordCheck::Invalid(_)
        ));
    }

    #[test]
    fn delay_topic_tags_code_is_the_delivery_time() {
        assert_eq!(
            compute_deliver_timestamp(&[1000, 5000, 10000], 3, 100),
            10100
        );
        assert_eq!(compute_deliver_timestamp(&[1000], 9, 100), 1100);
    }

    /// Garbage, truncations and mutations of a valid record never panic.
    #[test]
    fn hostile_bytes_never_panic() {
        let good = sample();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for cut in 0..good.len() {
            let _ = check_record(&good[..cut], true, &[1000]);
            let _ = BatchMessages::parse(&good[..cut]);
        }
        for _ in 0..20_000 {
            let mut b = good.clone();
            for _ in 0..(next() % 6 + 1) {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let len = (next() as usize) % (b.len() + 1);
            let _ = check_record(&b[..len], true, &[1000]);
            if let Ok(r) = StoredRecord::decode(&b) {
                let _ = r.dispatch_request(&[1000]);
                let _ = r.properties_map();
            }
            let _ = BatchMessages::parse(&b);
            let noise: Vec<u8> = (0..(next() % 200)).map(|_| next() as u8).collect();
            let _ = check_record(&noise, true, &[]);
            let _ = BatchMessages::parse(&noise);
        }
    }
}
