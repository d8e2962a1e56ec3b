//! GET_CONSUMER_LIST_BY_GROUP (38): the client ids of a consumer group, for rebalancing.

use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::header::{
    GetConsumerListByGroupRequestHeader, GetConsumerListByGroupResponseHeader,
};
use crate::protocol::heartbeat::GetConsumerListByGroupResponseBody;
use crate::protocol::{decode_header, response_with_header};
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: GetConsumerListByGroupRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let ids = broker
        .clients
        .consumer_group(&header.consumer_group)
        .map(|g| g.client_ids())
        .unwrap_or_default();
    let empty = GetConsumerListByGroupResponseHeader {};
    if ids.is_empty() {
        let remark = format!("no consumer for this group, {}", header.consumer_group);
        return Some(response_with_header(
            &request,
            response_code::SYSTEM_ERROR,
            Some(remark),
            &empty,
        ));
    }
    let body = GetConsumerListByGroupResponseBody {
        consumer_id_list: ids,
    };
    Some(
        response_with_header(&request, response_code::SUCCESS, None, &empty)
            .with_body(fastjson::encode_compact(&body).into_bytes()),
    )
}
