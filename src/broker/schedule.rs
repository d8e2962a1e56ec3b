//! Delayed delivery (Java `ScheduleMessageService`). The store diverts a message with a `DELAY`
//! level into `SCHEDULE_TOPIC_XXXX` queue `level - 1`, its real topic and queue in `REAL_TOPIC` /
//! `REAL_QID` and its delivery time as the ConsumeQueue tags code. One timer per level walks its
//! queue from the persisted offset and, once a message is due, stores it again in its real
//! topic and queue. Progress lives in `config/delayOffset.json`, written every
//! `flushDelayOffsetInterval` and at shutdown. Only a master delivers.

use crate::protocol::topic::TRANS_HALF_TOPIC;
use crate::store::commit_log::PutMessageStatus;
use crate::store::message::{property, MessageExtBrokerInner, StoredRecord, SCHEDULE_TOPIC};
use crate::store::message_store::MessageStore;
use crate::store::metadata::{ConfigFileError, DelayOffsetTable, StoreConfigFile};
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Java's `FIRST_DELAY_TIME`: the timers start a second after the broker.
const FIRST_DELAY: Duration = Duration::from_millis(1000);
/// Java's `DELAY_FOR_A_WHILE`: the next look at a level's queue when nothing is due yet. The
/// delivery time of the head message is known, so we sleep until then when it is sooner.
const DELAY_FOR_A_WHILE: Duration = Duration::from_millis(100);
/// Java's `DELAY_FOR_A_PERIOD`: the pause after a failed re-put.
const DELAY_FOR_A_PERIOD: Duration = Duration::from_millis(10_000);

pub struct ScheduleMessageService {
    store: Arc<MessageStore>,
    store_root: PathBuf,
    /// Delay of level `i + 1` in ms.
    levels_ms: Vec<i64>,
    offsets: Mutex<DelayOffsetTable>,
    persist_every: Duration,
}

impl ScheduleMessageService {
    /// Loads `config/delayOffset.json` (or its .bak). Blocking (file read).
    pub fn load(store: Arc<MessageStore>) -> Result<ScheduleMessageService, ConfigFileError> {
        let store_root = store.config().root_dir();
        let levels_ms = store.commit_log().delay_levels_ms().to_vec();
        let (table, _) = DelayOffsetTable::load_from(&store_root)?;
        let persist_every =
            Duration::from_millis(store.config().flush_delay_offset_interval.max(100) as u64);
        Ok(ScheduleMessageService {
            store,
            store_root,
            levels_ms,
            offsets: Mutex::new(table.unwrap_or_default()),
            persist_every,
        })
    }

    fn table(&self) -> std::sync::MutexGuard<'_, DelayOffsetTable> {
        self.offsets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The levels configured (`messageDelayLevel`), 1-based.
    pub fn max_level(&self) -> i32 {
        self.levels_ms.len() as i32
    }

    /// The offset table as delayOffset.json holds it (GET_ALL_DELAY_OFFSET).
    pub fn delay_offsets(&self) -> DelayOffsetTable {
        self.table().clone()
    }

    /// Takes a master's progress (a slave's metadata sync; Java writes the master's
    /// delayOffset.json, which its schedule service loads when it starts).
    pub fn replace_offsets(&self, table: DelayOffsetTable) {
        *self.table() = table;
    }

    /// The next offset to deliver of a level (0 when the level never delivered).
    pub fn offset(&self, level: i32) -> i64 {
        self.table().offset_table.get(&level).copied().unwrap_or(0)
    }

    fn update_offset(&self, level: i32, offset: i64) {
        self.table().offset_table.insert(level, offset);
    }

    /// Java's runtime info entries `scheduleMessageOffset_<level>` = `"<offset>,<maxOffset>"`,
    /// for the levels with a recorded offset.
    pub fn runtime_info(&self) -> Vec<(String, String)> {
        let table = self.delay_offsets();
        let mut out = Vec::new();
        for level in 1..=self.max_level() {
            if let Some(offset) = table.offset_table.get(&level) {
                let max = self.store.max_offset_in_queue(SCHEDULE_TOPIC, level - 1);
                out.push((
                    format!("scheduleMessageOffset_{level}"),
                    format!("{offset},{max}"),
                ));
            }
        }
        out
    }

    /// Writes delayOffset.json. Blocking.
    pub fn persist(&self) -> Result<(), ConfigFileError> {
        let table = self.delay_offsets();
        table.persist_to(&self.store_root)
    }

