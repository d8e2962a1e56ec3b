//! UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): with ACL off, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED
//! (see the module comment).

use super::no_validator;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::UpdateGlobalWhiteAddrsConfigRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    _broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Err(response) = decode_header::<UpdateGlobalWhiteAddrsConfigRequestHeader>(&request) {
        return Some(response);
    }
    Some(no_validator(
        &request,
        response_code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
        "updateGlobalWhiteAddrsConfig(java.util.List, String)",
    ))
}
