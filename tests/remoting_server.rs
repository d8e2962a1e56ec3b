//! Server and client over loopback: correlation, oneway, timeouts, unsupported codes, bad
//! frames, backpressure, server-initiated requests, reconnects and shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use ferrocket::remoting::{
    response_code, ClientConfig, Connection, ConnectionConfig, ExtFields, RemotingClient,
    RemotingCodec, RemotingCommand, RemotingError, RemotingServer, RequestProcessor, SerializeType,
    ServerConfig,
};

const ECHO: i32 = 1000;
const SLEEP: i32 = 1001;
const RECORD: i32 = 1002;
const CALL_BACK: i32 = 1003;
const CLOSE_ME: i32 = 1004;
const GATED: i32 = 1005;
const BIG: i32 = 1006;
const CLIENT_SIDE: i32 = 2000;

const LONG: Duration = Duration::from_secs(10);

struct TestProcessor {
    recorded: Mutex<Vec<RemotingCommand>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    gate: Arc<tokio::sync::Semaphore>,
    closed: AtomicUsize,
}

impl TestProcessor {
    fn new() -> Arc<Self> {
        Arc::new(TestProcessor {
            recorded: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
            closed: AtomicUsize::new(0),
        })
    }
}

fn success(request: &RemotingCommand, remark: &str) -> RemotingCommand {
    let mut response =
        RemotingCommand::response_to(request, response_code::SUCCESS, Some(remark.to_string()));
    response.ext_fields = request.ext_fields.clone();
    response.body = request.body.clone();
    response
}

impl RequestProcessor for TestProcessor {
    async fn process(
        &self,
        conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        match request.code {
            ECHO => Some(success(&request, "echo")),
            SLEEP => {
                let ms: u64 = request.ext("ms").and_then(|v| v.parse().ok()).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Some(success(&request, "slept"))
            }
            RECORD => {
                self.recorded.lock().unwrap().push(request.clone());
                // Returned on purpose: the server must not send it for a oneway request.
                Some(success(&request, "recorded"))
            }
            CALL_BACK => {
                let ask =
                    RemotingCommand::request(CLIENT_SIDE, None).with_body(&b"from server"[..]);
                match conn.invoke(ask, LONG).await {
                    Ok(answer) => Some(success(&request, answer.remark.as_deref().unwrap_or(""))),
                    Err(e) => Some(RemotingCommand::system_error(&request, e.to_string())),
                }
            }
            CLOSE_ME => {
                conn.close();
                None
            }
            GATED => {
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_in_flight.fetch_max(now, Ordering::SeqCst);
                if let Ok(permit) = self.gate.acquire().await {
                    permit.forget();
                }
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                Some(success(&request, "gated"))
            }
            BIG => {
                let size: usize = request
                    .ext("size")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                Some(success(&request, "big").with_body(vec![1u8; size]))
            }
            _ => Some(RemotingCommand::request_code_not_supported(&request)),
        }
    }

