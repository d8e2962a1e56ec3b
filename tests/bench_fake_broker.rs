//! `ferrocket bench` against an in-test fake broker/NameServer built on `RemotingServer`: what
//! the generator puts on the wire (counts, queue spread, header fields and encoding, batch
//! bodies and their CRCs), the rate limiter by counts, and the consumer's pulls and latencies.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::TempDir;

use bytes::Bytes;
use clap::Parser;
use tokio_util::sync::CancellationToken;

use ferrocket::bench::{self, BenchArgs, BenchReport, ErrorKind};
use ferrocket::protocol::header::{
    GetMaxOffsetResponseHeader, PullMessageRequestHeader, PullMessageResponseHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, Connection, ExtFields, RemotingCommand, RemotingServer,
    RequestProcessor, SerializeType, ServerConfig,
};
use ferrocket::store::message::batch::BatchMessages;
use ferrocket::store::message::record::StoredRecord;

/// One request the fake saw.
#[derive(Debug, Clone)]
struct Seen {
    code: i32,
    serialize: SerializeType,
    oneway: bool,
    ext: ExtFields,
    body: Option<Bytes>,
    peer: SocketAddr,
}

#[derive(Default)]
struct FakeConfig {
    /// GET_ROUTEINFO_BY_TOPIC bodies by topic (others: TOPIC_NOT_EXIST).
    routes: HashMap<String, String>,
    /// Stored records per queue id, served by PULL_MESSAGE.
    records: BTreeMap<i32, Vec<Vec<u8>>>,
    /// Sends to these queues are answered with this code.
    refuse_queue: Option<(i32, i32)>,
    /// Each send is answered after this delay.
    send_delay: Duration,
}

#[derive(Default)]
struct Fake {
    config: FakeConfig,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn seen_code(&self, code: i32) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.code == code).collect()
    }

    fn pull(&self, request: &RemotingCommand) -> RemotingCommand {
        let header =
            PullMessageRequestHeader::from_ext_fields(request.ext_fields.as_ref().unwrap())
                .expect("pull header");
        let records = self
            .config
            .records
            .get(&header.queue_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let from = header.queue_offset.max(0) as usize;
        let to = (from + header.max_msg_nums.max(0) as usize).min(records.len());
        let found = from < to;
        let response_header = PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: if found {
                to as i64
            } else {
                header.queue_offset
            },
            min_offset: 0,
            max_offset: records.len() as i64,
        };
        let (code, remark) = if found {
            (response_code::SUCCESS, "FOUND")
        } else {
            (response_code::PULL_NOT_FOUND, "OFFSET_OVERFLOW_ONE")
        };
        let mut response = RemotingCommand::response_to(request, code, Some(remark.into()))
            .with_ext_fields(response_header.to_ext_fields());
        if found {
            response = response.with_body(records[from..to].concat());
        }
        response
    }
}

impl RequestProcessor for Fake {
    async fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        self.seen.lock().unwrap().push(Seen {
            code: request.code,
            serialize: request.serialize_type,
            oneway: request.is_oneway(),
            ext: request.ext_fields.clone().unwrap_or_default(),
            body: request.body.clone(),
            peer: conn.peer_addr(),
        });
        match request.code {
            request_code::SEND_MESSAGE_V2 | request_code::SEND_BATCH_MESSAGE => {
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_in_flight.fetch_max(now, Ordering::SeqCst);
                if !self.config.send_delay.is_zero() {
                    tokio::time::sleep(self.config.send_delay).await;
                }
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                let header =
                    SendMessageRequestHeaderV2::from_ext_fields(request.ext_fields.as_ref()?)
                        .ok()?;
                if let Some((queue, code)) = self.config.refuse_queue {
                    if header.queue_id == queue {
                        return Some(RemotingCommand::response_to(&request, code, None));
                    }
                }
                let response_header = SendMessageResponseHeader {
                    msg_id: "7F00000100002A9F0000000000000000".into(),
                    queue_id: header.queue_id,
                    queue_offset: 0,
                    transaction_id: None,
                };
                Some(
                    RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                        .with_ext_fields(response_header.to_ext_fields()),
                )
            }
            request_code::GET_ROUTEINFO_BY_TOPIC => {
                let topic = request.ext("topic").unwrap_or_default();
                Some(match self.config.routes.get(topic) {
                    Some(route) => {
                        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                            .with_body(route.clone().into_bytes())
                    }
                    None => RemotingCommand::response_to(
                        &request,
                        response_code::TOPIC_NOT_EXIST,
                        Some(format!(
                            "No topic route info in name server for the topic: {topic}"
                        )),
                    ),
                })
            }
            request_code::PULL_MESSAGE => {
                let response = self.pull(&request);
                if response.code != response_code::SUCCESS {
                    // A short stand-in for the broker's suspension of a pull with nothing new.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Some(response)
            }
            request_code::GET_MAX_OFFSET => Some(
                RemotingCommand::response_to(&request, response_code::SUCCESS, None)
                    .with_ext_fields(GetMaxOffsetResponseHeader { offset: 0 }.to_ext_fields()),
            ),
            _ => Some(RemotingCommand::request_code_not_supported(&request)),
        }
    }
}

