//! GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305): the system topic names (`TopicValidator`'s set:
//! the fixed system topics plus what this broker added at start-up — cluster name, broker
//! name, trace topic, reply topic), as a `TopicList` in Java's HashSet order.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::TopicList;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let topic_list = crate::java::hash_set_order(broker.topics.system_topic_names());
    let body = TopicList {
        topic_list,
        broker_addr: None,
    };
    Some(success_with_body(&request, fastjson::encode_compact(&body)))
}
