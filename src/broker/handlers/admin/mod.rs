//! Broker administration (Java `AdminBrokerProcessor`, the parts `mqadmin` and the dashboard
//! use): topics, subscription groups, configuration, runtime statistics, connection lists.

pub mod clean_expired_consumequeue;
pub mod clean_unused_topic;
pub mod clone_group_offset;
pub mod consume_message_directly;
pub mod delete_expired_commitlog;
pub mod delete_subscription_group;
pub mod delete_topic;
pub mod get_all_consumer_offset;
pub mod get_all_delay_offset;
pub mod get_all_producer_info;
pub mod get_all_subscription_group;
pub mod get_all_topic_config;
pub mod get_broker_config;
pub mod get_broker_consume_stats;
pub mod get_broker_runtime_info;
pub mod get_consume_stats;
pub mod get_consumer_connection_list;
pub mod get_consumer_running_info;
pub mod get_producer_connection_list;
pub mod get_system_topic_list_from_broker;
pub mod get_topic_stats_info;
pub mod invoke_broker_to_get_consumer_status;
pub mod invoke_broker_to_reset_offset;
pub mod query_consume_queue;
pub mod query_consume_time_span;
pub mod query_correction_offset;
pub mod query_topic_consume_by_who;
pub mod relay;
pub mod update_and_create_subscription_group;
pub mod update_and_create_topic;
pub mod update_broker_config;
pub mod view_broker_stats_data;

use crate::broker::Broker;
use crate::remoting::{response_code, RemotingCommand};
use crate::store::config::BrokerRole;

/// Java `validateSlave`: a slave refuses to change topics or groups.
fn refuse_on_slave(broker: &Broker, request: &RemotingCommand) -> Option<RemotingCommand> {
    (broker.store_config.broker_role == BrokerRole::Slave).then(|| {
        RemotingCommand::response_to(
            request,
            response_code::SYSTEM_ERROR,
            Some(
                "Can't modify topic or subscription group from slave broker, please execute it from master broker."
                    .to_string(),
            ),
        )
    })
}

/// SUCCESS with no remark and the given body.
/// Java's checks on a topic an admin request names (validateTopic, then the system-topic
/// conflict): `Err` is the SYSTEM_ERROR response with Java's remark.
#[allow(clippy::result_large_err)]
fn check_admin_topic(
    broker: &Broker,
    request: &RemotingCommand,
    name: &str,
) -> Result<(), RemotingCommand> {
    if let Err(e) = crate::protocol::topic::validate_topic(name) {
        return Err(RemotingCommand::system_error(request, e.to_string()));
    }
    if broker.topics.is_system_topic(name) {
        return Err(RemotingCommand::system_error(
            request,
            crate::protocol::topic::system_topic_conflict_remark(name),
        ));
    }
    Ok(())
}

fn success_with_body(request: &RemotingCommand, body: String) -> RemotingCommand {
    RemotingCommand::response_to(request, response_code::SUCCESS, None).with_body(body.into_bytes())
}

/// A config file could not be written: Java would log and carry on; we tell the admin.
fn persist_failed(
    request: &RemotingCommand,
    what: &str,
    e: impl std::fmt::Display,
) -> RemotingCommand {
    tracing::error!("{what}: {e}");
    RemotingCommand::system_error(request, format!("{what}: {e}"))
}
