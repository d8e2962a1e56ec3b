//! DELETE_TOPIC_IN_NAMESRV (216): forgets a topic, in one cluster or (no/empty cluster) everywhere.

use super::{header, success, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::DeleteTopicFromNamesrvRequestHeader;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: DeleteTopicFromNamesrvRequestHeader = header(request)?;
    match h.cluster_name.as_deref() {
        Some(cluster) if !cluster.is_empty() => ns.route.delete_topic_in_cluster(&h.topic, cluster),
        _ => ns.route.delete_topic(&h.topic),
    }
    Ok(success(request))
}
