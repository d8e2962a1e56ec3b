//! The send path (Java `SendMessageProcessor` / `AbstractSendMessageProcessor`): SEND_MESSAGE,
//! SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK, plus what they share: the
//! message checks (`msgCheck`), the mapping of a store status to Java's response, and the bound
//! on sends in flight that replaces Java's send thread-pool queue.

pub mod consumer_send_msg_back;
pub mod send_message;

use crate::broker::Broker;
use crate::protocol::body::TopicFilterType;
use crate::protocol::header::java_key_order;
use crate::protocol::topic::{self, perm};
use crate::remoting::{response_code, Connection, ExtFields, RemotingCommand};
use crate::store::commit_log::{PutMessageResult, PutMessageStatus};
use crate::store::config::FlushDiskType;
use crate::store::message::{MessageExtBatch, MessageExtBrokerInner};
use crate::store::metadata::TopicConfig;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `FAQUrl.suggestTodo(FAQUrl.APPLY_TOPIC_URL)` (every FAQ url of 4.9.7 is the same page).
pub const FAQ_SUGGESTION: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// `MQVersion.Version.V3_4_9.ordinal()`: from this client version on, the header's
/// `maxReconsumeTimes` overrides the group's `retryMaxTimes`.
pub const VERSION_V3_4_9: i32 = 165;

/// Queues of a `%DLQ%group` topic (`DLQ_NUMS_PER_GROUP`).
pub const DLQ_NUMS_PER_GROUP: i32 = 1;

/// Java's remark when the send queue is full and the executor rejects the request.
pub const OVERLOAD_REMARK: &str = "[OVERLOAD]system busy, start flow control for a while";

/// A bound on sends being processed at once (Java's `sendThreadPoolQueueCapacity`: a bounded
/// queue in front of the send threads). Beyond it a send is answered SYSTEM_BUSY at once
/// instead of piling up without bound.
#[derive(Debug)]
pub struct SendLimiter {
    in_flight: AtomicUsize,
    capacity: usize,
}

/// A slot of the limiter, given back when dropped.
pub struct SendPermit<'a>(&'a SendLimiter);

impl Drop for SendPermit<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SendLimiter {
    pub fn new(capacity: usize) -> SendLimiter {
        SendLimiter {
            in_flight: AtomicUsize::new(0),
            capacity,
        }
    }

    /// A slot, or `None` when `capacity` sends are already in flight.
    pub fn try_acquire(&self) -> Option<SendPermit<'_>> {
        let mut current = self.in_flight.load(Ordering::Acquire);
        loop {
            if current >= self.capacity {
                return None;
            }
            match self.in_flight.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(SendPermit(self)),
                Err(now) => current = now,
            }
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// Java's `TopicConfig.toString()` (quoted in the queueId remark).
pub fn topic_config_java_string(c: &TopicConfig) -> String {
    let filter = match c.topic_filter_type {
        TopicFilterType::SingleTag => "SINGLE_TAG",
        TopicFilterType::MultiTag => "MULTI_TAG",
    };
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}]",
        c.topic_name.as_deref().unwrap_or("null"),
        c.read_queue_nums,
        c.write_queue_nums,
        perm::to_string(c.perm),
        filter,
        c.topic_sys_flag,
        c.order
    )
}

/// `RemotingHelper.parseChannelRemoteAddr`: `ip:port` of the peer.
pub fn remote_addr_string(conn: &Connection) -> String {
    conn.peer_addr().to_string()
}

/// The store host of messages written by this broker: `brokerIP1:listenPort`, or the
/// connection's local address when that does not parse (a host name).
pub fn store_host(broker: &Broker, conn: &Connection) -> SocketAddr {
    broker
        .broker_addr
        .parse()
        .unwrap_or_else(|_| conn.local_addr())
}

/// A send response with Java's extras (`MSG_REGION`, `TRACE_ON`) already in `extFields`, in
/// the order Java's `HashMap` would hold them when no header field is written (failures).
pub fn send_response(
    broker: &Broker,
    request: &RemotingCommand,
    code: i32,
    remark: Option<String>,
) -> RemotingCommand {
    let mut response = RemotingCommand::response_to(request, code, remark);
    let entries = [
        ("MSG_REGION", broker.config.region_id.clone()),
        ("TRACE_ON", broker.config.trace_on.to_string()),
    ];
    let keys: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
    let mut ext = ExtFields::with_capacity(entries.len());
    for i in java_key_order(None, &keys) {
        if let Some((k, v)) = entries.get(i) {
            ext.insert(*k, v.clone());
        }
    }
    response.ext_fields = Some(ext);
    response
}

