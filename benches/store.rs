//! Store benchmarks (run with `cargo bench --bench store`): append throughput for 128 B and
//! 1 KiB bodies with ASYNC_FLUSH (one appending thread, into the page cache) and SYNC_FLUSH
//! (1 and 8 appending threads, group commit), then crash and clean recovery speed. Works in a
//! temp dir under /tmp and removes it.

/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::TempDir;

use bytes::Bytes;
use ferrocket::store::config::{FlushDiskType, MessageStoreConfig};
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::message_store::MessageStore;

fn config(root: &std::path::Path, flush: FlushDiskType) -> MessageStoreConfig {
    let mut c = MessageStoreConfig::with_root(root);
    c.flush_disk_type = flush;
    // Smaller index files keep the bench from touching 400 MB of index per run.
    c.max_hash_slot_num = 500_000;
    c.max_index_num = 2_000_000;
    c
}

fn message(body: &Bytes, i: u64) -> MessageExtBrokerInner {
    let mut m = MessageExtBrokerInner::new("BenchTopic", (i % 8) as i32, body.clone());
    m.properties_string = "TAGS\u{1}TagA\u{2}WAIT\u{1}true".to_string();
    m.born_timestamp = 1_795_421_000_000;
    m
}

/// CPU time of the calling thread: the machine is shared, so wall time alone says little about
/// what one core can do.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: fills the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// (voluntary, involuntary) context switches of the calling thread so far.
fn thread_switches() -> (i64, i64) {
    // SAFETY: fills the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    (ru.ru_nvcsw as i64, ru.ru_nivcsw as i64)
}

fn append_async(body_len: usize, total_bytes: u64) -> (TempDir, u64) {
    let d = TempDir::new(&format!("bench-async{body_len}"));
    let store = MessageStore::open(config(d.path(), FlushDiskType::AsyncFlush)).unwrap();
    let body = Bytes::from(vec![b'x'; body_len]);
    let record = message(&body, 0).record_len() as u64;
    let n = total_bytes / record;
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let switches_start = thread_switches();
    for i in 0..n {
        let r = store.put_message(message(&body, i));
        debug_assert!(r.is_ok());
    }
    let cpu = thread_cpu_time() - cpu_start;
    let switches = thread_switches();
    println!(
        "  appender context switches: {} voluntary (blocked), {} involuntary (preempted)",
        switches.0 - switches_start.0,
        switches.1 - switches_start.1
    );
    let elapsed = start.elapsed();
    report(
        &format!("append {body_len:>5} B, ASYNC_FLUSH, 1 thread"),
        n,
        n * record,
        elapsed,
    );
    report("  same, per CPU second of the appender", n, n * record, cpu);
    store.wait_dispatched(Duration::from_secs(60));
    store.shutdown();
    (d, n * record)
}

fn append_sync(body_len: usize, threads: usize, per_thread: u64) {
    let d = TempDir::new(&format!("bench-sync{body_len}-{threads}"));
    let store = MessageStore::open(config(d.path(), FlushDiskType::SyncFlush)).unwrap();
    let body = Bytes::from(vec![b'x'; body_len]);
    let record = message(&body, 0).record_len() as u64;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = Arc::clone(&store);
            let body = body.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let r = store.put_message(message(&body, i + t as u64));
                    assert!(r.is_ok(), "{:?}", r.status);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed();
    let n = per_thread * threads as u64;
    report(
        &format!("append {body_len:>5} B, SYNC_FLUSH, {threads} threads"),
        n,
        n * record,
        elapsed,
    );
    store.shutdown();
}

fn report(what: &str, n: u64, bytes: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{what:<40} {n:>9} msgs in {secs:>7.3} s: {:>11.0} msgs/s, {:>8.1} MB/s ({:.2} GB/s)",
        n as f64 / secs,
        bytes as f64 / secs / 1e6,
        bytes as f64 / secs / 1e9
    );
}

fn recovery(d: &TempDir, bytes: u64) {
    // Crash recovery: walk + CRC + re-dispatch of everything (checkpoint moved back to 0).
    std::fs::write(d.path().join("abort"), b"").unwrap();
    std::fs::write(d.path().join("checkpoint"), vec![0u8; 4096]).unwrap();
    let start = Instant::now();
    let store = MessageStore::open(config(d.path(), FlushDiskType::AsyncFlush)).unwrap();
    let open = start.elapsed();
    let r = store.recovery_report().clone();
    println!(
        "crash recovery of {:.0} MB: scan+CRC+dispatch {:.2} GB/s ({} records in {:.3} s), open total {:.3} s",
        bytes as f64 / 1e6,
        r.gb_per_second(),
        r.records,
        r.elapsed.as_secs_f64(),
        open.as_secs_f64()
    );
    store.shutdown();
    drop(store);
    // Clean recovery: walk + CRC of the last three files, no dispatch.
    let store = MessageStore::open(config(d.path(), FlushDiskType::AsyncFlush)).unwrap();
    let r = store.recovery_report().clone();
    println!(
        "clean recovery: scan+CRC {:.2} GB/s ({} records, {:.0} MB in {:.3} s)",
        r.gb_per_second(),
        r.records,
        r.scanned_bytes as f64 / 1e6,
        r.elapsed.as_secs_f64()
    );
    store.shutdown();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let volume: u64 = if quick { 64 << 20 } else { 512 << 20 };
    let (d128, _) = append_async(128, volume / 2);
    drop(d128);
    let (d1k, bytes) = append_async(1024, volume);
    if std::env::args().any(|a| a == "--async-only") {
        return;
    }
    recovery(&d1k, bytes);
    drop(d1k);
    let per_thread = if quick { 500 } else { 5_000 };
    append_sync(128, 1, per_thread);
    append_sync(1024, 1, per_thread);
    append_sync(1024, 8, per_thread);
}
