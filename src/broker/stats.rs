//! Broker statistics for GET_BROKER_RUNTIME_INFO and GET_CONSUME_STATS (Java's
//! `StoreStatsService`, `BrokerStats` and the parts of `BrokerStatsManager` the admin answers
//! read).
//!
//! The hot paths only bump atomics: `record_put` from the send path, `record_get` from the
//! pull path. A sampling task (`run_sampling`) takes a snapshot every second, from which the
//! tps over the last 10 s / 1 min / 10 min are computed as Java does (difference between the
//! newest snapshot and the one `n` seconds before it; no figure until that much history exists).

use crate::broker::stats_item::{StatsItem, StatsWindow};
use crate::protocol::body::BrokerStatsData;
use dashmap::DashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Java keeps 600 + 1 one-second snapshots.
const MAX_SNAPSHOTS: usize = 601;
/// Per group@topic snapshots every 10 s, the last minute (Java `StatsItem.csListMinute`).
const GROUP_SNAPSHOTS: usize = 7;

/// The put-latency histogram's labels (Java `PUT_MESSAGE_ENTIRE_TIME_MAX_DESC`).
const DISTRIBUTE_DESC: [&str; 13] = [
    "[<=0ms]",
    "[0~10ms]",
    "[10~50ms]",
    "[50~100ms]",
    "[100~200ms]",
    "[200~500ms]",
    "[500ms~1s]",
    "[1~2s]",
    "[2~3s]",
    "[3~4s]",
    "[4~5s]",
    "[5~10s]",
    "[10s~]",
];

#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at_ms: i64,
    put: u64,
    found: u64,
    miss: u64,
    transferred: u64,
}

/// Counters of one consumer group on one topic.
#[derive(Default)]
struct GroupCounters {
    get_nums: AtomicU64,
    get_size: AtomicU64,
    /// GROUP_GET_NUMS / GROUP_GET_SIZE for VIEW_BROKER_STATS_DATA.
    get_nums_item: StatsItem,
    get_size_item: StatsItem,
    /// (ms, get_nums) every 10 s.
    snapshots: Mutex<VecDeque<(i64, u64)>>,
}

#[derive(Default)]
struct TopicCounters {
    put_nums: AtomicU64,
    put_size: AtomicU64,
    /// TOPIC_PUT_NUMS / TOPIC_PUT_SIZE for VIEW_BROKER_STATS_DATA.
    put_nums_item: StatsItem,
    put_size_item: StatsItem,
}

impl TopicCounters {
    fn add(&self, count: u64, bytes: u64) {
        self.put_nums.fetch_add(count, Ordering::Relaxed);
        self.put_size.fetch_add(bytes, Ordering::Relaxed);
        self.put_nums_item.add(count, 1);
        self.put_size_item.add(bytes, 1);
    }
}

/// Midnight marks of the put/get totals (Java `BrokerStats.record()`).
#[derive(Debug, Default, Clone, Copy)]
struct DayMarks {
    day: i64,
    put_yesterday_morning: u64,
    get_yesterday_morning: u64,
    put_today_morning: u64,
    get_today_morning: u64,
}

/// Latency buckets in ms as Java's `PUT_MESSAGE_ENTIRE_TIME_BUCKETS` (upper bounds, the last
/// is unbounded): 1ms steps to 20, 2ms to 50, 5ms to 100, 10ms to 200, 50ms to 500, 100ms to
/// 1000, 1s to 10s.
fn latency_bucket_bounds() -> Vec<i64> {
    let mut bounds = Vec::new();
    let mut at = 0;
    for (step, times) in [
        (1, 20),
        (2, 15),
        (5, 10),
        (10, 10),
        (50, 6),
        (100, 5),
        (1000, 9),
    ] {
        for _ in 0..times {
            at += step;
            bounds.push(at);
        }
    }
    bounds.push(i64::MAX);
    bounds
}

