//! GET_ALL_CONSUMER_OFFSET (43): the committed-offset table (a slave's metadata sync).

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&broker.offsets.snapshot()),
    ))
}
