//! The `refcodes` binary's whole life: parse, configure, log, then the command or, with none, the dashboard.

use super::{Setup, output};
use std::process::ExitCode;

pub fn main() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("refcodes: {err}");
    }
    let setup = match Setup::from_args() {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let _log = crate::logging::init(&setup.config, setup.database_url().ok().as_deref());
    if setup.cli.command.is_none() {
        crate::tui::keep_memory_low();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("refcodes: can't start the async runtime: {err}");
            return ExitCode::from(3);
        }
    };
    match &setup.cli.command {
        Some(command) => runtime.block_on(super::run(&setup, command)),
        None => runtime.block_on(dashboard(&setup)),
    }
}

/// No command: the dashboard on the configured database, as the operator.
async fn dashboard(setup: &Setup) -> ExitCode {
    // Before the database is opened: a run that can't show the dashboard changes nothing.
    if let Some(why) = crate::tui::refusal() {
        eprintln!("refcodes: {why}");
        return ExitCode::from(2);
    }
    let (service, signed) = match setup.open_service(true, setup.cli.read_only).await {
        Ok(opened) => opened,
        Err(err) => return output::report(&err, false),
    };
    let outcome = crate::tui::run(service.clone(), &setup.config.dashboard, &signed).await;
    service.close().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            eprintln!("refcodes: {report:?}");
            ExitCode::from(3)
        }
    }
}
