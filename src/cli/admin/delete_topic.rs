//! `deleteTopic`: DELETE_TOPIC_IN_BROKER on every master of the cluster, then
//! DELETE_TOPIC_IN_NAMESRV on every NameServer, in mqadmin's order.

use std::io::Write;

use super::{Admin, AdminResult};
use ferrocket::protocol::header::namesrv::DeleteTopicFromNamesrvRequestHeader;
use ferrocket::protocol::header::DeleteTopicRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// topic name
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// delete topic from which cluster
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: String,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let topic = args.topic.trim();
    let cluster = args.cluster_name.trim();
    for addr in admin.master_addrs_of_cluster(cluster).await? {
        let header = DeleteTopicRequestHeader {
            topic: topic.to_string(),
        };
        let request = RemotingCommand::request(
            request_code::DELETE_TOPIC_IN_BROKER,
            Some(header.to_ext_fields()),
        );
        admin.call_ok(&addr, request).await?;
    }
    writeln!(
        out,
        "delete topic [{topic}] from cluster [{cluster}] success."
    )?;
    for addr in admin.namesrvs() {
        let header = DeleteTopicFromNamesrvRequestHeader {
            topic: topic.to_string(),
            cluster_name: Some(cluster.to_string()),
        };
        let request = RemotingCommand::request(
            request_code::DELETE_TOPIC_IN_NAMESRV,
            Some(header.to_ext_fields()),
        );
        admin.call_ok(addr, request).await?;
    }
    writeln!(out, "delete topic [{topic}] from NameServer success.")?;
    Ok(())
}
