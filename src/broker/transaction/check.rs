//! One pass of the transaction check service over the half queues (Java
//! `TransactionalMessageServiceImpl.check`). Synchronous: it reads and writes the store
//! directly, so run it off the async reactor; the check requests it returns are sent after.
//!
//! Per half queue: start at CID_RMQ_SYS_TRANS's offset; read op records (32 at a time) into a
//! map half-offset -> op-offset; walk the half queue: a half message with an op record is done;
//! one checked `transactionCheckMax` times (or older than the store keeps files) is discarded to
//! TRANS_CHECK_MAX_TIME_TOPIC; one younger than `transactionTimeOut` (or its own
//! CHECK_IMMUNITY_TIME_IN_SECONDS) stops the walk; any other is re-put at the tail with
//! TRANSACTION_CHECK_TIMES + 1 and its producer asked. Then both offsets move forward.

use super::message::StoredMessage;
use super::service::half_topic_queue_nums;
use super::{
    CHECK_MAX_TIME_TOPIC_QUEUE_NUMS, CID_SYS_RMQ_TRANS, PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS,
    PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET, REMOVE_TAG,
};
use crate::broker::Broker;
use crate::protocol::header::CheckTransactionStateRequestHeader;
use crate::protocol::topic;
use crate::protocol::write_header;
use crate::remoting::{request_code, RemotingCommand};
use crate::store::commit_log::{PutMessageResult, PutMessageStatus};
use crate::store::message::{property, MessageExtBrokerInner};
use crate::store::message_store::GetMessageStatus;
use std::collections::HashMap;

/// Java `MAX_PROCESS_TIME_LIMIT`: one queue is walked at most this long per pass.
const MAX_PROCESS_TIME_LIMIT_MS: i64 = 60_000;
/// Java `MAX_RETRY_COUNT_WHEN_HALF_NULL`.
const MAX_RETRY_COUNT_WHEN_HALF_NULL: i32 = 1;
/// Op records read per batch (Java `pullOpMsg(.., 32)`).
const OP_BATCH: i32 = 32;

/// A CHECK_TRANSACTION_STATE to send to a producer of `producer_group`.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub producer_group: String,
    pub request: RemotingCommand,
}

/// Java `PullStatus` as the bridge maps the store's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PullStatus {
    Found,
    NoNewMsg,
    NoMatchedMsg,
    OffsetIllegal,
}

struct Pulled {
    status: PullStatus,
    next_begin_offset: i64,
    /// `None` unless FOUND (Java's `msgFoundList`).
    messages: Option<Vec<StoredMessage>>,
}

fn pull(broker: &Broker, topic: &str, queue_id: i32, offset: i64, nums: i32) -> Pulled {
    let r = broker
        .store
        .get_message(topic, queue_id, offset, nums, None);
    let status = match r.status {
        GetMessageStatus::Found => PullStatus::Found,
        GetMessageStatus::NoMatchedMessage => PullStatus::NoMatchedMsg,
        GetMessageStatus::NoMessageInQueue | GetMessageStatus::OffsetOverflowOne => {
            PullStatus::NoNewMsg
        }
        _ => PullStatus::OffsetIllegal,
    };
    let messages = (status == PullStatus::Found).then(|| {
        r.messages
            .iter()
            .filter_map(|m| StoredMessage::decode(m))
            .collect::<Vec<_>>()
    });
    Pulled {
        status,
        next_begin_offset: r.next_begin_offset,
        messages,
    }
}

/// Java `fetchConsumeOffset`: the group's offset, or the queue's min offset when it has none
/// (Java's store creates a missing queue on that lookup: min offset 0).
fn fetch_offset(broker: &Broker, topic: &str, queue_id: i32) -> i64 {
    match broker.offsets.query(CID_SYS_RMQ_TRANS, topic, queue_id) {
        -1 => broker.store.min_offset_in_queue(topic, queue_id).max(0),
        o => o,
    }
}

