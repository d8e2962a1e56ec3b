//! Master/slave replication, as Java 4.9.7's `HAService` on the wire and in its decisions.
//!
//! - [`wire`]: the byte format (8-byte offset reports up, 12-byte headers + CommitLog bytes down).
//! - [`master`]: the acceptor on `haListenPort` and one streaming connection per slave.
//! - [`slave`]: the client a SLAVE broker runs against its master's HA address.
//! - [`replica`]: SYNC_MASTER sends parked until a slave acknowledged them.
//!
//! [`HaService`] is the state they share and what the broker sees of replication.

pub mod master;
pub mod replica;
pub mod slave;
pub mod wire;

use crate::store::commit_log::{PutMessageResult, PutMessageStatus};
use crate::store::config::{BrokerRole, MessageStoreConfig};
use crate::store::message_store::MessageStore;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Timing and sizes, from MessageStoreConfig.
#[derive(Debug, Clone)]
pub struct HaSettings {
    pub role: BrokerRole,
    /// `haSendHeartbeatInterval`: an idle master sends an empty header, an idle slave its offset.
    pub heartbeat: Duration,
    /// `haHousekeepingInterval`: a peer silent this long is dropped.
    pub housekeeping: Duration,
    /// `haTransferBatchSize`: most CommitLog bytes per transfer.
    pub batch_size: usize,
    /// `haSlaveFallbehindMax`: a slave further behind than this is "not available".
    pub fallbehind_max: i64,
    /// `slaveTimeout`: how long a SYNC_MASTER send waits for the slave.
    pub slave_timeout: Duration,
    pub commit_log_file_size: i64,
}

impl HaSettings {
    pub fn from_config(c: &MessageStoreConfig) -> HaSettings {
        let ms = |v: i64| Duration::from_millis(v.max(1) as u64);
        HaSettings {
            role: c.broker_role,
            heartbeat: ms(c.ha_send_heartbeat_interval as i64),
            housekeeping: ms(c.ha_housekeeping_interval as i64),
            batch_size: c.ha_transfer_batch_size.max(1) as usize,
            fallbehind_max: c.ha_slave_fallbehind_max as i64,
            slave_timeout: ms(c.slave_timeout as i64),
            commit_log_file_size: (c.mapped_file_size_commit_log as i64).max(1),
        }
    }
}

/// One slave as the master sees it.
#[derive(Debug)]
pub struct SlaveLink {
    pub peer: String,
    /// The slave's first report (Java `slaveRequestOffset`), -1 until it arrives.
    request_offset: AtomicI64,
    /// Where streaming started (the request offset, or the last file's start for a report of 0).
    transfer_start: AtomicI64,
    /// The slave's latest report (Java `slaveAckOffset`), -1 until the first.
    reported: AtomicI64,
    /// The end of the bytes written to this connection so far: acknowledgements are never
    /// counted beyond it (see `master::count_report`).
    sent_end: AtomicI64,
    started: Notify,
}

impl SlaveLink {
    fn new(peer: String) -> SlaveLink {
        SlaveLink {
            peer,
            request_offset: AtomicI64::new(-1),
            transfer_start: AtomicI64::new(-1),
            reported: AtomicI64::new(-1),
            sent_end: AtomicI64::new(-1),
            started: Notify::new(),
        }
    }

    /// The slave's latest offset report, -1 before the first.
    pub fn reported_offset(&self) -> i64 {
        self.reported.load(Ordering::Acquire)
    }

    /// How far this connection has streamed.
    pub fn sent_offset(&self) -> i64 {
        self.sent_end.load(Ordering::Acquire)
    }
}

/// A slave's view of its replication.
#[derive(Debug, Default)]
struct SlaveSide {
    /// The master's HA address (`haMasterAddress`, or the NameServer's `haServerAddr`).
    master_addr: Mutex<Option<String>>,
    /// Java `updateMasterHAServerAddrPeriodically`: no haMasterAddress configured, so the
    /// registration result names the master.
    follow_namesrv: AtomicBool,
    changed: Notify,
    connected: AtomicBool,
    /// The offset the last header from the master ended at.
    master_offset: AtomicI64,
    /// The last offset reported to the master.
    reported: AtomicI64,
}

