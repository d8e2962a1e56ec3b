//! DELETE_TOPIC_IN_BROKER (215): drop the topic's config, its consume queues and its
//! position in the CommitLog's queue-offset table, and the consumer offsets on it.
//!
//! Java crashes here when sends to the topic are in flight (a dispatch re-creates a queue
//! being destroyed). Here each piece is removed under its own lock, after the dispatcher has
//! caught up with what was already stored; a send racing the delete at worst re-creates a
//! queue holding just the racing messages (or, with auto-creation, the topic itself): nothing panics and the broker
//! keeps serving.

use super::{check_admin_topic, persist_failed, refuse_on_slave};
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::DeleteTopicRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Some(refused) = refuse_on_slave(broker, &request) {
        return Some(refused);
    }
    let header: DeleteTopicRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    tracing::info!("deleteTopic called by {}", conn.peer_addr());
    let name = header.topic.as_str();
    if let Err(response) = check_admin_topic(broker, &request, name) {
        return Some(response);
    }
    let _serial = broker.admin_lock.lock().await;
    if let Err(e) = broker.topics.delete(name) {
        return Some(persist_failed(&request, "write topics.json", e));
    }
    delete_topic_data(broker, name).await;
    broker.register_with_namesrvs_soon();
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}

/// How long a delete waits for the dispatcher to catch up with the CommitLog.
const DISPATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Java `cleanUnusedTopic` for one topic plus the offsets on it (Java keeps those until the
/// next offset scan; `mqadmin deleteTopic` users expect them gone). File removal runs off the
/// reactor.
pub async fn delete_topic_data(broker: &Broker, name: &str) {
    let store = broker.store.clone();
    let topic_name = name.to_string();
    let deleted = tokio::task::spawn_blocking(move || {
        // Records already in the CommitLog but not yet dispatched would re-create the queues
        // right after we removed them: let the dispatcher get past what is stored now
        // (bounded; what is still behind then is dropped by the fence below).
        let stored_up_to = store.max_phy_offset();
        let deadline = std::time::Instant::now() + DISPATCH_WAIT;
        while store.max_phy_offset() - store.dispatch_behind_bytes() < stored_up_to
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // One step under the CommitLog's append lock (sends wait for two table updates, not
        // for files): whatever is stored below the fence is the old topic's, whenever the
        // dispatcher gets to it, and the re-created topic's records all land above it, after
        // the old queues left the table. Their files go after the lock.
        let queues = store.consume_queues();
        let had_queues = store.commit_log().remove_topic_then(&topic_name, |fence| {
            queues.delete_topic_stored_below(&topic_name, fence)
        });
        queues.destroy_deleted();
        had_queues
    })
    .await
    .unwrap_or(false);
    broker.offsets.remove_topic(name);
    if broker.config.auto_delete_unused_stats {
        broker.stats.on_topic_deleted(name);
    }
    tracing::info!("deleted topic {name} (had consume queues: {deleted})");
}
