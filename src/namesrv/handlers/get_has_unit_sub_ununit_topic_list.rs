//! GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST (313): topics with the unit-subscription flag but not
//! the unit flag.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(
        request,
        &ns.route.has_unit_sub_ununit_topics(),
    ))
}