fn commit_offset(broker: &Broker, topic: &str, queue_id: i32, offset: i64) {
    broker
        .offsets
        .commit(CID_SYS_RMQ_TRANS, topic, queue_id, offset);
}

/// The walk's bookkeeping of op records: half offsets known done (-> their op offset), and the
/// op offsets consumed.
#[derive(Default)]
struct OpState {
    remove: HashMap<i64, i64>,
    done_op_offsets: Vec<i64>,
}

impl OpState {
    /// Java `fillOpRemoveMap`.
    fn fill(
        &mut self,
        broker: &Broker,
        op_queue: i32,
        op_offset: i64,
        min_half_offset: i64,
    ) -> Pulled {
        let pulled = pull(
            broker,
            topic::TRANS_OP_HALF_TOPIC,
            op_queue,
            op_offset,
            OP_BATCH,
        );
        match pulled.status {
            PullStatus::OffsetIllegal | PullStatus::NoMatchedMsg => {
                commit_offset(
                    broker,
                    topic::TRANS_OP_HALF_TOPIC,
                    op_queue,
                    pulled.next_begin_offset,
                );
                return pulled;
            }
            PullStatus::NoNewMsg => return pulled,
            PullStatus::Found => {}
        }
        for op in pulled.messages.iter().flatten() {
            if op.property(property::TAGS) != Some(REMOVE_TAG) {
                tracing::error!(
                    op_offset = op.queue_offset,
                    "transaction op record with an unknown tag"
                );
                continue;
            }
            let half_offset = std::str::from_utf8(&op.body)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(-1);
            if half_offset < min_half_offset {
                self.done_op_offsets.push(op.queue_offset);
            } else {
                self.remove.insert(half_offset, op.queue_offset);
            }
        }
        pulled
    }

    /// Java `checkPrepareQueueOffset`: true when the message can be skipped.
    fn check_prepare_queue_offset(&mut self, broker: &Broker, msg: &StoredMessage) -> bool {
        match msg.property(PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET) {
            None => put_ok(broker, msg.renewed_with_immunity()),
            Some(s) => {
                let prepared = s.parse::<i64>().unwrap_or(-1);
                if prepared == -1 {
                    return false;
                }
                match self.remove.remove(&prepared) {
                    Some(op_offset) => {
                        self.done_op_offsets.push(op_offset);
                        true
                    }
                    None => put_ok(broker, msg.renewed_with_immunity()),
                }
            }
        }
    }

    /// Java `calculateOpOffset`: the op offset moves over the consecutive done records.
    fn next_op_offset(&mut self, old: i64) -> i64 {
        self.done_op_offsets.sort_unstable();
        let mut next = old;
        for &o in &self.done_op_offsets {
            if o != next {
                break;
            }
            next += 1;
        }
        next
    }
}

fn put_ok(broker: &Broker, msg: MessageExtBrokerInner) -> bool {
    put_replicated(broker, msg).status == PutMessageStatus::PutOk
}

/// A put as Java's `putMessage` does it, flush and replica included: on a SYNC_MASTER the
/// re-put half message counts as written only once a slave has it, so a failover cannot lose a
/// half message the pass has already moved past. The pass runs on a blocking thread (see the
/// module note), so it waits for the slave there; without a runtime (no HA service to wait
/// for) the store's answer stands.
fn put_replicated(broker: &Broker, msg: MessageExtBrokerInner) -> PutMessageResult {
    let wait = msg.wait_store_msg_ok();
    let result = broker.store.put_message(msg);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.block_on(broker.ha.after_put(result, wait)),
        Err(_) => result,
    }
}

/// Java `needSkip`: born longer ago than the store keeps files.
fn need_skip(broker: &Broker, msg: &StoredMessage, now: i64) -> bool {
    now - msg.born_timestamp > broker.knobs.file_reserved_time() as i64 * 3600 * 1000
}

