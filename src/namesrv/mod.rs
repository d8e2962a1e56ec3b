//! The NameServer: route table, KV config and the 4.9.7 request handlers.
//!
//! [`Namesrv`] is the shared state (Java `NamesrvController` minus the networking);
//! [`handlers`] holds one module per request code and [`handlers::dispatch`] picks one by code;
//! [`server`] puts it on the network with the remoting server and runs the periodic broker scan.

pub mod config;
pub mod handlers;
pub mod kv_config;
pub mod route_info;
pub mod server;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use config::{NamesrvConfig, NamesrvServerConfig, NamesrvSettings};
pub use kv_config::KvConfigManager;
pub use route_info::{ConnectionId, RouteInfoManager, BROKER_CHANNEL_EXPIRED_MILLIS};

/// The KV namespace holding per-topic order configuration (Java `NamesrvUtil`).
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Where "now" comes from. Injected so tests can expire brokers without waiting two minutes.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_millis(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        crate::protocol::body::now_millis()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start_millis: i64) -> ManualClock {
        ManualClock(AtomicI64::new(start_millis))
    }

    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The NameServer's state, shared by all connections.
#[derive(Debug)]
pub struct Namesrv {
    settings: RwLock<NamesrvSettings>,
    pub route: RouteInfoManager,
    pub kv: KvConfigManager,
    clock: Arc<dyn Clock>,
}

impl Namesrv {
    /// A NameServer with the wall clock and Java's 120 s broker expiry. Loads the KV store.
    pub fn new(settings: NamesrvSettings) -> Namesrv {
        Namesrv::with_clock(
            settings,
            Arc::new(SystemClock),
            BROKER_CHANNEL_EXPIRED_MILLIS,
        )
    }

    /// Same, with an injected clock and broker expiry.
    pub fn with_clock(
        settings: NamesrvSettings,
        clock: Arc<dyn Clock>,
        broker_expiry_millis: i64,
    ) -> Namesrv {
        let kv = KvConfigManager::new(settings.namesrv.kv_config_path.clone());
        kv.load();
        Namesrv {
            settings: RwLock::new(settings),
            route: RouteInfoManager::new(broker_expiry_millis),
            kv,
            clock,
        }
    }

    pub fn now_millis(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn settings(&self) -> RwLockReadGuard<'_, NamesrvSettings> {
        self.settings.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn settings_mut(&self) -> RwLockWriteGuard<'_, NamesrvSettings> {
        self.settings.write().unwrap_or_else(|e| e.into_inner())
    }
}
