//! Produce and consume through ferrocket with the mxsm/rocketmq-rust client (crates.io
//! `rocketmq-client-rust`). Prints one JSON summary line on stdout; tests/interop_rust.rs asserts
//! on it.
//!
//! `ferrocket-interop-rust --namesrv ADDR --topic T --count N --timeout SECS`
//!
//! Sends a warm-up message (the topic is auto-created from TBW102), then N sync messages with a
//! tag (TagA/TagB), keys and user properties. Consumers (push, clustering, from the first
//! offset), started after the warm-up and before the N sends:
//!   all   - must see every message, body and properties intact;
//!   retry - answers RECONSUME_LATER to the first delivery of every 20th message: it must come
//!           back (the client sends it back, the broker redelivers it through %RETRY%<group>).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cheetah_string::CheetahString;
use rocketmq_client_rust::{
    ClientResult, ClientRuntime, ClientRuntimeConfig, ConsumeConcurrentlyContext,
    ConsumeConcurrentlyStatus, DefaultMQProducer, DefaultMQPushConsumer, MQPushConsumer,
    MessageListenerConcurrently,
};
use rocketmq_model::common::consumer::consume_from_where::ConsumeFromWhere;
use rocketmq_model::common::message::message_ext::MessageExt;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_model::common::message::MessageTrait;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

const FAIL_EVERY: u64 = 20;

fn expected_body(i: u64) -> String {
    format!("rust-body-{i}-{}-ü", "r".repeat((i % 43) as usize))
}

fn expected_tag(i: u64) -> &'static str {
    if i % 2 == 0 {
        "TagA"
    } else {
        "TagB"
    }
}

fn expected_keys(i: u64) -> String {
    format!("key-{i} alt-{i}")
}

fn message(topic: &str, i: u64) -> Message {
    Message::builder()
        .topic(topic.to_string())
        .tags(expected_tag(i))
        .keys(vec![format!("key-{i}"), format!("alt-{i}")])
        .body_slice(expected_body(i).as_bytes())
        .raw_property("idx", i.to_string())
        .and_then(|b| b.raw_property("note", "a=b;c:d"))
        .expect("valid user properties")
        .build_unchecked()
}

#[derive(Default)]
struct Seen {
    deliveries: HashMap<u64, u32>,
    bad: Vec<String>,
    failed_once: HashSet<u64>,
    from_retry_topic: HashSet<u64>,
}

struct Collector {
    fail_every: Option<u64>,
    seen: Mutex<Seen>,
}

impl Collector {
    fn new(fail_every: Option<u64>) -> Arc<Collector> {
        Arc::new(Collector {
            fail_every,
            seen: Mutex::new(Seen::default()),
        })
    }

    fn one(&self, msg: &MessageExt) -> bool {
        let prop = |k: &str| {
            msg.property(&CheetahString::from_string(k.to_string()))
                .map(|v| v.to_string())
        };
        let idx = prop("idx").and_then(|v| v.parse::<u64>().ok());
        let body = msg
            .get_body()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let Some(i) = idx else {
            if seen.bad.len() < 20 {
                seen.bad.push(format!("no idx: {body:?}"));
            }
            return true;
        };
        let ok = body.as_deref() == Some(expected_body(i).as_str())
            && prop("TAGS").as_deref() == Some(expected_tag(i))
            && prop("KEYS") == Some(expected_keys(i))
            && prop("note").as_deref() == Some("a=b;c:d");
        if !ok && seen.bad.len() < 20 {
            seen.bad.push(format!(
                "idx {i}: tags {:?} keys {:?} note {:?} body {:?}",
                prop("TAGS"),
                prop("KEYS"),
                prop("note"),
                body
            ));
        }
        *seen.deliveries.entry(i).or_default() += 1;
        if msg.topic().starts_with("%RETRY%") || prop("RETRY_TOPIC").is_some() {
            seen.from_retry_topic.insert(i);
        }
        let fail = self.fail_every.is_some_and(|n| i % n == 0) && seen.failed_once.insert(i);
        !fail
    }

    fn summary(&self) -> String {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let redelivered = seen
            .failed_once
            .iter()
            .filter(|i| seen.deliveries.get(i).copied().unwrap_or(0) >= 2)
            .count();
        let via_retry = seen
            .failed_once
            .iter()
            .filter(|i| seen.from_retry_topic.contains(i))
            .count();
        format!(
            "{{\"unique\":{},\"deliveries\":{},\"bad\":{},\"failed_once\":{},\"redelivered\":{},\"redelivered_via_retry_topic\":{}}}",
            seen.deliveries.len(),
            seen.deliveries.values().map(|&n| n as u64).sum::<u64>(),
            json_strings(&seen.bad),
            seen.failed_once.len(),
            redelivered,
            via_retry
        )
    }

    fn unique(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .deliveries
            .len()
    }

    fn all_failed_redelivered(&self) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.failed_once
            .iter()
            .all(|i| seen.deliveries.get(i).copied().unwrap_or(0) >= 2)
    }
}

struct Listener(Arc<Collector>);

impl MessageListenerConcurrently for Listener {
    fn consume_message(
        &self,
        msgs: &[&MessageExt],
        _context: &ConsumeConcurrentlyContext,
    ) -> ClientResult<ConsumeConcurrentlyStatus> {
        let mut ok = true;
        for m in msgs {
            ok &= self.0.one(m);
        }
        Ok(if ok {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        } else {
            ConsumeConcurrentlyStatus::ReconsumeLater
        })
    }
}

