//! What the database is and where its rows live: refcodes' own schema (on SQLite or PostgreSQL), or a PhoenixKit
//! database of one generation, attached as it is. This is the one place that knows which tables and columns a
//! generation has, how its rows are keyed and how its times are stored; every query names tables and key columns
//! through it (the `{name}` tokens of [`Layout::token`]), so the rest of the store never asks which it runs on.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How a PhoenixKit database keys the rows refcodes touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Generation {
    /// Below V40: bigserial `id`s, integer references.
    Integer,
    /// V40 to V73: `uuid` beside every `id` and `*_uuid` beside every integer reference. Rows are found by UUID
    /// (from V67 the integer references of new rows may be NULL); new rows get both where both columns exist.
    Dual,
    /// V74 and later: `uuid` keys and `*_uuid` references only.
    Uuid,
}

impl Generation {
    pub fn of_version(version: i32) -> Generation {
        match version {
            ..=39 => Generation::Integer,
            40..74 => Generation::Dual,
            _ => Generation::Uuid,
        }
    }

    /// The stable name (`doctor --json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::Integer => "integer",
            Generation::Dual => "dual",
            Generation::Uuid => "uuid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Generation::Integer => "integer keys",
            Generation::Dual => "integer and UUID keys",
            Generation::Uuid => "UUID keys",
        }
    }
}

/// Whose schema the database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// refcodes' own tables, created and migrated by refcodes.
    Standalone,
    /// A PhoenixKit application's tables: used as they are, never changed in structure.
    PhoenixKit { version: i32, generation: Generation },
}

/// A PostgreSQL schema name, checked once so that it can only ever be spliced into SQL quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaName(String);

impl SchemaName {
    pub const DEFAULT: &'static str = "public";

    /// Letters, digits, `_` and `$`, not starting with a digit, at most 63 bytes (PostgreSQL's limit).
    pub fn parse(raw: &str) -> Result<SchemaName, String> {
        let name = raw.trim();
        let ok_start = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_');
        let ok_rest = name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$');
        if !ok_start || !ok_rest || name.len() > 63 {
            return Err(format!(
                "schema {} is not a plain name: letters, digits, _ and $, not starting with a digit, at most 63 \
                 bytes (e.g. public or auth)",
                crate::domain::error::shown(name)
            ));
        }
        Ok(SchemaName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted identifier.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl Default for SchemaName {
    fn default() -> Self {
        SchemaName(SchemaName::DEFAULT.to_string())
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tables refcodes reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Codes,
    Usage,
    Users,
    Roles,
    Assignments,
    Settings,
}

impl Table {
    pub const ALL: [Table; 6] =
        [Table::Codes, Table::Usage, Table::Users, Table::Roles, Table::Assignments, Table::Settings];

    pub fn name(self) -> &'static str {
        match self {
            Table::Codes => "phoenix_kit_referral_codes",
            Table::Usage => "phoenix_kit_referral_code_usage",
            Table::Users => "phoenix_kit_users",
            Table::Roles => "phoenix_kit_user_roles",
            Table::Assignments => "phoenix_kit_user_role_assignments",
            Table::Settings => "phoenix_kit_settings",
        }
    }

    /// The columns refcodes needs in a generation (the standalone schema has the integer generation's).
    pub fn needs(self, generation: Generation) -> Vec<&'static str> {
        let keyed = |int: &[&'static str], uuid: &[&'static str]| -> Vec<&'static str> {
            match generation {
                Generation::Integer => int.to_vec(),
                Generation::Dual => int.iter().chain(uuid).copied().collect(),
                Generation::Uuid => uuid.to_vec(),
            }
        };
        let mut columns = match self {
            Table::Codes => {
                keyed(&["id", "created_by", "beneficiary"], &["uuid", "created_by_uuid", "beneficiary_uuid"])
            }
            Table::Usage => keyed(&["id", "code_id", "used_by"], &["uuid", "code_uuid", "used_by_uuid"]),
            Table::Users | Table::Roles => keyed(&["id"], &["uuid"]),
            Table::Assignments => match generation {
                Generation::Integer => vec!["user_id", "role_id"],
                Generation::Dual | Generation::Uuid => vec!["user_uuid", "role_uuid"],
            },
            Table::Settings => Vec::new(),
        };
        columns.extend_from_slice(match self {
            Table::Codes => {
                &["code", "description", "status", "number_of_uses", "max_uses", "date_created", "expiration_date"]
            }
            Table::Usage => &["date_used"],
            Table::Users => &["email", "username", "first_name", "last_name", "is_active", "inserted_at"],
            Table::Roles => &["name"],
            Table::Assignments => &[],
            Table::Settings => &["key", "value", "module", "date_added", "date_updated"],
        });
        columns
    }
}

/// Where the audit trail is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSink {
    /// refcodes' own table, `refcodes_audit_events`.
    Own,
    /// PhoenixKit's `phoenix_kit_audit_logs`, in the shape found when the database was attached.
    PhoenixKit(AuditShape),
    /// Nowhere in the database, only the log file: why (a PhoenixKit database without the table, or of another
    /// shape; a file opened read-only that an older refcodes made).
    LogOnly(String),
}

