//! Writing what the transaction machinery derives (Java `TransactionalMessageBridge`) and the
//! check loop (Java `TransactionalMessageCheckService`: every `transactionCheckInterval`, one
//! pass with `transactionTimeOut` and `transactionCheckMax`).

use super::check;
use super::message::{op_message, StoredMessage};
use crate::broker::handlers::send::put_message;
use crate::broker::Broker;
use crate::protocol::topic;
use crate::store::commit_log::PutMessageStatus;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The broker's own address as the store host of the messages it writes itself (Java
/// `BrokerController.getStoreHost()`: brokerIP1 and listenPort).
pub fn broker_host(broker: &Broker) -> SocketAddr {
    broker
        .broker_addr
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
}

/// Java `deletePrepareMessage`: records in the op queue that the half message is done. Java
/// ignores a failed op write (the half message is then checked again later); so do we, loudly.
pub async fn delete_prepare_message(broker: &Broker, half: &StoredMessage) -> bool {
    let op = op_message(
        half.queue_id,
        half.queue_offset,
        broker_host(broker),
        broker.now_millis(),
    );
    let result = put_message(broker, op).await;
    if result.status != PutMessageStatus::PutOk {
        tracing::error!(
            half_offset = half.queue_offset,
            "writing the transaction op record failed: {:?}",
            result.status
        );
        return false;
    }
    true
}

/// The half message at a commit log offset (Java `lookMessageByOffset`), if it is one.
pub fn look_half_message(broker: &Broker, commit_log_offset: i64) -> Option<StoredMessage> {
    if commit_log_offset < 0 {
        return None;
    }
    let slice = broker.store.look_message_by_offset(commit_log_offset)?;
    StoredMessage::decode(&slice)
}

/// The check loop; runs on a master only (the runtime does not start it on a slave). The
/// three keys are read at each pass, so UPDATE_BROKER_CONFIG changes them at runtime (Java
/// reads the interval once at start-up, the other two at each pass); the loop wakes at least
/// once a second so a shorter interval applies without waiting out the old one.
pub async fn run(broker: Arc<Broker>, shutdown: CancellationToken) {
    let mut last_pass = Instant::now();
    loop {
        let interval = broker.knobs.transaction_check_interval().max(100) as u64;
        let due = last_pass + Duration::from_millis(interval);
        let now = Instant::now();
        if now < due {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep((due - now).min(Duration::from_secs(1))) => {}
            }
            continue;
        }
        let b = broker.clone();
        let checks = tokio::task::spawn_blocking(move || {
            check::check_pass(
                &b,
                b.knobs.transaction_time_out(),
                b.knobs.transaction_check_max(),
            )
        })
        .await
        .unwrap_or_default();
        send_checks(&broker, checks).await;
        last_pass = Instant::now();
    }
}

/// Java `resolveHalfMsg` / `Broker2Client.checkProducerTransactionState`: each check goes
/// oneway to a live connection of the message's producer group; with none, it is skipped (the
/// half message is checked again next pass).
pub async fn send_checks(broker: &Broker, checks: Vec<check::CheckRequest>) {
    for c in checks {
        match broker.clients.producer_connection(&c.producer_group) {
            Some(conn) => {
                if let Err(e) = conn.send_oneway(c.request).await {
                    tracing::warn!(
                        group = %c.producer_group,
                        "check transaction state to {}: {e}",
                        conn.peer_addr()
                    );
                }
            }
            None => tracing::warn!(
                group = %c.producer_group,
                "no producer of the group is connected: transaction check skipped"
            ),
        }
    }
}

/// Java `createTopicInSendMessageBackMethod` for the half topic (1 queue) when the check
/// service first looks at it. Returns its read queue count.
pub fn half_topic_queue_nums(broker: &Broker) -> i32 {
    match broker.topics.create_if_absent(
        topic::TRANS_HALF_TOPIC,
        1,
        topic::perm::READ | topic::perm::WRITE,
        0,
    ) {
        Ok((config, created)) => {
            if created {
                broker.register_with_namesrvs_soon();
            }
            config.read_queue_nums
        }
        Err(e) => {
            tracing::warn!("creating {}: {e}", topic::TRANS_HALF_TOPIC);
            1
        }
    }
}
