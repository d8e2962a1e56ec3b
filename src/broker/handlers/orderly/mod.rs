//! Orderly consumption: a consumer locks the queues it consumes in order so no other member of
//! its group consumes them at the same time (Java `AdminBrokerProcessor.lockBatchMQ` /
//! `unlockBatchMQ` over `RebalanceLockManager`).

pub mod lock_batch_mq;
pub mod unlock_batch_mq;

use crate::protocol::body::MessageQueue;

/// The request's queue set without duplicates (Java reads it into a `HashSet`), first
/// occurrence kept.
fn distinct(mqs: Vec<MessageQueue>) -> Vec<MessageQueue> {
    let mut seen = std::collections::HashSet::new();
    mqs.into_iter()
        .filter(|mq| seen.insert(mq.clone()))
        .collect()
}
