//! `bench produce`: SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE as a Java 4.9.7 producer sends them,
//! from `--concurrency` tasks sharing `--connections` clients.
//!
//! Per message the bench allocates only what a `RemotingCommand` must own: its `extFields`
//! (cloned from a per-queue template built from the typed header, then the born timestamp and
//! properties set) and, for batches, the batch body. The message body is one `Bytes` shared by
//! every request; its CRC is computed once.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::protocol::header::SendMessageRequestHeaderV2;
use crate::protocol::CommandHeader;
use crate::remoting::{
    request_code, response_code, ClientConfig, ExtFields, RemotingClient, RemotingCommand,
    SerializeType,
};

use crate::store::message::sys_flag::{COMPRESSED_FLAG, COMPRESSION_ZLIB_TYPE};

use super::conn_cache::{ClientsGuard, ConnCache};
use super::message::{
    batch_item_len, body_crc, compress_body, put_batch_item, random_u32, write_send_properties,
    UniqIdGenerator,
};
use super::pacer::Pacer;
use super::route::{self, QueueTarget, AUTO_CREATE_TOPIC, DEFAULT_TOPIC_QUEUE_NUMS};
use super::stats::{self, BenchReport, ErrorKind, StatsSlots};
use super::{BenchError, ProduceArgs};

/// `extFields` keys of `SendMessageRequestHeaderV2` the bench sets per request: `g`
/// (bornTimestamp) and `i` (properties).
const KEY_BORN_TIMESTAMP: &str = "g";
const KEY_PROPERTIES: &str = "i";
/// Java producer's default `maxMessageSize` (4 MiB).
const MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// Milliseconds since the epoch, as Java's `System.currentTimeMillis()`.
pub fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// When the run stops: a message count, a deadline, the optional rate limit, or Ctrl-C.
struct Budget {
    limit: Option<u64>,
    stop: CancellationToken,
    claimed: AtomicU64,
    deadline: Option<Duration>,
    start: Instant,
    pacer: Option<Pacer>,
}

impl Budget {
    /// Claims up to `want` messages for one request; `None` when the run is over.
    async fn take(&self, want: u64) -> Option<u64> {
        if self.stop.is_cancelled() {
            return None;
        }
        let n = match self.limit {
            Some(limit) => {
                let first = self.claimed.fetch_add(want, Ordering::Relaxed);
                if first >= limit {
                    return None;
                }
                want.min(limit - first)
            }
            None => want,
        };
        match &self.pacer {
            Some(pacer) => tokio::select! {
                _ = self.stop.cancelled() => return None,
                due = pacer.acquire(n, self.deadline) => due?,
            },
            None => {
                if self.deadline.is_some_and(|d| self.start.elapsed() >= d) {
                    return None;
                }
            }
        }
        Some(n)
    }
}

/// What every worker reads.
struct Shared {
    queues: Vec<QueueTarget>,
    /// Per queue, the header's `extFields` with everything but `g` and `i` filled in.
    templates: Vec<ExtFields>,
    code: i32,
    serialize: SerializeType,
    timeout: Duration,
    oneway: bool,
    batch: u64,
    /// The body as sent (compressed when the template's sysFlag says so).
    body: Bytes,
    body_crc: i32,
    /// The body's size before compression: what throughput counts.
    body_len: u64,
    tags: Option<String>,
    keys: bool,
    ids: UniqIdGenerator,
    next_queue: AtomicUsize,
    next_key: AtomicU64,
    budget: Budget,
}

impl Shared {
    /// Properties of one message into `out`; `key` is scratch for the KEYS value.
    fn properties(&self, out: &mut String, key: &mut String, now_ms: i64) {
        let keys = self.keys.then(|| {
            key.clear();
            let n = self.next_key.fetch_add(1, Ordering::Relaxed);
            let _ = write!(key, "bench-{n}");
            key.as_str()
        });
        write_send_properties(out, keys, Some((&self.ids, now_ms)), self.tags.as_deref());
    }

