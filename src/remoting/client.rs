//! The remoting client: requests to peers by address ("127.0.0.1:9876"), over connections
//! opened on first use and kept for reuse.
//!
//! Every address has one connection at a time. It carries any number of concurrent requests,
//! told apart by opaque. A connection that closed (peer gone, idle timeout, bad frame) fails its
//! pending requests with `ConnectionClosed`; the next call to that address connects anew.
//! Requests the peer sends on a client connection (a broker asking a producer to check a
//! transaction) go to the client's processor; [`NotSupported`] by default.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::command::RemotingCommand;
use super::connection::{self, Connection, ConnectionConfig};
use super::error::RemotingError;
use super::server::{NotSupported, RequestProcessor};
use crate::config::NettyClientConfig;

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Java's `connectTimeoutMillis` (3 s).
    pub connect_timeout: Duration,
    /// Close the connection when an invocation times out, so the next call starts on a fresh
    /// one (Java's `clientCloseSocketIfTimeout`, true by default in 4.9.7).
    pub close_on_timeout: bool,
    pub connection: ConnectionConfig,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(3),
            close_on_timeout: true,
            connection: ConnectionConfig::default(),
        }
    }
}

impl From<&NettyClientConfig> for ClientConfig {
    /// The keys of a Java client configuration ferrocket honours.
    fn from(java: &NettyClientConfig) -> Self {
        ClientConfig {
            connect_timeout: Duration::from_millis(java.connect_timeout_millis.max(0) as u64),
            close_on_timeout: java.client_close_socket_if_timeout,
            connection: ConnectionConfig {
                idle_timeout: idle_timeout(java.client_channel_max_idle_time_seconds),
                ..ConnectionConfig::default()
            },
        }
    }
}

/// Netty's `IdleStateHandler` treats a non-positive time as "never".
pub(crate) fn idle_timeout(seconds: i32) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds as u64))
}

/// A client; clones share connections.
pub struct RemotingClient<P: RequestProcessor = NotSupported> {
    inner: Arc<ClientInner<P>>,
}

impl<P: RequestProcessor> Clone for RemotingClient<P> {
    fn clone(&self) -> Self {
        RemotingClient {
            inner: self.inner.clone(),
        }
    }
}

struct ClientInner<P> {
    config: ClientConfig,
    processor: Arc<P>,
    /// Per address, the slot holding its connection. The async mutex makes concurrent first
    /// calls to one address share a single connect.
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Connection>>>>>,
    shutdown: CancellationToken,
}

impl<P> Drop for ClientInner<P> {
    /// The last clone of a client going away closes its connections.
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl RemotingClient<NotSupported> {
    /// A client answering server-initiated requests with REQUEST_CODE_NOT_SUPPORTED.
    pub fn new(config: ClientConfig) -> Self {
        RemotingClient::with_processor(config, Arc::new(NotSupported))
    }
}

impl<P: RequestProcessor> RemotingClient<P> {
    /// A client passing server-initiated requests to `processor`.
    pub fn with_processor(config: ClientConfig, processor: Arc<P>) -> Self {
        RemotingClient {
            inner: Arc::new(ClientInner {
                config,
                processor,
                slots: Mutex::new(HashMap::new()),
                shutdown: CancellationToken::new(),
            }),
        }
    }

    /// Sends `request` to `addr` and waits up to `timeout` for the response (connecting
    /// included).
    pub async fn invoke(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let started = tokio::time::Instant::now();
        let conn = tokio::time::timeout(timeout, self.connection(addr))
            .await
            .map_err(|_| RemotingError::Timeout {
                addr: addr.to_string(),
                timeout,
            })??;
        let left = timeout.saturating_sub(started.elapsed());
        let result = conn.invoke(request, left).await;
        if self.inner.config.close_on_timeout
            && matches!(result, Err(RemotingError::Timeout { .. }))
        {
            tracing::warn!(%addr, ?timeout, "invoke timed out; closing the connection");
            conn.close();
        }
        result
    }

    /// Sends `request` to `addr` as a oneway request.
    pub async fn invoke_oneway(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> Result<(), RemotingError> {
        self.connection(addr).await?.send_oneway(request).await
    }

    /// The open connection to `addr`, connecting if there is none.
    pub async fn connection(&self, addr: &str) -> Result<Connection, RemotingError> {
        if self.inner.shutdown.is_cancelled() {
            return Err(RemotingError::ConnectionClosed(addr.to_string()));
        }
        let slot = {
            let mut slots = self.lock_slots();
            slots.entry(addr.to_string()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(conn.clone());
        }
        let conn = self.connect(addr).await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Closes the connection to `addr`, if any; the next call reconnects.
    pub fn close_connection(&self, addr: &str) {
        let slot = self.lock_slots().remove(addr);
        if let Some(slot) = slot {
            if let Ok(slot) = slot.try_lock() {
                if let Some(conn) = slot.as_ref() {
                    conn.close();
                }
            }
        }
    }

    /// Closes every connection; later calls fail.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.lock_slots().clear();
    }

    async fn connect(&self, addr: &str) -> Result<Connection, RemotingError> {
        let connect_error = |reason: String| RemotingError::Connect {
            addr: addr.to_string(),
            reason,
        };
        let stream =
            tokio::time::timeout(self.inner.config.connect_timeout, TcpStream::connect(addr))
                .await
                .map_err(|_| {
                    connect_error(format!(
                        "timeout after {:?}",
                        self.inner.config.connect_timeout
                    ))
                })?
                .map_err(|e| connect_error(e.to_string()))?;
        let (conn, driver) = connection::start(
            stream,
            self.inner.processor.clone(),
            &self.inner.config.connection,
            self.inner.shutdown.clone(),
        )
        .map_err(|e| connect_error(e.to_string()))?;
        tokio::spawn(driver);
        tracing::debug!(%addr, "connected");
        Ok(conn)
    }

    fn lock_slots(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<Option<Connection>>>>>
    {
        self.inner.slots.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NettyServerConfig;
    use crate::remoting::ServerConfig;

    #[test]
    fn java_transport_keys_map_onto_the_configs() {
        let client = ClientConfig::from(&NettyClientConfig::default());
        assert_eq!(client.connect_timeout, Duration::from_millis(3000));
        assert!(client.close_on_timeout);
        assert_eq!(
            client.connection.idle_timeout,
            Some(Duration::from_secs(120))
        );

        let mut java = NettyServerConfig::default();
        assert_eq!(
            ServerConfig::from(&java).connection.idle_timeout,
            Some(Duration::from_secs(120))
        );
        java.server_channel_max_idle_time_seconds = 0;
        assert_eq!(ServerConfig::from(&java).connection.idle_timeout, None);
    }
}
