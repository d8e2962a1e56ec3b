//! CONSUMER_SEND_MSG_BACK (36): a consumer could not process a message; the broker stores it
//! again in `%RETRY%group` with a delay level (redelivered later by the schedule service), or in
//! `%DLQ%group` once it was retried too often (Java `asyncConsumerSendMsgBack`).

use super::{
    put_message, random_queue_id, reply_unless_oneway, DLQ_NUMS_PER_GROUP, FAQ_SUGGESTION,
    VERSION_V3_4_9,
};
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::ConsumerSendMsgBackRequestHeader;
use crate::protocol::topic::{self, perm};
use crate::remoting::{response_code, Connection, RemotingCommand};
use crate::store::message::{property, MessageExtBrokerInner, StoredRecord};
use bytes::Bytes;

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let response = if broker.store.is_os_page_cache_busy() {
        RemotingCommand::system_busy_rejected(&request)
    } else {
        process(broker, &request).await
    };
    reply_unless_oneway(&request, response)
}

async fn process(broker: &Broker, request: &RemotingCommand) -> RemotingCommand {
    let respond =
        |code: i32, remark: Option<String>| RemotingCommand::response_to(request, code, remark);
    let header: ConsumerSendMsgBackRequestHeader = match decode_header(request) {
        Ok(h) => h,
        Err(response) => return response,
    };
    let group = match broker.groups.find_or_create(&header.group) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return respond(
                response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
                Some(format!(
                    "subscription group not exist, {} {FAQ_SUGGESTION}",
                    header.group
                )),
            )
        }
        Err(e) => return respond(response_code::SYSTEM_ERROR, Some(e.to_string())),
    };
    if !perm::is_writeable(broker.knobs.broker_permission()) {
        return respond(
            response_code::NO_PERMISSION,
            Some(format!(
                "the broker[{}] sending message is forbidden",
                broker.config.broker_ip1
            )),
        );
    }
    if group.retry_queue_nums <= 0 {
        return respond(response_code::SUCCESS, None);
    }
    let mut new_topic = topic::retry_topic(&header.group);
    let mut queue_id = random_queue_id(group.retry_queue_nums);
    let topic_sys_flag = if header.unit_mode {
        topic::sys_flag::build(false, true)
    } else {
        0
    };
    let retry_config = match create_topic(
        broker,
        &new_topic,
        group.retry_queue_nums,
        perm::WRITE | perm::READ,
        topic_sys_flag,
    ) {
        Some(c) => c,
        None => {
            return respond(
                response_code::SYSTEM_ERROR,
                Some(format!("topic[{new_topic}] not exist")),
            )
        }
    };
    if !perm::is_writeable(retry_config.perm) {
        return respond(
            response_code::NO_PERMISSION,
            Some(format!(
                "the topic[{new_topic}] sending message is forbidden"
            )),
        );
    }
    let Some(slice) = broker.store.look_message_by_offset(header.offset) else {
        return respond(
            response_code::SYSTEM_ERROR,
            Some(format!("look message by offset failed, {}", header.offset)),
        );
    };
    let Ok(record) = StoredRecord::decode(&slice) else {
        return respond(
            response_code::SYSTEM_ERROR,
            Some(format!("look message by offset failed, {}", header.offset)),
        );
    };
    let original_topic = record.topic_str().into_owned();
    let mut props = record.properties_map();
    if props.get(property::RETRY_TOPIC).is_none() {
        props.insert(property::RETRY_TOPIC, &original_topic);
    }
    props.insert(property::WAIT_STORE_MSG_OK, "false");

    let mut delay_level = header.delay_level;
    let mut max_reconsume = group.retry_max_times;
    if request.version >= VERSION_V3_4_9 {
        if let Some(m) = header.max_reconsume_times {
            max_reconsume = m;
        }
    }
    if record.reconsume_times >= max_reconsume || delay_level < 0 {
        new_topic = topic::dlq_topic(&header.group);
        queue_id = random_queue_id(DLQ_NUMS_PER_GROUP);
        if create_topic(
            broker,
            &new_topic,
            DLQ_NUMS_PER_GROUP,
            perm::WRITE | perm::READ,
            0,
        )
        .is_none()
        {
            return respond(
                response_code::SYSTEM_ERROR,
                Some(format!("topic[{new_topic}] not exist")),
            );
        }
        props.insert(property::DELAY_TIME_LEVEL, "0");
    } else {
        if delay_level == 0 {
            delay_level = 3 + record.reconsume_times;
        }
        props.insert(property::DELAY_TIME_LEVEL, &delay_level.to_string());
    }
    // Java reads ORIGIN_MESSAGE_ID from the stored message (not from the header's originMsgId,
    // which only feeds consume hooks); the first send-back uses the stored offset msg id.
    let origin = match props.get(property::ORIGIN_MESSAGE_ID) {
        Some(id) if !id.trim().is_empty() => id.to_string(),
        _ => record.msg_id(),
    };
    props.insert(property::ORIGIN_MESSAGE_ID, &origin);

    let msg = MessageExtBrokerInner {
        topic: new_topic,
        queue_id,
        flag: record.flag,
        sys_flag: record.sys_flag,
        born_timestamp: record.born_timestamp,
        born_host: record.born_host,
        store_host: record.store_host,
        reconsume_times: record.reconsume_times.saturating_add(1),
        prepared_transaction_offset: 0,
        body: Bytes::copy_from_slice(record.body),
        properties_string: props.to_java_string(),
    };
    drop(slice);
    let topic = msg.topic.clone();
    let started = std::time::Instant::now();
    let result = put_message(broker, msg).await;
    broker
        .stats
        .record_put_result(&topic, &result, started.elapsed());
    tracing::debug!(
        group = %header.group,
        offset = header.offset,
        delay_level,
        to = %topic,
        status = result.status.java_name(),
        "consumer send-back stored"
    );
    if result.is_ok() {
        respond(response_code::SUCCESS, None)
    } else {
        respond(
            response_code::SYSTEM_ERROR,
            Some(result.status.java_name().to_string()),
        )
    }
}

/// `createTopicInSendMessageBackMethod`; re-registers with the NameServers when it created one.
fn create_topic(
    broker: &Broker,
    name: &str,
    queues: i32,
    perm: i32,
    sys_flag: i32,
) -> Option<crate::store::metadata::TopicConfig> {
    match broker.topics.create_if_absent(name, queues, perm, sys_flag) {
        Ok((config, created)) => {
            if created {
                broker.register_with_namesrvs_soon();
            }
            Some(config)
        }
        Err(e) => {
            tracing::warn!("create topic {name}: {e}");
            None
        }
    }
}
