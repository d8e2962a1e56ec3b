//! `ferrocket bench`: a RocketMQ load generator speaking the 4.9.7 wire protocol, reporting
//! throughput and latency percentiles. It works against ferrocket or a Java broker alike.
//!
//! # Usage
//!
//! ```text
//! ferrocket bench produce --namesrv 127.0.0.1:9876 --topic BenchTopic --size 1024 \
//!     --connections 4 --concurrency 64 --duration 30 --interval
//! ferrocket bench produce --broker 127.0.0.1:10911 --queues 8 --messages 1000000 \
//!     --rate 20000 --serialize rocketmq --batch 16
//! ferrocket bench consume --namesrv 127.0.0.1:9876 --topic BenchTopic --group bench_consumer \
//!     --duration 60 --interval
//! ```
//!
//! Produce: the queues come from the NameServer as a Java producer finds them
//! (GET_ROUTEINFO_BY_TOPIC; the master, brokerId 0, of every writable broker; `TBW102`'s route
//! when the topic has none yet) or from `--broker ADDR --queues N`. Messages go round-robin over
//! the queues as SEND_MESSAGE_V2 with the header a Java 4.9.7 producer sends (`a`..`n`,
//! properties `KEYS`, `UNIQ_KEY`, `WAIT`, `TAGS`), or SEND_BATCH_MESSAGE with `--batch N`, or
//! oneway with `--oneway`. `--connections` TCP connections carry `--concurrency` requests in
//! flight in total, pipelined. `--rate` caps messages per second (a token bucket on an absolute
//! schedule, see [`pacer`]). The run ends after `--duration` seconds or `--messages` messages
//! (default: 10 s). Latency is the request's round trip (for `--oneway`, the time to queue it).
//!
//! Consume: pulls every readable queue (PULL_MESSAGE with long polling as a Java push consumer:
//! `maxMsgNums` 32, `suspendTimeoutMillis` 15000, sysFlag suspend + subscription `*`, plus
//! commit-offset once it has consumed something), starting at each queue's max offset
//! (`--from last`, Java's CONSUME_FROM_LAST_OFFSET) or at 0 (`--from first`). It counts the
//! stored records of each FOUND body and records the end-to-end latency now − bornTimestamp
//! (millisecond resolution, clocks of producer and consumer hosts must agree).
//!
//! Options (both modes): `--namesrv ADDR` or `--broker ADDR` (then `--queues N`, default 4, and
//! optionally `--broker-name NAME`), `--topic` (BenchmarkTest), `--duration SECS` and/or
//! `--messages N` (neither: 10 s), `--serialize json|rocketmq` (header encoding of every request,
//! NameServer lookups included), `--interval` (a line per second), `--timeout-ms` (3000).
//! Produce only: `--size` (128 body bytes, 1..=4 MiB), `--tags`, `--keys on|off` (KEYS
//! `bench-<n>`), `--connections` (TCP connections per broker, 1), `--concurrency` (16), `--rate` (0 = none),
//! `--oneway`, `--batch N` (1), `--producer-group`, `--compress-over BYTES` (4096) /
//! `--no-compress` (bodies that large are zlib-compressed once, as a Java producer would, sysFlag
//! 0x301; throughput counts the uncompressed size). Consume only: `--group`,
//! `--from last|first`, `--max-msg-nums` (32).
//!
//! The summary (count, msgs/s, MB/s of bodies, p50/p90/p99/p99.9/max latency, errors by response
//! code) is printed at the end; `--interval` adds a line per second. Ctrl-C ends a run early,
//! still with its summary. Single failed requests are counted, not retried (a Java producer
//! retries twice); routes are looked up once at the start (a Java client refreshes them every
//! 30 s); the consumer pulls from masters only and sends no heartbeat (its pulls carry the
//! subscription instead, as with Java's `postSubscriptionWhenPull`).

mod conn_cache;
pub mod consume;
pub mod histogram;
pub mod message;
pub mod pacer;
pub mod produce;
pub mod route;
pub mod stats;

use std::time::Duration;

use crate::remoting::{RemotingError, SerializeType};

pub use histogram::Histogram;
pub use stats::{BenchReport, ErrorKind, Stats};

/// `ferrocket bench ...`
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCommand {
    /// Send messages and measure request latency.
    Produce(ProduceArgs),
    /// Pull messages and measure end-to-end latency.
    Consume(ConsumeArgs),
}

/// Header encoding of the bench's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SerializeArg {
    Json,
    Rocketmq,
}

impl From<SerializeArg> for SerializeType {
    fn from(s: SerializeArg) -> SerializeType {
        match s {
            SerializeArg::Json => SerializeType::Json,
            SerializeArg::Rocketmq => SerializeType::RocketMq,
        }
    }
}

/// Where and for how long: options shared by both modes.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// NameServer address to look the topic's route up at.
    #[arg(long, conflicts_with = "broker", required_unless_present = "broker")]
    pub namesrv: Option<String>,
    /// Broker address to use directly, without a NameServer.
    #[arg(long)]
    pub broker: Option<String>,
    /// With `--broker`: how many queues the topic has there.
    #[arg(long, default_value_t = 4)]
    pub queues: i32,
    /// With `--broker`: the broker's name, sent in the `n`/`bname` header fields.
    #[arg(long)]
    pub broker_name: Option<String>,
    /// Topic to send to / pull from.
    #[arg(long, default_value = "BenchmarkTest")]
    pub topic: String,
    /// Run this many seconds (default 10 unless `--messages` is given).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop after this many messages.
    #[arg(long)]
    pub messages: Option<u64>,
    /// Header encoding of every request.
    #[arg(long, value_enum, default_value_t = SerializeArg::Json)]
    pub serialize: SerializeArg,
    /// Print a line every second.
    #[arg(long)]
    pub interval: bool,
    /// Per-request timeout in milliseconds (Java's sendMsgTimeout, 3000); long-polling pulls
    /// wait up to 30 s regardless.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
}

