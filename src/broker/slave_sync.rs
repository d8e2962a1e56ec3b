//! A slave's copy of its master's metadata (Java `SlaveSynchronize` and the slave timer in
//! `BrokerController.handleSlaveSynchronize`).
//!
//! The HA stream copies the CommitLog only. Topics, consumer offsets, delay-level progress and
//! subscription groups live in `config/*.json`, so a slave asks its master for them: 3 s after
//! start, then every 10 s (Java 4.9.7's schedule; the golden capture shows the requests at
//! 3.2 s, 13.2 s, 23.2 s), in Java's order:
//!
//! | request | sent to | applied as Java does |
//! | --- | --- | --- |
//! | GET_ALL_TOPIC_CONFIG | the master's VIP port (`listenPort - 2`) | replaced, with the master's DataVersion, when the versions differ; topics.json written |
//! | GET_ALL_CONSUMER_OFFSET | the master's remoting port | merged (`putAll`: the master's entries win, the slave's other entries stay); consumerOffset.json written |
//! | GET_ALL_DELAY_OFFSET | the master's remoting port | the body written verbatim to delayOffset.json; the slave's schedule service takes the table |
//! | GET_ALL_SUBSCRIPTIONGROUP_CONFIG | the master's remoting port | replaced, with the master's DataVersion, when the versions differ; subscriptionGroup.json written |
//!
//! The master's address is the `masterAddr` the NameServer answered the slave's registration
//! with (`Broker::master_addr`). Nothing is asked when there is none, or when it is the slave's
//! own address. One failed step is logged and does not stop the others (Java's try/catch per
//! step).
//!
//! Where we differ: Java writes a delay-offset body it cannot parse to the file anyway (and then
//! fails to load it at the next start); we keep the slave's file and table and log the error.

use super::Broker;
use crate::fastjson;
use crate::remoting::{request_code, response_code, RemotingCommand, RemotingError};
use crate::store::metadata::{
    write_string, ConfigFileError, ConsumerOffsetTable, DelayOffsetTable, StoreConfigFile,
    SubscriptionGroupTable, TopicConfigSerializeWrapper,
};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Java's initial delay of the slave timer.
pub const FIRST_SYNC: Duration = Duration::from_secs(3);
/// Java's period of the slave timer.
pub const SYNC_PERIOD: Duration = Duration::from_secs(10);
/// Java's `invokeSync(..., 3000)` in `BrokerOuterAPI.getAll*`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// What one step of a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    /// The slave's table now is the master's (and its file was written).
    Applied,
    /// The DataVersions were equal: nothing to do.
    Unchanged,
}

/// Why one step of a sync failed. The slave's table is untouched then.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Remoting(#[from] RemotingError),
    #[error("master answered code {code}: {remark}")]
    Refused { code: i32, remark: String },
    #[error("master answered without a body")]
    NoBody,
    #[error("unreadable body: {0}")]
    Body(String),
    #[error("{0}")]
    Persist(#[from] ConfigFileError),
    #[error("persist task: {0}")]
    Task(String),
}

/// The outcome of each of the four steps of one [`sync_all`].
#[derive(Debug)]
pub struct SyncReport {
    /// The master asked.
    pub master: String,
    pub topics: Result<Synced, SyncError>,
    pub consumer_offsets: Result<Synced, SyncError>,
    pub delay_offsets: Result<Synced, SyncError>,
    pub subscription_groups: Result<Synced, SyncError>,
}

impl SyncReport {
    /// True when every step succeeded.
    pub fn all_ok(&self) -> bool {
        self.topics.is_ok()
            && self.consumer_offsets.is_ok()
            && self.delay_offsets.is_ok()
            && self.subscription_groups.is_ok()
    }
}

/// Java `MixAll.brokerVIPChannel(true, addr)`: the same host, port - 2. An address without a
/// port (or with one too small to have a VIP neighbour) is used as it is.
pub fn vip_channel(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) => match port.parse::<i32>() {
            Ok(p) if p > 2 => format!("{host}:{}", p - 2),
            _ => addr.to_string(),
        },
        None => addr.to_string(),
    }
}

/// The slave timer: [`sync_all`] after [`FIRST_SYNC`], then every [`SYNC_PERIOD`], until
/// `shutdown`. Spawned by the runtime on a SLAVE only.
pub async fn run(broker: Arc<Broker>, shutdown: CancellationToken) {
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + FIRST_SYNC, SYNC_PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {
                if let Some(report) = sync_all(&broker).await {
                    log_report(&report);
                }
            }
        }
    }
}

fn log_report(report: &SyncReport) {
    let steps = [
        ("topic config", &report.topics),
        ("consumer offset", &report.consumer_offsets),
        ("delay offset", &report.delay_offsets),
        ("subscription group", &report.subscription_groups),
    ];
    let mut failures = Vec::new();
    for (what, outcome) in steps {
        match outcome {
            Ok(Synced::Applied) => {
                tracing::info!("Update slave {what} from master, {}", report.master)
            }
            Ok(Synced::Unchanged) => {}
            Err(e) => failures.push(format!("{what}: {e}")),
        }
    }
    // One line per round: a master that is down fails all four steps every 10 s.
    if !failures.is_empty() {
        tracing::warn!(
            "sync from master {} failed: {}",
            report.master,
            failures.join("; ")
        );
    }
}