/// Which columns of `phoenix_kit_audit_logs` name users and key its rows (see SCHEMAS.md, section 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditShape {
    /// `target_user_id` and `admin_user_id` (before V74).
    pub int_users: bool,
    /// `target_user_uuid` and `admin_user_uuid` (from V56).
    pub uuid_users: bool,
    /// Rows are keyed by `id` (before V74), else by `uuid`.
    pub int_key: bool,
    /// `inserted_at` is a `timestamp` without time zone (before V58).
    pub naive_time: bool,
}

/// SQLite's codes as every read sees them: without the rows an unfinished bulk job hides (`store::jobs`). The
/// first test is one lookup per statement, true unless a job hides rows, so a row is checked only while one does,
/// by one search of the jobs' primary key per hiding job; both test the key alone, which every index holds, so
/// covering indexes still cover. (Written as `job_id IN`: with a join, SQLite scanned the lists for each row.)
macro_rules! visible {
    ($table:literal, $key:literal, $hint:literal) => {
        concat!(
            "(SELECT * FROM ",
            $table,
            " v",
            $hint,
            " WHERE NOT EXISTS (SELECT 1 FROM refcodes_jobs WHERE hides) OR NOT EXISTS (SELECT 1 FROM \
             refcodes_job_codes h WHERE h.job_id IN (SELECT id FROM refcodes_jobs WHERE hides) AND h.code_id = v.",
            $key,
            "))"
        )
    };
}
const VISIBLE_CODES: &str = visible!("phoenix_kit_referral_codes", "id", "");
/// The same, read by a scan of the table rather than along an index (see `page.rs`).
const VISIBLE_CODES_NOT_INDEXED: &str = visible!("phoenix_kit_referral_codes", "id", " NOT INDEXED");
/// Usage records of visible codes.
const VISIBLE_USAGE: &str = visible!("phoenix_kit_referral_code_usage", "code_id", "");

/// The database's description; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub backend: Backend,
    pub schema: SchemaName,
    pub mode: Mode,
    /// Times are `timestamp without time zone` holding UTC (PhoenixKit before V58).
    pub naive_times: bool,
    /// The settings table has a `uuid` column that new rows must fill (PhoenixKit from V40).
    pub settings_uuid: bool,
    /// The quoted type of `users.email` when it is PhoenixKit's citext, to compare emails as the application does
    /// and use its unique index.
    pub email_type: Option<String>,
    /// The owner made the trigram index `doctor --indexes` suggests (PhoenixKit): a text filter that few codes
    /// match is answered from it (see `page.rs`). Read when the database is opened.
    pub text_index: bool,
    /// SQLite: the tables of bulk jobs exist (migration 0006), so reads leave out the codes a job hides. A file
    /// opened read-only that an older refcodes made has none, and no job either.
    pub bulk_jobs: bool,
    /// Where operators' changes are recorded.
    pub audit: AuditSink,
    /// refcodes' own schema holds the tables of window sums (`store::stats`): made by its migrations, so a file or
    /// schema opened read-only that an older refcodes made lacks them. Never on a PhoenixKit database.
    pub stats_cache: bool,
    /// Qualified table names, in the order of [`Table::ALL`].
    tables: Vec<String>,
    /// The qualified name of the audit trail's table (`{audit}`).
    audit_table: String,
    /// The qualified name of the rows of a bulk action's codes in refcodes' own trail (`{audit_codes}`).
    audit_codes_table: String,
    /// Qualified names of the window sums' tables: `refcodes_stats_window`, `refcodes_stats_uses`.
    stats_tables: [String; 2],
}

