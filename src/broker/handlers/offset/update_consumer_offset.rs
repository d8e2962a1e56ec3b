//! UPDATE_CONSUMER_OFFSET (15): commit a group's offset of a queue (often oneway).

use crate::broker::Broker;
use crate::protocol::header::{
    UpdateConsumerOffsetRequestHeader, UpdateConsumerOffsetResponseHeader,
};
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: UpdateConsumerOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    broker.offsets.commit(
        &header.consumer_group,
        &header.topic,
        header.queue_id,
        header.commit_offset,
    );
    Some(response_with_header(
        &request,
        response_code::SUCCESS,
        None,
        &UpdateConsumerOffsetResponseHeader {},
    ))
}
