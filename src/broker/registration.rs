//! Keeping the NameServers informed (Java `BrokerOuterAPI.registerBrokerAll` and the broker's
//! registration timer): REGISTER_BROKER to every NameServer at start, every
//! `registerNameServerPeriod`, and (oneway) right after a topic is created; UNREGISTER_BROKER at
//! shutdown. A NameServer that is down is logged and retried next round; the others are not held
//! up by it, as every NameServer is asked concurrently.

use super::Broker;
use crate::protocol::body::{
    RegisterBrokerBody, RegisterBrokerResult, TopicConfigSerializeWrapper,
};
use crate::protocol::header::{
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader,
};
use crate::protocol::topic::perm;
use crate::protocol::{crc32, read_header, CommandHeader};
use crate::remoting::{request_code, response_code, RemotingCommand};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The topic table as registered: when the broker itself is not readable or writable
/// (`brokerPermission`), every topic is announced with the broker's permission (Java does the
/// same in `registerBrokerAll`).
fn announced_topics(broker: &Broker) -> TopicConfigSerializeWrapper {
    let mut wrapper = broker.topics.snapshot();
    let broker_perm = broker.knobs.broker_permission();
    if !perm::is_writeable(broker_perm) || !perm::is_readable(broker_perm) {
        for c in wrapper.topic_config_table.values_mut() {
            c.perm = broker_perm;
        }
    }
    wrapper
}

/// The REGISTER_BROKER request Java's broker sends.
pub fn register_request(broker: &Broker) -> RemotingCommand {
    let body = RegisterBrokerBody {
        topic_config_serialize_wrapper: announced_topics(broker),
        filter_server_list: Vec::new(),
    };
    let compressed = broker.config.compressed_register;
    let bytes = if compressed {
        body.encode_compressed()
    } else {
        crate::fastjson::encode_compact(&body).into_bytes()
    };
    let header = RegisterBrokerRequestHeader {
        broker_name: broker.config.broker_name.clone(),
        broker_addr: broker.broker_addr.clone(),
        cluster_name: broker.config.broker_cluster_name.clone(),
        ha_server_addr: broker.ha_server_addr.clone(),
        broker_id: broker.config.broker_id,
        compressed,
        body_crc32: Some(crc32(&bytes)),
    };
    RemotingCommand::request(request_code::REGISTER_BROKER, Some(header.to_ext_fields()))
        .with_body(bytes)
}

/// Registers with every NameServer at once. `oneway`: fire and forget (after a topic change).
/// Returns the results of the NameServers that answered.
pub async fn register_all(broker: &Broker, oneway: bool) -> Vec<RegisterBrokerResult> {
    let request = register_request(broker);
    let timeout = Duration::from_millis(broker.config.register_broker_timeout_mills.max(1) as u64);
    let calls = broker.config.namesrv_addrs().into_iter().map(|addr| {
        let request = request.clone();
        async move {
            if oneway {
                if let Err(e) = broker.namesrv_client.invoke_oneway(&addr, request).await {
                    tracing::warn!("register broker (oneway) to name server {addr}: {e}");
                }
                return None;
            }
            match broker.namesrv_client.invoke(&addr, request, timeout).await {
                Ok(r) if r.code == response_code::SUCCESS => {
                    let header: RegisterBrokerResponseHeader = read_header(&r).unwrap_or_default();
                    let kv_table = r
                        .body
                        .as_deref()
                        .and_then(|b| crate::fastjson::decode_bytes(b).ok());
                    tracing::debug!("registered with name server {addr}");
                    Some(RegisterBrokerResult {
                        ha_server_addr: header.ha_server_addr,
                        master_addr: header.master_addr,
                        kv_table,
                    })
                }
                Ok(r) => {
                    tracing::warn!(
                        "register broker to name server {addr}: code {} {:?}",
                        r.code,
                        r.remark
                    );
                    None
                }
                Err(e) => {
                    tracing::warn!("register broker to name server {addr}: {e}");
                    None
                }
            }
        }
    });
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Applies what the NameServers answered: the ordered-topic list (Java `updateOrderTopicConfig`
/// when `checkOrderConfig`) and, for a slave, its master's addresses.
fn apply_results(broker: &Broker, results: &[RegisterBrokerResult]) {
    if let Some(kv) = results.iter().find_map(|r| r.kv_table.as_ref()) {
        let order_topics: Vec<String> = kv.table.keys().cloned().collect();
        if let Err(e) = broker.topics.update_order_topics(&order_topics) {
            tracing::warn!("update order topics: {e}");
        }
    }
    // Java takes the first answer's masterAddr, absent included: a slave whose master has gone
    // from the NameServer stops syncing metadata from it (`SlaveSynchronize.setMasterAddr`).
    if let Some(first) = results.first() {
        match &first.master_addr {
            Some(master) => broker.set_master_addr(master.clone()),
            None => broker.clear_master_addr(),
        }
    }
    // Java follows the first result's haServerAddr unless haMasterAddress is configured.
    if let Some(first) = results.first() {
        broker.ha.on_registered(first.ha_server_addr.as_deref());
    }
}

/// Unregisters from every NameServer (shutdown).
pub async fn unregister_all(broker: &Broker) {
    let header = UnRegisterBrokerRequestHeader {
        broker_name: broker.config.broker_name.clone(),
        broker_addr: broker.broker_addr.clone(),
        cluster_name: broker.config.broker_cluster_name.clone(),
        broker_id: broker.config.broker_id,
    };
    let timeout = Duration::from_millis(broker.config.register_broker_timeout_mills.max(1) as u64);
    let calls = broker.config.namesrv_addrs().into_iter().map(|addr| {
        let request = RemotingCommand::request(
            request_code::UNREGISTER_BROKER,
            Some(header.to_ext_fields()),
        );
        async move {
            if let Err(e) = broker.namesrv_client.invoke(&addr, request, timeout).await {
                tracing::warn!("unregister broker from name server {addr}: {e}");
            }
        }
    });
    futures_util::future::join_all(calls).await;
}

/// Registers now, then every `registerNameServerPeriod` (clamped to 10..60 s as Java does), and
/// oneway whenever `Broker::register_with_namesrvs_soon` is called, until `shutdown`.
pub async fn run(broker: Arc<Broker>, shutdown: CancellationToken) {
    let period = Duration::from_millis(
        broker
            .config
            .register_name_server_period
            .clamp(10_000, 60_000) as u64,
    );
    let results = register_all(&broker, false).await;
    apply_results(&broker, &results);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticker.tick() => {
                let results = register_all(&broker, false).await;
                apply_results(&broker, &results);
            }
            _ = broker.register_now.notified() => {
                register_all(&broker, true).await;
            }
        }
    }
}
