//! Requests the broker forwards to its clients on an admin tool's behalf (Java `callConsumer`
//! and `Broker2Client`): find the consumer's connection, check its version, invoke, and turn
//! the failures into Java's answers.

use crate::broker::client_manager::ClientChannel;
use crate::broker::Broker;
use crate::remoting::{response_code, RemotingCommand, RemotingError};
use std::time::Duration;

/// Java `Broker2Client.callClient`: 10 s for the client to answer.
pub const CALL_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Java `Broker2Client.getConsumeStatus`: 5 s per client.
pub const CONSUMER_STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// `MQVersion.Version.V3_0_7_SNAPSHOT.ordinal()`: the first client version that handles offset
/// resets and status requests.
const V3_0_7_SNAPSHOT: i32 = 28;
/// `MQVersion.Version.V3_1_8_SNAPSHOT.ordinal()`: the first that handles running-info and
/// consume-directly requests.
pub const V3_1_8_SNAPSHOT: i32 = 62;

/// `MQVersion.getVersionDesc` for the versions these checks can refuse (the ones before
/// V3_1_8_SNAPSHOT); later ones are named by the current version's table elsewhere.
#[rustfmt::skip]
const OLD_VERSIONS: [&str; 62] = [
    "V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1", "V3_0_0_BETA1", "V3_0_0_BETA2", "V3_0_0_BETA3",
    "V3_0_0_BETA4", "V3_0_0_BETA5", "V3_0_0_BETA6_SNAPSHOT", "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT", "V3_0_0_BETA7", "V3_0_0_BETA8_SNAPSHOT", "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9", "V3_0_0_FINAL", "V3_0_1_SNAPSHOT", "V3_0_1",
    "V3_0_2_SNAPSHOT", "V3_0_2", "V3_0_3_SNAPSHOT", "V3_0_3", "V3_0_4_SNAPSHOT", "V3_0_4",
    "V3_0_5_SNAPSHOT", "V3_0_5", "V3_0_6_SNAPSHOT", "V3_0_6", "V3_0_7_SNAPSHOT", "V3_0_7",
    "V3_0_8_SNAPSHOT", "V3_0_8", "V3_0_9_SNAPSHOT", "V3_0_9", "V3_0_10_SNAPSHOT", "V3_0_10",
    "V3_0_11_SNAPSHOT", "V3_0_11", "V3_0_12_SNAPSHOT", "V3_0_12", "V3_0_13_SNAPSHOT", "V3_0_13",
    "V3_0_14_SNAPSHOT", "V3_0_14", "V3_0_15_SNAPSHOT", "V3_0_15", "V3_1_0_SNAPSHOT", "V3_1_0",
    "V3_1_1_SNAPSHOT", "V3_1_1", "V3_1_2_SNAPSHOT", "V3_1_2", "V3_1_3_SNAPSHOT", "V3_1_3",
    "V3_1_4_SNAPSHOT", "V3_1_4", "V3_1_5_SNAPSHOT", "V3_1_5", "V3_1_6_SNAPSHOT", "V3_1_6",
    "V3_1_7_SNAPSHOT", "V3_1_7",
];

/// The name of an old client version (`MQVersion.getVersionDesc`).
pub fn old_version_desc(version: i32) -> String {
    usize::try_from(version)
        .ok()
        .and_then(|v| OLD_VERSIONS.get(v))
        .map_or_else(|| version.to_string(), |s| s.to_string())
}

/// Java `Broker2Client`'s refusal of a client older than V3_0_7_SNAPSHOT (offset resets and
/// status requests): the SYSTEM_ERROR answer, or `None` when `version` can take them.
pub fn refuse_before_v3_0_7(request: &RemotingCommand, version: i32) -> Option<RemotingCommand> {
    (version < V3_0_7_SNAPSHOT).then(|| {
        RemotingCommand::system_error(
            request,
            format!(
                "the client does not support this feature. version={}",
                old_version_desc(version)
            ),
        )
    })
}

/// The connection of client `client_id` in consumer group `group` (Java `findChannel`).
pub fn find_consumer(broker: &Broker, group: &str, client_id: &str) -> Option<ClientChannel> {
    broker
        .clients
        .consumer_group(group)?
        .channels
        .into_values()
        .find(|c| c.client_id == client_id)
}

/// Java `callConsumer`: forwards the admin request's extFields and body to the consumer as a
/// `code` request and answers with the consumer's response as it is.
pub async fn call_consumer(
    broker: &Broker,
    request: &RemotingCommand,
    code: i32,
    group: &str,
    client_id: &str,
) -> RemotingCommand {
    let Some(channel) = find_consumer(broker, group, client_id) else {
        return RemotingCommand::system_error(
            request,
            format!("The Consumer <{group}> <{client_id}> not online"),
        );
    };
    if channel.version < V3_1_8_SNAPSHOT {
        return RemotingCommand::system_error(
            request,
            format!(
                "The Consumer <{client_id}> Version <{}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT",
                old_version_desc(channel.version)
            ),
        );
    }
    let mut relayed = RemotingCommand::request(code, request.ext_fields.clone());
    relayed.body = request.body.clone();
    match channel.connection.invoke(relayed, CALL_CLIENT_TIMEOUT).await {
        Ok(response) => response,
        Err(RemotingError::Timeout { addr, timeout }) => RemotingCommand::response_to(
            request,
            response_code::CONSUME_MSG_TIMEOUT,
            Some(format!(
                "consumer <{group}> <{client_id}> Timeout: org.apache.rocketmq.remoting.exception.RemotingTimeoutException: wait response on the channel <{addr}> timeout, {}(ms)",
                timeout.as_millis()
            )),
        ),
        Err(e) => RemotingCommand::system_error(
            request,
            format!("invoke consumer <{group}> <{client_id}> Exception: {e}"),
        ),
    }
}
