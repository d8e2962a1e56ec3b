//! The master side (Java `HAService.AcceptSocketService` + `HAConnection`): every slave that
//! connects to `haListenPort` gets one task that reads its offset reports and streams CommitLog
//! bytes to it, header then the mapped bytes themselves (no copy).

use super::wire::{last_report, TransferHeader};
use super::{HaService, SlaveLink};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How long an idle stream sleeps before looking at the CommitLog again when no append woke it
/// (Java `allWaitForRunning(100)`); appends that do not go through the send path (delayed
/// messages coming due, transactions) are picked up this way.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// Accepts slaves until `shutdown`; each connection ends with it too.
pub async fn accept_loop(ha: Arc<HaService>, listener: TcpListener, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::info!("HAService receive new connection, {peer}");
                    let ha = ha.clone();
                    let stop = shutdown.child_token();
                    tokio::spawn(async move { serve_slave(ha, stream, peer.to_string(), stop).await });
                }
                Err(e) => {
                    tracing::warn!("HA accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// One slave connection: registered while it lives (Java counts it from accept on).
pub async fn serve_slave(
    ha: Arc<HaService>,
    stream: TcpStream,
    peer: String,
    stop: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let link = Arc::new(SlaveLink::new(peer.clone()));
    ha.add_slave(link.clone());
    let (reader, writer) = stream.into_split();
    let why = tokio::select! {
        _ = stop.cancelled() => "shutdown".to_string(),
        r = read_reports(&ha, &link, reader) => r,
        w = stream_commit_log(&ha, &link, writer) => w,
    };
    ha.remove_slave(&link);
    tracing::info!("HA connection to slave {peer} closed: {why}");
}

/// Reads the slave's offset reports until the connection fails or stays silent for
/// `haHousekeepingInterval` (Java `ReadSocketService`).
async fn read_reports(ha: &HaService, link: &SlaveLink, mut reader: OwnedReadHalf) -> String {
    let mut buf = [0u8; 1024];
    let mut have = 0usize;
    loop {
        let read = tokio::time::timeout(
            ha.settings.housekeeping,
            reader.read(buf.get_mut(have..).unwrap_or_default()),
        )
        .await;
        let n = match read {
            Err(_) => return "slave silent longer than haHousekeepingInterval".into(),
            Ok(Ok(0)) => return "closed by the slave".into(),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return format!("read: {e}"),
        };
        have += n;
        if let Some((offset, used)) = last_report(&buf[..have]) {
            buf.copy_within(used..have, 0);
            have -= used;
            if let Err(why) = on_report(ha, link, offset) {
                return why;
            }
        }
    }
}

/// Java `ReadSocketService.processReadEvent` for one report.
fn on_report(ha: &HaService, link: &SlaveLink, offset: i64) -> Result<(), String> {
    link.reported.store(offset, Ordering::Release);
    let max = ha.store.max_phy_offset();
    if link.request_offset.load(Ordering::Acquire) < 0 {
        // The first report: where to stream from. 0 means the slave has nothing; Java then
        // starts at the beginning of the last CommitLog file, not at 0.
        let start = if offset == 0 {
            (max - max % ha.settings.commit_log_file_size).max(0)
        } else {
            offset
        };
        tracing::info!(
            "slave[{}] request offset {offset}, transfer from {start}",
            link.peer
        );
        link.transfer_start.store(start, Ordering::Release);
        // What the slave holds before the start counts as sent, but never past our own end.
        link.sent_end.store(start.min(max), Ordering::Release);
        link.request_offset.store(offset, Ordering::Release);
        link.started.notify_one();
    } else if offset > max {
        return Err(format!(
            "slave request offset={offset} greater than local commitLog offset={max}"
        ));
    }
    ha.acks.advance(count_report(link, offset));
    Ok(())
}

/// The acknowledgement a report is worth. Beyond Java (its bug #3015): a slave's report counts
/// only up to what this connection has actually sent, so a slave claiming more than it was
/// given (a stale store from another master, a bug) cannot release SYNC_MASTER sends.
fn count_report(link: &SlaveLink, offset: i64) -> i64 {
    offset.min(link.sent_end.load(Ordering::Acquire))
}

/// Streams CommitLog bytes from where the slave asked, in batches of at most
/// `haTransferBatchSize`, with an empty header after `haSendHeartbeatInterval` of silence
/// (Java `WriteSocketService`).
async fn stream_commit_log(ha: &HaService, link: &SlaveLink, mut writer: OwnedWriteHalf) -> String {
    let mut last_write = Instant::now();
    loop {
        let started = link.started.notified();
        if link.request_offset.load(Ordering::Acquire) >= 0 {
            break;
        }
        started.await;
    }
    let mut next = link.transfer_start.load(Ordering::Acquire);
    loop {
        let arrived = ha.data_arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        if last_write.elapsed() > ha.settings.heartbeat {
            let header = TransferHeader {
                offset: next,
                size: 0,
            };
            if let Err(e) = writer.write_all(&header.encode()).await {
                return format!("write heartbeat: {e}");
            }
            last_write = Instant::now();
        }
        let data = ha.store.commit_log_data(next).filter(|d| !d.is_empty());
        let Some(data) = data else {
            let until_heartbeat = ha.settings.heartbeat.saturating_sub(last_write.elapsed());
            let nap = IDLE_POLL.min(until_heartbeat) + Duration::from_millis(1);
            let _ = tokio::time::timeout(nap, arrived).await;
            continue;
        };
        let size = data.len().min(ha.settings.batch_size);
        let header = TransferHeader {
            offset: next,
            size: size as i32,
        };
        if let Err(e) = writer.write_all(&header.encode()).await {
            return format!("write header: {e}");
        }
        let body = data.get(..size).unwrap_or_default();
        if let Err(e) = writer.write_all(body).await {
            return format!("write body: {e}");
        }
        next += size as i64;
        link.sent_end.fetch_max(next, Ordering::AcqRel);
        last_write = Instant::now();
    }
}

/// Java `BrokerController.printMasterAndSlaveDiff`: on a master, how far the slaves are behind,
/// logged 10 s after start and then every minute.
pub async fn log_fall_behind(ha: Arc<HaService>, shutdown: CancellationToken) {
    let start = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut every = tokio::time::interval_at(start, Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {
                tracing::info!("Slave fall behind master: {} bytes", ha.slave_fall_behind_much());
            }
        }
    }
}
