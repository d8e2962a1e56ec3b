//! GET_NAMESRV_CONFIG (319): every configuration property as `key=value` lines.

use super::{success, HandlerResult};
use crate::namesrv::Namesrv;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let content = ns.settings().format_all();
    let response = success(request);
    Ok(if content.is_empty() {
        response
    } else {
        response.with_body(content.into_bytes())
    })
}
