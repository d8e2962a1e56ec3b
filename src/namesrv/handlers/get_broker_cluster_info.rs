//! GET_BROKER_CLUSTER_INFO (106): every broker and cluster. Always fastjson's dialect
//! (`"brokerAddrs":{0:"..."}`), whatever the client's version, as in 4.9.7.

use super::{success_with_body, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    Ok(success_with_body(request, &ns.route.all_cluster_info()))
}
