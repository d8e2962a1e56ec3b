//! The NameServer on the network: the remoting server with [`NamesrvProcessor`], and the
//! housekeeping task that expires silent brokers every 10 s (Java `NamesrvController`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::handlers::{dispatch, does_blocking_io, RequestContext};
use super::Namesrv;
use crate::remoting::code::request_code;
use crate::remoting::{
    Connection, ConnectionConfig, RemotingCommand, RemotingServer, RequestProcessor, ServerConfig,
};

/// Java schedules `scanNotActiveBroker` at a fixed rate of 10 s after an initial 5 s.
const SCAN_INITIAL_DELAY: Duration = Duration::from_secs(5);
const SCAN_PERIOD: Duration = Duration::from_secs(10);

/// Answers NameServer requests and tells the route table about closed connections.
#[derive(Debug)]
pub struct NamesrvProcessor {
    ns: Arc<Namesrv>,
    /// Connections brokers registered on, so an expired broker's connection can be closed.
    broker_connections: Mutex<HashMap<u64, Connection>>,
}

impl NamesrvProcessor {
    pub fn new(ns: Arc<Namesrv>) -> NamesrvProcessor {
        NamesrvProcessor {
            ns,
            broker_connections: Mutex::new(HashMap::new()),
        }
    }

    pub fn namesrv(&self) -> &Arc<Namesrv> {
        &self.ns
    }

    /// Java `scanNotActiveBroker` plus closing the expired brokers' connections. Returns how many
    /// brokers were removed.
    pub fn scan_not_active_brokers(&self) -> usize {
        let expired = self.ns.route.scan_not_active_brokers(self.ns.now_millis());
        for broker in &expired {
            let conn = broker.connection.and_then(|id| {
                self.broker_connections
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id)
            });
            if let Some(conn) = conn {
                conn.close();
            }
        }
        expired.len()
    }
}

impl RequestProcessor for NamesrvProcessor {
    async fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let ctx = RequestContext {
            connection: conn.id(),
            remote_addr: conn.peer_addr().to_string(),
        };
        if request.code == request_code::REGISTER_BROKER {
            self.broker_connections
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(conn.id(), conn.clone());
        }
        if does_blocking_io(request.code) {
            // These write files: keep them off the reactor.
            let ns = self.ns.clone();
            let fallback = RemotingCommand::system_error(&request, "request handler failed");
            match tokio::task::spawn_blocking(move || dispatch(&ns, &ctx, &request)).await {
                Ok(response) => Some(response),
                Err(e) => {
                    tracing::error!(error = %e, "blocking NameServer handler failed");
                    Some(fallback)
                }
            }
        } else {
            Some(dispatch(&self.ns, &ctx, &request))
        }
    }

    fn on_connection_closed(&self, conn: &Connection) {
        self.broker_connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn.id());
        self.ns
            .route
            .on_channel_destroy(&conn.peer_addr().to_string(), conn.id());
    }
}

/// A running NameServer.
pub struct NamesrvServer {
    local_addr: SocketAddr,
    processor: Arc<NamesrvProcessor>,
    shutdown: CancellationToken,
    serve: JoinHandle<()>,
    scan: JoinHandle<()>,
}

impl NamesrvServer {
    /// Binds `addr` (port 0 allowed) and starts serving and the broker scan.
    pub async fn start(ns: Arc<Namesrv>, addr: SocketAddr) -> std::io::Result<NamesrvServer> {
        let idle = ns.settings().server.server_channel_max_idle_time_seconds;
        let config = ServerConfig {
            connection: ConnectionConfig {
                idle_timeout: (idle > 0).then(|| Duration::from_secs(idle as u64)),
                ..ConnectionConfig::default()
            },
        };
        let processor = Arc::new(NamesrvProcessor::new(ns));
        let server = RemotingServer::bind(addr, processor.clone(), config).await?;
        let local_addr = server.local_addr()?;
        let shutdown = server.shutdown_token();
        let serve = tokio::spawn(server.serve());
        let scan = tokio::spawn(scan_loop(processor.clone(), shutdown.clone()));
        tracing::info!(%local_addr, "NameServer listening");
        Ok(NamesrvServer {
            local_addr,
            processor,
            shutdown,
            serve,
            scan,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn processor(&self) -> &Arc<NamesrvProcessor> {
        &self.processor
    }

    pub fn namesrv(&self) -> &Arc<Namesrv> {
        self.processor.namesrv()
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops accepting, closes every connection and waits for the tasks to end.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.serve.await;
        let _ = self.scan.await;
    }

    /// Waits until the server stops (its shutdown token was cancelled).
    pub async fn wait(self) {
        let _ = self.serve.await;
        self.shutdown.cancel();
        let _ = self.scan.await;
    }
}

async fn scan_loop(processor: Arc<NamesrvProcessor>, shutdown: CancellationToken) {
    let start = tokio::time::Instant::now() + SCAN_INITIAL_DELAY;
    let mut ticks = tokio::time::interval_at(start, SCAN_PERIOD);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {
                let removed = processor.scan_not_active_brokers();
                if removed > 0 {
                    tracing::info!(removed, "expired silent brokers");
                }
            }
        }
    }
}
