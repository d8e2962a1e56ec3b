//! ADD_WRITE_PERM_OF_BROKER (327): makes every topic of a broker read-write again; answers how
//! many topics it touched.

use super::{header, success, with_header, HandlerResult, RequestContext};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
};
use crate::remoting::RemotingCommand;

pub(super) fn handle(
    ns: &Namesrv,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> HandlerResult {
    let h: AddWritePermOfBrokerRequestHeader = header(request)?;
    let count = ns.route.add_write_perm_of_broker(&h.broker_name);
    tracing::info!(broker = %h.broker_name, client = %ctx.remote_addr, count, "add write perm of broker");
    Ok(with_header(
        success(request),
        &AddWritePermOfBrokerResponseHeader {
            add_topic_count: count,
        },
    ))
}
