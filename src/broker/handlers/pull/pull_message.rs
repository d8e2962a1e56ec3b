//! PULL_MESSAGE (11): read a queue from an offset (Java `PullMessageProcessor`).
//!
//! The checks come in Java's order (broker readable, subscription group, topic, queue id,
//! subscription, broadcast permission); each failure answers with Java's code and remark and an
//! empty `extFields` (Java's response header with every field null). Then the store is read with
//! the subscription's tag filter, and the status becomes the response code; the remark is the
//! store status's Java name ("FOUND", "OFFSET_OVERFLOW_ONE", ...). A FOUND body is the stored
//! records back to back, byte for byte as in the CommitLog.
//!
//! PULL_NOT_FOUND with the SUSPEND flag parks the pull in [`crate::broker::long_polling`] and
//! answers once a message arrives or the suspend time is up, re-running the whole request as
//! Java's `executeRequestWhenWakeup` does (without suspending or committing again).
//!
//! SQL92 subscriptions (with `enablePropertyFilter`) are evaluated against each candidate
//! message's properties in the mapped CommitLog record
//! ([`crate::broker::consumer_filter::SqlFilter`]); a registered one needs the group's filter
//! data (FILTER_DATA_NOT_EXIST / FILTER_DATA_NOT_LATEST as Java). With `filterSupportRetry` a
//! pull of the group's retry topic is filtered by the expression of each message's original
//! topic (Java's `ExpressionForRetryMessageFilter`). A parked SQL92 pull wakes on any arrival in
//! its queue (the store's arrival notice carries no properties) and re-runs; if the new messages
//! do not match, it answers PULL_RETRY_IMMEDIATELY with the advanced offset where Java would have
//! kept it parked (the client simply pulls again).

use crate::broker::consumer_filter::SqlFilter;
use crate::broker::long_polling::{ParkedPull, Wake};
use crate::broker::Broker;
use crate::filter::{self, Expression};
use crate::protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use crate::protocol::heartbeat::{MessageModel, SubscriptionData, EXPRESSION_TAG};
use crate::protocol::topic::perm;
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, ExtFields, RemotingCommand};
use crate::store::config::BrokerRole;
use crate::store::message_store::GetMessageStatus;
use bytes::{Bytes, BytesMut};
use std::sync::Arc;
use std::time::Duration;

/// `PullSysFlag` bits.
pub mod sys_flag {
    pub const COMMIT_OFFSET: i32 = 0x1;
    pub const SUSPEND: i32 = 0x1 << 1;
    pub const SUBSCRIPTION: i32 = 0x1 << 2;
    pub const CLASS_FILTER: i32 = 0x1 << 3;
}

/// `FAQUrl.suggestTodo(...)`: every FAQ url of 4.9.7 is the same page.
const FAQ_SUFFIX: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// How often a parked pull on a slave looks for new messages (Java's hold service period).
const SLAVE_RECHECK: Duration = Duration::from_secs(5);

/// `MixAll.MASTER_ID`.
const MASTER_ID: i64 = 0;

/// Java's `GetMessageStatus.name()`: the PULL_MESSAGE response remark.
pub fn status_name(status: GetMessageStatus) -> &'static str {
    match status {
        GetMessageStatus::Found => "FOUND",
        GetMessageStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
        GetMessageStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
        GetMessageStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
        GetMessageStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
        GetMessageStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
        GetMessageStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
        GetMessageStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
        GetMessageStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
    }
}

