//! Which clients are connected, in which producer and consumer groups, with what subscriptions
//! (Java's `ProducerManager`, `ConsumerManager` and `ConsumerGroupInfo`).
//!
//! Pure state: methods that change a consumer group's membership return the connections Java
//! would send NOTIFY_CONSUMER_IDS_CHANGED to, and the caller sends it. Clients are identified by
//! their connection: a client that reconnects is a new member until its old connection closes
//! or expires (120 s without a heartbeat, as Java's `CHANNEL_EXPIRED_TIMEOUT`).

use crate::protocol::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData};
use crate::remoting::{Connection, LanguageCode};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A client silent this long is dropped from every group (Java: 120 s).
pub const CHANNEL_EXPIRED_TIMEOUT: Duration = Duration::from_secs(120);

/// One client connection in a group (`ClientChannelInfo`).
#[derive(Debug, Clone)]
pub struct ClientChannel {
    pub connection: Connection,
    pub client_id: String,
    pub language: LanguageCode,
    pub version: i32,
    /// Milliseconds since the epoch of the last heartbeat.
    pub last_update_ms: i64,
}

/// A consumer group: its members and the union of their subscriptions (`ConsumerGroupInfo`).
#[derive(Debug, Clone, Default)]
pub struct ConsumerGroup {
    pub channels: HashMap<u64, ClientChannel>,
    /// By topic.
    pub subscriptions: HashMap<String, SubscriptionData>,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    pub last_update_ms: i64,
}

impl ConsumerGroup {
    pub fn client_ids(&self) -> Vec<String> {
        self.channels
            .values()
            .map(|c| c.client_id.clone())
            .collect()
    }

    pub fn connections(&self) -> Vec<Connection> {
        self.channels
            .values()
            .map(|c| c.connection.clone())
            .collect()
    }

    /// Java `updateSubscription`: new topics are added, newer versions replace older ones,
    /// topics no longer subscribed are removed. True when the set of topics changed.
    fn update_subscriptions(&mut self, subs: &[SubscriptionData]) -> bool {
        let mut changed = false;
        for sub in subs {
            match self.subscriptions.get(&sub.topic) {
                None => {
                    self.subscriptions.insert(sub.topic.clone(), sub.clone());
                    changed = true;
                }
                Some(old) if sub.sub_version > old.sub_version => {
                    self.subscriptions.insert(sub.topic.clone(), sub.clone());
                }
                Some(_) => {}
            }
        }
        let before = self.subscriptions.len();
        self.subscriptions
            .retain(|topic, _| subs.iter().any(|s| &s.topic == topic));
        changed || self.subscriptions.len() != before
    }
}

/// A consumer's registration from a heartbeat.
pub struct ConsumerRegistration<'a> {
    pub group: &'a str,
    pub channel: ClientChannel,
    pub consume_type: ConsumeType,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    pub subscriptions: &'a [SubscriptionData],
}

#[derive(Default)]
pub struct ClientManager {
    producers: Mutex<HashMap<String, HashMap<u64, ClientChannel>>>,
    consumers: Mutex<HashMap<String, ConsumerGroup>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked mid-update: every update is one insert
    // or remove.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ClientManager {
    pub fn new() -> ClientManager {
        ClientManager::default()
    }

    pub fn register_producer(&self, group: &str, channel: ClientChannel) {
        let mut producers = lock(&self.producers);
        let members = producers.entry(group.to_string()).or_default();
        members.insert(channel.connection.id(), channel);
    }

    pub fn unregister_producer(&self, group: &str, connection_id: u64) {
        let mut producers = lock(&self.producers);
        if let Some(members) = producers.get_mut(group) {
            members.remove(&connection_id);
            if members.is_empty() {
                producers.remove(group);
            }
        }
    }

    /// A live connection of a producer of `group` (for transaction check-backs).
    pub fn producer_connection(&self, group: &str) -> Option<Connection> {
        lock(&self.producers).get(group).and_then(|m| {
            m.values()
                .find(|c| !c.connection.is_closed())
                .map(|c| c.connection.clone())
        })
    }

