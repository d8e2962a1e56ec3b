//! The rate limiter: a token bucket on an absolute schedule, so it does not drift.
//!
//! Rules (the rate test counts on them):
//! - Token `k` (0-based, counted in messages) is due at `start + k / rate` exactly; the
//!   schedule is kept in integer "ns × rate" units, so no rounding accumulates however long
//!   the run.
//! - A caller asking for `n` tokens (a batch) takes the next `n` slots and waits until the
//!   first is due.
//! - The bucket holds at most `burst` tokens: a caller arriving when the schedule has fallen
//!   more than `burst / rate` behind the clock moves the schedule forward to `now - burst/rate`,
//!   and the tokens jumped over are *dropped* (counted in [`Pacer::dropped`]), never sent late.
//! - With a deadline `T`, a request whose first slot is due at or after `start + T` is refused.
//!
//! - Once a request is refused at the deadline, the tokens due before it that were never taken
//!   count as dropped too.
//!
//! Hence in a run of `T` seconds at rate `R`, `sent + dropped = ceil(R × T)` tokens, exactly
//! (when every request takes one token; a batch granted just before the deadline may take up
//! to `batch - 1` more); `dropped` stays 0 unless the machine stalls for more than `burst / R`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const NANOS: u128 = 1_000_000_000;

/// A shared pacer; `acquire` from any number of tasks.
#[derive(Debug)]
pub struct Pacer {
    start: Instant,
    rate: u128,
    burst: u128,
    /// Schedule position in "ns × rate" units since `start`: when the next token is due.
    state: Mutex<PacerState>,
}

#[derive(Debug, Default)]
struct PacerState {
    next: u128,
    dropped: u64,
}

impl Pacer {
    /// A pacer of `rate` tokens per second (> 0) letting up to `burst` tokens (>= 1) through at
    /// once after a stall. The first token is due at `start`.
    pub fn new(rate: u64, burst: u64, start: Instant) -> Pacer {
        Pacer {
            start,
            rate: rate.max(1) as u128,
            burst: burst.max(1) as u128,
            state: Mutex::new(PacerState::default()),
        }
    }

    /// The burst a bench uses by default: 10 ms worth of tokens, at least one.
    pub fn default_burst(rate: u64) -> u64 {
        (rate / 100).max(1)
    }

    /// Takes `n` tokens; returns when their first one is due. `None` if it would be due at or
    /// after `deadline` (measured from the start): the run is over.
    pub async fn acquire(&self, n: u64, deadline: Option<Duration>) -> Option<()> {
        let due = self.reserve(n, Instant::now(), deadline)?;
        tokio::time::sleep_until(due.into()).await;
        Some(())
    }

    /// The bookkeeping of [`acquire`](Self::acquire) at time `now`, without sleeping: the
    /// instant the reserved tokens are due.
    pub fn reserve(&self, n: u64, now: Instant, deadline: Option<Duration>) -> Option<Instant> {
        let now_units = now.saturating_duration_since(self.start).as_nanos() * self.rate;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut slot = state.next;
        let earliest = now_units.saturating_sub(self.burst * NANOS);
        if slot < earliest {
            // Skip ahead on the grid: the tokens jumped over are lost, as in a full bucket.
            slot = earliest - (earliest - slot) % NANOS;
        }
        let due_nanos = slot.div_ceil(self.rate);
        if let Some(deadline) = deadline {
            let deadline_nanos = deadline.as_nanos();
            if due_nanos >= deadline_nanos {
                // The run is over. Tokens due before the deadline that nobody took are
                // dropped, counted once: move the schedule to the first token past it.
                let end = self.first_slot_at_or_after(deadline_nanos);
                if state.next < end {
                    state.dropped += ((end - state.next) / NANOS) as u64;
                    state.next = end;
                }
                return None;
            }
        }
        state.dropped += ((slot - state.next) / NANOS) as u64;
        state.next = slot + n as u128 * NANOS;
        drop(state);
        Some(self.start + Duration::from_nanos(due_nanos.min(u64::MAX as u128) as u64))
    }

    /// The schedule position of the first token due at or after `nanos` from the start.
    fn first_slot_at_or_after(&self, nanos: u128) -> u128 {
        // Token k is due at ceil(k * NANOS / rate) ns; the first with that >= nanos.
        let k = match nanos {
            0 => 0,
            _ => (nanos - 1) * self.rate / NANOS + 1,
        };
        k * NANOS
    }

