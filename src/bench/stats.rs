//! Counting what happened: per-task [`Stats`] (no sharing on the hot path), drained every
//! second by the reporter for the optional interval line and merged into the final
//! [`BenchReport`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::remoting::{response_code_name, RemotingError};

use super::histogram::Histogram;

/// Why a request (or a pulled record) did not count as a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// The server answered with this response code.
    Response(i32),
    /// No response in time.
    Timeout,
    /// Connect failed, connection closed, or a frame could not be written/read.
    Connection,
    /// A response the bench could not read (bad header, malformed pull body).
    Malformed,
}

impl ErrorKind {
    pub fn of(error: &RemotingError) -> ErrorKind {
        match error {
            RemotingError::Timeout { .. } => ErrorKind::Timeout,
            e if e.is_protocol_error() => ErrorKind::Malformed,
            _ => ErrorKind::Connection,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Response(code) => match response_code_name(*code) {
                Some(name) => write!(f, "{name}({code})"),
                None => write!(f, "code {code}"),
            },
            ErrorKind::Timeout => f.write_str("timeout"),
            ErrorKind::Connection => f.write_str("connection"),
            ErrorKind::Malformed => f.write_str("malformed response"),
        }
    }
}

/// What one task saw since its stats were last drained.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Messages sent (acknowledged, or queued for oneway) or received.
    pub messages: u64,
    /// Requests answered with success (a batch is one request).
    pub requests: u64,
    /// Message body bytes of the counted messages.
    pub body_bytes: u64,
    /// Latency in µs: request round trip (produce) or now − bornTimestamp (consume).
    pub latency_us: Histogram,
    pub errors: BTreeMap<ErrorKind, u64>,
}

impl Stats {
    pub fn error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Stats) {
        self.messages += other.messages;
        self.requests += other.requests;
        self.body_bytes += other.body_bytes;
        self.latency_us.merge(&other.latency_us);
        for (kind, n) in &other.errors {
            *self.errors.entry(*kind).or_default() += n;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// One stats slot per task; the task locks only its own (uncontended but for the reporter's
/// once-a-second drain).
#[derive(Debug, Clone, Default)]
pub struct StatsSlots(Arc<Vec<Mutex<Stats>>>);

impl StatsSlots {
    pub fn new(tasks: usize) -> StatsSlots {
        StatsSlots(Arc::new((0..tasks).map(|_| Mutex::default()).collect()))
    }

    /// Runs `f` on task `index`'s stats.
    pub fn with<R>(&self, index: usize, f: impl FnOnce(&mut Stats) -> R) -> R {
        match self.0.get(index) {
            Some(slot) => f(&mut slot.lock().unwrap_or_else(|e| e.into_inner())),
            None => f(&mut Stats::default()),
        }
    }

    /// Takes everything recorded since the last drain, merged.
    pub fn drain(&self) -> Stats {
        let mut all = Stats::default();
        for slot in self.0.iter() {
            let taken = std::mem::take(&mut *slot.lock().unwrap_or_else(|e| e.into_inner()));
            all.merge(&taken);
        }
        all
    }
}

/// The result of a bench run.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// "produce" or "consume".
    pub mode: &'static str,
    /// From the first request to the last response.
    pub elapsed: Duration,
    pub totals: Stats,
    /// Rate-limiter tokens lost to stalls longer than the burst (see `pacer`).
    pub pacer_dropped: u64,
}

impl BenchReport {
    pub fn messages(&self) -> u64 {
        self.totals.messages
    }

    pub fn msgs_per_sec(&self) -> f64 {
        per_sec(self.totals.messages as f64, self.elapsed)
    }

    /// Megabytes (10^6 bytes) of message bodies per second.
    pub fn mb_per_sec(&self) -> f64 {
        per_sec(self.totals.body_bytes as f64, self.elapsed) / 1e6
    }
}

fn per_sec(amount: f64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        amount / secs
    } else {
        0.0
    }
}

