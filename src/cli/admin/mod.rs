//! `ferrocket admin <command>`: the `mqadmin` commands operators use most, with mqadmin's
//! option letters and the same columns in its tables. One file per command; [`Admin`] holds the
//! requests they share (NameServer queries, broker calls, error texts), `table` the printers.

mod broker_status;
mod cluster_list;
mod consumer_progress;
mod delete_topic;
mod query_msg_by_id;
mod query_msg_by_key;
mod reset_offset_by_time;
mod table;
mod topic_list;
mod topic_route;
mod topic_status;
mod update_topic;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use ferrocket::protocol::body::{
    decode_body, ClusterInfo, ConsumeStats, KvTable, TopicList, TopicRouteData, MASTER_ID,
};
use ferrocket::protocol::header::namesrv::GetRouteInfoRequestHeader;
use ferrocket::protocol::header::GetConsumeStatsRequestHeader;
use ferrocket::protocol::CommandHeader;
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, RemotingClient, RemotingCommand,
};

/// `mqadmin`'s default timeout for admin calls.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The NameServer used when neither `-n` nor `NAMESRV_ADDR` names one.
const DEFAULT_NAMESRV: &str = "127.0.0.1:9876";

/// `ferrocket admin`: global options and the command.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876' (default: $NAMESRV_ADDR,
    /// else 127.0.0.1:9876)
    #[arg(
        short = 'n',
        long = "namesrvAddr",
        visible_alias = "namesrv-addr",
        global = true,
        value_name = "ADDR"
    )]
    namesrv_addr: Option<String>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// List cluster infos
    #[command(name = "clusterList")]
    ClusterList(cluster_list::Args),
    /// Fetch all topic list from name server
    #[command(name = "topicList")]
    TopicList(topic_list::Args),
    /// Examine topic route info
    #[command(name = "topicRoute")]
    TopicRoute(topic_route::Args),
    /// Examine topic Status info
    #[command(name = "topicStatus")]
    TopicStatus(topic_status::Args),
    /// Update or create topic
    #[command(name = "updateTopic")]
    UpdateTopic(update_topic::Args),
    /// Delete topic from broker and NameServer.
    #[command(name = "deleteTopic")]
    DeleteTopic(delete_topic::Args),
    /// Query consumers's progress, speed
    #[command(name = "consumerProgress")]
    ConsumerProgress(consumer_progress::Args),
    /// Fetch broker runtime status data
    #[command(name = "brokerStatus")]
    BrokerStatus(broker_status::Args),
    /// Query Message by Key
    #[command(name = "queryMsgByKey")]
    QueryMsgByKey(query_msg_by_key::Args),
    /// Query Message by Id
    #[command(name = "queryMsgById")]
    QueryMsgById(query_msg_by_id::Args),
    /// Reset consumer offset by timestamp(without client restart).
    #[command(name = "resetOffsetByTime")]
    ResetOffsetByTime(reset_offset_by_time::Args),
}

impl AdminCommand {
    /// The Java class name mqadmin puts in its failure line.
    fn java_name(&self) -> &'static str {
        match self {
            AdminCommand::ClusterList(_) => "ClusterListSubCommand",
            AdminCommand::TopicList(_) => "TopicListSubCommand",
            AdminCommand::TopicRoute(_) => "TopicRouteSubCommand",
            AdminCommand::TopicStatus(_) => "TopicStatusSubCommand",
            AdminCommand::UpdateTopic(_) => "UpdateTopicSubCommand",
            AdminCommand::DeleteTopic(_) => "DeleteTopicSubCommand",
            AdminCommand::ConsumerProgress(_) => "ConsumerProgressSubCommand",
            AdminCommand::BrokerStatus(_) => "BrokerStatusSubCommand",
            AdminCommand::QueryMsgByKey(_) => "QueryMsgByKeySubCommand",
            AdminCommand::QueryMsgById(_) => "QueryMsgByIdSubCommand",
            AdminCommand::ResetOffsetByTime(_) => "ResetOffsetByTimeCommand",
        }
    }
}