/// A pull that passed the checks and read the store.
struct Pulled {
    response: RemotingCommand,
    /// Set when the answer is PULL_NOT_FOUND and the pull may be parked: its subscription
    /// (the wake-up filter) and how long it may wait.
    park: Option<(Arc<SubscriptionData>, Duration)>,
}

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: PullMessageRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let pulled = match process(broker, conn, &request, &header, true).await {
        Ok(p) => p,
        Err(early) => return Some(early),
    };
    // Java commits the piggybacked offset after the pull (also when it parks), on masters.
    if header.sys_flag & sys_flag::COMMIT_OFFSET != 0
        && broker.store_config.broker_role != BrokerRole::Slave
    {
        broker.offsets.commit(
            &header.consumer_group,
            &header.topic,
            header.queue_id,
            header.commit_offset,
        );
    }
    let Some((subscription, polling)) = pulled.park else {
        return Some(pulled.response);
    };
    // A slave's store reports no arrivals (as Java's): re-check every 5 s like Java's
    // PullRequestHoldService. Without long polling nothing wakes a pull early either.
    let recheck = (broker.knobs.long_polling_enable()
        && broker.store_config.broker_role == BrokerRole::Slave)
        .then_some(SLAVE_RECHECK);
    let store = broker.store.clone();
    let wake = broker
        .pull_holds
        .hold(
            ParkedPull {
                topic: &header.topic,
                queue_id: header.queue_id,
                offset: header.queue_offset,
                subscription,
                timeout: polling,
                recheck,
            },
            || store.max_offset_in_queue(&header.topic, header.queue_id),
        )
        .await;
    if wake == Wake::Shutdown {
        return None;
    }
    match process(broker, conn, &request, &header, false).await {
        Ok(p) => Some(p.response),
        Err(early) => Some(early),
    }
}

/// A response for a check that failed before the store was read: Java's response header with
/// all fields null, i.e. empty `extFields`.
fn refuse(request: &RemotingCommand, code: i32, remark: String) -> RemotingCommand {
    RemotingCommand::response_to(request, code, Some(remark)).with_ext_fields(ExtFields::new())
}

