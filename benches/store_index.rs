//! Throughput of the derived store files: ConsumeQueue puts, IndexFile builds and queries, and
//! writing a large topics.json. Prints figures; asserts nothing about time.
//!
//! `cargo bench --bench store_index`

/// Temp dirs removed on drop, as the integration tests make them (one definition).
#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;
use support::TempDir;

use ferrocket::store::consume_queue::{ConsumeQueueStore, DEFAULT_CONSUME_QUEUE_FILE_SIZE};
use ferrocket::store::dispatch::{CommitLogDispatcher, DispatchRequest};
use ferrocket::store::index::{IndexConfig, IndexService};
use ferrocket::store::metadata::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};

fn main() {
    let tmp = TempDir::new("bench-store-index");
    let dir = tmp.path();

    // ConsumeQueue: 1,000,000 records over 16 queues of one topic.
    let cqs = ConsumeQueueStore::new(dir.join("consumequeue"), DEFAULT_CONSUME_QUEUE_FILE_SIZE);
    let n: i64 = 1_000_000;
    let mut req = DispatchRequest {
        topic: "BenchTopic".into(),
        msg_size: 300,
        success: true,
        ..Default::default()
    };
    let mut next = [0i64; 16];
    let start = Instant::now();
    for i in 0..n {
        let q = (i % 16) as usize;
        req.queue_id = q as i32;
        req.commit_log_offset = i * 300;
        req.consume_queue_offset = next[q];
        req.tags_code = i;
        next[q] += 1;
        cqs.dispatch(&req);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "consume queue put: {n} units in {secs:.3} s = {:.0} units/s",
        n as f64 / secs
    );

    let start = Instant::now();
    let mut read = 0usize;
    for q in cqs.topic_queues("BenchTopic") {
        let mut at = 0;
        while let Some(run) = q.units_from(at) {
            let run = run.truncated(32);
            read += run.iter().count();
            at += run.len() as i64;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "consume queue read (32-unit pulls): {read} units in {secs:.3} s = {:.0} units/s",
        read as f64 / secs
    );

    // IndexFile: 200,000 records, each with a uniq key and one KEYS word.
    let index = IndexService::new(dir.join("index"), IndexConfig::default());
    let records: i64 = 200_000;
    let start = Instant::now();
    for i in 0..records {
        index.dispatch(&DispatchRequest {
            topic: "BenchTopic".into(),
            commit_log_offset: i * 300,
            msg_size: 300,
            store_timestamp: 1_795_000_000_000 + i,
            keys: format!("order-{i}"),
            uniq_key: format!("FD00000000000000000000000000000{i:025X}"),
            success: true,
            ..Default::default()
        });
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "index build: {} keys in {secs:.3} s = {:.0} keys/s",
        records * 2,
        (records * 2) as f64 / secs
    );
    let start = Instant::now();
    let queries = 50_000;
    let mut found = 0;
    for i in 0..queries {
        found += index
            .query_offsets(
                "BenchTopic",
                &format!("order-{}", (i * 7) % records),
                32,
                0,
                i64::MAX,
            )
            .phy_offsets
            .len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "index query: {queries} lookups ({found} hits) in {secs:.3} s = {:.0} lookups/s",
        queries as f64 / secs
    );

    // topics.json with 10,000 topics.
    let wrapper = TopicConfigSerializeWrapper {
        topic_config_table: (0..10_000)
            .map(|i| {
                (
                    format!("Topic{i}"),
                    TopicConfig::new(format!("Topic{i}"), 8, 8, 6),
                )
            })
            .collect(),
        data_version: DataVersion::default(),
    };
    let start = Instant::now();
    let text = ferrocket::fastjson::encode_pretty(&wrapper);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "topics.json encode: 10000 topics, {} bytes in {:.1} ms",
        text.len(),
        secs * 1000.0
    );
    let start = Instant::now();
    let back: TopicConfigSerializeWrapper = ferrocket::fastjson::decode(&text).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "topics.json decode: {} topics in {:.1} ms",
        back.topic_config_table.len(),
        secs * 1000.0
    );
}
