//! `queryMsgById`: decodes the offset message id into the storing broker's address and the
//! record's CommitLog offset, fetches the record with VIEW_MESSAGE_BY_ID and prints the fields
//! mqadmin prints; the body goes to a file as mqadmin writes it (`Message Body Path:`).

use std::io::{Read, Write};

use super::query_msg_by_key::records;
use super::table::human_millis;
use super::{Admin, AdminError, AdminResult};
use ferrocket::protocol::header::ViewMessageRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};
use ferrocket::store::message::msg_id::parse_offset_msg_id;
use ferrocket::store::message::{host_string, property, sys_flag, StoredRecord};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Message Id (offset message ids, comma-separated)
    #[arg(short = 'i', long = "msgId")]
    msg_id: String,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    for id in args
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let Some((store_host, offset)) = parse_offset_msg_id(id) else {
            return Err(AdminError::new(format!(
                "[{id}] is not an offset message id (32 or 56 hex digits: store host and CommitLog offset)"
            )));
        };
        let addr = host_string(&store_host);
        let header = ViewMessageRequestHeader { offset };
        let request = RemotingCommand::request(
            request_code::VIEW_MESSAGE_BY_ID,
            Some(header.to_ext_fields()),
        );
        let response = admin.call_ok(&addr, request).await?;
        let body = response.body.as_deref().unwrap_or_default();
        let Some(record) = records(body)?.into_iter().next() else {
            writeln!(out)?;
            writeln!(out, "Message not found!")?;
            continue;
        };
        print_message(&record, out)?;
    }
    Ok(())
}

fn print_message(record: &StoredRecord<'_>, out: &mut impl Write) -> AdminResult {
    let msg_id = record.msg_id();
    let props = record.properties_map();
    let field = |out: &mut dyn Write, name: &str, value: &dyn std::fmt::Display| {
        writeln!(out, "{name:<20} {value}")
    };
    let tags = props.get(property::TAGS).unwrap_or("null");
    let keys = props.get(property::KEYS).unwrap_or("null");
    let body_path = write_body_file(&msg_id, record)?;
    field(out, "OffsetID:", &msg_id)?;
    field(out, "Topic:", &record.topic_str())?;
    field(out, "Tags:", &format!("[{tags}]"))?;
    field(out, "Keys:", &format!("[{keys}]"))?;
    field(out, "Queue ID:", &record.queue_id)?;
    field(out, "Queue Offset:", &record.queue_offset)?;
    field(out, "CommitLog Offset:", &record.physical_offset)?;
    field(out, "Reconsume Times:", &record.reconsume_times)?;
    field(out, "Born Timestamp:", &human_millis(record.born_timestamp))?;
    field(
        out,
        "Store Timestamp:",
        &human_millis(record.store_timestamp),
    )?;
    field(out, "Born Host:", &host_string(&record.born_host))?;
    field(out, "Store Host:", &host_string(&record.store_host))?;
    field(out, "System Flag:", &record.sys_flag)?;
    field(
        out,
        "Properties:",
        &java_map_string(&props.to_java_string()),
    )?;
    field(out, "Message Body Path:", &body_path)?;
    Ok(())
}

/// Java's `HashMap.toString` (`{k=v, k2=v2}`) of a properties string already in HashMap order.
fn java_map_string(properties: &str) -> String {
    let entries: Vec<String> = properties
        .split('\u{2}')
        .filter(|e| !e.is_empty())
        .map(|e| e.replacen('\u{1}', "=", 1))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// Writes the (decompressed) body to `<tmp>/rocketmq/msgbodys/<msgId>`, as mqadmin does under
/// `/tmp`, and returns the path.
fn write_body_file(msg_id: &str, record: &StoredRecord<'_>) -> AdminResult<String> {
    let mut body = record.body.to_vec();
    if record.sys_flag & sys_flag::COMPRESSED_FLAG != 0 {
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(record.body)
            .read_to_end(&mut inflated)
            .is_ok()
        {
            body = inflated;
        }
    }
    let dir = std::env::temp_dir().join("rocketmq").join("msgbodys");
    std::fs::create_dir_all(&dir)
        .map_err(|e| AdminError::new(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(msg_id);
    std::fs::write(&path, &body)
        .map_err(|e| AdminError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn properties_print_as_a_java_map() {
        assert_eq!(
            super::java_map_string("KEYS\u{1}k1\u{2}TAGS\u{1}a=b\u{2}"),
            "{KEYS=k1, TAGS=a=b}"
        );
        assert_eq!(super::java_map_string(""), "{}");
    }
}
