//! The broker's SQL92 filter state (Java `ConsumerFilterManager`, `ConsumerFilterData`,
//! `ExpressionMessageFilter`, `ExpressionForRetryMessageFilter`).
//!
//! Every heartbeat registers the group's non-TAG subscriptions with their version (the
//! client's `subVersion`): a newer version with a changed expression replaces the compiled
//! filter, an older one is ignored, the same one revives a dead entry. Topics the group no
//! longer subscribes, and groups whose last consumer left, are marked dead (`deadTime`); entries
//! dead for `filterDataCleanTimeSpan` are dropped when the table is written. The table is
//! `config/consumerFilter.json`, written every 10 s and at shutdown in Java's bytes; on load
//! every entry is taken as dead (its consumers must heartbeat again), and the whole file is
//! ignored if its bloom-filter data was made with other `maxErrorRateOfBloomFilter` /
//! `expectConsumerNumUseFilter` settings, as Java does.
//!
//! Pulls of an SQL92 subscription evaluate the compiled expression against each candidate
//! message's properties, read in place from the mapped CommitLog record ([`SqlFilter`]). Java can
//! pre-compute a per-message bloom bitmap in the ConsumeQueue extension to skip CommitLog reads
//! (`enableCalcFilterBitMap=true`, default false, with `enableConsumeQueueExt`); ferrocket
//! always evaluates on the record, which is what Java does with the defaults. The bloom
//! positions are still computed and stored so the file stays valid for a Java broker.

