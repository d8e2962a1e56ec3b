//! A running broker: the remoting servers on `listenPort` and on the VIP port `listenPort - 2`
//! (Java's fast remoting server; slaves fetch topic configs there), the NameServer
//! registration loop, the housekeeping timers, and an orderly shutdown.

use super::processor::BrokerProcessor;
use super::registration;
use super::settings::BrokerSettings;
use super::{Broker, StartError};
use crate::remoting::{RemotingServer, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct RunningBroker {
    pub broker: Arc<Broker>,
    /// The addresses actually bound (remoting, VIP).
    pub local_addrs: Vec<SocketAddr>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

/// Java's boot line, printed to stdout once the broker serves: deployment scripts wait for it.
pub fn boot_line(broker: &Broker) -> String {
    let mut tip = format!(
        "The broker[{}, {}] boot success. serializeType=JSON",
        broker.config.broker_name, broker.broker_addr
    );
    if !broker.config.namesrv_addr.is_empty() {
        tip.push_str(&format!(
            " and name server is {}",
            broker.config.namesrv_addr
        ));
    }
    tip
}

/// Opens the store, binds the ports and starts every background task.
pub async fn start(settings: BrokerSettings) -> Result<RunningBroker, StartError> {
    let listen_ip = settings.server_bind_ip();
    let port = settings.server.listen_port;
    // Bind first: a port conflict must fail start-up before the store is opened (and locked).
    // The VIP port is listenPort - 2, as Java; skipped when that is not a valid port.
    let mut listeners = Vec::new();
    for p in [port, port - 2]
        .into_iter()
        .filter(|p| (1..=65535).contains(p))
    {
        let addr = format!("{listen_ip}:{p}");
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| StartError::Bind(addr.clone(), e))?;
        listeners.push(listener);
    }
    if port == 0 {
        let addr = format!("{listen_ip}:0");
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| StartError::Bind(addr.clone(), e))?;
        listeners.push(listener);
    }
    // The HA port (listenPort + 1, as Java's BrokerStartup sets it). Java binds it on every
    // role, slaves included.
    let ha_port = if port == 0 {
        0
    } else {
        settings.store.ha_listen_port
    };
    let ha_addr = format!("{listen_ip}:{ha_port}");
    let ha_listener = tokio::net::TcpListener::bind(&ha_addr)
        .await
        .map_err(|e| StartError::Bind(ha_addr.clone(), e))?;
    let broker = tokio::task::spawn_blocking(move || Broker::open(settings))
        .await
        .map_err(|e| {
            StartError::Bind(
                "store open task".into(),
                std::io::Error::other(e.to_string()),
            )
        })??;
    // Long polling: the store tells the parked pulls about each dispatched message (Java's
    // NotifyMessageArrivingListener; only with longPollingEnable, else pulls wait out
    // shortPollingTimeMills).
    if broker.config.long_polling_enable {
        let holds = broker.pull_holds.clone();
        broker.store.set_message_arriving_listener(Box::new(
            move |topic, queue_id, max_offset, tags_code, _store_timestamp| {
                holds.notify_message_arriving(topic, queue_id, max_offset, Some(tags_code));
            },
        ));
    }
    let processor = Arc::new(BrokerProcessor {
        broker: broker.clone(),
    });
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut local_addrs = Vec::new();
    for listener in listeners {
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Bind(format!("{listen_ip}:{port}"), e))?;
        local_addrs.push(addr);
        let server = RemotingServer::from_listener(
            listener,
            processor.clone(),
            ServerConfig::from(&broker.server_config),
        );
        let token = server.shutdown_token();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            tokio::select! {
                _ = server.serve() => {}
                _ = stop.cancelled() => token.cancel(),
            }
        });
    }
    tasks.spawn(crate::ha::master::accept_loop(
        broker.ha.clone(),
        ha_listener,
        shutdown.clone(),
    ));
    if broker.store_config.broker_role == crate::store::config::BrokerRole::Slave {
        tasks.spawn(crate::ha::slave::run(broker.ha.clone(), shutdown.clone()));
    } else {
        tasks.spawn(crate::ha::master::log_fall_behind(
            broker.ha.clone(),
            shutdown.clone(),
        ));
    }
    tasks.spawn(registration::run(broker.clone(), shutdown.clone()));
    tasks.spawn(housekeeping(broker.clone(), shutdown.clone()));
    tasks.spawn(super::stats::run_sampling(
        broker.stats.clone(),
        shutdown.clone(),
    ));
    if broker.store_config.broker_role != crate::store::config::BrokerRole::Slave {
        tasks.spawn(broker.schedule.clone().run(shutdown.clone()));
        tasks.spawn(super::transaction::service::run(
            broker.clone(),
            shutdown.clone(),
        ));
    } else {
        tasks.spawn(super::slave_sync::run(broker.clone(), shutdown.clone()));
    }
    Ok(RunningBroker {
        broker,
        local_addrs,
        shutdown,
        tasks,
    })
}

/// Java's scheduled tasks that are not the store's own: consumer offsets written every
/// `flushConsumerOffsetInterval`, silent clients dropped every 10 s.
async fn housekeeping(broker: Arc<Broker>, shutdown: CancellationToken) {
    let persist_every =
        Duration::from_millis(broker.config.flush_consumer_offset_interval.max(100) as u64);
    let mut persist = tokio::time::interval(persist_every);
    let mut scan = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = persist.tick() => {
                let b = broker.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Err(e) = b.offsets.persist() {
                        tracing::warn!("persist consumer offsets: {e}");
                    }
                })
                .await;
            }
            _ = scan.tick() => {
                let dropped = broker.clients.expire_idle(broker.now_millis(), super::client_manager::CHANNEL_EXPIRED_TIMEOUT);
                if !dropped.is_empty() {
                    tracing::info!("closed {} idle client connections", dropped.len());
                }
                // Java persists consumerFilter.json every 10 s too.
                let b = broker.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    super::consumer_filter::housekeep(&b);
                })
                .await;
            }
        }
    }
}

impl RunningBroker {
    /// Stops serving, unregisters from the NameServers, writes the config files, and shuts the
    /// store down (final flush, checkpoint, `abort` removed), as Java's `BrokerController.shutdown`.
    pub async fn shutdown(mut self) {
        self.broker.pull_holds.shutdown();
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        registration::unregister_all(&self.broker).await;
        self.broker.namesrv_client.shutdown();
        let broker = self.broker.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = broker.offsets.persist() {
                tracing::warn!("persist consumer offsets: {e}");
            }
            if let Err(e) = broker.topics.persist() {
                tracing::warn!("persist topics: {e}");
            }
            if let Err(e) = broker.groups.persist() {
                tracing::warn!("persist subscription groups: {e}");
            }
            // A slave's delayOffset.json is the master's text as the last sync wrote it (Java's
            // schedule service never runs, so never persists, on a slave).
            if broker.store_config.broker_role != crate::store::config::BrokerRole::Slave {
                if let Err(e) = broker.schedule.persist() {
                    tracing::warn!("persist delay offsets: {e}");
                }
            }
            if let Err(e) = broker.filters.persist(broker.now_millis()) {
                tracing::warn!("persist consumer filters: {e}");
            }
            broker.store.shutdown();
        })
        .await;
    }
}
