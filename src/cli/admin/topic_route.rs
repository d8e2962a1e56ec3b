//! `topicRoute`: the topic's route as the NameServer answers it, pretty JSON as mqadmin prints
//! it, or (`-l`) a table of its brokers and queue counts.

use std::collections::BTreeMap;
use std::io::Write;

use super::table::Table;
use super::{Admin, AdminResult};
use ferrocket::protocol::body::QueueData;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// topic name
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Use list format to print data
    #[arg(short = 'l', long = "list")]
    list: bool,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let route = admin.route(args.topic.trim()).await?;
    if !args.list {
        let json = ferrocket::fastjson::encode_pretty(&route);
        writeln!(out, "{json}")?;
        return Ok(());
    }
    let queues: BTreeMap<&str, &QueueData> = route
        .queue_datas
        .iter()
        .map(|q| (q.broker_name.as_str(), q))
        .collect();
    let mut brokers: Vec<_> = route.broker_datas.iter().collect();
    brokers.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let mut table = Table::new(&[
        "#ClusterName",
        "#BrokerName",
        "#BrokerAddrs",
        "#ReadQueue",
        "#WriteQueue",
        "#Perm",
    ]);
    let (mut total_read, mut total_write) = (0i64, 0i64);
    for broker in brokers {
        let (read, write, perm) = queues
            .get(broker.broker_name.as_str())
            .map(|q| (q.read_queue_nums, q.write_queue_nums, q.perm))
            .unwrap_or_default();
        total_read += i64::from(read);
        total_write += i64::from(write);
        // Java prints the HashMap<Long, String>: {0=127.0.0.1:10911, 1=...}.
        let addrs: Vec<String> = broker
            .broker_addrs
            .iter()
            .map(|(id, addr)| format!("{id}={addr}"))
            .collect();
        table.row(vec![
            broker.cluster.clone(),
            broker.broker_name.clone(),
            format!("{{{}}}", addrs.join(", ")),
            read.to_string(),
            write.to_string(),
            perm.to_string(),
        ]);
    }
    table.rule();
    table.row(vec![
        "Total:".into(),
        queues.len().to_string(),
        String::new(),
        total_read.to_string(),
        total_write.to_string(),
        String::new(),
    ]);
    table.print(out)?;
    Ok(())
}
