//! A stored message read back by the transaction machinery (Java `MessageExt` as
//! `MessageDecoder.decode` gives it), and the messages Java derives from a half message: the
//! committed copy, the re-put half, the op record, the discarded copy and the check-back body.

use crate::protocol::topic;
use crate::store::message::encode::{write_record, RecordHeader};
use crate::store::message::msg_id::create_offset_msg_id;
use crate::store::message::properties::Properties;
use crate::store::message::record::StoredRecord;
use crate::store::message::{property, record_len, sys_flag, MessageExtBrokerInner};
use bytes::Bytes;
use std::net::SocketAddr;

use super::{PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET, REMOVE_TAG};

/// An owned copy of one stored record with its properties parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: i64,
    pub commit_log_offset: i64,
    pub sys_flag: i32,
    pub body_crc: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_timestamp: i64,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    /// As stored (compressed when `sys_flag & COMPRESSED_FLAG`).
    pub body: Bytes,
    pub properties: Properties,
}

impl StoredMessage {
    /// Decodes the record at the start of `bytes`; `None` for anything that is not a message.
    pub fn decode(bytes: &[u8]) -> Option<StoredMessage> {
        let r = StoredRecord::decode(bytes).ok()?;
        Some(StoredMessage {
            topic: r.topic_str().into_owned(),
            queue_id: r.queue_id,
            flag: r.flag,
            queue_offset: r.queue_offset,
            commit_log_offset: r.physical_offset,
            sys_flag: r.sys_flag,
            body_crc: r.body_crc,
            born_timestamp: r.born_timestamp,
            born_host: r.born_host,
            store_timestamp: r.store_timestamp,
            store_host: r.store_host,
            reconsume_times: r.reconsume_times,
            prepared_transaction_offset: r.prepared_transaction_offset,
            body: Bytes::copy_from_slice(r.body),
            properties: r.properties_map(),
        })
    }

    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// The offset message id (store host + commit log offset).
    pub fn msg_id(&self) -> String {
        create_offset_msg_id(&self.store_host, self.commit_log_offset)
    }

    /// Java `needDiscard`: true once TRANSACTION_CHECK_TIMES reached `check_max`; otherwise
    /// counts this check (1 when absent; an unreadable count reads as -1, as Java's `getInt`).
    pub fn bump_check_times(&mut self, check_max: i32) -> bool {
        let mut times = 1;
        if let Some(s) = self.property(property::TRANSACTION_CHECK_TIMES) {
            let current = s.parse::<i32>().unwrap_or(-1);
            if current >= check_max {
                return true;
            }
            times = current.saturating_add(1);
        }
        self.properties
            .insert(property::TRANSACTION_CHECK_TIMES, &times.to_string());
        false
    }

    /// After the re-put of a checked half message: this message now stands for the new copy
    /// (Java `putBackHalfMsgQueue` updates queue offset, commit log offset and msg id). Java's
    /// re-put shares the property map and sets `WAIT=false` in it after writing the stored
    /// string, so the check body sent next carries `WAIT=false` (golden: 377-byte body).
    pub fn moved_to(&mut self, queue_offset: i64, commit_log_offset: i64) {
        self.queue_offset = queue_offset;
        self.commit_log_offset = commit_log_offset;
        self.properties.insert(property::WAIT_STORE_MSG_OK, "false");
    }

    /// `REAL_TOPIC` and `REAL_QID`: where the message goes once committed.
    pub fn real_destination(&self) -> Option<(String, i32)> {
        let topic = self.property(property::REAL_TOPIC)?;
        let queue_id = self.property(property::REAL_QUEUE_ID)?.parse().ok()?;
        Some((topic.to_string(), queue_id))
    }

    /// Java `EndTransactionProcessor.endMessageTransaction` + the commit path: the message for
    /// its real topic, type COMMIT, pointing back at the half record. Java clears REAL_TOPIC,
    /// REAL_QID and TRAN_MSG from the map only after it has written the properties string, so
    /// the stored string is the half message's (golden main-master: identical strings).
    pub fn committed(&self, prepared_offset: i64) -> Option<MessageExtBrokerInner> {
        let (topic, queue_id) = self.real_destination()?;
        Some(MessageExtBrokerInner {
            topic,
            queue_id,
            flag: self.flag,
            sys_flag: reset_transaction_type(self.sys_flag, sys_flag::TRANSACTION_COMMIT_TYPE),
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: prepared_offset,
            body: self.body.clone(),
            properties_string: self.properties.to_java_string(),
        })
    }

    /// Java `renewHalfMessageInner`: the half message written again at the queue's tail (a
    /// check-back moves it forward). Flag and reconsume times are not copied, as in Java.
    pub fn renewed(&self) -> MessageExtBrokerInner {
        MessageExtBrokerInner {
            topic: self.topic.clone(),
            queue_id: self.queue_id,
            flag: 0,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_host: self.store_host,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body: self.body.clone(),
            properties_string: self.properties.to_java_string(),
        }
    }

