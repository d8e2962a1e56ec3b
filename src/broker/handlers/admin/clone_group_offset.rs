//! CLONE_GROUP_OFFSET (314): copy a group's committed offsets to another group, for one topic
//! or every topic the source group has offsets on. An online source group that does not
//! subscribe to a topic is skipped, unless the request says `offline`. Always SUCCESS.
//!
//! Java clones only `requestHeader.getTopic()` inside its loop, so with no topic given it
//! copies nothing; here each topic of the loop is cloned, which is what the command is for.

use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::CloneGroupOffsetRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: CloneGroupOffsetRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let src = header.src_group.as_str();
    let topics = match header.topic.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => vec![t.to_string()],
        None => broker.offsets.topics_of_group(src),
    };
    let online = broker.clients.consumer_group(src);
    for topic in topics {
        if !broker.topics.contains(&topic) {
            tracing::warn!("[cloneGroupOffset], topic config not exist, {topic}");
            continue;
        }
        if !header.offline {
            if let Some(g) = &online {
                if !g.subscriptions.is_empty() && !g.subscriptions.contains_key(&topic) {
                    tracing::warn!(
                        "[cloneGroupOffset], the consumer group[{src}], topic[{topic}] not exist"
                    );
                    continue;
                }
            }
        }
        broker
            .offsets
            .clone_offsets(src, &header.dest_group, &topic);
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
