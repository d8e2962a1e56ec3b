//! The OFFSET_MOVED_EVENT message Java's `PullMessageProcessor.generateOffsetMovedEvent` stores
//! when it corrects a consumer's offset (PULL_OFFSET_MOVED on a master): topic
//! `OFFSET_MOVED_EVENT`, queue 0, tags and keys = the consumer group, body = the
//! `OffsetMovedEvent` JSON. Operators' tools read that topic to see which groups jumped.

use crate::broker::Broker;
use crate::fastjson::escape_into;
use crate::protocol::topic::OFFSET_MOVED_EVENT;
use crate::store::commit_log::PutMessageStatus;
use crate::store::message::properties::Properties;
use crate::store::message::property;
use crate::store::message::MessageExtBrokerInner;
use std::net::SocketAddr;

/// `OffsetMovedEvent.encode()`: fastjson, keys in alphabetical order.
pub fn event_json(
    group: &str,
    broker_name: &str,
    topic: &str,
    queue_id: i32,
    offset_request: i64,
    offset_new: i64,
) -> String {
    let mut s = String::with_capacity(160);
    s.push_str("{\"consumerGroup\":");
    escape_into(&mut s, group);
    s.push_str(",\"messageQueue\":{\"brokerName\":");
    escape_into(&mut s, broker_name);
    s.push_str(&format!(",\"queueId\":{queue_id},\"topic\":"));
    escape_into(&mut s, topic);
    s.push_str(&format!(
        "}},\"offsetNew\":{offset_new},\"offsetRequest\":{offset_request}}}"
    ));
    s
}

/// Stores the event. Failures are logged only, as in Java.
pub async fn publish(
    broker: &Broker,
    group: &str,
    topic: &str,
    queue_id: i32,
    offset_request: i64,
    offset_new: i64,
) {
    let body = event_json(
        group,
        &broker.config.broker_name,
        topic,
        queue_id,
        offset_request,
        offset_new,
    );
    let mut msg = MessageExtBrokerInner::new(OFFSET_MOVED_EVENT, 0, body.into_bytes());
    let mut props = Properties::new();
    props.insert(property::TAGS, group);
    props.insert(property::KEYS, group);
    msg.properties_string = props.to_java_string();
    msg.born_timestamp = broker.now_millis();
    if let Ok(host) = broker.broker_addr.parse::<SocketAddr>() {
        msg.born_host = host;
        msg.store_host = host;
    }
    let store = broker.store.clone();
    let put = tokio::task::spawn_blocking(move || store.put_message(msg)).await;
    match put {
        Ok(r) if r.status == PutMessageStatus::PutOk => {}
        Ok(r) => tracing::warn!("generateOffsetMovedEvent: {:?}", r.status),
        Err(e) => tracing::warn!("generateOffsetMovedEvent: {e}"),
    }
}
