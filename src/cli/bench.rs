//! `ferrocket bench produce|consume`: the load generator (see `ferrocket::bench`).

use std::process::ExitCode;

use ferrocket::bench::BenchArgs;

pub fn run(args: BenchArgs) -> ExitCode {
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
    match runtime.block_on(ferrocket::bench::run(args)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
