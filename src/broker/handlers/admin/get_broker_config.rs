//! GET_BROKER_CONFIG (26): every key of the four configs as `key=value` lines in Java's order (Java
//! `Configuration.getAllConfigsFormatString`), and the config DataVersion in the header.

use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::header::GetBrokerConfigResponseHeader;
use crate::protocol::response_with_header;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let (text, version) = {
        let live = broker.live_config.read().unwrap_or_else(|p| p.into_inner());
        (
            live.settings.render_like_configuration(),
            fastjson::encode_compact(&live.version),
        )
    };
    let header = GetBrokerConfigResponseHeader { version };
    Some(
        response_with_header(&request, response_code::SUCCESS, None, &header)
            .with_body(text.into_bytes()),
    )
}
