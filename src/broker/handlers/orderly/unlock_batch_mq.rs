//! UNLOCK_BATCH_MQ (42): release a client's locks (an orderly consumer shutting down or giving
//! queues away in a rebalance). Queues held by other clients are left alone.

use crate::broker::Broker;
use crate::protocol::body::{decode_body, UnlockBatchRequestBody};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let body: UnlockBatchRequestBody =
        match decode_body(request.body.as_deref().unwrap_or_default()) {
            Ok(b) => b,
            Err(e) => {
                return Some(RemotingCommand::system_error(
                    &request,
                    format!("bad UnlockBatchRequestBody: {e}"),
                ))
            }
        };
    let mqs = super::distinct(body.mq_set);
    broker
        .rebalance_locks
        .unlock_batch(&body.consumer_group, &mqs, &body.client_id);
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
