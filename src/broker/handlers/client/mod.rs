//! Client lifecycle: heartbeats, unregistration, group membership queries, config checks.

pub mod check_client_config;
pub mod get_consumer_list_by_group;
pub mod heartbeat;
pub mod unregister_client;

use crate::broker::client_manager::ClientChannel;
use crate::remoting::{Connection, RemotingCommand};

/// The client behind a request (Java's `ClientChannelInfo`).
fn client_channel(
    conn: &Connection,
    request: &RemotingCommand,
    client_id: &str,
    now_ms: i64,
) -> ClientChannel {
    ClientChannel {
        connection: conn.clone(),
        client_id: client_id.to_string(),
        language: request.language.clone(),
        version: request.version,
        last_update_ms: now_ms,
    }
}
