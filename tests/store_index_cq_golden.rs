//! ConsumeQueues against the golden Java 4.9.7 stores: every unit as the manifest lists it,
//! recovery's max physical offset, search by time, and a rebuild from the CommitLog records
//! that must produce Java's files byte for byte.

mod store_support;
use store_support::{dispatch_request, extract_golden, i64_of, STORES};

use std::collections::HashMap;

use ferrocket::store::consume_queue::{ConsumeQueueStore, CqUnit, DEFAULT_CONSUME_QUEUE_FILE_SIZE};
use ferrocket::store::dispatch::CommitLogDispatcher;

#[test]
fn golden_consume_queues_match_manifest() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_consume_queues_match_manifest")
    else {
        return;
    };
    let mut units_checked = 0;
    for name in STORES {
        let (_tmp, root, manifest) = extract_golden(&golden, name, "cq-manifest");
        let store =
            ConsumeQueueStore::new(root.join("consumequeue"), DEFAULT_CONSUME_QUEUE_FILE_SIZE);
        store.load().unwrap();
        let max_phy = store.recover();
        let expected_queues = manifest["consumequeue"].as_array().unwrap();
        assert_eq!(
            store.queues().len(),
            expected_queues.len(),
            "{name}: queue count"
        );
        let mut expected_max_phy = -1;
        for q in expected_queues {
            let topic = q["topic"].as_str().unwrap();
            let queue_id = i64_of(&q["queueId"]) as i32;
            let cq = store
                .find(topic, queue_id)
                .unwrap_or_else(|| panic!("{name}: {topic}-{queue_id} missing"));
            let entries = q["entries"].as_array().unwrap();
            assert_eq!(cq.min_offset_in_queue(), 0, "{name} {topic}-{queue_id}");
            assert_eq!(
                cq.max_offset_in_queue(),
                entries.len() as i64,
                "{name} {topic}-{queue_id}"
            );
            for e in entries {
                let e = e.as_array().unwrap();
                let unit = cq.unit_at(i64_of(&e[0])).unwrap();
                let expected = CqUnit {
                    commit_log_offset: i64_of(&e[1]),
                    size: i64_of(&e[2]) as i32,
                    tags_code: i64_of(&e[3]),
                };
                assert_eq!(unit, expected, "{name} {topic}-{queue_id} @{}", e[0]);
                expected_max_phy =
                    expected_max_phy.max(expected.commit_log_offset + expected.size as i64);
                units_checked += 1;
            }
            // A pull reads a run of units straight from the mapping, capped at the count asked.
            let run = cq.units_from(0).unwrap();
            assert_eq!(run.len(), entries.len());
            let capped = run.truncated(2);
            assert_eq!(capped.len(), entries.len().min(2));
            assert_eq!(capped.bytes().len(), capped.len() * 20);
            assert!(cq.units_from(entries.len() as i64).is_none());
            assert_eq!(cq.last_commit_log_end(), {
                let last = entries.last().unwrap().as_array().unwrap();
                i64_of(&last[1]) + i64_of(&last[2])
            });
        }
        assert_eq!(
            max_phy, expected_max_phy,
            "{name}: recovered max physical offset"
        );
        assert_eq!(store.max_physical_offset(), expected_max_phy);
    }
    assert!(
        units_checked >= 80 + 595 + 40 + 40,
        "checked {units_checked}"
    );
}

/// Dispatching Java's CommitLog records, in order, into an empty store produces Java's
/// ConsumeQueue files byte for byte (file names, sizes, every byte).
#[test]
fn golden_consume_queue_rebuild_is_byte_identical() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_consume_queue_rebuild_is_byte_identical")
    else {
        return;
    };
    for name in STORES {
        let (_tmp, root, manifest) = extract_golden(&golden, name, "cq-rebuild");
        let rebuilt = root.parent().unwrap().join("rebuilt-consumequeue");
        let store = ConsumeQueueStore::new(&rebuilt, DEFAULT_CONSUME_QUEUE_FILE_SIZE);
        // crash-master was killed before its last record was dispatched: feed what Java put.
        let java_max: i64 = manifest["consumequeue"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|q| q["entries"].as_array().unwrap().iter())
            .map(|e| i64_of(&e[1]) + i64_of(&e[2]))
            .max()
            .unwrap();
        for record in manifest["commitlog"].as_array().unwrap() {
            if i64_of(&record["commitLogOffset"]) < java_max {
                store.dispatch(&dispatch_request(record));
            }
        }
        assert!(!store.is_logics_queue_error());
        let mut compared = 0;
        for q in manifest["consumequeue"].as_array().unwrap() {
            let topic = q["topic"].as_str().unwrap();
            let queue_id = i64_of(&q["queueId"]);
            for f in q["files"].as_array().unwrap() {
                let rel = format!("{topic}/{queue_id}/{}", f["name"].as_str().unwrap());
                let java = std::fs::read(root.join("consumequeue").join(&rel)).unwrap();
                let ours = std::fs::read(rebuilt.join(&rel))
                    .unwrap_or_else(|e| panic!("{name}: {rel}: {e}"));
                assert_eq!(ours.len(), java.len(), "{name}: {rel}");
                let diff = ours.iter().zip(&java).position(|(a, b)| a != b);
                assert_eq!(diff, None, "{name}: {rel}: first differing byte");
                compared += 1;
            }
        }
        // No extra queues either (transaction half/op records go where Java put them).
        let ours_queues = store.queues().len();
        assert_eq!(ours_queues, compared, "{name}: queue count");
    }
}

/// SEARCH_OFFSET_BY_TIMESTAMP over GoldenPull-0 (5 records): exact store times give their
/// offsets; times in between give the nearer neighbour; before/after give the ends.
#[test]
fn golden_offset_by_time() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_offset_by_time") else {
        return;
    };
    let (_tmp, root, manifest) = extract_golden(&golden, "main-master", "cq-bytime");
    let store = ConsumeQueueStore::new(root.join("consumequeue"), DEFAULT_CONSUME_QUEUE_FILE_SIZE);
    store.load().unwrap();
    store.recover();
    let times: HashMap<i64, i64> = manifest["commitlog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (i64_of(&r["commitLogOffset"]), i64_of(&r["storeTimestamp"])))
        .collect();
    let cq = store.find("GoldenPull", 0).unwrap();
    let store_times: Vec<i64> = (0..cq.max_offset_in_queue())
        .map(|i| times[&cq.unit_at(i).unwrap().commit_log_offset])
        .collect();
    assert_eq!(store_times.len(), 5);
    let lookup =
        |ts: i64| cq.offset_by_time(ts, 0, |off, _size| times.get(&off).copied().unwrap_or(-1));
    for (i, t) in store_times.iter().enumerate() {
        assert_eq!(lookup(*t), i as i64, "exact time of offset {i}");
    }
    assert_eq!(lookup(store_times[0] - 1_000_000), 0);
    assert_eq!(lookup(store_times[4] + 1_000_000), 4);
    // Just after record 1: nearer to 1 than to 2.
    if store_times[2] - store_times[1] > 2 {
        assert_eq!(lookup(store_times[1] + 1), 1);
        assert_eq!(lookup(store_times[2] - 1), 2);
    }
    // The CommitLog no longer has the probed record: Java answers 0.
    assert_eq!(cq.offset_by_time(store_times[3], 0, |_, _| -1), 0);
}
