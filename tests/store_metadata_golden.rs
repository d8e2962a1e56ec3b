//! The store's config/*.json files against the ones Java 4.9.7 wrote: load, write back, compare
//! bytes; `.bak` fallback and corrupt files.

mod store_support;
use store_support::{extract_golden, STORES};

use std::path::Path;

use ferrocket::fastjson;
use ferrocket::store::metadata::{
    ConsumerFilterTable, ConsumerOffsetTable, DelayOffsetTable, LoadSource, StoreConfigFile,
    SubscriptionGroupConfig, SubscriptionGroupTable, TopicConfig, TopicConfigSerializeWrapper,
    TopicFilterType,
};

/// Loads `T` from the Java file, writes it into a fresh store root, and returns (java bytes, ours).
fn round_trip<T: StoreConfigFile>(root: &Path, file: &str) -> Option<(String, String)> {
    let java_path = root.join("config").join(file);
    let java = std::fs::read_to_string(&java_path).ok()?;
    let (value, source) = T::load_from(root).unwrap();
    assert_eq!(source, LoadSource::Main, "{}", java_path.display());
    let value = value.unwrap();
    let out_root = root.parent().unwrap().join(format!(
        "out-{}",
        root.file_name().unwrap().to_string_lossy()
    ));
    value.persist_to(&out_root).unwrap();
    let ours = std::fs::read_to_string(T::path(&out_root)).unwrap();
    Some((java, ours))
}

fn assert_same_or_equivalent(store: &str, file: &str, java: &str, ours: &str) {
    if java == ours {
        return;
    }
    // The only file Java writes compactly is the slave's delayOffset.json: the slave stores the
    // master's GET_ALL_DELAY_OFFSET body as it came (`MixAll.string2File(body)`), while a
    // master's persist() writes PrettyFormat. Same content, other formatting.
    assert!(
        store == "ha-slave" && file == "delayOffset.json",
        "{store}/{file} differs:\n--- java\n{java}\n--- ours\n{ours}"
    );
    let a = fastjson::parse(java).unwrap();
    let b = fastjson::parse(ours).unwrap();
    assert!(a.equivalent(&b), "{store}/{file}: parsed values differ");
}

#[test]
fn golden_config_files_round_trip_byte_for_byte() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_config_files_round_trip_byte_for_byte")
    else {
        return;
    };
    let mut compared = 0;
    for store in STORES {
        let (_tmp, root, _) = extract_golden(&golden, store, "meta-rt");
        let results = [
            (
                "topics.json",
                round_trip::<TopicConfigSerializeWrapper>(&root, "topics.json"),
            ),
            (
                "subscriptionGroup.json",
                round_trip::<SubscriptionGroupTable>(&root, "subscriptionGroup.json"),
            ),
            (
                "consumerOffset.json",
                round_trip::<ConsumerOffsetTable>(&root, "consumerOffset.json"),
            ),
            (
                "delayOffset.json",
                round_trip::<DelayOffsetTable>(&root, "delayOffset.json"),
            ),
            (
                "consumerFilter.json",
                round_trip::<ConsumerFilterTable>(&root, "consumerFilter.json"),
            ),
        ];
        for (file, result) in results {
            if let Some((java, ours)) = result {
                assert_same_or_equivalent(store, file, &java, &ours);
                compared += 1;
            }
        }
        // The .bak files Java left are older versions of the same files: they load too and
        // write back byte-identical.
        for file in [
            "topics.json",
            "subscriptionGroup.json",
            "consumerOffset.json",
            "consumerFilter.json",
        ] {
            let bak = root.join("config").join(format!("{file}.bak"));
            if let Ok(java) = std::fs::read_to_string(&bak) {
                let value = fastjson::parse(&java).unwrap();
                let ours = match file {
                    "topics.json" => fastjson::encode_pretty(
                        &fastjson::decode::<TopicConfigSerializeWrapper>(&java).unwrap(),
                    ),
                    "subscriptionGroup.json" => fastjson::encode_pretty(
                        &fastjson::decode::<SubscriptionGroupTable>(&java).unwrap(),
                    ),
                    "consumerOffset.json" => fastjson::encode_pretty(
                        &fastjson::decode::<ConsumerOffsetTable>(&java).unwrap(),
                    ),
                    _ => fastjson::encode_pretty(
                        &fastjson::decode::<ConsumerFilterTable>(&java).unwrap(),
                    ),
                };
                assert!(value.is_object_like(), "{file}.bak");
                assert_eq!(ours, java, "{store}/{file}.bak");
                compared += 1;
            }
        }
    }
    assert!(compared >= 20, "compared {compared} files");
}

