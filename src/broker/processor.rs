//! Dispatch of broker requests by code. Codes the broker does not serve get Java's
//! REQUEST_CODE_NOT_SUPPORTED answer.

use super::handlers::{acl, admin, client, offset, orderly, pull, query, reply, send, transaction};
use super::Broker;
use crate::remoting::{request_code as code, Connection, RemotingCommand, RequestProcessor};
use std::sync::Arc;

pub struct BrokerProcessor {
    pub broker: Arc<Broker>,
}

impl RequestProcessor for BrokerProcessor {
    async fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let b = &*self.broker;
        match request.code {
            code::HEART_BEAT => client::heartbeat::handle(b, conn, request).await,
            code::UNREGISTER_CLIENT => client::unregister_client::handle(b, conn, request).await,
            code::GET_CONSUMER_LIST_BY_GROUP => {
                client::get_consumer_list_by_group::handle(b, conn, request).await
            }
            code::CHECK_CLIENT_CONFIG => {
                client::check_client_config::handle(b, conn, request).await
            }
            // Pull path and consumer offsets.
            code::PULL_MESSAGE => pull::pull_message::handle(b, conn, request).await,
            code::QUERY_CONSUMER_OFFSET => {
                offset::query_consumer_offset::handle(b, conn, request).await
            }
            code::UPDATE_CONSUMER_OFFSET => {
                offset::update_consumer_offset::handle(b, conn, request).await
            }
            code::GET_MAX_OFFSET => offset::get_max_offset::handle(b, conn, request).await,
            code::GET_MIN_OFFSET => offset::get_min_offset::handle(b, conn, request).await,
            code::SEARCH_OFFSET_BY_TIMESTAMP => {
                offset::search_offset_by_timestamp::handle(b, conn, request).await
            }
            code::GET_EARLIEST_MSG_STORETIME => {
                offset::get_earliest_msg_storetime::handle(b, conn, request).await
            }
            // Administration (mqadmin, dashboard, slaves' metadata sync).
            code::UPDATE_AND_CREATE_TOPIC => {
                admin::update_and_create_topic::handle(b, conn, request).await
            }
            code::DELETE_TOPIC_IN_BROKER => admin::delete_topic::handle(b, conn, request).await,
            code::GET_ALL_TOPIC_CONFIG => {
                admin::get_all_topic_config::handle(b, conn, request).await
            }
            code::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => {
                admin::update_and_create_subscription_group::handle(b, conn, request).await
            }
            code::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => {
                admin::get_all_subscription_group::handle(b, conn, request).await
            }
            code::DELETE_SUBSCRIPTIONGROUP => {
                admin::delete_subscription_group::handle(b, conn, request).await
            }
            code::GET_ALL_CONSUMER_OFFSET => {
                admin::get_all_consumer_offset::handle(b, conn, request).await
            }
            code::GET_ALL_DELAY_OFFSET => {
                admin::get_all_delay_offset::handle(b, conn, request).await
            }
            code::GET_BROKER_CONFIG => admin::get_broker_config::handle(b, conn, request).await,
            code::UPDATE_BROKER_CONFIG => {
                admin::update_broker_config::handle(b, conn, request).await
            }
            code::GET_BROKER_RUNTIME_INFO => {
                admin::get_broker_runtime_info::handle(b, conn, request).await
            }
            code::GET_TOPIC_STATS_INFO => {
                admin::get_topic_stats_info::handle(b, conn, request).await
            }
            code::GET_CONSUME_STATS => admin::get_consume_stats::handle(b, conn, request).await,
            code::GET_CONSUMER_CONNECTION_LIST => {
                admin::get_consumer_connection_list::handle(b, conn, request).await
            }
            code::GET_PRODUCER_CONNECTION_LIST => {
                admin::get_producer_connection_list::handle(b, conn, request).await
            }
            code::QUERY_TOPIC_CONSUME_BY_WHO => {
                admin::query_topic_consume_by_who::handle(b, conn, request).await
            }
            code::GET_ALL_PRODUCER_INFO => {
                admin::get_all_producer_info::handle(b, conn, request).await
            }
            code::QUERY_CONSUME_TIME_SPAN => {
                admin::query_consume_time_span::handle(b, conn, request).await
            }
            code::QUERY_CONSUME_QUEUE => admin::query_consume_queue::handle(b, conn, request).await,
            code::QUERY_CORRECTION_OFFSET => {
                admin::query_correction_offset::handle(b, conn, request).await
            }
            code::CLONE_GROUP_OFFSET => admin::clone_group_offset::handle(b, conn, request).await,
            code::GET_SYSTEM_TOPIC_LIST_FROM_BROKER => {
                admin::get_system_topic_list_from_broker::handle(b, conn, request).await
            }
            code::CLEAN_EXPIRED_CONSUMEQUEUE => {
                admin::clean_expired_consumequeue::handle(b, conn, request).await
            }
            code::DELETE_EXPIRED_COMMITLOG => {
                admin::delete_expired_commitlog::handle(b, conn, request).await
            }
            code::CLEAN_UNUSED_TOPIC => admin::clean_unused_topic::handle(b, conn, request).await,
            code::GET_CONSUMER_RUNNING_INFO => {
                admin::get_consumer_running_info::handle(b, conn, request).await
            }
            code::CONSUME_MESSAGE_DIRECTLY => {
                admin::consume_message_directly::handle(b, conn, request).await
            }
            code::INVOKE_BROKER_TO_RESET_OFFSET => {
                admin::invoke_broker_to_reset_offset::handle(b, conn, request).await
            }
            code::INVOKE_BROKER_TO_GET_CONSUMER_STATUS => {
                admin::invoke_broker_to_get_consumer_status::handle(b, conn, request).await
            }
            code::VIEW_BROKER_STATS_DATA => {
                admin::view_broker_stats_data::handle(b, conn, request).await
            }
            code::GET_BROKER_CONSUME_STATS => {
                admin::get_broker_consume_stats::handle(b, conn, request).await
            }
            // ACL administration, answered as a Java broker with ACL off answers.
            code::UPDATE_AND_CREATE_ACL_CONFIG => {
                acl::update_and_create_acl_config::handle(b, conn, request).await
            }
            code::DELETE_ACL_CONFIG => acl::delete_acl_config::handle(b, conn, request).await,
            code::GET_BROKER_CLUSTER_ACL_INFO => {
                acl::get_broker_cluster_acl_info::handle(b, conn, request).await
            }
            code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG => {
                acl::update_global_white_addrs_config::handle(b, conn, request).await
            }
            code::GET_BROKER_CLUSTER_ACL_CONFIG => {
                acl::get_broker_cluster_acl_config::handle(b, conn, request).await
            }
            code::SEND_REPLY_MESSAGE | code::SEND_REPLY_MESSAGE_V2 => {
                reply::send_reply_message::handle(b, conn, request).await
            }
            // Message queries.
            code::QUERY_MESSAGE => query::query_message::handle(b, conn, request).await,
            code::VIEW_MESSAGE_BY_ID => query::view_message_by_id::handle(b, conn, request).await,
            code::SEND_MESSAGE | code::SEND_MESSAGE_V2 | code::SEND_BATCH_MESSAGE => {
                send::send_message::handle(b, conn, request).await
            }
            code::CONSUMER_SEND_MSG_BACK => {
                send::consumer_send_msg_back::handle(b, conn, request).await
            }
            // Transactional messages.
            code::END_TRANSACTION => transaction::end_transaction::handle(b, conn, request).await,
            code::RESUME_CHECK_HALF_MESSAGE => {
                transaction::resume_check_half_message::handle(b, conn, request).await
            }
            // Orderly consumption locks.
            code::LOCK_BATCH_MQ => orderly::lock_batch_mq::handle(b, conn, request).await,
            code::UNLOCK_BATCH_MQ => orderly::unlock_batch_mq::handle(b, conn, request).await,
            _ => Some(RemotingCommand::request_code_not_supported(&request)),
        }
    }

    fn on_connection_closed(&self, conn: &Connection) {
        let b = &self.broker;
        for (group, members) in b.clients.connection_closed(conn.id()) {
            let notify_enabled = b
                .groups
                .get(&group)
                .is_none_or(|g| g.notify_consumer_ids_changed_enable);
            if notify_enabled && b.config.notify_consumer_ids_changed_enable {
                b.notify_consumer_ids_changed(&group, members);
            }
        }
    }
}
