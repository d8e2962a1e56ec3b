//! A task's own handles on the connections it uses, so a request goes straight to its
//! connection (no address lookup, no lock shared with the other tasks); the client is asked
//! again only when a connection has closed.

use std::sync::Arc;

use crate::remoting::{Connection, RemotingClient, RemotingError};

/// Shuts its clients down when dropped, so a run that fails half-way (a dead broker, a bad
/// route) leaves no connection behind.
pub struct ClientsGuard(pub Vec<RemotingClient>);

impl Drop for ClientsGuard {
    fn drop(&mut self) {
        for client in &self.0 {
            client.shutdown();
        }
    }
}

pub struct ConnCache {
    client: RemotingClient,
    conns: Vec<(Arc<str>, Connection)>,
}

impl ConnCache {
    pub fn new(client: RemotingClient) -> ConnCache {
        ConnCache {
            client,
            conns: Vec::new(),
        }
    }

    /// The open connection to `addr`, (re)connecting through the client when needed.
    pub async fn get(&mut self, addr: &Arc<str>) -> Result<Connection, RemotingError> {
        let known = self.conns.iter().position(|(a, _)| a == addr);
        if let Some((_, conn)) = known.and_then(|i| self.conns.get(i)) {
            if !conn.is_closed() {
                return Ok(conn.clone());
            }
        }
        let conn = self.client.connection(addr).await?;
        match known.and_then(|i| self.conns.get_mut(i)) {
            Some(slot) => slot.1 = conn.clone(),
            None => self.conns.push((addr.clone(), conn.clone())),
        }
        Ok(conn)
    }
}
