use std::process::ExitCode;
use std::sync::Arc;

use bulletin::cli::Command;
use bulletin::clock::{Clock, SystemClock};
use clap::Parser;

/// Parse the command line and hand it, with the one clock the program reads, to the daemon
/// (`bulletin run`) or to the command.
fn main() -> ExitCode {
    bulletin::cli::quiet_on_closed_pipe();
    let cli = bulletin::cli::Cli::parse();
    bulletin::cli::init_logging(cli.log_format);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let result = match cli.command {
        Command::Run => bulletin::cli::runtime().and_then(|rt| {
            rt.block_on(bulletin::daemon::run(
                cli.config,
                bulletin::config::Env::from_process(),
                clock,
            ))
        }),
        _ => bulletin::cli::run(cli, clock),
    };
    match result {
        Ok(code) => code,
        Err(e) if bulletin::cli::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
