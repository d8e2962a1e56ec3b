//! CLEAN_EXPIRED_CONSUMEQUEUE (306): destroy the consume queues whose every unit points behind
//! the CommitLog's first offset (Java `cleanExpiredConsumerQueue`), and forget their next
//! offsets. Always SUCCESS.

use crate::broker::Broker;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    tracing::warn!("invoke cleanExpiredConsumeQueue start.");
    let store = broker.store.clone();
    // Deletes files: off the reactor.
    let _ = tokio::task::spawn_blocking(move || {
        let min = store.min_phy_offset();
        for (topic, queue_id) in store.consume_queues().clean_expired_queues(min) {
            store
                .commit_log()
                .remove_queue_from_topic_queue_table(&topic, queue_id);
        }
    })
    .await;
    tracing::warn!("invoke cleanExpiredConsumeQueue end.");
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
