//! Which client of a consumer group owns which queue for orderly consumption (Java
//! `RebalanceLockManager`). A lock lives `lockMaxLiveTime` (Java system property
//! `rocketmq.broker.rebalance.lockMaxLiveTime`, default 60 s) after its owner last locked it;
//! an orderly consumer re-locks its queues every 20 s, which refreshes the lock. An expired lock
//! goes to the next client asking for it.

use crate::protocol::body::MessageQueue;
use std::collections::HashMap;
use std::sync::Mutex;

/// Java's default `rocketmq.broker.rebalance.lockMaxLiveTime`.
pub const DEFAULT_LOCK_MAX_LIVE_TIME_MS: i64 = 60_000;

/// The name of Java's system property (read here from the environment variable of the same
/// name, or `ROCKETMQ_BROKER_REBALANCE_LOCKMAXLIVETIME`).
pub const LOCK_MAX_LIVE_TIME_PROPERTY: &str = "rocketmq.broker.rebalance.lockMaxLiveTime";

#[derive(Debug, Clone)]
struct LockEntry {
    client_id: String,
    last_update_ms: i64,
}

impl LockEntry {
    fn is_expired(&self, now_ms: i64, max_live_ms: i64) -> bool {
        now_ms - self.last_update_ms > max_live_ms
    }

    fn is_locked_by(&self, client_id: &str, now_ms: i64, max_live_ms: i64) -> bool {
        self.client_id == client_id && !self.is_expired(now_ms, max_live_ms)
    }
}

pub struct RebalanceLockManager {
    max_live_ms: i64,
    /// group -> queue -> owner.
    table: Mutex<HashMap<String, HashMap<MessageQueue, LockEntry>>>,
}

impl Default for RebalanceLockManager {
    fn default() -> Self {
        RebalanceLockManager::new(lock_max_live_time_from_env())
    }
}

/// `lockMaxLiveTime` from the environment, Java's default when unset or not a number.
fn lock_max_live_time_from_env() -> i64 {
    [
        LOCK_MAX_LIVE_TIME_PROPERTY,
        "ROCKETMQ_BROKER_REBALANCE_LOCKMAXLIVETIME",
    ]
    .iter()
    .find_map(|k| std::env::var(k).ok()?.trim().parse::<i64>().ok())
    .unwrap_or(DEFAULT_LOCK_MAX_LIVE_TIME_MS)
}

impl RebalanceLockManager {
    pub fn new(max_live_ms: i64) -> RebalanceLockManager {
        RebalanceLockManager {
            max_live_ms,
            table: Mutex::new(HashMap::new()),
        }
    }

    pub fn max_live_ms(&self) -> i64 {
        self.max_live_ms
    }

    fn table(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<MessageQueue, LockEntry>>> {
        // Every update is a single insert/remove/field write: the table stays consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Java `tryLockBatch`: locks what is free, expired or already ours (refreshing it), and
    /// returns the queues `client_id` now holds: first those it already held, then the newly
    /// locked, each in request order (the caller puts them in Java's set order).
    pub fn try_lock_batch(
        &self,
        group: &str,
        mqs: &[MessageQueue],
        client_id: &str,
        now_ms: i64,
    ) -> Vec<MessageQueue> {
        let max_live = self.max_live_ms;
        let mut table = self.table();
        let queues = table.entry(group.to_string()).or_default();
        let mut held = Vec::new();
        let mut not_held = Vec::new();
        for mq in mqs {
            match queues.get_mut(mq) {
                Some(e) if e.is_locked_by(client_id, now_ms, max_live) => {
                    e.last_update_ms = now_ms;
                    held.push(mq.clone());
                }
                _ => not_held.push(mq),
            }
        }
        for mq in not_held {
            let entry = queues.entry(mq.clone()).or_insert_with(|| LockEntry {
                client_id: client_id.to_string(),
                last_update_ms: now_ms,
            });
            if entry.is_locked_by(client_id, now_ms, max_live) {
                entry.last_update_ms = now_ms;
                held.push(mq.clone());
            } else if entry.is_expired(now_ms, max_live) {
                tracing::info!(
                    group,
                    old = %entry.client_id,
                    new = client_id,
                    ?mq,
                    "message queue lock expired, given to another client"
                );
                entry.client_id = client_id.to_string();
                entry.last_update_ms = now_ms;
                held.push(mq.clone());
            } else {
                tracing::debug!(group, owner = %entry.client_id, client_id, ?mq, "queue locked by another client");
            }
        }
        held
    }

    /// Java `unlockBatch`: releases the queues `client_id` owns; others' locks stay.
    pub fn unlock_batch(&self, group: &str, mqs: &[MessageQueue], client_id: &str) {
        let mut table = self.table();
        let Some(queues) = table.get_mut(group) else {
            return;
        };
        for mq in mqs {
            if queues.get(mq).is_some_and(|e| e.client_id == client_id) {
                queues.remove(mq);
            }
        }
    }

    /// The owner of a queue if its lock is live (tests, diagnostics).
    pub fn owner(&self, group: &str, mq: &MessageQueue, now_ms: i64) -> Option<String> {
        self.table()
            .get(group)
            .and_then(|q| q.get(mq))
            .filter(|e| !e.is_expired(now_ms, self.max_live_ms))
            .map(|e| e.client_id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(queue_id: i32) -> MessageQueue {
        MessageQueue {
            topic: "T".into(),
            broker_name: "b".into(),
            queue_id,
        }
    }

    #[test]
    fn contention_expiry_refresh_and_unlock() {
        let m = RebalanceLockManager::new(60_000);
        let all = [mq(0), mq(1)];
        assert_eq!(m.try_lock_batch("g", &all[..1], "A", 1_000), vec![mq(0)]);
        // B gets only the free queue.
        assert_eq!(m.try_lock_batch("g", &all, "B", 2_000), vec![mq(1)]);
        // Another group is independent.
        assert_eq!(m.try_lock_batch("g2", &all, "B", 2_000), all.to_vec());
        // A refreshes queue 0 at 50 s: still A's at 100 s (50 s after the refresh).
        assert_eq!(m.try_lock_batch("g", &all[..1], "A", 50_000), vec![mq(0)]);
        assert!(m.try_lock_batch("g", &all[..1], "B", 100_000).is_empty());
        // 60 s is the limit itself: expired only strictly after.
        assert!(m.try_lock_batch("g", &all[..1], "B", 110_000).is_empty());
        assert_eq!(m.try_lock_batch("g", &all[..1], "B", 110_001), vec![mq(0)]);
        assert_eq!(m.owner("g", &mq(0), 110_001).as_deref(), Some("B"));
        // Unlock by a non-owner does nothing; by the owner frees the queue.
        m.unlock_batch("g", &all, "A");
        assert_eq!(m.owner("g", &mq(0), 110_002).as_deref(), Some("B"));
        m.unlock_batch("g", &all[..1], "B");
        assert_eq!(m.owner("g", &mq(0), 110_002), None);
        assert_eq!(m.try_lock_batch("g", &all[..1], "A", 110_003), vec![mq(0)]);
        // Already-held queues come first, then the newly locked.
        m.unlock_batch("g", &all, "B");
        assert_eq!(
            m.try_lock_batch("g", &[mq(1), mq(0)], "A", 110_004),
            vec![mq(0), mq(1)]
        );
    }
}