    /// The request carrying `n` messages to queue `qi`.
    fn request(&self, qi: usize, n: u64, scratch: &mut Scratch) -> RemotingCommand {
        let now_ms = epoch_ms();
        let mut ext = self.templates.get(qi).cloned().unwrap_or_default();
        ext.insert(KEY_BORN_TIMESTAMP, now_ms.to_string());
        let body = if self.code == request_code::SEND_BATCH_MESSAGE {
            // The batch itself carries only WAIT; each item has its own properties.
            write_send_properties(&mut scratch.props, None, None, None);
            ext.insert(KEY_PROPERTIES, scratch.props.clone());
            let item = batch_item_len(self.body.len(), scratch.props_len_hint);
            let mut buf = BytesMut::with_capacity(item * n as usize);
            for _ in 0..n {
                self.properties(&mut scratch.props, &mut scratch.key, now_ms);
                scratch.props_len_hint = scratch.props.len();
                put_batch_item(&mut buf, &self.body, self.body_crc, 0, &scratch.props);
            }
            buf.freeze()
        } else {
            let mut props = String::with_capacity(scratch.props_len_hint);
            self.properties(&mut props, &mut scratch.key, now_ms);
            scratch.props_len_hint = props.len();
            ext.insert(KEY_PROPERTIES, props);
            self.body.clone()
        };
        let mut request = RemotingCommand::request(self.code, Some(ext)).with_body(body);
        request.serialize_type = self.serialize;
        request
    }
}

/// Buffers a worker reuses from request to request.
#[derive(Default)]
struct Scratch {
    props: String,
    key: String,
    props_len_hint: usize,
}

/// The header template of queue `q`, as a Java producer fills it (golden produce-json):
/// defaultTopic TBW102, defaultTopicQueueNums 4, sysFlag 0, flag 0, reconsumeTimes 0,
/// unitMode false, batch as asked, brokerName; `i` present (empty) so it keeps its place in the
/// ROCKETMQ encoding's declaration order.
fn template(args: &ProduceArgs, q: &QueueTarget, sys_flag: i32) -> ExtFields {
    SendMessageRequestHeaderV2 {
        producer_group: args.producer_group.clone(),
        topic: args.target.topic.clone(),
        default_topic: AUTO_CREATE_TOPIC.to_string(),
        default_topic_queue_nums: DEFAULT_TOPIC_QUEUE_NUMS,
        queue_id: q.queue_id,
        sys_flag,
        born_timestamp: 0,
        flag: 0,
        properties: Some(String::new()),
        reconsume_times: Some(0),
        unit_mode: false,
        consume_retry_times: None,
        batch: args.batch > 1,
        broker_name: q.broker_name.as_deref().map(str::to_string),
    }
    .to_ext_fields()
}

/// A body of `size` printable bytes.
fn make_body(size: usize) -> Bytes {
    const PATTERN: &[u8] = b"ferrocket-bench-0123456789abcdefghijklmnopqrstuvwxyz";
    PATTERN
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect::<Vec<u8>>()
        .into()
}

fn validate(args: &ProduceArgs) -> Result<(), BenchError> {
    let usage = |s: &str| Err(BenchError::Usage(s.to_string()));
    if args.connections == 0 {
        return usage("--connections must be at least 1");
    }
    if args.concurrency == 0 {
        return usage("--concurrency must be at least 1");
    }
    if args.batch == 0 {
        return usage("--batch must be at least 1");
    }
    if args.target.broker.is_some() && args.target.queues <= 0 {
        return usage("--queues must be at least 1");
    }
    if args.size == 0 || args.size > MAX_MESSAGE_SIZE {
        // Java's `Validators.checkMessage`: an empty body or one over maxMessageSize (4 MiB)
        // is refused before sending.
        return usage("--size must be between 1 and 4194304 bytes");
    }
    if args.target.topic.is_empty() {
        return usage("--topic must not be empty");
    }
    Ok(())
}

