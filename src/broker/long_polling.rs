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
//! (the remoting server runs a connection's requests concurrently). Only where the store
//! notifies nobody (a slave, as in Java) does a parked pull look at the queue every 5 s. A pull parked just after a
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

/// What to park: a pull of `topic`/`queue_id` at `offset`.
pub struct ParkedPull<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub offset: i64,
    /// Decides which arriving messages wake it.
    pub subscription: Arc<SubscriptionData>,
    /// How long it may wait.
    pub timeout: Duration,
    /// Where no notification comes (a slave's store notifies nobody, as Java's), look at the
    /// max offset this often, as Java's hold service does every 5 s.
    pub recheck: Option<Duration>,
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

    /// Parks a pull until a message it can take arrives, its time is up, or shutdown.
    /// `max_offset` reads the queue's current max offset (the race check after parking and the
    /// periodic re-check).
    pub async fn hold(&self, pull: ParkedPull<'_>, max_offset: impl Fn() -> i64) -> Wake {
        let ParkedPull {
            topic,
            queue_id,
            offset,
            subscription,
            timeout,
            recheck,
        } = pull;
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
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rx = rx;
        let wake = loop {
            let next = match recheck {
                Some(every) => deadline.min(tokio::time::Instant::now() + every),
                None => deadline,
            };
            tokio::select! {
                woken = &mut rx => break match woken {
                    Ok(()) => Wake::Arrived,
                    // The sender is only dropped by shutdown.
                    Err(_) => Wake::Shutdown,
                },
                _ = tokio::time::sleep_until(next) => {
                    if max_offset() > offset {
                        break Wake::Arrived;
                    }
                    if next >= deadline {
                        break Wake::TimedOut;
                    }
                }
                _ = self.shutdown.cancelled() => break Wake::Shutdown,
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(expr: &str) -> Arc<SubscriptionData> {
        Arc::new(SubscriptionData::from_tag_expression("T", expr, 0))
    }

    fn park(
        topic: &str,
        queue_id: i32,
        offset: i64,
        subscription: Arc<SubscriptionData>,
        timeout_ms: u64,
        recheck: Option<Duration>,
    ) -> ParkedPull<'_> {
        ParkedPull {
            topic,
            queue_id,
            offset,
            subscription,
            timeout: Duration::from_millis(timeout_ms),
            recheck,
        }
    }

    async fn parked_then(holds: &Arc<PullHoldService>, n: usize) {
        while holds.parked() != n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn arrival_past_the_offset_with_a_matching_tag_wakes_only_that_pull() {
        let holds = Arc::new(PullHoldService::new());
        let tag_a = crate::java::java_string_hash("TagA") as i64;
        let tag_c = crate::java::java_string_hash("TagC") as i64;
        let spawn = |offset: i64, expr: &str, queue: i32| {
            let holds = holds.clone();
            let s = sub(expr);
            tokio::spawn(async move {
                holds
                    .hold(park("T", queue, offset, s, 60_000, None), || 0)
                    .await
            })
        };
        let a = spawn(3, "TagA", 0);
        let star = spawn(5, "*", 0);
        let other_queue = spawn(3, "*", 1);
        parked_then(&holds, 3).await;
        // A TagC message: the TagA pull stays; the `*` pull at 5 is not passed by offset 4.
        holds.notify_message_arriving("T", 0, 4, Some(tag_c));
        assert_eq!(holds.parked(), 3);
        holds.notify_message_arriving("T", 0, 4, Some(tag_a));
        assert_eq!(a.await.unwrap(), Wake::Arrived);
        assert_eq!(holds.parked(), 2);
        holds.notify_message_arriving("U", 0, 100, None);
        holds.notify_message_arriving("T", 0, 6, Some(tag_c));
        assert_eq!(star.await.unwrap(), Wake::Arrived);
        assert_eq!(holds.parked(), 1);
        holds.shutdown();
        assert_eq!(other_queue.await.unwrap(), Wake::Shutdown);
        assert_eq!(holds.parked(), 0);
    }

    #[tokio::test]
    async fn timeout_and_late_race_check() {
        let holds = PullHoldService::new();
        let wake = holds.hold(park("T", 0, 1, sub("*"), 10, None), || 1).await;
        assert_eq!(wake, Wake::TimedOut);
        assert_eq!(holds.parked(), 0);
        // The queue already passed the offset when parking: no wait at all.
        let wake = holds
            .hold(park("T", 0, 1, sub("*"), 60_000, None), || 2)
            .await;
        assert_eq!(wake, Wake::Arrived);
        assert_eq!(holds.parked(), 0);
        // Without notifications, the periodic re-check finds the new message.
        let max = std::sync::atomic::AtomicI64::new(1);
        let recheck = Some(Duration::from_millis(5));
        let (wake, ()) = tokio::join!(
            holds.hold(park("T", 0, 1, sub("*"), 60_000, recheck), || max
                .load(Ordering::SeqCst)),
            async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                max.store(2, Ordering::SeqCst);
            }
        );
        assert_eq!(wake, Wake::Arrived);
        holds.shutdown();
        let wake = holds
            .hold(park("T", 0, 1, sub("*"), 60_000, None), || 0)
            .await;
        assert_eq!(wake, Wake::Shutdown);
    }
}
