//! The command-line face: parse, open the service as the operator, run one command, report.

mod admin;
pub mod args;
pub mod binary;
mod codes;
mod confirm;
mod doctor;
mod export;
mod history;
mod import;
pub mod oncall;
pub mod output;
mod progress;
mod shell;
mod usage;

use crate::config::{Config, Sources};
use crate::domain::audit::{Face, HistoryFilter};
use crate::error::{Error, Result};
use crate::service::{DemoInput, NewUserInput, Service, SignIn, default_operator_email};
use args::{Cli, Command};
use clap::{CommandFactory, Parser};
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
        // Before any database is opened: a bad configuration stops every command with exit 2 (a check: 3).
        match Config::load(&Sources::of_process(cli.config.clone())) {
            Ok(config) => Ok(Setup { cli, config }),
            Err(err) if matches!(cli.command, Some(Command::Check(_))) => Err(oncall::unknown(&err.to_string())),
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

    /// Opens the service, read-only when `read_only` says so, and signs the operator in. Only the dashboard's first
    /// start (`dashboard`) makes a database with no users its first Owner; a command never does (`refcodes init`
    /// is the command for it).
    pub async fn open_service(&self, dashboard: bool, read_only: bool) -> Result<(Service, SignIn)> {
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
        let face = if dashboard { Face::Dashboard } else { Face::Cli };
        let service = Service::from_config(&config, &url, read_only).await?.with_face(face);
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
    // A monitoring plugin's bad command line is UNKNOWN (3), with a status line like any other answer.
    let check =
        Cli::command().ignore_errors(true).try_get_matches().is_ok_and(|m| m.subcommand_name() == Some("check"));
    // The error's first paragraph on one line, without clap's usage and tips that follow it.
    let text = err.render().to_string();
    let paragraph: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    let joined = paragraph.join(" ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    if check && !asked {
        return oncall::unknown(&format!("bad command line: {message}"));
    }
    if asked || !std::env::args_os().any(|a| a == "--json") {
        let _ = err.print();
        return if asked { ExitCode::SUCCESS } else { ExitCode::from(2) };
    }
    output::print_error_doc(&serde_json::json!({"error": "usage", "message": message}));
    ExitCode::from(2)
}

/// Runs a command and turns the outcome into the exit status of the contract.
pub async fn run(setup: &Setup, command: &Command) -> ExitCode {
    if let Command::Check(args) = command {
        return check(setup, args).await;
    }
    let json = setup.cli.json;
    // Completions and the manual page describe the command line: no configuration's database is opened.
    if let Some(written) = shell::print(command) {
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => output::report_failure(&err.into(), json),
        };
    }
    // Monitoring only reads: it opens the database read-only, so it never creates, migrates or changes one.
    let read_only = setup.cli.read_only || matches!(command, Command::Metrics { .. });
    let result = async {
        let (service, signed) = setup.open_service(false, read_only).await?;
        let service = match progress::on_terminal(json) {
            Some(bar) => service.with_progress(bar),
            None => service,
        };
        let mut out = Out::stdout();
        // Ctrl-C drops the command, and with it any open transaction, which rolls back: nothing of it is written.
        // A metrics server takes Ctrl-C as its way to stop, and ends with success.
        let outcome = if matches!(command, Command::Metrics { listen: Some(_), .. }) {
            dispatch(&service, &mut out, command, json).await
        } else {
            tokio::select! {
                outcome = dispatch(&service, &mut out, command, json) => outcome,
                () = confirm::interrupted() => Err(output::Failure::Interrupted),
            }
        };
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
        Command::Stats { since, top } => oncall::stats(service, out, *since, *top, json).await,
        Command::Metrics { top, near_limit, listen: None } => oncall::metrics(service, out, *top, *near_limit).await,
        Command::Metrics { top, near_limit, listen: Some(addr) } => {
            Ok(oncall::serve(service, *addr, *top, *near_limit).await?)
        }
        // Run by `check` itself, for its own exit statuses.
        Command::Check(_) => Ok(()),
        Command::Doctor { fix, yes, indexes } => {
            if *indexes {
                doctor::indexes(service, out, json).await
            } else {
                doctor::doctor(service, out, fix.is_some(), *yes, json).await
            }
        }
        Command::Export { what, format, since, filter } => {
            // --json promises one JSON document on stdout, whatever --format says.
            let format = if json { args::ExportFormat::Json } else { *format };
            export::export(service, out, *what, format, *since, &filter.filter()).await
        }
        Command::History { code, since, operator, action, bulk, limit } => {
            let filter = HistoryFilter {
                code: code.clone(),
                since: *since,
                operator: operator.clone(),
                action: action.map(|a| a.as_str()),
                bulk_id: bulk.clone(),
            };
            history::history(service, out, &filter, *limit, json).await
        }
        // Printed by `run` before any database is opened.
        Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}

/// `check`: exit 0 OK, 1 WARNING, 2 CRITICAL as it finds, and 3 UNKNOWN for any failure to decide.
async fn check(setup: &Setup, args: &args::CheckArgs) -> ExitCode {
    let (service, _) = match setup.open_service(false, true).await {
        Ok(opened) => opened,
        Err(err) => return oncall::unknown(&err.to_string()),
    };
    let checked = service.check(&args.thresholds()).await;
    service.close().await;
    let (verdict, lines) = match checked {
        Ok(checked) => checked,
        Err(err) => return oncall::unknown(&err.to_string()),
    };
    let mut out = Out::stdout();
    let written = lines.iter().try_for_each(|line| out.line(line)).and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::from(verdict as u8),
        // Nobody reads a status that could not be written; the exit status still says it could not be told.
        Err(_) => ExitCode::from(crate::service::Verdict::Unknown as u8),
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
