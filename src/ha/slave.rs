//! The slave side (Java `HAService.HAClient`): connects to the master's HA address, reports its
//! CommitLog max offset, appends what the master streams verbatim (so its CommitLog is a byte
//! copy; the store's reput thread builds ConsumeQueues and IndexFiles from it), and reports
//! again after each append and every `haSendHeartbeatInterval`.

use super::wire::{encode_report, TransferHeader, HEADER_LEN};
use super::HaService;
use bytes::{Buf, BytesMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Java waits 5 s (`waitForRunning(1000 * 5)`) when there is no master address or the
/// connection attempt failed; after losing a live connection it reconnects at once.
pub const RECONNECT_DELAY: Duration = Duration::from_secs(5);
/// Java's `RemotingUtil.connect` timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Java's slave read buffer: a transfer larger than this cannot be received.
const READ_MAX_BUFFER_SIZE: usize = 4 * 1024 * 1024;

/// Runs the client until `shutdown`.
pub async fn run(ha: Arc<HaService>, shutdown: CancellationToken) {
    loop {
        let changed = ha.slave.changed.notified();
        let connected = match ha.master_ha_address() {
            None => false,
            Some(addr) => {
                match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr)).await {
                    Ok(Ok(stream)) => {
                        tracing::info!("HAClient connected to master {addr}");
                        ha.slave.connected.store(true, Ordering::Release);
                        let why = tokio::select! {
                            _ = shutdown.cancelled() => "shutdown".to_string(),
                            why = session(&ha, stream, &addr) => why,
                        };
                        ha.slave.connected.store(false, Ordering::Release);
                        tracing::warn!("HAClient connection to master {addr} closed: {why}");
                        true
                    }
                    Ok(Err(e)) => {
                        tracing::debug!("HAClient connect to master {addr}: {e}");
                        false
                    }
                    Err(_) => false,
                }
            }
        };
        if shutdown.is_cancelled() {
            return;
        }
        if !connected {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = changed => {}
                _ = tokio::time::sleep(RECONNECT_DELAY) => {}
            }
        }
    }
}

async fn report(writer: &mut OwnedWriteHalf, offset: i64) -> Result<(), String> {
    writer
        .write_all(&encode_report(offset))
        .await
        .map_err(|e| format!("report offset {offset}: {e}"))
}

/// One connection: returns why it ended.
async fn session(ha: &Arc<HaService>, stream: TcpStream, addr: &str) -> String {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    // Java sends its first report only after haSendHeartbeatInterval; sending it at once
    // starts replication 5 s earlier and changes nothing on the wire.
    let mut reported = ha.store.max_phy_offset();
    ha.slave.reported.store(reported, Ordering::Release);
    if let Err(e) = report(&mut writer, reported).await {
        return e;
    }
    let mut last_write = Instant::now();
    let mut last_read = Instant::now();
    let tick_every =
        (ha.settings.heartbeat / 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut tick = tokio::time::interval(tick_every);
    let mut buf = BytesMut::with_capacity(256 * 1024);
    loop {
        let changed = ha.slave.changed.notified();
        tokio::select! {
            read = reader.read_buf(&mut buf) => {
                match read {
                    Ok(0) => return "closed by the master".into(),
                    Err(e) => return format!("read: {e}"),
                    Ok(_) => last_read = Instant::now(),
                }
                if let Err(why) = apply_transfers(ha, &mut buf).await {
                    return why;
                }
                let max = ha.store.max_phy_offset();
                if max > reported {
                    reported = max;
                    ha.slave.reported.store(reported, Ordering::Release);
                    if let Err(e) = report(&mut writer, reported).await {
                        return e;
                    }
                    last_write = Instant::now();
                }
            }
            _ = tick.tick() => {
                if last_write.elapsed() > ha.settings.heartbeat {
                    if let Err(e) = report(&mut writer, reported).await {
                        return e;
                    }
                    last_write = Instant::now();
                }
                // Java's slave times out on its own writes only; a master that stopped talking
                // (it heartbeats every haSendHeartbeatInterval) is detected here instead.
                if last_read.elapsed() > ha.settings.housekeeping {
                    return "master silent longer than haHousekeepingInterval".into();
                }
            }
            _ = changed => {
                if ha.master_ha_address().as_deref() != Some(addr) {
                    return "master HA address changed".into();
                }
            }
        }
    }
}

/// Appends every complete transfer in `buf` (Java `dispatchReadRequest`). A transfer must start
/// where this CommitLog ends (unless it is empty): otherwise the connection is dropped and the
/// next one restarts from the slave's real offset.
async fn apply_transfers(ha: &Arc<HaService>, buf: &mut BytesMut) -> Result<(), String> {
    while let Some(header) = TransferHeader::decode(buf) {
        if header.offset < 0 {
            return Err(format!("bad transfer offset {}", header.offset));
        }
        let slave_max = ha.store.max_phy_offset();
        if slave_max != 0 && slave_max != header.offset {
            return Err(format!(
                "master pushed offset not equal the max phy offset in slave, SLAVE: {slave_max} MASTER: {}",
                header.offset
            ));
        }
        let size = usize::try_from(header.size)
            .ok()
            .filter(|s| HEADER_LEN + s <= READ_MAX_BUFFER_SIZE)
            .ok_or_else(|| format!("bad transfer size {}", header.size))?;
        if buf.len() < HEADER_LEN + size {
            buf.reserve(HEADER_LEN + size - buf.len());
            break;
        }
        buf.advance(HEADER_LEN);
        let body = buf.split_to(size).freeze();
        ha.slave
            .master_offset
            .store(header.offset.saturating_add(size as i64), Ordering::Release);
        if size == 0 {
            continue;
        }
        let store = ha.store.clone();
        let offset = header.offset;
        let appended =
            tokio::task::spawn_blocking(move || store.append_to_commit_log(offset, &body)).await;
        match appended {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return Err(format!("append at {offset} refused")),
            Ok(Err(e)) => return Err(format!("append at {offset}: {e}")),
            Err(e) => return Err(format!("append task: {e}")),
        }
    }
    if buf.capacity() - buf.len() < 64 * 1024 {
        buf.reserve(256 * 1024);
    }
    Ok(())
}