struct Latency {
    bounds: Vec<i64>,
    current: Vec<u64>,
    last: Vec<u64>,
    distribute: [u64; 13],
    last_distribute: [u64; 13],
}

pub struct BrokerStats {
    boot_ms: i64,
    put_times: AtomicU64,
    put_failed: AtomicU64,
    put_size: AtomicU64,
    put_entire_time_max: AtomicI64,
    get_found: AtomicU64,
    get_miss: AtomicU64,
    get_transferred: AtomicU64,
    get_entire_time_max: AtomicI64,
    topics: DashMap<String, TopicCounters>,
    groups: DashMap<(String, String), Arc<GroupCounters>>,
    snapshots: Mutex<VecDeque<Snapshot>>,
    /// BROKER_PUT_NUMS / BROKER_GET_NUMS (Java keys them by cluster name).
    broker_put_item: StatsItem,
    broker_get_item: StatsItem,
    latency: Mutex<Latency>,
    day: Mutex<DayMarks>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Java `Double.toString`.
pub fn java_double(v: f64) -> String {
    crate::fastjson::to_compact(&crate::fastjson::Value::Float(v))
}

fn tps(before: i64, before_ms: i64, last: i64, last_ms: i64) -> f64 {
    let span = last_ms - before_ms;
    if span <= 0 {
        return 0.0;
    }
    (last - before) as f64 * 1000.0 / span as f64
}

impl Default for BrokerStats {
    fn default() -> Self {
        BrokerStats::new(now_ms())
    }
}

impl BrokerStats {
    pub fn new(boot_ms: i64) -> BrokerStats {
        let bounds = latency_bucket_bounds();
        let n = bounds.len();
        let stats = BrokerStats {
            boot_ms,
            put_times: AtomicU64::new(0),
            put_failed: AtomicU64::new(0),
            put_size: AtomicU64::new(0),
            put_entire_time_max: AtomicI64::new(0),
            get_found: AtomicU64::new(0),
            get_miss: AtomicU64::new(0),
            get_transferred: AtomicU64::new(0),
            get_entire_time_max: AtomicI64::new(0),
            topics: DashMap::new(),
            groups: DashMap::new(),
            snapshots: Mutex::new(VecDeque::with_capacity(MAX_SNAPSHOTS + 1)),
            broker_put_item: StatsItem::default(),
            broker_get_item: StatsItem::default(),
            latency: Mutex::new(Latency {
                bounds,
                current: vec![0; n],
                last: vec![0; n],
                distribute: [0; 13],
                last_distribute: [0; 13],
            }),
            day: Mutex::new(DayMarks {
                day: boot_ms.div_euclid(86_400_000),
                ..Default::default()
            }),
        };
        stats.sample(boot_ms);
        stats
    }

    pub fn boot_ms(&self) -> i64 {
        self.boot_ms
    }

    /// A send stored `count` messages of `bytes` in total to `topic`.
    pub fn record_put(&self, topic: &str, count: u64, bytes: u64) {
        self.put_times.fetch_add(count, Ordering::Relaxed);
        self.put_size.fetch_add(bytes, Ordering::Relaxed);
        self.broker_put_item.add(count, 1);
        if let Some(c) = self.topics.get(topic) {
            c.add(count, bytes);
            return;
        }
        self.topics
            .entry(topic.to_string())
            .or_default()
            .add(count, bytes);
    }

    /// The outcome of one store put of the send path (Java counts these in the store's
    /// `StoreStatsService`): stored messages and bytes per topic, or a failure; and the time.
    pub fn record_put_result(
        &self,
        topic: &str,
        result: &crate::store::commit_log::PutMessageResult,
        elapsed: Duration,
    ) {
        self.record_put_latency(elapsed.as_millis().min(i64::MAX as u128) as i64);
        match &result.append {
            Some(a) if result.is_ok() => {
                self.record_put(topic, a.msg_num.max(0) as u64, a.wrote_bytes.max(0) as u64)
            }
            _ => self.record_put_failed(),
        }
    }

