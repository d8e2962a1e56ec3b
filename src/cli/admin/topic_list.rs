//! `topicList`: every topic the NameServer knows, one a line; `-c` adds each topic's cluster
//! and the groups consuming it (retry and DLQ topics left out, as mqadmin does).

use std::io::Write;

use super::table::Table;
use super::{body_of, Admin, AdminResult};
use ferrocket::protocol::body::{ClusterInfo, GroupList};
use ferrocket::protocol::header::QueryTopicConsumeByWhoRequestHeader;
use ferrocket::protocol::topic::{DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print each topic's cluster and consumer groups
    #[arg(short = 'c', long = "clusterModel")]
    cluster_model: bool,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let mut topics = admin.topic_list().await?.topic_list;
    topics.sort();
    if !args.cluster_model {
        for topic in &topics {
            writeln!(out, "{topic}")?;
        }
        return Ok(());
    }
    let info = admin.cluster_info().await?;
    let mut table = Table::new(&["#Cluster Name", "#Topic", "#Consumer Group"]);
    for topic in topics {
        if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) || topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
        {
            continue;
        }
        // As in mqadmin, a topic whose route or groups cannot be read is still listed.
        let cluster = cluster_of(admin, &topic, &info).await.unwrap_or_default();
        let mut groups = consumed_by(admin, &topic).await.unwrap_or_default();
        groups.sort();
        if groups.is_empty() {
            groups.push(String::new());
        }
        for group in groups {
            table.row(vec![cluster.clone(), topic.clone(), group]);
        }
    }
    table.print(out)?;
    Ok(())
}

/// The cluster holding the first broker of the topic's route.
async fn cluster_of(admin: &Admin, topic: &str, info: &ClusterInfo) -> AdminResult<String> {
    let route = admin.route(topic).await?;
    let Some(first) = route.broker_datas.first() else {
        return Ok(String::new());
    };
    Ok(info
        .cluster_addr_table
        .iter()
        .find(|(_, names)| names.contains(&first.broker_name))
        .map(|(cluster, _)| cluster.clone())
        .unwrap_or_default())
}

/// Java `queryTopicConsumeByWho`: the first broker of the route that answers.
async fn consumed_by(admin: &Admin, topic: &str) -> AdminResult<Vec<String>> {
    let Some((_, addr)) = admin.route_brokers(topic).await?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let header = QueryTopicConsumeByWhoRequestHeader {
        topic: topic.to_string(),
    };
    let request = RemotingCommand::request(
        request_code::QUERY_TOPIC_CONSUME_BY_WHO,
        Some(header.to_ext_fields()),
    );
    let response = admin.call_ok(&addr, request).await?;
    let groups: GroupList = body_of(&response, "GroupList")?;
    Ok(groups.group_list)
}
