//! The IndexFile against the golden Java 4.9.7 stores: every header field, slot head and entry
//! as the manifest lists them, key queries, and a rebuild from the CommitLog records that must
//! produce Java's bytes.

mod store_support;
use store_support::{dispatch_request, extract_golden, i64_of, STORES};

use std::path::Path;

use ferrocket::store::index::{
    IndexConfig, IndexService, HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_HEADER_SIZE,
};

fn read_range(path: &Path, from: u64, len: usize) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).unwrap();
    f.seek(SeekFrom::Start(from)).unwrap();
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn golden_index_files_match_manifest() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_index_files_match_manifest")
    else {
        return;
    };
    let mut checked_entries = 0;
    for name in STORES {
        let (_tmp, root, manifest) = extract_golden(&golden, name, "idx-manifest");
        let service = IndexService::new(root.join("index"), IndexConfig::default());
        service.load(true, 0).unwrap();
        let expected_files = manifest["index"].as_array().unwrap();
        service.with_files(|files| {
            assert_eq!(
                files.len(),
                expected_files.len(),
                "{name}: index file count"
            );
            for (file, expected) in files.iter().zip(expected_files) {
                let exp_name = expected["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("index/");
                assert_eq!(file.file_name(), exp_name);
                let h = file.header();
                let eh = &expected["header"];
                assert_eq!(h.begin_timestamp, i64_of(&eh["beginTimestamp"]), "{name}");
                assert_eq!(h.end_timestamp, i64_of(&eh["endTimestamp"]), "{name}");
                assert_eq!(h.begin_phy_offset, i64_of(&eh["beginPhyOffset"]), "{name}");
                assert_eq!(h.end_phy_offset, i64_of(&eh["endPhyOffset"]), "{name}");
                assert_eq!(
                    h.hash_slot_count as i64,
                    i64_of(&eh["hashSlotCount"]),
                    "{name}"
                );
                assert_eq!(h.index_count as i64, i64_of(&eh["indexCount"]), "{name}");

                let heads = expected["slotHeads"].as_object().unwrap();
                for (slot, head) in heads {
                    assert_eq!(
                        file.slot_value(slot.parse().unwrap()) as i64,
                        i64_of(head),
                        "{name} slot {slot}"
                    );
                }
                // No other slot is occupied.
                let slots = read_range(
                    file.path(),
                    INDEX_HEADER_SIZE as u64,
                    5_000_000 * HASH_SLOT_SIZE,
                );
                let occupied = slots.chunks_exact(4).filter(|s| s != &[0u8; 4]).count();
                assert_eq!(occupied, heads.len(), "{name}: occupied slots");
                assert_eq!(occupied as i64, i64_of(&eh["hashSlotCount"]));

                let entries = expected["entries"].as_array().unwrap();
                assert_eq!(entries.len() as i32, h.index_count - 1);
                for e in entries {
                    let got = file.entry(i64_of(&e["index"]) as i32).unwrap();
                    assert_eq!(got.key_hash as i64, i64_of(&e["keyHash"]));
                    assert_eq!(got.phy_offset, i64_of(&e["phyOffset"]));
                    assert_eq!(got.time_diff_seconds as i64, i64_of(&e["timeDiffSec"]));
                    assert_eq!(got.prev_index as i64, i64_of(&e["prevIndex"]));
                    assert_eq!(
                        ferrocket::store::index::index_key_hash(e["key"].as_str().unwrap()),
                        got.key_hash
                    );
                    checked_entries += 1;
                }
            }
        });
        // Every key in the manifest answers with exactly the offsets recorded for it.
        for file in expected_files {
            for e in file["entries"].as_array().unwrap() {
                let full = e["key"].as_str().unwrap();
                let (topic, key) = full.split_once('#').unwrap();
                let mut expected: Vec<i64> = expected_files
                    .iter()
                    .flat_map(|f| f["entries"].as_array().unwrap().iter())
                    .filter(|x| x["key"].as_str() == Some(full))
                    .map(|x| i64_of(&x["phyOffset"]))
                    .collect();
                expected.sort_unstable();
                expected.reverse();
                let got = service.query_offsets(topic, key, 64, 0, i64::MAX);
                assert_eq!(got.phy_offsets, expected, "{name}: query {full}");
            }
        }
    }
    assert!(checked_entries > 157, "checked {checked_entries} entries");
}

