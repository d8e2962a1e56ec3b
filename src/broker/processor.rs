//! Dispatch of broker requests by code. Codes the broker does not serve get Java's
//! REQUEST_CODE_NOT_SUPPORTED answer.

use super::handlers::{client, offset, pull};
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