    /// Java `renewImmunityHalfMessageInner`: re-put with TRAN_PREPARED_QUEUE_OFFSET naming the
    /// first half record's queue offset (kept when already there).
    pub fn renewed_with_immunity(&self) -> MessageExtBrokerInner {
        let mut props = self.properties.clone();
        if props
            .get(PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET)
            .is_none()
        {
            props.insert(
                PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET,
                &self.queue_offset.to_string(),
            );
        }
        let mut msg = self.renewed();
        msg.properties_string = props.to_java_string();
        msg
    }

    /// Java `DefaultTransactionalMessageCheckListener.toMessageExtBrokerInner`: a half message
    /// checked `transactionCheckMax` times is parked in TRANS_CHECK_MAX_TIME_TOPIC.
    pub fn discarded(&self, queue_id: i32) -> MessageExtBrokerInner {
        self.moved(
            topic::TRANS_CHECK_MAX_TIME_TOPIC,
            queue_id,
            self.properties.to_java_string(),
        )
    }

    /// Java `AdminBrokerProcessor.toMessageExtBrokerInner` (RESUME_CHECK_HALF_MESSAGE): the
    /// message back in the half queue with its check count reset to 0.
    pub fn resumed(&self) -> MessageExtBrokerInner {
        let mut props = self.properties.clone();
        props.insert(property::TRANSACTION_CHECK_TIMES, "0");
        self.moved(topic::TRANS_HALF_TOPIC, 0, props.to_java_string())
    }

    /// This message written to another queue, flag and reconsume times kept (both Java
    /// `toMessageExtBrokerInner` copies).
    fn moved(
        &self,
        topic: &str,
        queue_id: i32,
        properties_string: String,
    ) -> MessageExtBrokerInner {
        MessageExtBrokerInner {
            topic: topic.to_string(),
            queue_id,
            flag: self.flag,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: self.born_host,
            store_host: self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: 0,
            body: self.body.clone(),
            properties_string,
        }
    }

    /// The CHECK_TRANSACTION_STATE body (`MessageDecoder.encode(msgExt, false)`): this record
    /// re-encoded with its real topic and queue id, the properties in Java map order.
    pub fn check_body(&self) -> Option<Vec<u8>> {
        let (topic, queue_id) = self.real_destination()?;
        let props = self.properties.to_java_string();
        if topic.len() > u8::MAX as usize || props.len() > i16::MAX as usize {
            return None;
        }
        let total = record_len(self.sys_flag, self.body.len(), topic.len(), props.len());
        let mut out = vec![0u8; total];
        let header = RecordHeader {
            body_crc: self.body_crc,
            queue_id,
            flag: self.flag,
            queue_offset: self.queue_offset,
            physical_offset: self.commit_log_offset,
            sys_flag: self.sys_flag,
            born_timestamp: self.born_timestamp,
            born_host: &self.born_host,
            store_timestamp: self.store_timestamp,
            store_host: &self.store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
        };
        write_record(
            &mut out,
            total,
            &header,
            &self.body,
            topic.as_bytes(),
            &[props.as_bytes()],
        );
        Some(out)
    }
}

/// Java `MessageSysFlag.resetTransactionValue`.
pub fn reset_transaction_type(flag: i32, transaction_type: i32) -> i32 {
    (flag & !sys_flag::TRANSACTION_ROLLBACK_TYPE) | transaction_type
}

/// Java `addRemoveTagInTransactionOp`: the op record saying "half message at `half_offset` is
/// done": body = the offset in decimal, tag `d`, born and stored by the broker itself.
pub fn op_message(
    half_queue_id: i32,
    half_offset: i64,
    broker_host: SocketAddr,
    now_ms: i64,
) -> MessageExtBrokerInner {
    let mut props = Properties::new();
    props.insert(property::TAGS, REMOVE_TAG);
    props.insert(property::WAIT_STORE_MSG_OK, "true");
    MessageExtBrokerInner {
        topic: topic::TRANS_OP_HALF_TOPIC.to_string(),
        queue_id: half_queue_id,
        flag: 0,
        sys_flag: 0,
        born_timestamp: now_ms,
        born_host: broker_host,
        store_host: broker_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: Bytes::from(half_offset.to_string()),
        properties_string: props.to_java_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_message_properties_are_javas() {
        let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        let op = op_message(0, 3, host, 1);
        assert_eq!(op.properties_string, "WAIT\u{1}true\u{2}TAGS\u{1}d");
        assert_eq!(&op.body[..], b"3");
        assert_eq!(op.topic, "RMQ_SYS_TRANS_OP_HALF_TOPIC");
    }

    #[test]
    fn reset_transaction_type_keeps_other_bits() {
        assert_eq!(reset_transaction_type(0x4 | 0x1, 0x8), 0x8 | 0x1);
        assert_eq!(reset_transaction_type(0xC, 0), 0);
    }
}