/// Runs `bench produce`.
pub async fn run(args: ProduceArgs) -> Result<BenchReport, BenchError> {
    validate(&args)?;
    let target = &args.target;
    let serialize = target.serialize_type();
    let timeout = target.timeout();
    let deadline = target.deadline()?;
    let clients: Vec<RemotingClient> = (0..args.connections)
        .map(|_| RemotingClient::new(ClientConfig::default()))
        .collect();
    let first_client = clients
        .first()
        .cloned()
        .ok_or_else(|| BenchError::Usage("--connections must be at least 1".to_string()))?;
    let clients = ClientsGuard(clients);

    let queues = match (&target.namesrv, &target.broker) {
        (Some(namesrv), _) => {
            route::producer_queues(&first_client, namesrv, &target.topic, serialize, timeout)
                .await?
        }
        (None, Some(broker)) => direct_queues(broker, target.broker_name.as_deref(), target.queues),
        (None, None) => {
            return Err(BenchError::Usage(
                "--namesrv or --broker is required".into(),
            ))
        }
    };
    // Connect before the clock starts: fail fast on a dead broker, and learn the address the
    // message ids carry.
    let mut local_ip: Option<IpAddr> = None;
    for client in &clients.0 {
        for q in &queues {
            let conn = client.connection(&q.addr).await?;
            local_ip.get_or_insert(conn.local_addr().ip());
        }
    }
    let ids = UniqIdGenerator::new(
        local_ip.unwrap_or(IpAddr::from([127, 0, 0, 1])),
        random_u32(),
    );

    let original = make_body(args.size);
    let compress = !args.no_compress && args.batch == 1 && args.size >= args.compress_over;
    let (body, sys_flag) = if compress {
        let compressed = compress_body(&original)
            .map_err(|e| BenchError::Usage(format!("cannot compress the body: {e}")))?;
        (
            Bytes::from(compressed),
            COMPRESSED_FLAG | COMPRESSION_ZLIB_TYPE,
        )
    } else {
        (original, 0)
    };
    let start = Instant::now();
    let pacer =
        (args.rate > 0).then(|| Pacer::new(args.rate, Pacer::default_burst(args.rate), start));
    let shared = Arc::new(Shared {
        templates: queues
            .iter()
            .map(|q| template(&args, q, sys_flag))
            .collect(),
        queues,
        code: if args.batch > 1 {
            request_code::SEND_BATCH_MESSAGE
        } else {
            request_code::SEND_MESSAGE_V2
        },
        serialize,
        timeout,
        oneway: args.oneway,
        batch: args.batch as u64,
        body_crc: body_crc(&body),
        body,
        body_len: args.size as u64,
        tags: args.tags.clone(),
        keys: args.keys,
        ids,
        next_queue: AtomicUsize::new(0),
        next_key: AtomicU64::new(0),
        budget: Budget {
            limit: target.messages,
            stop: super::stop_on_ctrl_c(),
            claimed: AtomicU64::new(0),
            deadline,
            start,
            pacer,
        },
    });

    let slots = StatsSlots::new(args.concurrency);
    let done = CancellationToken::new();
    let collector = tokio::spawn(stats::collect(slots.clone(), target.interval, done.clone()));
    let mut workers = JoinSet::new();
    for (i, client) in clients.0.iter().cycle().take(args.concurrency).enumerate() {
        workers.spawn(worker(shared.clone(), client.clone(), slots.clone(), i));
    }
    while workers.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    done.cancel();
    shared.budget.stop.cancel();
    let totals = collector.await.unwrap_or_else(|_| slots.drain());
    drop(clients); // closes every connection
    Ok(BenchReport {
        mode: "produce",
        elapsed,
        totals,
        pacer_dropped: shared.budget.pacer.as_ref().map_or(0, Pacer::dropped),
    })
}

/// Queues `0..n` of one broker given by address.
fn direct_queues(addr: &str, broker_name: Option<&str>, n: i32) -> Vec<QueueTarget> {
    let addr: Arc<str> = addr.into();
    let name: Option<Arc<str>> = broker_name.map(Into::into);
    (0..n)
        .map(|queue_id| QueueTarget {
            broker_name: name.clone(),
            addr: addr.clone(),
            queue_id,
        })
        .collect()
}

async fn worker(shared: Arc<Shared>, client: RemotingClient, slots: StatsSlots, slot: usize) {
    let mut scratch = Scratch::default();
    let mut conns = ConnCache::new(client);
    let body_len = shared.body_len;
    while let Some(n) = shared.budget.take(shared.batch).await {
        let qi = shared.next_queue.fetch_add(1, Ordering::Relaxed) % shared.queues.len().max(1);
        let Some(queue) = shared.queues.get(qi) else {
            return;
        };
        let request = shared.request(qi, n, &mut scratch);
        let sent = Instant::now();
        let outcome = match conns.get(&queue.addr).await {
            Ok(conn) if shared.oneway => conn.send_oneway(request).await.map(|()| None),
            Ok(conn) => conn.invoke(request, shared.timeout).await.map(Some),
            Err(e) => Err(e),
        };
        let micros = sent.elapsed().as_micros() as u64;
        let failed = slots.with(slot, |s| match outcome {
            Ok(None) => {
                s.messages += n;
                s.requests += 1;
                s.body_bytes += n * body_len;
                s.latency_us.record(micros);
                false
            }
            Ok(Some(response)) if response.code == response_code::SUCCESS => {
                s.messages += n;
                s.requests += 1;
                s.body_bytes += n * body_len;
                s.latency_us.record(micros);
                false
            }
            Ok(Some(response)) => {
                s.error(ErrorKind::Response(response.code));
                false
            }
            Err(e) => {
                let kind = ErrorKind::of(&e);
                s.error(kind);
                kind == ErrorKind::Connection
            }
        });
        if failed {
            // A broker that is gone: do not spin reconnecting.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
