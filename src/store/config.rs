//! `MessageStoreConfig`: every key and default of Java 4.9.7's store configuration, even those
//! ferrocket does not use yet, so a broker `.properties` file written for Java works unchanged.
//! Keys are the names Java derives from the setters (`setMappedFileSizeCommitLog` ->
//! `mappedFileSizeCommitLog`). Java's `null` strings are empty strings here.

use std::path::PathBuf;

use crate::config::ConfigValue;

/// When appends become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushDiskType {
    /// The producer is answered once the message is on disk (group commit).
    SyncFlush,
    /// A flush thread writes pages back every `flushIntervalCommitLog` ms.
    AsyncFlush,
}

impl ConfigValue for FlushDiskType {
    fn parse_value(s: &str) -> Result<Self, String> {
        match s.trim() {
            "SYNC_FLUSH" => Ok(FlushDiskType::SyncFlush),
            "ASYNC_FLUSH" => Ok(FlushDiskType::AsyncFlush),
            other => Err(format!("No enum constant FlushDiskType.{other}")),
        }
    }
    fn render_value(&self) -> String {
        match self {
            FlushDiskType::SyncFlush => "SYNC_FLUSH",
            FlushDiskType::AsyncFlush => "ASYNC_FLUSH",
        }
        .to_string()
    }
}

/// The broker's replication role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerRole {
    AsyncMaster,
    SyncMaster,
    Slave,
}

impl ConfigValue for BrokerRole {
    fn parse_value(s: &str) -> Result<Self, String> {
        match s.trim() {
            "ASYNC_MASTER" => Ok(BrokerRole::AsyncMaster),
            "SYNC_MASTER" => Ok(BrokerRole::SyncMaster),
            "SLAVE" => Ok(BrokerRole::Slave),
            other => Err(format!("No enum constant BrokerRole.{other}")),
        }
    }
    fn render_value(&self) -> String {
        match self {
            BrokerRole::AsyncMaster => "ASYNC_MASTER",
            BrokerRole::SyncMaster => "SYNC_MASTER",
            BrokerRole::Slave => "SLAVE",
        }
        .to_string()
    }
}

/// `${user.home}/store`.
fn default_root() -> String {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
    format!("{home}{}store", std::path::MAIN_SEPARATOR)
}

/// Bytes of one ConsumeQueue unit (Java `ConsumeQueue.CQ_STORE_UNIT_SIZE`).
pub const CQ_STORE_UNIT_SIZE: i32 = 20;