/// Java's `processRequest`: the checks, the store read and the response. `Err` is an early
/// refusal (no offset is committed for those).
#[allow(clippy::result_large_err)]
async fn process(
    broker: &Broker,
    conn: &Connection,
    request: &RemotingCommand,
    header: &PullMessageRequestHeader,
    allow_suspend: bool,
) -> Result<Pulled, RemotingCommand> {
    use response_code as rc;
    if !perm::is_readable(broker.knobs.broker_permission()) {
        return Err(refuse(
            request,
            rc::NO_PERMISSION,
            format!(
                "the broker[{}] pulling message is forbidden",
                broker.config.broker_ip1
            ),
        ));
    }
    let group_config = match broker.groups.find_or_create(&header.consumer_group) {
        Ok(Some(g)) => g,
        Ok(None) => {
            return Err(refuse(
                request,
                rc::SUBSCRIPTION_GROUP_NOT_EXIST,
                format!(
                    "subscription group [{}] does not exist, {FAQ_SUFFIX}",
                    header.consumer_group
                ),
            ))
        }
        Err(e) => {
            return Err(refuse(
                request,
                rc::SYSTEM_ERROR,
                format!("subscription group config: {e}"),
            ))
        }
    };
    if !group_config.consume_enable {
        return Err(refuse(
            request,
            rc::NO_PERMISSION,
            format!(
                "subscription group no permission, {}",
                header.consumer_group
            ),
        ));
    }
    let has_suspend = header.sys_flag & sys_flag::SUSPEND != 0;
    let has_subscription = header.sys_flag & sys_flag::SUBSCRIPTION != 0;
    let Some(topic_config) = broker.topics.get(&header.topic) else {
        tracing::error!(
            "the topic {} not exist, consumer: {}",
            header.topic,
            conn.peer_addr()
        );
        return Err(refuse(
            request,
            rc::TOPIC_NOT_EXIST,
            format!(
                "topic[{}] not exist, apply first please! {FAQ_SUFFIX}",
                header.topic
            ),
        ));
    };
    if !perm::is_readable(topic_config.perm) {
        return Err(refuse(
            request,
            rc::NO_PERMISSION,
            format!("the topic[{}] pulling message is forbidden", header.topic),
        ));
    }
    if header.queue_id < 0 || header.queue_id >= topic_config.read_queue_nums {
        let info = format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[/{}]",
            header.queue_id,
            header.topic,
            topic_config.read_queue_nums,
            conn.peer_addr()
        );
        tracing::warn!("{info}");
        return Err(refuse(request, rc::SYSTEM_ERROR, info));
    }
    let mut expression: Option<Arc<Expression>> = None;
    let subscription = if has_subscription {
        let sub = build_subscription(header).ok_or_else(|| {
            refuse(
                request,
                rc::SUBSCRIPTION_PARSE_FAILED,
                "parse the consumer's subscription failed".to_string(),
            )
        })?;
        if !sub.is_tag_type() {
            // Java's `ConsumerFilterManager.build` logs and returns null for an expression that
            // does not compile, and the pull then filters nothing: kept as Java does.
            expression = filter::compile(&sub.expression_type, &sub.sub_string)
                .map_err(|e| {
                    tracing::error!(
                        "parse error: expr={}, topic={}, group={}, error={}",
                        sub.sub_string,
                        header.topic,
                        header.consumer_group,
                        e
                    )
                })
                .ok();
        }
        sub
    } else {
        let Some((model, registered)) = broker
            .clients
            .pull_view(&header.consumer_group, &header.topic)
        else {
            return Err(refuse(
                request,
                rc::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's group info not exist{FAQ_SUFFIX}"),
            ));
        };
        if !group_config.consume_broadcast_enable && model == MessageModel::Broadcasting {
            return Err(refuse(
                request,
                rc::NO_PERMISSION,
                format!(
                    "the consumer group[{}] can not consume by broadcast way",
                    header.consumer_group
                ),
            ));
        }
        let Some(sub) = registered else {
            return Err(refuse(
                request,
                rc::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's subscription not exist{FAQ_SUFFIX}"),
            ));
        };
        if sub.sub_version < header.sub_version {
            return Err(refuse(
                request,
                rc::SUBSCRIPTION_NOT_LATEST,
                "the consumer's subscription not latest".to_string(),
            ));
        }
        if !sub.is_tag_type() {
            let Some(registered) = broker.filters.get(&header.topic, &header.consumer_group) else {
                return Err(refuse(
                    request,
                    rc::FILTER_DATA_NOT_EXIST,
                    "The broker's consumer filter data is not exist!Your expression may be wrong!"
                        .to_string(),
                ));
            };
            if registered.client_version < header.sub_version {
                tracing::warn!(
                    "The broker's consumer filter data is not latest, group: {}, topic: {}, serverV: {}, clientV: {}",
                    header.consumer_group,
                    header.topic,
                    registered.client_version,
                    header.sub_version
                );
                return Err(refuse(
                    request,
                    rc::FILTER_DATA_NOT_LATEST,
                    "the consumer's consumer filter data not latest".to_string(),
                ));
            }
            expression = registered.expression;
        }
        sub
    };
    if !subscription.is_tag_type() && !broker.config.enable_property_filter {
        return Err(refuse(
            request,
            rc::SYSTEM_ERROR,
            format!(
                "The broker does not support consumer to filter message by {}",
                subscription.expression_type
            ),
        ));
    }
    let subscription = Arc::new(subscription);

    let filter = SqlFilter {
        subscription: subscription.clone(),
        expression,
        retry_lookup: broker
            .config
            .filter_support_retry
            .then(|| broker.filters.clone()),
    };
    let mut read = read_store(broker, header, filter).await;
    broker.stats.record_get(
        &header.consumer_group,
        &header.topic,
        matches!(read.status, GetMessageStatus::Found),
        read.message_count as u64,
        read.body.as_ref().map_or(0, |b| b.len() as u64),
    );
    // Java's store creates a missing ConsumeQueue on lookup and reports the empty queue as
    // NO_MESSAGE_IN_QUEUE; clients never see NO_MATCHED_LOGIC_QUEUE from 4.9.7.
    if read.status == GetMessageStatus::NoMatchedLogicQueue {
        read.status = GetMessageStatus::NoMessageInQueue;
    }
    let mut code = match read.status {
        GetMessageStatus::Found => rc::SUCCESS,
        GetMessageStatus::MessageWasRemoving | GetMessageStatus::NoMatchedMessage => {
            rc::PULL_RETRY_IMMEDIATELY
        }
        GetMessageStatus::NoMatchedLogicQueue | GetMessageStatus::NoMessageInQueue => {
            if header.queue_offset != 0 {
                rc::PULL_OFFSET_MOVED
            } else {
                rc::PULL_NOT_FOUND
            }
        }
        GetMessageStatus::OffsetFoundNull | GetMessageStatus::OffsetOverflowOne => {
            rc::PULL_NOT_FOUND
        }
        GetMessageStatus::OffsetOverflowBadly | GetMessageStatus::OffsetTooSmall => {
            rc::PULL_OFFSET_MOVED
        }
    };
    // Java sets the id from the slow-consumer hint, then overrides it by slaveReadEnable.
    let mut suggest = if !broker.knobs.slave_read_enable() {
        MASTER_ID
    } else if read.suggest_pulling_from_slave {
        group_config.which_broker_when_consume_slowly
    } else {
        group_config.broker_id
    };
    if code == rc::PULL_OFFSET_MOVED {
        let correcting = broker.store_config.broker_role != BrokerRole::Slave
            || broker.store_config.offset_check_in_slave;
        if correcting {
            tracing::warn!(
                "PULL_OFFSET_MOVED:correction offset. topic={}, groupId={}, requestOffset={}, newOffset={}, suggestBrokerId={}",
                header.topic,
                header.consumer_group,
                header.queue_offset,
                read.next_begin_offset,
                suggest
            );
            super::offset_moved_event::publish(
                broker,
                &header.consumer_group,
                &header.topic,
                header.queue_id,
                header.queue_offset,
                read.next_begin_offset,
            )
            .await;
        } else {
            suggest = group_config.broker_id;
            code = rc::PULL_RETRY_IMMEDIATELY;
        }
    }
    let response_header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: read.next_begin_offset,
        min_offset: read.min_offset,
        max_offset: read.max_offset,
    };
    let mut response = response_with_header(
        request,
        code,
        Some(status_name(read.status).to_string()),
        &response_header,
    );
    if code == rc::SUCCESS {
        response.body = read.body;
    }
    let park = (code == rc::PULL_NOT_FOUND && allow_suspend && has_suspend).then(|| {
        let millis = if broker.knobs.long_polling_enable() {
            header.suspend_timeout_millis
        } else {
            broker.knobs.short_polling_time_mills()
        };
        // Clamped so a hostile value cannot overflow the timer's deadline (~24 days).
        let millis = millis.clamp(0, i32::MAX as i64) as u64;
        (subscription, Duration::from_millis(millis))
    });
    Ok(Pulled { response, park })
}

