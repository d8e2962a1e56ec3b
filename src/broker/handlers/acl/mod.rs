//! ACL administration codes (50–54) as a Java 4.9.7 broker answers them with ACL off, the
//! only mode ferrocket has: Java registers no access validator then, so every handler meets a
//! null validator. The updates catch the NullPointerException and answer their `*_FAILED` code
//! with the exception's message (JDK 17's helpful NPE text, which the golden broker ran on); the
//! two reads catch it, log, and send no response at all, so the caller times out.

pub mod delete_acl_config;
pub mod get_broker_cluster_acl_config;
pub mod get_broker_cluster_acl_info;
pub mod update_and_create_acl_config;
pub mod update_global_white_addrs_config;

use crate::remoting::RemotingCommand;

/// Java's answer to an ACL update on a broker without ACL: `code` with the NPE message for
/// calling `method` on the missing validator.
fn no_validator(request: &RemotingCommand, code: i32, method: &str) -> RemotingCommand {
    tracing::error!("ACL request {} on a broker with ACL off", request.code);
    RemotingCommand::response_to(
        request,
        code,
        Some(format!(
            "Cannot invoke \"org.apache.rocketmq.acl.AccessValidator.{method}\" because \"accessValidator\" is null"
        )),
    )
}
