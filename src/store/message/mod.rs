//! Stored message records, byte for byte as Java 4.9.7 writes them in the CommitLog
//! (`CommitLog.MessageExtEncoder`, `DefaultAppendMessageCallback`, `MessageDecoder`).
//!
//! Record layout (big-endian): `i32 totalSize, i32 magic, i32 bodyCRC, i32 queueId, i32 flag,
//! i64 queueOffset, i64 physicalOffset, i32 sysFlag, i64 bornTimestamp, bornHost (4+4 or 16+4),
//! i64 storeTimestamp, storeHost (4+4 or 16+4), i32 reconsumeTimes, i64 preparedTransactionOffset,
//! i32 bodyLen + body, u8 topicLen + topic, i16 propertiesLen + properties`.

pub mod batch;
pub mod encode;
pub mod msg_id;
pub mod properties;
pub mod record;

pub use batch::{BatchMessages, InnerBatchMessage};
pub use encode::{MessageExtBatch, MessageExtBrokerInner};
pub use properties::Properties;
pub use record::{RecordCheck, StoredRecord};

/// Magic of a message record (`CommitLog.MESSAGE_MAGIC_CODE`, 0xDAA320A7).
pub const MESSAGE_MAGIC_CODE: i32 = 0xDAA3_20A7_u32 as i32;
/// Magic of the filler record that ends a CommitLog file (`CommitLog.BLANK_MAGIC_CODE`).
pub const BLANK_MAGIC_CODE: i32 = 0xCBD4_3194_u32 as i32;
/// A file must keep room for a blank record's header (`END_FILE_MIN_BLANK_LENGTH`).
pub const END_FILE_MIN_BLANK_LENGTH: usize = 4 + 4;

/// `MessageSysFlag` bits.
pub mod sys_flag {
    pub const COMPRESSED_FLAG: i32 = 0x1;
    pub const MULTI_TAGS_FLAG: i32 = 0x1 << 1;
    pub const TRANSACTION_NOT_TYPE: i32 = 0;
    pub const TRANSACTION_PREPARED_TYPE: i32 = 0x1 << 2;
    pub const TRANSACTION_COMMIT_TYPE: i32 = 0x2 << 2;
    pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x3 << 2;
    pub const BORNHOST_V6_FLAG: i32 = 0x1 << 4;
    pub const STOREHOSTADDRESS_V6_FLAG: i32 = 0x1 << 5;
    pub const NEED_UNWRAP_FLAG: i32 = 0x1 << 6;
    pub const INNER_BATCH_FLAG: i32 = 0x1 << 7;
    pub const COMPRESSION_LZ4_TYPE: i32 = 0x1 << 8;
    pub const COMPRESSION_ZSTD_TYPE: i32 = 0x2 << 8;
    pub const COMPRESSION_ZLIB_TYPE: i32 = 0x3 << 8;
    pub const COMPRESSION_TYPE_COMPARATOR: i32 = 0x7 << 8;

    /// The transaction bits (`MessageSysFlag.getTransactionValue`).
    pub fn transaction_value(flag: i32) -> i32 {
        flag & TRANSACTION_ROLLBACK_TYPE
    }
}

/// Well-known property names (`MessageConst`).
pub mod property {
    pub const KEYS: &str = "KEYS";
    pub const TAGS: &str = "TAGS";
    pub const WAIT_STORE_MSG_OK: &str = "WAIT";
    pub const DELAY_TIME_LEVEL: &str = "DELAY";
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    pub const REAL_QUEUE_ID: &str = "REAL_QID";
    pub const TRANSACTION_PREPARED: &str = "TRAN_MSG";
    pub const PRODUCER_GROUP: &str = "PGROUP";
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    pub const UNIQ_CLIENT_MESSAGE_ID_KEYIDX: &str = "UNIQ_KEY";
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    pub const CLUSTER: &str = "CLUSTER";
    pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
    pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
}

/// The schedule topic delayed messages wait in (`TopicValidator.RMQ_SYS_SCHEDULE_TOPIC`).
pub use crate::protocol::topic::SCHEDULE_TOPIC;

/// Body CRC as Java stores it: CRC32 of the (possibly compressed) body, masked to 31 bits
/// (`UtilAll.crc32`).
pub use crate::protocol::crc32 as body_crc;

/// Bytes a host takes in a record: 4-byte IPv4 or 16-byte IPv6 address, then an `i32` port.
pub fn host_len(v6: bool) -> usize {
    if v6 {
        20
    } else {
        8
    }
}

/// Total record size for these lengths (`CommitLog.calMsgLength`).
pub fn record_len(
    sys_flag: i32,
    body_len: usize,
    topic_len: usize,
    properties_len: usize,
) -> usize {
    4 + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + host_len(sys_flag & sys_flag::BORNHOST_V6_FLAG != 0)
        + 8
        + host_len(sys_flag & sys_flag::STOREHOSTADDRESS_V6_FLAG != 0)
        + 4
        + 8
        + 4
        + body_len
        + 1
        + topic_len
        + 2
        + properties_len
}

/// Writes a host as a record stores it: address bytes then the port as `i32`.
pub fn write_host(out: &mut [u8], addr: &std::net::SocketAddr) -> usize {
    match addr {
        std::net::SocketAddr::V4(a) => {
            out[..4].copy_from_slice(&a.ip().octets());
            out[4..8].copy_from_slice(&(a.port() as i32).to_be_bytes());
            8
        }
        std::net::SocketAddr::V6(a) => {
            out[..16].copy_from_slice(&a.ip().octets());
            out[16..20].copy_from_slice(&(a.port() as i32).to_be_bytes());
            20
        }
    }
}

/// Reads a host written by [`write_host`]; `None` if `bytes` is too short.
pub fn read_host(bytes: &[u8], v6: bool) -> Option<std::net::SocketAddr> {
    if v6 {
        let ip: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
        let port = i32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
        Some(std::net::SocketAddr::new(
            std::net::Ipv6Addr::from(ip).into(),
            port as u16,
        ))
    } else {
        let ip: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        let port = i32::from_be_bytes(bytes.get(4..8)?.try_into().ok()?);
        Some(std::net::SocketAddr::new(
            std::net::Ipv4Addr::from(ip).into(),
            port as u16,
        ))
    }
}

/// `ip:port` as Java prints an `InetSocketAddress` host string in tools and manifests.
pub fn host_string(addr: &std::net::SocketAddr) -> String {
    match addr {
        std::net::SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        std::net::SocketAddr::V6(a) => format!("{}:{}", a.ip(), a.port()),
    }
}
