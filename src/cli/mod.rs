//! Command-line entry points. Each subcommand takes the flags of the Java launcher it replaces.

mod admin;
mod bench;
mod broker;
mod namesrv;
mod quickstart;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ferrocket",
    version,
    about = "RocketMQ 4.9.7-compatible NameServer and Broker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The NameServer (Java `mqnamesrv`).
    Namesrv(namesrv::NamesrvArgs),
    /// A Broker, master or slave by its config (Java `mqbroker`).
    Broker(broker::BrokerArgs),
    /// A NameServer and a Broker in one process on the default ports, store in ./store.
    Quickstart(quickstart::QuickstartArgs),
    /// Load generator: produce or consume, with latency percentiles.
    Bench(ferrocket::bench::BenchArgs),
    /// Cluster administration, as Java `mqadmin` (clusterList, topicList, updateTopic, ...).
    Admin(admin::AdminArgs),
}

/// Parses the command line and runs the subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Namesrv(args) => namesrv::run(args),
        Command::Broker(args) => broker::run(args),
        Command::Quickstart(args) => quickstart::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Admin(args) => admin::run(args),
    }
}

/// The multi-threaded tokio runtime every long-running subcommand runs on; on failure the
/// message is printed and the exit code returned.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("cannot start the runtime: {e}");
            ExitCode::FAILURE
        })
}

/// Logging to stderr, filtered by `RUST_LOG` (default `info`). Stdout is kept for the lines
/// Java prints there (boot banner, `-p` output), which scripts grep for.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A future resolving on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed by this call,
/// not on first poll, so a signal arriving right after start-up is not missed (it would
/// otherwise kill the process with the default action). Call it inside the runtime.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
