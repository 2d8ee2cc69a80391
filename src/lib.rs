//! refcodes: the PhoenixKit referral codes system as a library, a scriptable CLI and a terminal dashboard,
//! over SQLite (embedded default), PostgreSQL, or a PhoenixKit application's own database.
//!
//! Dependencies point one way: `cli`/`tui` → `service` → `store` → `domain`. The library's surface is `domain`,
//! `service` and what configuring a service needs (`config`, `error`), and the dashboard (`tui`) for embedding;
//! the store is reached only through the service, and the command line only through the binary (`binary_main`).
//!
//! # Where things are
//! - `domain/`: the rules, pure (no I/O; time is passed in). A code and its computed status (`code.rs`,
//!   `status.rs`), the field rules (`validate.rs`), new and changed codes checked (`draft.rs`), expiry as typed
//!   (`expiry.rs`), random codes (`generate.rs`), row ids (`ids.rs`), settings, error kinds, doctor's findings,
//!   text helpers shared by the faces (`text.rs`), on-call windows, shares of a limit and sparklines (`window.rs`),
//!   a CSV file of codes read into rows (`import.rs`).
//! - `store/`: every SQL statement. `layout.rs` describes the database (refcodes' own schema or a PhoenixKit
//!   generation) and names its tables and keys; `attach.rs` recognises and checks a PhoenixKit database;
//!   `migrate.rs` keeps refcodes' own schema; `sql.rs` builds and runs queries; `db.rs` opens pools and write
//!   transactions. Then one file per job: `codes.rs`, `page.rs` (the list's window), `redeem.rs` (a redemption's
//!   writes), `usage.rs`, `users.rs`, `settings.rs`, `stats.rs`, `doctor.rs`.
//! - `service/`: the API, one file per area, and who may do what (`access.rs`, `mod.rs`); SQLite redemptions in
//!   batches (`redeemer.rs`); the monitoring check and OpenMetrics text (`monitoring.rs`); an import checked, then
//!   applied in one transaction (`import.rs`); exports as streams (`export.rs`); progress of long work
//!   (`progress.rs`).
//! - `cli/`: the command line (`args.rs`), one file per group of commands (`oncall.rs`: `stats`, `check`, `metrics`
//!   and its HTTP listener; `import.rs`: `codes import`), output and exit codes (`output.rs`), completions and the
//!   manual page (`shell.rs`), the progress bar (`progress.rs`), questions and Ctrl-C (`confirm.rs`).
//! - `tui/`: the dashboard in the Elm architecture: `model.rs`, `msg.rs`, `update/`, `view/`, `effects.rs` (the only
//!   I/O), `terminal.rs` (the loop), `keymap.rs`, `theme.rs`, `layout.rs`.
//! - `config.rs` (defaults, file, environment), `logging.rs`, `error.rs`.

mod cli;
pub mod config;
pub mod domain;
pub mod error;
mod logging;
pub mod service;
mod store;
pub mod tui;

pub use cli::binary::main as binary_main;
pub use error::{Error, Result};
pub use service::Service;