/// A latency in µs, readable: "850µs", "12.3ms", "1.25s".
pub fn fmt_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.2}ms", us as f64 / 1e3)
    } else {
        format!("{:.3}s", us as f64 / 1e6)
    }
}

fn fmt_errors(errors: &BTreeMap<ErrorKind, u64>) -> String {
    if errors.is_empty() {
        return "none".to_string();
    }
    errors
        .iter()
        .map(|(kind, n)| format!("{kind}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.totals;
        let h = &t.latency_us;
        let what = if self.mode == "consume" {
            "end-to-end latency (now - bornTimestamp, ms resolution)"
        } else {
            "request latency"
        };
        writeln!(f, "== ferrocket bench {} ==", self.mode)?;
        writeln!(
            f,
            "messages   {} in {:.3}s ({} requests)",
            t.messages,
            self.elapsed.as_secs_f64(),
            t.requests
        )?;
        writeln!(
            f,
            "throughput {:.1} msgs/s, {:.2} MB/s (bodies)",
            self.msgs_per_sec(),
            self.mb_per_sec()
        )?;
        writeln!(f, "{what}, {} samples:", h.count())?;
        writeln!(
            f,
            "  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {}",
            fmt_us(h.percentile(50.0)),
            fmt_us(h.percentile(90.0)),
            fmt_us(h.percentile(99.0)),
            fmt_us(h.percentile(99.9)),
            fmt_us(h.max()),
            fmt_us(h.mean() as u64),
        )?;
        write!(f, "errors     {}", fmt_errors(&t.errors))?;
        if self.pacer_dropped > 0 {
            write!(
                f,
                "\nrate limiter dropped {} tokens (stalls)",
                self.pacer_dropped
            )?;
        }
        Ok(())
    }
}

/// Drains the slots every second until `done`, printing one line per second when `print`;
/// returns everything drained (including the final drain after `done`).
pub async fn collect(slots: StatsSlots, print: bool, done: CancellationToken) -> Stats {
    let started = Instant::now();
    let mut totals = Stats::default();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await; // the first tick is immediate
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = done.cancelled() => break,
            _ = ticker.tick() => {
                let window = slots.drain();
                if print {
                    let now = Instant::now();
                    println!("{}", interval_line(started.elapsed(), now - last, &window));
                    last = now;
                }
                totals.merge(&window);
            }
        }
    }
    totals.merge(&slots.drain());
    totals
}

fn interval_line(at: Duration, window: Duration, s: &Stats) -> String {
    let h = &s.latency_us;
    format!(
        "[{:>4}s] {:>9.0} msgs/s {:>8.2} MB/s  p50 {}  p99 {}  max {}  errors {}",
        at.as_secs(),
        per_sec(s.messages as f64, window),
        per_sec(s.body_bytes as f64, window) / 1e6,
        fmt_us(h.percentile(50.0)),
        fmt_us(h.percentile(99.0)),
        fmt_us(h.max()),
        s.error_count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_drain_and_merge() {
        let slots = StatsSlots::new(2);
        slots.with(0, |s| {
            s.messages += 2;
            s.latency_us.record(10);
            s.error(ErrorKind::Response(2));
        });
        slots.with(1, |s| {
            s.messages += 3;
            s.latency_us.record(30);
            s.error(ErrorKind::Response(2));
            s.error(ErrorKind::Timeout);
        });
        let all = slots.drain();
        assert_eq!(all.messages, 5);
        assert_eq!(all.latency_us.count(), 2);
        assert_eq!(all.errors.get(&ErrorKind::Response(2)), Some(&2));
        assert_eq!(all.error_count(), 3);
        assert_eq!(slots.drain().messages, 0);
        assert_eq!(ErrorKind::Response(2).to_string(), "SYSTEM_BUSY(2)");
        assert_eq!(fmt_us(1_500), "1.50ms");
    }
}
