use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    bulletin::cli::quiet_on_closed_pipe();
    let cli = bulletin::cli::Cli::parse();
    bulletin::cli::init_logging(cli.log_format);
    match bulletin::cli::run(cli) {
        Ok(code) => code,
        Err(e) if bulletin::cli::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
