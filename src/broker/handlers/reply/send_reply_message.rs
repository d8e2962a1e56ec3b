//! SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325): the reply a consumer sends to a
//! request message. After the send checks (`msgCheck`), the broker pushes the reply to the
//! producer named by the reply's `REPLY_TO_CLIENT` property (PUSH_REPLY_MESSAGE_TO_CLIENT on
//! that producer's connection, waiting up to 10 s for its answer), then stores it when
//! `storeReplyMessageEnable` is on. The answer is SUCCESS when the push succeeded (msgId "0"
//! and queue offset 0 unless the store then gives real ones), SYSTEM_ERROR with Java's remark
//! when it did not.

use crate::broker::handlers::send::{
    msg_check, put_message, put_status_response, random_queue_id, send_response, store_host,
    CheckedSend,
};
use crate::broker::Broker;
use crate::protocol::header::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use crate::protocol::{decode_header, write_header, CommandHeader};
use crate::remoting::{request_code, response_code, Connection, RemotingCommand};
use crate::store::message::{MessageExtBrokerInner, Properties};
use std::time::Duration;

/// Java `MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT`: the clientId of the requester.
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// Java `MessageConst.PROPERTY_PUSH_REPLY_TIME`, added to the pushed reply's properties.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// Java `Broker2Client.callClient`.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: SendMessageRequestHeader = match request.code {
        request_code::SEND_REPLY_MESSAGE_V2 => {
            match decode_header::<SendMessageRequestHeaderV2>(&request) {
                Ok(h) => h.into(),
                Err(response) => return Some(response),
            }
        }
        _ => match decode_header::<SendMessageRequestHeader>(&request) {
            Ok(h) => h,
            Err(response) => return Some(response),
        },
    };
    let check = CheckedSend {
        topic: &header.topic,
        default_topic: &header.default_topic,
        default_topic_queue_nums: header.default_topic_queue_nums,
        queue_id: header.queue_id,
        unit_mode: header.unit_mode,
    };
    let config = match msg_check(broker, conn, &request, &check).await {
        Ok(c) => c,
        Err(response) => return Some(response),
    };
    let queue_id = if header.queue_id < 0 {
        random_queue_id(config.write_queue_nums)
    } else {
        header.queue_id
    };
    let body = request.body.clone().unwrap_or_default();
    let properties_string = header.properties.clone().unwrap_or_default();

    let mut response = match push_reply(broker, conn, &header, &properties_string, &body).await {
        Ok(()) => {
            let mut r = send_response(broker, &request, response_code::SUCCESS, None);
            // Java: msgId "0" "to avoid client decoding exception" when nothing is stored.
            write_header(
                &mut r,
                &SendMessageResponseHeader {
                    msg_id: "0".to_string(),
                    queue_id,
                    queue_offset: 0,
                    transaction_id: None,
                },
            );
            r
        }
        Err(remark) => send_response(broker, &request, response_code::SYSTEM_ERROR, Some(remark)),
    };

    if broker.config.store_reply_message_enable {
        // Java stores the properties string as sent (no CLUSTER, no PUSH_REPLY_TIME) and no
        // sysFlag.
        let msg = MessageExtBrokerInner {
            topic: header.topic.clone(),
            queue_id,
            flag: header.flag,
            sys_flag: 0,
            born_timestamp: header.born_timestamp,
            born_host: conn.peer_addr(),
            store_host: store_host(broker, conn),
            reconsume_times: header.reconsume_times.unwrap_or(0),
            prepared_transaction_offset: 0,
            body,
            properties_string,
        };
        let started = std::time::Instant::now();
        let result = put_message(broker, msg).await;
        broker
            .stats
            .record_put_result(&header.topic, &result, started.elapsed());
        let (_, _, stored) = put_status_response(result.status, broker.knobs.max_message_size());
        match (&result.append, stored) {
            (Some(append), true) => write_header(
                &mut response,
                &SendMessageResponseHeader {
                    msg_id: append.msg_id(),
                    queue_id,
                    queue_offset: append.logics_offset,
                    transaction_id: None,
                },
            ),
            _ => tracing::warn!(status = ?result.status, "process reply message, store failed"),
        }
    }
    Some(response)
}

/// Java `pushReplyMessage`: `Err` is the remark of a failed push.
async fn push_reply(
    broker: &Broker,
    conn: &Connection,
    header: &SendMessageRequestHeader,
    properties_string: &str,
    body: &bytes::Bytes,
) -> Result<(), String> {
    let mut props = Properties::parse(properties_string);
    let Some(sender) = props.get(REPLY_TO_CLIENT).map(str::to_string) else {
        let remark = format!("reply message properties[{REPLY_TO_CLIENT}] is null");
        tracing::warn!("{REPLY_TO_CLIENT} is null, can not reply message");
        return Err(remark);
    };
    let channel = broker
        .clients
        .producer_groups()
        .into_values()
        .flatten()
        .find(|c| c.client_id == sender);
    let Some(channel) = channel else {
        let remark = format!("push reply message fail, channel of <{sender}> not found.");
        tracing::warn!("{remark}");
        return Err(remark);
    };
    let now = broker.now_millis();
    props.insert(PUSH_REPLY_TIME, &now.to_string());
    let born = conn.peer_addr();
    let stored_by = store_host(broker, conn);
    let push_header = ReplyMessageRequestHeader {
        producer_group: header.producer_group.clone(),
        topic: header.topic.clone(),
        default_topic: header.default_topic.clone(),
        default_topic_queue_nums: header.default_topic_queue_nums,
        queue_id: header.queue_id,
        sys_flag: header.sys_flag,
        born_timestamp: header.born_timestamp,
        flag: header.flag,
        properties: Some(props.to_java_string()),
        reconsume_times: header.reconsume_times,
        unit_mode: header.unit_mode,
        born_host: format!("{}:{}", born.ip(), born.port()),
        store_host: format!("{}:{}", stored_by.ip(), stored_by.port()),
        store_timestamp: now,
    };
    let push = RemotingCommand::request(
        request_code::PUSH_REPLY_MESSAGE_TO_CLIENT,
        Some(push_header.to_ext_fields()),
    )
    .with_body(body.clone());
    let fail = || format!("push reply message to {sender}fail.");
    match channel.connection.invoke(push, PUSH_TIMEOUT).await {
        Ok(resp) if resp.code == response_code::SUCCESS => Ok(()),
        Ok(resp) => {
            tracing::warn!(
                "push reply message to <{sender}> return fail, response remark: {:?}",
                resp.remark
            );
            Err(fail())
        }
        Err(e) => {
            tracing::warn!("push reply message to <{sender}> fail. {e}");
            Err(fail())
        }
    }
}