    /// One pass over a level's queue from `offset` (Java `executeOnTimeup`): delivers every due
    /// message, stops at the first one not yet due. Returns the next offset and how long to
    /// wait before the next pass. Blocking (a SYNC_FLUSH put waits for the disk).
    pub fn deliver_due(&self, level: i32, offset: i64) -> (i64, Duration) {
        let queue_id = level - 1;
        let Some(delay_ms) = self.levels_ms.get(queue_id as usize).copied() else {
            return (offset, DELAY_FOR_A_PERIOD);
        };
        let Some(cq) = self.store.consume_queues().find(SCHEDULE_TOPIC, queue_id) else {
            return (offset, DELAY_FOR_A_WHILE);
        };
        let Some(units) = cq.units_from(offset) else {
            let min = cq.min_offset_in_queue();
            let max = cq.max_offset_in_queue();
            let reset = if min > offset {
                tracing::error!("schedule CQ offset invalid. offset={offset}, cqMinOffset={min}, queueId={queue_id}");
                min
            } else if max < offset {
                tracing::error!("schedule CQ offset invalid. offset={offset}, cqMaxOffset={max}, queueId={queue_id}");
                max
            } else {
                offset
            };
            return (reset, DELAY_FOR_A_WHILE);
        };
        let mut next = offset;
        for unit in units.iter() {
            if !unit.is_valid() {
                // Past the written units of the file.
                break;
            }
            let now = crate::store::commit_log::now_ms();
            // Java's correctDeliverTimestamp: a time further out than the level's delay (a
            // clock jump) counts as now.
            let deliver_at = if unit.tags_code > now + delay_ms {
                now
            } else {
                unit.tags_code
            };
            if deliver_at > now {
                let wait = Duration::from_millis((deliver_at - now) as u64).min(DELAY_FOR_A_WHILE);
                return (next, wait);
            }
            match self.deliver_one(unit.commit_log_offset) {
                Delivery::Done | Delivery::Skipped => {
                    next += 1;
                    self.update_offset(level, next);
                }
                Delivery::Failed(status) => {
                    tracing::error!(
                        "schedule level {level}: re-put of offset {} failed: {}",
                        unit.commit_log_offset,
                        status.java_name()
                    );
                    return (next, DELAY_FOR_A_PERIOD);
                }
            }
        }
        (next, DELAY_FOR_A_WHILE)
    }

    /// Java `messageTimeup` + put: the stored message again, in its real topic and queue. The
    /// properties string keeps DELAY, REAL_TOPIC and REAL_QID, as Java's does.
    fn deliver_one(&self, commit_log_offset: i64) -> Delivery {
        let Some(slice) = self.store.look_message_by_offset(commit_log_offset) else {
            return Delivery::Skipped;
        };
        let Ok(record) = StoredRecord::decode(&slice) else {
            tracing::error!("schedule: unreadable record at {commit_log_offset}, skipped");
            return Delivery::Skipped;
        };
        let props = record.properties_map();
        let real_topic = props.get(property::REAL_TOPIC).map(str::to_string);
        let real_queue = props
            .get(property::REAL_QUEUE_ID)
            .and_then(|q| q.trim().parse::<i32>().ok());
        let (Some(topic), Some(queue_id)) = (real_topic, real_queue) else {
            // Java throws and retries this message forever; we skip it.
            tracing::error!(
                "schedule: message at {commit_log_offset} has no real topic/queue, skipped"
            );
            return Delivery::Skipped;
        };
        if topic == TRANS_HALF_TOPIC {
            tracing::error!("[BUG] the real topic of schedule msg is {topic}, discard the msg");
            return Delivery::Skipped;
        }
        let msg = MessageExtBrokerInner {
            topic,
            queue_id,
            flag: record.flag,
            sys_flag: record.sys_flag,
            born_timestamp: record.born_timestamp,
            born_host: record.born_host,
            store_host: record.store_host,
            reconsume_times: record.reconsume_times,
            prepared_transaction_offset: record.prepared_transaction_offset,
            body: Bytes::copy_from_slice(record.body),
            properties_string: props.to_java_string(),
        };
        drop(slice);
        let result = self.store.put_due_message(msg);
        tracing::debug!(
            commit_log_offset,
            status = result.status.java_name(),
            "schedule: due message delivered"
        );
        if result.status == PutMessageStatus::PutOk {
            Delivery::Done
        } else {
            Delivery::Failed(result.status)
        }
    }

    /// The timers (one per level) and the periodic persist, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        for level in 1..=self.max_level() {
            let service = self.clone();
            let stop = shutdown.clone();
            tasks.spawn(async move {
                let mut offset = service.offset(level);
                let mut wait = FIRST_DELAY;
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    let s = service.clone();
                    match tokio::task::spawn_blocking(move || s.deliver_due(level, offset)).await {
                        Ok((next, w)) => {
                            offset = next;
                            wait = w;
                        }
                        Err(e) => {
                            tracing::error!("schedule level {level}: {e}");
                            wait = DELAY_FOR_A_PERIOD;
                        }
                    }
                }
            });
        }
        let mut persist = tokio::time::interval(self.persist_every);
        persist.tick().await;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = persist.tick() => {
                    let s = self.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        if let Err(e) = s.persist() {
                            tracing::warn!("persist delay offsets: {e}");
                        }
                    })
                    .await;
                }
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

enum Delivery {
    Done,
    Skipped,
    Failed(PutMessageStatus),
}
