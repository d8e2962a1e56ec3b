//! CONSUME_MESSAGE_DIRECTLY (309): has one consumer consume a stored message (by offset
//! msgId) right now and answers with the consumer's `ConsumeMessageDirectlyResult` response.
//! The broker adds its `brokerName` to the extFields and sends the stored record as the body.
//!
//! Java fails with a NullPointerException (SYSTEM_ERROR) when the msgId is missing or names no
//! stored record; here that SYSTEM_ERROR says so.

use super::relay::call_consumer;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::ConsumeMessageDirectlyResultRequestHeader;
use crate::remoting::{request_code, Connection, RemotingCommand};
use crate::store::message::msg_id::parse_offset_msg_id;

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    mut request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: ConsumeMessageDirectlyResultRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    request
        .ext_fields
        .get_or_insert_with(Default::default)
        .insert("brokerName", broker.config.broker_name.clone());
    let msg_id = header.msg_id.unwrap_or_default();
    let Some((_, offset)) = parse_offset_msg_id(&msg_id) else {
        return Some(RemotingCommand::system_error(
            &request,
            format!("can not decode the msgId {msg_id}"),
        ));
    };
    let store = broker.store.clone();
    let record = tokio::task::spawn_blocking(move || {
        store.look_message_by_offset(offset).map(|r| r.to_vec())
    })
    .await
    .ok()
    .flatten();
    let Some(record) = record else {
        return Some(RemotingCommand::system_error(
            &request,
            format!("can not find message by the offset, {offset}"),
        ));
    };
    request.body = Some(record.into());
    let client_id = header.client_id.unwrap_or_default();
    Some(
        call_consumer(
            broker,
            &request,
            request_code::CONSUME_MESSAGE_DIRECTLY,
            &header.consumer_group,
            &client_id,
        )
        .await,
    )
}
