//! GET_CONSUMER_RUNNING_INFO (307): asks one consumer (group + clientId) for its running info
//! and answers with the consumer's response as it is (`ConsumerRunningInfo`, passed through).

use super::relay::call_consumer;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::GetConsumerRunningInfoRequestHeader;
use crate::remoting::{request_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumerRunningInfoRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    Some(
        call_consumer(
            broker,
            &request,
            request_code::GET_CONSUMER_RUNNING_INFO,
            &header.consumer_group,
            &header.client_id,
        )
        .await,
    )
}