use crate::filter::bloom::BloomFilter;
use crate::filter::{self, Expression, RecordProperties};
use crate::protocol::heartbeat::SubscriptionData;
use crate::protocol::topic::RETRY_GROUP_TOPIC_PREFIX;
use crate::store::message::property;
use crate::store::message_store::MessageFilter;
use crate::store::metadata::{
    ConfigFileError, ConsumerFilterData, ConsumerFilterTable, FilterDataMapByTopic, StoreConfigFile,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// How long before "now" Java dates the death of the entries it loads (`decode`).
const LOAD_DEAD_BEFORE_MS: i64 = 30 * 1000;

/// The broker's bloom filter (`maxErrorRateOfBloomFilter`, `expectConsumerNumUseFilter`).
/// Java refuses to start on values `createByFn` rejects; here they fall back to the defaults
/// (20 %, 32) with an error in the log.
pub fn bloom_filter_of(config: &crate::broker::config::BrokerConfig) -> BloomFilter {
    BloomFilter::create_by_fn(
        config.max_error_rate_of_bloom_filter,
        config.expect_consumer_num_use_filter,
    )
    .unwrap_or_else(|e| {
        tracing::error!("bloom filter settings: {e}; using maxErrorRateOfBloomFilter=20, expectConsumerNumUseFilter=32");
        BloomFilter {
            f: 20,
            n: 32,
            k: 3,
            m: 112,
        }
    })
}

/// What a pull needs of a registered filter.
#[derive(Debug, Clone)]
pub struct RegisteredFilter {
    pub client_version: i64,
    pub born_time: i64,
    /// `None` when the stored expression does not compile (Java's null `compiledExpression`).
    pub expression: Option<Arc<Expression>>,
}

pub struct ConsumerFilterManager {
    store_root: Option<PathBuf>,
    bloom: BloomFilter,
    clean_time_span_ms: i64,
    table: Mutex<ConsumerFilterTable>,
}

/// Java `ConsumerFilterManager.build`: `None` for TAG types and expressions that do not
/// compile (logged, as Java).
fn build(
    topic: &str,
    group: &str,
    expression: &str,
    expression_type: &str,
    client_version: i64,
    now_ms: i64,
) -> Option<ConsumerFilterData> {
    if filter::is_tag_type(Some(expression_type)) {
        return None;
    }
    if let Err(e) = filter::compile(expression_type, expression) {
        tracing::error!(
            "parse error: expr={expression}, topic={topic}, group={group}, error={}",
            e.message.as_deref().unwrap_or("null")
        );
        return None;
    }
    Some(ConsumerFilterData {
        consumer_group: Some(group.to_string()),
        topic: Some(topic.to_string()),
        expression: Some(expression.to_string()),
        expression_type: Some(expression_type.to_string()),
        born_time: now_ms,
        dead_time: 0,
        bloom_filter_data: None,
        client_version,
    })
}

impl ConsumerFilterManager {
    /// An empty manager that never writes a file (tests, tools).
    pub fn in_memory(bloom: BloomFilter, clean_time_span_ms: i64) -> ConsumerFilterManager {
        ConsumerFilterManager {
            store_root: None,
            bloom,
            clean_time_span_ms,
            table: Mutex::new(ConsumerFilterTable::default()),
        }
    }

    /// Loads `config/consumerFilter.json` (or its `.bak`) as Java's `decode` does.
    pub fn load(
        store_root: &Path,
        bloom: BloomFilter,
        clean_time_span_ms: i64,
        now_ms: i64,
    ) -> Result<ConsumerFilterManager, ConfigFileError> {
        let (stored, _) = ConsumerFilterTable::load_from(store_root)?;
        let manager = ConsumerFilterManager {
            store_root: Some(store_root.to_path_buf()),
            ..ConsumerFilterManager::in_memory(bloom, clean_time_span_ms)
        };
        if let Some(table) = stored {
            manager.adopt(table, now_ms);
        }
        Ok(manager)
    }

    /// Java `decode`: every entry dead as of 30 s ago (not before its birth); nothing is kept
    /// when an entry's bloom data does not fit this broker's bloom filter.
    pub fn adopt(&self, mut table: ConsumerFilterTable, now_ms: i64) {
        for (_, by_topic) in table.filter_data_by_topic.iter() {
            for (_, data) in by_topic.group_filter_data.iter() {
                if !self.bloom.is_valid(data.bloom_filter_data.as_ref()) {
                    tracing::info!(
                        "Bloom filter is changed!So ignore all filter data persisted! {:?}, {:?}",
                        self.bloom,
                        data.bloom_filter_data
                    );
                    return;
                }
            }
        }
        let all = table
            .filter_data_by_topic
            .values_mut()
            .flat_map(|t| t.group_filter_data.values_mut());
        for data in all {
            if data.dead_time == 0 {
                let dead = now_ms - LOAD_DEAD_BEFORE_MS;
                data.dead_time = dead.max(data.born_time);
            }
        }
        *self.lock() = table;
    }

    fn lock(&self) -> MutexGuard<'_, ConsumerFilterTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Java `register(group, subList)` (the REGISTER event of every heartbeat): registers each
    /// subscription, then marks dead the group's entries for topics it no longer subscribes.
    pub fn register_group(&self, group: &str, subscriptions: &[SubscriptionData], now_ms: i64) {
        for sub in subscriptions {
            self.register(
                &sub.topic,
                group,
                &sub.sub_string,
                &sub.expression_type,
                sub.sub_version,
                now_ms,
            );
        }
        let mut table = self.lock();
        for (topic, by_topic) in table.filter_data_by_topic.iter_mut() {
            if subscriptions.iter().any(|s| &s.topic == topic) {
                continue;
            }
            if let Some(data) = by_topic.group_filter_data.get_mut(group) {
                if !data.is_dead() {
                    data.dead_time = now_ms;
                    tracing::info!(
                        "Consumer filter changed: {group}, make illegal topic dead:{topic}"
                    );
                }
            }
        }
    }

    /// Java `register(topic, group, expression, type, clientVersion)`. True when the entry is
    /// now the registered one (new, changed, refreshed or revived).
    pub fn register(
        &self,
        topic: &str,
        group: &str,
        expression: &str,
        expression_type: &str,
        client_version: i64,
        now_ms: i64,
    ) -> bool {
        if filter::is_tag_type(Some(expression_type)) || expression.is_empty() {
            return false;
        }
        let bloom_data = self.bloom.generate(&format!("{group}#{topic}"));
        let mut table = self.lock();
        let by_topic = table
            .filter_data_by_topic
            .entry_or_insert_with(topic.to_string(), || FilterDataMapByTopic {
                group_filter_data: Default::default(),
                topic: Some(topic.to_string()),
            });
        let Some(old) = by_topic.group_filter_data.get_mut(group) else {
            let Some(mut data) = build(
                topic,
                group,
                expression,
                expression_type,
                client_version,
                now_ms,
            ) else {
                return false;
            };
            data.bloom_filter_data = Some(bloom_data);
            tracing::info!("New consumer filter registered: {data:?}");
            by_topic.group_filter_data.insert(group.to_string(), data);
            return true;
        };
        if client_version <= old.client_version {
            if old.expression_type.as_deref() != Some(expression_type)
                || old.expression.as_deref() != Some(expression)
            {
                tracing::info!(
                    "Ignore consumer({group}:{topic}) filter, because of version {client_version} <= {}, but maybe info changed!",
                    old.client_version
                );
            }
            if client_version == old.client_version && old.is_dead() {
                old.dead_time = 0;
                return true;
            }
            return false;
        }
        let changed = old.expression.as_deref() != Some(expression)
            || old.expression_type.as_deref() != Some(expression_type)
            || old.bloom_filter_data.as_ref() != Some(&bloom_data);
        if !changed {
            old.client_version = client_version;
            if old.is_dead() {
                old.dead_time = 0;
            }
            return true;
        }
        match build(
            topic,
            group,
            expression,
            expression_type,
            client_version,
            now_ms,
        ) {
            Some(mut data) => {
                data.bloom_filter_data = Some(bloom_data);
                tracing::info!("Consumer filter info change, new: {data:?}");
                *old = data;
                true
            }
            None => {
                // The new expression does not compile: drop the old one, the client reports.
                by_topic.group_filter_data.remove(group);
                false
            }
        }
    }

    /// Java `unRegister(group)` (the UNREGISTER event: the group's last consumer left).
    pub fn unregister(&self, group: &str, now_ms: i64) {
        let mut table = self.lock();
        for by_topic in table.filter_data_by_topic.values_mut() {
            if let Some(data) = by_topic.group_filter_data.get_mut(group) {
                if !data.is_dead() {
                    tracing::info!("Unregister consumer filter: {data:?}, deadTime: {now_ms}");
                    data.dead_time = now_ms;
                }
            }
        }
    }

    /// Groups with a live (not dead) entry.
    pub fn live_groups(&self) -> Vec<String> {
        let table = self.lock();
        let mut groups: Vec<String> = table
            .filter_data_by_topic
            .values()
            .flat_map(|t| t.group_filter_data.values())
            .filter(|d| !d.is_dead())
            .filter_map(|d| d.consumer_group.clone())
            .collect();
        groups.sort();
        groups.dedup();
        groups
    }

    /// Java `get(topic, group)` (dead entries included), with the compiled expression.
    pub fn get(&self, topic: &str, group: &str) -> Option<RegisteredFilter> {
        let table = self.lock();
        let data = table
            .filter_data_by_topic
            .get(topic)?
            .group_filter_data
            .get(group)?;
        let expression = match (&data.expression_type, &data.expression) {
            (Some(t), Some(e)) => filter::compile(t, e).ok(),
            _ => None,
        };
        Some(RegisteredFilter {
            client_version: data.client_version,
            born_time: data.born_time,
            expression,
        })
    }

    /// The stored entry itself (admin tools, tests).
    pub fn data(&self, topic: &str, group: &str) -> Option<ConsumerFilterData> {
        self.lock()
            .filter_data_by_topic
            .get(topic)?
            .group_filter_data
            .get(group)
            .cloned()
    }

    /// Java `clean()`: drops entries dead for `filterDataCleanTimeSpan` or more, then topics
    /// left without entries.
    pub fn clean(&self, now_ms: i64) {
        let span = self.clean_time_span_ms;
        self.lock().filter_data_by_topic.retain(|topic, by_topic| {
            by_topic.group_filter_data.retain(|group, d| {
                let expired = d.is_dead() && now_ms - d.dead_time >= span;
                if expired {
                    tracing::info!("Remove filter consumer {group}@{topic}, died too long!");
                }
                !expired
            });
            let empty = by_topic.group_filter_data.is_empty();
            if empty {
                tracing::info!("Topic has no consumer, remove it! {topic}");
            }
            !empty
        });
    }

    /// Java `encode(prettyFormat)` after `clean()`: the file's content.
    pub fn snapshot(&self, now_ms: i64) -> ConsumerFilterTable {
        self.clean(now_ms);
        self.lock().clone()
    }

    /// Java `persist()`: clean, then write the file (no-op for an in-memory manager).
    pub fn persist(&self, now_ms: i64) -> Result<(), ConfigFileError> {
        let snapshot = self.snapshot(now_ms);
        match &self.store_root {
            Some(root) => snapshot.persist_to(root),
            None => Ok(()),
        }
    }
}

/// The 10-second task: groups whose last consumer left (by UNREGISTER_CLIENT, a closed or an
/// idle connection) get their entries marked dead (Java's UNREGISTER event, which fires at
/// once; here within 10 s for closed connections), then the file is written.
pub fn housekeep(broker: &crate::broker::Broker) {
    let now = broker.now_millis();
    for group in broker.filters.live_groups() {
        if broker.clients.consumer_group(&group).is_none() {
            broker.filters.unregister(&group, now);
        }
    }
    if let Err(e) = broker.filters.persist(now) {
        tracing::warn!("persist consumer filters: {e}");
    }
}

/// The filter of one pull (Java `ExpressionMessageFilter`, or with `filterSupportRetry`
/// `ExpressionForRetryMessageFilter`).
pub struct SqlFilter {
    pub subscription: Arc<SubscriptionData>,
    /// The subscription's compiled filter (`None`: no filter data, every message matches).
    pub expression: Option<Arc<Expression>>,
    /// With `filterSupportRetry`: for a retry topic, evaluate each message with the filter its
    /// group registered for the message's original topic (`RETRY_TOPIC` property).
    pub retry_lookup: Option<Arc<ConsumerFilterManager>>,
}

impl SqlFilter {
    fn is_retry_topic(&self) -> bool {
        self.subscription
            .topic
            .starts_with(RETRY_GROUP_TOPIC_PREFIX)
    }
}

impl MessageFilter for SqlFilter {
    fn is_matched_by_consume_queue(&self, tags_code: i64) -> bool {
        // SQL92 subscriptions match here without a bitmap (Java with enableCalcFilterBitMap off).
        self.subscription.matches_tags_code(tags_code)
    }

    fn is_matched_by_commit_log(&self, record: &[u8]) -> bool {
        let sub = &self.subscription;
        if sub.class_filter_mode {
            return true;
        }
        let retry = self.retry_lookup.as_ref().filter(|_| self.is_retry_topic());
        if retry.is_none() && sub.is_tag_type() {
            return true;
        }
        let Some(properties) = RecordProperties::of_record(record) else {
            // Not a record (cannot happen for units the ConsumeQueue points at): let the
            // client see it rather than silently skip it.
            return true;
        };
        let looked_up;
        let expression = match retry {
            Some(manager) => {
                let real_topic = filter::EvaluationContext::get(&properties, property::RETRY_TOPIC);
                let real_topic = match real_topic {
                    Some(filter::Value::Str(t)) => t,
                    _ => "",
                };
                let group = sub
                    .topic
                    .strip_prefix(RETRY_GROUP_TOPIC_PREFIX)
                    .unwrap_or_default();
                looked_up = manager.get(real_topic, group).and_then(|f| f.expression);
                looked_up.as_ref()
            }
            None => self.expression.as_ref(),
        };
        let Some(expression) = expression else {
            return true;
        };
        match expression.evaluate(&properties) {
            Ok(filter::Value::Bool(b)) => b,
            Ok(_) => false,
            Err(e) => {
                tracing::error!(
                    "Message Filter error, {}@{}: {expression}, {e}",
                    sub.topic,
                    sub.sub_string
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(topic: &str, expr: &str, ty: &str, version: i64) -> SubscriptionData {
        SubscriptionData {
            topic: topic.into(),
            sub_string: expr.into(),
            expression_type: ty.into(),
            sub_version: version,
            ..Default::default()
        }
    }

    fn manager() -> ConsumerFilterManager {
        ConsumerFilterManager::in_memory(BloomFilter::create_by_fn(20, 32).unwrap(), 1000)
    }

    #[test]
    fn register_versions_changes_and_death() {
        let m = manager();
        // TAG subscriptions and empty expressions are not filter data.
        assert!(!m.register("T", "g", "*", "TAG", 1, 100));
        assert!(!m.register("T", "g", "", "SQL92", 1, 100));
        // An expression that does not compile is not registered.
        assert!(!m.register("T", "g", "a >", "SQL92", 1, 100));
        assert!(m.get("T", "g").is_none());

        assert!(m.register("T", "g", "a > 5", "SQL92", 10, 100));
        let d = m.data("T", "g").unwrap();
        assert_eq!((d.born_time, d.dead_time, d.client_version), (100, 0, 10));
        assert_eq!(d.bloom_filter_data.unwrap().bit_num, 112);
        // Older version: ignored, even with another expression.
        assert!(!m.register("T", "g", "a > 9", "SQL92", 9, 200));
        assert_eq!(
            m.data("T", "g").unwrap().expression.as_deref(),
            Some("a > 5")
        );
        // Same expression, newer version: the version moves, the entry stays.
        assert!(m.register("T", "g", "a > 5", "SQL92", 11, 300));
        let d = m.data("T", "g").unwrap();
        assert_eq!((d.born_time, d.client_version), (100, 11));
        // Changed expression, newer version: rebuilt.
        assert!(m.register("T", "g", "a > 7", "SQL92", 12, 400));
        let d = m.data("T", "g").unwrap();
        assert_eq!((d.born_time, d.client_version), (400, 12));
        assert!(m.get("T", "g").unwrap().expression.is_some());
        // Changed to an expression that does not compile: the old entry is removed.
        assert!(!m.register("T", "g", "a >", "SQL92", 13, 500));
        assert!(m.get("T", "g").is_none());

        // Group-level: a topic no longer subscribed dies; the same version revives it.
        m.register_group(
            "g",
            &[
                sub("T", "a > 1", "SQL92", 20),
                sub("U", "b = 1", "SQL92", 20),
            ],
            600,
        );
        m.register_group("g", &[sub("U", "b = 1", "SQL92", 20)], 700);
        assert_eq!(m.data("T", "g").unwrap().dead_time, 700);
        assert!(m.data("T", "g").unwrap().is_dead());
        assert!(!m.data("U", "g").unwrap().is_dead());
        m.register_group(
            "g",
            &[
                sub("T", "a > 1", "SQL92", 20),
                sub("U", "b = 1", "SQL92", 20),
            ],
            800,
        );
        assert_eq!(m.data("T", "g").unwrap().dead_time, 0);

        // Unregister kills everything of the group; clean drops it after the time span.
        m.unregister("g", 900);
        assert!(m.live_groups().is_empty());
        m.clean(1899);
        assert!(m.data("T", "g").is_some());
        m.clean(1900);
        assert!(m.data("T", "g").is_none());
        assert!(m.snapshot(1900).filter_data_by_topic.is_empty());
    }

    #[test]
    fn load_marks_entries_dead_and_rejects_other_bloom_shapes() {
        let m = manager();
        m.register("T", "g", "a > 5", "SQL92", 10, 100_000);
        let table = m.snapshot(100_000);
        // Loaded by a broker with the same bloom settings: dead as of 30 s before now.
        let same = manager();
        same.adopt(table.clone(), 200_000);
        assert_eq!(same.data("T", "g").unwrap().dead_time, 170_000);
        // Born later than that: dead at birth.
        let early = manager();
        early.adopt(table.clone(), 110_000);
        assert_eq!(early.data("T", "g").unwrap().dead_time, 100_000);
        // Another bloom shape: the whole file is ignored.
        let other =
            ConsumerFilterManager::in_memory(BloomFilter::create_by_fn(10, 64).unwrap(), 1000);
        other.adopt(table, 200_000);
        assert!(other.data("T", "g").is_none());
    }
}
