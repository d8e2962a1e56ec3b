//! Golden replay: the requests Java clients, brokers and mqadmin sent to the Java 4.9.7
//! NameServer (golden corpus, `frames/*.jsonl`, connections whose server is `namesrv`) are sent
//! byte-for-byte to a ferrocket NameServer, phase by phase and in capture order, and every
//! answer is compared with Java's: code, flag, version, language, remark, extFields (as a map),
//! serialize type, and the body — byte-equal where Java's output order is deterministic,
//! equal as parsed values where Java iterates a HashSet/Hashtable.

mod namesrv_support;
mod support;

use support::TempDir;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferrocket::config::properties;
use ferrocket::fastjson;
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};
use ferrocket::protocol::body::{RegisterBrokerBody, TopicList};
use ferrocket::remoting::{RemotingCodec, RemotingCommand};
use futures_util::StreamExt;
use namesrv_support::{conns, load, response_to, ConnInfo, Frame};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

const REGISTER_BROKER: i32 = 103;
const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
const GET_NAMESRV_CONFIG: i32 = 319;

/// The scenarios of each phase; each phase had a fresh Java NameServer.
const PHASES: &[&[&str]] = &[
    &["ns-broker-register", "ns-broker-register-compressed"],
    &["ha-master-slave"],
    &[
        "produce-json",
        "produce-rocketmq-binary",
        "consume-push",
        "consume-pull",
        "consume-orderly",
        "consume-broadcast",
        "sql-filter",
        "transaction",
        "admin",
    ],
];

async fn start_namesrv(dir: &Path) -> NamesrvServer {
    let mut settings = NamesrvSettings::default();
    settings.namesrv.kv_config_path = dir.join("kvConfig.json").to_string_lossy().into_owned();
    settings.namesrv.config_store_path = dir
        .join("namesrv.properties")
        .to_string_lossy()
        .into_owned();
    let ns = Arc::new(Namesrv::new(settings));
    NamesrvServer::start(ns, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("start namesrv")
}

/// A replayed client connection: raw frames out, decoded commands in.
struct Peer {
    write: OwnedWriteHalf,
    read: FramedRead<OwnedReadHalf, RemotingCodec>,
}

impl Peer {
    async fn connect(addr: SocketAddr) -> Peer {
        let (read, write) = TcpStream::connect(addr)
            .await
            .expect("connect")
            .into_split();
        Peer {
            write,
            read: FramedRead::new(read, RemotingCodec::default()),
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.expect("write frame");
    }

    async fn response(&mut self, opaque: i32) -> RemotingCommand {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), self.read.next())
                .await
                .expect("no response within 10 s")
                .expect("connection closed")
                .expect("bad frame");
            if next.is_response() && next.opaque == opaque {
                return next;
            }
        }
    }
}

/// Properties text as a map, minus the values that depend on the machine (paths, home).
fn config_map(text: &str) -> BTreeMap<String, String> {
    properties::parse(text)
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "kvConfigPath" | "configStorePath" | "rocketmqHome"
            )
        })
        .collect()
}

fn ext_map(ext: Option<Vec<(String, String)>>) -> Option<BTreeMap<String, String>> {
    ext.map(|e| e.into_iter().collect())
}

fn compare(req: &Frame, java: &Frame, ours: &RemotingCommand) {
    let at = format!(
        "{} conn {} seq {} (code {})",
        req.scenario, req.conn, req.seq, req.code
    );
    assert_eq!(
        ours.code, java.code,
        "{at}: response code; remark {:?}",
        ours.remark
    );
    assert!(ours.is_response(), "{at}: response flag");
    assert_eq!(ours.opaque, java.opaque, "{at}: opaque");
    assert_eq!(ours.version, java.version, "{at}: version");
    assert_eq!(ours.language.name(), "JAVA", "{at}: language");
    assert_eq!(
        ours.serialize_type.name(),
        java.serialize,
        "{at}: serialize type"
    );
    assert_eq!(ours.remark, java.remark, "{at}: remark");
    let our_ext = ext_map(ours.ext_fields.as_ref().map(|e| {
        e.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }));
    let mut java_ext = ext_map(java.ext_fields.clone());
    let mut our_ext = our_ext;
    if java.serialize == "ROCKETMQ" {
        // The binary header has no "absent" extFields: an empty map and none are the same bytes.
        java_ext.get_or_insert_with(BTreeMap::new);
        our_ext.get_or_insert_with(BTreeMap::new);
    }
    assert_eq!(our_ext, java_ext, "{at}: extFields");

    let ours_body = ours.body.as_deref().filter(|b| !b.is_empty());
    match (java.body.as_deref(), ours_body) {
        (None, None) => {}
        (Some(j), Some(o)) => {
            let (j, o) = (String::from_utf8_lossy(j), String::from_utf8_lossy(o));
            match req.code {
                // Java's HashSet order: same members.
                GET_ALL_TOPIC_LIST_FROM_NAMESERVER => {
                    let set = |t: &str| {
                        let mut l = fastjson::decode::<TopicList>(t)
                            .expect("topic list")
                            .topic_list;
                        l.sort();
                        l
                    };
                    assert_eq!(set(&o), set(&j), "{at}: topic list");
                }
                // Java's Hashtable order, and machine-dependent paths.
                GET_NAMESRV_CONFIG => assert_eq!(config_map(&o), config_map(&j), "{at}: config"),
                _ => assert_eq!(o, j, "{at}: body bytes"),
            }
        }
        (j, o) => panic!(
            "{at}: body presence differs: java {:?}, ours {:?}",
            j.map(<[u8]>::len),
            o.map(<[u8]>::len)
        ),
    }
}