/// refcodes' own audit trail (migrations 0007 on SQLite, 0004 on PostgreSQL).
pub const AUDIT_TABLE: &str = "refcodes_audit_events";
/// Its rows of a bulk action's codes (migrations 0011 on SQLite, 0008 on PostgreSQL).
pub const AUDIT_CODES_TABLE: &str = "refcodes_audit_codes";
/// PhoenixKit's (from V22).
pub const PK_AUDIT_TABLE: &str = "phoenix_kit_audit_logs";

impl Layout {
    pub fn new(backend: Backend, schema: SchemaName, mode: Mode) -> Layout {
        let tables = Table::ALL
            .iter()
            .map(|t| match backend {
                Backend::Sqlite => t.name().to_string(),
                Backend::Postgres => format!("{}.{}", schema.quoted(), t.name()),
            })
            .collect();
        let qualified = |name: &str| match backend {
            Backend::Sqlite => name.to_string(),
            Backend::Postgres => format!("{}.{name}", schema.quoted()),
        };
        let audit_table = qualified(match (backend, &mode) {
            (Backend::Postgres, Mode::PhoenixKit { .. }) => PK_AUDIT_TABLE,
            _ => AUDIT_TABLE,
        });
        let audit_codes_table = qualified(AUDIT_CODES_TABLE);
        let stats_tables = [qualified("refcodes_stats_window"), qualified("refcodes_stats_uses")];
        Layout {
            backend,
            schema,
            mode,
            naive_times: false,
            settings_uuid: false,
            email_type: None,
            text_index: false,
            bulk_jobs: backend == Backend::Sqlite,
            audit: AuditSink::Own,
            audit_table,
            audit_codes_table,
            stats_cache: mode == Mode::Standalone,
            tables,
            stats_tables,
        }
    }

    /// How rows are keyed: refcodes' own schema is keyed as PhoenixKit's integer generation.
    pub fn generation(&self) -> Generation {
        match self.mode {
            Mode::Standalone => Generation::Integer,
            Mode::PhoenixKit { generation, .. } => generation,
        }
    }

    pub fn is_phoenix_kit(&self) -> bool {
        matches!(self.mode, Mode::PhoenixKit { .. })
    }

    /// Keys are UUIDs (and new rows get one from refcodes).
    pub fn uuid_keys(&self) -> bool {
        self.generation() != Generation::Integer
    }

    /// Integer references that new rows fill beside the UUID ones (the dual generation).
    pub fn dual(&self) -> bool {
        self.generation() == Generation::Dual
    }

    /// Each user may use a code once by a unique index (refcodes' own schema); PhoenixKit has none, so there the
    /// row lock of the code's counter serialises redemptions of one code.
    pub fn unique_usage(&self) -> bool {
        !self.is_phoenix_kit()
    }

    /// Codes carry their last use (`last_used`, kept by each redemption) on refcodes' own schema only: PhoenixKit's
    /// table has no such column, and refcodes may not add one, so there it is the latest usage record.
    pub fn keeps_last_used(&self) -> bool {
        !self.is_phoenix_kit()
    }

    pub fn table(&self, table: Table) -> &str {
        &self.tables[Table::ALL.iter().position(|t| *t == table).expect("every table is listed")]
    }

