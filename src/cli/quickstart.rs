//! `ferrocket quickstart`: a NameServer and a Broker in one process, on the default ports
//! (9876, 10911) with the store in `./store` — the quickest way to a working RocketMQ.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ferrocket::broker::runtime::{self, boot_line};
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Store directory (storePathRootDir)
    #[arg(long, default_value = "./store")]
    store: PathBuf,
    /// NameServer port
    #[arg(long, default_value_t = 9876)]
    namesrv_port: u16,
    /// Broker remoting port (the VIP port is this - 2, HA this + 1)
    #[arg(long, default_value_t = 10911)]
    broker_port: u16,
    /// The address the broker advertises to clients
    #[arg(long, default_value = "127.0.0.1")]
    broker_ip: String,
    /// A broker.conf to apply first (Java keys); the flags above override it
    #[arg(short = 'c', long = "configFile", value_name = "FILE")]
    config_file: Option<PathBuf>,
}

pub fn run(args: QuickstartArgs) -> ExitCode {
    super::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: QuickstartArgs) -> ExitCode {
    let mut ns_settings = NamesrvSettings::default();
    ns_settings.server.listen_port = args.namesrv_port as i32;
    let namesrv = match NamesrvServer::start(
        Arc::new(Namesrv::new(ns_settings)),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, args.namesrv_port)),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on port {}: {e}", args.namesrv_port);
            return ExitCode::FAILURE;
        }
    };
    println!("The Name Server boot success. serializeType=JSON");

    let store = std::path::absolute(&args.store).unwrap_or(args.store.clone());
    let overrides = vec![
        (
            "namesrvAddr".to_string(),
            format!("127.0.0.1:{}", args.namesrv_port),
        ),
        ("brokerIP1".to_string(), args.broker_ip.clone()),
        ("brokerIP2".to_string(), args.broker_ip.clone()),
    ];
    let props = match &args.config_file {
        Some(file) => match std::fs::read(file) {
            Ok(bytes) => ferrocket::config::properties::parse(&String::from_utf8_lossy(&bytes)),
            Err(e) => {
                eprintln!("cannot read config file {}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        },
        None => Vec::new(),
    };
    let mut props = props;
    props.push(("listenPort".to_string(), args.broker_port.to_string()));
    props.push((
        "storePathRootDir".to_string(),
        store.to_string_lossy().into_owned(),
    ));
    props.push((
        "storePathCommitLog".to_string(),
        store.join("commitlog").to_string_lossy().into_owned(),
    ));
    let settings =
        match ferrocket::broker::settings::BrokerSettings::from_properties(&props, &overrides) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
    let broker = match runtime::start(settings).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("broker start failed: {e}");
            namesrv.shutdown().await;
            return ExitCode::FAILURE;
        }
    };
    println!("{}", boot_line(&broker.broker));

    super::shutdown_signal().await;
    tracing::info!("shutdown signal received, stopping");
    broker.shutdown().await;
    namesrv.shutdown().await;
    ExitCode::SUCCESS
}
