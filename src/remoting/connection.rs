//! One TCP connection between RocketMQ peers, on either side (server or client).
//!
//! Each connection has three kinds of tasks:
//! - the **reader** (the task driving [`run`]) decodes frames, completes pending invocations with
//!   the responses it reads, and starts one task per incoming request;
//! - **request tasks** run the [`RequestProcessor`] and queue its response; a semaphore bounds
//!   how many run at once per connection, and when it is exhausted the reader stops reading, so
//!   a flooding peer is slowed by TCP flow control instead of by unbounded spawning;
//! - the **writer** owns the socket's write half, takes commands from a bounded queue, encodes
//!   whatever is queued into one buffer and writes it in one go.
//!
//! [`Connection`] is the cheap, clonable handle the rest of the program holds: it sends
//! oneway requests, invokes requests and waits for their responses, and closes the connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::{FutureExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_util::codec::{Encoder, FramedRead};
use tokio_util::sync::CancellationToken;

use super::codec::{RemotingCodec, DEFAULT_MAX_FRAME_LEN};
use super::command::{RemotingCommand, FLAG_RESPONSE};
use super::error::RemotingError;
use super::server::RequestProcessor;

/// Per-connection settings, shared by server and client.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Largest frame accepted or sent, length prefix included
    /// (`com.rocketmq.remoting.frameMaxLength`, 16 MiB).
    pub max_frame_len: usize,
    /// Requests from the peer processed at once on one connection; more wait unread.
    pub max_requests_in_flight: usize,
    /// Commands queued for writing before senders wait.
    pub write_queue_len: usize,
    /// A connection with no read or write for this long is closed (Java's
    /// `serverChannelMaxIdleTimeSeconds` / `clientChannelMaxIdleTimeSeconds`, 120 s).
    /// `None` keeps idle connections open.
    pub idle_timeout: Option<Duration>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_requests_in_flight: 1024,
            write_queue_len: 1024,
            idle_timeout: Some(Duration::from_secs(120)),
        }
    }
}

/// The opaque of the next request this process originates. One counter for the process, as
/// Java's `RemotingCommand.requestId`; it wraps around.
pub fn next_opaque() -> i32 {
    static NEXT: AtomicI32 = AtomicI32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

type PendingTx = oneshot::Sender<Result<RemotingCommand, RemotingError>>;

/// A handle on one connection. Clones share the connection.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    outbound: mpsc::Sender<RemotingCommand>,
    /// Invocations waiting for their response, by opaque.
    pending: Mutex<HashMap<i32, PendingTx>>,
    closed: AtomicBool,
    /// Cancelled when the connection closes, for whatever reason.
    close: CancellationToken,
    /// Milliseconds since `started` of the last frame read or written.
    last_io_ms: AtomicU64,
    started: Instant,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.inner.id)
            .field("peer", &self.inner.peer)
            .field("local", &self.inner.local)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Connection {
    /// A process-unique id, for maps keyed by connection.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.inner.peer
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Closes the connection: commands already queued are still written, pending invocations
    /// fail with `ConnectionClosed`, the processor's `on_connection_closed` runs.
    pub fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.close.cancel();
        let pending = std::mem::take(&mut *self.lock_pending());
        for (_, tx) in pending {
            let _ = tx.send(Err(self.closed_error()));
        }
    }

    /// Resolves when the connection has closed.
    pub async fn closed(&self) {
        self.inner.close.cancelled().await
    }

    /// Sends a oneway request: a fresh opaque, the oneway flag, no response expected.
    pub async fn send_oneway(&self, mut request: RemotingCommand) -> Result<(), RemotingError> {
        request.opaque = next_opaque();
        request.flag &= !FLAG_RESPONSE;
        request.mark_oneway();
        self.send(request).await
    }

    /// Sends a request and waits up to `timeout` for its response (any response code; the
    /// caller interprets it). On timeout the pending entry is removed, so a late response is
    /// dropped.
    pub async fn invoke(
        &self,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let opaque = next_opaque();
        request.opaque = opaque;
        request.flag &= !(FLAG_RESPONSE | super::command::FLAG_ONEWAY);
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self.lock_pending();
            // Checked under the lock `close` drains: an entry is never left behind.
            if self.is_closed() {
                return Err(self.closed_error());
            }
            pending.insert(opaque, tx);
        }
        let _forget = ForgetPending { conn: self, opaque };
        let exchange = async {
            self.send(request).await?;
            rx.await.unwrap_or_else(|_| Err(self.closed_error()))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(RemotingError::Timeout {
                addr: self.inner.peer.to_string(),
                timeout,
            }),
        }
    }

    /// Queues a command as it is (opaque and flag untouched): responses and requests alike.
    pub async fn send(&self, cmd: RemotingCommand) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        self.inner
            .outbound
            .send(cmd)
            .await
            .map_err(|_| self.closed_error())
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<i32, PendingTx>> {
        // A poisoned map is still a valid map: nothing panics while holding the lock anyway.
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, response: RemotingCommand) {
        let tx = self.lock_pending().remove(&response.opaque);
        match tx {
            Some(tx) => {
                let _ = tx.send(Ok(response));
            }
            None => tracing::debug!(
                peer = %self.inner.peer,
                opaque = response.opaque,
                code = response.code,
                "response matches no pending request (timed out?)"
            ),
        }
    }

    fn fail_pending(&self, opaque: i32, err: RemotingError) {
        if let Some(tx) = self.lock_pending().remove(&opaque) {
            let _ = tx.send(Err(err));
        }
    }

    fn closed_error(&self) -> RemotingError {
        RemotingError::ConnectionClosed(self.inner.peer.to_string())
    }

    fn touch(&self) {
        let ms = self.inner.started.elapsed().as_millis() as u64;
        self.inner.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.inner.last_io_ms.load(Ordering::Relaxed));
        self.inner.started.elapsed().saturating_sub(last)
    }
}

