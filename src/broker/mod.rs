//! The Broker: configuration, request handlers, client and topic management, and the loops that
//! keep it registered with its NameServers.
//!
//! `Broker` owns the state every handler needs; `processor::BrokerProcessor` dispatches each
//! request code to its handler under `handlers/<area>/`.

pub mod client_manager;
pub mod config;
pub mod handlers;
pub mod offset_manager;
pub mod processor;
pub mod registration;
pub mod subscription_manager;
pub mod topic_manager;

use crate::protocol::header::NotifyConsumerIdsChangedRequestHeader;
use crate::protocol::CommandHeader;
use crate::remoting::{request_code, Connection, RemotingClient, RemotingCommand};
use client_manager::ClientManager;
use config::BrokerConfig;
use offset_manager::ConsumerOffsetManager;
use std::sync::Mutex;
use subscription_manager::SubscriptionGroupManager;
use tokio::sync::Notify;
use topic_manager::TopicConfigManager;

/// Everything the request handlers share.
pub struct Broker {
    pub config: BrokerConfig,
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
}

impl Broker {
    /// Milliseconds since the epoch (Java's `System.currentTimeMillis()`).
    pub fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
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
