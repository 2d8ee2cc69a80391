//! The spec's API: the only door to the store. Every mutating call checks who is acting here, not in the UI.

mod access;
mod audit;
mod bulk;
mod codes;
mod demo;
mod doctor;
mod export;
mod import;
mod monitoring;
mod progress;
mod redeemer;
mod registration;
mod sample;
mod settings;
mod usage;
mod users;

pub use access::{SignIn, default_operator_email};
pub use audit::HistoryPage;
pub use codes::{BulkOutcome, CodePage, Deleted, GenerateInput, Tally};
pub use demo::{DemoInput, DemoOutcome};
pub use doctor::SuggestedIndex;
pub use import::{ImportPlan, ImportReport};
pub use monitoring::{CheckThresholds, Verdict};
pub use progress::Progress;
pub use registration::{Registered, Registration};
pub use users::NewUserInput;

use crate::config::Config;
use crate::domain::Refusal;
use crate::domain::audit::Face;
use crate::domain::draft::CodeDefaults;
use crate::domain::user::Operator;
use crate::error::{Error, Result};
use crate::store::{Backend, ConnectOptions, Db, Tx, mask_url};
use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;
use std::time::Duration;

/// What SQLite's page caches keep together in a process that calls [`Service::keep_memory_low`]: the operating
/// system caches the file's pages anyway, so more saves only copies. At a million codes the dashboard's peak RSS
/// after its field filters fell from 51 to 29 MB with it, its reads as fast (BENCHMARKS.md).
const PAGE_CACHES: u64 = 8 << 20;

/// Prepared statements each read connection keeps in a process that calls [`Service::keep_memory_low`], instead
/// of sqlx's 100: the dashboard's peak RSS at a million codes fell from 35.9-38.9 MB to 32.9-34.1 MB with 10, its
/// reads as fast (BENCHMARKS.md); a statement that was let go is prepared again.
const STATEMENTS_KEPT: usize = 10;

/// Where the service reads the time, so tests can fix it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Milliseconds: what both databases keep alike.
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock that stands still until told to move: for tests and reproducible runs.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::Mutex::new(at.trunc_subsecs(3)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at.trunc_subsecs(3);
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Everything the service needs besides the database.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    pub defaults: CodeDefaults,
    pub generate_attempts: u32,
    pub read_only: bool,
    /// The PostgreSQL schema of the tables (`public` when `None`).
    pub schema: Option<String>,
    /// Where changes come from, as the audit trail records it: the command line and the dashboard say so.
    pub face: Face,
}

impl ServiceOptions {
    pub fn from_config(config: &Config, read_only: bool) -> ServiceOptions {
        ServiceOptions {
            defaults: CodeDefaults {
                length: config.codes.length,
                expiry_days: config.codes.expiry_days,
                max_uses: config.codes.max_uses,
            },
            generate_attempts: config.codes.generate_attempts.max(1),
            read_only,
            schema: Some(config.database.schema.clone()).filter(|s| !s.trim().is_empty()),
            face: Face::default(),
        }
    }
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            defaults: CodeDefaults::default(),
            generate_attempts: 10,
            read_only: false,
            schema: None,
            face: Face::default(),
        }
    }
}

/// The referral codes service. Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct Service {
    db: Db,
    url: String,
    clock: Arc<dyn Clock>,
    options: ServiceOptions,
    operator: Option<Operator>,
    /// Why there is no operator, when one was named but is not a user (see [`SignIn::unknown_operator`]).
    unknown_operator: Option<String>,
    /// SQLite: redemptions written in batches (see [`redeemer`]).
    redeemer: Option<Arc<redeemer::Redeemer>>,
    /// Told how far long work got (see [`Service::with_progress`]).
    progress: Option<Arc<dyn Progress>>,
    /// Changes record audit events; off only for benchmarks (see [`Service::without_audit`]).
    record_audit: bool,
}

impl Service {
    /// Connects to `url` and learns what it holds. refcodes' own schema is created or brought up to date (unless
    /// read-only); a PhoenixKit database is checked for every column refcodes needs and never changed in structure.
    pub async fn open(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
        options: ServiceOptions,
    ) -> Result<Service> {
        let connect = ConnectOptions {
            url: url.to_string(),
            max_connections,
            busy_timeout,
            read_only: options.read_only,
            schema: options.schema.clone(),
        };
        let db = Db::connect(&connect).await?;
        // A URL can ask for read-only too (SQLite's `?mode=ro`): the service then refuses writes itself.
        let options = ServiceOptions { read_only: options.read_only || db.is_read_only(), ..options };
        if !options.read_only {
            db.migrate().await?;
        }
        let redeemer = (db.layout().backend == Backend::Sqlite).then(|| Arc::new(redeemer::Redeemer::new(db.clone())));
        Ok(Service {
            db,
            url: url.to_string(),
            clock: Arc::new(SystemClock),
            options,
            operator: None,
            unknown_operator: None,
            redeemer,
            progress: None,
            record_audit: true,
        })
    }

    /// Opens the database the configuration names.
    pub async fn from_config(config: &Config, url: &str, read_only: bool) -> Result<Service> {
        Service::open(
            url,
            config.database.max_connections,
            Duration::from_millis(config.database.busy_timeout_ms),
            ServiceOptions::from_config(config, read_only),
        )
        .await
    }

