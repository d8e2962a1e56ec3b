//! One TCP connection between RocketMQ peers, on either side (server or client).
//!
//! Each connection has three kinds of tasks:
//! - the **reader** (the task driving [`run`]) decodes frames, completes pending invocations with
//!   the responses it reads, and starts one task per incoming request;
//! - **request tasks** run the [`RequestProcessor`] and queue its response; a semaphore bounds
//!   how many run at once per connection, and when it is exhausted the reader stops reading, so
//!   a flooding peer is slowed by TCP flow control instead of by unbounded spawning;
//! - the **writer** owns the socket's write half, takes commands from a bounded queue, encodes
//!   whatever is queued and writes it in one go (one vectored write; large bodies are not
//!   copied into the write buffer).
//!
//! [`Connection`] is the cheap, clonable handle the rest of the program holds: it sends
//! oneway requests, invokes requests and waits for their responses, and closes the connection.

use std::collections::{HashMap, VecDeque};
use std::io::IoSlice;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
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
    /// Requests from the peer processed at once on one connection; more wait unread. A request
    /// the processor suspends (a long-polling pull) counts until it is answered.
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

    /// Sends a oneway request: a fresh opaque, the oneway flag, no response expected. Waits
    /// while the connection's write queue is full (a peer that does not read); wrap it in
    /// `tokio::time::timeout` where that must not hold the caller up.
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

/// The reader loop; see the module documentation.
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
    let notified =
        std::panic::catch_unwind(AssertUnwindSafe(|| processor.on_connection_closed(&conn)));
    if notified.is_err() {
        tracing::error!(peer = %conn.peer_addr(), "on_connection_closed panicked");
    }
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

/// The writer: encodes queued commands and writes them in batches, until the connection
/// closes; then writes what is still queued and shuts the socket down.
async fn write_loop(
    conn: Connection,
    mut socket: OwnedWriteHalf,
    mut queue: mpsc::Receiver<RemotingCommand>,
    mut codec: RemotingCodec,
) {
    /// Stop batching once this much is pending.
    const BATCH_BYTES: usize = 256 * 1024;
    let mut out = Outgoing::default();
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
        out.push(&conn, &mut codec, first);
        while out.len() < BATCH_BYTES {
            match queue.try_recv() {
                Ok(cmd) => out.push(&conn, &mut codec, cmd),
                Err(_) => break,
            }
        }
        let written = tokio::select! {
            written = out.write_to(&mut socket) => written,
            // Closing while the peer does not read: a frame may be half written, so nothing
            // more can follow it; drop the socket.
            _ = close.cancelled() => return,
        };
        if let Err(e) = written {
            tracing::debug!(peer = %conn.peer_addr(), error = %e, "write failed");
            conn.close();
            return;
        }
        conn.touch();
    }
    // Closing: what was queued before the close still goes out, best effort.
    while let Ok(cmd) = queue.try_recv() {
        out.push(&conn, &mut codec, cmd);
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), out.write_to(&mut socket)).await;
    let _ = socket.shutdown().await;
}

/// Encoded frames waiting to be written: small frames are encoded into one buffer; a large
/// body is queued as the `Bytes` it already is (no copy) and written with vectored I/O.
#[derive(Default)]
struct Outgoing {
    /// Bytes not yet moved to `segments`.
    scratch: BytesMut,
    segments: VecDeque<Bytes>,
    segments_len: usize,
}

impl Outgoing {
    /// Bodies at least this large are not copied.
    const ZERO_COPY_BODY: usize = 16 * 1024;

    /// Encodes `cmd`; a command that cannot be encoded is not sent. Its sender learns why: an
    /// invocation fails with the error, a response is replaced by SYSTEM_ERROR.
    fn push(&mut self, conn: &Connection, codec: &mut RemotingCodec, cmd: RemotingCommand) {
        let large_body = cmd
            .body
            .as_ref()
            .filter(|b| b.len() >= Self::ZERO_COPY_BODY);
        let encoded = match large_body {
            Some(body) => codec.encode_head(&cmd, &mut self.scratch).map(|()| {
                let head = self.scratch.split().freeze();
                self.push_segment(head);
                self.push_segment(body.clone());
            }),
            None => codec.encode(&cmd, &mut self.scratch),
        };
        if let Err(e) = encoded {
            self.report(conn, codec, &cmd, e);
        }
    }

    fn push_segment(&mut self, segment: Bytes) {
        // `Buf::chunk` must not come up empty while bytes remain.
        if segment.is_empty() {
            return;
        }
        self.segments_len += segment.len();
        self.segments.push_back(segment);
    }

    fn len(&self) -> usize {
        self.segments_len + self.scratch.len()
    }

    fn report(
        &mut self,
        conn: &Connection,
        codec: &mut RemotingCodec,
        cmd: &RemotingCommand,
        e: RemotingError,
    ) {
        tracing::error!(peer = %conn.peer_addr(), code = cmd.code, error = %e, "command not sent");
        if cmd.is_response() {
            let mut stand_in = RemotingCommand::system_error(cmd, e.to_string());
            stand_in.flag = cmd.flag;
            if codec.encode(&stand_in, &mut self.scratch).is_err() {
                tracing::error!(peer = %conn.peer_addr(), "SYSTEM_ERROR stand-in not sent either");
            }
        } else if !cmd.is_oneway() {
            conn.fail_pending(cmd.opaque, e);
        }
    }

    /// Writes everything pending.
    async fn write_to(&mut self, socket: &mut OwnedWriteHalf) -> std::io::Result<()> {
        if !self.scratch.is_empty() {
            let rest = self.scratch.split().freeze();
            self.push_segment(rest);
        }
        let mut pending = Segments {
            remaining: self.segments_len,
            queue: &mut self.segments,
        };
        let result = socket.write_all_buf(&mut pending).await;
        self.segments.clear();
        self.segments_len = 0;
        // Take the scratch allocation back once the written segments released it.
        self.scratch.reserve(8 * 1024);
        result
    }
}

/// The pending segments as one `Buf`, so tokio writes them with one vectored write.
struct Segments<'a> {
    queue: &'a mut VecDeque<Bytes>,
    remaining: usize,
}

impl Buf for Segments<'_> {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.queue.front().map_or(&[], |b| &b[..])
    }

    fn advance(&mut self, mut cnt: usize) {
        self.remaining = self.remaining.saturating_sub(cnt);
        while cnt > 0 {
            let Some(front) = self.queue.front_mut() else {
                return;
            };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.queue.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, segment) in dst
            .iter_mut()
            .zip(self.queue.iter().filter(|s| !s.is_empty()))
        {
            *slot = IoSlice::new(segment);
            n += 1;
        }
        n
    }
}