/// A running fake; stopped on drop.
struct Running {
    fake: Arc<Fake>,
    addr: String,
    stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start(config: FakeConfig) -> Running {
    let fake = Arc::new(Fake {
        config,
        ..Default::default()
    });
    let server = RemotingServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        fake.clone(),
        ServerConfig::default(),
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let stop = server.shutdown_token();
    tokio::spawn(server.serve());
    Running { fake, addr, stop }
}

/// Parses a `ferrocket bench ...` command line (after "bench") as the CLI would.
fn args(line: &str) -> BenchArgs {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }
    let argv = std::iter::once("bench").chain(line.split_whitespace());
    Cli::try_parse_from(argv)
        .expect("valid bench arguments")
        .bench
}

async fn run(line: &str) -> BenchReport {
    bench::run(args(line)).await.expect("bench ran")
}

fn properties(seen_ext: &ExtFields) -> Vec<(String, String)> {
    let props = seen_ext.get("i").unwrap_or_default();
    bench::message::parse_properties(props)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn queue_counts(seen: &[Seen]) -> BTreeMap<i32, usize> {
    let mut counts = BTreeMap::new();
    for s in seen {
        *counts
            .entry(s.ext.get("e").unwrap().parse().unwrap())
            .or_default() += 1;
    }
    counts
}

fn route_json(brokers: &[(&str, &str, i32, i32)]) -> String {
    // (name, master addr, perm, queues); a slave address too, which must not be used.
    let datas: Vec<String> = brokers
        .iter()
        .map(|(name, addr, _, _)| {
            format!(r#"{{"brokerAddrs":{{"0":"{addr}","1":"127.0.0.1:1"}},"brokerName":"{name}","cluster":"DefaultCluster"}}"#)
        })
        .collect();
    let queues: Vec<String> = brokers
        .iter()
        .map(|(name, _, perm, n)| {
            format!(r#"{{"brokerName":"{name}","perm":{perm},"readQueueNums":{n},"topicSysFlag":0,"writeQueueNums":{n}}}"#)
        })
        .collect();
    format!(
        r#"{{"brokerDatas":[{}],"filterServerTable":{{}},"queueDatas":[{}]}}"#,
        datas.join(","),
        queues.join(",")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_via_namesrv_spreads_over_master_queues_with_java_headers() {
    let a = start(FakeConfig::default()).await;
    let b = start(FakeConfig::default()).await;
    let c = start(FakeConfig::default()).await;
    let route = route_json(&[
        ("broker-c", &c.addr, 4, 4), // read-only: never sent to
        ("broker-b", &b.addr, 6, 2),
        ("broker-a", &a.addr, 6, 4),
    ]);
    let ns = start(FakeConfig {
        routes: HashMap::from([("BenchTopic".to_string(), route)]),
        ..Default::default()
    })
    .await;

    let report = run(&format!(
        "produce --namesrv {} --topic BenchTopic --messages 600 --size 100 --tags TagA --keys on \
         --connections 2 --concurrency 8 --producer-group pg",
        ns.addr
    ))
    .await;

    assert_eq!(report.messages(), 600);
    assert_eq!(report.totals.requests, 600);
    assert_eq!(report.totals.body_bytes, 600 * 100);
    assert!(
        report.totals.errors.is_empty(),
        "{:?}",
        report.totals.errors
    );
    assert_eq!(report.totals.latency_us.count(), 600);

    let lookups = ns.fake.seen_code(request_code::GET_ROUTEINFO_BY_TOPIC);
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].ext.get("topic"), Some("BenchTopic"));

    // Round-robin over [a0..a3, b0, b1]: 100 per queue, nothing to the read-only broker.
    let sends_a = a.fake.seen_code(request_code::SEND_MESSAGE_V2);
    let sends_b = b.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(
        queue_counts(&sends_a),
        BTreeMap::from([(0, 100), (1, 100), (2, 100), (3, 100)])
    );
    assert_eq!(queue_counts(&sends_b), BTreeMap::from([(0, 100), (1, 100)]));
    assert!(c.fake.seen().is_empty());
    // Two TCP connections to each broker.
    let peers: HashSet<_> = sends_a.iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 2);

    let mut uniq_keys = HashSet::new();
    let mut keys = HashSet::new();
    for (send, broker) in sends_a
        .iter()
        .map(|s| (s, "broker-a"))
        .chain(sends_b.iter().map(|s| (s, "broker-b")))
    {
        assert_eq!(send.serialize, SerializeType::Json);
        assert!(!send.oneway);
        let names: Vec<_> = send.ext.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n"]
        );
        let header = SendMessageRequestHeaderV2::from_ext_fields(&send.ext).unwrap();
        assert_eq!(header.producer_group, "pg");
        assert_eq!(header.topic, "BenchTopic");
        assert_eq!(header.default_topic, "TBW102");
        assert_eq!(header.default_topic_queue_nums, 4);
        assert_eq!((header.sys_flag, header.flag), (0, 0));
        assert_eq!(header.reconsume_times, Some(0));
        assert!(!header.unit_mode && !header.batch);
        assert_eq!(header.broker_name.as_deref(), Some(broker));
        let born_age = now_ms() - header.born_timestamp;
        assert!(
            (0..600_000).contains(&born_age),
            "born {}",
            header.born_timestamp
        );
        assert_eq!(send.body.as_ref().map(Bytes::len), Some(100));

        let props = properties(&send.ext);
        let names: Vec<_> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["KEYS", "UNIQ_KEY", "WAIT", "TAGS"]);
        assert_eq!(props[2].1, "true");
        assert_eq!(props[3].1, "TagA");
        let uniq = &props[1].1;
        assert_eq!(uniq.len(), 32);
        assert!(uniq
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
        assert!(uniq.starts_with("7F000001"), "{uniq}");
        uniq_keys.insert(uniq.clone());
        keys.insert(props[0].1.clone());
    }
    assert_eq!(uniq_keys.len(), 600);
    assert_eq!(keys.len(), 600);
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_direct_with_rocketmq_headers() {
    let a = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --queues 3 --serialize rocketmq --messages 90 --size 7 --concurrency 4",
        a.addr
    ))
    .await;
    assert_eq!(report.messages(), 90);
    let sends = a.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(sends.len(), 90);
    assert_eq!(
        queue_counts(&sends),
        BTreeMap::from([(0, 30), (1, 30), (2, 30)])
    );
    for send in &sends {
        assert_eq!(send.serialize, SerializeType::RocketMq);
        // Fast-codec order on the wire; no broker name known, so no `n`.
        let names: Vec<_> = send.ext.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m"]
        );
        assert_eq!(send.body.as_deref(), Some(&b"ferrock"[..]));
        // No tags, no keys: UNIQ_KEY and WAIT only.
        let props = properties(&send.ext);
        let names: Vec<_> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["UNIQ_KEY", "WAIT"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_are_zlib_compressed_as_java_does() {
    use std::io::Read as _;
    let a = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --queues 1 --messages 3 --size 10000",
        a.addr
    ))
    .await;
    assert_eq!(report.messages(), 3);
    assert_eq!(report.totals.body_bytes, 30_000);
    let sends = a.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(sends.len(), 3);
    for send in &sends {
        // COMPRESSED | ZLIB, as the golden body-10k-zlib send.
        assert_eq!(send.ext.get("f"), Some("769"));
        let body = send.body.clone().unwrap();
        assert!(body.len() < 10_000);
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(&body[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated.len(), 10_000);
        assert!(inflated.starts_with(b"ferrocket-bench-"));
    }
    // Below the threshold, with --no-compress, or in a batch: sent as is.
    let b = start(FakeConfig::default()).await;
    for line in [
        "--size 4095",
        "--size 10000 --no-compress",
        "--size 10000 --batch 2",
    ] {
        run(&format!(
            "produce --broker {} --queues 1 --messages 2 {line}",
            b.addr
        ))
        .await;
    }
    let seen = b.fake.seen();
    assert_eq!(seen.len(), 5); // 2 + 2 single sends, 1 batch of 2
    for s in &seen {
        assert_eq!(s.ext.get("f"), Some("0"));
    }
    assert_eq!(seen[0].body.as_ref().unwrap().len(), 4095);
    assert_eq!(seen[2].body.as_ref().unwrap().len(), 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_batches_with_real_body_crcs() {
    let a = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --broker-name broker-a --queues 2 --batch 10 --messages 95 --size 33 --tags T",
        a.addr
    ))
    .await;
    assert_eq!(report.messages(), 95);
    assert_eq!(report.totals.requests, 10);
    let batches = a.fake.seen_code(request_code::SEND_BATCH_MESSAGE);
    assert_eq!(batches.len(), 10);
    assert!(a.fake.seen_code(request_code::SEND_MESSAGE_V2).is_empty());
    let mut items = 0;
    let mut sizes = Vec::new();
    let mut uniq_keys = HashSet::new();
    for batch in &batches {
        let header = SendMessageRequestHeaderV2::from_ext_fields(&batch.ext).unwrap();
        assert!(header.batch);
        assert_eq!(header.properties.as_deref(), Some("WAIT\u{1}true"));
        assert_eq!(header.broker_name.as_deref(), Some("broker-a"));
        let body = batch.body.clone().unwrap();
        let mut at = 0;
        let mut in_this = 0;
        while at < body.len() {
            let int = |o: usize| i32::from_be_bytes(body[at + o..at + o + 4].try_into().unwrap());
            let total = int(0) as usize;
            assert_eq!(int(4), 0, "magic");
            let crc = int(8);
            assert_eq!(int(12), 0, "flag");
            let body_len = int(16) as usize;
            assert_eq!(body_len, 33);
            let msg = &body[at + 20..at + 20 + body_len];
            assert_eq!(crc, (crc32fast::hash(msg) & 0x7FFF_FFFF) as i32);
            let props_len = i16::from_be_bytes(
                body[at + 20 + body_len..at + 22 + body_len]
                    .try_into()
                    .unwrap(),
            ) as usize;
            assert_eq!(total, 20 + body_len + 2 + props_len);
            let props = std::str::from_utf8(&body[at + 22 + body_len..at + total]).unwrap();
            let names: Vec<_> = bench::message::parse_properties(props)
                .map(|(k, _)| k)
                .collect();
            assert_eq!(names, ["UNIQ_KEY", "WAIT", "TAGS"]);
            uniq_keys.insert(props.to_string());
            at += total;
            in_this += 1;
        }
        assert_eq!(at, body.len());
        // The store's own batch parser reads the same messages.
        let parsed = BatchMessages::parse(&body).unwrap();
        assert_eq!(parsed.len(), in_this);
        assert!(parsed.messages.iter().all(|m| m.body.len() == 33));
        items += in_this;
        sizes.push(in_this);
    }
    assert_eq!(items, 95);
    sizes.sort();
    assert_eq!(sizes, [5, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
    assert_eq!(uniq_keys.len(), 95);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_counts_follow_the_pacer_rules() {
    let a = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --queues 4 --rate 2000 --duration 1 --concurrency 16 --size 10 --interval",
        a.addr
    ))
    .await;
    // Counted through the per-second drains (`--interval`), still every send.
    let sent = a.fake.seen_code(request_code::SEND_MESSAGE_V2).len() as u64;
    assert_eq!(sent, report.messages());
    assert!(
        report.totals.errors.is_empty(),
        "{:?}",
        report.totals.errors
    );
    // Token k is due at k/2000 s; tokens due before 1 s are sent or (after a stall longer than
    // the 20-token burst) dropped: exactly ceil(2000 × 1) in all.
    assert_eq!(
        report.messages() + report.pacer_dropped,
        2000,
        "dropped {}",
        report.pacer_dropped
    );
    // Drops need stalls over 10 ms; even a loaded machine sends most of the tokens (the bound
    // is loose on purpose: it catches a pacer that drops everything, not a slow machine).
    assert!(report.messages() >= 400, "only {} sent", report.messages());
    assert_eq!(report.totals.requests, report.messages());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlimited_run_stops_at_the_duration_and_counts_every_send() {
    let a = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --queues 2 --duration 0.3",
        a.addr
    ))
    .await;
    let sent = a.fake.seen_code(request_code::SEND_MESSAGE_V2).len() as u64;
    assert!(sent > 0);
    assert_eq!(report.messages(), sent);
    assert_eq!(report.totals.latency_us.count(), sent);
    assert_eq!(report.pacer_dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_pipelined_on_one_connection() {
    let a = start(FakeConfig {
        send_delay: Duration::from_millis(5),
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "produce --broker {} --queues 1 --messages 200 --connections 1 --concurrency 8",
        a.addr
    ))
    .await;
    assert_eq!(report.messages(), 200);
    let sends = a.fake.seen_code(request_code::SEND_MESSAGE_V2);
    let peers: HashSet<_> = sends.iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 1);
    // With 8 in flight on one connection the fake holds more than one at a time (at most 8).
    let max = a.fake.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=8).contains(&max), "max in flight {max}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneway_sends_and_errors_by_code() {
    let a = start(FakeConfig {
        refuse_queue: Some((1, response_code::SYSTEM_BUSY)),
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "produce --broker {} --queues 3 --messages 90 --concurrency 3",
        a.addr
    ))
    .await;
    assert_eq!(report.messages(), 60);
    assert_eq!(
        report.totals.errors,
        BTreeMap::from([(ErrorKind::Response(response_code::SYSTEM_BUSY), 30)])
    );
    assert!(
        report.to_string().contains("SYSTEM_BUSY(2): 30"),
        "{report}"
    );

    let b = start(FakeConfig::default()).await;
    let report = run(&format!(
        "produce --broker {} --queues 2 --messages 50 --oneway",
        b.addr
    ))
    .await;
    assert_eq!(report.messages(), 50);
    // Oneway requests are done once queued; wait (up to 30 s on a loaded machine) for the fake
    // to have read them all.
    for _ in 0..3000 {
        if b.fake.seen_code(request_code::SEND_MESSAGE_V2).len() == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sends = b.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(sends.len(), 50);
    assert!(sends.iter().all(|s| s.oneway));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_to_a_new_topic_uses_the_tbw102_route() {
    let a = start(FakeConfig::default()).await;
    let ns = start(FakeConfig {
        routes: HashMap::from([(
            "TBW102".to_string(),
            route_json(&[("broker-a", &a.addr, 7, 8)]),
        )]),
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "produce --namesrv {} --topic Fresh --messages 40",
        ns.addr
    ))
    .await;
    assert_eq!(report.messages(), 40);
    let lookups: Vec<_> = ns
        .fake
        .seen_code(request_code::GET_ROUTEINFO_BY_TOPIC)
        .iter()
        .map(|s| s.ext.get("topic").unwrap().to_string())
        .collect();
    assert_eq!(lookups, ["Fresh", "TBW102"]);
    // At most defaultTopicQueueNums (4) of TBW102's 8 queues.
    let sends = a.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(
        queue_counts(&sends),
        BTreeMap::from([(0, 10), (1, 10), (2, 10), (3, 10)])
    );
    assert!(sends.iter().all(|s| s.ext.get("b") == Some("Fresh")));
}

/// A commitlog record as the store writes it (IPv4 hosts).
fn stored_record(queue_id: i32, queue_offset: i64, born: i64, body: &[u8]) -> Vec<u8> {
    let topic = b"BenchTopic";
    let props = b"UNIQ_KEY\x01X\x02WAIT\x01true";
    let total = 91 + body.len() + topic.len() + props.len();
    let mut r = Vec::with_capacity(total);
    r.extend_from_slice(&(total as i32).to_be_bytes());
    r.extend_from_slice(&0xDAA3_20A7u32.to_be_bytes());
    r.extend_from_slice(&((crc32fast::hash(body) & 0x7FFF_FFFF) as i32).to_be_bytes());
    r.extend_from_slice(&queue_id.to_be_bytes());
    r.extend_from_slice(&0i32.to_be_bytes()); // flag
    r.extend_from_slice(&queue_offset.to_be_bytes());
    r.extend_from_slice(&0i64.to_be_bytes()); // physical offset
    r.extend_from_slice(&0i32.to_be_bytes()); // sysFlag
    r.extend_from_slice(&born.to_be_bytes());
    r.extend_from_slice(&[127, 0, 0, 1, 0, 0, 0x30, 0x39]);
    r.extend_from_slice(&(born + 1).to_be_bytes()); // store timestamp
    r.extend_from_slice(&[127, 0, 0, 1, 0, 0, 0x2A, 0x9F]);
    r.extend_from_slice(&0i32.to_be_bytes()); // reconsume times
    r.extend_from_slice(&0i64.to_be_bytes()); // prepared transaction offset
    r.extend_from_slice(&(body.len() as i32).to_be_bytes());
    r.extend_from_slice(body);
    r.push(topic.len() as u8);
    r.extend_from_slice(topic);
    r.extend_from_slice(&(props.len() as i16).to_be_bytes());
    r.extend_from_slice(props);
    assert_eq!(r.len(), total);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_reads_every_record_and_measures_from_born_timestamps() {
    // Queue 0: 100 messages born 1 s ago; queue 1: 100 born 10 s ago.
    let t0 = now_ms();
    let body = [b'x'; 50];
    let records: BTreeMap<i32, Vec<Vec<u8>>> = BTreeMap::from([
        (
            0,
            (0..100)
                .map(|i| stored_record(0, i, t0 - 1_000, &body))
                .collect(),
        ),
        (
            1,
            (0..100)
                .map(|i| stored_record(1, i, t0 - 10_000, &body))
                .collect(),
        ),
    ]);
    // The fake's records are what the store writes: its decoder agrees.
    let first: &Vec<u8> = &records[&1][0];
    let decoded = StoredRecord::decode(first).unwrap();
    assert_eq!(decoded.born_timestamp, t0 - 10_000);
    assert_eq!(decoded.total_size as usize, first.len());
    assert!(decoded.crc_ok());
    let broker = start(FakeConfig {
        records,
        ..Default::default()
    })
    .await;
    let ns = start(FakeConfig {
        routes: HashMap::from([(
            "BenchTopic".to_string(),
            route_json(&[("broker-a", &broker.addr, 6, 2)]),
        )]),
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "consume --namesrv {} --topic BenchTopic --group bench_group --messages 200 --duration 60",
        ns.addr
    ))
    .await;
    let elapsed_ms = (now_ms() - t0) as u64;

    assert_eq!(report.messages(), 200);
    assert_eq!(report.totals.body_bytes, 200 * 50);
    assert!(
        report.totals.errors.is_empty(),
        "{:?}",
        report.totals.errors
    );
    let h = &report.totals.latency_us;
    assert_eq!(h.count(), 200);
    // Latency = now - born (ms), between the age at the start and the age at the end.
    assert!(h.min() >= 1_000_000, "min {}", h.min());
    assert!(h.percentile(50.0) <= (1_000 + elapsed_ms) * 1_000 * 101 / 100);
    assert!(h.percentile(51.0) >= 10_000_000 * 99 / 100);
    assert!(h.max() <= (10_000 + elapsed_ms) * 1_000);

    // `--from last` (the default) asked each queue's max offset first.
    assert_eq!(broker.fake.seen_code(request_code::GET_MAX_OFFSET).len(), 2);
    let pulls = broker.fake.seen_code(request_code::PULL_MESSAGE);
    for queue in 0..2 {
        let mine: Vec<_> = pulls
            .iter()
            .map(|p| PullMessageRequestHeader::from_ext_fields(&p.ext).unwrap())
            .filter(|h| h.queue_id == queue)
            .collect();
        // 100 records, 32 per pull: offsets 0, 32, 64, 96 (then maybe long polls at 100).
        let offsets: Vec<_> = mine.iter().map(|h| h.queue_offset).take(4).collect();
        assert_eq!(offsets, [0, 32, 64, 96]);
        for h in &mine {
            assert_eq!(h.consumer_group, "bench_group");
            assert_eq!(h.topic, "BenchTopic");
            assert_eq!(h.max_msg_nums, 32);
            assert_eq!(h.suspend_timeout_millis, 15_000);
            assert_eq!(h.subscription.as_deref(), Some("*"));
            assert_eq!(h.expression_type.as_deref(), Some("TAG"));
            assert_eq!(h.bname.as_deref(), Some("broker-a"));
            // suspend | subscription, plus commit-offset once there is something to commit.
            let want = if h.queue_offset > 0 { 0b111 } else { 0b110 };
            assert_eq!(h.sys_flag, want, "at offset {}", h.queue_offset);
            assert_eq!(h.commit_offset, h.queue_offset);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_counts_malformed_bodies_and_stops_at_the_deadline() {
    let mut bad = stored_record(0, 0, now_ms(), b"ok");
    bad.extend_from_slice(&[0, 0, 0, 99, 1, 2, 3]); // a record claiming more than is there
    let broker = start(FakeConfig {
        records: BTreeMap::from([(0, vec![bad])]),
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "consume --broker {} --queues 1 --from first --duration 0.5 --serialize rocketmq",
        broker.addr
    ))
    .await;
    assert_eq!(report.messages(), 1);
    assert_eq!(
        report.totals.errors,
        BTreeMap::from([(ErrorKind::Malformed, 1)])
    );
    let pulls = broker.fake.seen_code(request_code::PULL_MESSAGE);
    assert!(pulls.len() >= 2, "pulled {} times", pulls.len());
    assert!(pulls.iter().all(|p| p.serialize == SerializeType::RocketMq));
    assert!(broker
        .fake
        .seen_code(request_code::GET_MAX_OFFSET)
        .is_empty());
}

/// Figures, not a check: generator and fake broker in one process over loopback. Run it in
/// release: `cargo test --release --test bench_fake_broker loopback_figures -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "prints throughput figures; run explicitly in release"]
async fn loopback_figures() {
    let a = start(FakeConfig::default()).await;
    for line in [
        "--size 128 --concurrency 64 --connections 2 --messages 200000",
        "--size 128 --concurrency 64 --connections 2 --messages 200000 --serialize rocketmq",
        "--size 1024 --concurrency 16 --connections 1 --messages 20000 --batch 32",
        "--size 128 --concurrency 1 --connections 1 --messages 20000",
    ] {
        let report = run(&format!("produce --broker {} --queues 8 {line}", a.addr)).await;
        assert!(report.totals.errors.is_empty());
        println!("^ {line}\n");
    }
    let t0 = now_ms();
    let records: BTreeMap<i32, Vec<Vec<u8>>> = (0..4)
        .map(|q| {
            (
                q,
                (0..50_000)
                    .map(|i| stored_record(q, i, t0, &[b'x'; 128]))
                    .collect(),
            )
        })
        .collect();
    let broker = start(FakeConfig {
        records,
        ..Default::default()
    })
    .await;
    let report = run(&format!(
        "consume --broker {} --queues 4 --from first --messages 200000",
        broker.addr
    ))
    .await;
    assert_eq!(report.messages(), 200_000);
}

/// The route comes from ferrocket's own NameServer (its GET_ROUTEINFO_BY_TOPIC encoding), for a
/// broker registered in its route table, in both header encodings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_consume_through_the_real_namesrv() {
    use ferrocket::namesrv::config::NamesrvSettings;
    use ferrocket::namesrv::route_info::BrokerRegistration;
    use ferrocket::namesrv::server::NamesrvServer;
    use ferrocket::namesrv::Namesrv;
    use ferrocket::protocol::body::{TopicConfig, TopicConfigMap, TopicConfigSerializeWrapper};

    let t0 = now_ms();
    let records: BTreeMap<i32, Vec<Vec<u8>>> = (0..3)
        .map(|q| {
            (
                q,
                (0..10).map(|i| stored_record(q, i, t0, b"body")).collect(),
            )
        })
        .collect();
    let broker = start(FakeConfig {
        records,
        ..Default::default()
    })
    .await;

    let home = TempDir::new("bench-ns");
    let mut settings = NamesrvSettings::default();
    settings.namesrv.kv_config_path = home
        .path()
        .join("kvConfig.json")
        .to_string_lossy()
        .into_owned();
    let ns = Arc::new(Namesrv::new(settings));
    let mut topics = TopicConfigMap::new();
    topics.insert(
        "BenchTopic".to_string(),
        TopicConfig::new("BenchTopic", 3, 3, 6),
    );
    let wrapper = TopicConfigSerializeWrapper {
        topic_config_table: topics,
        data_version: Default::default(),
    };
    ns.route.register_broker(
        &BrokerRegistration {
            cluster_name: "DefaultCluster",
            broker_addr: &broker.addr,
            broker_name: "broker-x",
            broker_id: 0,
            ha_server_addr: None,
            topic_config_wrapper: &wrapper,
            filter_server_list: Some(&[]),
            connection: None,
        },
        t0,
    );
    let server = NamesrvServer::start(ns, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ns_addr = server.local_addr();

    for serialize in ["json", "rocketmq"] {
        let report = run(&format!(
            "produce --namesrv {ns_addr} --topic BenchTopic --messages 30 --serialize {serialize}"
        ))
        .await;
        assert_eq!(report.messages(), 30);
    }
    let sends = broker.fake.seen_code(request_code::SEND_MESSAGE_V2);
    assert_eq!(
        queue_counts(&sends),
        BTreeMap::from([(0, 20), (1, 20), (2, 20)])
    );
    assert!(sends.iter().all(|s| s.ext.get("n") == Some("broker-x")));

    let report = run(&format!(
        "consume --namesrv {ns_addr} --topic BenchTopic --from first --messages 30 --duration 30"
    ))
    .await;
    assert_eq!(report.messages(), 30);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_broker_or_missing_route_fails_the_run_up_front() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // listener dropped: nothing listens there any more
    let err = bench::run(args(&format!("produce --broker {dead} --messages 5")))
        .await
        .unwrap_err();
    assert!(matches!(err, bench::BenchError::Remoting(_)), "{err}");
    let ns = start(FakeConfig::default()).await; // knows no topic, not even TBW102
    let err = bench::run(args(&format!("consume --namesrv {} --topic Nope", ns.addr)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("TOPIC_NOT_EXIST"), "{err}");
    let err = bench::run(args(&format!("produce --namesrv {} --topic Nope", ns.addr)))
        .await
        .unwrap_err();
    assert!(matches!(err, bench::BenchError::Route { .. }), "{err}");
    let err = bench::run(args("produce --broker 127.0.0.1:1 --size 0"))
        .await
        .unwrap_err();
    assert!(matches!(err, bench::BenchError::Usage(_)), "{err}");
}
