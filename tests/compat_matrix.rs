//! Keeps `compat/README.md` true. The table's rows are checked against the code constants, the
//! golden corpus' `codes.json`, the Java 4.9.7 source (every registered code has its row), the
//! files it names, and live servers: a test broker answers every code marked `served` with
//! something other than REQUEST_CODE_NOT_SUPPORTED and every code marked `not served` with
//! exactly that; a test NameServer answers every code marked `served`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::TempDir;

use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};
use ferrocket::remoting::{
    request_code_name, response_code, ClientConfig, RemotingClient, RemotingCommand,
};

const NAMESRV: &str = "namesrv";
const BROKER: &str = "broker";
const BROKER_TO_CLIENT: &str = "broker→client";

/// One row of the matrix.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    code: i32,
    name: String,
    server: String,
    status: String,
    handler: Option<String>,
    tests: Vec<String>,
}

impl Row {
    fn served(&self) -> bool {
        matches!(
            self.status.as_str(),
            "served" | "served (no answer)" | "sent"
        )
    }

    /// Handled as Java handles it, where Java sends no response at all.
    fn unanswered(&self) -> bool {
        self.status == "served (no answer)"
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The text between backticks in `cell`.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("compat/README.md")).expect("compat/README.md");
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| code | name | server | status | handler | tests |" splits into 8 cells.
        if cells.len() != 8 || !cells[0].is_empty() || !cells[7].is_empty() {
            continue;
        }
        let Ok(code) = cells[1].parse::<i32>() else {
            continue;
        };
        let handler = backticked(cells[5]);
        assert!(
            handler.len() <= 1,
            "line {}: one handler file at most",
            i + 1
        );
        rows.push(Row {
            line: i + 1,
            code,
            name: cells[2].to_string(),
            server: cells[3].to_string(),
            status: cells[4].to_string(),
            handler: handler.into_iter().next(),
            tests: backticked(cells[6]),
        });
    }
    assert!(
        rows.len() > 80,
        "the table has a row per code: {} rows",
        rows.len()
    );
    rows
}

#[test]
fn rows_name_real_codes_and_files() {
    let rows = rows();
    let mut seen = BTreeSet::new();
    for row in &rows {
        let at = format!("compat/README.md:{} ({})", row.line, row.name);
        assert_eq!(
            request_code_name(row.code),
            Some(row.name.as_str()),
            "{at}: code {} is not named {}",
            row.code,
            row.name
        );
        assert!(
            seen.insert((row.code, row.server.clone())),
            "{at}: duplicate row"
        );
        let statuses: &[&str] = match row.server.as_str() {
            NAMESRV | BROKER => &["served", "served (no answer)", "not served"],
            BROKER_TO_CLIENT => &["sent", "not sent"],
            other => panic!("{at}: unknown server {other}"),
        };
        assert!(
            statuses.contains(&row.status.as_str()),
            "{at}: status {} is not one of {statuses:?}",
            row.status
        );
        assert_eq!(
            row.handler.is_some(),
            row.served(),
            "{at}: a served/sent code names its handler file, another none"
        );
        for file in row.handler.iter().chain(row.tests.iter()) {
            assert!(root().join(file).is_file(), "{at}: {file} does not exist");
        }
        if row.served() && row.server != BROKER_TO_CLIENT {
            assert!(!row.tests.is_empty(), "{at}: a served code names its tests");
        }
    }
}

#[test]
fn rows_match_the_golden_code_table() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("rows_match_the_golden_code_table")
    else {
        return;
    };
    let text = std::fs::read_to_string(golden.join("codes.json")).expect("codes.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("codes.json is JSON");
    let codes = json["request_codes"].as_object().expect("request_codes");
    for row in rows() {
        let names = codes
            .get(&row.code.to_string())
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("code {} not in codes.json", row.code));
        assert!(
            names.iter().any(|n| n.as_str() == Some(row.name.as_str())),
            "code {} is {names:?} in codes.json, {} in the matrix",
            row.code,
            row.name
        );
    }
}

/// The Java 4.9.7 source tree: `$FERROCKET_JAVA_REF`, or `ref/rocketmq-4.9.7` beside the
/// checkout or its parent.
fn java_ref() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FERROCKET_JAVA_REF").map(PathBuf::from),
        Some(root().join("../ref/rocketmq-4.9.7")),
        Some(root().join("../../ref/rocketmq-4.9.7")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("broker").is_dir() && p.join("namesrv").is_dir())
}

