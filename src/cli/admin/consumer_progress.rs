//! `consumerProgress`: with `-g`, the group's offsets in every queue (GET_CONSUME_STATS on each
//! broker of its retry topic's route) and the total lag; without, one line per group known by
//! its `%RETRY%` topic, with its online clients (GET_CONSUMER_CONNECTION_LIST). `-s true` adds
//! the IP of the client each queue is allocated to, from each client's GET_CONSUMER_RUNNING_INFO.

use std::collections::BTreeMap;
use std::io::Write;

use super::table::{date_time, version_desc, Table};
use super::{body_of, Admin, AdminResult};
use ferrocket::fastjson::Value;
use ferrocket::protocol::body::{ConsumerConnection, MessageQueue};
use ferrocket::protocol::header::{
    GetConsumerConnectionListRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use ferrocket::protocol::heartbeat::ConsumeType;
use ferrocket::protocol::topic::{retry_topic, RETRY_GROUP_TOPIC_PREFIX};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// consumer group name
    #[arg(short = 'g', long = "groupName")]
    group_name: Option<String>,
    /// Show Client IP per Queue
    #[arg(short = 's', long = "showClientIP", default_value_t = false, action = clap::ArgAction::Set)]
    show_client_ip: bool,
}

ferrocket::json_bean! {
    /// The part of Java's `ConsumerRunningInfo` read here: the queues the client holds.
    #[derive(Debug, Clone, PartialEq)]
    struct RunningInfoQueues {
        mq_table: BTreeMap<MessageQueue, Value> = "mqTable",
    }
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    match args.group_name.as_deref().map(str::trim) {
        Some(group) => one_group(admin, group, args.show_client_ip, out).await,
        None => all_groups(admin, out).await,
    }
}

async fn one_group(
    admin: &Admin,
    group: &str,
    show_client_ip: bool,
    out: &mut impl Write,
) -> AdminResult {
    let stats = admin.examine_consume_stats(group).await?;
    let allocation = if show_client_ip {
        allocation(admin, group).await
    } else {
        BTreeMap::new()
    };
    let mut titles = vec![
        "#Topic",
        "#Broker Name",
        "#QID",
        "#Broker Offset",
        "#Consumer Offset",
        "#Diff",
        "#LastTime",
    ];
    if show_client_ip {
        titles.insert(5, "#Client IP");
    }
    let mut table = Table::new(&titles);
    let mut diff_total = 0i64;
    for (mq, offsets) in &stats.offset_table {
        let diff = offsets.broker_offset - offsets.consumer_offset;
        diff_total += diff;
        let last = if offsets.last_timestamp == 0 {
            "N/A".to_string()
        } else {
            date_time(offsets.last_timestamp)
        };
        let mut cells = vec![
            mq.topic.clone(),
            mq.broker_name.clone(),
            mq.queue_id.to_string(),
            offsets.broker_offset.to_string(),
            offsets.consumer_offset.to_string(),
            diff.to_string(),
            last,
        ];
        if show_client_ip {
            let ip = allocation.get(mq).cloned().unwrap_or_else(|| "N/A".into());
            cells.insert(5, ip);
        }
        table.row(cells);
    }
    table.print(out)?;
    writeln!(out)?;
    writeln!(out, "Consume TPS: {:.2}", stats.consume_tps)?;
    writeln!(out, "Diff Total: {diff_total}")?;
    Ok(())
}

async fn all_groups(admin: &Admin, out: &mut impl Write) -> AdminResult {
    let mut topics = admin.topic_list().await?.topic_list;
    topics.sort();
    let mut table = Table::new(&[
        "#Group",
        "#Count",
        "#Version",
        "#Type",
        "#Model",
        "#TPS",
        "#Diff Total",
    ]);
    for topic in topics {
        let Some(group) = topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) else {
            continue;
        };
        // As in mqadmin, a group whose stats or connections cannot be read is shown with
        // zeros / OFFLINE rather than failing the listing.
        let (tps, diff) = match admin.examine_consume_stats(group).await {
            Ok(stats) => (
                stats.consume_tps as i64,
                stats
                    .offset_table
                    .values()
                    .map(|o| o.broker_offset - o.consumer_offset)
                    .sum::<i64>(),
            ),
            Err(_) => (0, 0),
        };
        let connection = consumer_connection(admin, group).await.ok();
        let count = connection.as_ref().map_or(0, |c| c.connection_set.len());
        let (version, kind, model) = match connection.as_ref().filter(|_| count > 0) {
            Some(c) => {
                let min_version = c
                    .connection_set
                    .iter()
                    .map(|x| x.version)
                    .min()
                    .unwrap_or(0);
                let push = c.consume_type != Some(ConsumeType::ConsumeActively);
                (
                    version_desc(min_version),
                    if push { "PUSH" } else { "PULL" }.to_string(),
                    if push {
                        c.message_model
                            .map(|m| m.java_name().to_string())
                            .unwrap_or_default()
                    } else {
                        String::new()
                    },
                )
            }
            None => ("OFFLINE".to_string(), String::new(), String::new()),
        };
        table.row(vec![
            group.to_string(),
            count.to_string(),
            version,
            kind,
            model,
            tps.to_string(),
            diff.to_string(),
        ]);
    }
    table.print(out)?;
    Ok(())
}

/// Java `examineConsumerConnectionInfo`: asked of the first broker of the retry topic's route.
async fn consumer_connection(admin: &Admin, group: &str) -> AdminResult<ConsumerConnection> {
    let brokers = admin.route_brokers(&retry_topic(group)).await?;
    let Some((_, addr)) = brokers.first() else {
        return Err(super::AdminError::new("no broker for the group"));
    };
    let header = GetConsumerConnectionListRequestHeader {
        consumer_group: group.to_string(),
    };
    let request = RemotingCommand::request(
        request_code::GET_CONSUMER_CONNECTION_LIST,
        Some(header.to_ext_fields()),
    );
    let response = admin.call_ok(addr, request).await?;
    body_of(&response, "ConsumerConnection")
}

/// Which client IP holds each queue: every online client's GET_CONSUMER_RUNNING_INFO, relayed
/// by a broker of the group (mqadmin's `getMessageQueueAllocationResult`; like it, failures
/// leave the queues unknown).
async fn allocation(admin: &Admin, group: &str) -> BTreeMap<MessageQueue, String> {
    let mut result = BTreeMap::new();
    let Ok(connection) = consumer_connection(admin, group).await else {
        return result;
    };
    let Ok(brokers) = admin.route_brokers(&retry_topic(group)).await else {
        return result;
    };
    let Some((_, addr)) = brokers.first() else {
        return result;
    };
    for client in &connection.connection_set {
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_string(),
            client_id: client.client_id.clone(),
            jstack_enable: false,
        };
        let request = RemotingCommand::request(
            request_code::GET_CONSUMER_RUNNING_INFO,
            Some(header.to_ext_fields()),
        );
        let Ok(response) = admin.call_ok(addr, request).await else {
            continue;
        };
        let Ok(info) = body_of::<RunningInfoQueues>(&response, "ConsumerRunningInfo") else {
            continue;
        };
        let ip = client
            .client_id
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string();
        for mq in info.mq_table.into_keys() {
            result.insert(mq, ip.clone());
        }
    }
    result
}