/// What `GET_BROKER_RUNTIME_INFO`-style reports and tests read about replication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaStatus {
    pub role: BrokerRole,
    /// Master: connected slaves (Java `connectionCount`).
    pub connected_slaves: usize,
    /// Master: each slave's address and latest reported offset.
    pub slave_reports: Vec<(String, i64)>,
    /// Master: the highest acknowledged offset (Java `push2SlaveMaxOffset`).
    pub push_to_slave_max_offset: i64,
    /// This broker's CommitLog max offset (Java `masterPutWhere` on a master).
    pub max_offset: i64,
    /// Master: `max_offset - push_to_slave_max_offset` (Java `slaveFallBehindMuch`).
    pub slave_fall_behind: i64,
    /// Slave: the master's HA address, connected or not.
    pub master_ha_addr: Option<String>,
    pub connected_to_master: bool,
    /// Slave: the last offset the master streamed up to minus what is stored here.
    pub behind_master: i64,
}

/// Replication state shared by the acceptor, the slave connections, the slave client and the
/// send path.
pub struct HaService {
    store: Arc<MessageStore>,
    settings: HaSettings,
    slaves: Mutex<Vec<Arc<SlaveLink>>>,
    acks: replica::ReplicaWaiters,
    /// Woken after appends so the streaming connections send at once (Java polls every 100 ms
    /// unless a SYNC_MASTER send wakes it).
    data_arrived: Notify,
    slave: SlaveSide,
}

impl std::fmt::Debug for HaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HaService")
            .field("role", &self.settings.role)
            .finish()
    }
}

impl HaService {
    pub fn new(store: Arc<MessageStore>, config: &MessageStoreConfig) -> Arc<HaService> {
        let ha = HaService {
            store,
            settings: HaSettings::from_config(config),
            slaves: Mutex::new(Vec::new()),
            acks: replica::ReplicaWaiters::default(),
            data_arrived: Notify::new(),
            slave: SlaveSide::default(),
        };
        // Java BrokerController.initialize: a configured haMasterAddress (at least 6 chars)
        // wins for good; otherwise each registration result's haServerAddr is followed.
        if config.ha_master_address.len() >= 6 {
            *ha.slave
                .master_addr
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(config.ha_master_address.clone());
        } else {
            ha.slave.follow_namesrv.store(true, Ordering::Release);
        }
        Arc::new(ha)
    }

    pub fn settings(&self) -> &HaSettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<MessageStore> {
        &self.store
    }

    /// Master: slaves connected now.
    pub fn connected_slaves(&self) -> usize {
        self.lock_slaves().len()
    }

    /// Master: each connected slave's address and latest report.
    pub fn slave_reports(&self) -> Vec<(String, i64)> {
        self.lock_slaves()
            .iter()
            .map(|s| (s.peer.clone(), s.reported_offset()))
            .collect()
    }

    /// Java `push2SlaveMaxOffset`.
    pub fn push_to_slave_max_offset(&self) -> i64 {
        self.acks.acked()
    }

    /// Java `isSlaveOK`: a slave is connected and not more than `haSlaveFallbehindMax` behind.
    pub fn is_slave_ok(&self, master_put_where: i64) -> bool {
        self.connected_slaves() > 0
            && master_put_where - self.acks.acked() < self.settings.fallbehind_max
    }

    /// Java `slaveFallBehindMuch`.
    pub fn slave_fall_behind_much(&self) -> i64 {
        self.store.max_phy_offset() - self.acks.acked()
    }

