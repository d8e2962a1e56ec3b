//! CommitLog flushing (Java `FlushRealTimeService` and `GroupCommitService`) on one dedicated
//! thread.
//!
//! * ASYNC_FLUSH: every `flushIntervalCommitLog` ms (or when woken, with `flushCommitLogTimed =
//!   false`) flush if `flushCommitLogLeastPages` pages are dirty; everything every
//!   `flushCommitLogThoroughInterval` ms.
//! * SYNC_FLUSH, group commit: an appender registers the offset it needs durable and waits on a
//!   condition variable (nanosecond deadline, no tick); the flusher wakes, `msync`s everything
//!   written so far (which covers every waiter that arrived meanwhile: one flush, many waiters),
//!   then wakes them all. A waiter not served within `syncFlushTimeout` gets FLUSH_DISK_TIMEOUT.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::checkpoint::Checkpoint;
use super::config::{FlushDiskType, MessageStoreConfig};
use super::mapped_file_queue::MappedFileQueue;

#[derive(Debug, Clone)]
pub struct FlushSettings {
    pub mode: FlushDiskType,
    pub interval: Duration,
    pub least_pages: usize,
    pub thorough_interval: Duration,
    pub timed: bool,
    pub sync_timeout: Duration,
}

impl FlushSettings {
    pub fn from_config(c: &MessageStoreConfig) -> FlushSettings {
        FlushSettings {
            mode: c.flush_disk_type,
            interval: Duration::from_millis(c.flush_interval_commit_log.max(1) as u64),
            least_pages: c.flush_commit_log_least_pages.max(0) as usize,
            thorough_interval: Duration::from_millis(
                c.flush_commit_log_thorough_interval.max(0) as u64
            ),
            timed: c.flush_commit_log_timed,
            sync_timeout: Duration::from_millis(c.sync_flush_timeout.max(0) as u64),
        }
    }
}

#[derive(Default)]
struct State {
    /// Highest offset an appender asked to be durable.
    requested: i64,
    /// An append happened (async, untimed mode).
    woken: bool,
    stop: bool,
}

struct Shared {
    queue: Arc<MappedFileQueue>,
    checkpoint: Option<Arc<Checkpoint>>,
    settings: FlushSettings,
    state: Mutex<State>,
    /// The flusher waits here for work.
    work: Condvar,
    /// Appenders wait here for their offset.
    done: Condvar,
    failing: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note_store_timestamp(&self) {
        if let Some(cp) = &self.checkpoint {
            let ts = self.queue.store_timestamp();
            if ts > 0 {
                cp.set_physic_msg_timestamp(ts);
            }
        }
    }

    fn flush(&self, least_pages: usize) {
        let result = if least_pages == 0 {
            self.queue.flush_all()
        } else {
            self.queue.flush(least_pages)
        };
        match result {
            Ok(_) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("commitlog flush works again");
                }
            }
            Err(e) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %e, "commitlog flush failed");
                }
            }
        }
        self.note_store_timestamp();
    }
}

/// The CommitLog's flush thread and the group-commit waiting room.
pub struct FlushService {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl FlushService {
    pub fn new(
        queue: Arc<MappedFileQueue>,
        checkpoint: Option<Arc<Checkpoint>>,
        settings: FlushSettings,
    ) -> FlushService {
        FlushService {
            shared: Arc::new(Shared {
                queue,
                checkpoint,
                settings,
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                done: Condvar::new(),
                failing: AtomicBool::new(false),
            }),
            thread: Mutex::new(None),
        }
    }

    pub fn mode(&self) -> FlushDiskType {
        self.shared.settings.mode
    }

    /// Starts the flush thread (idempotent).
    pub fn start(&self) -> std::io::Result<()> {
        let mut slot = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        let name = match shared.settings.mode {
            FlushDiskType::SyncFlush => "commitlog-group-commit",
            FlushDiskType::AsyncFlush => "commitlog-flush",
        };
        *slot = Some(
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || match shared.settings.mode {
                    FlushDiskType::SyncFlush => run_group_commit(&shared),
                    FlushDiskType::AsyncFlush => run_async(&shared),
                })?,
        );
        Ok(())
    }

    /// After an append that does not wait: lets an untimed async flusher know there is work.
    pub fn wakeup(&self) {
        if self.shared.settings.mode == FlushDiskType::AsyncFlush && !self.shared.settings.timed {
            self.shared.lock().woken = true;
            self.shared.work.notify_one();
        }
    }

    /// Blocks until everything below `offset` is flushed; false after `syncFlushTimeout`.
    pub fn wait_flushed(&self, offset: i64) -> bool {
        let shared = &self.shared;
        if shared.queue.flushed_where() >= offset {
            return true;
        }
        let deadline = Instant::now() + shared.settings.sync_timeout;
        let mut state = shared.lock();
        if state.requested < offset {
            state.requested = offset;
        }
        shared.work.notify_one();
        loop {
            if shared.queue.flushed_where() >= offset {
                return true;
            }
            if state.stop {
                return shared.queue.flushed_where() >= offset;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = shared
                .done
                .wait_timeout(state, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Stops the thread after a last full flush.
    pub fn shutdown(&self) {
        self.shared.lock().stop = true;
        self.shared.work.notify_all();
        self.shared.done.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
        self.shared.flush(0);
    }
}

impl Drop for FlushService {
    fn drop(&mut self) {
        let running = self.thread.lock().map(|t| t.is_some()).unwrap_or(false);
        if running {
            self.shutdown();
        }
    }
}

fn run_group_commit(shared: &Shared) {
    loop {
        {
            let mut state = shared.lock();
            while !state.stop && state.requested <= shared.queue.flushed_where() {
                state = shared
                    .work
                    .wait_timeout(state, Duration::from_millis(10))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            if state.stop {
                break;
            }
        }
        // Everything written so far, which covers every appender waiting now.
        shared.flush(0);
        let _state = shared.lock();
        shared.done.notify_all();
        if shared.failing.load(Ordering::Relaxed) {
            // Do not spin on a failing disk; waiters time out and report FLUSH_DISK_TIMEOUT.
            drop(_state);
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    shared.flush(0);
    let _state = shared.lock();
    shared.done.notify_all();
}

fn run_async(shared: &Shared) {
    let settings = &shared.settings;
    let mut last_thorough = Instant::now();
    loop {
        {
            let mut state = shared.lock();
            let deadline = Instant::now() + settings.interval;
            // Timed: sleep the interval; untimed: sleep until an append wakes us (or the interval).
            let woken_untimed = |s: &State| s.woken && !settings.timed;
            while !state.stop && !woken_untimed(&state) {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                state = shared
                    .work
                    .wait_timeout(state, deadline - now)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            state.woken = false;
            if state.stop {
                break;
            }
        }
        let mut least_pages = settings.least_pages;
        if last_thorough.elapsed() >= settings.thorough_interval {
            last_thorough = Instant::now();
            least_pages = 0;
        }
        shared.flush(least_pages);
    }
    shared.flush(0);
}
