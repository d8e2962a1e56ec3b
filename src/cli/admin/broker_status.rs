//! `brokerStatus`: a broker's GET_BROKER_RUNTIME_INFO table sorted by key (`-b`), or that of
//! every broker of a cluster (`-c`, each line prefixed with the broker's address).

use std::io::Write;

use super::{Admin, AdminError, AdminResult};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct Args {
    /// Broker address
    #[arg(short = 'b', long = "brokerAddr")]
    broker_addr: Option<String>,
    /// which cluster
    #[arg(short = 'c', long = "clusterName")]
    cluster_name: Option<String>,
}

pub async fn run(admin: &Admin, args: Args, out: &mut impl Write) -> AdminResult {
    if let Some(addr) = args.broker_addr.as_deref().map(str::trim) {
        return print_stats(admin, addr, false, out).await;
    }
    let cluster = args.cluster_name.as_deref().map(str::trim).unwrap_or("");
    let info = admin.cluster_info().await?;
    let mut addrs = info.all_addrs_of_cluster(cluster);
    if addrs.is_empty() {
        return Err(AdminError::new(format!("no broker in cluster [{cluster}]")));
    }
    addrs.sort();
    for addr in addrs {
        // One broker down does not hide the others (mqadmin goes on too).
        if let Err(e) = print_stats(admin, &addr, true, out).await {
            eprintln!("{addr}: {e}");
        }
    }
    Ok(())
}

async fn print_stats(
    admin: &Admin,
    addr: &str,
    with_addr: bool,
    out: &mut impl Write,
) -> AdminResult {
    let kv = admin.runtime_info(addr).await?;
    // KvTable is a BTreeMap: sorted by key, as mqadmin's TreeMap; mqadmin's `%-32s: %s`.
    for (key, value) in &kv.table {
        if with_addr {
            writeln!(out, "{addr:<24} {key:<32}: {value}")?;
        } else {
            writeln!(out, "{key:<32}: {value}")?;
        }
    }
    Ok(())
}
