//! INVOKE_BROKER_TO_RESET_OFFSET (222): reset a consumer group's position on a topic to a time
//! (`timestamp`, or -1 for the end of each queue). For every write queue the broker looks up
//! the offset of that time; it moves the group back only (`isForce` also moves it forward),
//! sends the resulting `ResetOffsetBody` to every online consumer of the group as a oneway
//! RESET_CONSUMER_CLIENT_OFFSET (C++ admin requests make the body `ResetOffsetBodyForC`), and
//! answers with the same table. The consumers apply it and commit; the broker's stored offsets
//! are not touched here (as Java).

use super::relay::refuse_before_v3_0_7;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::{MessageQueue, MessageQueueForC, ResetOffsetBody, ResetOffsetBodyForC};
use crate::protocol::header::ResetOffsetRequestHeader;
use crate::protocol::{decode_header, CommandHeader};
use crate::remoting::{request_code, response_code, Connection, LanguageCode, RemotingCommand};
use std::time::Duration;

/// Java's oneway send timeout for the reset.
const RESET_SEND_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: ResetOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let (topic, group, timestamp) = (&header.topic, &header.group, header.timestamp);
    tracing::info!(
        "[reset-offset] reset offset started. topic={topic}, group={group}, timestamp={timestamp}, isForce={}",
        header.is_force
    );
    let Some(config) = broker.topics.get(topic) else {
        return Some(RemotingCommand::system_error(
            &request,
            format!("[reset-offset] reset offset failed, no topic in this broker. topic={topic}"),
        ));
    };
    let mut table = ResetOffsetBody::default();
    for queue_id in 0..config.write_queue_nums.max(0) {
        let consumer_offset = broker.offsets.query(group, topic, queue_id);
        if consumer_offset == -1 {
            return Some(RemotingCommand::system_error(
                &request,
                format!("THe consumer group <{group}> not exist"),
            ));
        }
        let store = broker.store.clone();
        let t = topic.clone();
        // Binary search over ConsumeQueue and CommitLog pages: off the reactor.
        let by_time = tokio::task::spawn_blocking(move || {
            if timestamp == -1 {
                store.max_offset_in_queue(&t, queue_id)
            } else {
                store.offset_in_queue_by_time(&t, queue_id, timestamp)
            }
        })
        .await
        .unwrap_or(0)
        .max(0);
        let offset = if header.is_force || by_time < consumer_offset {
            by_time
        } else {
            consumer_offset
        };
        let mq = MessageQueue {
            topic: topic.clone(),
            broker_name: broker.config.broker_name.clone(),
            queue_id,
        };
        table.offset_table.insert(mq, offset);
    }

    let to_clients = ResetOffsetRequestHeader {
        topic: topic.clone(),
        group: group.clone(),
        timestamp,
        is_force: false,
    };
    let body = if request.language == LanguageCode::Cpp {
        let list = table
            .offset_table
            .iter()
            .map(|(mq, offset)| MessageQueueForC {
                topic: mq.topic.clone(),
                broker_name: mq.broker_name.clone(),
                queue_id: mq.queue_id,
                offset: *offset,
            })
            .collect();
        fastjson::encode_compact(&ResetOffsetBodyForC { offset_table: list })
    } else {
        fastjson::encode_compact(&table)
    };
    let members = broker
        .clients
        .consumer_group(group)
        .map(|g| g.channels.into_values().collect::<Vec<_>>())
        .unwrap_or_default();
    if members.is_empty() {
        let remark = format!(
            "Consumer not online, so can not reset offset, Group: {group} Topic: {topic} Timestamp: {timestamp}"
        );
        tracing::error!("{remark}");
        return Some(RemotingCommand::response_to(
            &request,
            response_code::CONSUMER_NOT_ONLINE,
            Some(remark),
        ));
    }
    for member in members {
        if let Some(refused) = refuse_before_v3_0_7(&request, member.version) {
            return Some(refused);
        }
        let reset = RemotingCommand::request(
            request_code::RESET_CONSUMER_CLIENT_OFFSET,
            Some(to_clients.to_ext_fields()),
        )
        .with_body(body.clone().into_bytes());
        let sent =
            tokio::time::timeout(RESET_SEND_TIMEOUT, member.connection.send_oneway(reset)).await;
        match sent {
            Ok(Ok(())) => tracing::info!(
                "[reset-offset] reset offset success. topic={topic}, group={group}, clientId={}",
                member.client_id
            ),
            _ => tracing::error!(
                "[reset-offset] reset offset exception. topic={topic}, group={group}, clientId={}",
                member.client_id
            ),
        }
    }
    Some(
        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
            .with_body(fastjson::encode_compact(&table).into_bytes()),
    )
}
