//! QUERY_DATA_VERSION (322): a broker asks whether the NameServer's copy of its topic config is
//! current. An unchanged version also counts as a heartbeat.

use super::{header, success, with_header, HandlerResult};
use crate::namesrv::Namesrv;
use crate::protocol::body::{decode_body, encode_body, BodyError, DataVersion};
use crate::protocol::header::namesrv::{
    QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
};
use crate::remoting::RemotingCommand;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: QueryDataVersionRequestHeader = header(request)?;
    let body = request
        .body
        .as_deref()
        .ok_or_else(|| BodyError::new("DataVersion body is null".to_string()))?;
    let data_version: DataVersion = decode_body(body)?;

    let changed = ns
        .route
        .is_broker_topic_config_changed(&h.broker_addr, &data_version);
    if !changed {
        ns.route
            .update_broker_info_update_timestamp(&h.broker_addr, ns.now_millis());
    }
    let mut response = success(request);
    if let Some(current) = ns.route.query_broker_topic_config(&h.broker_addr) {
        response = response.with_body(encode_body(&current));
    }
    Ok(with_header(
        response,
        &QueryDataVersionResponseHeader { changed },
    ))
}