crate::java_config! {
    /// The message store's configuration (Java `MessageStoreConfig`).
    pub struct MessageStoreConfig {
        /// Root of the store: checkpoint, abort, lock, config/, consumequeue/, index/.
        store_path_root_dir: String = "storePathRootDir" => default_root(),
        /// CommitLog directory; empty = `<root>/commitlog`.
        store_path_commit_log: String = "storePathCommitLog" => String::new(),
        store_path_d_ledger_commit_log: String = "storePathDLedgerCommitLog" => String::new(),
        read_only_commit_log_store_paths: String = "readOnlyCommitLogStorePaths" => String::new(),
        /// CommitLog file size (1 GiB).
        mapped_file_size_commit_log: i32 = "mappedFileSizeCommitLog" => 1024 * 1024 * 1024,
        /// ConsumeQueue file size (300 000 units of 20 bytes; rounded up to whole units on use).
        mapped_file_size_consume_queue: i32 = "mappedFileSizeConsumeQueue" => 300_000 * CQ_STORE_UNIT_SIZE,
        enable_consume_queue_ext: bool = "enableConsumeQueueExt" => false,
        mapped_file_size_consume_queue_ext: i32 = "mappedFileSizeConsumeQueueExt" => 48 * 1024 * 1024,
        bit_map_length_consume_queue_ext: i32 = "bitMapLengthConsumeQueueExt" => 64,
        /// ASYNC_FLUSH: ms between two CommitLog flushes.
        flush_interval_commit_log: i32 = "flushIntervalCommitLog" => 500,
        /// Transient store pool only: ms between two commits.
        commit_interval_commit_log: i32 = "commitIntervalCommitLog" => 200,
        use_reentrant_lock_when_put_message: bool = "useReentrantLockWhenPutMessage" => true,
        /// ASYNC_FLUSH: sleep a fixed interval (true) or wait to be woken by appends (false).
        flush_commit_log_timed: bool = "flushCommitLogTimed" => true,
        flush_interval_consume_queue: i32 = "flushIntervalConsumeQueue" => 1000,
        /// ms between two retention passes.
        clean_resource_interval: i32 = "cleanResourceInterval" => 10000,
        /// ms slept between deleting two CommitLog files.
        delete_commit_log_files_interval: i32 = "deleteCommitLogFilesInterval" => 100,
        delete_consume_queue_files_interval: i32 = "deleteConsumeQueueFilesInterval" => 100,
        destroy_maped_file_interval_forcibly: i32 = "destroyMapedFileIntervalForcibly" => 1000 * 120,
        redelete_hanged_file_interval: i32 = "redeleteHangedFileInterval" => 1000 * 120,
        /// Hours (`;`-separated, two digits) at which expired files are deleted.
        delete_when: String = "deleteWhen" => "04".to_string(),
        /// Disk usage (percent) above which files are deleted regardless of the hour.
        disk_max_used_space_ratio: i32 = "diskMaxUsedSpaceRatio" => 75,
        /// Hours a CommitLog file is kept after its last write.
        file_reserved_time: i32 = "fileReservedTime" => 72,
        put_msg_index_hight_water: i32 = "putMsgIndexHightWater" => 600000,
        /// Largest accepted message record (4 MiB).
        max_message_size: i32 = "maxMessageSize" => 1024 * 1024 * 4,
        /// Check body CRCs while recovering.
        check_crc_on_recover: bool = "checkCRCOnRecover" => true,
        /// ASYNC_FLUSH: pages that must be dirty before a flush.
        flush_commit_log_least_pages: i32 = "flushCommitLogLeastPages" => 4,
        commit_commit_log_least_pages: i32 = "commitCommitLogLeastPages" => 4,
        flush_least_pages_when_warm_maped_file: i32 = "flushLeastPagesWhenWarmMapedFile" => 1024 / 4 * 16,
        flush_consume_queue_least_pages: i32 = "flushConsumeQueueLeastPages" => 2,
        /// ASYNC_FLUSH: ms after which everything dirty is flushed regardless of the page count.
        flush_commit_log_thorough_interval: i32 = "flushCommitLogThoroughInterval" => 1000 * 10,
        commit_commit_log_thorough_interval: i32 = "commitCommitLogThoroughInterval" => 200,
        flush_consume_queue_thorough_interval: i32 = "flushConsumeQueueThoroughInterval" => 1000 * 60,
        max_transfer_bytes_on_message_in_memory: i32 = "maxTransferBytesOnMessageInMemory" => 1024 * 256,
        max_transfer_count_on_message_in_memory: i32 = "maxTransferCountOnMessageInMemory" => 32,
        max_transfer_bytes_on_message_in_disk: i32 = "maxTransferBytesOnMessageInDisk" => 1024 * 64,
        max_transfer_count_on_message_in_disk: i32 = "maxTransferCountOnMessageInDisk" => 8,
        access_message_in_memory_max_ratio: i32 = "accessMessageInMemoryMaxRatio" => 40,
        message_index_enable: bool = "messageIndexEnable" => true,
        max_hash_slot_num: i32 = "maxHashSlotNum" => 5_000_000,
        max_index_num: i32 = "maxIndexNum" => 5_000_000 * 4,
        max_msgs_num_batch: i32 = "maxMsgsNumBatch" => 64,
        message_index_safe: bool = "messageIndexSafe" => false,
        ha_listen_port: i32 = "haListenPort" => 10912,
        ha_send_heartbeat_interval: i32 = "haSendHeartbeatInterval" => 1000 * 5,
        ha_housekeeping_interval: i32 = "haHousekeepingInterval" => 1000 * 20,
        ha_transfer_batch_size: i32 = "haTransferBatchSize" => 1024 * 32,
        ha_master_address: String = "haMasterAddress" => String::new(),
        ha_slave_fallbehind_max: i32 = "haSlaveFallbehindMax" => 1024 * 1024 * 256,
        broker_role: BrokerRole = "brokerRole" => BrokerRole::AsyncMaster,
        flush_disk_type: FlushDiskType = "flushDiskType" => FlushDiskType::AsyncFlush,
        /// SYNC_FLUSH: ms an appender waits for its flush before FLUSH_DISK_TIMEOUT.
        sync_flush_timeout: i64 = "syncFlushTimeout" => 1000 * 5,
        slave_timeout: i32 = "slaveTimeout" => 3000,
        message_delay_level: String = "messageDelayLevel" => "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".to_string(),
        flush_delay_offset_interval: i64 = "flushDelayOffsetInterval" => 1000 * 10,
        clean_file_forcibly_enable: bool = "cleanFileForciblyEnable" => true,
        /// Touch every page of a new CommitLog file before use.
        warm_maped_file_enable: bool = "warmMapedFileEnable" => false,
        offset_check_in_slave: bool = "offsetCheckInSlave" => false,
        debug_lock_enable: bool = "debugLockEnable" => false,
        duplication_enable: bool = "duplicationEnable" => false,
        disk_fall_recorded: bool = "diskFallRecorded" => true,
        os_page_cache_busy_time_out_mills: i64 = "osPageCacheBusyTimeOutMills" => 1000,
        default_query_max_num: i32 = "defaultQueryMaxNum" => 32,
        transient_store_pool_enable: bool = "transientStorePoolEnable" => false,
        transient_store_pool_size: i32 = "transientStorePoolSize" => 5,
        fast_fail_if_no_buffer_in_store_pool: bool = "fastFailIfNoBufferInStorePool" => false,
        enable_d_leger_commit_log: bool = "enableDLegerCommitLog" => false,
        d_leger_group: String = "dLegerGroup" => String::new(),
        d_leger_peers: String = "dLegerPeers" => String::new(),
        d_leger_self_id: String = "dLegerSelfId" => String::new(),
        preferred_leader_id: String = "preferredLeaderId" => String::new(),
        is_enable_batch_push: bool = "isEnableBatchPush" => false,
        enable_schedule_message_stats: bool = "enableScheduleMessageStats" => true,
        enable_lmq: bool = "enableLmq" => false,
        enable_multi_dispatch: bool = "enableMultiDispatch" => false,
        max_lmq_consume_queue_num: i32 = "maxLmqConsumeQueueNum" => 20000,
        enable_schedule_async_deliver: bool = "enableScheduleAsyncDeliver" => false,
        schedule_async_deliver_max_pending_limit: i32 = "scheduleAsyncDeliverMaxPendingLimit" => 2000,
        schedule_async_deliver_max_resend_num2_blocked: i32 = "scheduleAsyncDeliverMaxResendNum2Blocked" => 3,
    }
}

