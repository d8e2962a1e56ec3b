//! CLEAN_UNUSED_TOPIC (316): destroy the consume queues of topics the topic table no longer
//! has (Java `cleanUnusedTopic`; the schedule and transaction-op topics and LMQ queues are
//! kept), and forget their next offsets. Always SUCCESS.

use crate::broker::Broker;
use crate::remoting::{response_code, Connection, RemotingCommand};
use std::collections::HashSet;

/// Light message queue topics live outside the topic table (Java `MixAll.isLmq`).
const LMQ_PREFIX: &str = "%LMQ%";

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    tracing::warn!("invoke cleanUnusedTopic start.");
    let known: HashSet<String> = broker.topics.topic_names().into_iter().collect();
    let store = broker.store.clone();
    // Deletes files: off the reactor.
    let _ = tokio::task::spawn_blocking(move || {
        let keep = |t: &str| known.contains(t) || t.starts_with(LMQ_PREFIX);
        for topic in store.consume_queues().clean_unused_topics(&keep) {
            store.commit_log().remove_topic_then(&topic, |_| ());
        }
    })
    .await;
    tracing::warn!("invoke cleanUnusedTopic end.");
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
