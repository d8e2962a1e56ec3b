//! QUERY_TOPIC_CONSUME_BY_WHO (300): groups subscribed to a topic now, plus groups with
//! committed offsets on it.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::GroupList;
use crate::protocol::decode_header;
use crate::protocol::header::QueryTopicConsumeByWhoRequestHeader;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: QueryTopicConsumeByWhoRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let mut groups = broker.clients.groups_subscribing(&header.topic);
    groups.extend(broker.offsets.groups_of_topic(&header.topic));
    groups.sort();
    groups.dedup();
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&GroupList { group_list: groups }),
    ))
}
