//! LOCK_BATCH_MQ (41): lock a batch of queues for one client of a group; the answer lists the
//! queues the client holds afterwards.

use crate::broker::Broker;
use crate::protocol::body::{
    decode_body, encode_body, java_hash_set_order, LockBatchRequestBody, LockBatchResponseBody,
};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let body: LockBatchRequestBody = match decode_body(request.body.as_deref().unwrap_or_default())
    {
        Ok(b) => b,
        Err(e) => {
            return Some(RemotingCommand::system_error(
                &request,
                format!("bad LockBatchRequestBody: {e}"),
            ))
        }
    };
    let mqs = super::distinct(body.mq_set);
    let locked = broker.rebalance_locks.try_lock_batch(
        &body.consumer_group,
        &mqs,
        &body.client_id,
        broker.now_millis(),
    );
    // Java answers with `new HashSet<>(mqs.size())` holding the locked queues.
    let answer = LockBatchResponseBody {
        lock_ok_mq_set: java_hash_set_order(mqs.len(), locked),
    };
    Some(
        RemotingCommand::response_to(&request, response_code::SUCCESS, None)
            .with_body(encode_body(&answer)),
    )
}
