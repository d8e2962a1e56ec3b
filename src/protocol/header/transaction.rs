//! Transactional messages: the producer's commit/rollback and the broker's check-back.

use crate::protocol::HeaderError;

/// `MessageSysFlag.TRANSACTION_NOT_TYPE`: END_TRANSACTION's "unknown, ask me again later".
pub const TRANSACTION_NOT_TYPE: i32 = 0;
/// `MessageSysFlag.TRANSACTION_COMMIT_TYPE`.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x2 << 2;
/// `MessageSysFlag.TRANSACTION_ROLLBACK_TYPE`.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0x3 << 2;

command_header! {
    /// END_TRANSACTION (37). `checkFields`: commitOrRollback must be 0 (NOT_TYPE), 8 (COMMIT) or
    /// 12 (ROLLBACK).
    pub struct EndTransactionRequestHeader {
        pub producer_group: String = "producerGroup" (required),
        pub tran_state_table_offset: i64 = "tranStateTableOffset" (required),
        pub commit_log_offset: i64 = "commitLogOffset" (required),
        pub commit_or_rollback: i32 = "commitOrRollback" (required),
        pub from_transaction_check: Option<bool> = "fromTransactionCheck" (default Some(false)),
        pub msg_id: String = "msgId" (required),
        pub transaction_id: Option<String> = "transactionId" (optional),
        pub bname: Option<String> = "bname" (optional),
    }
    check(h) {
        match h.commit_or_rollback {
            TRANSACTION_NOT_TYPE | TRANSACTION_COMMIT_TYPE | TRANSACTION_ROLLBACK_TYPE => Ok(()),
            _ => Err(HeaderError::Rejected("commitOrRollback field wrong".into())),
        }
    }
}

command_header! {
    /// END_TRANSACTION response class: no fields (Java answers without a custom header).
    pub struct EndTransactionResponseHeader {
    }
}

command_header! {
    /// CHECK_TRANSACTION_STATE (39), broker -> producer, oneway; the body is the half message.
    pub struct CheckTransactionStateRequestHeader {
        pub tran_state_table_offset: i64 = "tranStateTableOffset" (required),
        pub commit_log_offset: i64 = "commitLogOffset" (required),
        pub msg_id: Option<String> = "msgId" (optional),
        pub transaction_id: Option<String> = "transactionId" (optional),
        pub offset_msg_id: Option<String> = "offsetMsgId" (optional),
        pub bname: Option<String> = "bname" (optional),
    }
}

command_header! {
    /// Unused by 4.9.7 (the producer answers a check with END_TRANSACTION). `checkFields`:
    /// commitOrRollback must be 8 or 12.
    pub struct CheckTransactionStateResponseHeader {
        pub producer_group: String = "producerGroup" (required),
        pub tran_state_table_offset: i64 = "tranStateTableOffset" (required),
        pub commit_log_offset: i64 = "commitLogOffset" (required),
        pub commit_or_rollback: i32 = "commitOrRollback" (required),
    }
    check(h) {
        match h.commit_or_rollback {
            TRANSACTION_COMMIT_TYPE | TRANSACTION_ROLLBACK_TYPE => Ok(()),
            _ => Err(HeaderError::Rejected("commitOrRollback field wrong".into())),
        }
    }
}

command_header! {
    /// RESUME_CHECK_HALF_MESSAGE (323).
    pub struct ResumeCheckHalfMessageRequestHeader {
        pub msg_id: Option<String> = "msgId" (optional),
    }
}
