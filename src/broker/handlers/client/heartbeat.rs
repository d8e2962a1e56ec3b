//! HEART_BEAT (34): a client declares its producer and consumer groups and subscriptions.

use crate::broker::client_manager::ConsumerRegistration;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::heartbeat::HeartbeatData;
use crate::protocol::topic::{perm, retry_topic, sys_flag};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let body = request.body.as_deref().unwrap_or_default();
    let data: HeartbeatData = match fastjson::decode_bytes(body) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(peer = %conn.peer_addr(), body = %String::from_utf8_lossy(body), "bad heartbeat body: {e}");
            return Some(RemotingCommand::system_error(
                &request,
                format!("bad heartbeat body: {e}"),
            ));
        }
    };
    let now = broker.now_millis();
    let channel = super::client_channel(conn, &request, &data.client_id, now);
    for consumer in &data.consumer_data_set {
        let group = match broker.groups.find_or_create(&consumer.group_name) {
            Ok(g) => g,
            Err(e) => return Some(RemotingCommand::system_error(&request, e.to_string())),
        };
        let mut notify_enabled = true;
        if let Some(group) = group {
            notify_enabled = group.notify_consumer_ids_changed_enable;
            // Every consumer group gets its retry topic on its first heartbeat.
            let flag = if consumer.unit_mode {
                sys_flag::build(false, true)
            } else {
                0
            };
            let retry = retry_topic(&consumer.group_name);
            match broker.topics.create_if_absent(
                &retry,
                group.retry_queue_nums,
                perm::READ | perm::WRITE,
                flag,
            ) {
                Ok((_, true)) => broker.register_with_namesrvs_soon(),
                Ok(_) => {}
                Err(e) => return Some(RemotingCommand::system_error(&request, e.to_string())),
            }
        }
        let notify = broker.clients.register_consumer(ConsumerRegistration {
            group: &consumer.group_name,
            channel: channel.clone(),
            consume_type: consumer.consume_type,
            message_model: consumer.message_model,
            consume_from_where: consumer.consume_from_where,
            subscriptions: &consumer.subscription_data_set,
        });
        // Java's REGISTER event of every heartbeat: the group's SQL92 filter data.
        broker
            .filters
            .register_group(&consumer.group_name, &consumer.subscription_data_set, now);
        if let Some(members) = notify {
            tracing::info!(
                "consumer group {} changed: {} members",
                consumer.group_name,
                members.len()
            );
            if notify_enabled && broker.config.notify_consumer_ids_changed_enable {
                broker.notify_consumer_ids_changed(&consumer.group_name, members);
            }
        }
    }
    for producer in &data.producer_data_set {
        broker
            .clients
            .register_producer(&producer.group_name, channel.clone());
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