/// Waits until the NameServer has applied a oneway REGISTER_BROKER (its data version is live).
async fn wait_registered(ns: &Namesrv, req: &Frame) {
    let ext: HashMap<_, _> = req
        .ext_fields
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let compressed = ext.get("compressed").map(String::as_str) == Some("true");
    let body = RegisterBrokerBody::decode(req.body.as_deref().unwrap_or_default(), compressed)
        .expect("body");
    let addr = ext.get("brokerAddr").cloned().unwrap_or_default();
    let want = body.topic_config_serialize_wrapper.data_version;
    for _ in 0..1000 {
        if ns.route.broker_live_info(&addr).map(|l| l.data_version) == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("oneway registration of {addr} never applied");
}

struct Replay {
    requests: usize,
    compared: usize,
}

async fn replay_phase(golden: &Path, scenarios: &[&str]) -> Replay {
    let dir = TempDir::new("ns-golden");
    let server = start_namesrv(dir.path()).await;
    let addr = server.local_addr();
    let ns = server.namesrv().clone();
    let mut peers: HashMap<String, Peer> = HashMap::new();
    let mut stats = Replay {
        requests: 0,
        compared: 0,
    };

    let mut scenario_data: Vec<(f64, String, Vec<Frame>, Vec<ConnInfo>)> = scenarios
        .iter()
        .map(|s| {
            let (start, c) = conns(golden, s);
            let frames: Vec<Frame> = load(golden, s)
                .into_iter()
                .filter(|f| f.server == "namesrv")
                .collect();
            (start, s.to_string(), frames, c)
        })
        .collect();
    scenario_data.sort_by(|a, b| a.0.total_cmp(&b.0));

    // Brokers connected before the first capture started: their first registration seeds the
    // table, as it had been applied before the capture (e.g. the HA master, which the slave's
    // first registration already finds).
    if let Some((_, _, frames, conn_list)) = scenario_data.first() {
        for c in conn_list
            .iter()
            .filter(|c| !c.syn_seen && c.server == "namesrv")
        {
            if let Some(first) = frames
                .iter()
                .find(|f| f.conn == c.conn && !f.is_response && f.code == REGISTER_BROKER)
            {
                let peer = match peers.get_mut(&c.client_addr) {
                    Some(p) => p,
                    None => peers
                        .entry(c.client_addr.clone())
                        .or_insert(Peer::connect(addr).await),
                };
                peer.send_raw(&first.bytes).await;
                if first.oneway {
                    wait_registered(&ns, first).await;
                } else {
                    peer.response(first.opaque).await;
                }
            }
        }
    }

    for (i, (_, scenario, frames, conn_list)) in scenario_data.iter().enumerate() {
        let client_addr = |conn: i64| {
            conn_list
                .iter()
                .find(|c| c.conn == conn)
                .map(|c| c.client_addr.clone())
                .unwrap_or_else(|| format!("{scenario}#{conn}"))
        };
        let mut requests: Vec<&Frame> = frames.iter().filter(|f| !f.is_response).collect();
        requests.sort_by(|a, b| a.ts.total_cmp(&b.ts));
        for req in requests {
            let key = client_addr(req.conn);
            if !peers.contains_key(&key) {
                peers.insert(key.clone(), Peer::connect(addr).await);
            }
            let peer = peers.get_mut(&key).expect("peer");
            peer.send_raw(&req.bytes).await;
            stats.requests += 1;
            if req.oneway {
                if req.code == REGISTER_BROKER {
                    wait_registered(&ns, req).await;
                }
                continue;
            }
            let ours = peer.response(req.opaque).await;
            let java = response_to(frames, req).unwrap_or_else(|| {
                panic!(
                    "{scenario}: no recorded response to conn {} seq {}",
                    req.conn, req.seq
                )
            });
            compare(req, java, &ours);
            stats.compared += 1;
        }
        // Connections that do not continue into a later scenario of the phase close now, as
        // they did (a broker closing its connection is unregistered by the NameServer).
        let later: Vec<String> = scenario_data[i + 1..]
            .iter()
            .flat_map(|(_, _, _, c)| c.iter().map(|c| c.client_addr.clone()))
            .collect();
        for c in conn_list {
            if !later.contains(&c.client_addr) {
                peers.remove(&c.client_addr);
            }
        }
    }
    drop(peers);
    server.shutdown().await;
    stats
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_every_namesrv_conversation_of_the_corpus() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("namesrv golden replay") else {
        return;
    };
    let mut total = Replay {
        requests: 0,
        compared: 0,
    };
    for phase in PHASES {
        let r = replay_phase(&golden, phase).await;
        println!(
            "phase {phase:?}: {} requests replayed, {} responses compared",
            r.requests, r.compared
        );
        let recorded = phase
            .iter()
            .flat_map(|s| load(&golden, s))
            .filter(|f| f.server == "namesrv" && f.is_response)
            .count();
        assert_eq!(
            r.compared, recorded,
            "{phase:?}: every recorded answer compared"
        );
        total.requests += r.requests;
        total.compared += r.compared;
    }
    println!(
        "total: {} requests, {} responses compared",
        total.requests, total.compared
    );
    assert!(total.compared > 100, "{} responses", total.compared);
}
