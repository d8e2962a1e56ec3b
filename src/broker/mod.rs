//! The Broker: configuration, request handlers, client and topic management, and the loops that
//! keep it registered with its NameServers.
//!
//! `Broker` owns the state every handler needs; `processor::BrokerProcessor` dispatches each
//! request code to its handler under `handlers/<area>/`.

pub mod client_manager;
pub mod config;
pub mod consumer_filter;
pub mod handlers;
pub mod live_knobs;
pub mod long_polling;
pub mod offset_manager;
pub mod processor;
pub mod rebalance_lock;
pub mod registration;
pub mod runtime;
pub mod schedule;
pub mod settings;
pub mod slave_sync;
pub mod stats;
pub mod stats_item;
pub mod subscription_manager;
pub mod topic_manager;
pub mod transaction;

use crate::config::{NettyClientConfig, NettyServerConfig};
use crate::protocol::body::DataVersion;
use crate::protocol::header::NotifyConsumerIdsChangedRequestHeader;
use crate::protocol::CommandHeader;
use crate::remoting::{request_code, Connection, RemotingClient, RemotingCommand};
use crate::store::config::MessageStoreConfig;
use crate::store::message_store::{MessageStore, StoreError};
use crate::store::metadata::ConfigFileError;
use client_manager::ClientManager;
use config::BrokerConfig;
use offset_manager::ConsumerOffsetManager;
use settings::BrokerSettings;
use std::sync::{Arc, Mutex};
use subscription_manager::SubscriptionGroupManager;
use tokio::sync::Notify;
use topic_manager::TopicConfigManager;

/// Everything the request handlers share.
pub struct Broker {
    pub config: BrokerConfig,
    pub server_config: NettyServerConfig,
    pub client_config: NettyClientConfig,
    pub store_config: MessageStoreConfig,
    pub store: Arc<MessageStore>,
    pub topics: TopicConfigManager,
    pub groups: SubscriptionGroupManager,
    pub offsets: ConsumerOffsetManager,
    pub clients: ClientManager,
    /// Woken when the topic table changed and the NameServers should hear of it now rather
    /// than at the next 30-second registration.
    pub register_now: Notify,
    /// The connections to NameServers (and, for a slave, to its master).
    pub namesrv_client: RemotingClient,
    /// `brokerIP1:listenPort`: where clients reach this broker.
    pub broker_addr: String,
    /// `brokerIP2:haListenPort`: where slaves replicate from.
    pub ha_server_addr: String,
    /// For a slave, the master's remoting address as the NameServer reported it.
    master_addr: Mutex<Option<String>>,
    /// Pulls parked until a message arrives (long polling).
    pub pull_holds: Arc<long_polling::PullHoldService>,
    /// Put/get counters and tps samples (GET_BROKER_RUNTIME_INFO, GET_CONSUME_STATS).
    pub stats: Arc<stats::BrokerStats>,
    /// The configuration as UPDATE_BROKER_CONFIG last changed it, with its version (Java's
    /// `Configuration`). The plain fields above keep the start-up values.
    pub live_config: std::sync::RwLock<LiveConfig>,
    /// The keys of `live_config` that take effect at runtime, as atomics for the hot paths
    /// (`live_knobs` lists them; everything else needs a restart).
    pub knobs: Arc<live_knobs::LiveKnobs>,
    /// Serializes topic creation and deletion (Java's `synchronized` admin handlers).
    pub admin_lock: tokio::sync::Mutex<()>,
    /// Bound on sends in flight (`sendThreadPoolQueueCapacity`).
    pub send_limiter: handlers::send::SendLimiter,
    /// Delayed delivery (runs only on a master; the offsets are served everywhere).
    pub schedule: Arc<schedule::ScheduleMessageService>,
    /// Orderly consumers' queue locks (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ).
    pub rebalance_locks: rebalance_lock::RebalanceLockManager,
    /// Master/slave replication: connected slaves and their acknowledgements on a master, the
    /// master's HA address on a slave.
    pub ha: Arc<crate::ha::HaService>,
    /// SQL92 filter data of the consumer groups (`config/consumerFilter.json`).
    pub filters: Arc<consumer_filter::ConsumerFilterManager>,
}

/// The runtime-changeable configuration (Java `Configuration`): the four configs, their
/// DataVersion, and the properties file UPDATE_BROKER_CONFIG writes them to.
pub struct LiveConfig {
    pub settings: BrokerSettings,
    pub version: DataVersion,
    /// Java writes to the `-c` file (`BrokerPathConfigHelper`); `None`: the Java default
    /// for the default store root, `<storePathRootDir>/config/broker.properties`.
    pub file: Option<std::path::PathBuf>,
}