/// What Java's `msgCheck` needs from a send header.
pub struct CheckedSend<'a> {
    pub topic: &'a str,
    pub default_topic: &'a str,
    pub default_topic_queue_nums: i32,
    pub queue_id: i32,
    pub unit_mode: bool,
}

/// Java `AbstractSendMessageProcessor.msgCheck` (plus `preSend`'s start-time gate): the topic's
/// config, auto-created from the default topic if needed, or the response refusing the send.
///
/// A topic created here is registered with the NameServers (oneway) before the send is
/// answered, as Java's `createTopicInSendMessageMethod` does: a client that routes the topic
/// right after its first send then finds it.
#[allow(clippy::result_large_err)]
pub async fn msg_check(
    broker: &Broker,
    conn: &Connection,
    request: &RemotingCommand,
    send: &CheckedSend<'_>,
) -> Result<TopicConfig, RemotingCommand> {
    let fail = |code: i32, remark: String| send_response(broker, request, code, Some(remark));
    let start = broker.config.start_accept_send_request_time_stamp;
    if broker.now_millis() < start {
        return Err(fail(
            response_code::SYSTEM_ERROR,
            format!("broker unable to service, until {start}"),
        ));
    }
    if !perm::is_writeable(broker.knobs.broker_permission())
        && broker.topics.is_order_topic(send.topic)
    {
        return Err(fail(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                broker.config.broker_ip1
            ),
        ));
    }
    if let Err(e) = topic::validate_topic(send.topic) {
        return Err(fail(response_code::SYSTEM_ERROR, e.to_string()));
    }
    if topic::is_not_allowed_send_topic(send.topic) {
        return Err(fail(
            response_code::NO_PERMISSION,
            topic::send_forbidden_remark(send.topic),
        ));
    }
    let config = match broker.topics.get(send.topic) {
        Some(c) => c,
        None => {
            let (config, created) =
                create_on_send(broker, conn, send).map_err(|remark| match remark {
                    Some(r) => fail(response_code::SYSTEM_ERROR, r),
                    None => fail(
                        response_code::TOPIC_NOT_EXIST,
                        format!(
                            "topic[{}] not exist, apply first please!{FAQ_SUGGESTION}",
                            send.topic
                        ),
                    ),
                })?;
            if created {
                crate::broker::registration::register_all(broker, true).await;
            }
            config
        }
    };
    let valid = config.write_queue_nums.max(config.read_queue_nums);
    if send.queue_id >= valid {
        let info = format!(
            "request queueId[{}] is illegal, {} Producer: {}",
            send.queue_id,
            topic_config_java_string(&config),
            remote_addr_string(conn)
        );
        tracing::warn!("{info}");
        return Err(fail(response_code::SYSTEM_ERROR, info));
    }
    Ok(config)
}

/// Auto-creation on the first send (`createTopicInSendMessageMethod`, then for a retry topic
/// `createTopicInSendMessageBackMethod`). `Err(None)` when the topic cannot be created;
/// `Err(Some(remark))` when writing topics.json failed. The flag says whether the topic is new.
fn create_on_send(
    broker: &Broker,
    conn: &Connection,
    send: &CheckedSend<'_>,
) -> Result<(TopicConfig, bool), Option<String>> {
    let is_retry = send.topic.starts_with(topic::RETRY_GROUP_TOPIC_PREFIX);
    let sys_flag = match (send.unit_mode, is_retry) {
        (false, _) => 0,
        (true, true) => topic::sys_flag::build(false, true),
        (true, false) => topic::sys_flag::build(true, false),
    };
    tracing::warn!(
        "the topic {} not exist, producer: {}",
        send.topic,
        conn.peer_addr()
    );
    let created = broker
        .topics
        .create_in_send(
            send.topic,
            send.default_topic,
            send.default_topic_queue_nums,
            sys_flag,
        )
        .map_err(|e| Some(e.to_string()))?;
    let (config, new) = match created {
        (Some(c), new) => (c, new),
        (None, _) if is_retry => broker
            .topics
            .create_if_absent(send.topic, 1, perm::READ | perm::WRITE, sys_flag)
            .map_err(|e| Some(e.to_string()))?,
        (None, _) => return Err(None),
    };
    Ok((config, new))
}

