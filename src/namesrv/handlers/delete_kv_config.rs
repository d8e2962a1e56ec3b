//! DELETE_KV_CONFIG (102): removes one key (SUCCESS even when absent) and persists.

use super::{header, success, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::DeleteKVConfigRequestHeader;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: DeleteKVConfigRequestHeader = header(request)?;
    ns.kv.delete(&h.namespace, &h.key);
    Ok(success(request))
}