    /// Slave: the master's HA address currently followed.
    pub fn master_ha_address(&self) -> Option<String> {
        self.slave
            .master_addr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Slave: follow a new master HA address (Java `updateHaMasterAddress`); a connection to the
    /// old one is closed.
    pub fn set_master_ha_address(&self, addr: &str) {
        let mut current = self
            .slave
            .master_addr
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if current.as_deref() != Some(addr) {
            tracing::info!("master HA address is now {addr}");
            *current = Some(addr.to_string());
            drop(current);
            self.slave.changed.notify_waiters();
        }
    }

    /// Slave: what a REGISTER_BROKER answer said (`haServerAddr`); ignored when haMasterAddress
    /// is configured, as Java.
    pub fn on_registered(&self, ha_server_addr: Option<&str>) {
        if let Some(addr) = ha_server_addr.filter(|a| !a.is_empty()) {
            if self.slave.follow_namesrv.load(Ordering::Acquire) {
                self.set_master_ha_address(addr);
            }
        }
    }

    pub fn status(&self) -> HaStatus {
        let max_offset = self.store.max_phy_offset();
        let master_offset = self.slave.master_offset.load(Ordering::Acquire);
        HaStatus {
            role: self.settings.role,
            connected_slaves: self.connected_slaves(),
            slave_reports: self.slave_reports(),
            push_to_slave_max_offset: self.acks.acked(),
            max_offset,
            slave_fall_behind: max_offset - self.acks.acked(),
            master_ha_addr: self.master_ha_address(),
            connected_to_master: self.slave.connected.load(Ordering::Acquire),
            behind_master: (master_offset - max_offset).max(0),
        }
    }

    /// After a put: wakes the streaming connections and, on a SYNC_MASTER for a producer that
    /// waits (`WAIT=true`), waits for a slave. The returned status is Java's combination of the
    /// flush and replica outcomes (`thenCombine`): a replica failure wins over a flush failure.
    pub async fn after_put(
        &self,
        mut result: PutMessageResult,
        wait_store_msg_ok: bool,
    ) -> PutMessageResult {
        let Some(end) = result.append.as_ref().map(|a| a.next_offset()) else {
            return result;
        };
        if !matches!(
            result.status,
            PutMessageStatus::PutOk | PutMessageStatus::FlushDiskTimeout
        ) {
            return result;
        }
        self.wake_streams();
        if self.settings.role != BrokerRole::SyncMaster || !wait_store_msg_ok {
            return result;
        }
        let replica = self.wait_replicated(end).await;
        if replica != PutMessageStatus::PutOk {
            result.status = replica;
        }
        result
    }

    /// Java `submitReplicaRequest` for a message ending at `end`: SLAVE_NOT_AVAILABLE at once
    /// when no slave is fit, else PUT_OK once a slave acknowledged `end`, FLUSH_SLAVE_TIMEOUT
    /// after `slaveTimeout`.
    pub async fn wait_replicated(&self, end: i64) -> PutMessageStatus {
        if !self.is_slave_ok(end) {
            return PutMessageStatus::SlaveNotAvailable;
        }
        self.wake_streams();
        if self.acks.wait_for(end, self.settings.slave_timeout).await {
            PutMessageStatus::PutOk
        } else {
            tracing::warn!(offset = end, "wait for slave acknowledgement timed out");
            PutMessageStatus::FlushSlaveTimeout
        }
    }

    /// Tells the streaming connections new CommitLog bytes are there.
    pub fn wake_streams(&self) {
        self.data_arrived.notify_waiters();
    }

    /// Sends waiting for a slave right now.
    pub fn waiting_sends(&self) -> usize {
        self.acks.waiting()
    }

    fn lock_slaves(&self) -> std::sync::MutexGuard<'_, Vec<Arc<SlaveLink>>> {
        self.slaves.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add_slave(&self, link: Arc<SlaveLink>) {
        self.lock_slaves().push(link);
    }

    fn remove_slave(&self, link: &Arc<SlaveLink>) {
        self.lock_slaves().retain(|s| !Arc::ptr_eq(s, link));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &std::path::Path, tweak: impl FnOnce(&mut MessageStoreConfig)) -> Arc<HaService> {
        let mut c = MessageStoreConfig::with_root(dir);
        c.broker_role = BrokerRole::Slave;
        tweak(&mut c);
        let store = MessageStore::open(c.clone()).unwrap();
        HaService::new(store, &c)
    }

    #[test]
    fn master_ha_address_from_config_or_registration_as_java() {
        let dir = std::env::temp_dir().join(format!("ferrocket-ha-addr-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // No haMasterAddress: each registration result's haServerAddr is followed.
        let ha = open(&dir.join("a"), |_| {});
        assert_eq!(ha.master_ha_address(), None);
        ha.on_registered(Some("127.0.0.1:10912"));
        assert_eq!(ha.master_ha_address().as_deref(), Some("127.0.0.1:10912"));
        ha.on_registered(None);
        ha.on_registered(Some("10.0.0.9:10912"));
        assert_eq!(ha.master_ha_address().as_deref(), Some("10.0.0.9:10912"));
        ha.store().shutdown();
        // haMasterAddress (6 chars or more) wins for good; shorter is ignored as in Java.
        let ha = open(&dir.join("b"), |c| {
            c.ha_master_address = "127.0.0.1:20912".into()
        });
        ha.on_registered(Some("127.0.0.1:10912"));
        assert_eq!(ha.master_ha_address().as_deref(), Some("127.0.0.1:20912"));
        ha.store().shutdown();
        let ha = open(&dir.join("c"), |c| c.ha_master_address = "a:1".into());
        ha.on_registered(Some("127.0.0.1:10912"));
        assert_eq!(ha.master_ha_address().as_deref(), Some("127.0.0.1:10912"));
        // No slave: not OK, whatever the offsets.
        assert!(!ha.is_slave_ok(0));
        ha.store().shutdown();
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn appended(status: PutMessageStatus) -> PutMessageResult {
        use crate::store::commit_log::{AppendMessageResult, AppendMessageStatus};
        PutMessageResult {
            status,
            append: Some(AppendMessageResult {
                status: AppendMessageStatus::PutOk,
                wrote_offset: 0,
                wrote_bytes: 100,
                store_timestamp: 0,
                logics_offset: 0,
                msg_num: 1,
                store_host: "127.0.0.1:10911".parse().unwrap(),
                batch_offsets: Vec::new(),
            }),
        }
    }

    /// Java's `thenCombine`: the flush status, then the replica status over it when not OK;
    /// only a SYNC_MASTER waits, and only for a producer that waits (`WAIT=true`).
    #[tokio::test]
    async fn put_status_combines_flush_and_replica_as_java() {
        use PutMessageStatus::*;
        let dir = std::env::temp_dir().join(format!("ferrocket-ha-combine-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (role, wait, flush, want) in [
            (BrokerRole::SyncMaster, true, PutOk, SlaveNotAvailable),
            (
                BrokerRole::SyncMaster,
                true,
                FlushDiskTimeout,
                SlaveNotAvailable,
            ),
            (
                BrokerRole::SyncMaster,
                false,
                FlushDiskTimeout,
                FlushDiskTimeout,
            ),
            (BrokerRole::SyncMaster, false, PutOk, PutOk),
            (BrokerRole::AsyncMaster, true, PutOk, PutOk),
            (
                BrokerRole::AsyncMaster,
                true,
                FlushDiskTimeout,
                FlushDiskTimeout,
            ),
        ] {
            let root = dir.join(format!("{role:?}-{wait}-{flush:?}"));
            let ha = tokio::task::spawn_blocking(move || open(&root, |c| c.broker_role = role))
                .await
                .unwrap();
            let got = ha.after_put(appended(flush), wait).await;
            assert_eq!(got.status, want, "{role:?} wait={wait} flush={flush:?}");
            assert!(got.append.is_some());
            // A put that stored nothing is passed through untouched.
            let failed = PutMessageResult::failed(MessageIllegal);
            assert_eq!(ha.after_put(failed, wait).await.status, MessageIllegal);
            let store = ha.store().clone();
            tokio::task::spawn_blocking(move || store.shutdown())
                .await
                .unwrap();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
