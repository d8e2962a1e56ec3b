//! `ferrocket namesrv`: Java `NamesrvStartup` (`mqnamesrv -c file -p -n addr`).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use ferrocket::config::{properties, JavaConfig};
use ferrocket::namesrv::server::NamesrvServer;
use ferrocket::namesrv::{Namesrv, NamesrvSettings};

/// The flags of Java's `mqnamesrv`.
#[derive(Debug, Args)]
pub struct NamesrvArgs {
    /// Name server config properties file
    #[arg(short = 'c', long = "configFile", value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// Print all config items
    #[arg(short = 'p', long = "printConfigItem")]
    print_config_item: bool,
    /// Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876' (accepted, unused: a
    /// NameServer has no such setting)
    #[arg(short = 'n', long = "namesrvAddr", value_name = "ADDR")]
    namesrv_addr: Option<String>,
}

pub fn run(args: NamesrvArgs) -> ExitCode {
    super::init_logging();
    let mut settings = NamesrvSettings::default();
    if let Some(file) = &args.config_file {
        let text = match std::fs::read(file) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                eprintln!("cannot read config file {}: {e}", file.display());
                // Java dies with the FileNotFoundException's stack trace and exit(-1).
                return ExitCode::from(255);
            }
        };
        settings.apply_file_properties(&properties::parse(&text));
        settings.namesrv.config_store_path = file.to_string_lossy().into_owned();
        println!("load config properties file OK, {}", file.display());
    }

    if args.print_config_item {
        for (key, value) in settings
            .namesrv
            .entries()
            .into_iter()
            .chain(settings.server.entries())
        {
            println!("{key}={value}");
        }
        return ExitCode::SUCCESS;
    }
    if let Some(addr) = &args.namesrv_addr {
        tracing::debug!(namesrv_addr = %addr, "-n has no meaning for a NameServer; ignored");
    }
    if settings.namesrv.rocketmq_home.is_none() {
        // Java refuses to start without it (it needs $ROCKETMQ_HOME/conf/logback_namesrv.xml);
        // ferrocket logs through RUST_LOG and does not need it.
        tracing::warn!("ROCKETMQ_HOME is not set; rocketmqHome stays unset");
    }

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
    runtime.block_on(serve(settings))
}

async fn serve(settings: NamesrvSettings) -> ExitCode {
    let shutdown = super::shutdown_signal();
    let port = settings.server.listen_port;
    let Ok(port) = u16::try_from(port) else {
        eprintln!("listenPort {port} is not a TCP port");
        return ExitCode::FAILURE;
    };
    for (key, value) in settings
        .namesrv
        .entries()
        .into_iter()
        .chain(settings.server.entries())
    {
        tracing::info!("{key}={value}");
    }
    let ns = Arc::new(Namesrv::new(settings));
    let server =
        match NamesrvServer::start(ns, SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("cannot listen on port {port}: {e}");
                return ExitCode::FAILURE;
            }
        };
    // Java prints RemotingCommand's configured serialize type; ferrocket answers every request
    // in the request's own type, like Java, and its default is JSON like Java's.
    let serialize_type = match std::env::var("ROCKETMQ_SERIALIZE_TYPE") {
        Ok(t) if t == "ROCKETMQ" => "ROCKETMQ",
        _ => "JSON",
    };
    println!("The Name Server boot success. serializeType={serialize_type}");

    shutdown.await;
    tracing::info!("shutdown signal received, stopping the NameServer");
    server.shutdown().await;
    ExitCode::SUCCESS
}
