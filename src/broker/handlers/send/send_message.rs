//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) (Java
//! `SendMessageProcessor.asyncSendMessage` / `asyncSendBatchMessage`). V2 headers are turned into
//! V1 first, as Java does; the header's `batch` flag (not the code) picks the batch path.

use super::{
    msg_check, put_message, put_messages, put_status_response, random_queue_id,
    reply_unless_oneway, send_response, store_host, CheckedSend, DLQ_NUMS_PER_GROUP,
    FAQ_SUGGESTION, OVERLOAD_REMARK, VERSION_V3_4_9,
};
use crate::broker::Broker;
use crate::protocol::body::TopicFilterType;
use crate::protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use crate::protocol::topic::{self, perm};
use crate::protocol::{decode_header, write_header};
use crate::remoting::{request_code, response_code, Connection, RemotingCommand};
use crate::store::commit_log::PutMessageResult;
use crate::store::config::FlushDiskType;
use crate::store::message::{
    property, sys_flag, MessageExtBatch, MessageExtBrokerInner, Properties,
};
use crate::store::metadata::TopicConfig;

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let response = if broker.store.is_os_page_cache_busy() {
        // Java's remoting layer asks the processor `rejectRequest()` first.
        RemotingCommand::system_busy_rejected(&request)
    } else {
        match broker.send_limiter.try_acquire() {
            Some(_permit) => process(broker, conn, &request).await,
            None => RemotingCommand::response_to(
                &request,
                response_code::SYSTEM_BUSY,
                Some(OVERLOAD_REMARK.to_string()),
            ),
        }
    };
    reply_unless_oneway(&request, response)
}

/// The V1 header of any send request.
#[allow(clippy::result_large_err)]
fn send_header(request: &RemotingCommand) -> Result<SendMessageRequestHeader, RemotingCommand> {
    match request.code {
        request_code::SEND_MESSAGE_V2 | request_code::SEND_BATCH_MESSAGE => {
            decode_header::<SendMessageRequestHeaderV2>(request).map(Into::into)
        }
        _ => decode_header::<SendMessageRequestHeader>(request),
    }
}

async fn process(broker: &Broker, conn: &Connection, request: &RemotingCommand) -> RemotingCommand {
    let header = match send_header(request) {
        Ok(h) => h,
        Err(response) => return response,
    };
    let check = CheckedSend {
        topic: &header.topic,
        default_topic: &header.default_topic,
        default_topic_queue_nums: header.default_topic_queue_nums,
        queue_id: header.queue_id,
        unit_mode: header.unit_mode,
    };
    let config = match msg_check(broker, conn, request, &check).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let queue_id = if header.queue_id < 0 {
        random_queue_id(config.write_queue_nums)
    } else {
        header.queue_id
    };
    if header.batch {
        send_batch(broker, conn, request, header, &config, queue_id).await
    } else {
        send_one(broker, conn, request, header, config, queue_id).await
    }
}

fn multi_tag_flag(config: &TopicConfig, sys_flag: i32) -> i32 {
    if config.topic_filter_type == TopicFilterType::MultiTag {
        sys_flag | sys_flag::MULTI_TAGS_FLAG
    } else {
        sys_flag
    }
}

