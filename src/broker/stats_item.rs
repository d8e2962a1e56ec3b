//! Java's `StatsItem`: a counter (value and number of increments) with three sliding windows
//! of snapshots — every 10 s over the last minute, every 10 min over the last hour, every hour
//! over the last day — from which VIEW_BROKER_STATS_DATA reports sum, tps and average per
//! increment (`BrokerStatsData`). Increments are two atomic adds; sampling takes a lock.

use crate::protocol::body::BrokerStatsItem;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The three windows: (sampling period in ms, snapshots kept), as Java's `csListMinute`
/// (7 × 10 s), `csListHour` (7 × 10 min) and `csListDay` (25 × 1 h).
const WINDOWS: [(i64, usize); 3] = [(10_000, 7), (600_000, 7), (3_600_000, 25)];

/// Which window of a [`StatsItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsWindow {
    Minute = 0,
    Hour = 1,
    Day = 2,
}

#[derive(Debug, Clone, Copy)]
struct CallSnapshot {
    at_ms: i64,
    value: u64,
    times: u64,
}

#[derive(Default)]
pub struct StatsItem {
    value: AtomicU64,
    times: AtomicU64,
    windows: Mutex<[VecDeque<CallSnapshot>; 3]>,
}

impl StatsItem {
    /// Adds `value` in `times` increments (Java `addValue(inc, num)`).
    pub fn add(&self, value: u64, times: u64) {
        self.value.fetch_add(value, Ordering::Relaxed);
        self.times.fetch_add(times, Ordering::Relaxed);
    }

    /// Whether anything was ever counted (Java creates the item on its first increment).
    pub fn touched(&self) -> bool {
        self.times.load(Ordering::Relaxed) > 0
    }

    pub fn value(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    /// Takes the snapshots that are due at `now` (each window samples once per period; the
    /// first sample of a window is preceded by a zero snapshot one period earlier, as Java).
    pub fn sample(&self, now: i64) {
        let snap = CallSnapshot {
            at_ms: now,
            value: self.value.load(Ordering::Relaxed),
            times: self.times.load(Ordering::Relaxed),
        };
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        for (list, (period, keep)) in windows.iter_mut().zip(WINDOWS) {
            match list.back() {
                None => list.push_back(CallSnapshot {
                    at_ms: now - period,
                    value: 0,
                    times: 0,
                }),
                Some(last) if now - last.at_ms < period => continue,
                Some(_) => {}
            }
            list.push_back(snap);
            while list.len() > keep {
                list.pop_front();
            }
        }
    }

    /// Java `computeStatsData` over one window: sum and tps between its first and last
    /// snapshots, and the average value per increment.
    pub fn window(&self, which: StatsWindow) -> BrokerStatsItem {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let list = &windows[which as usize];
        let (Some(first), Some(last)) = (list.front(), list.back()) else {
            return BrokerStatsItem {
                sum: 0,
                tps: 0.0,
                avgpt: 0.0,
            };
        };
        let sum = last.value.wrapping_sub(first.value) as i64;
        let span = last.at_ms - first.at_ms;
        // Java divides by zero here (NaN); a window always spans a period, so span > 0.
        let tps = if span > 0 {
            sum as f64 * 1000.0 / span as f64
        } else {
            0.0
        };
        let times = last.times.wrapping_sub(first.times) as i64;
        let avgpt = if times > 0 {
            sum as f64 / times as f64
        } else {
            0.0
        };
        BrokerStatsItem { sum, tps, avgpt }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_javas_sampling() {
        let item = StatsItem::default();
        let t0 = 1_000_000_000;
        // Before any sample: zeros.
        assert_eq!(item.window(StatsWindow::Minute).sum, 0);
        for _ in 0..5 {
            item.add(2, 1);
        }
        item.sample(t0);
        let m = item.window(StatsWindow::Minute);
        assert_eq!((m.sum, m.tps, m.avgpt), (10, 1.0, 2.0));
        let h = item.window(StatsWindow::Hour);
        assert_eq!(h.sum, 10);
        assert!((h.tps - 10.0 / 600.0).abs() < 1e-12);
        let d = item.window(StatsWindow::Day);
        assert!((d.tps - 10.0 / 3600.0).abs() < 1e-12);
        // Samples within a period are ignored; the minute window keeps 7 snapshots.
        item.add(4, 1);
        item.sample(t0 + 5_000);
        assert_eq!(item.window(StatsWindow::Minute).sum, 10);
        for i in 1..=10 {
            item.sample(t0 + i * 10_000);
        }
        // The last 7 minute snapshots all see 14: nothing happened in the last minute.
        let m = item.window(StatsWindow::Minute);
        assert_eq!((m.sum, m.tps, m.avgpt), (0, 0.0, 0.0));
        // The hour window has its zero snapshot and one at t0 only.
        assert_eq!(item.window(StatsWindow::Hour).sum, 10);
    }
}