pub fn run(args: AdminArgs) -> ExitCode {
    let namesrv = args
        .namesrv_addr
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESRV.to_string());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let name = args.command.java_name();
    let result = runtime.block_on(async {
        let admin = Admin::new(&namesrv);
        let out = &mut std::io::stdout().lock();
        let result = match args.command {
            AdminCommand::ClusterList(a) => cluster_list::run(&admin, a, out).await,
            AdminCommand::TopicList(a) => topic_list::run(&admin, a, out).await,
            AdminCommand::TopicRoute(a) => topic_route::run(&admin, a, out).await,
            AdminCommand::TopicStatus(a) => topic_status::run(&admin, a, out).await,
            AdminCommand::UpdateTopic(a) => update_topic::run(&admin, a, out).await,
            AdminCommand::DeleteTopic(a) => delete_topic::run(&admin, a, out).await,
            AdminCommand::ConsumerProgress(a) => consumer_progress::run(&admin, a, out).await,
            AdminCommand::BrokerStatus(a) => broker_status::run(&admin, a, out).await,
            AdminCommand::QueryMsgByKey(a) => query_msg_by_key::run(&admin, a, out).await,
            AdminCommand::QueryMsgById(a) => query_msg_by_id::run(&admin, a, out).await,
            AdminCommand::ResetOffsetByTime(a) => reset_offset_by_time::run(&admin, a, out).await,
        };
        admin.client.shutdown();
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name} command failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command failed, as one line for the operator.
#[derive(Debug)]
pub struct AdminError(String);

impl AdminError {
    pub fn new(msg: impl Into<String>) -> AdminError {
        AdminError(msg.into())
    }

    /// A refusal by a server: Java's `MQBrokerException`/`MQClientException` text.
    fn refused(addr: &str, response: &RemotingCommand) -> AdminError {
        AdminError(format!(
            "CODE: {}  DESC: {}  (from {addr})",
            response.code,
            response.remark.as_deref().unwrap_or("")
        ))
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for AdminError {
    fn from(e: std::io::Error) -> AdminError {
        AdminError(format!("cannot write the output: {e}"))
    }
}

pub type AdminResult<T = ()> = Result<T, AdminError>;

/// The connection to the cluster: the NameServers named by `-n` and any broker they route to.
pub struct Admin {
    client: RemotingClient,
    namesrvs: Vec<String>,
}

impl Admin {
    fn new(namesrv_list: &str) -> Admin {
        Admin {
            client: RemotingClient::new(ClientConfig::default()),
            namesrvs: namesrv_list
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        }
    }

    /// Sends `request` to `addr`; any answer is returned, a transport failure is an error.
    pub async fn call(&self, addr: &str, request: RemotingCommand) -> AdminResult<RemotingCommand> {
        self.call_within(addr, request, TIMEOUT).await
    }

    /// [`Admin::call`] with its own timeout (calls the broker relays to a client wait longer).
    pub async fn call_within(
        &self,
        addr: &str,
        request: RemotingCommand,
        timeout: Duration,
    ) -> AdminResult<RemotingCommand> {
        self.client
            .invoke(addr, request, timeout)
            .await
            .map_err(|e| AdminError(format!("{addr}: {e}")))
    }

    /// The local address of the connection to `addr` (the host a producer names in its ids).
    pub async fn local_ip(&self, addr: &str) -> AdminResult<std::net::IpAddr> {
        let connection = self
            .client
            .connection(addr)
            .await
            .map_err(|e| AdminError(format!("{addr}: {e}")))?;
        Ok(connection.local_addr().ip())
    }

    /// Sends `request` to `addr` and requires a SUCCESS answer.
    pub async fn call_ok(
        &self,
        addr: &str,
        request: RemotingCommand,
    ) -> AdminResult<RemotingCommand> {
        let response = self.call(addr, request).await?;
        if response.code == response_code::SUCCESS {
            Ok(response)
        } else {
            Err(AdminError::refused(addr, &response))
        }
    }

    /// Sends `request` to the NameServers in turn until one answers (mqadmin picks one too);
    /// the answer must be SUCCESS.
    pub async fn namesrv_ok(&self, request: RemotingCommand) -> AdminResult<RemotingCommand> {
        let mut last = AdminError::new("no NameServer address given");
        for addr in &self.namesrvs {
            match self.call(addr, request.clone()).await {
                Ok(response) if response.code == response_code::SUCCESS => return Ok(response),
                Ok(response) => return Err(AdminError::refused(addr, &response)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Every NameServer address given with `-n`.
    pub fn namesrvs(&self) -> &[String] {
        &self.namesrvs
    }

    pub async fn cluster_info(&self) -> AdminResult<ClusterInfo> {
        let request = RemotingCommand::request(request_code::GET_BROKER_CLUSTER_INFO, None);
        let response = self.namesrv_ok(request).await?;
        body_of(&response, "ClusterInfo")
    }

    pub async fn topic_list(&self) -> AdminResult<TopicList> {
        let request =
            RemotingCommand::request(request_code::GET_ALL_TOPIC_LIST_FROM_NAMESERVER, None);
        let response = self.namesrv_ok(request).await?;
        body_of(&response, "TopicList")
    }

    pub async fn route(&self, topic: &str) -> AdminResult<TopicRouteData> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.to_string(),
            accept_standard_json_only: None,
        };
        let request = RemotingCommand::request(
            request_code::GET_ROUTEINFO_BY_TOPIC,
            Some(header.to_ext_fields()),
        );
        let response = self.namesrv_ok(request).await?;
        body_of(&response, "TopicRouteData")
    }

    /// The address each broker group of the topic's route answers on (master, else a slave),
    /// with the group's name: Java `BrokerData.selectBrokerAddr` over the route.
    pub async fn route_brokers(&self, topic: &str) -> AdminResult<Vec<(String, String)>> {
        let route = self.route(topic).await?;
        Ok(route
            .broker_datas
            .iter()
            .filter_map(|bd| {
                bd.select_broker_addr()
                    .map(|addr| (bd.broker_name.clone(), addr.to_string()))
            })
            .collect())
    }

    /// GET_TOPIC_STATS_INFO at one broker: the min/max offsets of the topic's queues there.
    pub async fn topic_stats(
        &self,
        addr: &str,
        topic: &str,
    ) -> AdminResult<ferrocket::protocol::body::TopicStatsTable> {
        let header = ferrocket::protocol::header::GetTopicStatsInfoRequestHeader {
            topic: topic.to_string(),
        };
        let request = RemotingCommand::request(
            request_code::GET_TOPIC_STATS_INFO,
            Some(header.to_ext_fields()),
        );
        let response = self.call_ok(addr, request).await?;
        body_of(&response, "TopicStatsTable")
    }

    /// The masters of `cluster` (Java `CommandUtil.fetchMasterAddrByClusterName`).
    pub async fn master_addrs_of_cluster(&self, cluster: &str) -> AdminResult<Vec<String>> {
        let info = self.cluster_info().await?;
        let Some(names) = info.cluster_addr_table.get(cluster) else {
            return Err(AdminError(format!(
                "Make sure the specified clusterName exists or the name server connected to is correct. (no cluster [{cluster}])"
            )));
        };
        let masters: Vec<String> = names
            .iter()
            .filter_map(|name| info.broker_addr_table.get(name))
            .filter_map(|bd| bd.broker_addrs.get(&MASTER_ID).cloned())
            .collect();
        if masters.is_empty() {
            return Err(AdminError(format!(
                "no master broker in cluster [{cluster}]"
            )));
        }
        Ok(masters)
    }

    pub async fn runtime_info(&self, addr: &str) -> AdminResult<KvTable> {
        let request = RemotingCommand::request(request_code::GET_BROKER_RUNTIME_INFO, None);
        let response = self.call_ok(addr, request).await?;
        body_of(&response, "KVTable")
    }

    /// GET_CONSUME_STATS of `group` on one broker.
    pub async fn consume_stats(
        &self,
        addr: &str,
        group: &str,
        topic: Option<&str>,
    ) -> AdminResult<ConsumeStats> {
        let header = GetConsumeStatsRequestHeader {
            consumer_group: group.to_string(),
            topic: topic.map(String::from),
        };
        let request = RemotingCommand::request(
            request_code::GET_CONSUME_STATS,
            Some(header.to_ext_fields()),
        );
        let response = self.call_ok(addr, request).await?;
        body_of(&response, "ConsumeStats")
    }

    /// Java `examineConsumeStats(group)`: the stats of every broker of the group's retry
    /// topic, merged; an error when no broker knows an offset of the group.
    pub async fn examine_consume_stats(&self, group: &str) -> AdminResult<ConsumeStats> {
        let retry = ferrocket::protocol::topic::retry_topic(group);
        let mut merged = ConsumeStats::default();
        for (_, addr) in self.route_brokers(&retry).await? {
            let stats = self.consume_stats(&addr, group, None).await?;
            merged.offset_table.extend(stats.offset_table);
            merged.consume_tps += stats.consume_tps;
        }
        if merged.offset_table.is_empty() {
            return Err(AdminError::new(
                "Not found the consumer group consume stats, because return offset table is empty, maybe the consumer not consume any message",
            ));
        }
        Ok(merged)
    }
}

/// The JSON body of a SUCCESS answer, read as `T` (`what` names it in the error).
pub fn body_of<T: ferrocket::fastjson::FromJson>(
    response: &RemotingCommand,
    what: &str,
) -> AdminResult<T> {
    let bytes = response.body.as_deref().unwrap_or_default();
    decode_body(bytes).map_err(|e| AdminError(format!("cannot read the {what} body: {e}")))
}