/// Stores one message: inline when the put is a memory copy (ASYNC_FLUSH, or the producer does
/// not wait), on the blocking pool when it waits for the disk (SYNC_FLUSH with `WAIT=true`);
/// then, on a SYNC_MASTER, waits (asynchronously) for a slave (`HaService::after_put`).
pub async fn put_message(broker: &Broker, msg: MessageExtBrokerInner) -> PutMessageResult {
    let store = &broker.store;
    let wait = msg.wait_store_msg_ok();
    let result = if store.config().flush_disk_type == FlushDiskType::SyncFlush && wait {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.put_message(msg))
            .await
            .unwrap_or_else(|_| PutMessageResult::failed(PutMessageStatus::UnknownError))
    } else {
        store.put_message(msg)
    };
    broker.ha.after_put(result, wait).await
}

/// As [`put_message`] for a batch.
pub async fn put_messages(broker: &Broker, batch: MessageExtBatch) -> PutMessageResult {
    let store = &broker.store;
    let wait = batch.wait_store_msg_ok();
    let result = if store.config().flush_disk_type == FlushDiskType::SyncFlush && wait {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.put_messages(batch))
            .await
            .unwrap_or_else(|_| PutMessageResult::failed(PutMessageStatus::UnknownError))
    } else {
        store.put_messages(batch)
    };
    broker.ha.after_put(result, wait).await
}

/// Java `handlePutMessageResult`: the response code and remark for a store status, and whether
/// the message counts as sent (then the response carries the send header and no remark).
/// `max_message_size` is the current `maxMessageSize`, which the MESSAGE_ILLEGAL remark quotes.
pub fn put_status_response(
    status: PutMessageStatus,
    max_message_size: i32,
) -> (i32, Option<String>, bool) {
    use PutMessageStatus::*;
    match status {
        PutOk => (response_code::SUCCESS, None, true),
        FlushDiskTimeout => (response_code::FLUSH_DISK_TIMEOUT, None, true),
        FlushSlaveTimeout => (response_code::FLUSH_SLAVE_TIMEOUT, None, true),
        SlaveNotAvailable => (response_code::SLAVE_NOT_AVAILABLE, None, true),
        CreateMapedFileFailed => (
            response_code::SYSTEM_ERROR,
            Some("create mapped file failed, server is busy or broken.".into()),
            false,
        ),
        MessageIllegal | PropertiesSizeExceeded => (
            response_code::MESSAGE_ILLEGAL,
            Some(format!("the message is illegal, maybe msg body or properties length not matched. msg body length limit {max_message_size}B, msg properties length limit 32KB.")),
            false,
        ),
        ServiceNotAvailable => (
            response_code::SERVICE_NOT_AVAILABLE,
            Some(format!(
                "service not available now. It may be caused by one of the following reasons: the broker's disk is full [{}], messages are put to the slave, message store has been shut down, etc.",
                disk_util()
            )),
            false,
        ),
        OsPageCacheBusy => (
            response_code::SYSTEM_ERROR,
            Some("[PC_SYNCHRONIZED]broker busy, start flow control for a while".into()),
            false,
        ),
        LmqConsumeQueueNumExceeded => (
            response_code::SYSTEM_ERROR,
            Some("[LMQ_CONSUME_QUEUE_NUM_EXCEEDED]broker config enableLmq and enableMultiDispatch, lmq consumeQueue num exceed maxLmqConsumeQueueNum config num, default limit 2w.".into()),
            false,
        ),
        UnknownError => (response_code::SYSTEM_ERROR, Some("UNKNOWN_ERROR".into()), false),
    }
}

/// Java's `diskUtil()`: `CL: %5.2f CQ: %5.2f INDEX: %5.2f` of the store paths' disk usage.
/// ferrocket does not sample disk usage here; -1 is what Java prints when it cannot tell.
fn disk_util() -> String {
    format!("CL: {:5.2} CQ: {:5.2} INDEX: {:5.2}", -1.0, -1.0, -1.0)
}

/// What a send-type handler answers: nothing to a oneway request. A oneway message the broker
/// did not store is lost without the client ever knowing (as with Java), so the broker says so
/// in its log: the first one, then every 1000th, with the running count.
pub fn reply_unless_oneway(
    request: &RemotingCommand,
    response: RemotingCommand,
) -> Option<RemotingCommand> {
    static UNSTORED_ONEWAY: AtomicUsize = AtomicUsize::new(0);
    if !request.is_oneway() {
        return Some(response);
    }
    // These three answer a message that was stored (only its flush or replication is late).
    let stored = matches!(
        response.code,
        response_code::SUCCESS
            | response_code::FLUSH_DISK_TIMEOUT
            | response_code::FLUSH_SLAVE_TIMEOUT
            | response_code::SLAVE_NOT_AVAILABLE
    );
    if !stored {
        let n = UNSTORED_ONEWAY.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 1000 == 1 {
            tracing::warn!(
                request_code = request.code,
                response_code = response.code,
                remark = response.remark.as_deref().unwrap_or(""),
                unstored_oneway_requests = n,
                "a oneway request was not stored; its client is not told"
            );
        }
    }
    None
}