impl TargetArgs {
    fn serialize_type(&self) -> SerializeType {
        self.serialize.into()
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }

    /// The run's time limit: `--duration`, or 10 s when neither limit is given.
    fn deadline(&self) -> Result<Option<Duration>, BenchError> {
        match (self.duration, self.messages) {
            (Some(secs), _) => {
                if secs.is_finite() && secs > 0.0 {
                    Ok(Some(Duration::from_secs_f64(secs)))
                } else {
                    Err(BenchError::Usage(format!("--duration {secs}: must be > 0")))
                }
            }
            (None, Some(_)) => Ok(None),
            (None, None) => Ok(Some(Duration::from_secs(10))),
        }
    }
}

/// `ferrocket bench produce`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Message body size in bytes.
    #[arg(long, default_value_t = 128)]
    pub size: usize,
    /// TAGS of every message (none when absent).
    #[arg(long)]
    pub tags: Option<String>,
    /// Give every message KEYS (`bench-N`, N counting up): on or off.
    #[arg(long, value_parser = parse_on_off, default_value = "off", action = clap::ArgAction::Set)]
    pub keys: bool,
    /// TCP connections per broker.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Requests in flight, in total.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Messages per second, 0 for no limit.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Send oneway (no response awaited).
    #[arg(long)]
    pub oneway: bool,
    /// Messages per SEND_BATCH_MESSAGE request (1 = SEND_MESSAGE_V2).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// Producer group (header `a`).
    #[arg(long, default_value = "ferrocket_bench_producer")]
    pub producer_group: String,
    /// Zlib-compress bodies of at least this many bytes, as a Java producer does
    /// (`compressMsgBodyOverHowmuch`, 4096; level 5; never for batches).
    #[arg(long, default_value_t = 4096)]
    pub compress_over: usize,
    /// Never compress bodies.
    #[arg(long)]
    pub no_compress: bool,
}

/// Where consumption starts in each queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartFrom {
    /// The queue's max offset (GET_MAX_OFFSET): only messages produced from now on.
    Last,
    /// Offset 0: the whole backlog.
    First,
}

/// `ferrocket bench consume`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Consumer group.
    #[arg(long, default_value = "ferrocket_bench_consumer")]
    pub group: String,
    /// Where to start in each queue: its max offset (new messages only) or 0.
    #[arg(long, value_enum, default_value_t = StartFrom::Last)]
    pub from: StartFrom,
    /// Messages asked per pull (Java's pullBatchSize, 32).
    #[arg(long, default_value_t = 32)]
    pub max_msg_nums: i32,
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("expected on or off, got {s:?}")),
    }
}

/// Why a bench could not run (errors of single requests are counted in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Usage(String),
    #[error("no usable route for topic {topic}: {reason}")]
    Route { topic: String, reason: String },
    #[error(transparent)]
    Remoting(#[from] RemotingError),
}

/// A token cancelled on Ctrl-C (SIGINT), so an interrupted run still ends with its summary;
/// cancelling it also ends the listener.
fn stop_on_ctrl_c() -> tokio_util::sync::CancellationToken {
    let stop = tokio_util::sync::CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = token.cancelled() => {}
            result = tokio::signal::ctrl_c() => {
                if result.is_ok() {
                    token.cancel();
                }
            }
        }
    });
    stop
}

/// Runs the bench the arguments describe, prints its summary and returns it.
pub async fn run(args: BenchArgs) -> Result<BenchReport, BenchError> {
    let report = match args.command {
        BenchCommand::Produce(args) => produce::run(args).await?,
        BenchCommand::Consume(args) => consume::run(args).await?,
    };
    println!("{report}");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Top,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Top {
        Bench(BenchArgs),
    }

    #[test]
    fn command_line_parses() {
        let cli = Cli::try_parse_from([
            "ferrocket",
            "bench",
            "produce",
            "--broker",
            "127.0.0.1:10911",
            "--queues",
            "8",
            "--keys",
            "on",
            "--serialize",
            "rocketmq",
            "--batch",
            "4",
            "--messages",
            "100",
        ])
        .unwrap();
        let Top::Bench(BenchArgs {
            command: BenchCommand::Produce(p),
        }) = cli.cmd
        else {
            panic!("not produce")
        };
        assert!(p.keys);
        assert_eq!(p.batch, 4);
        assert_eq!(p.target.queues, 8);
        assert_eq!(p.target.serialize, SerializeArg::Rocketmq);
        assert_eq!(p.target.deadline().unwrap(), None);

        let cli = Cli::try_parse_from([
            "ferrocket",
            "bench",
            "consume",
            "--namesrv",
            "127.0.0.1:9876",
            "--group",
            "g",
        ])
        .unwrap();
        let Top::Bench(BenchArgs {
            command: BenchCommand::Consume(c),
        }) = cli.cmd
        else {
            panic!("not consume")
        };
        assert_eq!(c.from, StartFrom::Last);
        assert_eq!(c.target.deadline().unwrap(), Some(Duration::from_secs(10)));

        // One of --namesrv / --broker, not both.
        assert!(Cli::try_parse_from(["ferrocket", "bench", "consume"]).is_err());
        assert!(Cli::try_parse_from([
            "ferrocket",
            "bench",
            "consume",
            "--namesrv",
            "a:1",
            "--broker",
            "b:2"
        ])
        .is_err());
    }
}
