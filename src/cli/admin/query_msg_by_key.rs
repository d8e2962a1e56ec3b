//! `queryMsgByKey`: QUERY_MESSAGE to every broker of the topic's route over all time (begin 0,
//! end Long.MAX_VALUE, at most 64 per broker, as mqadmin asks), keeping the records whose
//! `KEYS` property holds the key; prints offset message id, queue and queue offset.

use std::io::Write;

use super::table::Table;
use super::{Admin, AdminError, AdminResult};
use ferrocket::protocol::header::QueryMessageRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, response_code, RemotingCommand};
use ferrocket::store::message::{property, StoredRecord};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topic name
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// Message Key
    #[arg(short = 'k', long = "msgKey")]
    msg_key: String,
}

/// mqadmin's `maxNum`.
const MAX_NUM: i32 = 64;

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let topic = args.topic.trim();
    let key = args.msg_key.trim();
    let brokers = admin.route_brokers(topic).await?;
    if brokers.is_empty() {
        return Err(AdminError::new(format!(
            "The topic[{topic}] not matched route info"
        )));
    }
    let mut found = Table::new(&["#Message ID", "#QID", "#Offset"]).right_align(&[1, 2]);
    for (_, addr) in brokers {
        let header = QueryMessageRequestHeader {
            topic: topic.to_string(),
            key: key.to_string(),
            max_num: MAX_NUM,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
        };
        let mut ext = header.to_ext_fields();
        ext.insert("_UNIQUE_KEY_QUERY", "false");
        let request = RemotingCommand::request(request_code::QUERY_MESSAGE, Some(ext));
        // Like mqadmin, a broker that fails or finds nothing only loses its own part.
        let response = match admin.call(&addr, request).await {
            Ok(r) if r.code == response_code::SUCCESS => r,
            Ok(r) => {
                eprintln!(
                    "{addr}: CODE: {} DESC: {}",
                    r.code,
                    r.remark.as_deref().unwrap_or("")
                );
                continue;
            }
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let body = response.body.as_deref().unwrap_or_default();
        for record in records(body)? {
            let props = record.properties_map();
            let matched = record.topic_str() == topic
                && props
                    .get(property::KEYS)
                    .is_some_and(|keys| keys.split(' ').any(|k| k == key));
            if matched {
                found.row(vec![
                    record.msg_id(),
                    record.queue_id.to_string(),
                    record.queue_offset.to_string(),
                ]);
            }
        }
    }
    if found.len() == 0 {
        return Err(AdminError::new(
            "query message by key finished, but no message.",
        ));
    }
    found.print(out)?;
    Ok(())
}

/// The records of a QUERY_MESSAGE / VIEW_MESSAGE_BY_ID body, one after the other.
pub fn records(mut body: &[u8]) -> AdminResult<Vec<StoredRecord<'_>>> {
    let mut out = Vec::new();
    while !body.is_empty() {
        let record = StoredRecord::decode(body)
            .map_err(|e| AdminError::new(format!("cannot decode a message record: {e}")))?;
        let len = usize::try_from(record.total_size).unwrap_or(body.len());
        body = body.get(len..).unwrap_or_default();
        out.push(record);
    }
    Ok(out)
}
