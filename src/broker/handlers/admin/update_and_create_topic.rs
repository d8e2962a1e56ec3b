//! UPDATE_AND_CREATE_TOPIC (17): create or replace a topic's config, then register with the
//! NameServers so routes show it.

use super::{check_admin_topic, persist_failed, refuse_on_slave};
use crate::broker::Broker;
use crate::protocol::body::{TopicConfig, TopicFilterType};
use crate::protocol::decode_header;
use crate::protocol::header::CreateTopicRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Some(refused) = refuse_on_slave(broker, &request) {
        return Some(refused);
    }
    let header: CreateTopicRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    tracing::info!("updateAndCreateTopic called by {}", conn.peer_addr());
    let name = header.topic.as_str();
    if let Err(response) = check_admin_topic(broker, &request, name) {
        return Some(response);
    }
    let config = TopicConfig {
        topic_name: Some(name.to_string()),
        read_queue_nums: header.read_queue_nums,
        write_queue_nums: header.write_queue_nums,
        perm: header.perm,
        topic_filter_type: TopicFilterType::from_java_name(&header.topic_filter_type)
            .unwrap_or_default(),
        topic_sys_flag: header.topic_sys_flag.unwrap_or(0),
        // Java ignores the header's `order`: the NameServer's ORDER_TOPIC_CONFIG decides.
        order: broker.topics.is_order_topic(name),
    };
    {
        let _serial = broker.admin_lock.lock().await;
        if let Err(e) = broker.topics.update(config) {
            return Some(persist_failed(&request, "write topics.json", e));
        }
    }
    broker.register_with_namesrvs_soon();
    // Java's response starts as "not set any response code" and only the code is changed to
    // SUCCESS afterwards, so the remark stays (mqadmin ignores it).
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        Some("not set any response code".to_string()),
    ))
}