/// Java `FilterAPI.build`: the subscription a pull carries. `None`: an expression of another
/// type that is empty (Java's "Expression can't be null!").
fn build_subscription(header: &PullMessageRequestHeader) -> Option<SubscriptionData> {
    let expression = header.subscription.as_deref().unwrap_or("");
    match header.expression_type.as_deref() {
        None | Some(EXPRESSION_TAG) => Some(SubscriptionData::from_tag_expression(
            &header.topic,
            expression,
            header.sub_version,
        )),
        Some(other) => (!expression.is_empty()).then(|| SubscriptionData {
            topic: header.topic.clone(),
            sub_string: expression.to_string(),
            sub_version: header.sub_version,
            expression_type: other.to_string(),
            ..Default::default()
        }),
    }
}

/// What the store gave a pull, with the FOUND records already joined into one body.
struct StoreRead {
    status: GetMessageStatus,
    next_begin_offset: i64,
    min_offset: i64,
    max_offset: i64,
    suggest_pulling_from_slave: bool,
    body: Option<Bytes>,
    message_count: usize,
}

/// Reads the store off the reactor (cold CommitLog pages fault in from disk) and copies the
/// records into the body there too: one copy from the mapped files, none afterwards.
async fn read_store(
    broker: &Broker,
    header: &PullMessageRequestHeader,
    filter: SqlFilter,
) -> StoreRead {
    let store = broker.store.clone();
    let topic = header.topic.clone();
    let (queue_id, offset, max_nums) = (header.queue_id, header.queue_offset, header.max_msg_nums);
    let read = tokio::task::spawn_blocking(move || {
        let found = store.get_message(&topic, queue_id, offset, max_nums, Some(&filter));
        let body = (!found.messages.is_empty()).then(|| {
            let mut body = BytesMut::with_capacity(found.buffer_total_size);
            for record in &found.messages {
                body.extend_from_slice(record);
            }
            body.freeze()
        });
        StoreRead {
            status: found.status,
            next_begin_offset: found.next_begin_offset,
            min_offset: found.min_offset,
            max_offset: found.max_offset,
            suggest_pulling_from_slave: found.suggest_pulling_from_slave,
            body,
            message_count: found.messages.len(),
        }
    })
    .await;
    read.unwrap_or_else(|e| {
        // The store read panicked: answer as if the message were being removed, so the
        // client retries instead of losing its place.
        tracing::error!("pull store read failed: {e}");
        StoreRead {
            status: GetMessageStatus::MessageWasRemoving,
            next_begin_offset: offset,
            min_offset: 0,
            max_offset: 0,
            suggest_pulling_from_slave: false,
            body: None,
            message_count: 0,
        }
    })
}
