//! `clusterList`: every broker of every cluster with its load, from GET_BROKER_CLUSTER_INFO and
//! each broker's GET_BROKER_RUNTIME_INFO (`-m`: yesterday's and today's message totals).
//! `-i <seconds>` prints the table again every interval until the process is interrupted.

use std::io::Write;
use std::time::Duration;

use super::table::Table;
use super::{Admin, AdminResult};
use ferrocket::protocol::body::KvTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print more statistics (messages in/out yesterday and today)
    #[arg(short = 'm', long = "moreStats")]
    more_stats: bool,
    /// specify intervals numbers, it is in seconds (print again every interval until
    /// interrupted)
    #[arg(short = 'i', long = "interval", value_name = "SECONDS")]
    interval: Option<u64>,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    // mqadmin's loop: print, then with -i sleep and print again, forever (Ctrl-C ends it).
    loop {
        print_once(admin, args.more_stats, out).await?;
        out.flush()?;
        let Some(seconds) = args.interval else {
            return Ok(());
        };
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }
}

/// One table: the base columns, or with `more_stats` the message totals.
async fn print_once(admin: &Admin, more_stats: bool, out: &mut impl Write) -> AdminResult {
    let info = admin.cluster_info().await?;
    let mut table = if more_stats {
        Table::new(&[
            "#Cluster Name",
            "#Broker Name",
            "#InTotalYest",
            "#OutTotalYest",
            "#InTotalToday",
            "#OutTotalToday",
        ])
        .right_align(&[2, 3, 4, 5])
    } else {
        Table::new(&[
            "#Cluster Name",
            "#Broker Name",
            "#BID",
            "#Addr",
            "#Version",
            "#InTPS(LOAD)",
            "#OutTPS(LOAD)",
            "#PCWait(ms)",
            "#Hour",
            "#SPACE",
        ])
        .right_align(&[5, 6, 7, 8, 9])
    };
    for (cluster, names) in &info.cluster_addr_table {
        for name in names {
            let Some(data) = info.broker_addr_table.get(name) else {
                continue;
            };
            for (id, addr) in &data.broker_addrs {
                // A broker that does not answer still gets its line, with empty figures (Java
                // prints the exception and the line).
                let kv = match admin.runtime_info(addr).await {
                    Ok(kv) => kv,
                    Err(e) => {
                        eprintln!("{addr}: {e}");
                        KvTable::default()
                    }
                };
                let row = if more_stats {
                    more_stats_row(cluster, name, &kv)
                } else {
                    base_row(cluster, name, *id, addr, &kv)
                };
                table.row(row);
            }
        }
    }
    table.print(out)?;
    Ok(())
}

fn get<'a>(kv: &'a KvTable, key: &str) -> &'a str {
    kv.table.get(key).map(String::as_str).unwrap_or("")
}

/// The first number of a `"tps1 tps2 tps3"` stats value.
fn first_number(value: &str) -> f64 {
    value
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn base_row(cluster: &str, name: &str, id: i64, addr: &str, kv: &KvTable) -> Vec<String> {
    let now = ferrocket::protocol::body::now_millis();
    let hours = get(kv, "earliestMessageTimeStamp")
        .parse::<i64>()
        .map(|t| (now - t) as f64 / 1000.0 / 60.0 / 60.0)
        .unwrap_or(0.0);
    let space = get(kv, "commitLogDiskRatio").parse::<f64>().unwrap_or(0.0);
    vec![
        cluster.to_string(),
        name.to_string(),
        id.to_string(),
        addr.to_string(),
        get(kv, "brokerVersionDesc").to_string(),
        format!(
            "{:.2}({},{}ms)",
            first_number(get(kv, "putTps")),
            get(kv, "sendThreadPoolQueueSize"),
            get(kv, "sendThreadPoolQueueHeadWaitTimeMills")
        ),
        format!(
            "{:.2}({},{}ms)",
            first_number(get(kv, "getTransferedTps")),
            get(kv, "pullThreadPoolQueueSize"),
            get(kv, "pullThreadPoolQueueHeadWaitTimeMills")
        ),
        get(kv, "pageCacheLockTimeMills").to_string(),
        format!("{hours:.2}"),
        format!("{space:.4}"),
    ]
}

/// The four totals of `-m`, computed in mqadmin's order: a missing or non-numeric key leaves
/// that total and the ones after it at 0 (Java's `parseLong` throws and the rest stay 0).
fn more_stats(kv: &KvTable) -> [i64; 4] {
    let n = |key: &str| get(kv, key).parse::<i64>().ok();
    let spans = [
        ("msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning"),
        ("msgGetTotalYesterdayMorning", "msgGetTotalTodayMorning"),
        ("msgPutTotalTodayMorning", "msgPutTotalTodayNow"),
        ("msgGetTotalTodayMorning", "msgGetTotalTodayNow"),
    ];
    let mut totals = [0i64; 4];
    for (total, (from, to)) in totals.iter_mut().zip(spans) {
        match (n(to), n(from)) {
            (Some(to), Some(from)) => *total = to.wrapping_sub(from),
            _ => break,
        }
    }
    totals
}

fn more_stats_row(cluster: &str, name: &str, kv: &KvTable) -> Vec<String> {
    let mut row = vec![cluster.to_string(), name.to_string()];
    row.extend(more_stats(kv).iter().map(i64::to_string));
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_stats_stop_at_the_first_unreadable_key() {
        let mut kv = KvTable::default();
        for (k, v) in [
            ("msgPutTotalYesterdayMorning", "10"),
            ("msgPutTotalTodayMorning", "25"),
            ("msgGetTotalYesterdayMorning", "4"),
            ("msgGetTotalTodayMorning", "9"),
            ("msgPutTotalTodayNow", "31"),
            ("msgGetTotalTodayNow", "12"),
        ] {
            kv.table.insert(k.to_string(), v.to_string());
        }
        assert_eq!(more_stats(&kv), [15, 5, 6, 3]);
        kv.table.insert("msgPutTotalTodayNow".into(), "x".into());
        assert_eq!(more_stats(&kv), [15, 5, 0, 0]);
        assert_eq!(more_stats(&KvTable::default()), [0, 0, 0, 0]);
    }
}