/// Java `resolveDiscardMsg`: park the message in TRANS_CHECK_MAX_TIME_TOPIC.
fn discard(broker: &Broker, msg: &StoredMessage) {
    match broker.topics.create_if_absent(
        topic::TRANS_CHECK_MAX_TIME_TOPIC,
        CHECK_MAX_TIME_TOPIC_QUEUE_NUMS,
        topic::perm::READ | topic::perm::WRITE,
        0,
    ) {
        Ok((_, created)) => {
            if created {
                broker.register_with_namesrvs_soon();
            }
        }
        Err(e) => tracing::warn!("creating {}: {e}", topic::TRANS_CHECK_MAX_TIME_TOPIC),
    }
    let status = put_replicated(broker, msg.discarded(0)).status;
    if status == PutMessageStatus::PutOk {
        tracing::info!(
            half_offset = msg.queue_offset,
            real_topic = msg.property(property::REAL_TOPIC).unwrap_or(""),
            "half message checked too often: moved to {}",
            topic::TRANS_CHECK_MAX_TIME_TOPIC
        );
    } else {
        tracing::error!(
            half_offset = msg.queue_offset,
            "moving a half message to {} failed: {status:?}",
            topic::TRANS_CHECK_MAX_TIME_TOPIC
        );
    }
}

/// Java `putBackHalfMsgQueue`: the half message written again at the tail; on success `msg`
/// stands for the new copy (see `StoredMessage::moved_to`).
fn put_back(broker: &Broker, msg: &mut StoredMessage) -> bool {
    let result = put_replicated(broker, msg.renewed());
    match (result.status, result.append) {
        (PutMessageStatus::PutOk, Some(append)) => {
            msg.moved_to(append.logics_offset, append.wrote_offset);
            true
        }
        (status, _) => {
            tracing::error!(
                half_offset = msg.queue_offset,
                "putting a half message back failed: {status:?}"
            );
            false
        }
    }
}

/// The CHECK_TRANSACTION_STATE request for a re-put half message (Java `sendCheckMessage`).
pub fn check_request(msg: &StoredMessage) -> Option<CheckRequest> {
    let producer_group = msg.property(property::PRODUCER_GROUP)?.to_string();
    let uniq = msg
        .property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
        .map(str::to_string);
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: msg.queue_offset,
        commit_log_offset: msg.commit_log_offset,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(msg.msg_id()),
        bname: None,
    };
    let body = msg.check_body()?;
    // extFields in Java's HashMap order (golden: commitLogOffset, msgId, tranStateTableOffset, ...).
    let mut request =
        RemotingCommand::request(request_code::CHECK_TRANSACTION_STATE, None).with_body(body);
    write_header(&mut request, &header);
    Some(CheckRequest {
        producer_group,
        request,
    })
}

/// One pass over every half queue. Returns the check-backs to send. Blocks (store reads and
/// writes, a SYNC_MASTER's replica waits): call it from a blocking thread, never the reactor.
pub fn check_pass(broker: &Broker, transaction_timeout: i64, check_max: i32) -> Vec<CheckRequest> {
    let mut checks = Vec::new();
    for queue_id in 0..half_topic_queue_nums(broker) {
        check_queue(
            broker,
            queue_id,
            transaction_timeout,
            check_max,
            &mut checks,
        );
    }
    checks
}