/// Java's `ThreadLocalRandom.nextInt(99999999) % n`; any spread will do.
pub fn random_queue_id(n: i32) -> i32 {
    use std::hash::{BuildHasher, Hasher};
    if n <= 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (h.finish() % 99_999_999) as i32 % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_refuses_beyond_capacity_and_frees_on_drop() {
        let limiter = SendLimiter::new(3);
        let held: Vec<_> = (0..3).filter_map(|_| limiter.try_acquire()).collect();
        assert_eq!(held.len(), 3);
        let refused = (0..5).filter(|_| limiter.try_acquire().is_none()).count();
        assert_eq!(refused, 5);
        assert_eq!(limiter.in_flight(), 3);
        drop(held);
        assert_eq!(limiter.in_flight(), 0);
        assert!(limiter.try_acquire().is_some());
        assert!(SendLimiter::new(0).try_acquire().is_none());
    }

    #[test]
    fn a_oneway_request_gets_no_reply_whatever_the_outcome() {
        let request = RemotingCommand::request(crate::remoting::request_code::SEND_MESSAGE, None);
        let busy = RemotingCommand::system_busy_rejected(&request);
        let answered = reply_unless_oneway(&request, busy.clone()).expect("a reply");
        assert_eq!(answered.code, busy.code);
        let mut oneway = request.clone();
        oneway.mark_oneway();
        assert!(reply_unless_oneway(&oneway, busy).is_none());
        let ok = RemotingCommand::response_to(&oneway, response_code::SUCCESS, None);
        assert!(reply_unless_oneway(&oneway, ok).is_none());
    }

    #[test]
    fn topic_config_to_string_as_java() {
        let mut c = TopicConfig::new("T", 4, 8, perm::READ | perm::WRITE);
        c.topic_filter_type = TopicFilterType::MultiTag;
        assert_eq!(
            topic_config_java_string(&c),
            "TopicConfig [topicName=T, readQueueNums=4, writeQueueNums=8, perm=RW-, topicFilterType=MULTI_TAG, topicSysFlag=0, order=false]"
        );
    }

    #[test]
    fn every_put_status_maps_to_javas_code() {
        use PutMessageStatus::*;
        let expect = [
            (PutOk, response_code::SUCCESS, true),
            (FlushDiskTimeout, response_code::FLUSH_DISK_TIMEOUT, true),
            (FlushSlaveTimeout, response_code::FLUSH_SLAVE_TIMEOUT, true),
            (SlaveNotAvailable, response_code::SLAVE_NOT_AVAILABLE, true),
            (
                ServiceNotAvailable,
                response_code::SERVICE_NOT_AVAILABLE,
                false,
            ),
            (CreateMapedFileFailed, response_code::SYSTEM_ERROR, false),
            (MessageIllegal, response_code::MESSAGE_ILLEGAL, false),
            (
                PropertiesSizeExceeded,
                response_code::MESSAGE_ILLEGAL,
                false,
            ),
            (OsPageCacheBusy, response_code::SYSTEM_ERROR, false),
            (UnknownError, response_code::SYSTEM_ERROR, false),
            (
                LmqConsumeQueueNumExceeded,
                response_code::SYSTEM_ERROR,
                false,
            ),
        ];
        for (status, code, sent) in expect {
            let (c, remark, s) = put_status_response(status, 1024);
            assert_eq!((c, s), (code, sent), "{status:?}");
            assert_eq!(remark.is_none(), sent, "{status:?}");
        }
        assert_eq!(
            put_status_response(OsPageCacheBusy, 1024).1.as_deref(),
            Some("[PC_SYNCHRONIZED]broker busy, start flow control for a while")
        );
        assert_eq!(
            put_status_response(UnknownError, 1024).1.as_deref(),
            Some("UNKNOWN_ERROR")
        );
        assert_eq!(
            put_status_response(MessageIllegal, 1024).1.as_deref(),
            Some("the message is illegal, maybe msg body or properties length not matched. msg body length limit 1024B, msg properties length limit 32KB.")
        );
    }
}