/// Removes an invocation's pending entry however the invocation ends (response, timeout, or
/// the caller dropping the future).
struct ForgetPending<'a> {
    conn: &'a Connection,
    opaque: i32,
}

impl Drop for ForgetPending<'_> {
    fn drop(&mut self) {
        self.conn.lock_pending().remove(&self.opaque);
    }
}

/// Sets up a connection over `stream`: returns its handle, and the future that drives it (run
/// it in a task; it completes once the connection is closed and its writer has finished).
/// `shutdown` closes the connection when cancelled.
pub(crate) fn start<P: RequestProcessor>(
    stream: TcpStream,
    processor: Arc<P>,
    config: &ConnectionConfig,
    shutdown: CancellationToken,
) -> std::io::Result<(
    Connection,
    impl std::future::Future<Output = ()> + Send + 'static,
)> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let peer = stream.peer_addr()?;
    let local = stream.local_addr()?;
    // Frames are written whole; Nagle would only delay small responses.
    let _ = stream.set_nodelay(true);
    let (read_half, write_half) = stream.into_split();
    let (outbound, queue) = mpsc::channel(config.write_queue_len.max(1));
    let conn = Connection {
        inner: Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            peer,
            local,
            outbound,
            pending: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            close: shutdown.child_token(),
            last_io_ms: AtomicU64::new(0),
            started: Instant::now(),
        }),
    };
    let writer = write_loop(
        conn.clone(),
        write_half,
        queue,
        RemotingCodec::new(config.max_frame_len),
    );
    let reader = FramedRead::new(read_half, RemotingCodec::new(config.max_frame_len));
    let driver = run(conn.clone(), reader, writer, processor, config.clone());
    Ok((conn, driver))
}

