//! Long polling of PULL_MESSAGE (Java `PullRequestHoldService` + `NotifyMessageArrivingListener`).
//!
//! A pull that finds nothing new and carries the SUSPEND flag is parked here, keyed by
//! topic and queue, instead of being answered PULL_NOT_FOUND at once. The store's reput thread
//! reports every dispatched message ([`PullHoldService::notify_message_arriving`]); a parked
//! pull whose offset the queue has now passed and whose subscription takes the message's tags
//! code is woken and re-run. Otherwise it is re-run when its suspend time is up.
//!
//! Unlike Java there is no 5-second re-check thread: each parked pull waits on its own
//! notification or timer, in the task of its own request, so it never blocks the connection
//! (the remoting server runs a connection's requests concurrently). A pull parked just after a
//! message was dispatched would miss that notification, so [`PullHoldService::hold`] looks at
//! the queue's max offset once more after parking.

use crate::protocol::heartbeat::SubscriptionData;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Why a parked pull stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// A message it can take arrived: re-run the pull.
    Arrived,
    /// Its suspend time is up: re-run the pull and answer whatever it finds.
    TimedOut,
    /// The broker is shutting down: do not answer (Java drops held requests too).
    Shutdown,
}

/// One parked pull.
struct Waiter {
    id: u64,
    /// The queue offset the pull asked for: it wakes once the queue's max offset passes it.
    pull_from_offset: i64,
    subscription: Arc<SubscriptionData>,
    wake: oneshot::Sender<()>,
}

/// Parked pulls by topic, then queue id (looked up by `&str`: no allocation per message).
type HoldTable = HashMap<String, HashMap<i32, Vec<Waiter>>>;

/// The parked pulls of every queue.
#[derive(Default)]
pub struct PullHoldService {
    table: Mutex<HoldTable>,
    next_id: AtomicU64,
    shutdown: CancellationToken,
}

impl PullHoldService {
    pub fn new() -> PullHoldService {
        PullHoldService::default()
    }

    fn lock(&self) -> MutexGuard<'_, HoldTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks a pull of `topic`/`queue_id` at `offset` for up to `timeout`. `max_offset` reads
    /// the queue's current max offset (the race check after parking).
    pub async fn hold(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        subscription: Arc<SubscriptionData>,
        timeout: Duration,
        max_offset: impl FnOnce() -> i64,
    ) -> Wake {
        if self.shutdown.is_cancelled() {
            return Wake::Shutdown;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock()
            .entry(topic.to_string())
            .or_default()
            .entry(queue_id)
            .or_default()
            .push(Waiter {
                id,
                pull_from_offset: offset,
                subscription,
                wake: tx,
            });
        // A message dispatched between the pull and the parking notified nobody.
        if max_offset() > offset {
            self.remove(topic, queue_id, id);
            return Wake::Arrived;
        }
        let wake = tokio::select! {
            woken = rx => match woken {
                Ok(()) => Wake::Arrived,
                // The sender is only dropped by shutdown.
                Err(_) => Wake::Shutdown,
            },
            _ = tokio::time::sleep(timeout) => Wake::TimedOut,
            _ = self.shutdown.cancelled() => Wake::Shutdown,
        };
        if wake != Wake::Arrived {
            self.remove(topic, queue_id, id);
        }
        wake
    }

    fn remove(&self, topic: &str, queue_id: i32, id: u64) {
        let mut table = self.lock();
        let Some(queues) = table.get_mut(topic) else {
            return;
        };
        if let Some(waiters) = queues.get_mut(&queue_id) {
            waiters.retain(|w| w.id != id);
            if waiters.is_empty() {
                queues.remove(&queue_id);
            }
        }
        if queues.is_empty() {
            table.remove(topic);
        }
    }

    /// A message was dispatched to `topic`/`queue_id`; `max_offset` is the queue's offset after
    /// it. Wakes the pulls it satisfies (Java `notifyMessageArriving`): those below `max_offset`
    /// whose subscription takes `tags_code` (`None`: any). Called from the store's reput
    /// thread: only a map lookup and channel sends.
    pub fn notify_message_arriving(
        &self,
        topic: &str,
        queue_id: i32,
        max_offset: i64,
        tags_code: Option<i64>,
    ) {
        let mut table = self.lock();
        let Some(queues) = table.get_mut(topic) else {
            return;
        };
        let Some(waiters) = queues.get_mut(&queue_id) else {
            return;
        };
        let mut kept = Vec::with_capacity(waiters.len());
        for w in waiters.drain(..) {
            let matched = max_offset > w.pull_from_offset
                && tags_code.is_none_or(|code| w.subscription.matches_tags_code(code));
            if matched {
                let _ = w.wake.send(());
            } else if !w.wake.is_closed() {
                kept.push(w);
            }
        }
        if kept.is_empty() {
            queues.remove(&queue_id);
            if queues.is_empty() {
                table.remove(topic);
            }
        } else {
            *waiters = kept;
        }
    }

    /// Number of pulls parked now.
    pub fn parked(&self) -> usize {
        self.lock()
            .values()
            .flat_map(|q| q.values())
            .map(Vec::len)
            .sum()
    }

    /// Releases every parked pull (they answer nothing) and refuses new ones.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
        self.lock().clear();
    }
}
