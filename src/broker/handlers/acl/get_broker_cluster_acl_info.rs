//! GET_BROKER_CLUSTER_ACL_INFO (52): with ACL off Java logs the NullPointerException and
//! returns no response (the caller times out); so do we.

use crate::broker::Broker;
use crate::remoting::{Connection, RemotingCommand};

pub async fn handle(
    _broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    tracing::error!("Failed to generate a proper getBrokerAclConfigVersion response: ACL is off");
    drop(request);
    None
}