async fn run<P: RequestProcessor>(
    conn: Connection,
    mut frames: FramedRead<tokio::net::tcp::OwnedReadHalf, RemotingCodec>,
    writer: impl std::future::Future<Output = ()> + Send + 'static,
    processor: Arc<P>,
    config: ConnectionConfig,
) {
    let writer = tokio::spawn(writer);
    let permits = Arc::new(Semaphore::new(config.max_requests_in_flight.max(1)));
    let close = conn.inner.close.clone();
    tracing::debug!(peer = %conn.peer_addr(), id = conn.id(), "connection open");
    loop {
        let idle_check = async {
            match config.idle_timeout {
                Some(idle) => tokio::time::sleep(idle.saturating_sub(conn.idle_for())).await,
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            _ = close.cancelled() => break,
            _ = idle_check => {
                if config.idle_timeout.is_some_and(|idle| conn.idle_for() >= idle) {
                    tracing::info!(peer = %conn.peer_addr(), "closing idle connection");
                    break;
                }
                continue;
            }
            next = frames.next() => next,
        };
        let cmd = match next {
            None => break,
            Some(Ok(cmd)) => cmd,
            Some(Err(e)) => {
                // Java logs and closes the channel on any decoding error; so do we.
                tracing::warn!(peer = %conn.peer_addr(), error = %e, "closing connection");
                break;
            }
        };
        conn.touch();
        if cmd.is_response() {
            conn.complete(cmd);
            continue;
        }
        let permit = tokio::select! {
            _ = close.cancelled() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let conn = conn.clone();
        let processor = processor.clone();
        tokio::spawn(async move {
            handle_request(&conn, &*processor, cmd).await;
            drop(permit);
        });
    }
    conn.close();
    processor.on_connection_closed(&conn);
    let _ = writer.await;
    tracing::debug!(peer = %conn.peer_addr(), id = conn.id(), "connection closed");
}

/// Runs one request through the processor and queues its response (none for oneway requests).
/// A panicking processor is answered with SYSTEM_ERROR, as Java answers an exception.
async fn handle_request<P: RequestProcessor>(
    conn: &Connection,
    processor: &P,
    request: RemotingCommand,
) {
    let oneway = request.is_oneway();
    let opaque = request.opaque;
    let serialize_type = request.serialize_type;
    let code = request.code;
    let outcome = AssertUnwindSafe(processor.process(conn, request))
        .catch_unwind()
        .await;
    let response = match outcome {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(peer = %conn.peer_addr(), code, "request processor panicked");
            let stub = RemotingCommand {
                code,
                opaque,
                serialize_type,
                ..Default::default()
            };
            Some(RemotingCommand::system_error(
                &stub,
                "request processor failed",
            ))
        }
    };
    let Some(mut response) = response else { return };
    if oneway {
        return;
    }
    response.opaque = opaque;
    response.flag |= FLAG_RESPONSE;
    response.serialize_type = serialize_type;
    if let Err(e) = conn.send(response).await {
        tracing::debug!(peer = %conn.peer_addr(), code, error = %e, "response not sent");
    }
}

/// The writer: encodes queued commands into one buffer and writes it, until the connection
/// closes; then writes what is still queued and shuts the socket down.
async fn write_loop(
    conn: Connection,
    mut socket: OwnedWriteHalf,
    mut queue: mpsc::Receiver<RemotingCommand>,
    mut codec: RemotingCodec,
) {
    /// Stop batching once this much is buffered.
    const BATCH_BYTES: usize = 256 * 1024;
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let close = conn.inner.close.clone();
    loop {
        let first = tokio::select! {
            biased;
            cmd = queue.recv() => match cmd {
                Some(cmd) => cmd,
                None => break,
            },
            _ = close.cancelled() => break,
        };
        encode_or_report(&conn, &mut codec, first, &mut buf);
        while buf.len() < BATCH_BYTES {
            match queue.try_recv() {
                Ok(cmd) => encode_or_report(&conn, &mut codec, cmd, &mut buf),
                Err(_) => break,
            }
        }
        if let Err(e) = socket.write_all(&buf).await {
            tracing::debug!(peer = %conn.peer_addr(), error = %e, "write failed");
            conn.close();
            return;
        }
        buf.clear();
        conn.touch();
    }
    // Closing: what was queued before the close still goes out, best effort.
    while let Ok(cmd) = queue.try_recv() {
        encode_or_report(&conn, &mut codec, cmd, &mut buf);
    }
    if !buf.is_empty() {
        let _ = tokio::time::timeout(Duration::from_secs(3), socket.write_all(&buf)).await;
    }
    let _ = socket.shutdown().await;
}

/// Encodes `cmd`; a command that cannot be encoded is not sent. Its sender learns why: an
/// invocation fails with the error, a response is replaced by SYSTEM_ERROR.
fn encode_or_report(
    conn: &Connection,
    codec: &mut RemotingCodec,
    cmd: RemotingCommand,
    buf: &mut BytesMut,
) {
    let Err(e) = codec.encode(&cmd, buf) else {
        return;
    };
    tracing::error!(peer = %conn.peer_addr(), code = cmd.code, error = %e, "command not sent");
    if cmd.is_response() {
        let mut stand_in = RemotingCommand::system_error(&cmd, e.to_string());
        stand_in.flag = cmd.flag;
        if codec.encode(&stand_in, buf).is_err() {
            tracing::error!(peer = %conn.peer_addr(), "SYSTEM_ERROR stand-in not sent either");
        }
    } else if !cmd.is_oneway() {
        conn.fail_pending(cmd.opaque, e);
    }
}