#[test]
fn golden_query_by_key() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_query_by_key") else {
        return;
    };
    let (_tmp, root, manifest) = extract_golden(&golden, "main-master", "idx-query");
    let service = IndexService::new(root.join("index"), IndexConfig::default());
    service.load(true, 0).unwrap();
    let offset_of = |key: &str| -> Vec<i64> {
        manifest["commitlog"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["topic"] == "GoldenJson"
                    && r["keys"]
                        .as_str()
                        .map(|k| k.split(' ').any(|w| w == key))
                        .unwrap_or(false)
            })
            .map(|r| i64_of(&r["commitLogOffset"]))
            .rev()
            .collect()
    };
    let r = service.query_offsets("GoldenJson", "key-sync-1", 32, 0, i64::MAX);
    assert_eq!(r.phy_offsets, vec![0]);
    assert_eq!(r.phy_offsets, offset_of("key-sync-1"));
    assert_eq!(r.index_last_update_phy_offset, 435_527);
    assert_eq!(r.index_last_update_timestamp, 1_795_422_985_020);
    // The delayed message: indexed once under SCHEDULE_TOPIC_XXXX and once in its real topic.
    let delayed = service.query_offsets("GoldenJson", "key-delay-2", 32, 0, i64::MAX);
    assert_eq!(delayed.phy_offsets, offset_of("key-delay-2"));
    assert_eq!(delayed.phy_offsets.len(), 1);
    assert_eq!(
        service
            .query_offsets("SCHEDULE_TOPIC_XXXX", "key-delay-2", 32, 0, i64::MAX)
            .phy_offsets
            .len(),
        2
    );
    // Non-ASCII keys hash over UTF-16 like Java: "kü 键" is two keys.
    assert_eq!(
        service
            .query_offsets("GoldenJson", "kü", 32, 0, i64::MAX)
            .phy_offsets
            .len(),
        1
    );
    assert_eq!(
        service
            .query_offsets("GoldenJson", "键", 32, 0, i64::MAX)
            .phy_offsets
            .len(),
        1
    );
    // Wrong topic, unknown key, time window before everything, maxNum.
    assert!(service
        .query_offsets("GoldenBinary", "key-batch-9", 32, 0, i64::MAX)
        .phy_offsets
        .is_empty());
    assert!(service
        .query_offsets("GoldenJson", "key-sync-1", 32, 0, 1_000)
        .phy_offsets
        .is_empty());
    assert_eq!(
        service
            .query_offsets("GoldenPush", "push-1", 1, 0, i64::MAX)
            .phy_offsets
            .len(),
        1
    );
    // Uniq key lookups (what queryMsgById by uniq key uses).
    let uniq = manifest["commitlog"][0]["uniqKey"].as_str().unwrap();
    assert_eq!(
        service
            .query_offsets("GoldenJson", uniq, 32, 0, i64::MAX)
            .phy_offsets,
        vec![0]
    );
}

