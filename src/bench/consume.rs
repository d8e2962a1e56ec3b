//! `bench consume`: one long-polling puller per queue, as a Java push consumer pulls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, PullMessageRequestHeader,
    PullMessageResponseHeader,
};
use crate::protocol::CommandHeader;
use crate::remoting::{
    request_code, response_code, ClientConfig, ExtFields, RemotingClient, RemotingCommand,
    SerializeType,
};

use super::conn_cache::{ClientsGuard, ConnCache};
use super::message::walk_records;
use super::produce::epoch_ms;
use super::route::{self, QueueTarget};
use super::stats::{self, BenchReport, ErrorKind, StatsSlots};
use super::{BenchError, ConsumeArgs, StartFrom};

/// `PullSysFlag` bits.
pub const FLAG_COMMIT_OFFSET: i32 = 0x1;
pub const FLAG_SUSPEND: i32 = 0x2;
pub const FLAG_SUBSCRIPTION: i32 = 0x4;
/// How long the broker may hold a pull with no new message (`brokerSuspendMaxTimeMillis`).
pub const SUSPEND_TIMEOUT_MILLIS: i64 = 15_000;
/// How long the consumer waits for a suspended pull (`CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND`).
pub const PULL_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed pull before the next one.
const RETRY_DELAY: Duration = Duration::from_millis(200);

/// `PullSysFlag.buildSysFlag` for a push consumer sending its subscription with each pull.
pub fn pull_sys_flag(commit_offset: bool) -> i32 {
    let commit = if commit_offset { FLAG_COMMIT_OFFSET } else { 0 };
    commit | FLAG_SUSPEND | FLAG_SUBSCRIPTION
}

struct Shared {
    client: RemotingClient,
    group: String,
    topic: String,
    serialize: SerializeType,
    max_msg_nums: i32,
    sub_version: i64,
    limit: Option<u64>,
    received: AtomicU64,
    done: CancellationToken,
}

/// Runs `bench consume`.
pub async fn run(args: ConsumeArgs) -> Result<BenchReport, BenchError> {
    let target = &args.target;
    if args.max_msg_nums <= 0 {
        return Err(BenchError::Usage(
            "--max-msg-nums must be at least 1".into(),
        ));
    }
    let serialize = target.serialize_type();
    let timeout = target.timeout();
    let deadline = target.deadline()?;
    let client = RemotingClient::new(ClientConfig::default());
    let _close_on_return = ClientsGuard(vec![client.clone()]);
    let queues = match (&target.namesrv, &target.broker) {
        (Some(namesrv), _) => {
            let brokers = route::fetch_route(&client, namesrv, &target.topic, serialize, timeout)
                .await?
                .ok_or_else(|| BenchError::Route {
                    topic: target.topic.clone(),
                    reason: "the name server knows no route (TOPIC_NOT_EXIST)".into(),
                })?;
            route::subscribe_queues(&brokers)
        }
        (None, Some(broker)) => {
            let addr: Arc<str> = broker.as_str().into();
            let name: Option<Arc<str>> = target.broker_name.as_deref().map(Into::into);
            (0..target.queues)
                .map(|queue_id| QueueTarget {
                    broker_name: name.clone(),
                    addr: addr.clone(),
                    queue_id,
                })
                .collect()
        }
        (None, None) => {
            return Err(BenchError::Usage(
                "--namesrv or --broker is required".into(),
            ))
        }
    };
    if queues.is_empty() {
        return Err(BenchError::Route {
            topic: target.topic.clone(),
            reason: "no readable queue with a master broker".into(),
        });
    }
    let mut starts = Vec::with_capacity(queues.len());
    for q in &queues {
        starts.push(match args.from {
            StartFrom::First => 0,
            StartFrom::Last => max_offset(&client, q, &target.topic, serialize, timeout).await?,
        });
    }

    let shared = Arc::new(Shared {
        client: client.clone(),
        group: args.group.clone(),
        topic: target.topic.clone(),
        serialize,
        max_msg_nums: args.max_msg_nums,
        sub_version: epoch_ms(),
        limit: target.messages,
        received: AtomicU64::new(0),
        done: super::stop_on_ctrl_c(),
    });
    let start = Instant::now();
    let slots = StatsSlots::new(queues.len());
    let collector_done = CancellationToken::new();
    let collector = tokio::spawn(stats::collect(
        slots.clone(),
        target.interval,
        collector_done.clone(),
    ));
    if let Some(deadline) = deadline {
        let done = shared.done.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(deadline) => done.cancel(),
                _ = done.cancelled() => {}
            }
        });
    }
    let mut pullers = JoinSet::new();
    for (i, (queue, offset)) in queues.into_iter().zip(starts).enumerate() {
        pullers.spawn(puller(shared.clone(), queue, offset, slots.clone(), i));
    }
    while pullers.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    shared.done.cancel();
    collector_done.cancel();
    let totals = collector.await.unwrap_or_else(|_| slots.drain());
    Ok(BenchReport {
        mode: "consume",
        elapsed,
        totals,
        pacer_dropped: 0,
    })
}

