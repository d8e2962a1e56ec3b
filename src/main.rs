//! The `ferrocket` binary: one subcommand per Java launcher (`mqnamesrv` -> `ferrocket namesrv`).

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