/// Java reads these two from system properties, not from the config file.
pub const DISK_SPACE_WARNING_LEVEL_RATIO: f64 = 0.90;
pub const DISK_SPACE_CLEAN_FORCIBLY_RATIO: f64 = 0.85;

impl MessageStoreConfig {
    /// A config rooted at `root` with everything else at Java's defaults.
    pub fn with_root(root: impl Into<PathBuf>) -> MessageStoreConfig {
        MessageStoreConfig {
            store_path_root_dir: root.into().to_string_lossy().into_owned(),
            ..MessageStoreConfig::default()
        }
    }

    pub fn root_dir(&self) -> PathBuf {
        PathBuf::from(&self.store_path_root_dir)
    }

    /// `storePathCommitLog`, or `<root>/commitlog`.
    pub fn commit_log_dir(&self) -> PathBuf {
        if self.store_path_commit_log.is_empty() {
            self.root_dir().join("commitlog")
        } else {
            PathBuf::from(&self.store_path_commit_log)
        }
    }

    pub fn consume_queue_dir(&self) -> PathBuf {
        self.root_dir().join("consumequeue")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.root_dir().join("index")
    }

    pub fn checkpoint_path(&self) -> PathBuf {
        self.root_dir().join("checkpoint")
    }

    pub fn abort_path(&self) -> PathBuf {
        self.root_dir().join("abort")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root_dir().join("lock")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root_dir().join("config")
    }