    pub fn producer_channels(&self, group: &str) -> Vec<ClientChannel> {
        lock(&self.producers)
            .get(group)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every producer group with its members.
    pub fn producer_groups(&self) -> HashMap<String, Vec<ClientChannel>> {
        lock(&self.producers)
            .iter()
            .map(|(g, m)| (g.clone(), m.values().cloned().collect()))
            .collect()
    }

    /// Registers or refreshes a consumer. Returns the group's connections to notify when its
    /// membership or topics changed (Java notifies only if `notifyConsumerIdsChangedEnable`).
    pub fn register_consumer(&self, reg: ConsumerRegistration<'_>) -> Option<Vec<Connection>> {
        let mut consumers = lock(&self.consumers);
        let group = consumers.entry(reg.group.to_string()).or_default();
        group.consume_type = reg.consume_type;
        group.message_model = reg.message_model;
        group.consume_from_where = reg.consume_from_where;
        group.last_update_ms = reg.channel.last_update_ms;
        let new_member = match group.channels.get_mut(&reg.channel.connection.id()) {
            Some(existing) => {
                existing.last_update_ms = reg.channel.last_update_ms;
                existing.client_id = reg.channel.client_id;
                false
            }
            None => {
                group
                    .channels
                    .insert(reg.channel.connection.id(), reg.channel);
                true
            }
        };
        let topics_changed = group.update_subscriptions(reg.subscriptions);
        (new_member || topics_changed).then(|| group.connections())
    }

    /// Removes a consumer; returns the remaining members to notify (empty groups are dropped).
    pub fn unregister_consumer(&self, group: &str, connection_id: u64) -> Option<Vec<Connection>> {
        let mut consumers = lock(&self.consumers);
        let info = consumers.get_mut(group)?;
        info.channels.remove(&connection_id)?;
        if info.channels.is_empty() {
            consumers.remove(group);
            return None;
        }
        Some(info.connections())
    }

    /// A connection closed: it leaves every group. Returns (group, members to notify) for each
    /// consumer group that still has members.
    pub fn connection_closed(&self, connection_id: u64) -> Vec<(String, Vec<Connection>)> {
        let mut producers = lock(&self.producers);
        producers.retain(|_, members| {
            members.remove(&connection_id);
            !members.is_empty()
        });
        drop(producers);
        let mut consumers = lock(&self.consumers);
        let mut notify = Vec::new();
        consumers.retain(|name, info| {
            if info.channels.remove(&connection_id).is_some() && !info.channels.is_empty() {
                notify.push((name.clone(), info.connections()));
            }
            !info.channels.is_empty()
        });
        notify
    }

    /// Drops clients whose last heartbeat is older than `timeout` at `now_ms`, closing their
    /// connections (Java's scanNotActiveChannel). Returns the connections dropped.
    pub fn expire_idle(&self, now_ms: i64, timeout: Duration) -> Vec<Connection> {
        let limit = timeout.as_millis() as i64;
        let mut dropped = Vec::new();
        for members in lock(&self.producers).values_mut() {
            members.retain(|_, c| {
                let keep = now_ms - c.last_update_ms <= limit;
                if !keep {
                    dropped.push(c.connection.clone());
                }
                keep
            });
        }
        lock(&self.producers).retain(|_, m| !m.is_empty());
        for info in lock(&self.consumers).values_mut() {
            info.channels.retain(|_, c| {
                let keep = now_ms - c.last_update_ms <= limit;
                if !keep {
                    dropped.push(c.connection.clone());
                }
                keep
            });
        }
        lock(&self.consumers).retain(|_, g| !g.channels.is_empty());
        for c in &dropped {
            c.close();
        }
        dropped
    }

    pub fn consumer_group(&self, group: &str) -> Option<ConsumerGroup> {
        lock(&self.consumers).get(group).cloned()
    }

    pub fn consumer_groups(&self) -> Vec<String> {
        lock(&self.consumers).keys().cloned().collect()
    }

    /// The group's subscription to `topic`, as the pull path needs it.
    pub fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        lock(&self.consumers)
            .get(group)
            .and_then(|g| g.subscriptions.get(topic).cloned())
    }

    /// What a pull needs of a registered group, without cloning its members: its message
    /// model and its subscription to `topic`. `None` when the group is not registered.
    pub fn pull_view(
        &self,
        group: &str,
        topic: &str,
    ) -> Option<(MessageModel, Option<SubscriptionData>)> {
        lock(&self.consumers)
            .get(group)
            .map(|g| (g.message_model, g.subscriptions.get(topic).cloned()))
    }

