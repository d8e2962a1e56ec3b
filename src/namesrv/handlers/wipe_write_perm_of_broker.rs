//! WIPE_WRITE_PERM_OF_BROKER (205): makes every topic of a broker read-only (before taking it
//! down); answers how many topics it touched.

use super::{header, success, with_header, HandlerResult, RequestContext};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::{
    WipeWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerResponseHeader,
};
use crate::remoting::RemotingCommand;

pub(super) fn handle(
    ns: &Namesrv,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> HandlerResult {
    let h: WipeWritePermOfBrokerRequestHeader = header(request)?;
    let count = ns.route.wipe_write_perm_of_broker(&h.broker_name);
    tracing::info!(broker = %h.broker_name, client = %ctx.remote_addr, count, "wipe write perm of broker");
    Ok(with_header(
        success(request),
        &WipeWritePermOfBrokerResponseHeader {
            wipe_topic_count: count,
        },
    ))
}