async fn send_one(
    broker: &Broker,
    conn: &Connection,
    request: &RemotingCommand,
    header: SendMessageRequestHeader,
    mut config: TopicConfig,
    queue_id: i32,
) -> RemotingCommand {
    let mut topic_name = header.topic.clone();
    let mut store_queue = queue_id;
    // Java `handleRetryAndDLQ`: a send to %RETRY%group past its max reconsume times goes to the DLQ.
    if let Some(group) = header.topic.strip_prefix(topic::RETRY_GROUP_TOPIC_PREFIX) {
        let group_config = match broker.groups.find_or_create(group) {
            Ok(g) => g,
            Err(e) => {
                return send_response(
                    broker,
                    request,
                    response_code::SYSTEM_ERROR,
                    Some(e.to_string()),
                )
            }
        };
        let Some(group_config) = group_config else {
            return send_response(
                broker,
                request,
                response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
                Some(format!(
                    "subscription group not exist, {group} {FAQ_SUGGESTION}"
                )),
            );
        };
        let mut max_reconsume = group_config.retry_max_times;
        if request.version >= VERSION_V3_4_9 {
            if let Some(m) = header.max_reconsume_times {
                max_reconsume = m;
            }
        }
        if header.reconsume_times.unwrap_or(0) >= max_reconsume {
            let dlq = topic::dlq_topic(group);
            match broker.topics.create_if_absent(
                &dlq,
                DLQ_NUMS_PER_GROUP,
                perm::WRITE | perm::READ,
                0,
            ) {
                Ok((c, created)) => {
                    if created {
                        broker.register_with_namesrvs_soon();
                    }
                    config = c;
                }
                Err(_) => {
                    return send_response(
                        broker,
                        request,
                        response_code::SYSTEM_ERROR,
                        Some(format!("topic[{dlq}] not exist")),
                    )
                }
            }
            topic_name = dlq;
            store_queue = random_queue_id(DLQ_NUMS_PER_GROUP);
        }
    }
    let sys_flag = multi_tag_flag(&config, header.sys_flag);

    let mut props = Properties::parse(header.properties.as_deref().unwrap_or(""));
    props.insert(property::CLUSTER, &broker.config.broker_cluster_name);
    // Java drops WAIT from the stored string (it saves 9 bytes) but still honours it.
    let wait = props.remove(property::WAIT_STORE_MSG_OK);
    let mut properties_string = props.to_java_string();

    let store_host = store_host(broker, conn);
    let mut msg = MessageExtBrokerInner {
        topic: topic_name,
        queue_id: store_queue,
        flag: header.flag,
        sys_flag,
        born_timestamp: header.born_timestamp,
        born_host: conn.peer_addr(),
        store_host,
        reconsume_times: header.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
        body: request.body.clone().unwrap_or_default(),
        properties_string: String::new(),
    };
    let prepared = props
        .get(property::TRANSACTION_PREPARED)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(w) = &wait {
        props.insert(property::WAIT_STORE_MSG_OK, w);
    }
    if prepared {
        if broker.knobs.reject_transaction_message() {
            return send_response(
                broker,
                request,
                response_code::NO_PERMISSION,
                Some(format!(
                    "the broker[{}] sending transaction message is forbidden",
                    broker.config.broker_ip1
                )),
            );
        }
        // Java `TransactionalMessageBridge.parseHalfMessageInner`: a half message waits in
        // RMQ_SYS_TRANS_HALF_TOPIC queue 0 with its real destination in properties.
        props.insert(property::REAL_TOPIC, &msg.topic);
        props.insert(property::REAL_QUEUE_ID, &msg.queue_id.to_string());
        msg.sys_flag &= !sys_flag::TRANSACTION_ROLLBACK_TYPE;
        msg.topic = topic::TRANS_HALF_TOPIC.to_string();
        msg.queue_id = 0;
        properties_string = props.to_java_string();
    } else if props
        .get(property::DELAY_TIME_LEVEL)
        .and_then(|l| l.trim().parse::<i32>().ok())
        .is_some_and(|level| level > 0)
    {
        // Java's store re-serializes the map (WAIT back in it) when it diverts a delayed
        // message; our store re-serializes the string it is given, so give it WAIT too.
        properties_string = props.to_java_string();
    } else if wait.as_deref() == Some("false")
        && broker.store_config.flush_disk_type == FlushDiskType::SyncFlush
    {
        // The store reads WAIT from the string: under SYNC_FLUSH keep a `false` so it does not
        // wait for the disk (Java keeps it in the map only; the stored string differs here).
        properties_string = props.to_java_string();
    }
    msg.properties_string = properties_string;

    let started = std::time::Instant::now();
    let result = put_message(broker, msg).await;
    broker
        .stats
        .record_put_result(&header.topic, &result, started.elapsed());
    put_result_response(broker, request, &result, queue_id)
}

async fn send_batch(
    broker: &Broker,
    conn: &Connection,
    request: &RemotingCommand,
    header: SendMessageRequestHeader,
    config: &TopicConfig,
    queue_id: i32,
) -> RemotingCommand {
    if header.topic.len() > i8::MAX as usize {
        return send_response(
            broker,
            request,
            response_code::MESSAGE_ILLEGAL,
            Some(format!(
                "message topic length too long {}",
                header.topic.len()
            )),
        );
    }
    if header.topic.starts_with(topic::RETRY_GROUP_TOPIC_PREFIX) {
        return send_response(
            broker,
            request,
            response_code::MESSAGE_ILLEGAL,
            Some(format!(
                "batch request does not support retry group {}",
                header.topic
            )),
        );
    }
    let mut props = Properties::parse(header.properties.as_deref().unwrap_or(""));
    props.insert(property::CLUSTER, &broker.config.broker_cluster_name);
    let batch = MessageExtBatch {
        topic: header.topic.clone(),
        queue_id,
        sys_flag: multi_tag_flag(config, header.sys_flag),
        born_timestamp: header.born_timestamp,
        born_host: conn.peer_addr(),
        store_host: store_host(broker, conn),
        reconsume_times: header.reconsume_times.unwrap_or(0),
        body: request.body.clone().unwrap_or_default(),
        properties_string: props.to_java_string(),
    };
    let started = std::time::Instant::now();
    let result = put_messages(broker, batch).await;
    broker
        .stats
        .record_put_result(&header.topic, &result, started.elapsed());
    put_result_response(broker, request, &result, queue_id)
}

/// The response to a put: Java's code and remark, and for a stored message the send header
/// (msgId, the queue the producer asked for, the queue offset).
fn put_result_response(
    broker: &Broker,
    request: &RemotingCommand,
    result: &PutMessageResult,
    queue_id: i32,
) -> RemotingCommand {
    let (code, remark, sent) = put_status_response(result.status, broker.knobs.max_message_size());
    let mut response = send_response(broker, request, code, remark);
    if let (true, Some(append)) = (sent, &result.append) {
        let header = SendMessageResponseHeader {
            msg_id: append.msg_id(),
            queue_id,
            queue_offset: append.logics_offset,
            transaction_id: None,
        };
        write_header(&mut response, &header);
    }
    response
}
