//! The command line, as clap reads it.

use crate::domain::audit::Action;
use crate::domain::import::OnConflict;
use crate::domain::user::Role;
use crate::domain::window::{Share, Since, parse_duration};
use crate::domain::{CodeFilter, CodeStatus, SortField, UsesWindow};
use chrono::Duration;
use clap::builder::PossibleValuesParser;
use clap::builder::{RangedI64ValueParser, RangedU64ValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "refcodes",
    version,
    about = "Referral codes for PhoenixKit databases: a terminal dashboard, a scriptable CLI and a library.",
    long_about = "Referral codes for PhoenixKit databases.\n\nWith no command, refcodes opens the dashboard on the \
                  configured database (by default a SQLite file in your data directory).\n\nExit status: 0 done, 1 \
                  refused by the rules, 2 bad command line, 3 the database or the system failed."
)]
pub struct Cli {
    /// Database to use: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: SQLite in the data directory]
    #[arg(long, global = true, env = "REFCODES_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL schema that holds the tables, such as a PhoenixKit install's prefix [default: public]
    #[arg(long, global = true, env = "REFCODES_DATABASE_SCHEMA", value_name = "NAME")]
    pub schema: Option<String>,

    /// A configuration file over the defaults
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Act as this user (an email in phoenix_kit_users) [default: $REFCODES_OPERATOR, the config, or LOGIN@localhost]
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    pub operator: Option<String>,

