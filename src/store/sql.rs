//! A small SQL builder with numbered `$n` placeholders (both SQLite and PostgreSQL accept them), and the
//! executors that run it on either backend. Every query goes through here, so the per-backend dispatch is written
//! once.
//!
//! Query text is only ever static text (`&'static str`), the `{name}` tokens of the [`Layout`] (table and column
//! names), numbers, and what the database itself wrote (an index's name and definition, to set the index aside
//! during a bulk load and make it again): input reaches a query as a bound argument and nothing else. Hence the one
//! [`AssertSqlSafe`] below.

use crate::domain::caseless;
use crate::domain::ids::{CodeId, Key, UsageId, UserId};
use crate::store::layout::{Backend, Layout};
use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::BoxStream;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgPool, SqliteConnection, SqlitePool};
use std::sync::Arc;
use uuid::Uuid;

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Int32(i32),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    Key(Key),
    OptKey(Option<Key>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    /// A NULL reference where references are UUIDs (see [`Sql::args_for_backend`]).
    NullUuid,
}

macro_rules! arg_from {
    ($($t:ty => $v:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                $v(v)
            }
        }
    )*};
}

arg_from! {
    i64 => Arg::Int,
    i32 => Arg::Int32,
    bool => Arg::Bool,
    String => Arg::Text,
    Option<String> => Arg::OptText,
    Key => Arg::Key,
    DateTime<Utc> => Arg::Time,
    Option<DateTime<Utc>> => Arg::OptTime,
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<CodeId> for Arg {
    fn from(v: CodeId) -> Self {
        Arg::Key(v.0)
    }
}
impl From<UserId> for Arg {
    fn from(v: UserId) -> Self {
        Arg::Key(v.0)
    }
}
impl From<UsageId> for Arg {
    fn from(v: UsageId) -> Self {
        Arg::Key(v.0)
    }
}
impl From<Option<UserId>> for Arg {
    fn from(v: Option<UserId>) -> Self {
        Arg::OptKey(v.map(|u| u.0))
    }
}
impl From<Option<CodeId>> for Arg {
    fn from(v: Option<CodeId>) -> Self {
        Arg::OptKey(v.map(|c| c.0))
    }
}

/// SQLite keeps times as fixed-width UTC text with milliseconds (`2026-01-31T18:00:00.000Z`), the same shape
/// its own `strftime('%Y-%m-%dT%H:%M:%fZ')` writes, so text order is time order and SQL can do date arithmetic.
pub fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// SQL text and its arguments, built together so placeholders and binds can't drift apart.
#[derive(Debug, Clone)]
pub struct Sql {
    layout: Arc<Layout>,
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    /// A query for `layout` that starts with `text` (its `{name}` tokens expanded).
    pub fn new(layout: &Arc<Layout>, text: &'static str) -> Sql {
        let mut sql = Sql { layout: Arc::clone(layout), text: String::new(), args: Vec::new() };
        sql.push(text);
        sql
    }

    pub fn backend(&self) -> Backend {
        self.layout.backend
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The same statements and arguments between `before` and `after`.
    pub fn framed(&self, before: &'static str, after: &'static str) -> Sql {
        Sql { layout: Arc::clone(&self.layout), text: format!("{before}{}{after}", self.text), args: self.args.clone() }
    }

    /// Appends SQL text, each `{name}` replaced by what the layout says it is.
    pub fn push(&mut self, text: &'static str) -> &mut Sql {
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let close = open + rest[open..].find('}').expect("a SQL token is closed by }");
            self.text.push_str(&rest[..open]);
            let layout = Arc::clone(&self.layout);
            self.text.push_str(layout.token(&rest[open + 1..close]));
            rest = &rest[close + 1..];
        }
        self.text.push_str(rest);
        self
    }

    /// A statement SQLite itself stored (an index's definition read from `sqlite_master`), to run again as it is.
    pub fn stored(layout: &Arc<Layout>, definition: String) -> Sql {
        Sql { layout: Arc::clone(layout), text: definition, args: Vec::new() }
    }

    /// Appends a name read from the database as a quoted identifier (quotes in it doubled, so it stays one name).
    pub fn push_ident(&mut self, name: &str) -> &mut Sql {
        self.text.push('"');
        self.text.push_str(&name.replace('"', "\"\""));
        self.text.push('"');
        self
    }

    /// Appends a number as a literal (numbers can't carry SQL).
    pub fn push_int(&mut self, n: i64) -> &mut Sql {
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `column IN (values)`, the values bound as one JSON array, so a list of any length is one argument
    /// and a bulk action one statement.
    pub fn push_in<T: ListItem>(&mut self, column: &'static str, values: &[T]) -> &mut Sql {
        let uuid_keys = self.layout.uuid_keys();
        let items: Vec<serde_json::Value> = values.iter().filter_map(|v| v.json(uuid_keys)).collect();
        let json = serde_json::to_string(&items).expect("plain values serialise");
        self.push(column);
        match (self.backend(), T::IS_KEY) {
            (Backend::Sqlite, _) => self.push(" IN (SELECT value FROM json_each(").bind(json).push("))"),
            (Backend::Postgres, false) => {
                self.push(" IN (SELECT jsonb_array_elements_text(CAST(").bind(json).push(" AS jsonb)))")
            }
            (Backend::Postgres, true) => {
                let cast = if self.layout.uuid_keys() { " AS uuid))" } else { " AS bigint))" };
                self.push(" IN (SELECT CAST(jsonb_array_elements_text(CAST(").bind(json).push(" AS jsonb))");
                self.push(cast)
            }
        }
    }

    /// Appends the source of a multi-row INSERT: each row's values, in the order of the INSERT's columns. On
    /// SQLite the rows are one JSON argument read back by `json_each` (sqlx binds each SQLite argument by looking
    /// its name up, which SQLite does by walking the statement's parameters: quadratic in a statement's
    /// arguments, three quarters of a bulk generate's time at 9,000 of them). PostgreSQL binds by position:
    /// `VALUES` rows, a placeholder per value (columns `column1`, `column2`, ... when used as a subquery).
    pub fn push_rows(&mut self, rows: &[Vec<Arg>]) -> &mut Sql {
        let width = rows.first().map_or(0, Vec::len);
        match self.backend() {
            Backend::Sqlite => {
                let json: Vec<serde_json::Value> =
                    rows.iter().map(|row| row.iter().map(|a| json_value(&self.arg_for_backend(a))).collect()).collect();
                self.push("SELECT ");
                for i in 0..width {
                    self.push(if i == 0 { "r.value ->> " } else { ", r.value ->> " }).push_int(i as i64);
                }
                let json = serde_json::to_string(&json).expect("plain values serialise");
                self.push(" FROM json_each(").bind(json).push(") r")
            }
            Backend::Postgres => {
                self.push("VALUES ");
                for (i, row) in rows.iter().enumerate() {
                    self.push(if i == 0 { "(" } else { ", (" });
                    for (j, arg) in row.iter().enumerate() {
                        if j > 0 {
                            self.push(", ");
                        }
                        self.bind(arg.clone());
                    }
                    self.push(")");
                }
                self
            }
        }
    }

    /// Appends "`column` contains `text`, without case" ([`caseless`]). PostgreSQL's ILIKE lowers every letter;
    /// SQLite's LIKE only A-Z, so there a regular expression names each letter's cases: `É` finds `Café` on both.
    pub fn push_contains(&mut self, column: &'static str, text: &str) -> &mut Sql {
        self.push(column);
        match self.backend() {
            Backend::Sqlite => self.push(" REGEXP ").bind(caseless_pattern(text)),
            Backend::Postgres => self.push(" ILIKE ").bind(contains_pattern(text)).push(" ESCAPE '\\'"),
        }
    }

    /// Builder form of [`Sql::push`] followed by [`Sql::bind`].
    pub fn and(mut self, text: &'static str, arg: impl Into<Arg>) -> Sql {
        self.push(text).bind(arg);
        self
    }

    /// Builder form of [`Sql::push`].
    pub fn then(mut self, text: &'static str) -> Sql {
        self.push(text);
        self
    }

    #[cfg(test)]
    fn text(&self) -> &str {
        &self.text
    }

    /// The arguments as the backend takes them. A key of the other kind than the layout's (an integer id given to
    /// a database keyed by UUIDs, or the reverse) names no row: it is bound as a NULL of the layout's key type,
    /// which matches nothing, as is a missing reference.
    fn args_for_backend(&self) -> Vec<Arg> {
        self.args.iter().map(|a| self.arg_for_backend(a)).collect()
    }

    fn arg_for_backend(&self, arg: &Arg) -> Arg {
        let uuid_keys = self.layout.uuid_keys();
        let null_key = if uuid_keys { Arg::NullUuid } else { Arg::OptKey(None) };
        match (self.backend(), arg) {
            (Backend::Sqlite, Arg::Time(t)) => Arg::Text(sqlite_time(*t)),
            (Backend::Sqlite, Arg::OptTime(Some(t))) => Arg::Text(sqlite_time(*t)),
            (_, Arg::Key(k) | Arg::OptKey(Some(k))) if is_uuid(k) != uuid_keys => null_key,
            (_, Arg::OptKey(None)) => null_key,
            (_, other) => without_nul(other),
        }
    }
}

/// A SQLite argument as a JSON value that `->>` reads back as the same SQL value (a boolean as 1 or 0).
fn json_value(arg: &Arg) -> serde_json::Value {
    use serde_json::Value;
    match arg {
        Arg::Int(v) => Value::from(*v),
        Arg::Int32(v) => Value::from(*v),
        Arg::Bool(v) => Value::Bool(*v),
        Arg::Text(v) | Arg::OptText(Some(v)) => Value::String(v.clone()),
        Arg::Key(Key::Int(v)) | Arg::OptKey(Some(Key::Int(v))) => Value::from(*v),
        Arg::Key(Key::Uuid(v)) | Arg::OptKey(Some(Key::Uuid(v))) => Value::String(v.to_string()),
        Arg::Time(t) | Arg::OptTime(Some(t)) => Value::String(sqlite_time(*t)),
        Arg::OptText(None) | Arg::OptKey(None) | Arg::OptTime(None) | Arg::NullUuid => Value::Null,
    }
}

fn is_uuid(key: &Key) -> bool {
    matches!(key, Key::Uuid(_))
}

/// PostgreSQL text can't hold NUL, and SQLite ends a LIKE pattern at one (so it matched everything). Nothing
/// stored holds NUL (the rules refuse control characters), so in a lookup it becomes U+FFFD, which matches
/// nothing either, instead of failing or matching every row.
fn without_nul(arg: &Arg) -> Arg {
    match arg {
        Arg::Text(s) if s.contains('\0') => Arg::Text(s.replace('\0', "\u{FFFD}")),
        Arg::OptText(Some(s)) if s.contains('\0') => Arg::OptText(Some(s.replace('\0', "\u{FFFD}"))),
        other => other.clone(),
    }
}

/// What an `IN` list may hold.
pub trait ListItem {
    /// Keys are cast to the layout's key type.
    const IS_KEY: bool;
    /// The item in the list's JSON array; `None` for a key of the other kind than the layout's, which names no
    /// row (see [`Sql::args_for_backend`]).
    fn json(&self, uuid_keys: bool) -> Option<serde_json::Value>;
}

macro_rules! key_items {
    ($($t:ty),*) => {$(
        impl ListItem for $t {
            const IS_KEY: bool = true;
            fn json(&self, uuid_keys: bool) -> Option<serde_json::Value> {
                (is_uuid(&self.0) == uuid_keys).then(|| serde_json::to_value(self).expect("keys serialise"))
            }
        }
    )*};
}
key_items!(CodeId, UserId, UsageId);

impl ListItem for String {
    const IS_KEY: bool = false;
    fn json(&self, _: bool) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.clone()))
    }
}
impl ListItem for &str {
    const IS_KEY: bool = false;
    fn json(&self, _: bool) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.to_string()))
    }
}