/// Feeding Java's CommitLog records, in order, into an empty IndexService produces Java's index
/// bytes exactly: the 40-byte header (its timestamps come from the records, not the clock),
/// all 5,000,000 slots and every entry. Only the file name (creation time) differs.
#[test]
fn golden_index_rebuild_is_byte_identical() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_index_rebuild_is_byte_identical")
    else {
        return;
    };
    for name in STORES {
        let (_tmp, root, manifest) = extract_golden(&golden, name, "idx-rebuild");
        let rebuilt_dir = root.parent().unwrap().join("rebuilt-index");
        let service = IndexService::new(&rebuilt_dir, IndexConfig::default());
        service.load(true, 0).unwrap();
        let java_files = manifest["index"].as_array().unwrap();
        // crash-master was killed before its last record was dispatched: feed what Java indexed.
        let java_end = java_files
            .last()
            .map(|f| i64_of(&f["header"]["endPhyOffset"]))
            .unwrap_or(-1);
        let mut fed = 0;
        for record in manifest["commitlog"].as_array().unwrap() {
            if i64_of(&record["commitLogOffset"]) <= java_end {
                service.build_index(&dispatch_request(record));
                fed += 1;
            }
        }
        let expected_fed =
            manifest["commitlog"].as_array().unwrap().len() - usize::from(name == "crash-master");
        assert_eq!(fed, expected_fed, "{name}");
        service.with_files(|files| {
            assert_eq!(files.len(), java_files.len(), "{name}");
            for (ours, java) in files.iter().zip(java_files) {
                let java_path = root.join(java["file"].as_str().unwrap());
                let count = ours.header().index_count as usize;
                let len = INDEX_HEADER_SIZE + 5_000_000 * HASH_SLOT_SIZE + count * INDEX_ENTRY_SIZE;
                let a = read_range(ours.path(), 0, len);
                let b = read_range(&java_path, 0, len);
                assert_eq!(
                    &a[..INDEX_HEADER_SIZE],
                    &b[..INDEX_HEADER_SIZE],
                    "{name}: header"
                );
                let first_diff = a.iter().zip(&b).position(|(x, y)| x != y);
                assert_eq!(first_diff, None, "{name}: first differing byte");
            }
        });
    }
}

/// crash-master after SIGKILL: the checkpoint's indexMsgTimestamp is 0, so Java's load deletes
/// every index file whose end timestamp is past it, and recovery re-dispatches the CommitLog.
/// Doing the same rebuilds Java's entries exactly, plus the one record Java never indexed.
#[test]
fn golden_crash_index_is_dropped_and_rebuilt() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_crash_index_is_dropped_and_rebuilt")
    else {
        return;
    };
    let (_tmp, root, manifest) = extract_golden(&golden, "crash-master", "idx-crash");
    assert_eq!(i64_of(&manifest["checkpoint"]["indexMsgTimestamp"]), 0);
    let java_copy = root.parent().unwrap().join("java-index");
    let java_file = manifest["index"][0]["file"].as_str().unwrap();
    std::fs::create_dir_all(&java_copy).unwrap();
    std::fs::rename(root.join(java_file), java_copy.join("java")).unwrap();
    std::fs::copy(java_copy.join("java"), root.join(java_file)).unwrap();

    let service = IndexService::new(root.join("index"), IndexConfig::default());
    service.load(false, 0).unwrap();
    assert_eq!(service.with_files(|f| f.len()), 0);
    assert_eq!(
        std::fs::read_dir(root.join("index")).unwrap().count(),
        0,
        "deleted from disk"
    );

    let records = manifest["commitlog"].as_array().unwrap();
    assert_eq!(records.len(), 596);
    for record in records {
        service.build_index(&dispatch_request(record));
    }
    let java_count = i64_of(&manifest["index"][0]["header"]["indexCount"]) as usize;
    service.with_files(|files| {
        assert_eq!(files.len(), 1);
        let h = files[0].header();
        let last = records.last().unwrap();
        assert_eq!(h.end_phy_offset, i64_of(&last["commitLogOffset"]));
        // Two more entries than Java's file: the unindexed record's UNIQ_KEY and KEYS.
        assert_eq!(h.index_count as usize, java_count + 2);
        let entries_at = (INDEX_HEADER_SIZE + 5_000_000 * HASH_SLOT_SIZE) as u64;
        let ours = read_range(files[0].path(), entries_at, java_count * INDEX_ENTRY_SIZE);
        let java = read_range(
            &java_copy.join("java"),
            entries_at,
            java_count * INDEX_ENTRY_SIZE,
        );
        assert!(ours == java, "entries 1..{java_count} differ from Java's");
    });
    let uniq = records.last().unwrap()["uniqKey"].as_str().unwrap();
    let got = service.query_offsets("GoldenCrash", uniq, 4, 0, i64::MAX);
    assert_eq!(
        got.phy_offsets,
        vec![i64_of(&records.last().unwrap()["commitLogOffset"])]
    );
}
