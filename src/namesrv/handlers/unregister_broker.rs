//! UNREGISTER_BROKER (104): a broker shutting down removes itself.

use super::{header, success, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::UnRegisterBrokerRequestHeader;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: UnRegisterBrokerRequestHeader = header(request)?;
    ns.route
        .unregister_broker(&h.cluster_name, &h.broker_addr, &h.broker_name, h.broker_id);
    Ok(success(request))
}
