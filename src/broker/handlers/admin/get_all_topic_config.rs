//! GET_ALL_TOPIC_CONFIG (21): the whole topic table with its DataVersion (a slave's metadata
//! sync; `TopicConfigSerializeWrapper` JSON, compact).

use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::header::GetAllTopicConfigResponseHeader;
use crate::protocol::response_with_header;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let body = fastjson::encode_compact(&broker.topics.snapshot());
    Some(
        response_with_header(
            &request,
            response_code::SUCCESS,
            None,
            &GetAllTopicConfigResponseHeader {},
        )
        .with_body(body.into_bytes()),
    )
}
