//! Waiting for slaves (Java `HAService.GroupTransferService` + `push2SlaveMaxOffset`): a
//! SYNC_MASTER send parks here until some slave has acknowledged its end offset.
//!
//! One ordered waiter list keyed by offset; each acknowledgement that raises the high-water mark
//! releases every waiter at or below it in one pass. Waiters are oneshot channels awaited on the
//! async reactor, so a parked send holds neither a thread nor a lock, and other sends proceed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// The acknowledged high-water mark and the sends waiting for it to pass their offsets.
#[derive(Debug)]
pub struct ReplicaWaiters {
    /// The highest offset any slave acknowledged (Java `push2SlaveMaxOffset`; never goes down).
    acked: AtomicI64,
    next_id: AtomicU64,
    /// (end offset, id) -> the waiter's wake-up.
    waiters: Mutex<BTreeMap<(i64, u64), oneshot::Sender<()>>>,
}

impl Default for ReplicaWaiters {
    fn default() -> Self {
        ReplicaWaiters {
            acked: AtomicI64::new(0),
            next_id: AtomicU64::new(0),
            waiters: Mutex::new(BTreeMap::new()),
        }
    }
}

impl ReplicaWaiters {
    pub fn acked(&self) -> i64 {
        self.acked.load(Ordering::Acquire)
    }

    /// Raises the high-water mark to `offset` (if higher) and releases the waiters it covers
    /// (Java `notifyTransferSome`).
    pub fn advance(&self, offset: i64) {
        let before = self.acked.fetch_max(offset, Ordering::AcqRel);
        if offset <= before {
            return;
        }
        let released = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            let rest = waiters.split_off(&(offset.saturating_add(1), 0));
            std::mem::replace(&mut *waiters, rest)
        };
        for (_, tx) in released {
            let _ = tx.send(());
        }
    }

    /// Waits until the high-water mark reaches `offset`; false after `timeout`.
    pub async fn wait_for(&self, offset: i64, timeout: Duration) -> bool {
        if self.acked() >= offset {
            return true;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let rx = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
            // Re-checked under the lock: `advance` raises the mark before taking it, so either
            // it sees this waiter or this check sees its mark.
            if self.acked() >= offset {
                return true;
            }
            let (tx, rx) = oneshot::channel();
            waiters.insert((offset, id), tx);
            rx
        };
        match tokio::time::timeout(timeout, rx).await {
            Ok(_) => true,
            Err(_) => {
                self.waiters
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&(offset, id));
                self.acked() >= offset
            }
        }
    }

    /// Sends parked right now (for tests and stats).
    pub fn waiting(&self) -> usize {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn an_ack_releases_exactly_the_waiters_it_covers() {
        let w = Arc::new(ReplicaWaiters::default());
        let spawn = |offset: i64| {
            let w = w.clone();
            tokio::spawn(async move { w.wait_for(offset, Duration::from_secs(30)).await })
        };
        let (a, b, c) = (spawn(100), spawn(200), spawn(300));
        while w.waiting() < 3 {
            tokio::task::yield_now().await;
        }
        w.advance(200);
        assert!(a.await.unwrap());
        assert!(b.await.unwrap());
        assert_eq!(w.waiting(), 1, "the waiter at 300 is still parked");
        w.advance(150); // lower: ignored
        assert_eq!(w.acked(), 200);
        w.advance(300);
        assert!(c.await.unwrap());
        assert!(
            w.wait_for(250, Duration::from_millis(1)).await,
            "already acked"
        );
    }

    #[tokio::test]
    async fn a_waiter_times_out_and_is_removed() {
        let w = ReplicaWaiters::default();
        assert!(!w.wait_for(10, Duration::from_millis(50)).await);
        assert_eq!(w.waiting(), 0);
    }
}
