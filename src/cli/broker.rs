//! `ferrocket broker`: Java `BrokerStartup` (`mqbroker -c broker.conf -n ns -p -m`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ferrocket::broker::runtime::{self, boot_line};
use ferrocket::broker::settings::BrokerSettings;

/// The flags of Java's `mqbroker`.
#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Broker config properties file
    #[arg(short = 'c', long = "configFile", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
    #[arg(short = 'n', long = "namesrvAddr", value_name = "ADDR")]
    pub namesrv_addr: Option<String>,
    /// Print all config items
    #[arg(short = 'p', long = "printConfigItem")]
    pub print_config_item: bool,
    /// Print important config items
    #[arg(short = 'm', long = "printImportantConfig")]
    pub print_important_config: bool,
}

impl BrokerArgs {
    /// The settings as Java builds them: the file, then `-n`.
    pub fn settings(&self) -> Result<BrokerSettings, String> {
        let overrides: Vec<(String, String)> = self
            .namesrv_addr
            .iter()
            .map(|n| ("namesrvAddr".to_string(), n.clone()))
            .collect();
        BrokerSettings::load(self.config_file.as_deref(), &overrides).map_err(|e| e.to_string())
    }
}

pub fn run(args: BrokerArgs) -> ExitCode {
    super::init_logging();
    let settings = match args.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(253);
        }
    };
    if args.print_config_item || args.print_important_config {
        print!("{}", ferrocket::config::render(&settings.configs()));
        return ExitCode::SUCCESS;
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
    runtime.block_on(async move {
        let running = match runtime::start(settings).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("broker start failed: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", boot_line(&running.broker));
        super::shutdown_signal().await;
        tracing::info!("shutdown signal received, stopping the broker");
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}