/// Somewhere to run a query: a pool, or the connection of an open transaction.
pub enum Exec<'a> {
    SqlitePool(&'a Arc<Layout>, &'a SqlitePool),
    PgPool(&'a Arc<Layout>, &'a PgPool),
    SqliteConn(&'a Arc<Layout>, &'a mut SqliteConnection),
    PgConn(&'a Arc<Layout>, &'a mut PgConnection),
}

/// Binds every argument of `$sql` onto `$query` (a sqlx query of one concrete backend).
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Int(v) => q.bind(v),
                Arg::Int32(v) => q.bind(v),
                Arg::Bool(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::OptText(v) => q.bind(v),
                Arg::Key(Key::Int(v)) | Arg::OptKey(Some(Key::Int(v))) => q.bind(v),
                Arg::Key(Key::Uuid(v)) | Arg::OptKey(Some(Key::Uuid(v))) => q.bind(v),
                Arg::OptKey(None) => q.bind(None::<i64>),
                Arg::NullUuid => q.bind(None::<Uuid>),
                Arg::Time(v) => q.bind(v),
                Arg::OptTime(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Runs `$body` with `$e` bound to the concrete executor; the body is compiled once per backend.
macro_rules! on_exec {
    ($exec:expr, $e:ident => $body:expr) => {
        match $exec {
            Exec::SqlitePool(_, $e) => $body,
            Exec::PgPool(_, $e) => $body,
            Exec::SqliteConn(_, $e) => $body,
            Exec::PgConn(_, $e) => $body,
        }
    };
}

impl Exec<'_> {
    /// A shorter-lived copy, for running several queries on one connection.
    pub fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::SqlitePool(l, p) => Exec::SqlitePool(l, p),
            Exec::PgPool(l, p) => Exec::PgPool(l, p),
            Exec::SqliteConn(l, c) => Exec::SqliteConn(l, c),
            Exec::PgConn(l, c) => Exec::PgConn(l, c),
        }
    }

    pub fn layout(&self) -> &Arc<Layout> {
        match self {
            Exec::SqlitePool(l, _) | Exec::PgPool(l, _) | Exec::SqliteConn(l, _) | Exec::PgConn(l, _) => l,
        }
    }

    pub fn backend(&self) -> Backend {
        self.layout().backend
    }

    /// A query for this executor's database.
    pub fn sql(&self, text: &'static str) -> Sql {
        Sql::new(self.layout(), text)
    }

    pub async fn execute(self, sql: &Sql) -> Result<u64, sqlx::Error> {
        let args = sql.args_for_backend();
        let text = sql.text.clone();
        on_exec!(self, e => Ok(bind_all!(sqlx::query(AssertSqlSafe(text)), args).execute(e).await?.rows_affected()))
    }

    pub async fn fetch_all<T>(self, sql: &Sql) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for_backend();
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_all(e).await)
    }

    pub async fn fetch_optional<T>(self, sql: &Sql) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for_backend();
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_optional(e).await)
    }

    pub async fn fetch_one<T>(self, sql: &Sql) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for_backend();
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_one(e).await)
    }
}

