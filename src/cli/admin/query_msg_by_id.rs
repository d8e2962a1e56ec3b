//! `queryMsgById`: decodes the offset message id into the storing broker's address and the
//! record's CommitLog offset, fetches the record with VIEW_MESSAGE_BY_ID and prints the fields
//! mqadmin prints; the body goes to a file as mqadmin writes it (`Message Body Path:`).
//!
//! With `-g <group> -d <clientId>` the message is instead pushed to that consumer
//! (CONSUME_MESSAGE_DIRECTLY through the storing broker, which relays it to the client) and the
//! client's `ConsumeMessageDirectlyResult` is printed. With `-s true` it is sent again to its
//! topic as mqadmin's `ReSendMsgById` producer sends it, and the `SendResult` is printed. In
//! both modes, as in mqadmin, a failing id is reported on stderr and the next id is tried.

use std::io::{Read, Write};
use std::time::Duration;

use super::query_msg_by_key::records;
use super::table::human_millis;
use super::{Admin, AdminError, AdminResult, TIMEOUT};
use ferrocket::bench::message::{compress_body, random_u32, UniqIdGenerator};
use ferrocket::protocol::body::now_millis;
use ferrocket::protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader, ViewMessageRequestHeader,
};
use ferrocket::protocol::topic::{perm, AUTO_CREATE_TOPIC_KEY_TOPIC, RETRY_GROUP_TOPIC_PREFIX};
use ferrocket::protocol::{read_header, CommandHeader};
use ferrocket::remoting::{request_code, response_code, RemotingCommand};
use ferrocket::store::message::msg_id::parse_offset_msg_id;
use ferrocket::store::message::{host_string, property, sys_flag, StoredRecord};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Message Id (offset message ids, comma-separated)
    #[arg(short = 'i', long = "msgId")]
    msg_id: String,
    /// consumer group name (with -d: have that consumer consume the message now)
    #[arg(short = 'g', long = "consumerGroup")]
    consumer_group: Option<String>,
    /// The consumer's client id (with -g)
    #[arg(short = 'd', long = "clientId")]
    client_id: Option<String>,
    /// resend message [true|false]
    #[arg(short = 's', long = "sendMessage", value_name = "BOOL")]
    send_message: Option<String>,
    /// unit name (names the resending producer's instance; the resent message is the same)
    #[arg(short = 'u', long = "unitName")]
    // Java's producer only puts it in its client id, which a one-shot send never registers.
    #[allow(dead_code)]
    unit_name: Option<String>,
}

/// mqadmin's producer group for `-s`.
const RESEND_PRODUCER_GROUP: &str = "ReSendMsgById";
/// Java producer defaults: bodies from 4 KiB on are zlib-compressed at level 5, queues of a
/// topic created on the fly, and 2 retries of a failed synchronous send.
const COMPRESS_OVER: usize = 4 * 1024;
const DEFAULT_TOPIC_QUEUE_NUMS: i32 = 4;
const SEND_ATTEMPTS: usize = 3;

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let ids: Vec<&str> = args
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if let (Some(group), Some(client_id)) = (&args.consumer_group, &args.client_id) {
        for id in ids {
            match push_message(admin, group.trim(), client_id.trim(), id).await {
                Ok(result) => write!(out, "{result}")?,
                Err(e) => eprintln!("consume message {id} directly: {e}"),
            }
        }
        return Ok(());
    }
    if let Some(send) = &args.send_message {
        // Java `Boolean.parseBoolean`: anything but "true" (any case) is false.
        if send.trim().eq_ignore_ascii_case("true") {
            for id in ids {
                if let Err(e) = resend(admin, id, out).await {
                    eprintln!("resend message {id}: {e}");
                }
            }
        }
        return Ok(());
    }
    for id in ids {
        match view_message(admin, id).await? {
            Some(record) => {
                print_message(&StoredRecord::decode(&record).map_err(bad_record)?, out)?
            }
            None => {
                writeln!(out)?;
                writeln!(out, "Message not found!")?;
            }
        }
    }
    Ok(())
}

fn bad_record(e: impl std::fmt::Display) -> AdminError {
    AdminError::new(format!("cannot decode a message record: {e}"))
}

/// VIEW_MESSAGE_BY_ID at the broker the offset id names: the stored record's bytes, `None` when
/// the answer holds no record.
async fn view_message(admin: &Admin, id: &str) -> AdminResult<Option<Vec<u8>>> {
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
    let first = records(body)?.into_iter().next();
    Ok(first.map(|r| {
        let len = usize::try_from(r.total_size).unwrap_or(body.len());
        body.get(..len).unwrap_or(body).to_vec()
    }))
}

ferrocket::json_bean! {
    /// Java `ConsumeMessageDirectlyResult`, as the consumer answers it (`consumeResult` is the
    /// name of a `CMResult` constant).
    #[derive(Debug, Clone)]
    pub struct ConsumeMessageDirectlyResult {
        pub order: bool = "order",
        pub auto_commit: bool = "autoCommit" => true,
        pub consume_result: Option<String> = "consumeResult",
        pub remark: Option<String> = "remark",
        pub spent_time_mills: i64 = "spentTimeMills",
    }
}

