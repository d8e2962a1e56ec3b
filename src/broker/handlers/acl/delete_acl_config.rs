//! DELETE_ACL_CONFIG (51): with ACL off, DELETE_ACL_CONFIG_FAILED (see the module comment).

use super::no_validator;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::DeleteAccessConfigRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    _broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Err(response) = decode_header::<DeleteAccessConfigRequestHeader>(&request) {
        return Some(response);
    }
    Some(no_validator(
        &request,
        response_code::DELETE_ACL_CONFIG_FAILED,
        "deleteAccessConfig(String)",
    ))
}
