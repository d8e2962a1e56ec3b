//! `resetOffsetByTime`: INVOKE_BROKER_TO_RESET_OFFSET on every broker of the topic's route (the
//! broker computes the offsets and pushes them to the online consumers). When the group has no
//! consumer online (CONSUMER_NOT_ONLINE) mqadmin falls back to its old way, done here too: per
//! queue the offset by time (SEARCH_OFFSET_BY_TIMESTAMP, or GET_MAX_OFFSET for "now") committed
//! with UPDATE_CONSUMER_OFFSET.
//!
//! `-c` (cplus) marks the request as coming from C++ (`language: CPP`, as mqadmin's `isC`), so
//! the broker sends the consumers the table as C++ clients read it (`ResetOffsetBodyForC`).

use std::collections::BTreeMap;
use std::io::Write;

use super::table::{parse_date_millis, Table};
use super::{body_of, Admin, AdminError, AdminResult};
use ferrocket::protocol::body::{MessageQueue, OffsetWrapper, ResetOffsetBody};
use ferrocket::protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, ResetOffsetRequestHeader,
    SearchOffsetRequestHeader, SearchOffsetResponseHeader, UpdateConsumerOffsetRequestHeader,
};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, response_code, LanguageCode, RemotingCommand};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// set the consumer group
    #[arg(short = 'g', long = "group")]
    group: String,
    /// set the topic
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(short = 's', long = "timestamp")]
    timestamp: String,
    /// set the force rollback by timestamp switch[true|false]
    #[arg(short = 'f', long = "force", default_value_t = true, action = clap::ArgAction::Set)]
    force: bool,
    /// reset c++ client offset
    #[arg(short = 'c', long = "cplus")]
    cplus: bool,
}

/// mqadmin's timestamp argument: `now` (-1, the max offsets), millis, or a local date.
fn parse_timestamp(text: &str) -> AdminResult<i64> {
    if text == "now" {
        return Ok(-1);
    }
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(millis);
    }
    parse_date_millis(text).ok_or_else(|| {
        AdminError::new(format!(
            "Unparseable date: \"{text}\" (expected now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS)"
        ))
    })
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let group = args.group.trim();
    let topic = args.topic.trim();
    let text = args.timestamp.trim();
    let timestamp = parse_timestamp(text)?;
    let brokers = admin.route_brokers(topic).await?;
    let mut reset: BTreeMap<MessageQueue, i64> = BTreeMap::new();
    for (_, addr) in &brokers {
        let header = ResetOffsetRequestHeader {
            topic: topic.to_string(),
            group: group.to_string(),
            timestamp,
            is_force: args.force,
        };
        let mut request = RemotingCommand::request(
            request_code::INVOKE_BROKER_TO_RESET_OFFSET,
            Some(header.to_ext_fields()),
        );
        if args.cplus {
            request.language = LanguageCode::Cpp;
        }
        let response = admin.call(addr, request).await?;
        match response.code {
            response_code::SUCCESS if response.body.is_some() => {
                let body: ResetOffsetBody = body_of(&response, "ResetOffsetBody")?;
                reset.extend(body.offset_table);
            }
            response_code::CONSUMER_NOT_ONLINE => {
                return reset_offline(admin, group, topic, timestamp, args.force, text, out).await;
            }
            _ => {
                return Err(AdminError::new(format!(
                    "CODE: {}  DESC: {}  (from {addr})",
                    response.code,
                    response.remark.as_deref().unwrap_or("")
                )))
            }
        }
    }
    writeln!(
        out,
        "rollback consumer offset by specified group[{group}], topic[{topic}], force[{}], timestamp(string)[{text}], timestamp(long)[{timestamp}]",
        args.force
    )?;
    let mut table = Table::new(&["#brokerName", "#queueId", "#offset"]);
    for (mq, offset) in reset {
        table.row(vec![
            mq.broker_name,
            mq.queue_id.to_string(),
            offset.to_string(),
        ]);
    }
    table.print(out)?;
    Ok(())
}