/// Java's `toString`, which mqadmin prints.
impl std::fmt::Display for ConsumeMessageDirectlyResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ConsumeMessageDirectlyResult [order={}, autoCommit={}, consumeResult={}, remark={}, spentTimeMills={}]",
            self.order,
            self.auto_commit,
            self.consume_result.as_deref().unwrap_or("null"),
            self.remark.as_deref().unwrap_or("null"),
            self.spent_time_mills
        )
    }
}

/// mqadmin's `consumeMessageDirectly(group, clientId, msgId)`: view the message, then ask its
/// store host to relay it to the client (three times the admin timeout, as Java).
async fn push_message(
    admin: &Admin,
    group: &str,
    client_id: &str,
    id: &str,
) -> AdminResult<ConsumeMessageDirectlyResult> {
    let Some(bytes) = view_message(admin, id).await? else {
        return Err(AdminError::new(format!("no message. msgId={id}")));
    };
    let record = StoredRecord::decode(&bytes).map_err(bad_record)?;
    let addr = host_string(&record.store_host);
    // Java's mqadmin leaves brokerName unset; the broker fills it in before relaying.
    let header = ConsumeMessageDirectlyResultRequestHeader {
        consumer_group: group.to_string(),
        client_id: Some(client_id.to_string()),
        msg_id: Some(id.to_string()),
        broker_name: None,
    };
    let request = RemotingCommand::request(
        request_code::CONSUME_MESSAGE_DIRECTLY,
        Some(header.to_ext_fields()),
    );
    let response = admin.call_within(&addr, request, TIMEOUT * 3).await?;
    if response.code != response_code::SUCCESS || response.body.is_none() {
        return Err(AdminError::refused(&addr, &response));
    }
    super::body_of(&response, "ConsumeMessageDirectlyResult")
}

/// Java `SendResult` of a synchronous send.
struct SendResult {
    status: &'static str,
    uniq_id: String,
    offset_msg_id: String,
    topic: String,
    broker_name: String,
    queue_id: i32,
    queue_offset: i64,
}

/// Java's `SendResult.toString` (with `MessageQueue.toString` inside), which mqadmin prints.
impl std::fmt::Display for SendResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SendResult [sendStatus={}, msgId={}, offsetMsgId={}, messageQueue=MessageQueue [topic={}, brokerName={}, queueId={}], queueOffset={}]",
            self.status,
            self.uniq_id,
            self.offset_msg_id,
            self.topic,
            self.broker_name,
            self.queue_id,
            self.queue_offset
        )
    }
}

/// mqadmin's `sendMsg`: view the message and send it again to its topic; prints as Java does,
/// without line breaks.
async fn resend(admin: &Admin, id: &str, out: &mut impl Write) -> AdminResult {
    let Some(bytes) = view_message(admin, id).await? else {
        write!(out, "no message. msgId={id}")?;
        return Ok(());
    };
    let record = StoredRecord::decode(&bytes).map_err(bad_record)?;
    write!(out, "prepare resend msg. originalMsgId={id}")?;
    out.flush()?;
    let result = send_again(admin, &record).await?;
    write!(out, "{result}")?;
    Ok(())
}

/// A writable queue of the topic's route: (broker name, master address, queue id).
type Target = (String, String, i32);

/// Java `topicRouteData2TopicPublishInfo`: the write queues of every writable queue data whose
/// broker has a master, queue datas in broker-name order.
async fn write_queues(admin: &Admin, topic: &str) -> AdminResult<Vec<Target>> {
    let route = admin.route(topic).await?;
    let mut datas = route.queue_datas.clone();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let mut targets = Vec::new();
    for qd in datas.iter().filter(|qd| perm::is_writeable(qd.perm)) {
        let master = route
            .broker_datas
            .iter()
            .find(|bd| bd.broker_name == qd.broker_name)
            .and_then(|bd| bd.broker_addrs.get(&ferrocket::protocol::body::MASTER_ID));
        if let Some(addr) = master {
            for queue_id in 0..qd.write_queue_nums.max(0) {
                targets.push((qd.broker_name.clone(), addr.clone(), queue_id));
            }
        }
    }
    if targets.is_empty() {
        return Err(AdminError::new(format!(
            "No route info of this topic: {topic}"
        )));
    }
    Ok(targets)
}

/// The send status of a stored message, or `None` for a refusal.
fn send_status(code: i32) -> Option<&'static str> {
    match code {
        response_code::SUCCESS => Some("SEND_OK"),
        response_code::FLUSH_DISK_TIMEOUT => Some("FLUSH_DISK_TIMEOUT"),
        response_code::FLUSH_SLAVE_TIMEOUT => Some("FLUSH_SLAVE_TIMEOUT"),
        response_code::SLAVE_NOT_AVAILABLE => Some("SLAVE_NOT_AVAILABLE"),
        _ => None,
    }
}

