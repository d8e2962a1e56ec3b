//! `ferrocket bench produce|consume`: the load generator (see `ferrocket::bench`).

use std::process::ExitCode;

use ferrocket::bench::BenchArgs;

pub fn run(args: BenchArgs) -> ExitCode {
    super::init_logging();
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(ferrocket::bench::run(args)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