/// GET_MAX_OFFSET of one queue.
async fn max_offset(
    client: &RemotingClient,
    queue: &QueueTarget,
    topic: &str,
    serialize: SerializeType,
    timeout: Duration,
) -> Result<i64, BenchError> {
    let header = GetMaxOffsetRequestHeader {
        topic: topic.to_string(),
        queue_id: queue.queue_id,
        bname: queue.broker_name.as_deref().map(str::to_string),
    };
    let mut request =
        RemotingCommand::request(request_code::GET_MAX_OFFSET, Some(header.to_ext_fields()));
    request.serialize_type = serialize;
    let response = client.invoke(&queue.addr, request, timeout).await?;
    let failed = |reason: String| BenchError::Route {
        topic: topic.to_string(),
        reason: format!("GET_MAX_OFFSET of queue {}: {reason}", queue.queue_id),
    };
    if response.code != response_code::SUCCESS {
        return Err(failed(format!(
            "code {}: {}",
            response.code,
            response.remark.unwrap_or_default()
        )));
    }
    let ext = response.ext_fields.unwrap_or_default();
    GetMaxOffsetResponseHeader::from_ext_fields(&ext)
        .map(|h| h.offset)
        .map_err(|e| failed(e.to_string()))
}

fn pull_request(shared: &Shared, queue: &QueueTarget, offset: i64) -> RemotingCommand {
    let header = PullMessageRequestHeader {
        consumer_group: shared.group.clone(),
        topic: shared.topic.clone(),
        queue_id: queue.queue_id,
        queue_offset: offset,
        max_msg_nums: shared.max_msg_nums,
        sys_flag: pull_sys_flag(offset > 0),
        commit_offset: offset,
        suspend_timeout_millis: SUSPEND_TIMEOUT_MILLIS,
        subscription: Some("*".to_string()),
        sub_version: shared.sub_version,
        expression_type: Some("TAG".to_string()),
        bname: queue.broker_name.as_deref().map(str::to_string),
    };
    let mut request =
        RemotingCommand::request(request_code::PULL_MESSAGE, Some(header.to_ext_fields()));
    request.serialize_type = shared.serialize;
    request
}

fn next_offset(ext: Option<&ExtFields>) -> Option<i64> {
    PullMessageResponseHeader::from_ext_fields(ext?)
        .ok()
        .map(|h| h.next_begin_offset)
}

async fn puller(
    shared: Arc<Shared>,
    queue: QueueTarget,
    mut offset: i64,
    slots: StatsSlots,
    slot: usize,
) {
    let mut conns = ConnCache::new(shared.client.clone());
    while !shared.done.is_cancelled() {
        let request = pull_request(&shared, &queue, offset);
        let exchange = async {
            let conn = conns.get(&queue.addr).await?;
            conn.invoke(request, PULL_TIMEOUT).await
        };
        let outcome = tokio::select! {
            _ = shared.done.cancelled() => return,
            outcome = exchange => outcome,
        };
        let mut retry_later = false;
        match outcome {
            Ok(response) if response.code == response_code::SUCCESS => 'found: {
                let Some(next) = next_offset(response.ext_fields.as_ref()) else {
                    slots.with(slot, |s| s.error(ErrorKind::Malformed));
                    retry_later = true;
                    break 'found;
                };
                let now_ms = epoch_ms();
                let body = response.body.as_deref().unwrap_or_default();
                let got = slots.with(slot, |s| {
                    s.requests += 1;
                    let mut got = 0;
                    for record in walk_records(body) {
                        match record {
                            Ok(r) => {
                                got += 1;
                                s.body_bytes += r.body_len as u64;
                                let ms = (now_ms - r.born_timestamp).max(0) as u64;
                                s.latency_us.record(ms.saturating_mul(1000));
                            }
                            Err(_) => s.error(ErrorKind::Malformed),
                        }
                    }
                    s.messages += got;
                    got
                });
                offset = next;
                let total = shared.received.fetch_add(got, Ordering::Relaxed) + got;
                if shared.limit.is_some_and(|limit| total >= limit) {
                    shared.done.cancel();
                }
            }
            Ok(response)
                if matches!(
                    response.code,
                    response_code::PULL_NOT_FOUND
                        | response_code::PULL_RETRY_IMMEDIATELY
                        | response_code::PULL_OFFSET_MOVED
                ) =>
            {
                // Nothing new (the broker held the pull as long as it would), or go on from
                // where the broker says.
                match next_offset(response.ext_fields.as_ref()) {
                    Some(next) => offset = next,
                    None => {
                        slots.with(slot, |s| s.error(ErrorKind::Malformed));
                        retry_later = true;
                    }
                }
            }
            Ok(response) => {
                slots.with(slot, |s| s.error(ErrorKind::Response(response.code)));
                retry_later = true;
            }
            Err(e) => {
                slots.with(slot, |s| s.error(ErrorKind::of(&e)));
                retry_later = true;
            }
        }
        if retry_later {
            tokio::select! {
                _ = shared.done.cancelled() => return,
                _ = tokio::time::sleep(RETRY_DELAY) => {}
            }
        }
    }
}
