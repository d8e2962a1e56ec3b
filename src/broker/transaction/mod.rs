//! Transactional messages (Java `broker/transaction/`): half messages wait in
//! RMQ_SYS_TRANS_HALF_TOPIC queue 0 until the producer commits or rolls back (END_TRANSACTION);
//! each decision is recorded as an op record (tag `d`, body = the half message's queue offset)
//! in RMQ_SYS_TRANS_OP_HALF_TOPIC. The check service walks the half queue from the offset of the
//! system group CID_RMQ_SYS_TRANS, skips what the op queue says is done, and asks a producer of
//! the message's group about the rest (CHECK_TRANSACTION_STATE). All state is in the store and
//! `consumerOffset.json`, so it survives a restart as Java's does.
//!
//! - [`message`]: a stored message read back, and the messages derived from a half message;
//! - [`check`]: one pass of the check service over the half queue;
//! - [`service`]: putting derived messages, the op record, and the check loop.

pub mod check;
pub mod message;
pub mod service;

/// `MixAll.CID_SYS_RMQ_TRANS`: the group whose consumer offsets track the half and op queues.
pub const CID_SYS_RMQ_TRANS: &str = "CID_RMQ_SYS_TRANS";
/// `TransactionalMessageUtil.REMOVETAG`: the op record's tag for "done".
pub const REMOVE_TAG: &str = "d";
/// `MessageConst.PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET`.
pub const PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// `MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS`: a producer's own first-check delay.
pub const PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// Queues of TRANS_CHECK_MAX_TIME_TOPIC (Java `TCMT_QUEUE_NUMS`).
pub const CHECK_MAX_TIME_TOPIC_QUEUE_NUMS: i32 = 1;
