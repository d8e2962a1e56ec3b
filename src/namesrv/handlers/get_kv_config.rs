//! GET_KV_CONFIG (101): one value, or QUERY_NOT_FOUND with Java's remark.

use super::{header, with_header, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::header::namesrv::{GetKVConfigRequestHeader, GetKVConfigResponseHeader};
use crate::remoting::code::response_code;
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: GetKVConfigRequestHeader = header(request)?;
    let value = ns.kv.get(&h.namespace, &h.key);
    let response = match &value {
        Some(_) => RemotingCommand::response_to(request, response_code::SUCCESS, None),
        None => RemotingCommand::response_to(
            request,
            response_code::QUERY_NOT_FOUND,
            Some(format!(
                "No config item, Namespace: {} Key: {}",
                h.namespace, h.key
            )),
        ),
    };
    Ok(with_header(response, &GetKVConfigResponseHeader { value }))
}