    /// Tokens dropped because the clock ran ahead of the schedule by more than the burst.
    pub fn dropped(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_exact_and_bounded_by_the_deadline() {
        let start = Instant::now();
        let pacer = Pacer::new(3, 1, start);
        let deadline = Some(Duration::from_secs(1));
        // Asking at `start` every time: slots 0, 1/3 s, 2/3 s, then the deadline refuses.
        let dues: Vec<_> = std::iter::from_fn(|| pacer.reserve(1, start, deadline))
            .map(|due| due - start)
            .collect();
        assert_eq!(
            dues,
            vec![
                Duration::ZERO,
                Duration::from_nanos(333_333_334),
                Duration::from_nanos(666_666_667)
            ]
        );
        assert_eq!(pacer.dropped(), 0);
    }

    #[test]
    fn no_drift_over_many_tokens() {
        let start = Instant::now();
        let pacer = Pacer::new(7, 1_000_000, start);
        let mut last = start;
        for _ in 0..700_001u64 {
            last = pacer.reserve(1, start, None).unwrap();
        }
        // Token 700 000 is due at exactly 100 000 s.
        assert_eq!(last - start, Duration::from_secs(100_000));
    }

    #[test]
    fn a_stall_beyond_the_burst_drops_tokens_and_keeps_the_grid() {
        let start = Instant::now();
        let pacer = Pacer::new(1000, 10, start);
        // Slot 0, then the next ask comes 1 s later: 999 tokens were due, 10 may burst, 989
        // are dropped.
        assert!(pacer.reserve(1, start, None).is_some());
        let now = start + Duration::from_secs(1);
        let due = pacer.reserve(1, now, None).unwrap();
        assert_eq!(due - start, Duration::from_millis(990));
        assert_eq!(pacer.dropped(), 989);
        // The burst goes through at once, then the grid continues.
        for ms in 991..=1000 {
            assert_eq!(
                pacer.reserve(1, now, None).unwrap() - start,
                Duration::from_millis(ms)
            );
        }
        assert_eq!(
            pacer.reserve(1, now, None).unwrap() - start,
            Duration::from_millis(1001)
        );
        // sent + dropped = tokens due up to the last slot.
        assert_eq!(1 + 11 + 1 + pacer.dropped(), 1002);
    }

    #[test]
    fn late_callers_at_the_deadline_account_for_every_token() {
        let start = Instant::now();
        let deadline = Some(Duration::from_secs(1));
        let pacer = Pacer::new(2000, 20, start);
        // 1990 tokens taken on time, then everyone is busy until 1.05 s.
        for _ in 0..1990 {
            assert!(pacer.reserve(1, start, deadline).is_some());
        }
        let late = start + Duration::from_millis(1050);
        assert_eq!(pacer.reserve(1, late, deadline), None);
        assert_eq!(pacer.reserve(1, late, deadline), None);
        assert_eq!(1990 + pacer.dropped(), 2000);

        // Behind by less than the burst at the deadline: the rest still goes out (late).
        let pacer = Pacer::new(2000, 20, start);
        for _ in 0..1990 {
            assert!(pacer.reserve(1, start, deadline).is_some());
        }
        let slightly_late = start + Duration::from_millis(1002);
        let mut sent = 1990;
        while pacer.reserve(1, slightly_late, deadline).is_some() {
            sent += 1;
        }
        assert_eq!((sent, pacer.dropped()), (2000, 0));
        assert_eq!(pacer.first_slot_at_or_after(1_000_000_000), 2000 * NANOS);
        assert_eq!(
            Pacer::new(3, 1, start).first_slot_at_or_after(1_000_000_000),
            3 * NANOS
        );
        assert_eq!(
            Pacer::new(3, 1, start).first_slot_at_or_after(333_333_334),
            NANOS
        );
        assert_eq!(Pacer::new(3, 1, start).first_slot_at_or_after(0), 0);
    }

    #[test]
    fn batches_take_n_slots() {
        let start = Instant::now();
        let pacer = Pacer::new(100, 1, start);
        assert_eq!(
            pacer.reserve(10, start, None).unwrap() - start,
            Duration::ZERO
        );
        assert_eq!(
            pacer.reserve(10, start, None).unwrap() - start,
            Duration::from_millis(100)
        );
    }
}