    /// CommitLog file size in bytes (at least one page).
    pub fn commit_log_file_size(&self) -> usize {
        (self.mapped_file_size_commit_log.max(4096)) as usize
    }

    /// ConsumeQueue file size rounded up to whole 20-byte units (Java's getter does this).
    pub fn consume_queue_file_size(&self) -> usize {
        let units = (self.mapped_file_size_consume_queue.max(CQ_STORE_UNIT_SIZE) as usize)
            .div_ceil(CQ_STORE_UNIT_SIZE as usize);
        units * CQ_STORE_UNIT_SIZE as usize
    }

    /// Delay levels in ms, parsed from `messageDelayLevel` (`1s 5s ... 2h`; s, m, h, d units).
    pub fn delay_levels_ms(&self) -> Result<Vec<i64>, String> {
        self.message_delay_level
            .split_whitespace()
            .map(|level| {
                let (num, unit) = level.split_at(level.len().saturating_sub(1));
                let factor = match unit {
                    "s" => 1000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    "d" => 86_400_000,
                    _ => return Err(format!("bad delay level {level:?}")),
                };
                num.parse::<i64>()
                    .map(|n| n * factor)
                    .map_err(|e| format!("bad delay level {level:?}: {e}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::JavaConfig;

    #[test]
    fn java_defaults_and_keys() {
        let c = MessageStoreConfig::default();
        assert!(c.store_path_root_dir.ends_with("store"));
        assert_eq!(c.mapped_file_size_commit_log, 1 << 30);
        assert_eq!(c.consume_queue_file_size(), 6_000_000);
        assert_eq!(c.max_hash_slot_num, 5_000_000);
        assert_eq!(c.max_index_num, 20_000_000);
        assert_eq!(c.flush_disk_type, FlushDiskType::AsyncFlush);
        assert_eq!(c.delay_levels_ms().unwrap().len(), 18);
        assert_eq!(c.delay_levels_ms().unwrap()[2], 10_000);

        let mut c = MessageStoreConfig::with_root("/tmp/x");
        assert_eq!(c.commit_log_dir(), PathBuf::from("/tmp/x/commitlog"));
        assert_eq!(c.set("flushDiskType", "SYNC_FLUSH"), Ok(true));
        assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
        assert_eq!(c.set("brokerRole", "SLAVE"), Ok(true));
        assert_eq!(c.broker_role, BrokerRole::Slave);
        assert!(c.set("brokerRole", "BOSS").is_err());
        assert_eq!(c.set("mappedFileSizeConsumeQueue", "30"), Ok(true));
        assert_eq!(c.consume_queue_file_size(), 40);
        assert_eq!(c.set("storePathCommitLog", "/data/cl"), Ok(true));
        assert_eq!(c.commit_log_dir(), PathBuf::from("/data/cl"));
        let entries = c.entries();
        assert!(entries.contains(&("flushDiskType", "SYNC_FLUSH".to_string())));
        assert!(entries.contains(&("deleteWhen", "04".to_string())));
    }
}
