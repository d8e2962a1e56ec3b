//! GET_TOPICS_BY_CLUSTER (224): topics served by a cluster's brokers (empty for an unknown
//! cluster).

use super::{header, success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::GetTopicsByClusterRequestHeader;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: GetTopicsByClusterRequestHeader = header(request)?;
    Ok(success_with_body(
        request,
        &ns.route.topics_by_cluster(&h.cluster),
    ))
}