    /// A send that the store refused.
    pub fn record_put_failed(&self) {
        self.put_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// How long one store put took (the `putMessageDistributeTime` histogram, `putLatency99`).
    pub fn record_put_latency(&self, elapsed_ms: i64) {
        self.put_entire_time_max
            .fetch_max(elapsed_ms, Ordering::Relaxed);
        let mut l = lock(&self.latency);
        let slot = match elapsed_ms {
            i64::MIN..=0 => 0,
            1..=10 => 1,
            11..=50 => 2,
            51..=100 => 3,
            101..=200 => 4,
            201..=500 => 5,
            501..=1000 => 6,
            1001..=2000 => 7,
            2001..=3000 => 8,
            3001..=4000 => 9,
            4001..=5000 => 10,
            5001..=10000 => 11,
            _ => 12,
        };
        l.distribute[slot] += 1;
        let i = l.bounds.partition_point(|b| *b < elapsed_ms);
        if let Some(c) = l.current.get_mut(i) {
            *c += 1;
        }
    }

    /// A pull by `group` on `topic`: `found` tells whether messages came back; `count` and
    /// `bytes` are what was transferred.
    pub fn record_get(&self, group: &str, topic: &str, found: bool, count: u64, bytes: u64) {
        if found {
            self.get_found.fetch_add(1, Ordering::Relaxed);
            self.get_transferred.fetch_add(count, Ordering::Relaxed);
        } else {
            self.get_miss.fetch_add(1, Ordering::Relaxed);
        }
        if count == 0 {
            return;
        }
        let key = (group.to_string(), topic.to_string());
        let c = self.groups.entry(key).or_default().clone();
        c.get_nums.fetch_add(count, Ordering::Relaxed);
        c.get_size.fetch_add(bytes, Ordering::Relaxed);
        c.get_nums_item.add(count, 1);
        c.get_size_item.add(bytes, 1);
        self.broker_get_item.add(count, 1);
    }

    /// How long one store get took (`getMessageEntireTimeMax`).
    pub fn record_get_latency(&self, elapsed_ms: i64) {
        self.get_entire_time_max
            .fetch_max(elapsed_ms, Ordering::Relaxed);
    }

    /// Forgets a deleted topic's counters (Java `onTopicDeleted`).
    pub fn on_topic_deleted(&self, topic: &str) {
        self.topics.remove(topic);
        self.groups.retain(|(_, t), _| t != topic);
    }

    /// Forgets a deleted group's counters (Java `onGroupDeleted`).
    pub fn on_group_deleted(&self, group: &str) {
        self.groups.retain(|(g, _), _| g != group);
    }

    pub fn put_total(&self) -> u64 {
        self.put_times.load(Ordering::Relaxed)
    }

    pub fn get_transferred_total(&self) -> u64 {
        self.get_transferred.load(Ordering::Relaxed)
    }

    /// Messages put to one topic since boot.
    pub fn topic_put_nums(&self, topic: &str) -> u64 {
        self.topics
            .get(topic)
            .map(|c| c.put_nums.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Java `tpsGroupGetNums`: messages per second a group pulled from a topic over the last
    /// minute of 10-second samples.
    pub fn group_get_tps(&self, group: &str, topic: &str) -> f64 {
        let Some(c) = self
            .groups
            .get(&(group.to_string(), topic.to_string()))
            .map(|c| c.clone())
        else {
            return 0.0;
        };
        let snaps = lock(&c.snapshots);
        match (snaps.front(), snaps.back()) {
            (Some(first), Some(last)) => tps(first.1 as i64, first.0, last.1 as i64, last.0),
            _ => 0.0,
        }
    }

    /// Takes the one-second snapshot; every 10th also samples the group counters; every 60th
    /// rolls the latency histograms; a new day shifts the morning marks.
    pub fn sample(&self, now: i64) {
        let snap = Snapshot {
            at_ms: now,
            put: self.put_times.load(Ordering::Relaxed),
            found: self.get_found.load(Ordering::Relaxed),
            miss: self.get_miss.load(Ordering::Relaxed),
            transferred: self.get_transferred.load(Ordering::Relaxed),
        };
        let count = {
            let mut s = lock(&self.snapshots);
            // A clock that went back would give negative spans: skip until it catches up.
            if s.back().is_some_and(|last| last.at_ms >= now) {
                return;
            }
            s.push_back(snap);
            while s.len() > MAX_SNAPSHOTS {
                s.pop_front();
            }
            s.len()
        };
        if count % 10 == 1 {
            for entry in self.groups.iter() {
                let c = entry.value();
                let mut s = lock(&c.snapshots);
                s.push_back((now, c.get_nums.load(Ordering::Relaxed)));
                while s.len() > GROUP_SNAPSHOTS {
                    s.pop_front();
                }
            }
        }
        self.sample_items(now);
        if count % 60 == 0 {
            let mut l = lock(&self.latency);
            let n = l.current.len();
            l.last = std::mem::replace(&mut l.current, vec![0; n]);
            l.last_distribute = std::mem::take(&mut l.distribute);
        }
        let today = now.div_euclid(86_400_000);
        let mut d = lock(&self.day);
        if today != d.day {
            d.day = today;
            d.put_yesterday_morning = d.put_today_morning;
            d.get_yesterday_morning = d.get_today_morning;
            d.put_today_morning = snap.put;
            d.get_today_morning = snap.transferred;
        }
    }

    /// Samples every `StatsItem` whose windows are due.
    fn sample_items(&self, now: i64) {
        self.broker_put_item.sample(now);
        self.broker_get_item.sample(now);
        for t in self.topics.iter() {
            t.put_nums_item.sample(now);
            t.put_size_item.sample(now);
        }
        for g in self.groups.iter() {
            g.get_nums_item.sample(now);
            g.get_size_item.sample(now);
        }
    }

    /// One `BrokerStatsManager` stats item's windows (VIEW_BROKER_STATS_DATA), `None` when
    /// nothing was counted under that name and key yet. Keys as Java: the topic for
    /// TOPIC_PUT_*, `topic@group` for GROUP_GET_*; BROKER_PUT/GET_NUMS have the one item
    /// (the caller checks Java's cluster-name key).
    pub fn stats_data(&self, name: &str, key: &str) -> Option<BrokerStatsData> {
        let of = |item: &StatsItem| BrokerStatsData {
            stats_minute: item.window(StatsWindow::Minute),
            stats_hour: item.window(StatsWindow::Hour),
            stats_day: item.window(StatsWindow::Day),
        };
        match name {
            "TOPIC_PUT_NUMS" => self.topics.get(key).map(|t| of(&t.put_nums_item)),
            "TOPIC_PUT_SIZE" => self.topics.get(key).map(|t| of(&t.put_size_item)),
            "GROUP_GET_NUMS" | "GROUP_GET_SIZE" => {
                let (topic, group) = key.split_once('@')?;
                let g = self.groups.get(&(group.to_string(), topic.to_string()))?;
                Some(if name == "GROUP_GET_NUMS" {
                    of(&g.get_nums_item)
                } else {
                    of(&g.get_size_item)
                })
            }
            "BROKER_PUT_NUMS" => self
                .broker_put_item
                .touched()
                .then(|| of(&self.broker_put_item)),
            "BROKER_GET_NUMS" => self
                .broker_get_item
                .touched()
                .then(|| of(&self.broker_get_item)),
            _ => None,
        }
    }

    /// "tps10 tps60 tps600": each figure Java's `Double.toString`, empty while the history is
    /// too short, every figure followed by a space except the last.
    fn tps_triplet(&self, pick: impl Fn(&Snapshot) -> u64) -> String {
        let s = lock(&self.snapshots);
        let mut out = String::new();
        for (i, secs) in [10usize, 60, 600].into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if s.len() > secs {
                if let (Some(before), Some(last)) = (s.get(s.len() - secs - 1), s.back()) {
                    out.push_str(&java_double(tps(
                        pick(before) as i64,
                        before.at_ms,
                        pick(last) as i64,
                        last.at_ms,
                    )));
                }
            }
        }
        out
    }

    fn total_tps(&self) -> String {
        let s = lock(&self.snapshots);
        let figures: Vec<String> = [10usize, 60, 600]
            .into_iter()
            .map(|secs| {
                let v = match (s.len() > secs, s.back()) {
                    (true, Some(last)) => s
                        .get(s.len() - secs - 1)
                        .map(|b| {
                            tps(b.found as i64, b.at_ms, last.found as i64, last.at_ms)
                                + tps(b.miss as i64, b.at_ms, last.miss as i64, last.at_ms)
                        })
                        .unwrap_or(0.0),
                    _ => 0.0,
                };
                java_double(v)
            })
            .collect();
        figures.join(" ")
    }

    /// Java `findPutMessageEntireTimePX` over the last full minute's buckets.
    fn put_latency_px(&self, px: f64) -> f64 {
        let l = lock(&self.latency);
        let total: u64 = l.last.iter().sum();
        let px_index = (total as f64 * px) as u64;
        let mut passed = 0u64;
        for (i, (&bound, &count)) in l.bounds.iter().zip(&l.last).enumerate() {
            if px_index <= passed + count {
                let rel = (px_index - passed) as f64;
                let frac = if count == 0 { 0.0 } else { rel / count as f64 };
                return match i.checked_sub(1).and_then(|p| l.bounds.get(p)) {
                    None => bound as f64 * frac,
                    Some(&prev) => prev as f64 + (bound.saturating_sub(prev)) as f64 * frac,
                };
            }
            passed += count;
        }
        0.0
    }

    /// The keys `StoreStatsService.getRuntimeInfo` and `BrokerStats` contribute, formatted
    /// as Java formats them.
    pub fn runtime_info(&self, now: i64, out: &mut Vec<(String, String)>) {
        let total_times = self.put_total().max(1);
        let size = self.put_size.load(Ordering::Relaxed);
        let runtime = {
            let t = (now - self.boot_ms).max(0) / 1000;
            format!(
                "[ {} days, {} hours, {} minutes, {} seconds ]",
                t / 86_400,
                (t % 86_400) / 3600,
                (t % 3600) / 60,
                t % 60
            )
        };
        let distribute = {
            let l = lock(&self.latency);
            let mut s = String::new();
            for (desc, n) in DISTRIBUTE_DESC.iter().zip(l.last_distribute) {
                s.push_str(&format!("{desc}:{n} "));
            }
            s
        };
        let day = *lock(&self.day);
        let mut put = |k: &str, v: String| out.push((k.to_string(), v));
        put("bootTimestamp", self.boot_ms.to_string());
        put("runtime", runtime);
        put(
            "putMessageEntireTimeMax",
            self.put_entire_time_max.load(Ordering::Relaxed).to_string(),
        );
        put("putMessageTimesTotal", total_times.to_string());
        put(
            "putMessageFailedTimes",
            self.put_failed.load(Ordering::Relaxed).to_string(),
        );
        put("putMessageSizeTotal", size.to_string());
        put("putMessageDistributeTime", distribute);
        put(
            "putMessageAverageSize",
            java_double(size as f64 / total_times as f64),
        );
        put("dispatchMaxBuffer", "0".to_string());
        put(
            "getMessageEntireTimeMax",
            self.get_entire_time_max.load(Ordering::Relaxed).to_string(),
        );
        put("putTps", self.tps_triplet(|s| s.put));
        put("getFoundTps", self.tps_triplet(|s| s.found));
        put("getMissTps", self.tps_triplet(|s| s.miss));
        put("getTotalTps", self.total_tps());
        put("getTransferedTps", self.tps_triplet(|s| s.transferred));
        put("putLatency99", format!("{:.2}", self.put_latency_px(0.99)));
        put(
            "putLatency999",
            format!("{:.2}", self.put_latency_px(0.999)),
        );
        put(
            "msgPutTotalYesterdayMorning",
            day.put_yesterday_morning.to_string(),
        );
        put("msgPutTotalTodayMorning", day.put_today_morning.to_string());
        put("msgPutTotalTodayNow", self.put_total().to_string());
        put(
            "msgGetTotalYesterdayMorning",
            day.get_yesterday_morning.to_string(),
        );
        put("msgGetTotalTodayMorning", day.get_today_morning.to_string());
        put(
            "msgGetTotalTodayNow",
            self.get_transferred_total().to_string(),
        );
    }
}

/// Samples every second until `shutdown` (Java's StoreStatsService thread).
pub async fn run_sampling(stats: Arc<BrokerStats>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => stats.sample(now_ms()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(stats: &BrokerStats, now: i64) -> std::collections::HashMap<String, String> {
        let mut v = Vec::new();
        stats.runtime_info(now, &mut v);
        v.into_iter().collect()
    }

    #[test]
    fn tps_figures_appear_as_history_grows() {
        let s = BrokerStats::new(0);
        for sec in 1..=60 {
            s.record_put("T", 2, 200);
            s.record_get("g", "T", sec % 2 == 0, if sec % 2 == 0 { 1 } else { 0 }, 10);
            s.sample(sec * 1000);
        }
        let i = info(&s, 61_000);
        // 10 s: 20 puts in 10 s; 60 s: 120 puts in 60 s; no 10-minute figure yet.
        assert_eq!(i["putTps"], "2.0 2.0 ");
        assert_eq!(i["getFoundTps"], "0.5 0.5 ");
        assert_eq!(i["getMissTps"], "0.5 0.5 ");
        assert_eq!(i["getTotalTps"], "1.0 1.0 0.0");
        assert_eq!(i["getTransferedTps"], "0.5 0.5 ");
        assert_eq!(i["msgPutTotalTodayNow"], "120");
        assert_eq!(i["msgGetTotalTodayNow"], "30");
        assert_eq!(i["putMessageSizeTotal"], "12000");
        assert_eq!(i["putMessageAverageSize"], "100.0");
        assert_eq!(i["runtime"], "[ 0 days, 0 hours, 1 minutes, 1 seconds ]");
        assert!(s.group_get_tps("g", "T") > 0.0);
        assert_eq!(s.group_get_tps("other", "T"), 0.0);
    }

    #[test]
    fn latency_histogram_and_percentiles() {
        let s = BrokerStats::new(0);
        for _ in 0..99 {
            s.record_put_latency(0);
        }
        s.record_put_latency(30);
        for sec in 1..=60 {
            s.sample(sec * 1000);
        }
        let i = info(&s, 60_000);
        assert!(
            i["putMessageDistributeTime"].starts_with("[<=0ms]:99 [0~10ms]:0 [10~50ms]:1 "),
            "{}",
            i["putMessageDistributeTime"]
        );
        assert_eq!(i["putMessageEntireTimeMax"], "30");
        assert_eq!(i["putLatency99"], "1.00");
    }

    #[test]
    fn day_rollover_moves_morning_marks() {
        let s = BrokerStats::new(0);
        s.record_put("T", 5, 5);
        s.sample(86_400_000 + 1);
        let i = info(&s, 86_400_001);
        assert_eq!(i["msgPutTotalTodayMorning"], "5");
        assert_eq!(i["msgPutTotalYesterdayMorning"], "0");
    }
}
