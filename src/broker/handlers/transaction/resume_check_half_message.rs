//! RESUME_CHECK_HALF_MESSAGE (323, Java `AdminBrokerProcessor.resumeCheckHalfMessage`,
//! `mqadmin resumeCheckHalfMessage`): a message parked in TRANS_CHECK_MAX_TIME_TOPIC after too
//! many checks (named by its offset msgId) goes back to the half queue with its check count
//! reset, so the check service asks its producer again.

use crate::broker::handlers::send::put_message;
use crate::broker::transaction::message::StoredMessage;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::ResumeCheckHalfMessageRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};
use crate::store::commit_log::PutMessageStatus;
use crate::store::message::msg_id::parse_offset_msg_id;

const PUT_FAILED: &str = "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.";
const EXCEPTION: &str =
    "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.";

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header = match decode_header::<ResumeCheckHalfMessageRequestHeader>(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    // Java: a bad id or a missing record throws inside the try: the "exception" remark.
    let message = header
        .msg_id
        .as_deref()
        .and_then(parse_offset_msg_id)
        .and_then(|(_, offset)| broker.store.look_message_by_offset(offset))
        .and_then(|slice| StoredMessage::decode(&slice));
    let Some(message) = message else {
        return Some(RemotingCommand::response_to(
            &request,
            response_code::SYSTEM_ERROR,
            Some(EXCEPTION.to_string()),
        ));
    };
    let result = put_message(broker, message.resumed()).await;
    Some(if result.status == PutMessageStatus::PutOk {
        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
    } else {
        RemotingCommand::response_to(
            &request,
            response_code::SYSTEM_ERROR,
            Some(PUT_FAILED.to_string()),
        )
    })
}
