//! GET_BROKER_RUNTIME_INFO (28): `{"table":{...}}` with the keys Java 4.9.7's
//! `prepareRuntimeInfo` fills (store statistics, day totals, thread-pool queues, disk use,
//! schedule progress), values formatted as Java formats them. `mqadmin clusterList` and
//! `brokerStatus` read these names.

use super::get_all_delay_offset::delay_offsets;
use super::success_with_body;
use crate::broker::stats::java_double;
use crate::broker::Broker;
use crate::fastjson;
use crate::protocol::body::KvTable;
use crate::protocol::topic::SCHEDULE_TOPIC;
use crate::remoting::{Connection, RemotingCommand};
use std::ffi::CString;
use std::path::Path;

pub async fn handle(
    broker: &Broker,
    _conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    let table = runtime_info(broker);
    let body = fastjson::encode_compact(&KvTable {
        table: table.into_iter().collect(),
    });
    Some(success_with_body(&request, body))
}

/// Java `MixAll.humanReadableByteCount(bytes, false)`: "496 B", "73.4 GiB".
pub fn human_readable_bytes(bytes: i64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let exp = ((bytes as f64).ln() / 1024f64.ln()) as i32;
    let unit = ["K", "M", "G", "T", "P", "E"]
        .get((exp - 1).clamp(0, 5) as usize)
        .copied()
        .unwrap_or("E");
    format!("{:.1} {unit}iB", bytes as f64 / 1024f64.powi(exp))
}

/// (total, usable) bytes of the file system holding `path` (Java `File.getTotalSpace` /
/// `getUsableSpace`), `None` if it cannot be read.
fn disk_space(path: &Path) -> Option<(i64, i64)> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we own; the path is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let frsize = st.f_frsize as i64;
    Some((st.f_blocks as i64 * frsize, st.f_bavail as i64 * frsize))
}

/// Java `UtilAll.getDiskPartitionSpaceUsedPercent`: the used fraction rounded up to hundredths.
fn disk_ratio(path: &Path) -> f64 {
    if !path.exists() {
        return -1.0;
    }
    let ratio = crate::store::retention::disk_used_ratio(path);
    if ratio < 0.0 {
        return ratio;
    }
    (ratio * 100.0).ceil() / 100.0
}

/// Every key of Java's answer.
pub fn runtime_info(broker: &Broker) -> Vec<(String, String)> {
    let store = &broker.store;
    let cfg = &broker.config;
    let store_cfg = &broker.store_config;
    let mut out = Vec::with_capacity(64);
    broker.stats.runtime_info(broker.now_millis(), &mut out);
    let mut put = |k: &str, v: String| out.push((k.to_string(), v));

    // DefaultMessageStore.getRuntimeInfo
    let cl_dir = store_cfg.commit_log_dir();
    let cl_ratio = disk_ratio(&cl_dir);
    put(
        &format!("commitLogDiskRatio_{}", cl_dir.display()),
        java_double(cl_ratio),
    );
    put("commitLogDiskRatio", java_double(cl_ratio));
    put(
        "consumeQueueDiskRatio",
        java_double(disk_ratio(&store_cfg.consume_queue_dir())),
    );
    for (level, offset) in delay_offsets(broker).offset_table.iter() {
        let max = store.max_offset_in_queue(SCHEDULE_TOPIC, level - 1);
        put(
            &format!("scheduleMessageOffset_{level}"),
            format!("{offset},{max}"),
        );
    }
    put("commitLogMinOffset", store.min_phy_offset().to_string());
    put("commitLogMaxOffset", store.max_phy_offset().to_string());

    // AdminBrokerProcessor.prepareRuntimeInfo
    put("brokerVersionDesc", "V4_9_7".to_string());
    put(
        "brokerVersion",
        crate::remoting::command::CURRENT_VERSION.to_string(),
    );
    // Requests are served on the async runtime, not on bounded Java thread pools: there is
    // no queue to report, so sizes and head waits are 0 and capacities are the configured ones.
    put("sendThreadPoolQueueSize", "0".to_string());
    put(
        "sendThreadPoolQueueCapacity",
        cfg.send_thread_pool_queue_capacity.to_string(),
    );
    put("pullThreadPoolQueueSize", "0".to_string());
    put(
        "pullThreadPoolQueueCapacity",
        cfg.pull_thread_pool_queue_capacity.to_string(),
    );
    put("queryThreadPoolQueueSize", "0".to_string());
    put(
        "queryThreadPoolQueueCapacity",
        cfg.query_thread_pool_queue_capacity.to_string(),
    );
    put("EndTransactionQueueSize", "0".to_string());
    put(
        "EndTransactionThreadPoolQueueCapacity",
        cfg.end_transaction_pool_queue_capacity.to_string(),
    );
    put(
        "dispatchBehindBytes",
        store.dispatch_behind_bytes().to_string(),
    );
    // Java: how long the CommitLog put lock is held right now; 0 when no put is in progress.
    put("pageCacheLockTimeMills", "0".to_string());
    put("sendThreadPoolQueueHeadWaitTimeMills", "0".to_string());
    put("pullThreadPoolQueueHeadWaitTimeMills", "0".to_string());
    put("queryThreadPoolQueueHeadWaitTimeMills", "0".to_string());
    put(
        "earliestMessageTimeStamp",
        store.earliest_commit_log_time().to_string(),
    );
    put(
        "startAcceptSendRequestTimeStamp",
        cfg.start_accept_send_request_time_stamp.to_string(),
    );
    let transient_pool = store_cfg.transient_store_pool_enable;
    put(
        "remainTransientStoreBufferNumbs",
        if transient_pool {
            store_cfg.transient_store_pool_size.to_string()
        } else {
            i32::MAX.to_string()
        },
    );
    let remain_flush = (store.max_phy_offset() - store.commit_log().flushed_offset()).max(0);
    if transient_pool {
        put("remainHowManyDataToCommit", human_readable_bytes(0));
    }
    put(
        "remainHowManyDataToFlush",
        human_readable_bytes(remain_flush),
    );
    let root = store_cfg.root_dir();
    if let Some((total, free)) = root.exists().then(|| disk_space(&root)).flatten() {
        put(
            "commitLogDirCapacity",
            format!(
                "Total : {}, Free : {}.",
                human_readable_bytes(total),
                human_readable_bytes(free)
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_readable_as_java() {
        assert_eq!(human_readable_bytes(0), "0 B");
        assert_eq!(human_readable_bytes(496), "496 B");
        assert_eq!(human_readable_bytes(1024), "1.0 KiB");
        assert_eq!(human_readable_bytes(252 * 1024 * 1024 * 1024), "252.0 GiB");
    }
}
