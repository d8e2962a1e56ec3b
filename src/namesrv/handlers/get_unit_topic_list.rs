//! GET_UNIT_TOPIC_LIST (311): topics with the unit flag in `topicSysFlag`.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(request, &ns.route.unit_topics()))
}