    /// What `{name}` in a query's text stands for. Only these names exist, and each is a table or column name
    /// of this layout or a fixed keyword, so query text is static text and identifiers, never input.
    pub fn token(&self, name: &str) -> &str {
        let uuid = self.uuid_keys();
        let pick = |int: &'static str, uuid_name: &'static str| if uuid { uuid_name } else { int };
        let hidden_by_jobs = self.bulk_jobs;
        match name {
            // What reads see: on SQLite, the rows no unfinished bulk job hides (see `store::jobs`).
            "codes" if hidden_by_jobs => VISIBLE_CODES,
            "codes_scan" if hidden_by_jobs => VISIBLE_CODES_NOT_INDEXED,
            "usage" if hidden_by_jobs => VISIBLE_USAGE,
            // What writes change: the tables themselves.
            "codes" | "codes_table" | "codes_scan" => self.table(Table::Codes),
            "usage" | "usage_table" => self.table(Table::Usage),
            "users" => self.table(Table::Users),
            "roles" => self.table(Table::Roles),
            "assignments" => self.table(Table::Assignments),
            "settings" => self.table(Table::Settings),
            "audit" => &self.audit_table,
            "audit_codes" => &self.audit_codes_table,
            "stats_window" => &self.stats_tables[0],
            "stats_uses" => &self.stats_tables[1],
            "code_key" | "usage_key" | "user_key" | "role_key" => pick("id", "uuid"),
            "created_by" => pick("created_by", "created_by_uuid"),
            "beneficiary" => pick("beneficiary", "beneficiary_uuid"),
            "code_ref" => pick("code_id", "code_uuid"),
            "used_by" => pick("used_by", "used_by_uuid"),
            "a_user" => pick("user_id", "user_uuid"),
            "a_role" => pick("role_id", "role_uuid"),
            // A time column read as UTC: naive columns are cast (the session's time zone is UTC).
            "tz" => {
                if self.naive_times {
                    "::timestamptz"
                } else {
                    ""
                }
            }
            "citext" => self.email_type.as_deref().expect("{citext} is used only where users.email is citext"),
            other => panic!("no SQL token {{{other}}}: a query names a table or column this layout lacks"),
        }
    }

    /// "PhoenixKit V180 · UUID keys · schema auth", or the backend of refcodes' own schema.
    pub fn describe(&self) -> String {
        match self.mode {
            Mode::Standalone => match self.backend {
                Backend::Sqlite => "refcodes schema (SQLite)".to_string(),
                Backend::Postgres => format!("refcodes schema · {}", self.schema),
            },
            Mode::PhoenixKit { version, generation } => {
                format!("PhoenixKit V{version} · {} · schema {}", generation.label(), self.schema)
            }
        }
    }

    /// The short form the dashboard's status bar shows: "PhoenixKit V180 · auth".
    pub fn short(&self) -> Option<String> {
        match self.mode {
            Mode::Standalone => None,
            Mode::PhoenixKit { version, .. } => Some(format!("PhoenixKit V{version} · {}", self.schema)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain() {
        assert_eq!(SchemaName::parse(" auth ").unwrap().quoted(), "\"auth\"");
        for bad in ["", "1abc", "a\"b", "a b", "a;drop", &"x".repeat(64)] {
            assert!(SchemaName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn generations_follow_the_version() {
        assert_eq!(Generation::of_version(39), Generation::Integer);
        assert_eq!(Generation::of_version(40), Generation::Dual);
        assert_eq!(Generation::of_version(73), Generation::Dual);
        assert_eq!(Generation::of_version(74), Generation::Uuid);
    }

    #[test]
    fn tokens_name_the_layouts_columns() {
        let uuid = Layout::new(
            Backend::Postgres,
            SchemaName::parse("auth").unwrap(),
            Mode::PhoenixKit { version: 180, generation: Generation::Uuid },
        );
        assert_eq!(uuid.token("codes"), "\"auth\".phoenix_kit_referral_codes");
        assert_eq!(uuid.token("code_ref"), "code_uuid");
        let own = Layout::new(Backend::Sqlite, SchemaName::default(), Mode::Standalone);
        assert!(own.token("codes").starts_with("(SELECT * FROM phoenix_kit_referral_codes v WHERE"));
        assert_eq!(own.token("codes_table"), "phoenix_kit_referral_codes");
        assert_eq!(own.token("used_by"), "used_by");
    }
}