fn json_strings(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        })
        .collect();
    format!("[{}]", quoted.join(","))
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == &format!("--{name}"))
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

async fn consumer(
    runtime: &Arc<ClientRuntime>,
    namesrv: &str,
    group: String,
    topic: &str,
    collector: Arc<Collector>,
) -> ClientResult<DefaultMQPushConsumer> {
    let mut c = DefaultMQPushConsumer::builder(runtime.clone())
        .consumer_group(group)
        .name_server_addr(namesrv.to_string())
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .consume_message_batch_max_size(1)
        .build();
    c.subscribe(topic, "*").await?;
    c.register_message_listener_concurrently(Listener(collector));
    c.start().await?;
    Ok(c)
}

/// `--decode-route FILE`: decodes a GET_ROUTEINFO_BY_TOPIC body (JSON) with this client's own
/// decoder and prints `{"decoded":true}` or `{"decoded":false,"error":...}`: tells whether the
/// client can read a NameServer's route at all, independently of any server.
fn decode_route(path: &str) {
    let body = std::fs::read(path).unwrap_or_default();
    match rocketmq_protocol::protocol::route::topic_route_data::TopicRouteData::decode(&body) {
        Ok(_) => println!("{{\"decoded\":true}}"),
        Err(e) => println!(
            "{{\"decoded\":false,\"error\":{}}}",
            json_strings(&[e.to_string()]).trim_matches(['[', ']'])
        ),
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--decode-route") {
        decode_route(&arg("decode-route", ""));
        return;
    }
    let namesrv = arg("namesrv", "127.0.0.1:9876");
    let topic = arg("topic", "InteropRust");
    let count: u64 = arg("count", "1000").parse().unwrap_or(1000);
    let timeout = Duration::from_secs(arg("timeout", "120").parse().unwrap_or(120));
    match run(&namesrv, &topic, count, timeout).await {
        Ok(summary) => println!("{summary}"),
        Err(e) => {
            println!(
                "{{\"fatal\":{}}}",
                json_strings(&[e]).trim_matches(['[', ']'])
            );
            std::process::exit(1);
        }
    }
    // The client's background tasks may outlive a clean shutdown: do not wait for them.
    std::process::exit(0);
}

async fn run(namesrv: &str, topic: &str, count: u64, timeout: Duration) -> Result<String, String> {
    let owner = RuntimeOwner::plan(RuntimeConfig {
        thread_name: "interop-rust".to_string(),
        ..Default::default()
    })
    .map_err(|e| format!("runtime plan: {e}"))?
    .build()
    .map_err(|e| format!("runtime: {e}"))?;
    let telemetry = rocketmq_observability::install_global(
        &rocketmq_observability::TelemetryBootstrapConfig::default(),
    )
    .map_err(|e| format!("telemetry: {e}"))?;
    let runtime = ClientRuntime::try_new(
        owner.root_context().component("client"),
        ClientRuntimeConfig::default(),
        telemetry.handle(),
    )
    .map_err(|e| format!("client runtime: {e}"))?;

    let mut producer = DefaultMQProducer::builder(runtime.clone())
        .producer_group("interop_rust_producer".to_string())
        .name_server_addr(namesrv.to_string())
        .build();
    producer
        .start()
        .await
        .map_err(|e| format!("producer start: {e}"))?;
    let warm = producer
        .send_with_timeout(message(topic, 0), 10_000)
        .await
        .map_err(|e| format!("warm-up send: {e}"))?;
    let warm_status = warm
        .map(|r| format!("{:?}", r.send_status))
        .unwrap_or_default();

    let all = Collector::new(None);
    let retry = Collector::new(Some(FAIL_EVERY));
    let mut consumers = vec![
        consumer(
            &runtime,
            namesrv,
            format!("interop_rust_all_{topic}"),
            topic,
            all.clone(),
        )
        .await
        .map_err(|e| format!("consumer all: {e}"))?,
        consumer(
            &runtime,
            namesrv,
            format!("interop_rust_retry_{topic}"),
            topic,
            retry.clone(),
        )
        .await
        .map_err(|e| format!("consumer retry: {e}"))?,
    ];
    tokio::time::sleep(Duration::from_secs(3)).await; // rebalance

    let started = Instant::now();
    let mut sent = 0u64;
    let mut send_errors = Vec::new();
    for i in 1..=count {
        match producer.send_with_timeout(message(topic, i), 10_000).await {
            Ok(Some(r)) if format!("{:?}", r.send_status) == "SendOk" => sent += 1,
            Ok(r) => send_errors.push(format!("{i}: {:?}", r.map(|r| r.send_status))),
            Err(e) => send_errors.push(format!("{i}: {e}")),
        }
    }
    let send_seconds = started.elapsed().as_secs_f64();
    let total = (sent + 1) as usize;

    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline
        && !(all.unique() >= total && retry.unique() >= total && retry.all_failed_redelivered())
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await; // stragglers (duplicates)

    let summary = format!(
        "{{\"warmup_status\":\"{warm_status}\",\"sent\":{sent},\"total_expected\":{total},\"send_seconds\":{send_seconds:.3},\"send_errors\":{},\"send_error_count\":{},\"consumers\":{{\"all\":{},\"retry\":{}}}}}",
        json_strings(&send_errors[..send_errors.len().min(20)]),
        send_errors.len(),
        all.summary(),
        retry.summary()
    );
    for c in consumers.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_secs(5), c.shutdown()).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), producer.shutdown()).await;
    Ok(summary)
}