/// mqadmin's `resetOffsetByTimestampOld`, for a group with no consumer online.
async fn reset_offline(
    admin: &Admin,
    group: &str,
    topic: &str,
    timestamp: i64,
    force: bool,
    text: &str,
    out: &mut impl Write,
) -> AdminResult {
    let mut table = Table::new(&[
        "#brokerName",
        "#queueId",
        "#brokerOffset",
        "#consumerOffset",
        "#timestampOffset",
        "#rollbackOffset",
    ]);
    for (broker_name, addr) in admin.route_brokers(topic).await? {
        let stats = admin.consume_stats(&addr, group, Some(topic)).await?;
        let mut queues: Vec<(MessageQueue, OffsetWrapper)> = stats
            .offset_table
            .into_iter()
            .filter(|(mq, _)| mq.topic == topic)
            .collect();
        if queues.is_empty() {
            // The group never consumed here: start from the queues' min offsets.
            queues = admin
                .topic_stats(&addr, topic)
                .await?
                .offset_table
                .into_iter()
                .filter(|(mq, _)| mq.broker_name == broker_name)
                .map(|(mq, o)| {
                    let wrapper = OffsetWrapper {
                        broker_offset: o.max_offset,
                        consumer_offset: o.min_offset,
                        last_timestamp: 0,
                    };
                    (mq, wrapper)
                })
                .collect();
        }
        for (mq, offsets) in queues {
            let target = offset_at(admin, &addr, &mq, timestamp).await?;
            let mut rollback = offsets.consumer_offset;
            if force || target <= offsets.consumer_offset {
                rollback = target;
                let header = UpdateConsumerOffsetRequestHeader {
                    consumer_group: group.to_string(),
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    commit_offset: target,
                    bname: Some(mq.broker_name.clone()),
                };
                let request = RemotingCommand::request(
                    request_code::UPDATE_CONSUMER_OFFSET,
                    Some(header.to_ext_fields()),
                );
                admin.call_ok(&addr, request).await?;
            }
            table.row(vec![
                mq.broker_name.clone(),
                mq.queue_id.to_string(),
                offsets.broker_offset.to_string(),
                offsets.consumer_offset.to_string(),
                target.to_string(),
                rollback.to_string(),
            ]);
        }
    }
    writeln!(
        out,
        "rollback consumer offset by specified consumerGroup[{group}], topic[{topic}], force[{force}], timestamp(string)[{text}], timestamp(long)[{timestamp}]"
    )?;
    table.print(out)?;
    Ok(())
}

/// The queue offset for `timestamp` (-1: the max offset).
async fn offset_at(
    admin: &Admin,
    addr: &str,
    mq: &MessageQueue,
    timestamp: i64,
) -> AdminResult<i64> {
    let request = if timestamp == -1 {
        let header = GetMaxOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            bname: Some(mq.broker_name.clone()),
        };
        RemotingCommand::request(request_code::GET_MAX_OFFSET, Some(header.to_ext_fields()))
    } else {
        let header = SearchOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            timestamp,
            bname: Some(mq.broker_name.clone()),
        };
        RemotingCommand::request(
            request_code::SEARCH_OFFSET_BY_TIMESTAMP,
            Some(header.to_ext_fields()),
        )
    };
    let response = admin.call_ok(addr, request).await?;
    let offset = if timestamp == -1 {
        read_header::<GetMaxOffsetResponseHeader>(&response).map(|h| h.offset)
    } else {
        read_header::<SearchOffsetResponseHeader>(&response).map(|h| h.offset)
    };
    offset.map_err(|e| AdminError::new(format!("{addr}: bad offset answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_mqadmin_reads_them() {
        assert_eq!(parse_timestamp("now").unwrap(), -1);
        assert_eq!(parse_timestamp("1700000000000").unwrap(), 1_700_000_000_000);
        assert!(parse_timestamp("2026-11-23#12:00:00:000").unwrap() > 0);
        assert!(parse_timestamp("yesterday").is_err());
    }
}