trait ObjectLike {
    fn is_object_like(&self) -> bool;
}

impl ObjectLike for fastjson::Value {
    fn is_object_like(&self) -> bool {
        self.as_object().is_some()
    }
}

#[test]
fn golden_config_values_are_typed() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_config_values_are_typed") else {
        return;
    };
    let (_tmp, root, _) = extract_golden(&golden, "main-master", "meta-typed");

    let (topics, _) = TopicConfigSerializeWrapper::load_from(&root).unwrap();
    let topics = topics.unwrap();
    assert_eq!(topics.data_version.counter, 19);
    assert_eq!(topics.data_version.timestamp, 1_795_423_072_760);
    assert_eq!(topics.topic_config_table.len(), 25);
    let json = topics
        .topic_config_table
        .get(&"GoldenJson".to_string())
        .unwrap();
    assert_eq!(
        json,
        &TopicConfig {
            topic_filter_type: TopicFilterType::SingleTag,
            ..TopicConfig::new("GoldenJson", 8, 8, 6)
        }
    );
    assert_eq!(
        topics
            .topic_config_table
            .get(&"SCHEDULE_TOPIC_XXXX".to_string())
            .unwrap()
            .read_queue_nums,
        18
    );
    assert_eq!(
        topics
            .topic_config_table
            .get(&"DefaultCluster".to_string())
            .unwrap()
            .perm,
        7
    );

    let (groups, _) = SubscriptionGroupTable::load_from(&root).unwrap();
    let groups = groups.unwrap();
    assert_eq!(groups.data_version.counter, 7);
    let admin = groups
        .subscription_group_table
        .get(&"GoldenAdminGroup".to_string())
        .unwrap();
    assert_eq!(
        admin,
        &SubscriptionGroupConfig {
            consume_broadcast_enable: false,
            consume_from_min_enable: false,
            ..SubscriptionGroupConfig::new("GoldenAdminGroup")
        }
    );

    let (offsets, _) = ConsumerOffsetTable::load_from(&root).unwrap();
    let offsets = offsets.unwrap();
    assert_eq!(
        offsets.offset("GoldenPull", "golden_pull_consumer", 0),
        Some(5)
    );
    assert_eq!(
        offsets.offset("GoldenSql", "golden_sql_consumer", 2),
        Some(2)
    );
    assert_eq!(offsets.offset("GoldenSql", "golden_sql_consumer", 9), None);

    let (delay, _) = DelayOffsetTable::load_from(&root).unwrap();
    let delay = delay.unwrap();
    assert_eq!(delay.offset_table.get(&2), Some(&2));
    assert_eq!(delay.offset_table.get(&3), Some(&1));

    let (filters, _) = ConsumerFilterTable::load_from(&root).unwrap();
    let filters = filters.unwrap();
    let sql = filters
        .filter_data_by_topic
        .get(&"GoldenSql".to_string())
        .unwrap();
    let data = sql
        .group_filter_data
        .get(&"golden_sql_consumer".to_string())
        .unwrap();
    assert_eq!(data.expression.as_deref(), Some("a > 5"));
    assert_eq!(data.expression_type.as_deref(), Some("SQL92"));
    assert!(data.is_dead());
    assert_eq!(
        data.bloom_filter_data.as_ref().unwrap().bit_pos,
        vec![28, 78, 16]
    );
}

