//! `updateTopic`: creates or updates a topic on one broker (`-b`) or on every master of a
//! cluster (`-c`) with UPDATE_AND_CREATE_TOPIC; `-o true` also records the order conf in the
//! NameServer's ORDER_TOPIC_CONFIG namespace, as mqadmin does.

use std::io::Write;

use super::{Admin, AdminError, AdminResult};
use ferrocket::protocol::header::namesrv::PutKVConfigRequestHeader;
use ferrocket::protocol::header::CreateTopicRequestHeader;
use ferrocket::protocol::topic::{perm, sys_flag, AUTO_CREATE_TOPIC_KEY_TOPIC};
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{request_code, RemotingCommand};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct Args {
    /// create topic to which broker
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// create topic to which cluster
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
    /// topic name
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// set read queue nums
    #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
    read_queue_nums: i32,
    /// set write queue nums
    #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
    write_queue_nums: i32,
    /// set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]
    #[arg(short = 'p', long = "perm", default_value_t = perm::READ | perm::WRITE)]
    perm: i32,
    /// set topic's order(true|false)
    #[arg(short = 'o', long = "order", default_value_t = false, action = clap::ArgAction::Set)]
    order: bool,
    /// is unit topic (true|false)
    #[arg(short = 'u', long = "unit", default_value_t = false, action = clap::ArgAction::Set)]
    unit: bool,
    /// has unit sub (true|false)
    #[arg(short = 's', long = "hasUnitSub", default_value_t = false, action = clap::ArgAction::Set)]
    has_unit_sub: bool,
}

/// The NameServer KV namespace of order topics' `broker:queues` lists (`NamesrvUtil`).
const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    let topic = args.topic.trim().to_string();
    ferrocket::protocol::topic::validate_topic(&topic)
        .map_err(|e| AdminError::new(format!("topic [{topic}]: {e}")))?;
    let header = CreateTopicRequestHeader {
        topic: topic.clone(),
        default_topic: AUTO_CREATE_TOPIC_KEY_TOPIC.to_string(),
        read_queue_nums: args.read_queue_nums,
        write_queue_nums: args.write_queue_nums,
        perm: args.perm,
        topic_filter_type: "SINGLE_TAG".to_string(),
        topic_sys_flag: Some(sys_flag::build(args.unit, args.has_unit_sub)),
        order: args.order,
    };
    let create = |addr: &str| {
        let request = RemotingCommand::request(
            request_code::UPDATE_AND_CREATE_TOPIC,
            Some(header.to_ext_fields()),
        );
        let addr = addr.to_string();
        async move { admin.call_ok(&addr, request).await }
    };
    if let Some(addr) = args.broker_addr.as_deref().map(str::trim) {
        create(addr).await?;
        if args.order {
            let name = broker_name_of(admin, addr).await?;
            let conf = format!("{name}:{}", args.write_queue_nums);
            put_order_conf(admin, &topic, &conf).await?;
            // mqadmin prints this without a line break; one is added for legibility.
            writeln!(
                out,
                "set broker orderConf. isOrder={}, orderConf=[{conf}]",
                args.order
            )?;
        }
        writeln!(out, "create topic to {addr} success.")?;
    } else if let Some(cluster) = args.cluster_name.as_deref().map(str::trim) {
        for addr in admin.master_addrs_of_cluster(cluster).await? {
            create(&addr).await?;
            writeln!(out, "create topic to {addr} success.")?;
        }
        if args.order {
            let info = admin.cluster_info().await?;
            let conf = info
                .cluster_addr_table
                .get(cluster)
                .into_iter()
                .flatten()
                .map(|name| format!("{name}:{}", args.write_queue_nums))
                .collect::<Vec<_>>()
                .join(";");
            put_order_conf(admin, &topic, &conf).await?;
            writeln!(
                out,
                "set cluster orderConf. isOrder={}, orderConf=[{conf}]",
                args.order
            )?;
        }
    }
    // Java's TopicConfig.toString.
    writeln!(
        out,
        "TopicConfig [topicName={topic}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType=SINGLE_TAG, topicSysFlag={}, order={}]",
        args.read_queue_nums,
        args.write_queue_nums,
        perm::to_string(args.perm),
        sys_flag::build(args.unit, args.has_unit_sub),
        args.order
    )?;
    Ok(())
}

/// The name of the broker group `addr` belongs to (`CommandUtil.fetchBrokerNameByAddr`).
async fn broker_name_of(admin: &Admin, addr: &str) -> AdminResult<String> {
    let info = admin.cluster_info().await?;
    info.broker_addr_table
        .values()
        .find(|bd| bd.broker_addrs.values().any(|a| a == addr))
        .map(|bd| bd.broker_name.clone())
        .ok_or_else(|| AdminError::new(format!("Make sure the specified broker addr exists or the name server connected to is correct. ({addr})")))
}

/// PUT_KV_CONFIG of the order conf on every NameServer (`createOrUpdateOrderConf`).
async fn put_order_conf(admin: &Admin, topic: &str, conf: &str) -> AdminResult {
    for addr in admin.namesrvs() {
        let header = PutKVConfigRequestHeader {
            namespace: ORDER_TOPIC_CONFIG.to_string(),
            key: topic.to_string(),
            value: conf.to_string(),
        };
        let request =
            RemotingCommand::request(request_code::PUT_KV_CONFIG, Some(header.to_ext_fields()));
        admin.call_ok(addr, request).await?;
    }
    Ok(())
}
