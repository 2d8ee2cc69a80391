//! A small SQL builder with numbered `$n` placeholders (both SQLite and PostgreSQL accept them), and the
//! executors that run it on either backend. Every query goes through here, so the per-backend dispatch is
//! written once.

use crate::store::Backend;
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgPool, SqliteConnection, SqlitePool};

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Int32(i32),
    Bool(bool),
    Text(String),
    OptText(Option<String>),
    OptInt(Option<i64>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Int32(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(v)
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::OptTime(v)
    }
}
impl From<crate::domain::CodeId> for Arg {
    fn from(v: crate::domain::CodeId) -> Self {
        Arg::Int(v.0)
    }
}
impl From<crate::domain::UserId> for Arg {
    fn from(v: crate::domain::UserId) -> Self {
        Arg::Int(v.0)
    }
}
impl From<Option<crate::domain::UserId>> for Arg {
    fn from(v: Option<crate::domain::UserId>) -> Self {
        Arg::OptInt(v.map(|u| u.0))
    }
}

/// SQLite keeps times as fixed-width UTC text with milliseconds (`2026-01-31T18:00:00.000Z`), the same shape
/// its own `strftime('%Y-%m-%dT%H:%M:%fZ')` writes, so text order is time order and SQL can do date arithmetic.
pub fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// SQL text and its arguments, built together so placeholders and binds can't drift apart.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), args: Vec::new() }
    }

    /// The same statements and arguments between `before` and `after`.
    pub fn framed(&self, before: &str, after: &str) -> Sql {
        Sql { text: format!("{before}{}{after}", self.text), args: self.args.clone() }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// The placeholder the next argument will get, for fragments that name it more than once or out of order.
    pub fn next_placeholder(&self) -> String {
        format!("${}", self.args.len() + 1)
    }

    /// Adds an argument whose placeholder the text already holds (see [`Sql::next_placeholder`]).
    pub fn push_arg(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        self
    }

    /// Appends `column IN (values)`, the values bound as one JSON array (see [`Backend::in_json_array`]).
    pub fn push_in<T: ListItem>(&mut self, backend: Backend, column: &str, values: &[T]) -> &mut Sql {
        let json = serde_json::to_string(values).expect("plain values serialise");
        let param = self.next_placeholder();
        self.push(&backend.in_json_array(column, &param, T::IS_ID)).push_arg(json)
    }

    /// Builder form of [`Sql::push_arg`].
    pub fn with_arg(mut self, arg: impl Into<Arg>) -> Sql {
        self.push_arg(arg);
        self
    }

    /// Builder form of [`Sql::push`] followed by [`Sql::bind`].
    pub fn and(mut self, text: &str, arg: impl Into<Arg>) -> Sql {
        self.push(text).bind(arg);
        self
    }

    /// Builder form of [`Sql::push`].
    pub fn then(mut self, text: &str) -> Sql {
        self.push(text);
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn args_for(&self, backend: Backend) -> Vec<Arg> {
        match backend {
            Backend::Postgres => self.args.iter().map(without_nul).collect(),
            Backend::Sqlite => self
                .args
                .iter()
                .map(|a| match a {
                    Arg::Time(t) => Arg::Text(sqlite_time(*t)),
                    Arg::OptTime(t) => match t {
                        Some(t) => Arg::Text(sqlite_time(*t)),
                        None => Arg::OptTime(None),
                    },
                    other => without_nul(other),
                })
                .collect(),
        }
    }
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
pub trait ListItem: serde::Serialize {
    const IS_ID: bool;
}
impl ListItem for i64 {
    const IS_ID: bool = true;
}
impl ListItem for String {
    const IS_ID: bool = false;
}
impl ListItem for &str {
    const IS_ID: bool = false;
}

/// Somewhere to run a query: a pool, or the connection of an open transaction.
pub enum Exec<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    SqliteConn(&'a mut SqliteConnection),
    PgConn(&'a mut PgConnection),
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
                Arg::OptInt(v) => q.bind(v),
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
            Exec::SqlitePool($e) => $body,
            Exec::PgPool($e) => $body,
            Exec::SqliteConn($e) => $body,
            Exec::PgConn($e) => $body,
        }
    };
}

impl Exec<'_> {
    /// A shorter-lived copy, for running several queries on one connection.
    pub fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::SqlitePool(p) => Exec::SqlitePool(p),
            Exec::PgPool(p) => Exec::PgPool(p),
            Exec::SqliteConn(c) => Exec::SqliteConn(c),
            Exec::PgConn(c) => Exec::PgConn(c),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Exec::SqlitePool(_) | Exec::SqliteConn(_) => Backend::Sqlite,
            Exec::PgPool(_) | Exec::PgConn(_) => Backend::Postgres,
        }
    }

    pub async fn execute(self, sql: &Sql) -> Result<u64, sqlx::Error> {
        let args = sql.args_for(self.backend());
        let text = sql.text.clone();
        on_exec!(self, e => Ok(bind_all!(sqlx::query(AssertSqlSafe(text)), args).execute(e).await?.rows_affected()))
    }

    pub async fn fetch_all<T>(self, sql: &Sql) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for(self.backend());
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_all(e).await)
    }

    pub async fn fetch_optional<T>(self, sql: &Sql) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for(self.backend());
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_optional(e).await)
    }

    pub async fn fetch_one<T>(self, sql: &Sql) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let args = sql.args_for(self.backend());
        let text = sql.text.clone();
        on_exec!(self, e => bind_all!(sqlx::query_as::<_, T>(AssertSqlSafe(text)), args).fetch_one(e).await)
    }
}

/// Longer search text than this is in no stored field (the longest, a description, has 255 characters), so it
/// matches nothing without asking; SQLite refuses LIKE patterns over 50,000 bytes.
pub const MAX_CONTAINS: usize = 1000;

/// `LIKE` pattern for "contains `text`", with the wildcards of the input escaped (use with `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
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

    #[test]
    fn placeholders_are_numbered_in_order() {
        let sql = Sql::new("SELECT 1 WHERE a = ").and("", 1i64).and(" AND b = ", "x").then(" LIMIT 1");
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2 LIMIT 1");
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
