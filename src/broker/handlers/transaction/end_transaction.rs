//! END_TRANSACTION (37, Java `EndTransactionProcessor`): a producer commits or rolls back a half
//! message, right after sending it (oneway) or when answering a CHECK_TRANSACTION_STATE
//! (`fromTransactionCheck=true`). Commit writes the message to its real topic; both write the
//! op record that marks the half message done. UNKNOW (0) changes nothing: the check service
//! will ask again.

use crate::broker::transaction::message::StoredMessage;
use crate::broker::transaction::service::{delete_prepare_message, look_half_message};
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::{
    EndTransactionRequestHeader, TRANSACTION_COMMIT_TYPE, TRANSACTION_ROLLBACK_TYPE,
};
use crate::remoting::{response_code, Connection, RemotingCommand};
use crate::store::commit_log::PutMessageStatus;
use crate::store::config::BrokerRole;
use crate::store::message::property;

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let oneway = request.is_oneway();
    let response = process(broker, conn, &request).await?;
    (!oneway).then_some(response)
}

async fn process(
    broker: &Broker,
    conn: &Connection,
    request: &RemotingCommand,
) -> Option<RemotingCommand> {
    let header = match decode_header::<EndTransactionRequestHeader>(request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    if broker.store_config.broker_role == BrokerRole::Slave {
        tracing::warn!("message store is slave mode, so end transaction is forbidden");
        return Some(RemotingCommand::response_to(
            request,
            response_code::SLAVE_NOT_AVAILABLE,
            None,
        ));
    }
    let from_check = header.from_transaction_check.unwrap_or(false);
    match header.commit_or_rollback {
        TRANSACTION_COMMIT_TYPE => {
            if from_check {
                tracing::warn!(peer = %conn.peer_addr(), msg_id = %header.msg_id, "check answered: the producer commits");
            }
        }
        TRANSACTION_ROLLBACK_TYPE => tracing::warn!(
            peer = %conn.peer_addr(), msg_id = %header.msg_id, from_check,
            "the producer rolls the transaction back"
        ),
        // UNKNOW (and anything the header check let through): no answer, nothing done.
        _ => {
            tracing::warn!(peer = %conn.peer_addr(), msg_id = %header.msg_id, from_check, "transaction state still unknown");
            return None;
        }
    }
    let Some(half) = look_half_message(broker, header.commit_log_offset) else {
        return Some(system_error(
            request,
            "Find prepared transaction message failed",
        ));
    };
    if let Some(remark) = mismatch(&half, &header) {
        return Some(system_error(request, remark));
    }
    if header.commit_or_rollback == TRANSACTION_ROLLBACK_TYPE {
        delete_prepare_message(broker, &half).await;
        return Some(RemotingCommand::response_to(
            request,
            response_code::SUCCESS,
            None,
        ));
    }
    let Some(committed) = half.committed(header.commit_log_offset) else {
        // Java fails on the missing REAL_TOPIC/REAL_QID with an exception (SYSTEM_ERROR).
        return Some(system_error(
            request,
            "the prepared message has no REAL_TOPIC/REAL_QID",
        ));
    };
    let result = crate::broker::handlers::send::put_message(broker, committed).await;
    let (code, remark) = final_put_response(broker, result.status);
    if code == response_code::SUCCESS {
        delete_prepare_message(broker, &half).await;
    }
    Some(RemotingCommand::response_to(request, code, remark))
}

fn system_error(request: &RemotingCommand, remark: &str) -> RemotingCommand {
    RemotingCommand::response_to(
        request,
        response_code::SYSTEM_ERROR,
        Some(remark.to_string()),
    )
}

/// Java `checkPrepareMessage`: the header must name the half message exactly.
fn mismatch(half: &StoredMessage, header: &EndTransactionRequestHeader) -> Option<&'static str> {
    // Java compares `pgroupRead.equals(..)`: a half message without PGROUP fails there (NPE ->
    // SYSTEM_ERROR); here it is "The producer group wrong".
    if half.property(property::PRODUCER_GROUP) != Some(header.producer_group.as_str()) {
        return Some("The producer group wrong");
    }
    if half.queue_offset != header.tran_state_table_offset {
        return Some("The transaction state table offset wrong");
    }
    if half.commit_log_offset != header.commit_log_offset {
        return Some("The commit log offset wrong");
    }
    None
}

/// Java `sendFinalMessage`: the commit's answer by the store's status.
fn final_put_response(broker: &Broker, status: PutMessageStatus) -> (i32, Option<String>) {
    use PutMessageStatus as S;
    match status {
        S::PutOk | S::FlushDiskTimeout | S::FlushSlaveTimeout | S::SlaveNotAvailable => {
            (response_code::SUCCESS, None)
        }
        S::CreateMapedFileFailed => (
            response_code::SYSTEM_ERROR,
            Some("Create mapped file failed.".into()),
        ),
        S::MessageIllegal | S::PropertiesSizeExceeded => (
            response_code::MESSAGE_ILLEGAL,
            Some(format!(
                "The message is illegal, maybe msg body or properties length not matched. msg body length limit {}B, msg properties length limit 32KB.",
                broker.knobs.max_message_size()
            )),
        ),
        S::ServiceNotAvailable => (
            response_code::SERVICE_NOT_AVAILABLE,
            Some("Service not available now.".into()),
        ),
        S::OsPageCacheBusy => (
            response_code::SYSTEM_ERROR,
            Some("OS page cache busy, please try another machine".into()),
        ),
        S::UnknownError => (response_code::SYSTEM_ERROR, Some("UNKNOWN_ERROR".into())),
        _ => (
            response_code::SYSTEM_ERROR,
            Some("UNKNOWN_ERROR DEFAULT".into()),
        ),
    }
}