/// Java's `ConfigManager.load`: a corrupt or empty file falls back to `.bak`; new entries land
/// where Java's ConcurrentHashMap would put them; persisting moves the old file to `.bak`.
#[test]
fn golden_bak_fallback_and_update() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("golden_bak_fallback_and_update") else {
        return;
    };
    let (_tmp, root, _) = extract_golden(&golden, "main-master", "meta-bak");
    let topics_path = TopicConfigSerializeWrapper::path(&root);
    let bak_text = std::fs::read_to_string(root.join("config/topics.json.bak")).unwrap();

    // Torn main file: the backup (one version older: counter 18, has GoldenAdminTopic) is used.
    let main_text = std::fs::read_to_string(&topics_path).unwrap();
    std::fs::write(&topics_path, &main_text[..main_text.len() / 2]).unwrap();
    let (topics, source) = TopicConfigSerializeWrapper::load_from(&root).unwrap();
    assert_eq!(source, LoadSource::Backup);
    let mut topics = topics.unwrap();
    assert_eq!(topics.data_version.counter, 18);
    assert!(topics
        .topic_config_table
        .contains_key(&"GoldenAdminTopic".to_string()));

    // Deleting a topic and persisting reproduces Java's next file exactly (that is what the
    // admin's deleteTopic did between the .bak and the main file), except the data version.
    topics
        .topic_config_table
        .remove(&"GoldenAdminTopic".to_string());
    topics.data_version.counter = 19;
    topics.data_version.timestamp = 1_795_423_072_760;
    topics.persist_to(&root).unwrap();
    assert_eq!(std::fs::read_to_string(&topics_path).unwrap(), main_text);
    // ...and the torn file we wrote became the new .bak, as Java's string2File does.
    assert_eq!(
        std::fs::read_to_string(root.join("config/topics.json.bak")).unwrap(),
        main_text[..main_text.len() / 2]
    );

    // Adding the topic back puts it at Java's place: the .bak's text, with the data version.
    topics.topic_config_table.insert(
        "GoldenAdminTopic".into(),
        TopicConfig::new("GoldenAdminTopic", 8, 8, 6),
    );
    topics.data_version.counter = 18;
    topics.data_version.timestamp = 1_795_423_002_370;
    assert_eq!(fastjson::encode_pretty(&topics), bak_text);

    // Both copies corrupt: a load error naming the file, as Java's broker fails to start.
    std::fs::write(&topics_path, "{").unwrap();
    std::fs::write(root.join("config/topics.json.bak"), "not json").unwrap();
    let err = TopicConfigSerializeWrapper::load_from(&root).unwrap_err();
    assert!(err.to_string().contains("topics.json"), "{err}");

    // Missing file and backup: nothing stored yet.
    let empty = root.parent().unwrap().join("empty-store");
    let (none, source) = ConsumerOffsetTable::load_from(&empty).unwrap();
    assert!(none.is_none());
    assert_eq!(source, LoadSource::Absent);
}

/// Java writes maps in ConcurrentHashMap bucket order, not insertion order: tables built in a
/// different order (names sorted, reversed) still write Java's bytes.
#[test]
fn golden_write_order_is_javas_not_insertion_order() {
    let Some(golden) =
        ferrocket::testkit::golden_or_skip("golden_write_order_is_javas_not_insertion_order")
    else {
        return;
    };
    let (_tmp, root, _) = extract_golden(&golden, "main-master", "meta-order");
    let java_topics = std::fs::read_to_string(TopicConfigSerializeWrapper::path(&root)).unwrap();
    let (topics, _) = TopicConfigSerializeWrapper::load_from(&root).unwrap();
    let topics = topics.unwrap();
    let mut names: Vec<&String> = topics.topic_config_table.iter().map(|(k, _)| k).collect();
    names.sort();
    names.reverse();
    let rebuilt = TopicConfigSerializeWrapper {
        topic_config_table: names
            .iter()
            .map(|n| {
                (
                    (*n).clone(),
                    topics.topic_config_table.get(*n).unwrap().clone(),
                )
            })
            .collect(),
        data_version: topics.data_version,
    };
    assert_eq!(fastjson::encode_pretty(&rebuilt), java_topics);

    let java_offsets = std::fs::read_to_string(ConsumerOffsetTable::path(&root)).unwrap();
    let (offsets, _) = ConsumerOffsetTable::load_from(&root).unwrap();
    let offsets = offsets.unwrap();
    let mut rebuilt = ConsumerOffsetTable::default();
    let mut keys: Vec<&String> = offsets.offset_table.iter().map(|(k, _)| k).collect();
    keys.sort();
    for key in keys {
        let (topic, group) = key.split_once('@').unwrap();
        let queues = offsets.offset_table.get(key).unwrap();
        let mut ids: Vec<&i32> = queues.iter().map(|(q, _)| q).collect();
        ids.sort();
        ids.reverse();
        for q in ids {
            rebuilt.commit(topic, group, *q, *queues.get(q).unwrap());
        }
    }
    assert_eq!(fastjson::encode_pretty(&rebuilt), java_offsets);
}