fn check_queue(
    broker: &Broker,
    queue_id: i32,
    transaction_timeout: i64,
    check_max: i32,
    checks: &mut Vec<CheckRequest>,
) {
    let start = broker.now_millis();
    let half_topic = topic::TRANS_HALF_TOPIC;
    let op_topic = topic::TRANS_OP_HALF_TOPIC;
    let half_offset = fetch_offset(broker, half_topic, queue_id);
    let op_offset = fetch_offset(broker, op_topic, queue_id);
    if half_offset < 0 || op_offset < 0 {
        return;
    }
    let mut ops = OpState::default();
    let mut op_pull = ops.fill(broker, queue_id, op_offset, half_offset);
    let mut null_count = 1;
    let mut new_offset = half_offset;
    let mut i = half_offset;
    loop {
        if broker.now_millis() - start > MAX_PROCESS_TIME_LIMIT_MS {
            break;
        }
        if let Some(op_offset) = ops.remove.remove(&i) {
            ops.done_op_offsets.push(op_offset);
        } else {
            let half = pull(broker, half_topic, queue_id, i, 1);
            let Some(mut msg) = half.messages.and_then(|m| m.into_iter().next()) else {
                let misses = null_count;
                null_count += 1;
                if misses > MAX_RETRY_COUNT_WHEN_HALF_NULL || half.status == PullStatus::NoNewMsg {
                    break;
                }
                i = half.next_begin_offset;
                new_offset = i;
                continue;
            };
            if msg.store_timestamp >= start {
                // Stored during this pass (e.g. a copy re-put just now): the walk has caught up.
                // Java tests this after `needDiscard`, so a copy re-put for its last allowed
                // check could be discarded in the same pass when the store had already
                // dispatched it, before its producer could answer; here it waits for the next
                // pass either way.
                break;
            }
            let now = broker.now_millis();
            if msg.bump_check_times(check_max) || need_skip(broker, &msg, now) {
                discard(broker, &msg);
                i += 1;
                new_offset = i;
                continue;
            }
            let age = now - msg.born_timestamp;
            let mut immunity = transaction_timeout;
            if let Some(s) = msg.property(PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS) {
                immunity = match s.parse::<i64>().unwrap_or(-1) {
                    -1 => transaction_timeout,
                    secs => secs.saturating_mul(1000),
                };
                if age < immunity && ops.check_prepare_queue_offset(broker, &msg) {
                    i += 1;
                    new_offset = i;
                    continue;
                }
            } else if (0..immunity).contains(&age) {
                // Too young to check: later messages are younger still.
                break;
            }
            let need_check = match &op_pull.messages {
                None => age > immunity,
                Some(ops_found) => ops_found
                    .last()
                    .is_some_and(|last| last.born_timestamp - start > transaction_timeout),
            } || age <= -1;
            if need_check {
                if !put_back(broker, &mut msg) {
                    // Java retries the same offset until its time limit; the store refusing
                    // writes will not change within a pass.
                    break;
                }
                match check_request(&msg) {
                    Some(c) => checks.push(c),
                    None => tracing::warn!(
                        half_offset = msg.queue_offset,
                        "half message without producer group or real topic: not checked"
                    ),
                }
            } else {
                let before = op_pull.next_begin_offset;
                let had_nothing = op_pull.messages.is_none();
                op_pull = ops.fill(broker, queue_id, before, half_offset);
                if had_nothing && op_pull.messages.is_none() && op_pull.next_begin_offset == before
                {
                    // The op queue has nothing more and the message is still not due: Java
                    // would spin on it until its time limit; stop here instead.
                    break;
                }
                continue;
            }
        }
        i += 1;
        new_offset = i;
    }
    if new_offset != half_offset {
        commit_offset(broker, half_topic, queue_id, new_offset);
    }
    let new_op_offset = ops.next_op_offset(op_offset);
    if new_op_offset != op_offset {
        commit_offset(broker, op_topic, queue_id, new_op_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_offset_moves_over_consecutive_done_records() {
        let mut ops = OpState {
            done_op_offsets: vec![3, 1, 2, 5],
            ..Default::default()
        };
        assert_eq!(ops.next_op_offset(1), 4);
        let mut ops = OpState {
            done_op_offsets: vec![0, 0, 1],
            ..Default::default()
        };
        // As Java: a duplicate stops the walk (the op record is read again next pass).
        assert_eq!(ops.next_op_offset(0), 1);
    }
}
