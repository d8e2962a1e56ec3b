//! Frame codec throughput: frames encoded + decoded per second for typical commands.
//! Run with `cargo bench --bench codec`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrocket::remoting::{
    request_code, response_code, ClientConfig, Connection, ExtFields, RemotingClient,
    RemotingCodec, RemotingCommand, RemotingServer, RequestProcessor, SerializeType, ServerConfig,
};
use tokio_util::codec::{Decoder, Encoder};

/// A SEND_MESSAGE_V2 request as a Java producer sends it: 14 single-letter fields, 128 B body.
fn send_message_v2(serialize_type: SerializeType) -> RemotingCommand {
    let fields = [
        ("a", "golden_produce_json"),
        ("b", "GoldenJson"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "2"),
        ("f", "0"),
        ("g", "1795422897956"),
        ("h", "0"),
        ("i", "a\u{1}7\u{2}KEYS\u{1}key-sync-1 key-sync-2\u{2}UNIQ_KEY\u{1}FD0000000000000000000000000000024C2630946E0973235F230000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"),
        ("j", "0"),
        ("k", "false"),
        ("l", "16"),
        ("m", "false"),
        ("n", "broker-a"),
    ];
    let ext: ExtFields = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut cmd = RemotingCommand::request(request_code::SEND_MESSAGE_V2, Some(ext))
        .with_body(Bytes::from(vec![b'x'; 128]));
    cmd.opaque = 1234;
    cmd.serialize_type = serialize_type;
    cmd
}

/// A PULL_MESSAGE response: FOUND, four offset fields, 32 messages of ~250 bytes.
fn pull_response(serialize_type: SerializeType) -> RemotingCommand {
    let mut ext = ExtFields::new();
    ext.insert("suggestWhichBrokerId", "0");
    ext.insert("nextBeginOffset", "32");
    ext.insert("maxOffset", "5000");
    ext.insert("minOffset", "0");
    let mut cmd = RemotingCommand {
        code: response_code::SUCCESS,
        flag: 1,
        opaque: 77,
        version: 407,
        remark: Some("FOUND".into()),
        ext_fields: Some(ext),
        serialize_type,
        ..Default::default()
    };
    cmd.body = Some(Bytes::from(vec![7u8; 32 * 250]));
    cmd
}

fn measure(name: &str, cmd: &RemotingCommand) {
    // `cargo bench --bench codec -- <text>` runs only the cases whose name contains <text>.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !name.contains(f.as_str())) {
        return;
    }
    let mut codec = RemotingCodec::default();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut frame_len = 0;
    let mut round = |n: u64| {
        for _ in 0..n {
            codec.encode(black_box(cmd), &mut buf).expect("encodes");
            frame_len = buf.len();
            let back = codec
                .decode(&mut buf)
                .expect("decodes")
                .expect("whole frame");
            black_box(back);
        }
    };
    round(10_000); // warm-up
    let mut iterations = 0u64;
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    while started.elapsed() < Duration::from_secs(2) {
        round(10_000);
        iterations += 10_000;
    }
    let wall = started.elapsed().as_secs_f64();
    let per_wall = iterations as f64 / wall;
    // On a shared machine the wall clock counts time other processes ran; the thread's own
    // CPU time does not, so frames per CPU-second is the figure to compare.
    let per_cpu = match (cpu_started, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => format!("{:>9.0}", iterations as f64 / (b - a)),
        _ => "        ?".to_string(),
    };
    println!(
        "{name:<34} frame {frame_len:>5} B  {per_cpu} frames/CPU-s ({:>9.0}/wall-s, {:>6.0} MB/wall-s)",
        per_wall,
        per_wall * frame_len as f64 / 1e6
    );
}

/// This thread's user + system CPU time, from `/proc/thread-self/stat` (Linux; 10 ms ticks).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Answers every request with SUCCESS and the request's body.
struct Echo;

impl RequestProcessor for Echo {
    async fn process(
        &self,
        _conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let mut response = RemotingCommand::response_to(&request, response_code::SUCCESS, None);
        response.body = request.body;
        Some(response)
    }
}

/// Invokes per second over one loopback connection with `concurrency` callers.
fn loopback(name: &str, cmd: &RemotingCommand, concurrency: usize) {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.is_some_and(|f| !name.contains(f.as_str())) {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (count, secs) = runtime.block_on(async {
        let server = RemotingServer::bind(
            "127.0.0.1:0".parse().expect("addr"),
            Arc::new(Echo),
            ServerConfig::default(),
        )
        .await
        .expect("bind");
        let addr = server.local_addr().expect("addr").to_string();
        let stop = server.shutdown_token();
        tokio::spawn(server.serve());
        let client = RemotingClient::new(ClientConfig::default());
        client
            .invoke(&addr, cmd.clone(), Duration::from_secs(5))
            .await
            .expect("warm-up");
        let started = Instant::now();
        let deadline = started + Duration::from_secs(3);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let client = client.clone();
            let addr = addr.clone();
            let cmd = cmd.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    client
                        .invoke(&addr, cmd.clone(), Duration::from_secs(5))
                        .await
                        .expect("invoke");
                    n += 1;
                }
                n
            }));
        }
        let mut count = 0;
        for task in tasks {
            count += task.await.expect("task");
        }
        let secs = started.elapsed().as_secs_f64();
        stop.cancel();
        (count, secs)
    });
    println!(
        "{name:<34} {:>9.0} invokes/s ({concurrency} concurrent callers, client and server in one process)",
        count as f64 / secs
    );
}

fn main() {
    println!("remoting frame codec, encode + decode round trips (one thread)");
    measure(
        "SEND_MESSAGE_V2 request, JSON",
        &send_message_v2(SerializeType::Json),
    );
    measure(
        "SEND_MESSAGE_V2 request, ROCKETMQ",
        &send_message_v2(SerializeType::RocketMq),
    );
    measure(
        "PULL_MESSAGE response, JSON",
        &pull_response(SerializeType::Json),
    );
    measure(
        "PULL_MESSAGE response, ROCKETMQ",
        &pull_response(SerializeType::RocketMq),
    );
    println!("server + client over loopback, 2 worker threads");
    loopback(
        "loopback SEND_MESSAGE_V2, JSON",
        &send_message_v2(SerializeType::Json),
        64,
    );
    loopback(
        "loopback SEND_MESSAGE_V2, ROCKETMQ",
        &send_message_v2(SerializeType::RocketMq),
        64,
    );
}
