//! `topicStatus`: min and max offset and last store time of every queue of a topic, from
//! GET_TOPIC_STATS_INFO on each broker of its route.

use std::io::Write;

use super::table::{human_millis, Table};
use super::{Admin, AdminResult};
use ferrocket::protocol::body::TopicStatsTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// topic name
    #[arg(short = 't', long = "topic")]
    topic: String,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let topic = args.topic.trim();
    let mut stats = TopicStatsTable::default();
    for (_, addr) in admin.route_brokers(topic).await? {
        let one = admin.topic_stats(&addr, topic).await?;
        stats.offset_table.extend(one.offset_table);
    }
    let mut table = Table::new(&[
        "#Broker Name",
        "#QID",
        "#Min Offset",
        "#Max Offset",
        "#Last Updated",
    ]);
    // The map is ordered as Java sorts MessageQueue: topic, broker name, queue id.
    for (mq, offset) in &stats.offset_table {
        let updated = if offset.last_update_timestamp > 0 {
            human_millis(offset.last_update_timestamp)
        } else {
            String::new()
        };
        table.row(vec![
            mq.broker_name.clone(),
            mq.queue_id.to_string(),
            offset.min_offset.to_string(),
            offset.max_offset.to_string(),
            updated,
        ]);
    }
    table.print(out)?;
    Ok(())
}
