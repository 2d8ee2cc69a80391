//! The command-line face: parse, open the service as the operator, run one command, report.

mod admin;
pub mod args;
pub mod binary;
mod codes;
mod confirm;
mod doctor;
mod export;
pub mod output;
mod usage;

use crate::config::{Config, Sources};
use crate::error::{Error, Result};
use crate::service::{DemoInput, NewUserInput, Service, SignIn, default_operator_email};
use args::{Cli, Command};
use clap::Parser;
use output::{Out, Outcome};
use std::io::Write;
use std::process::ExitCode;

/// What the binary does with a parsed command line; `None` as the command opens the dashboard.
pub struct Setup {
    pub cli: Cli,
    pub config: Config,
}

impl Setup {
    pub fn from_args() -> std::result::Result<Setup, ExitCode> {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(err) => return Err(bad_command_line(err)),
        };
        // Before any database is opened: a bad configuration stops every command with exit 2.
        match Config::load(&Sources::of_process(cli.config.clone())) {
            Ok(config) => Ok(Setup { cli, config }),
            Err(err) => Err(output::report(&err, cli.json)),
        }
    }

    /// The database to act on: `--database-url` (or its variable), else the configuration's.
    pub fn database_url(&self) -> Result<String> {
        match &self.cli.database_url {
            Some(url) if !url.trim().is_empty() => Ok(url.trim().to_string()),
            _ => self.config.database_url(),
        }
    }

    /// Opens the service and signs the operator in. Only the dashboard's first start (`dashboard`) makes a
    /// database with no users its first Owner; a command never does (`refcodes init` is the command for it).
    pub async fn open_service(&self, dashboard: bool) -> Result<(Service, SignIn)> {
        let url = self.database_url()?;
        let mut config = self.config.clone();
        if !dashboard {
            // A command runs one statement or transaction at a time: one connection is all it needs, so a
            // hundred scripts at once don't exhaust a PostgreSQL server's connections.
            config.database.max_connections = 1;
        }
        if let Some(schema) = self.cli.schema.as_deref().filter(|s| !s.trim().is_empty()) {
            config.database.schema = schema.to_string();
        }
        let service = Service::from_config(&config, &url, self.cli.read_only).await?;
        let email = self
            .cli
            .operator
            .clone()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| Some(self.config.operator.email.clone()).filter(|e| !e.trim().is_empty()))
            .unwrap_or_else(default_operator_email);
        let signed = if dashboard {
            service.sign_in_or_make_first_owner(&email).await?
        } else {
            service.sign_in(&email).await?
        };
        if signed.operator.is_none() {
            tracing::info!(email = %signed.email, "operator is not a user; read-only");
        }
        Ok((service.signed_in(&signed), signed))
    }
}

/// A command line clap refused: with `--json` anywhere in it, the contract's JSON error on stdout and exit 2;
/// otherwise clap's own report (help and version requests print and succeed).
fn bad_command_line(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let asked = matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if asked || !std::env::args_os().any(|a| a == "--json") {
        let _ = err.print();
        return if asked { ExitCode::SUCCESS } else { ExitCode::from(2) };
    }
    // The error's first paragraph on one line, without clap's usage and tips that follow it.
    let text = err.render().to_string();
    let paragraph: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    let joined = paragraph.join(" ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    output::print_error_doc(&serde_json::json!({"error": "usage", "message": message}));
    ExitCode::from(2)
}

/// Runs a command and turns the outcome into the exit status of the contract.
pub async fn run(setup: &Setup, command: &Command) -> ExitCode {
    let json = setup.cli.json;
    let result = async {
        let (service, signed) = setup.open_service(false).await?;
        let mut out = Out::stdout();
        let outcome = dispatch(&service, &mut out, command, json).await;
        service.close().await;
        outcome?;
        // The application's calls need no operator; anything else done by an unknown one was a read, so say why
        // it could only read (a write was refused with the same words).
        let needs_operator = !matches!(command, Command::Init { .. } | Command::Use { .. } | Command::Register { .. });
        if let Some(unknown) = signed.unknown_operator(service.is_phoenix_kit()).filter(|_| needs_operator) {
            output::note(&format!("refcodes: {unknown} (reading only)"));
        }
        Ok(out.flush()?)
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => output::report_failure(&failure, json),
    }
}

async fn dispatch(service: &Service, out: &mut Out, command: &Command, json: bool) -> Outcome {
    match command {
        Command::Init { owner } => admin::init(service, out, owner, json).await,
        Command::Migrate => admin::migrate(service, out, json),
        Command::Settings(cmd) => admin::settings(service, out, cmd, json).await,
        Command::Users(cmd) => admin::users(service, out, cmd, json).await,
        Command::Demo { users, codes, days, yes } => {
            admin::demo(service, out, &DemoInput { users: *users, codes: *codes, days: *days }, *yes, json).await
        }
        Command::Codes(cmd) => codes::run(service, out, cmd, json).await,
        Command::Use { code, user } => usage::use_code(service, out, code, user, json).await,
        Command::Register { email, code, names } => {
            usage::register(service, out, user_input(email, names, None), code.as_deref(), json).await
        }
        Command::Stats => usage::stats(service, out, json).await,
        Command::Doctor { fix, yes, indexes } => {
            if *indexes {
                doctor::indexes(service, out, json).await
            } else {
                doctor::doctor(service, out, fix.is_some(), *yes, json).await
            }
        }
        Command::Export { what, format } => {
            // --json promises one JSON document on stdout, whatever --format says.
            let format = if json { args::ExportFormat::Json } else { *format };
            export::export(service, out, *what, format).await
        }
    }
}

/// A user as the command line names one.
fn user_input(email: &str, names: &args::UserNames, role: Option<crate::domain::user::Role>) -> NewUserInput {
    NewUserInput {
        email: email.to_string(),
        username: names.username.clone(),
        first_name: names.first_name.clone(),
        last_name: names.last_name.clone(),
        role,
    }
}

/// A refusal for a bad value on the command line, in the error type of the library.
fn bad_value(field: &'static str, message: String) -> Error {
    crate::domain::Refusal::field(field, message).into()
}
