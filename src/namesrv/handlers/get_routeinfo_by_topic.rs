//! GET_ROUTEINFO_BY_TOPIC (105): the route of one topic.
//!
//! 4.9.7 answers clients of version >= V4_9_4 (or asking `acceptStandardJsonOnly`) in standard
//! JSON (`{"0":"..."}`), older ones in fastjson's dialect (`{0:"..."}`), which only fastjson
//! reads.

use super::{header, success, HandlerResult};
use crate::namesrv::{Namesrv, NAMESPACE_ORDER_TOPIC_CONFIG};
use crate::protocol::body::JsonStyle;
use crate::protocol::header::namesrv::GetRouteInfoRequestHeader;
use crate::remoting::code::response_code;
use crate::remoting::RemotingCommand;

/// `MQVersion.Version.V4_9_4.ordinal()`.
pub const VERSION_V4_9_4: i32 = 401;

pub(super) fn handle(ns: &Namesrv, request: &RemotingCommand) -> HandlerResult {
    let h: GetRouteInfoRequestHeader = header(request)?;
    let style = if request.version >= VERSION_V4_9_4 || h.accept_standard_json_only == Some(true) {
        JsonStyle::Standard
    } else {
        JsonStyle::Fastjson
    };
    let order_topic_conf = if ns.settings().namesrv.order_message_enable {
        ns.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, &h.topic)
    } else {
        None
    };
    match ns
        .route
        .topic_route_json(&h.topic, style, order_topic_conf.as_deref())
    {
        Some(body) => Ok(success(request).with_body(body)),
        None => {
            tracing::debug!(topic = %h.topic, "route asked for an unknown topic");
            Ok(RemotingCommand::response_to(
            request,
            response_code::TOPIC_NOT_EXIST,
            Some(format!(
                "No topic route info in name server for the topic: {}\nSee http://rocketmq.apache.org/docs/faq/ for further details.",
                h.topic
            )),
        ))
        }
    }
}