impl<'a> Exec<'a> {
    /// The rows as a stream, read from the database as the caller takes them: any number of rows in constant
    /// memory. The query holds its connection until the stream ends or is dropped.
    pub fn fetch_stream<T>(self, sql: &Sql) -> BoxStream<'a, Result<T, sqlx::Error>>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'a,
    {
        let args = sql.args_for_backend();
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch(e))
    }
}

/// Longer search text than this is in no stored field (the longest, a description, has 255 characters), so it
/// matches nothing without asking.
pub const MAX_CONTAINS: usize = 1000;

/// A regular expression that finds `text` without case: each letter as the class of its cases. Not the regex
/// crate's `(?i)`, which folds case (`ſ` would find `s`, and `İ` not `i`).
fn caseless_pattern(text: &str) -> String {
    let mut pattern = String::new();
    for c in text.chars() {
        match caseless::same_letter(c).as_slice() {
            [one] => pattern.push_str(&regex::escape(one.encode_utf8(&mut [0; 4]))),
            cases => {
                pattern.push('[');
                cases.iter().for_each(|case| pattern.push_str(&regex::escape(case.encode_utf8(&mut [0; 4]))));
                pattern.push(']');
            }
        }
    }
    pattern
}

/// `LIKE` pattern for "contains `text`", with the wildcards of the input escaped (use with `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::layout::{Mode, SchemaName};

    fn sqlite() -> Arc<Layout> {
        Arc::new(Layout::new(Backend::Sqlite, SchemaName::default(), Mode::Standalone))
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        let sql = Sql::new(&sqlite(), "SELECT 1 WHERE a = ").and("", 1i64).and(" AND b = ", "x").then(" LIMIT 1");
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2 LIMIT 1");
    }

    #[test]
    fn tokens_become_the_layouts_names() {
        let sql = Sql::new(&sqlite(), "SELECT c.{code_key} FROM {codes_table} c WHERE c.{created_by} = ").and("", 1i64);
        assert_eq!(sql.text(), "SELECT c.id FROM phoenix_kit_referral_codes c WHERE c.created_by = $1");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn sqlite_times_are_fixed_width() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 18, 0, 0).unwrap();
        assert_eq!(sqlite_time(at), "2026-01-31T18:00:00.000Z");
    }
}
