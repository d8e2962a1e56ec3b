//! UPDATE_AND_CREATE_ACL_CONFIG (50): with ACL off, UPDATE_AND_CREATE_ACL_CONFIG_FAILED (see
//! the module comment). The header is still checked first, as Java decodes it before trying.

use super::no_validator;
use crate::broker::Broker;
use crate::protocol::decode_header;
use crate::protocol::header::CreateAccessConfigRequestHeader;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    _broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    if let Err(response) = decode_header::<CreateAccessConfigRequestHeader>(&request) {
        return Some(response);
    }
    Some(no_validator(
        &request,
        response_code::UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
        "updateAccessConfig(org.apache.rocketmq.common.PlainAccessConfig)",
    ))
}