/// Why a broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("message store: {0}")]
    Store(#[from] StoreError),
    #[error("config file: {0}")]
    ConfigFile(#[from] ConfigFileError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

impl Broker {
    /// Opens the store (recovering it if needed) and loads the config files: everything but
    /// the network. Blocking: call it off the async reactor.
    pub fn open(settings: BrokerSettings) -> Result<Arc<Broker>, StartError> {
        let BrokerSettings {
            broker,
            server,
            client,
            store,
        } = settings;
        let live_settings = BrokerSettings {
            broker: broker.clone(),
            server: server.clone(),
            client: client.clone(),
            store: store.clone(),
        };
        let knobs = Arc::new(live_knobs::LiveKnobs::new(&live_settings));
        let message_store = MessageStore::open(store.clone())?;
        let root = store.root_dir();
        let topics = TopicConfigManager::load(&broker, &root)?;
        let groups = SubscriptionGroupManager::load(&root, broker.auto_create_subscription_group)?;
        let offsets = ConsumerOffsetManager::load(&root)?;
        let filters = Arc::new(consumer_filter::ConsumerFilterManager::load(
            &root,
            consumer_filter::bloom_filter_of(&broker),
            broker.filter_data_clean_time_span,
            crate::java::current_time_millis(),
        )?);
        let broker_addr = format!("{}:{}", broker.broker_ip1, server.listen_port);
        let ha_server_addr = format!("{}:{}", broker.broker_ip2, store.ha_listen_port);
        let namesrv_client = RemotingClient::new((&client).into());
        let schedule = Arc::new(schedule::ScheduleMessageService::load(
            message_store.clone(),
        )?);
        let send_limiter = handlers::send::SendLimiter::new(
            broker.send_thread_pool_queue_capacity.max(0) as usize,
        );
        let ha = crate::ha::HaService::new(message_store.clone(), &store);
        Ok(Arc::new(Broker {
            config: broker,
            server_config: server,
            client_config: client,
            store_config: store,
            store: message_store,
            topics,
            groups,
            offsets,
            clients: ClientManager::new(),
            register_now: Notify::new(),
            namesrv_client,
            broker_addr,
            ha_server_addr,
            master_addr: Mutex::new(None),
            pull_holds: Arc::new(long_polling::PullHoldService::new()),
            stats: Arc::new(stats::BrokerStats::default()),
            live_config: std::sync::RwLock::new(LiveConfig {
                settings: live_settings,
                version: DataVersion::default(),
                file: None,
            }),
            knobs,
            admin_lock: tokio::sync::Mutex::new(()),
            send_limiter,
            schedule,
            rebalance_locks: rebalance_lock::RebalanceLockManager::default(),
            ha,
            filters,
        }))
    }

    /// Makes the runtime-changeable keys of `settings` (the live configuration after
    /// UPDATE_BROKER_CONFIG) take effect: the knobs, and the copies the topic table, the
    /// subscription groups and the store keep.
    pub fn apply_live_settings(&self, settings: &BrokerSettings) {
        self.knobs.refresh(settings);
        self.topics
            .set_auto_create_topic_enable(settings.broker.auto_create_topic_enable);
        self.groups
            .set_auto_create(settings.broker.auto_create_subscription_group);
        self.store.update_live_config(&settings.store);
    }

    /// The properties file UPDATE_BROKER_CONFIG persists to (Java: the `-c` file).
    pub fn set_config_file(&self, file: std::path::PathBuf) {
        self.live_config
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .file = Some(file);
    }

    /// Milliseconds since the epoch (Java's `System.currentTimeMillis()`).
    pub fn now_millis(&self) -> i64 {
        crate::java::current_time_millis()
    }

    pub fn master_addr(&self) -> Option<String> {
        self.master_addr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_master_addr(&self, addr: String) {
        let mut current = self.master_addr.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_deref() != Some(addr.as_str()) {
            tracing::info!("master address is now {addr}");
            *current = Some(addr);
        }
    }

    /// Forgets the master (the NameServer no longer knows one: a slave stops syncing from it).
    pub fn clear_master_addr(&self) {
        let mut current = self.master_addr.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = current.take() {
            tracing::info!("master {old} is gone from the name server");
        }
    }

    /// Asks the registration loop to register with every NameServer now (Java calls
    /// `registerBrokerAll` after creating a topic).
    pub fn register_with_namesrvs_soon(&self) {
        self.register_now.notify_one();
    }

    /// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to each member of a group, in the
    /// background: a slow client must not hold up the request that changed the group.
    pub fn notify_consumer_ids_changed(&self, group: &str, members: Vec<Connection>) {
        let header = NotifyConsumerIdsChangedRequestHeader {
            consumer_group: group.to_string(),
        };
        let request = RemotingCommand::request(
            request_code::NOTIFY_CONSUMER_IDS_CHANGED,
            Some(header.to_ext_fields()),
        );
        for conn in members {
            let request = request.clone();
            tokio::spawn(async move {
                if let Err(e) = conn.send_oneway(request).await {
                    tracing::debug!("notify consumer ids changed to {}: {e}", conn.peer_addr());
                }
            });
        }
    }
}