    /// Groups currently subscribed to `topic` (QUERY_TOPIC_CONSUME_BY_WHO, online part).
    pub fn groups_subscribing(&self, topic: &str) -> Vec<String> {
        lock(&self.consumers)
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remoting::{ClientConfig, RemotingClient, RemotingServer, ServerConfig};
    use std::sync::Arc;

    /// Real loopback connections (client side), distinct per client.
    async fn connections(n: usize) -> (Vec<Connection>, Vec<RemotingClient>) {
        let server = RemotingServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(crate::remoting::NotSupported),
            ServerConfig::default(),
        )
        .await
        .unwrap();
        let addr = server.local_addr().unwrap().to_string();
        tokio::spawn(server.serve());
        let mut conns = Vec::new();
        let mut clients = Vec::new();
        for _ in 0..n {
            let client = RemotingClient::new(ClientConfig::default());
            conns.push(client.connection(&addr).await.unwrap());
            clients.push(client);
        }
        (conns, clients)
    }

    fn channel(conn: &Connection, id: &str, at: i64) -> ClientChannel {
        ClientChannel {
            connection: conn.clone(),
            client_id: id.to_string(),
            language: LanguageCode::Java,
            version: 407,
            last_update_ms: at,
        }
    }

    fn register<'a>(
        group: &'a str,
        ch: ClientChannel,
        subs: &'a [SubscriptionData],
    ) -> ConsumerRegistration<'a> {
        ConsumerRegistration {
            group,
            channel: ch,
            consume_type: ConsumeType::ConsumePassively,
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::FirstOffset,
            subscriptions: subs,
        }
    }

    #[tokio::test]
    async fn membership_changes_notify_the_group_and_heartbeats_do_not() {
        let (conns, _clients) = connections(2).await;
        let m = ClientManager::new();
        let subs = [SubscriptionData::from_tag_expression("T", "TagA", 1)];

        let notify = m.register_consumer(register("g", channel(&conns[0], "c1", 1000), &subs));
        assert_eq!(
            notify.map(|v| v.len()),
            Some(1),
            "first member: group notified"
        );
        assert!(
            m.register_consumer(register("g", channel(&conns[0], "c1", 2000), &subs))
                .is_none(),
            "plain heartbeat"
        );
        let notify = m
            .register_consumer(register("g", channel(&conns[1], "c2", 2000), &subs))
            .unwrap();
        assert_eq!(notify.len(), 2);
        let mut ids = m.consumer_group("g").unwrap().client_ids();
        ids.sort();
        assert_eq!(ids, vec!["c1", "c2"]);

        // A new topic in the subscriptions notifies too; a newer version of the same does not.
        let more = [
            subs[0].clone(),
            SubscriptionData::from_tag_expression("U", "*", 1),
        ];
        assert!(m
            .register_consumer(register("g", channel(&conns[0], "c1", 3000), &more))
            .is_some());
        let newer = [
            SubscriptionData::from_tag_expression("T", "TagB", 5),
            more[1].clone(),
        ];
        assert!(m
            .register_consumer(register("g", channel(&conns[0], "c1", 3000), &newer))
            .is_none());
        assert_eq!(m.subscription("g", "T").unwrap().tags_set, vec!["TagB"]);
        assert_eq!(m.groups_subscribing("U"), vec!["g"]);

        // Leaving: remaining members are told; the last one leaving drops the group.
        assert_eq!(
            m.unregister_consumer("g", conns[1].id()).map(|v| v.len()),
            Some(1)
        );
        assert!(m.unregister_consumer("g", conns[0].id()).is_none());
        assert!(m.consumer_group("g").is_none());
    }

    #[tokio::test]
    async fn closed_and_idle_connections_leave_every_group() {
        let (conns, _clients) = connections(2).await;
        let m = ClientManager::new();
        let subs = [SubscriptionData::from_tag_expression("T", "*", 1)];
        m.register_producer("p", channel(&conns[0], "c1", 0));
        m.register_consumer(register("g", channel(&conns[0], "c1", 0), &subs));
        m.register_consumer(register("g", channel(&conns[1], "c2", 100_000), &subs));

        let notify = m.connection_closed(conns[1].id());
        assert_eq!(notify.len(), 1);
        assert_eq!(notify[0].0, "g");
        assert_eq!(m.producer_channels("p").len(), 1);

        // 120 s after its last heartbeat c1 is still there; a millisecond later it is gone.
        assert!(m.expire_idle(120_000, CHANNEL_EXPIRED_TIMEOUT).is_empty());
        let dropped = m.expire_idle(120_001, CHANNEL_EXPIRED_TIMEOUT);
        assert_eq!(
            dropped.len(),
            2,
            "producer and consumer registrations of c1"
        );
        assert!(conns[0].is_closed());
        assert!(m.producer_connection("p").is_none());
        assert!(m.consumer_groups().is_empty());
    }
}
