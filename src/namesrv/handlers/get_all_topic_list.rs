//! GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic name.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(request, &ns.route.all_topic_list()))
}
