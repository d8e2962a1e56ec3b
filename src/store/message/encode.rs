//! Writing records straight into the CommitLog's mapped tail: one encode, no staging buffer.

use std::net::SocketAddr;

use bytes::Bytes;

use super::batch::InnerBatchMessage;
use super::{record_len, sys_flag, write_host, MESSAGE_MAGIC_CODE};

/// A message on its way into the CommitLog (Java `MessageExtBrokerInner`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExtBrokerInner {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    /// The IPv6 host bits are set by the store from the host addresses.
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// Body as sent (compressed when `sys_flag & COMPRESSED_FLAG`).
    pub body: Bytes,
    /// The properties string as it will be stored (the broker builds it, Java HashMap order).
    pub properties_string: String,
}

impl MessageExtBrokerInner {
    /// A message with zero/empty defaults for the given destination (tests, internal messages).
    pub fn new(
        topic: impl Into<String>,
        queue_id: i32,
        body: impl Into<Bytes>,
    ) -> MessageExtBrokerInner {
        let local: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        MessageExtBrokerInner {
            topic: topic.into(),
            queue_id,
            flag: 0,
            sys_flag: 0,
            born_timestamp: 0,
            born_host: local,
            store_host: local,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: body.into(),
            properties_string: String::new(),
        }
    }

    /// Sets the IPv6 host bits from the addresses (Java sets them in `CommitLog.putMessage`).
    pub fn apply_host_flags(&mut self) {
        if self.born_host.is_ipv6() {
            self.sys_flag |= sys_flag::BORNHOST_V6_FLAG;
        }
        if self.store_host.is_ipv6() {
            self.sys_flag |= sys_flag::STOREHOSTADDRESS_V6_FLAG;
        }
    }

    /// Bytes this message takes as a record.
    pub fn record_len(&self) -> usize {
        record_len(
            self.sys_flag,
            self.body.len(),
            self.topic.len(),
            self.properties_string.len(),
        )
    }

    /// The `WAIT` property: whether the producer waits for the store (default true).
    pub fn wait_store_msg_ok(&self) -> bool {
        !properties_has(
            &self.properties_string,
            super::property::WAIT_STORE_MSG_OK,
            "false",
        )
    }
}

/// Whether the properties string holds `key` with exactly `value`, without building a map.
pub fn properties_has(props: &str, key: &str, value: &str) -> bool {
    property_value(props, key) == Some(value)
}

/// The value of `key` in a properties string (last one wins, as in a Java map).
pub fn property_value<'a>(props: &'a str, key: &str) -> Option<&'a str> {
    let mut found = None;
    for entry in props.split(super::properties::PROPERTY_SEPARATOR) {
        if let Some((k, v)) = entry.split_once(super::properties::NAME_VALUE_SEPARATOR) {
            if k == key && !v.is_empty() {
                found = Some(v);
            }
        }
    }
    found
}

/// A batch on its way into the CommitLog (Java `MessageExtBatch`): the SEND_BATCH_MESSAGE body
/// plus the fields shared by every message in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExtBatch {
    pub topic: String,
    pub queue_id: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    /// The batch body: records `i32 totalSize, i32 magic, i32 bodyCRC, i32 flag, i32 bodyLen,
    /// body, i16 propLen, props`.
    pub body: Bytes,
    /// Batch-level properties appended to every message's own (e.g. CLUSTER, WAIT).
    pub properties_string: String,
}

impl MessageExtBatch {
    pub fn apply_host_flags(&mut self) {
        if self.born_host.is_ipv6() {
            self.sys_flag |= sys_flag::BORNHOST_V6_FLAG;
        }
        if self.store_host.is_ipv6() {
            self.sys_flag |= sys_flag::STOREHOSTADDRESS_V6_FLAG;
        }
    }

    pub fn wait_store_msg_ok(&self) -> bool {
        !properties_has(
            &self.properties_string,
            super::property::WAIT_STORE_MSG_OK,
            "false",
        )
    }
}

/// The fixed header fields of one record.
pub struct RecordHeader<'a> {
    pub body_crc: i32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub physical_offset: i64,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: &'a SocketAddr,
    pub store_timestamp: i64,
    pub store_host: &'a SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
}

struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, b: &[u8]) {
        self.out[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn host(&mut self, addr: &SocketAddr) {
        self.pos += write_host(&mut self.out[self.pos..], addr);
    }
}

/// Writes one record of exactly `total` bytes into `out[..total]`; the caller has checked that
/// `total == record_len(..)` and `out.len() >= total`. `properties` is written as the concatenation
/// of its parts (a batch message's own properties, a separator, the batch's).
pub fn write_record(
    out: &mut [u8],
    total: usize,
    h: &RecordHeader<'_>,
    body: &[u8],
    topic: &[u8],
    properties: &[&[u8]],
) {
    let props_len: usize = properties.iter().map(|p| p.len()).sum();
    let mut w = Writer {
        out: &mut out[..total],
        pos: 0,
    };
    w.put(&(total as i32).to_be_bytes());
    w.put(&MESSAGE_MAGIC_CODE.to_be_bytes());
    w.put(&h.body_crc.to_be_bytes());
    w.put(&h.queue_id.to_be_bytes());
    w.put(&h.flag.to_be_bytes());
    w.put(&h.queue_offset.to_be_bytes());
    w.put(&h.physical_offset.to_be_bytes());
    w.put(&h.sys_flag.to_be_bytes());
    w.put(&h.born_timestamp.to_be_bytes());
    w.host(h.born_host);
    w.put(&h.store_timestamp.to_be_bytes());
    w.host(h.store_host);
    w.put(&h.reconsume_times.to_be_bytes());
    w.put(&h.prepared_transaction_offset.to_be_bytes());
    w.put(&(body.len() as i32).to_be_bytes());
    w.put(body);
    w.put(&[topic.len() as u8]);
    w.put(topic);
    w.put(&(props_len as i16).to_be_bytes());
    for p in properties {
        w.put(p);
    }
    debug_assert_eq!(w.pos, total);
}

/// The stored length and property parts of one batch message (Java `MessageExtEncoder.encode(batch)`):
/// the batch properties are appended after the message's own, with a separator in between unless
/// the message's own end with one.
pub fn batch_message_layout<'a>(
    batch_body: &'a [u8],
    m: &InnerBatchMessage,
    batch_props: &'a [u8],
) -> (usize, [&'a [u8]; 3]) {
    let own = &batch_body[m.properties.clone()];
    let sep: &'static [u8] =
        if !own.is_empty() && !batch_props.is_empty() && own.last() != Some(&2u8) {
            &[2u8]
        } else {
            &[]
        };
    let props_len = own.len() + sep.len() + batch_props.len();
    (props_len, [own, sep, batch_props])
}
