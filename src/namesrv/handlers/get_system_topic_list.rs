//! GET_SYSTEM_TOPIC_LIST_FROM_NS (304): cluster and broker names (each broker has a topic of
//! its name and of its cluster's), plus one broker address.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(request, &ns.route.system_topic_list()))
}
