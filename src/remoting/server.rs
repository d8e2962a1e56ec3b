//! The remoting server: accepts TCP connections and hands their requests to a processor.
//!
//! # Contract with the processor
//!
//! A [`RequestProcessor`] is one value shared by all connections (static dispatch: the server is
//! generic over it). For every request frame the server calls [`RequestProcessor::process`] in
//! a task of its own, so requests of one connection run concurrently and a long-polling pull
//! does not hold up the requests behind it; responses are written in completion order. At most
//! `max_requests_in_flight` requests per connection run at once: beyond that the connection is
//! not read until one finishes (TCP pushes back on the peer). A request suspended inside the
//! processor (a long-polling pull) holds its slot, and while all slots are taken the responses
//! to server-initiated requests on that connection wait unread too; the default (1024) is far
//! above what one client keeps in flight.
//!
//! The processor returns the response, or `None` for no response. The server then sets the
//! request's opaque, the response flag and the request's serialize type on it, and drops it if
//! the request was oneway. A processor handles every code it is given: for a code it does not
//! know it returns [`RemotingCommand::request_code_not_supported`] (Java's exact answer). A
//! processor that panics is answered with SYSTEM_ERROR.
//!
//! The [`Connection`] passed in identifies the peer and lets the processor keep a handle for
//! server-initiated requests later (`send_oneway`, `invoke`), as the broker does for
//! NOTIFY_CONSUMER_IDS_CHANGED or CHECK_TRANSACTION_STATE.
//!
//! # Lifecycle
//!
//! [`RemotingServer::bind`] binds (port 0 allowed; see [`RemotingServer::local_addr`]),
//! [`RemotingServer::serve`] accepts until the token from [`RemotingServer::shutdown_token`] is
//! cancelled, then closes every connection (queued responses are still written) and returns.
//! Connections idle for `idle_timeout` (Java's `serverChannelMaxIdleTimeSeconds`, 120 s) are
//! closed; a connection sending a malformed frame is closed without affecting the others.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::command::RemotingCommand;
use super::connection::{self, Connection, ConnectionConfig};
use crate::config::NettyServerConfig;

/// Handles the requests arriving on connections (server side, or server-initiated requests on
/// a client's connections).
pub trait RequestProcessor: Send + Sync + 'static {
    /// Processes one request; returns its response or `None` for none.
    fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> impl Future<Output = Option<RemotingCommand>> + Send;

    /// Called once when a connection has closed (peer gone, idle, bad frame, shutdown).
    fn on_connection_closed(&self, _conn: &Connection) {}
}

/// A processor answering every request with REQUEST_CODE_NOT_SUPPORTED: what a Java client
/// does for server requests it has no processor for.
#[derive(Debug, Default, Clone, Copy)]
pub struct NotSupported;

impl RequestProcessor for NotSupported {
    async fn process(
        &self,
        _conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        Some(RemotingCommand::request_code_not_supported(&request))
    }
}

/// Server settings.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub connection: ConnectionConfig,
}

impl From<&NettyServerConfig> for ServerConfig {
    /// The keys of a Java server configuration ferrocket honours (the listen port is the
    /// caller's: it binds).
    fn from(java: &NettyServerConfig) -> Self {
        ServerConfig {
            connection: ConnectionConfig {
                idle_timeout: super::client::idle_timeout(
                    java.server_channel_max_idle_time_seconds,
                ),
                ..ConnectionConfig::default()
            },
        }
    }
}

/// A bound server, ready to serve.
pub struct RemotingServer<P: RequestProcessor> {
    listener: TcpListener,
    processor: Arc<P>,
    config: ServerConfig,
    shutdown: CancellationToken,
}

impl<P: RequestProcessor> RemotingServer<P> {
    /// Binds `addr`. Nothing is accepted before [`serve`](Self::serve).
    pub async fn bind(
        addr: SocketAddr,
        processor: Arc<P>,
        config: ServerConfig,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::from_listener(listener, processor, config))
    }

    /// A server on a listener bound earlier (so a port conflict is found before anything
    /// expensive, such as opening a store, is done).
    pub fn from_listener(listener: TcpListener, processor: Arc<P>, config: ServerConfig) -> Self {
        RemotingServer {
            listener,
            processor,
            config,
            shutdown: CancellationToken::new(),
        }
    }

    /// The address actually bound (the real port when bound to port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Cancel it to stop the server: no more accepts, all connections closed, `serve` returns.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// [`serve`](Self::serve) until `signal` completes (e.g. `tokio::signal::ctrl_c()`).
    pub async fn serve_until(self, signal: impl Future<Output = ()>) {
        let token = self.shutdown_token();
        let stop = async move {
            signal.await;
            token.cancel();
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = self.serve() => {}
            _ = stop => {}
        }
    }

    /// Accepts and serves connections until shutdown. Returns once every connection is closed.
    pub async fn serve(self) {
        let RemotingServer {
            listener,
            processor,
            config,
            shutdown,
        } = self;
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        match connection::start(stream, processor.clone(), &config.connection, shutdown.clone()) {
                            Ok((_conn, driver)) => {
                                connections.spawn(driver);
                            }
                            Err(e) => tracing::debug!(error = %e, "accepted socket unusable"),
                        }
                    }
                    Err(e) => {
                        // Typically out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        drop(listener);
        while connections.join_next().await.is_some() {}
        tracing::info!("remoting server stopped");
    }
}
