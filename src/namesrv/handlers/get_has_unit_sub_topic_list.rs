//! GET_HAS_UNIT_SUB_TOPIC_LIST (312): topics with the unit-subscription flag.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(request, &ns.route.has_unit_sub_topics()))
}
