//! PUT_KV_CONFIG (100): sets one key of a namespace and persists the KV store.

use super::{header, success, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::PutKVConfigRequestHeader;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: PutKVConfigRequestHeader = header(request)?;
    ns.kv.put(&h.namespace, &h.key, &h.value);
    Ok(success(request))
}
