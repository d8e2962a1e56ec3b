//! DELETE_EXPIRED_COMMITLOG (329): run a manual CommitLog clean-up now (Java
//! `executeDeleteFilesManually`: the next retention pass deletes expired files whatever the
//! hour and disk usage). Always SUCCESS.

use crate::broker::Broker;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    tracing::warn!("invoke deleteExpiredCommitLog start.");
    broker.store.execute_delete_files_manually();
    tracing::warn!("invoke deleteExpiredCommitLog end.");
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