/// Refusals a Java producer retries on another queue.
fn retryable(code: i32) -> bool {
    matches!(
        code,
        response_code::TOPIC_NOT_EXIST
            | response_code::SERVICE_NOT_AVAILABLE
            | response_code::SYSTEM_ERROR
            | response_code::NO_PERMISSION
            | response_code::NO_BUYER_ID
            | response_code::NOT_IN_CURRENT_UNIT
    )
}

/// What a Java `DefaultMQProducer.send(messageExt)` puts on the wire for a viewed message: its
/// topic, flag, properties (plus a `UNIQ_KEY` when it has none) and uncompressed body,
/// compressed again from 4 KiB on; SEND_MESSAGE_V2 to a round-robin queue from a random start,
/// moving to another broker after a failure.
async fn send_again(admin: &Admin, record: &StoredRecord<'_>) -> AdminResult<SendResult> {
    let topic = record.topic_str().into_owned();
    let targets = write_queues(admin, &topic).await?;
    let mut props = record.properties_map();
    let uniq_id = match props.get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX) {
        Some(id) => id.to_string(),
        None => {
            let first = targets.first().map(|t| t.1.as_str()).unwrap_or_default();
            let ip = admin.local_ip(first).await?;
            let mut id = String::new();
            UniqIdGenerator::new(ip, random_u32()).push_next(&mut id, now_millis());
            props.insert(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, &id);
            id
        }
    };
    let mut body = plain_body(record);
    let mut flag = 0;
    if body.len() >= COMPRESS_OVER {
        if let Ok(compressed) = compress_body(&body) {
            body = compressed;
            flag |= sys_flag::COMPRESSED_FLAG | sys_flag::COMPRESSION_ZLIB_TYPE;
        }
    }
    if props
        .get(property::TRANSACTION_PREPARED)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        flag |= sys_flag::TRANSACTION_PREPARED_TYPE;
    }
    let (mut reconsume_times, mut max_reconsume_times) = (0, None);
    if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        if let Some(v) = props.remove(property::RECONSUME_TIME) {
            reconsume_times = v.parse().unwrap_or(0);
        }
        if let Some(v) = props.remove(property::MAX_RECONSUME_TIMES) {
            max_reconsume_times = v.parse().ok();
        }
    }
    let properties = props.to_java_string();

    let mut next = random_u32() as usize;
    let mut last_broker: Option<String> = None;
    let mut last_error = AdminError::new("no send attempted");
    for _ in 0..SEND_ATTEMPTS {
        // Java `selectOneMessageQueue(lastBrokerName)`: the next queue, on another broker
        // than the one that just failed when there is one.
        let mut pick = &targets[next % targets.len()];
        next = next.wrapping_add(1);
        if let Some(failed) = &last_broker {
            for _ in 0..targets.len() {
                if &pick.0 != failed {
                    break;
                }
                pick = &targets[next % targets.len()];
                next = next.wrapping_add(1);
            }
        }
        let (broker_name, addr, queue_id) = pick;
        let header = SendMessageRequestHeaderV2 {
            producer_group: RESEND_PRODUCER_GROUP.to_string(),
            topic: topic.clone(),
            default_topic: AUTO_CREATE_TOPIC_KEY_TOPIC.to_string(),
            default_topic_queue_nums: DEFAULT_TOPIC_QUEUE_NUMS,
            queue_id: *queue_id,
            sys_flag: flag,
            born_timestamp: now_millis(),
            flag: record.flag,
            properties: Some(properties.clone()),
            reconsume_times: Some(reconsume_times),
            unit_mode: false,
            consume_retry_times: max_reconsume_times,
            batch: false,
            broker_name: Some(broker_name.clone()),
        };
        let request =
            RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(header.to_ext_fields()))
                .with_body(body.clone());
        last_broker = Some(broker_name.clone());
        let response = match admin
            .call_within(addr, request, Duration::from_secs(3))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let Some(status) = send_status(response.code) else {
            last_error = AdminError::refused(addr, &response);
            if retryable(response.code) {
                continue;
            }
            return Err(last_error);
        };
        let answer = read_header::<SendMessageResponseHeader>(&response)
            .map_err(|e| AdminError::new(format!("{addr}: bad send answer: {e}")))?;
        return Ok(SendResult {
            status,
            uniq_id,
            offset_msg_id: answer.msg_id,
            topic,
            broker_name: broker_name.clone(),
            queue_id: answer.queue_id,
            queue_offset: answer.queue_offset,
        });
    }
    Err(last_error)
}

/// The record's body as the producer wrote it (inflated when stored compressed).
fn plain_body(record: &StoredRecord<'_>) -> Vec<u8> {
    if record.sys_flag & sys_flag::COMPRESSED_FLAG != 0 {
        let mut inflated = Vec::new();
        if flate2::read::ZlibDecoder::new(record.body)
            .read_to_end(&mut inflated)
            .is_ok()
        {
            return inflated;
        }
    }
    record.body.to_vec()
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
    let body = plain_body(record);
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
