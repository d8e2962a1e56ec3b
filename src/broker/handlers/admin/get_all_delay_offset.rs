//! GET_ALL_DELAY_OFFSET (45): the schedule service's progress per delay level
//! (`DelayOffsetSerializeWrapper`, compact JSON).
//!
//! The schedule service persists its table to `config/delayOffset.json`; until it offers the
//! table in memory this answers with what that file holds (an empty table when it is absent).

use super::success_with_body;
use crate::broker::Broker;
use crate::fastjson;
use crate::remoting::{Connection, RemotingCommand};
use crate::store::metadata::{DelayOffsetTable, StoreConfigFile};

/// The delay offsets as persisted (empty when there is no file or it cannot be read).
pub fn delay_offsets(broker: &Broker) -> DelayOffsetTable {
    match DelayOffsetTable::load_from(&broker.store_config.root_dir()) {
        Ok((Some(table), _)) => table,
        Ok((None, _)) => DelayOffsetTable::default(),
        Err(e) => {
            tracing::warn!("read delayOffset.json: {e}");
            DelayOffsetTable::default()
        }
    }
}

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let table = delay_offsets(broker);
    Some(success_with_body(
        &request,
        fastjson::encode_compact(&table),
    ))
}