    /// Change nothing: refuse every write, and open the database read-only
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Print one JSON document on stdout (errors too, as {"error": KIND, "message": ...})
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the first user and Owner of a database that has no users yet
    Init {
        /// The Owner's email
        #[arg(long, value_name = "EMAIL")]
        owner: String,
    },
    /// Create or update the tables (also done on every start)
    Migrate,
    /// Show or change the system settings
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Add and list users
    #[command(subcommand)]
    Users(UsersCommand),
    /// Create, list, change and delete codes
    #[command(subcommand)]
    Codes(CodesCommand),
    /// Redeem a code for a user (what the registration flow does)
    Use {
        code: String,
        /// The user: an id or an email
        #[arg(long, value_name = "ID|EMAIL")]
        user: String,
    },
    /// Register a new user, with a code when the system asks for one
    Register {
        email: String,
        #[arg(long)]
        code: Option<String>,
        #[command(flatten)]
        names: UserNames,
    },
    /// Redemptions and signups in a window of time, top codes and beneficiaries, and all-time totals
    Stats {
        /// The window: 24h, 7d, 30d (whole UTC hours or days up to now; hourly up to 48h) or a date (UTC)
        #[arg(long, default_value = "24h", value_name = "SPAN|DATE", value_parser = Since::parse)]
        since: Since,
        /// How many top codes and beneficiaries to show
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i64).range(0..=1000))]
        top: i64,
    },
    /// A monitoring check (Nagios/Icinga plugin): exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    Check(CheckArgs),
    /// The figures in the OpenMetrics text format, on stdout or served on /metrics
    Metrics {
        /// Per-code uses for this many codes, the most used
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(0..=10_000))]
        top: i64,
        /// What counts as near the limit for refcodes_codes_near_limit
        #[arg(long, default_value = "90%", value_name = "PERCENT", value_parser = Share::parse)]
        near_limit: Share,
        /// Serve GET /metrics on this address instead (no authentication: keep it on loopback or behind a proxy)
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<SocketAddr>,
    },
    /// Write codes or usage records to stdout, as they are read (any number of them in constant memory)
    Export {
        what: ExportWhat,
        /// The output format: csv, one JSON array, or one JSON object a line (--json means json)
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Only codes created, or usage records made, in this window: 24h, 7d, 30d (whole UTC hours or days up to
        /// now) or a date (UTC)
        #[arg(long, value_name = "SPAN|DATE", value_parser = Since::parse)]
        since: Option<Since>,
        /// The codes to export (of usage records: the records of these codes)
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Who changed what: the audit trail's events, newest first
    History {
        /// Only this code's events (under its name then, or its id now)
        code: Option<String>,
        /// Only events in this window: 24h, 7d, 30d (whole UTC hours or days up to now) or a date (UTC)
        #[arg(long, value_name = "SPAN|DATE", value_parser = Since::parse)]
        since: Option<Since>,
        /// Only this operator's events (an email, without case)
        #[arg(long, value_name = "EMAIL")]
        operator: Option<String>,
        /// Only events of this kind: created, updated, status_changed, deleted, bulk_updated, bulk_status_changed,
        /// bulk_deleted, generated, imported, settings_updated, counters_fixed, demo_seeded
        #[arg(long, value_name = "KIND", value_parser = Action::parse)]
        action: Option<Action>,
        /// Only the events of this bulk action (its id, as --json shows it)
        #[arg(long, value_name = "ID")]
        bulk: Option<String>,
        /// At most this many events
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
    },
    /// Print the completion script of a shell on stdout (e.g. `refcodes completions bash > /etc/bash_completion.d/refcodes`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout (e.g. `refcodes man | man -l -`), or write every command's page
    Man {
        /// Write refcodes.1 and a page for each subcommand (refcodes-codes-import.1, ...) into this directory
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Fill the database with realistic sample data (and enable the system)
    Demo {
        #[arg(long, default_value_t = 200)]
        users: usize,
        #[arg(long, default_value_t = 500)]
        codes: usize,
        /// Spread creation and usage over this many past days
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Don't ask when the database holds data already
        #[arg(long)]
        yes: bool,
    },
    /// What the database is and what is odd in its data (read-only unless --fix)
    Doctor {
        /// Recount each code's number_of_uses from its usage records (asks first)
        #[arg(long, value_name = "WHAT", value_parser = ["counters"])]
        fix: Option<String>,
        /// Don't ask before --fix
        #[arg(long, requires = "fix")]
        yes: bool,
        /// Print the CREATE INDEX CONCURRENTLY statements that would make a PhoenixKit database fast, for its
        /// owner to run (refcodes never runs them)
        #[arg(long, conflicts_with = "fix")]
        indexes: bool,
    },
}

/// `check`'s thresholds; with none, the check only reaches the database.
#[derive(Debug, Clone, Copy, Args)]
pub struct CheckArgs {
    /// CRITICAL when fewer redemptions than this happened in the last --window
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub min_redemptions: Option<i64>,
    /// The sliding window of --min-redemptions, up to now
    #[arg(long, default_value = "1h", value_name = "SPAN", value_parser = parse_duration, requires = "min_redemptions")]
    pub window: Duration,
    /// WARNING when a usable code has used this share of its limit; CRITICAL when a switched-on, unexpired code has
    /// reached its limit
    #[arg(long, value_name = "PERCENT", value_parser = Share::parse)]
    pub near_limit: Option<Share>,
    /// WARNING when a usable code expires within this span
    #[arg(long, value_name = "SPAN", value_parser = parse_duration)]
    pub expiring: Option<Duration>,
}

impl CheckArgs {
    pub fn thresholds(&self) -> crate::service::CheckThresholds {
        let CheckArgs { min_redemptions, window, near_limit, expiring } = *self;
        crate::service::CheckThresholds { min_redemptions, window, near_limit, expiring }
    }
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show the settings
    Show,
    /// Turn the referral code system on
    Enable,
    /// Turn the referral code system off
    Disable,
    /// Whether registration needs a code
    Require {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Set any setting: referral_codes_enabled, referral_codes_required, max_number_of_uses_per_code,
    /// max_number_of_codes_per_user
    Set { key: String, value: String },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user
    Add {
        email: String,
        #[arg(long, value_parser = PossibleValuesParser::new(Role::GRANTABLE.map(Role::as_arg)))]
        role: Option<String>,
        #[command(flatten)]
        names: UserNames,
    },
    /// List users, by email
    List {
        /// Part of an email, username or name
        #[arg(long, default_value = "")]
        filter: String,
        #[arg(long, default_value_t = 100, value_parser = count_i64())]
        limit: i64,
    },
}

/// A user's optional names, as `users add` and `register` take them.
#[derive(Debug, Clone, Args)]
pub struct UserNames {
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CodeFields {
    /// Maximum uses (1 to the max_number_of_uses_per_code setting)
    #[arg(long, allow_negative_numbers = true)]
    pub max_uses: Option<i64>,
    /// When the code expires: 7d, 12h, 30m, 2w, never, 2030-01-31, 2030-01-31 18:00 or RFC 3339
    #[arg(long, value_name = "WHEN")]
    pub expires: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// List codes (a window of the filtered, sorted set)
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// [default: urgency with --near-limit or --expiring, else created]. last-used: never-used codes are the
        /// least recent; window-uses: usage records in --window
        #[arg(long, value_enum)]
        sort: Option<SortField>,
        /// Largest first
        #[arg(long)]
        desc: bool,
        /// What window-uses counts (and --json shows): whole UTC hours or days up to now, as `stats --since`
        #[arg(long, value_enum, default_value_t = UsesWindow::default())]
        window: UsesWindow,
        #[arg(long, default_value_t = 50, value_parser = count_u64())]
        limit: u64,
        #[arg(long, default_value_t = 0, value_parser = count_u64())]
        offset: u64,
    },
    /// A code, its usage stats and its usage records
    Show {
        code: String,
        /// How many usage records to show, newest first
        #[arg(long, default_value_t = 50, value_parser = count_i64())]
        limit: i64,
    },
    /// Create a code (a random one without --code)
    Create {
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        description: String,
        #[command(flatten)]
        fields: CodeFields,
        /// Email of the user who benefits when the code is used
        #[arg(long, value_name = "EMAIL")]
        beneficiary: Option<String>,
        /// Create it switched off
        #[arg(long)]
        inactive: bool,
    },
    /// Change a code; fields not named stay as they are
    Update {
        code: String,
        /// A new code
        #[arg(long = "code", value_name = "NEW")]
        new_code: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        fields: CodeFields,
        /// Email of the beneficiary, or `none` to clear it
        #[arg(long, value_name = "EMAIL|none")]
        beneficiary: Option<String>,
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        #[arg(long)]
        inactive: bool,
        /// Refuse (conflict) unless the code is still as `codes show` printed it: its version there
        #[arg(long, value_name = "VERSION")]
        expect_version: Option<String>,
    },
    /// Delete a code and its usage records
    Delete {
        code: String,
        /// Don't ask
        #[arg(long)]
        yes: bool,
    },
    /// Create N random codes in one transaction
    Generate {
        count: usize,
        #[arg(long)]
        description: String,
        /// Put before the random part (e.g. SPRING-)
        #[arg(long, default_value = "")]
        prefix: String,
        /// Random characters [default: codes.length of the configuration]
        #[arg(long)]
        length: Option<usize>,
        #[command(flatten)]
        fields: CodeFields,
        /// Print the codes as CSV
        #[arg(long)]
        csv: bool,
    },
    /// Create (or update) codes from a CSV file, all or nothing: columns code, description, max_uses, expires,
    /// beneficiary, status, by header name in any order
    Import {
        /// The CSV file (UTF-8, with or without a BOM); - reads stdin
        file: PathBuf,
        /// Check every row and say what would be created, updated and skipped; write nothing
        #[arg(long)]
        dry_run: bool,
        /// What to do with a row whose code exists: fail (the whole import), skip the row, or update the code
        /// from the row's non-empty cells
        #[arg(long, value_enum, default_value = "fail")]
        on_conflict: OnConflict,
    },
}

/// Which codes: the filters of `codes list`, also taken by `export`.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Words matched in a code, description, or creator's or beneficiary's email, and field terms:
    /// code: desc: creator: beneficiary: status: uses:>10 expires:<7d used:<24h limit:>=90% expiring:7d
    #[arg(long, default_value = "", value_name = "QUERY", value_parser = CodeFilter::parse)]
    pub filter: CodeFilter,
    #[arg(long, value_enum)]
    pub status: Option<CodeStatus>,
    /// Only codes that have used at least this share of their limit (e.g. 90%)
    #[arg(long, value_name = "PERCENT", value_parser = Share::parse)]
    pub near_limit: Option<Share>,
    /// Only codes that expire within this span from now (e.g. 7d), not those expired already
    #[arg(long, value_name = "SPAN", value_parser = parse_duration)]
    pub expiring: Option<Duration>,
}

impl FilterArgs {
    /// The filter these options ask for.
    pub fn filter(&self) -> CodeFilter {
        // An option, where given, stands for the same field of the query.
        let query = self.filter.clone();
        CodeFilter {
            status: self.status.or(query.status),
            near_limit: self.near_limit.or(query.near_limit),
            expiring_within: self.expiring.or(query.expiring_within),
            ..query
        }
    }

    /// Whether a filter that ranks codes by urgency was asked for.
    pub fn urgent(&self) -> bool {
        let filter = self.filter();
        filter.near_limit.is_some() || filter.expiring_within.is_some()
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Codes,
    Usage,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    Ndjson,
}

/// A limit or an offset: not negative, and within what the databases take (a signed 64-bit integer).
fn count_i64() -> RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(0..)
}

/// As [`count_i64`], for the list's window, which is unsigned.
fn count_u64() -> RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(..=i64::MAX as u64)
}
