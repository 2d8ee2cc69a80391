//! The `refcodes` binary: the dashboard with no command, the CLI with one.

use refcodes::cli::{self, Setup};
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("refcodes: {err}");
    }
    let setup = match Setup::from_args() {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let _log = refcodes::logging::init(&setup.config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("refcodes: can't start the async runtime: {err}");
            return ExitCode::from(3);
        }
    };
    match &setup.cli.command {
        Some(command) => runtime.block_on(cli::run(&setup, command)),
        None => {
            use clap::CommandFactory;
            let _ = cli::args::Cli::command().print_help();
            ExitCode::SUCCESS
        }
    }
}