    fn on_connection_closed(&self, _conn: &Connection) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

struct Running {
    addr: SocketAddr,
    shutdown: CancellationToken,
    served: tokio::task::JoinHandle<()>,
    processor: Arc<TestProcessor>,
}

async fn start_server(connection: ConnectionConfig) -> Running {
    let processor = TestProcessor::new();
    let server = RemotingServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        processor.clone(),
        ServerConfig { connection },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_token();
    let served = tokio::spawn(server.serve());
    Running {
        addr,
        shutdown,
        served,
        processor,
    }
}

fn request(code: i32, pairs: &[(&str, &str)]) -> RemotingCommand {
    let ext: ExtFields = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RemotingCommand::request(code, Some(ext))
}

/// Polls `cond` until it holds; panics after a generous bound (a hang, not a timing check).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invokes_correlate_by_opaque() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let mut calls = Vec::new();
    for i in 0..64u32 {
        let client = client.clone();
        let addr = addr.clone();
        // Later requests sleep less, so responses come back in a different order.
        let ms = ((64 - i) % 8 * 5).to_string();
        calls.push(tokio::spawn(async move {
            let body = format!("payload-{i}");
            let cmd = request(SLEEP, &[("ms", &ms), ("i", &i.to_string())])
                .with_body(body.clone().into_bytes());
            let response = client.invoke(&addr, cmd, LONG).await.unwrap();
            (i, body, response)
        }));
    }
    let mut opaques = std::collections::HashSet::new();
    for call in calls {
        let (i, body, response) = call.await.unwrap();
        assert!(response.is_response());
        assert_eq!(response.code, response_code::SUCCESS);
        assert_eq!(response.ext("i"), Some(i.to_string().as_str()));
        assert_eq!(response.body.as_deref(), Some(body.as_bytes()));
        assert!(
            opaques.insert(response.opaque),
            "opaque {} answered twice",
            response.opaque
        );
    }
    // All on one connection.
    assert_eq!(server.processor.closed.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneway_request_gets_no_response() {
    let server = start_server(ConnectionConfig::default()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut framed = Framed::new(stream, RemotingCodec::default());
    let mut oneway = request(RECORD, &[("k", "v")]);
    oneway.opaque = 77;
    oneway.mark_oneway();
    framed.send(oneway).await.unwrap();
    let mut echo = request(ECHO, &[]);
    echo.opaque = 78;
    framed.send(echo).await.unwrap();
    let first = framed.next().await.unwrap().unwrap();
    assert_eq!(first.opaque, 78, "the only response is the echo's");
    assert_eq!(first.remark.as_deref(), Some("echo"));
    let recorded = server.processor.recorded.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].opaque, 77);
    assert_eq!(recorded[0].ext("k"), Some("v"));
    // Nothing else arrives before the server closes the connection at shutdown.
    server.shutdown.cancel();
    assert!(framed.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_timeout_closes_the_connection_as_java_does() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let before = client.connection(&addr).await.unwrap();
    let slow = request(SLEEP, &[("ms", "1500")]);
    let err = client
        .invoke(&addr, slow, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Timeout { .. }), "{err:?}");
    assert!(
        before.is_closed(),
        "clientCloseSocketIfTimeout=true closes it"
    );
    let ok = client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap();
    assert_eq!(ok.remark.as_deref(), Some("echo"));
    assert_ne!(client.connection(&addr).await.unwrap().id(), before.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_timeout_can_keep_the_connection() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig {
        close_on_timeout: false,
        ..ClientConfig::default()
    });
    let addr = server.addr.to_string();
    let slow = request(SLEEP, &[("ms", "1500")]);
    let err = client
        .invoke(&addr, slow, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Timeout { .. }), "{err:?}");
    let conn = client.connection(&addr).await.unwrap();
    // The late response arrives on the same connection and is dropped; later calls still work.
    let ok = client
        .invoke(&addr, request(SLEEP, &[("ms", "1600")]), LONG)
        .await
        .unwrap();
    assert_eq!(ok.remark.as_deref(), Some("slept"));
    let again = client.connection(&addr).await.unwrap();
    assert_eq!(conn.id(), again.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_code_is_answered_request_code_not_supported() {
    let server = start_server(ConnectionConfig::default()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut framed = Framed::new(stream, RemotingCodec::default());
    for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
        let mut cmd = request(4242, &[]);
        cmd.opaque = 9;
        cmd.serialize_type = serialize_type;
        framed.send(cmd).await.unwrap();
        let response = framed.next().await.unwrap().unwrap();
        assert_eq!(response.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
        assert_eq!(
            response.remark.as_deref(),
            Some(" request type 4242 not supported")
        );
        assert_eq!(response.opaque, 9);
        assert!(response.is_response());
        assert_eq!(response.serialize_type, serialize_type);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_close_only_their_connection() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap();

    let bad_frames: Vec<Vec<u8>> = vec![
        // 16 MiB + 1 claimed (the limit counts the 4-byte prefix): rejected without waiting for it.
        (16 * 1024 * 1024 - 3i32).to_be_bytes().to_vec(),
        (-8i32).to_be_bytes().to_vec(),
        // Header length past the frame.
        vec![0, 0, 0, 6, 0, 0, 0, 9, b'{', b'}'],
        // Unknown serialize type 2.
        vec![0, 0, 0, 6, 2, 0, 0, 2, b'{', b'}'],
        // Undecodable JSON header.
        vec![0, 0, 0, 7, 0, 0, 0, 3, b'{', b'x', b'}'],
    ];
    for bytes in bad_frames {
        let mut raw = TcpStream::connect(server.addr).await.unwrap();
        raw.write_all(&bytes).await.unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(LONG, raw.read_to_end(&mut rest))
            .await
            .expect("server closes");
        // Closed cleanly (EOF) or reset; never an answer.
        assert!(
            read.map(|n| n == 0).unwrap_or(true),
            "{bytes:?} got an answer"
        );
        let response = client
            .invoke(&addr, request(ECHO, &[("after", "bad")]), LONG)
            .await
            .unwrap();
        assert_eq!(response.ext("after"), Some("bad"));
    }
    eventually("the five bad connections are reported closed", || {
        server.processor.closed.load(Ordering::SeqCst) == 5
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_per_connection_are_bounded() {
    let server = start_server(ConnectionConfig {
        max_requests_in_flight: 2,
        ..ConnectionConfig::default()
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let mut calls = Vec::new();
    for _ in 0..6 {
        let client = client.clone();
        let addr = addr.clone();
        calls.push(tokio::spawn(async move {
            client.invoke(&addr, request(GATED, &[]), LONG).await
        }));
    }
    let p = server.processor.clone();
    eventually("two gated requests running", || {
        p.in_flight.load(Ordering::SeqCst) == 2
    })
    .await;
    // Give the reader every chance to (wrongly) start more before opening the gate.
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.processor.gate.add_permits(6);
    for call in calls {
        assert_eq!(
            call.await.unwrap().unwrap().remark.as_deref(),
            Some("gated")
        );
    }
    assert_eq!(server.processor.max_in_flight.load(Ordering::SeqCst), 2);
}

struct ClientSide;

impl RequestProcessor for ClientSide {
    async fn process(
        &self,
        _conn: &Connection,
        request: RemotingCommand,
    ) -> Option<RemotingCommand> {
        let body = request.body.clone().unwrap_or_default();
        let remark = format!("client saw {}", String::from_utf8_lossy(&body));
        Some(RemotingCommand::response_to(
            &request,
            response_code::SUCCESS,
            Some(remark),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_invokes_the_client_on_its_connection() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::with_processor(ClientConfig::default(), Arc::new(ClientSide));
    let response = client
        .invoke(&server.addr.to_string(), request(CALL_BACK, &[]), LONG)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SUCCESS);
    assert_eq!(response.remark.as_deref(), Some("client saw from server"));

    // Without a processor, the client answers REQUEST_CODE_NOT_SUPPORTED (as Java's client).
    let plain = RemotingClient::new(ClientConfig::default());
    let response = plain
        .invoke(&server.addr.to_string(), request(CALL_BACK, &[]), LONG)
        .await
        .unwrap();
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 2000 not supported")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_fails_pending_and_next_call_reconnects() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let first = client.connection(&addr).await.unwrap();
    let pending = {
        let client = client.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            client
                .invoke(&addr, request(SLEEP, &[("ms", "5000")]), LONG)
                .await
        })
    };
    eventually("the slow request is pending", || {
        server.processor.closed.load(Ordering::SeqCst) == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = client
        .invoke(&addr, request(CLOSE_ME, &[]), LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::ConnectionClosed(_)), "{err:?}");
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err, RemotingError::ConnectionClosed(_)), "{err:?}");
    assert!(first.is_closed());
    let response = client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap();
    assert_eq!(response.remark.as_deref(), Some("echo"));
    let second = client.connection(&addr).await.unwrap();
    assert_ne!(first.id(), second.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_requests_are_answered_in_binary() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let mut cmd = request(ECHO, &[("a", "1"), ("b", "2")]).with_body(Bytes::from_static(b"xyz"));
    cmd.serialize_type = SerializeType::RocketMq;
    let response = client
        .invoke(&server.addr.to_string(), cmd, LONG)
        .await
        .unwrap();
    assert_eq!(response.serialize_type, SerializeType::RocketMq);
    assert_eq!(response.ext("b"), Some("2"));
    assert_eq!(response.body.as_deref(), Some(&b"xyz"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    let server = start_server(ConnectionConfig {
        idle_timeout: Some(Duration::from_millis(200)),
        ..ConnectionConfig::default()
    })
    .await;
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    let mut rest = Vec::new();
    let n = tokio::time::timeout(LONG, raw.read_to_end(&mut rest))
        .await
        .expect("closed")
        .unwrap();
    assert_eq!(n, 0);
    assert_eq!(server.processor.closed.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_closes_connections() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let conn = client.connection(&addr).await.unwrap();
    let pending = {
        let client = client.clone();
        let addr = addr.clone();
        tokio::spawn(async move {
            client
                .invoke(&addr, request(SLEEP, &[("ms", "5000")]), LONG)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown.cancel();
    tokio::time::timeout(LONG, server.served)
        .await
        .expect("serve returns")
        .unwrap();
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err, RemotingError::ConnectionClosed(_)), "{err:?}");
    tokio::time::timeout(LONG, conn.closed())
        .await
        .expect("client side sees the close");
    let err = client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Connect { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_split_at_every_byte_are_reassembled() {
    let server = start_server(ConnectionConfig::default()).await;
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    raw.set_nodelay(true).unwrap();
    let mut cmd = request(ECHO, &[("k", "v")]).with_body(vec![7u8; 300]);
    cmd.opaque = 5;
    let mut buf = BytesMut::new();
    tokio_util::codec::Encoder::encode(&mut RemotingCodec::default(), &cmd, &mut buf).unwrap();
    for chunk in buf.chunks(7) {
        raw.write_all(chunk).await.unwrap();
        raw.flush().await.unwrap();
    }
    let mut framed = Framed::new(raw, RemotingCodec::default());
    let response = framed.next().await.unwrap().unwrap();
    assert_eq!(response.opaque, 5);
    assert_eq!(response.body.as_deref(), Some(&[7u8; 300][..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_until_returns_when_the_signal_fires() {
    let server = RemotingServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        TestProcessor::new(),
        ServerConfig::default(),
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap().to_string();
    let (fire, signal) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server.serve_until(async move {
        let _ = signal.await;
    }));
    let client = RemotingClient::new(ClientConfig::default());
    client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap();
    fire.send(()).unwrap();
    tokio::time::timeout(LONG, served)
        .await
        .expect("serve_until returns")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_large_bodies_round_trip_unchanged() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let sizes = [
        0usize,
        1,
        100,
        16 * 1024 - 1,
        16 * 1024,
        100_000,
        1 << 20,
        5 << 20,
    ];
    let mut calls = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        for serialize_type in [SerializeType::Json, SerializeType::RocketMq] {
            let client = client.clone();
            let addr = addr.clone();
            calls.push(tokio::spawn(async move {
                let body: Vec<u8> = (0..size).map(|n| (n * 31 + i) as u8).collect();
                let mut cmd = request(ECHO, &[("size", &size.to_string())]).with_body(body.clone());
                cmd.serialize_type = serialize_type;
                let response = client.invoke(&addr, cmd, LONG).await.unwrap();
                assert_eq!(response.ext("size"), Some(size.to_string().as_str()));
                assert_eq!(response.serialize_type, serialize_type);
                // Java sends no body for an empty one.
                assert_eq!(response.body.unwrap_or_default(), body, "size {size}");
            }));
        }
    }
    for call in calls {
        call.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_too_large_to_send_becomes_system_error() {
    let server = start_server(ConnectionConfig {
        max_frame_len: 1 << 20,
        ..ConnectionConfig::default()
    })
    .await;
    let client = RemotingClient::new(ClientConfig::default());
    let addr = server.addr.to_string();
    let response = client
        .invoke(&addr, request(BIG, &[("size", "2000000")]), LONG)
        .await
        .unwrap();
    assert_eq!(response.code, response_code::SYSTEM_ERROR);
    assert!(
        response
            .remark
            .as_deref()
            .unwrap_or("")
            .contains("exceeds the maximum"),
        "{response:?}"
    );
    assert!(response.body.is_none());
    // The connection goes on.
    let ok = client
        .invoke(&addr, request(BIG, &[("size", "1000")]), LONG)
        .await
        .unwrap();
    assert_eq!(ok.body.map(|b| b.len()), Some(1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_too_large_to_send_fails_its_invocation() {
    let server = start_server(ConnectionConfig::default()).await;
    let client = RemotingClient::new(ClientConfig {
        connection: ConnectionConfig {
            max_frame_len: 1 << 20,
            ..ConnectionConfig::default()
        },
        ..ClientConfig::default()
    });
    let addr = server.addr.to_string();
    let err = client
        .invoke(
            &addr,
            request(ECHO, &[]).with_body(vec![0u8; 2 << 20]),
            LONG,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RemotingError::Encode(_)), "{err:?}");
    let ok = client
        .invoke(&addr, request(ECHO, &[]), LONG)
        .await
        .unwrap();
    assert_eq!(ok.remark.as_deref(), Some("echo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_request_bytes_are_served() {
    let Some(golden) = ferrocket::testkit::golden_or_skip("java_request_bytes_are_served") else {
        return;
    };
    let server = start_server(ConnectionConfig::default()).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut framed = Framed::new(stream, RemotingCodec::default());
    let mut served = 0;
    for scenario in ["produce-rocketmq-binary", "produce-json"] {
        let text = std::fs::read_to_string(golden.join("frames").join(format!("{scenario}.jsonl")))
            .unwrap();
        let requests = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["dir"] == "request" && v["direction"] == "c2s" && v["oneway"] == false)
            .take(20);
        for line in requests {
            let hex = line["frame_hex"].as_str().unwrap().as_bytes();
            let bytes: Vec<u8> = hex
                .chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                .collect();
            // Java's exact bytes, straight onto the socket.
            framed.get_mut().write_all(&bytes).await.unwrap();
            let response = framed.next().await.unwrap().unwrap();
            assert_eq!(response.opaque, line["opaque"].as_i64().unwrap() as i32);
            assert_eq!(
                response.serialize_type.name(),
                line["serialize"].as_str().unwrap()
            );
            assert_eq!(response.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
            let expected = format!(" request type {} not supported", line["code"]);
            assert_eq!(response.remark.as_deref(), Some(expected.as_str()));
            served += 1;
        }
    }
    assert_eq!(served, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_completes_while_a_peer_does_not_read() {
    let server = start_server(ConnectionConfig::default()).await;
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    let mut frames = BytesMut::new();
    for opaque in 0..16 {
        let mut cmd = request(BIG, &[("size", "4000000")]);
        cmd.opaque = opaque;
        tokio_util::codec::Encoder::encode(&mut RemotingCodec::default(), &cmd, &mut frames)
            .unwrap();
    }
    raw.write_all(&frames).await.unwrap();
    // 64 MB of responses cannot all fit in socket buffers: the server's writer is stuck.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.shutdown.cancel();
    tokio::time::timeout(LONG, server.served)
        .await
        .expect("serve returns although the peer reads nothing")
        .unwrap();
}
