//! Crash safety: a child process (this test binary re-executed with STORE_CRASH_DIR set) appends
//! with SYNC_FLUSH (then ASYNC_FLUSH) from two threads and prints every acknowledged offset; the parent SIGKILLs it at
//! a random point, reopens the store (crash recovery, `abort` present) and checks that every
//! acknowledged message is there and intact and that every queue's offsets are contiguous. Six
//! rounds on the same store, each continuing where the last one was killed.

mod store_support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrocket::store::commit_log::PutMessageStatus;
use ferrocket::store::config::{FlushDiskType, MessageStoreConfig};
use ferrocket::store::message::record::StoredRecord;
use ferrocket::store::message::MessageExtBrokerInner;
use ferrocket::store::message_store::{GetMessageStatus, MessageStore};
use store_support::TempDir;

const QUEUES: i32 = 4;

fn config(root: &std::path::Path) -> MessageStoreConfig {
    config_with(root, FlushDiskType::SyncFlush)
}

fn config_with(root: &std::path::Path, flush: FlushDiskType) -> MessageStoreConfig {
    let mut c = MessageStoreConfig::with_root(root);
    c.mapped_file_size_commit_log = 256 * 1024;
    c.mapped_file_size_consume_queue = 20 * 256;
    c.max_hash_slot_num = 1000;
    c.max_index_num = 4000;
    c.flush_disk_type = flush;
    c
}

fn body(round: u32, thread: u32, k: u64) -> Vec<u8> {
    let seed = format!("r{round}-t{thread}-k{k}|");
    let len = 40 + (k as usize * 37 + thread as usize * 101) % 900;
    seed.bytes().cycle().take(len).collect()
}

/// The writer run by the child process; does nothing in a normal test run.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var("STORE_CRASH_DIR") else {
        return;
    };
    let round: u32 = std::env::var("STORE_CRASH_ROUND").unwrap().parse().unwrap();
    // Rounds 4 and 5 append with ASYNC_FLUSH: many more appends in flight when the kill lands,
    // so torn tails are likelier; a process kill keeps the page cache, so acks must survive too.
    let flush = if round >= 4 {
        FlushDiskType::AsyncFlush
    } else {
        FlushDiskType::SyncFlush
    };
    let store = MessageStore::open(config_with(std::path::Path::new(&dir), flush)).unwrap();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "OPEN {}", store.max_phy_offset()).unwrap();
        out.flush().unwrap();
    }
    let threads: Vec<_> = (0..2u32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for k in 0u64.. {
                    let queue_id = ((k + t as u64) % QUEUES as u64) as i32;
                    let mut m = MessageExtBrokerInner::new(
                        "Crash",
                        queue_id,
                        Bytes::from(body(round, t, k)),
                    );
                    m.properties_string = format!("KEYS\u{1}r{round}-t{t}-k{k}");
                    let r = store.put_message(m);
                    if r.status == PutMessageStatus::PutOk {
                        let a = r.append.unwrap();
                        let mut out = std::io::stdout().lock();
                        writeln!(
                            out,
                            "ACK {round} {t} {k} {queue_id} {} {} {}",
                            a.wrote_offset, a.wrote_bytes, a.logics_offset
                        )
                        .unwrap();
                        out.flush().unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[derive(Debug, Clone)]
struct Ack {
    round: u32,
    thread: u32,
    k: u64,
    queue_id: i32,
    phy: i64,
    size: i32,
    queue_offset: i64,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut it = line.strip_prefix("ACK ")?.split(' ');
    Some(Ack {
        round: it.next()?.parse().ok()?,
        thread: it.next()?.parse().ok()?,
        k: it.next()?.parse().ok()?,
        queue_id: it.next()?.parse().ok()?,
        phy: it.next()?.parse().ok()?,
        size: it.next()?.parse().ok()?,
        queue_offset: it.next()?.parse().ok()?,
    })
}

struct Rng(u64);
impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[test]
fn killed_writer_loses_no_acknowledged_message() {
    let tmp = TempDir::new("crash");
    let exe = std::env::current_exe().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let mut acks: Vec<Ack> = Vec::new();

    for round in 0..6u32 {
        let kill_after = if round >= 4 {
            1000 + rng.next(20_000) as usize
        } else {
            30 + rng.next(400) as usize
        };
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STORE_CRASH_DIR", tmp.path())
            .env("STORE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut round_acks = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while round_acks < kill_after {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("child acks in time");
            if let Some(a) = parse_ack(&line) {
                acks.push(a);
                round_acks += 1;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        // Acks printed before the kill took effect still count.
        for line in rx.try_iter() {
            if let Some(a) = parse_ack(&line) {
                acks.push(a);
            }
        }
        assert!(
            tmp.path().join("abort").exists(),
            "a killed store leaves abort behind"
        );

        let store = MessageStore::open(config(tmp.path())).unwrap();
        let report = store.recovery_report().clone();
        assert!(report.abnormal);
        println!(
            "round {round}: {} acks so far, recovery {report:?}",
            acks.len()
        );
        assert!(store.wait_dispatched(Duration::from_secs(10)));

        // Every acknowledged message, intact, where the ack said.
        for a in &acks {
            let slice = store
                .look_message_by_offset(a.phy)
                .unwrap_or_else(|| panic!("acked {a:?} missing"));
            let rec = StoredRecord::decode(&slice).unwrap();
            assert_eq!(rec.total_size, a.size);
            assert!(rec.crc_ok());
            assert_eq!(rec.body, &body(a.round, a.thread, a.k)[..], "{a:?}");
            assert_eq!(rec.queue_id, a.queue_id);
            assert_eq!(rec.queue_offset, a.queue_offset);
            let got = store.get_message("Crash", a.queue_id, a.queue_offset, 1, None);
            assert_eq!(got.status, GetMessageStatus::Found, "{a:?}");
            assert_eq!(got.messages[0].start_offset(), a.phy);
        }
        // Every queue: offsets 0..max all readable, in order, no gap, no duplicate.
        let mut acked_per_queue: HashMap<i32, i64> = HashMap::new();
        for a in &acks {
            let e = acked_per_queue.entry(a.queue_id).or_default();
            *e = (*e).max(a.queue_offset + 1);
        }
        let mut seen_phy = BTreeMap::new();
        for q in 0..QUEUES {
            let max = store.max_offset_in_queue("Crash", q);
            assert!(max >= acked_per_queue.get(&q).copied().unwrap_or(0));
            let mut off = 0;
            while off < max {
                let got = store.get_message("Crash", q, off, 32, None);
                assert_eq!(
                    got.status,
                    GetMessageStatus::Found,
                    "queue {q} offset {off} of {max}"
                );
                for s in &got.messages {
                    let rec = StoredRecord::decode(s).unwrap();
                    assert_eq!(rec.queue_offset, off);
                    assert!(rec.crc_ok());
                    assert!(seen_phy.insert(s.start_offset(), q).is_none());
                    off += 1;
                }
            }
        }
        // New appends continue each queue without a gap.
        let r = store.put_message(MessageExtBrokerInner::new(
            "Crash",
            0,
            Bytes::from_static(b"between rounds"),
        ));
        assert_eq!(
            r.append.unwrap().logics_offset,
            store_max_before(&acked_per_queue, &seen_phy)
        );
        store.shutdown();
        drop(store);
        assert!(!tmp.path().join("abort").exists());
    }
}

/// Queue 0's next offset: the number of queue-0 records seen.
fn store_max_before(_acked: &HashMap<i32, i64>, seen: &BTreeMap<i64, i32>) -> i64 {
    seen.values().filter(|&&q| q == 0).count() as i64
}