    /// The same service reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Service {
        self.clock = clock;
        self
    }

    /// The same service telling `progress` how far long work (demo, generate, import, doctor) got.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Service {
        self.progress = Some(progress);
        self
    }

    /// Where long work reports; nowhere unless [`Service::with_progress`] said.
    pub fn progress(&self) -> &dyn Progress {
        self.progress.as_deref().unwrap_or(&progress::Quiet)
    }

    /// The same service recording changes as coming from `face`.
    pub fn with_face(mut self, face: Face) -> Service {
        self.options.face = face;
        self
    }

    /// The same service recording no audit events, nor reading the old values they would hold: the bulk action
    /// as it would be without a trail, for measuring what recording costs (`examples/bench_audit.rs`), not reachable from the command line, the dashboard or the configuration.
    #[doc(hidden)]
    pub fn without_audit(mut self) -> Service {
        self.record_audit = false;
        self
    }

    /// The same service acting as `operator`.
    pub fn with_operator(mut self, operator: Option<Operator>) -> Service {
        self.operator = operator;
        self
    }

    /// The same service acting as whoever signed in; an unknown operator's writes are refused naming them.
    pub fn signed_in(mut self, signed: &SignIn) -> Service {
        self.unknown_operator = signed.unknown_operator(self.is_phoenix_kit());
        self.operator = signed.operator.clone();
        self
    }

    pub fn operator(&self) -> Option<&Operator> {
        self.operator.as_ref()
    }

    pub fn is_read_only(&self) -> bool {
        self.options.read_only
    }

    /// Whether the operator may change codes, users and settings.
    pub fn can_administer(&self) -> bool {
        !self.options.read_only && self.operator.as_ref().is_some_and(Operator::is_admin)
    }

    pub fn defaults(&self) -> CodeDefaults {
        self.options.defaults
    }

    /// The database URL with any password masked.
    pub fn database_label(&self) -> String {
        mask_url(&self.url)
    }

    /// What the database is: "PhoenixKit V180 · UUID keys · schema auth", or refcodes' own schema.
    pub fn attached(&self) -> String {
        self.db.layout().describe()
    }

    /// The short form for a status bar ("PhoenixKit V180 · auth"); `None` on refcodes' own schema.
    pub fn attached_short(&self) -> Option<String> {
        self.db.layout().short()
    }

    /// Whether the database is a PhoenixKit application's (whose users and roles refcodes only reads).
    pub fn is_phoenix_kit(&self) -> bool {
        self.db.layout().is_phoenix_kit()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A mark that differs from an earlier one when anyone may have written in between (see
    /// [`crate::store::Db::change_mark`]): watching costs one tiny query, not a reload.
    pub async fn change_mark(&self) -> Result<String> {
        self.db.change_mark().await
    }

    /// For a long-lived process that reads a large SQLite file (the dashboard): its connections' page caches share
    /// [`PAGE_CACHES`] instead of each keeping up to 2 MB, and read connections opened from now on keep
    /// [`STATEMENTS_KEPT`] prepared statements. The cap is process-wide, so a program embedding the library
    /// decides for itself whether to call it. Nothing on PostgreSQL.
    pub async fn keep_memory_low(&self) -> Result<()> {
        self.db.keep_memory_low(PAGE_CACHES, STATEMENTS_KEPT).await
    }

    pub async fn close(&self) {
        self.db.close().await;
    }

    fn require_admin(&self) -> Result<&Operator> {
        if self.options.read_only {
            return Err(read_only_refusal());
        }
        match &self.operator {
            Some(op) if op.is_admin() => Ok(op),
            Some(op) => Err(Refusal::new(
                crate::domain::ErrorKind::NotAuthorized,
                format!(
                    "{} is not an admin, so this is read-only for them; an Owner or Admin can grant it with \
                     `refcodes users add {} --role admin`",
                    op.user.email, op.user.email
                ),
            )
            .into()),
            None => Err(Refusal::new(
                crate::domain::ErrorKind::NotAuthorized,
                self.unknown_operator
                    .as_deref()
                    .unwrap_or("no operator is signed in: name one with --as EMAIL or REFCODES_OPERATOR"),
            )
            .into()),
        }
    }

    /// Begins a write transaction for an admin's change, and checks the operator's role again inside it: a role
    /// revoked since the operator signed in (and committed before this transaction read it) refuses the change.
    async fn begin_admin_write(&self) -> Result<(Tx, Operator)> {
        let signed_in = self.require_admin()?;
        self.recover_jobs().await?;
        let mut tx = self.db.begin_write().await?;
        let fresh = crate::store::users::with_role(tx.exec(), signed_in.user.id).await?;
        match fresh.map(|u| Operator { user: u.user, role: u.role }) {
            Some(operator) if operator.is_admin() => Ok((tx, operator)),
            _ => Err(Refusal::new(
                crate::domain::ErrorKind::NotAuthorized,
                format!(
                    "{} is no longer an Owner or Admin of this database (their role changed since they signed in), \
                     so this is read-only for them now",
                    signed_in.user.email
                ),
            )
            .into()),
        }
    }

    /// Users and roles of a PhoenixKit database are the application's: refcodes never adds or changes them.
    fn refuse_on_phoenix_kit(&self, what: &str) -> Result<()> {
        if self.is_phoenix_kit() {
            return Err(Refusal::new(
                crate::domain::ErrorKind::NotAuthorized,
                format!(
                    "{what} is not possible on a PhoenixKit database ({}): users sign up through your PhoenixKit \
                     application, and its admins give roles there",
                    self.attached()
                ),
            )
            .into());
        }
        Ok(())
    }

    /// Redemption and registration are the application's work, not an admin's: they only need a writable service.
    fn require_writable(&self) -> Result<()> {
        if self.options.read_only { Err(read_only_refusal()) } else { Ok(()) }
    }
}

fn read_only_refusal() -> Error {
    Refusal::new(
        crate::domain::ErrorKind::NotAuthorized,
        "refcodes is read-only here (--read-only, or mode=ro in the database URL); open it without them to make changes",
    )
    .into()
}

/// Whether a database error is a unique-constraint violation.
fn is_unique_violation(err: &Error) -> bool {
    matches!(err, Error::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
}