/// One round of Java's `syncAll`: the four tables from the master, in Java's order. `None`
/// when there is no master to ask (not registered yet, or the master is this broker).
pub async fn sync_all(broker: &Arc<Broker>) -> Option<SyncReport> {
    let master = broker
        .master_addr()
        .filter(|m| !m.is_empty() && *m != broker.broker_addr)?;
    let topics = sync_topic_config(broker, &master).await;
    let consumer_offsets = sync_consumer_offset(broker, &master).await;
    let delay_offsets = sync_delay_offset(broker, &master).await;
    let subscription_groups = sync_subscription_group_config(broker, &master).await;
    Some(SyncReport {
        master,
        topics,
        consumer_offsets,
        delay_offsets,
        subscription_groups,
    })
}

/// Sends a body-less request and returns the SUCCESS response's body.
async fn fetch(broker: &Broker, addr: &str, code: i32) -> Result<bytes::Bytes, SyncError> {
    let request = RemotingCommand::request(code, None);
    let response = broker
        .namesrv_client
        .invoke(addr, request, REQUEST_TIMEOUT)
        .await?;
    if response.code != response_code::SUCCESS {
        return Err(SyncError::Refused {
            code: response.code,
            remark: response.remark.unwrap_or_default(),
        });
    }
    response.body.ok_or(SyncError::NoBody)
}

fn decode<T: fastjson::FromJson>(body: &[u8]) -> Result<T, SyncError> {
    fastjson::decode_bytes(body).map_err(|e| SyncError::Body(e.to_string()))
}

/// Runs a config-file write on the blocking pool.
async fn blocking<F>(write: F) -> Result<(), SyncError>
where
    F: FnOnce() -> Result<(), ConfigFileError> + Send + 'static,
{
    tokio::task::spawn_blocking(write)
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?
        .map_err(SyncError::from)
}

async fn sync_topic_config(broker: &Broker, master: &str) -> Result<Synced, SyncError> {
    let body = fetch(
        broker,
        &vip_channel(master),
        request_code::GET_ALL_TOPIC_CONFIG,
    )
    .await?;
    let wrapper: TopicConfigSerializeWrapper = decode(&body)?;
    apply_topic_config(broker, wrapper)
}

/// Java's rule: take the master's table and version when the versions differ.
fn apply_topic_config(
    broker: &Broker,
    wrapper: TopicConfigSerializeWrapper,
) -> Result<Synced, SyncError> {
    if broker.topics.data_version() == wrapper.data_version {
        return Ok(Synced::Unchanged);
    }
    // Control-plane write of a few KB, as every topics.json write in the broker (see
    // topic_manager): done in the calling task.
    broker.topics.replace(wrapper)?;
    Ok(Synced::Applied)
}

async fn sync_consumer_offset(broker: &Broker, master: &str) -> Result<Synced, SyncError> {
    let body = fetch(broker, master, request_code::GET_ALL_CONSUMER_OFFSET).await?;
    let table: ConsumerOffsetTable = decode(&body)?;
    broker.offsets.put_all(table);
    let root = broker.store_config.root_dir();
    let snapshot = broker.offsets.snapshot();
    blocking(move || snapshot.persist_to(&root)).await?;
    Ok(Synced::Applied)
}

async fn sync_delay_offset(broker: &Broker, master: &str) -> Result<Synced, SyncError> {
    let body = fetch(broker, master, request_code::GET_ALL_DELAY_OFFSET).await?;
    let table: DelayOffsetTable = decode(&body)?;
    let text = String::from_utf8(body.to_vec()).map_err(|e| SyncError::Body(e.to_string()))?;
    // Java `MixAll.string2File(body, delayOffsetStorePath)`: the master's text as it came.
    let path = DelayOffsetTable::path(&broker.store_config.root_dir());
    blocking(move || write_string(&path, &text)).await?;
    broker.schedule.replace_offsets(table);
    Ok(Synced::Applied)
}

async fn sync_subscription_group_config(
    broker: &Arc<Broker>,
    master: &str,
) -> Result<Synced, SyncError> {
    let body = fetch(
        broker,
        master,
        request_code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    )
    .await?;
    let table: SubscriptionGroupTable = decode(&body)?;
    if broker.groups.data_version() == table.data_version {
        return Ok(Synced::Unchanged);
    }
    let b = broker.clone();
    blocking(move || b.groups.replace(table)).await?;
    Ok(Synced::Applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_channel_is_port_minus_two() {
        assert_eq!(vip_channel("127.0.0.1:10911"), "127.0.0.1:10909");
        assert_eq!(vip_channel("10.0.0.7:30911"), "10.0.0.7:30909");
        assert_eq!(vip_channel("host-without-port"), "host-without-port");
        assert_eq!(vip_channel("h:abc"), "h:abc");
        assert_eq!(vip_channel("h:2"), "h:2");
    }
}
