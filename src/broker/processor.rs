//! Dispatch of broker requests by code. Codes the broker does not serve get Java's
//! REQUEST_CODE_NOT_SUPPORTED answer.

use super::handlers::{client, send};
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
            code::SEND_MESSAGE | code::SEND_MESSAGE_V2 | code::SEND_BATCH_MESSAGE => {
                send::send_message::handle(b, conn, request).await
            }
            code::CONSUMER_SEND_MSG_BACK => {
                send::consumer_send_msg_back::handle(b, conn, request).await
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
