//! VIEW_BROKER_STATS_DATA (315): one statistics item's sum, tps and average over the last
//! minute, hour and day (`BrokerStatsData`; `mqadmin statsAll`, `brokerConsumeStats`). Served
//! items: TOPIC_PUT_NUMS and TOPIC_PUT_SIZE (key: topic), GROUP_GET_NUMS and GROUP_GET_SIZE
//! (key: `topic@group`), BROKER_PUT_NUMS and BROKER_GET_NUMS (key: the cluster name). Any other
//! name or key gets Java's "not exist" answer.

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::decode_header;
use crate::protocol::header::ViewBrokerStatsDataRequestHeader;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let header: ViewBrokerStatsDataRequestHeader = match decode_header(&request) {
        Ok(h) => h,
        Err(response) => return Some(response),
    };
    let (name, key) = (header.stats_name.as_str(), header.stats_key.as_str());
    let broker_wide = matches!(name, "BROKER_PUT_NUMS" | "BROKER_GET_NUMS");
    let data = if broker_wide && key != broker.config.broker_cluster_name {
        None
    } else {
        broker.stats.stats_data(name, key)
    };
    Some(match data {
        Some(data) => success_with_body(&request, fastjson::encode_compact(&data)),
        None => {
            RemotingCommand::system_error(&request, format!("The stats <{name}> <{key}> not exist"))
        }
    })
}