/// Every `RequestCode.X` after `marker` in the file (`case ` for switch labels,
/// `registerProcessor(` for registrations).
fn java_codes(file: &Path, marker: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let needle = format!("{marker}RequestCode.");
    text.match_indices(&needle)
        .map(|(at, _)| {
            text[at + needle.len()..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn every_code_java_registers_has_its_row() {
    let Some(java) = java_ref() else {
        ferrocket::testkit::skip("every_code_java_registers_has_its_row: Java 4.9.7 source not found (set FERROCKET_JAVA_REF)");
        return;
    };
    let broker_src = java.join("broker/src/main/java/org/apache/rocketmq/broker");
    let mut broker = java_codes(
        &broker_src.join("BrokerController.java"),
        "registerProcessor(",
    );
    broker.extend(java_codes(
        &broker_src.join("processor/AdminBrokerProcessor.java"),
        "case ",
    ));
    let namesrv = java_codes(
        &java.join(
            "namesrv/src/main/java/org/apache/rocketmq/namesrv/processor/DefaultRequestProcessor.java",
        ),
        "case ",
    );
    let mut table: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let rows = rows();
    for row in &rows {
        table
            .entry(row.server.as_str())
            .or_default()
            .insert(row.name.clone());
    }
    assert_eq!(table.get(BROKER), Some(&broker), "broker rows vs Java");
    assert_eq!(
        table.get(NAMESRV),
        Some(&namesrv),
        "NameServer rows vs Java"
    );
    let to_client: BTreeSet<String> = [
        "NOTIFY_CONSUMER_IDS_CHANGED",
        "CHECK_TRANSACTION_STATE",
        "RESET_CONSUMER_CLIENT_OFFSET",
        "GET_CONSUMER_STATUS_FROM_CLIENT",
        "GET_CONSUMER_RUNNING_INFO",
        "CONSUME_MESSAGE_DIRECTLY",
        "PUSH_REPLY_MESSAGE_TO_CLIENT",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(table.get(BROKER_TO_CLIENT), Some(&to_client));
}

/// Sends a request of `code` with no header and no body; `None` when no answer came within
/// `wait`.
async fn ask(
    client: &RemotingClient,
    addr: &str,
    code: i32,
    wait: Duration,
) -> Option<RemotingCommand> {
    let request = RemotingCommand::request(code, None);
    client.invoke(addr, request, wait).await.ok()
}

/// Long enough for any answer on loopback; what a row expecting no answer waits.
const ANSWER_WAIT: Duration = Duration::from_secs(3);
const SILENCE_WAIT: Duration = Duration::from_secs(1);

#[tokio::test]
async fn broker_serves_exactly_the_codes_marked_served() {
    let dir = TempDir::new("compat");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut wrong = Vec::new();
    for row in rows().into_iter().filter(|r| r.server == BROKER) {
        if row.unanswered() {
            if let Some(r) = ask(&client, &addr, row.code, SILENCE_WAIT).await {
                wrong.push(format!(
                    "{} {}: marked served (no answer), answered code {} ({:?})",
                    row.code, row.name, r.code, r.remark
                ));
            }
            continue;
        }
        let answer = ask(&client, &addr, row.code, ANSWER_WAIT).await;
        let not_supported =
            answer.as_ref().map(|r| r.code) == Some(response_code::REQUEST_CODE_NOT_SUPPORTED);
        match (row.served(), answer) {
            (_, None) => wrong.push(format!("{} {}: no answer", row.code, row.name)),
            (true, Some(_)) if not_supported => wrong.push(format!(
                "{} {}: marked served, answered REQUEST_CODE_NOT_SUPPORTED",
                row.code, row.name
            )),
            (false, Some(r)) if !not_supported => wrong.push(format!(
                "{} {}: marked not served, answered code {} ({:?})",
                row.code, row.name, r.code, r.remark
            )),
            _ => {}
        }
    }
    client.shutdown();
    running.shutdown().await;
    assert!(wrong.is_empty(), "matrix vs broker:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn namesrv_answers_the_codes_marked_served() {
    let dir = TempDir::new("compat-ns");
    let mut settings = NamesrvSettings::default();
    settings.namesrv.kv_config_path = dir
        .path()
        .join("kvConfig.json")
        .to_string_lossy()
        .into_owned();
    settings.namesrv.config_store_path = dir
        .path()
        .join("namesrv.properties")
        .to_string_lossy()
        .into_owned();
    let server = NamesrvServer::start(
        Arc::new(Namesrv::new(settings)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("namesrv starts");
    let addr = server.local_addr().to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let mut wrong = Vec::new();
    for row in rows().into_iter().filter(|r| r.server == NAMESRV) {
        match ask(&client, &addr, row.code, ANSWER_WAIT).await {
            None => wrong.push(format!("{} {}: no answer", row.code, row.name)),
            Some(r) if row.served() && r.code == response_code::REQUEST_CODE_NOT_SUPPORTED => wrong
                .push(format!(
                    "{} {}: REQUEST_CODE_NOT_SUPPORTED",
                    row.code, row.name
                )),
            _ => {}
        }
    }
    client.shutdown();
    server.shutdown().await;
    assert!(
        wrong.is_empty(),
        "matrix vs NameServer:\n{}",
        wrong.join("\n")
    );
}

/// CHECK_CLIENT_CONFIG, which no other test sends: a TAG subscription passes; an SQL92 one is
/// refused with Java's remark while `enablePropertyFilter` is off (the default).
#[tokio::test]
async fn check_client_config_answers_as_java() {
    let dir = TempDir::new("compat-ccc");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let client = RemotingClient::new(ClientConfig::default());
    let body = |kind: &str, expr: &str| {
        format!(
            r#"{{"clientId":"127.0.0.1@1","group":"g","subscriptionData":{{"classFilterMode":false,"codeSet":[],"expressionType":"{kind}","subString":"{expr}","subVersion":1,"tagsSet":[],"topic":"T"}}}}"#
        )
    };
    let check = |body: String| {
        let request =
            RemotingCommand::request(ferrocket::remoting::request_code::CHECK_CLIENT_CONFIG, None)
                .with_body(body.into_bytes());
        let client = client.clone();
        let addr = addr.clone();
        async move {
            client
                .invoke(&addr, request, Duration::from_secs(3))
                .await
                .expect("answer")
        }
    };
    let tag = check(body("TAG", "*")).await;
    assert_eq!(tag.code, response_code::SUCCESS);
    let sql = check(body("SQL92", "a > 1")).await;
    assert_eq!(sql.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        sql.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    client.shutdown();
    running.shutdown().await;
}

/// Records the requests a broker sends to a client.
#[derive(Default)]
struct Inbox(std::sync::Mutex<Vec<(i32, Option<String>)>>);

impl ferrocket::remoting::RequestProcessor for Inbox {
    async fn process(
        &self,
        _conn: &ferrocket::remoting::Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let group = request
            .ext_fields
            .as_ref()
            .and_then(|e| e.get("consumerGroup"))
            .map(String::from);
        self.0.lock().unwrap().push((request.code, group));
        None
    }
}

/// NOTIFY_CONSUMER_IDS_CHANGED (broker → client): a consumer already in a group hears of a
/// second one joining, with the group in the header.
#[tokio::test]
async fn broker_notifies_consumer_ids_changed() {
    let dir = TempDir::new("compat-notify");
    let running = ferrocket::testkit::start_test_broker(dir.path(), |_| {}).await;
    let addr = running.local_addrs[0].to_string();
    let heartbeat = |client: &str| {
        let body = format!(
            r#"{{"clientID":"{client}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"NG","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}}],"unitMode":false}}],"producerDataSet":[]}}"#
        );
        RemotingCommand::request(ferrocket::remoting::request_code::HEART_BEAT, None)
            .with_body(body.into_bytes())
    };
    let inbox = Arc::new(Inbox::default());
    let first = RemotingClient::with_processor(ClientConfig::default(), inbox.clone());
    let second = RemotingClient::new(ClientConfig::default());
    let t = Duration::from_secs(3);
    let resp = first
        .invoke(&addr, heartbeat("127.0.0.1@first"), t)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let resp = second
        .invoke(&addr, heartbeat("127.0.0.1@second"), t)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    let expected = (
        ferrocket::remoting::request_code::NOTIFY_CONSUMER_IDS_CHANGED,
        Some("NG".to_string()),
    );
    let start = std::time::Instant::now();
    while !inbox.0.lock().unwrap().contains(&expected) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no NOTIFY_CONSUMER_IDS_CHANGED: {:?}",
            inbox.0.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.shutdown();
    second.shutdown();
    running.shutdown().await;
}
