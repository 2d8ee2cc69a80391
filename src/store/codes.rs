//! Queries on the referral codes table: one code, inserts, changes, selections and the bulk actions on them.
//! The list's window is [`super::page`]'s; a redemption is [`super::redeem`]'s.

use crate::domain::draft::{CodeUpdate, NewCode};
use crate::domain::{CodeFilter, CodeId, CodeRow, CodeStatus, Compare, ReferralCode, Selection, UserId};
use crate::store::sql::{Arg, MAX_CONTAINS};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Duration, Utc};
use futures::stream::BoxStream;

/// A code's columns, read as [`ReferralCode`] from the table aliased `c`.
pub(super) const CODE_COLUMNS: &str = "c.{code_key} AS id, c.code, c.description, c.status, c.number_of_uses, \
     c.max_uses, c.{created_by} AS created_by, c.{beneficiary} AS beneficiary, c.date_created{tz} AS date_created, \
     c.expiration_date{tz} AS expiration_date";
/// The same columns unqualified, for `RETURNING`.
const RETURNING: &str = " RETURNING {code_key} AS id, code, description, status, number_of_uses, max_uses, \
     {created_by} AS created_by, {beneficiary} AS beneficiary, date_created{tz} AS date_created, \
     expiration_date{tz} AS expiration_date";

/// The emails of a row's creator and beneficiary, from [`USER_JOINS`].
pub(super) const EMAILS: &str =
    ", CAST(cu.email AS TEXT) AS created_by_email, CAST(bu.email AS TEXT) AS beneficiary_email";
pub(super) const USER_JOINS: &str = " LEFT JOIN {users} cu ON cu.{user_key} = c.{created_by} \
     LEFT JOIN {users} bu ON bu.{user_key} = c.{beneficiary}";

fn select_rows(exec: &Exec<'_>) -> Sql {
    let mut sql = exec.sql("SELECT ");
    sql.push(CODE_COLUMNS).push(EMAILS).push(" FROM {codes} c").push(USER_JOINS);
    sql
}

fn select_codes(exec: &Exec<'_>) -> Sql {
    let mut sql = exec.sql("SELECT ");
    sql.push(CODE_COLUMNS).push(" FROM {codes} c");
    sql
}

pub async fn get(exec: Exec<'_>, id: CodeId) -> Result<Option<ReferralCode>, sqlx::Error> {
    let sql = select_codes(&exec).and(" WHERE c.{code_key} = ", id);
    exec.fetch_optional(&sql).await
}

/// Appends the condition that picks the code a lookup means: the same without case (`code` is upper-cased). Older
/// PhoenixKit data can hold two codes that differ only in case; then the oldest is meant, as PhoenixKit picks it
/// (`doctor` reports such pairs).
pub(super) fn push_lookup(sql: &mut Sql, code: &str) {
    sql.push("c.{code_key} = (SELECT x.{code_key} FROM {codes} x WHERE upper(x.code) = ")
        .bind(code)
        .push(" ORDER BY x.date_created, x.{code_key} LIMIT 1)");
}

/// Looks a code up without case (`code` is already upper-cased).
pub async fn get_by_code(exec: Exec<'_>, code: &str) -> Result<Option<ReferralCode>, sqlx::Error> {
    let mut sql = select_codes(&exec).then(" WHERE ");
    push_lookup(&mut sql, code);
    exec.fetch_optional(&sql).await
}

pub async fn get_row(exec: Exec<'_>, id: CodeId) -> Result<Option<CodeRow>, sqlx::Error> {
    let sql = select_rows(&exec).and(" WHERE c.{code_key} = ", id);
    exec.fetch_optional(&sql).await
}

/// Codes after `after` (from the first without it), by id: one batch of a walk over every code that never loads
/// them all.
pub async fn rows_after(exec: Exec<'_>, after: Option<CodeId>, limit: i64) -> Result<Vec<CodeRow>, sqlx::Error> {
    let mut sql = select_rows(&exec);
    if let Some(after) = after {
        sql.push(" WHERE c.{code_key} > ").bind(after);
    }
    sql.push(" ORDER BY c.{code_key} LIMIT ").bind(limit);
    exec.fetch_all(&sql).await
}

/// The codes `filter` matches, created at or after `since` if given, by key, as a stream (for an export of any
/// size).
pub fn stream_rows<'a>(
    exec: Exec<'a>,
    filter: &CodeFilter,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BoxStream<'a, Result<CodeRow, sqlx::Error>> {
    let mut sql = select_rows(&exec);
    push_where(&mut sql, filter, now);
    if let Some(since) = since {
        sql.push(" AND c.date_created >= ").bind(since);
    }
    sql.push(" ORDER BY c.{code_key}");
    exec.fetch_stream(&sql)
}

/// Rows per multi-row INSERT: on SQLite one argument whatever the rows (see [`Sql::push_rows`]), on PostgreSQL
/// at most 13 arguments a row, well within its 65,535.
pub const INSERT_BATCH: usize = 1000;

/// Inserts codes in one multi-row statement (at most [`INSERT_BATCH`]) and returns them as stored.
pub async fn insert(exec: Exec<'_>, codes: &[NewCode]) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = insert_statement(&exec, codes);
    sql.push(RETURNING);
    exec.fetch_all(&sql).await
}

/// Inserts codes as [`insert`] does and returns their keys only, in no order. On SQLite the keys are read back by
/// code as one row, not returned: sqlx hands each returned row from the connection's thread to the caller's one at
/// a time, and an import of 100,000 codes spent about a quarter of its time on that.
pub async fn insert_keys(mut exec: Exec<'_>, codes: &[NewCode]) -> Result<Vec<CodeId>, sqlx::Error> {
    let mut sql = insert_statement(&exec, codes);
    if exec.backend() == Backend::Postgres {
        sql.push(" RETURNING {code_key}");
        return Ok(exec.fetch_all::<(CodeId,)>(&sql).await?.into_iter().map(|(id,)| id).collect());
    }
    exec.reborrow().execute(&sql).await?;
    let names: Vec<&str> = codes.iter().map(|c| c.code.as_str()).collect();
    let mut keys = exec.sql("SELECT CAST(json_group_array(c.{code_key}) AS TEXT) FROM {codes_table} c WHERE ");
    keys.push_in("c.code", &names);
    let (json,): (String,) = exec.fetch_one(&keys).await?;
    serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// The multi-row INSERT of `codes`, up to its `RETURNING`. Where rows are keyed by UUID each gets a new UUIDv7, as
/// PhoenixKit gives them; in the dual generation the integer references are filled too.
fn insert_statement(exec: &Exec<'_>, codes: &[NewCode]) -> Sql {
    let layout = exec.layout().clone();
    let mut sql = exec.sql("INSERT INTO {codes_table} (");
    if layout.uuid_keys() {
        sql.push("{code_key}, ");
    }
    sql.push(
        "code, description, status, number_of_uses, max_uses, {created_by}, {beneficiary}, date_created, \
         expiration_date",
    );
    let rows: Vec<Vec<Arg>> = codes
        .iter()
        .map(|new| {
            let mut row = Vec::with_capacity(10);
            if layout.uuid_keys() {
                row.push(CodeId::from(uuid::Uuid::now_v7()).into());
            }
            row.extend([
                new.code.clone().into(),
                new.description.clone().into(),
                new.status.into(),
                0i32.into(),
                new.max_uses.into(),
                new.created_by.into(),
                new.beneficiary.into(),
                new.date_created.into(),
                new.expiration_date.into(),
            ]);
            row
        })
        .collect();
    if layout.dual() {
        // The integer references of the row's creator and beneficiary (PostgreSQL names the VALUES' columns
        // column1, column2, ...; the UUID key is the first).
        sql.push(", created_by, beneficiary) SELECT v.*, (SELECT iu.id FROM {users} iu WHERE iu.uuid = v.column7), ");
        sql.push("(SELECT iu.id FROM {users} iu WHERE iu.uuid = v.column8) FROM (").push_rows(&rows).push(") v");
    } else {
        sql.push(") ").push_rows(&rows);
    }
    sql
}

/// The dual generation's integer id of a user known by UUID (NULL for none).
pub(super) fn push_user_int(sql: &mut Sql, user: Option<UserId>) {
    sql.push("(SELECT iu.id FROM {users} iu WHERE iu.uuid = ").bind(user).push(")");
}

/// The stored codes that `codes` (upper-cased) name, compared without case; where two stored codes differ only in
/// case, both are returned, oldest first (see [`push_lookup`]).
pub async fn by_codes(exec: Exec<'_>, codes: &[String]) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = select_codes(&exec).then(" WHERE ");
    sql.push_in("upper(c.code)", codes).push(" ORDER BY c.date_created, c.{code_key}");
    exec.fetch_all(&sql).await
}

/// Which of `codes` (upper-cased) exist already, in any case.
pub async fn existing(exec: Exec<'_>, codes: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = exec.sql("SELECT upper(c.code) FROM {codes_table} c WHERE ");
    sql.push_in("upper(c.code)", codes);
    Ok(exec.fetch_all::<(String,)>(&sql).await?.into_iter().map(|(c,)| c).collect())
}

/// Whether there are no codes at all.
pub async fn none(exec: Exec<'_>) -> Result<bool, sqlx::Error> {
    let sql = exec.sql("SELECT NOT EXISTS (SELECT 1 FROM {codes_table})");
    Ok(exec.fetch_one::<(bool,)>(&sql).await?.0)
}

/// A code locked until the transaction ends, so a check of it holds when the update after it writes (SQLite's
/// `BEGIN IMMEDIATE` already holds the only write lock).
pub async fn get_locked(exec: Exec<'_>, id: CodeId) -> Result<Option<ReferralCode>, sqlx::Error> {
    let mut sql = select_codes(&exec).and(" WHERE c.{code_key} = ", id);
    if exec.backend() == Backend::Postgres {
        sql.push(" FOR UPDATE OF c");
    }
    exec.fetch_optional(&sql).await
}

pub async fn update(exec: Exec<'_>, id: CodeId, changes: &CodeUpdate) -> Result<Option<ReferralCode>, sqlx::Error> {
    if changes.is_empty() {
        return get(exec, id).await;
    }
    let dual = exec.layout().dual();
    let mut sql = exec.sql("UPDATE {codes_table} SET ");
    let mut sep = "";
    let mut set = |sql: &mut Sql, column: &'static str| {
        sql.push(sep).push(column);
        sep = ", ";
    };
    if let Some(v) = &changes.code {
        set(&mut sql, "code = ");
        sql.bind(v.clone());
    }
    if let Some(v) = &changes.description {
        set(&mut sql, "description = ");
        sql.bind(v.clone());
    }
    if let Some(v) = changes.status {
        set(&mut sql, "status = ");
        sql.bind(v);
    }
    if let Some(v) = changes.max_uses {
        set(&mut sql, "max_uses = ");
        sql.bind(v);
    }
    if let Some(v) = changes.beneficiary {
        set(&mut sql, "{beneficiary} = ");
        sql.bind(v);
        if dual {
            set(&mut sql, "beneficiary = ");
            push_user_int(&mut sql, v);
        }
    }
    if let Some(v) = changes.expiration_date {
        set(&mut sql, "expiration_date = ");
        sql.bind(v);
    }
    sql.push(" WHERE {code_key} = ").bind(id).push(RETURNING);
    exec.fetch_optional(&sql).await
}

/// Appends ` WHERE ...` for `filter`, over the codes table `c` alone. The emails of the creator and the
/// beneficiary are matched by `IN (SELECT ... FROM users ...)`: the same codes as `LEFT JOIN`s on the users' key
/// would give, but the few matching users are found once instead of joined on every row. (Not `= ANY (ARRAY(...))`:
/// PostgreSQL compares each row with such an array one element at a time, 10 s at a million codes for a text that
/// thousands of users' emails hold, where `IN` hashes them.)
pub(super) fn push_where(sql: &mut Sql, filter: &CodeFilter, now: DateTime<Utc>) {
    push_where_emails(sql, filter, now, true);
}

/// [`push_where`], where `emails` false says that no user's email holds the plain text (the caller asked), so its
/// tests of the emails, each a read of every user, are left out.
pub(super) fn push_where_emails(sql: &mut Sql, filter: &CodeFilter, now: DateTime<Utc>, emails: bool) {
    sql.push(" WHERE 1 = 1");
    let text = filter.text.trim();
    if text.chars().count() > MAX_CONTAINS {
        sql.push(" AND 1 = 0");
        return;
    }
    if !text.is_empty() {
        sql.push(" AND (").push_contains("c.code", text).push(" OR ").push_contains("c.description", text);
        for column in ["c.{created_by}", "c.{beneficiary}"].into_iter().filter(|_| emails) {
            sql.push(" OR ").push(column).push(" IN (SELECT u.{user_key} FROM {users} u WHERE ");
            sql.push_contains("CAST(u.email AS TEXT)", text).push(")");
        }
        sql.push(")");
    }
    if [&filter.code, &filter.description, &filter.creator, &filter.beneficiary]
        .into_iter()
        .flatten()
        .any(|value| value.chars().count() > MAX_CONTAINS)
    {
        sql.push(" AND 1 = 0");
        return;
    }
    if let Some(code) = &filter.code {
        sql.push(" AND ").push_contains("c.code", code);
    }
    if let Some(description) = &filter.description {
        sql.push(" AND ").push_contains("c.description", description);
    }
    for (column, email) in [("c.{created_by}", &filter.creator), ("c.{beneficiary}", &filter.beneficiary)] {
        if let Some(email) = email {
            sql.push(" AND ").push(column).push(" IN (SELECT u.{user_key} FROM {users} u WHERE ");
            sql.push_contains("CAST(u.email AS TEXT)", email).push(")");
        }
    }
    if let Some(status) = filter.status {
        push_status(sql, status, now);
    }
    if let Some((compare, uses)) = filter.uses {
        sql.push(" AND c.number_of_uses ").push(compare.symbol()).push(" ").bind(uses);
    }
    if let Some((compare, span)) = filter.expires {
        push_expires(sql, compare, span, now);
    }
    if let Some((compare, span)) = filter.used {
        push_used(sql, compare, span, now);
    }
    if let Some(share) = filter.near_limit {
        sql.push(" AND ").push(SHARE).push(" >= ").push_int(share.permille());
    }
    if let Some(span) = filter.expiring_within {
        push_expires(sql, Compare::AtMost, span, now);
    }
}

/// Appends the test of a code's time left until expiry against `span` (see [`Compare`]: an expired code matches
/// none, one that never expires every `>` and `>=`).
fn push_expires(sql: &mut Sql, compare: Compare, span: Duration, now: DateTime<Utc>) {
    // No expiry lies past the last instant of 9999 (and SQLite's text times sort in time order only up to
    // there), so a longer span stops there: it reaches every code that expires at all.
    let last = crate::domain::validate::last_expiry();
    let until = now.checked_add_signed(span).map_or(last, |t| t.min(last));
    match compare {
        Compare::Less | Compare::AtMost | Compare::Equal => {
            let op = if compare == Compare::Less { " AND c.expiration_date < " } else { " AND c.expiration_date <= " };
            sql.push(" AND c.expiration_date > ").bind(now).push(op).bind(until)
        }
        Compare::More | Compare::AtLeast => {
            let op = if compare == Compare::More { " > " } else { " >= " };
            sql.push(" AND (c.expiration_date IS NULL OR c.expiration_date").push(op).bind(until).push(")")
        }
    };
}

/// Appends the test of the time since a code's latest usage record against `span`: `<` and `<=` ask for a record
/// that recent, `>` and `>=` for none (a code never used has gone unused longer than any span).
fn push_used(sql: &mut Sql, compare: Compare, span: Duration, now: DateTime<Utc>) {
    let test = UsedTest::of(compare, span, now);
    if sql.layout().keeps_last_used() {
        // The code's own last use: after `since` (strictly or not), or else none that late, or none at all.
        let op = match (test.recent, test.strict) {
            (true, true) => " > ",
            (true, false) => " >= ",
            (false, true) => " <= ",
            (false, false) => " < ",
        };
        if test.recent {
            sql.push(" AND c.last_used").push(op).bind(test.since);
        } else {
            sql.push(" AND (c.last_used IS NULL OR c.last_used").push(op).bind(test.since).push(")");
        }
        return;
    }
    sql.push(if test.recent { " AND EXISTS" } else { " AND NOT EXISTS" });
    sql.push(" (SELECT 1 FROM {usage} x WHERE x.{code_ref} = c.{code_key} AND x.date_used");
    sql.push(if test.strict { " > " } else { " >= " }).bind(test.since).push(")");
}

/// What a test of the time since a code's latest usage record asks: a record after `since` (`recent`) or none,
/// strictly after when `strict`.
struct UsedTest {
    recent: bool,
    since: DateTime<Utc>,
    strict: bool,
}

impl UsedTest {
    fn of(compare: Compare, span: Duration, now: DateTime<Utc>) -> UsedTest {
        let since = now.checked_sub_signed(span).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let (recent, strict) = match compare {
            Compare::Less | Compare::Equal => (true, true),
            Compare::AtMost => (true, false),
            Compare::More => (false, false),
            Compare::AtLeast => (false, true),
        };
        UsedTest { recent, since, strict }
    }
}

/// A code's uses in thousandths of its limit, rounded down: `floor(uses * 1000 / max_uses) >= p` holds exactly when
/// `uses * 1000 >= max_uses * p` for a whole `p`, so a share filter is exact, and SQLite finds it in the index of
/// this very expression (migration 0005). BIGINT because PostgreSQL's integer would overflow past 2,147,483 uses;
/// NULLIF because PostgreSQL fails on a division by zero, and older PhoenixKit data has no CHECK on max_uses.
pub(super) const SHARE: &str = "(CAST(c.number_of_uses AS BIGINT) * 1000 / NULLIF(c.max_uses, 0))";

pub(super) fn push_status(sql: &mut Sql, status: CodeStatus, now: DateTime<Utc>) {
    match status {
        CodeStatus::Inactive => {
            sql.push(" AND NOT c.status");
        }
        CodeStatus::Expired => {
            sql.push(" AND c.status AND c.expiration_date <= ").bind(now);
        }
        CodeStatus::Active | CodeStatus::LimitReached => {
            sql.push(" AND c.status AND (c.expiration_date IS NULL OR c.expiration_date > ").bind(now).push(")");
            sql.push(if status == CodeStatus::Active {
                " AND c.number_of_uses < c.max_uses"
            } else {
                " AND c.number_of_uses >= c.max_uses"
            });
        }
    }
}

/// Appends ` WHERE c.key IN (...)` for a selection.
fn push_selection(sql: &mut Sql, selection: &Selection, now: DateTime<Utc>) {
    match selection {
        Selection::Ids(ids) => {
            sql.push(" WHERE ").push_in("c.{code_key}", ids);
        }
        Selection::Matching(filter) => {
            sql.push(" WHERE c.{code_key} IN (SELECT c.{code_key} FROM {codes} c");
            push_where(sql, filter, now);
            sql.push(")");
        }
    }
}

/// The selection's codes and their usage records, counted.
pub async fn count_selected(
    exec: Exec<'_>,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let mut sql = exec.sql(
        // PostgreSQL sums bigints to numeric: cast back so both backends give an i64.
        "SELECT count(*), CAST(COALESCE(sum((SELECT count(*) FROM {usage} u WHERE u.{code_ref} = c.{code_key})), 0) \
         AS BIGINT) FROM {codes} c",
    );
    push_selection(&mut sql, selection, now);
    exec.fetch_one::<(i64, i64)>(&sql).await
}

/// How many codes of the selection have expired (by their expiry, whatever their status).
pub async fn count_selected_expired(
    exec: Exec<'_>,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut sql = exec.sql("SELECT count(*) FROM {codes} c");
    push_selection(&mut sql, selection, now);
    sql.push(" AND c.expiration_date <= ").bind(now);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// How many codes of the selection match `filter`.
pub async fn count_selected_matching(
    exec: Exec<'_>,
    selection: &Selection,
    filter: &CodeFilter,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut sql = exec.sql("SELECT count(*) FROM {codes} c");
    push_where(&mut sql, filter, now);
    sql.push(" AND c.{code_key} IN (SELECT c.{code_key} FROM {codes} c");
    push_selection(&mut sql, selection, now);
    sql.push(")");
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// A change a bulk action makes to every selected code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkChange {
    Status(bool),
    /// Each expiry to the later of itself and now, plus this many seconds; codes that never expire stay so.
    ExtendBy(i64),
    /// Every expiry to this time (`None`: never).
    Expiry(Option<DateTime<Utc>>),
    MaxUses(i32),
    Beneficiary(Option<UserId>),
    Description(String),
}

/// Makes `change` to the selected codes in one statement; returns how many were changed.
pub async fn change_selected(
    exec: Exec<'_>,
    selection: &Selection,
    change: &BulkChange,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let dual = exec.layout().dual();
    let mut sql = exec.sql("UPDATE {codes_table} AS c SET ");
    match change {
        BulkChange::Status(active) => {
            sql.push("status = ").bind(*active);
        }
        BulkChange::ExtendBy(seconds) => {
            sql.push("expiration_date = ");
            push_extended(&mut sql, now, *seconds);
        }
        BulkChange::Expiry(at) => {
            sql.push("expiration_date = ").bind(*at);
        }
        BulkChange::MaxUses(max) => {
            sql.push("max_uses = ").bind(*max);
        }
        BulkChange::Beneficiary(user) => {
            sql.push("{beneficiary} = ").bind(*user);
            if dual {
                sql.push(", beneficiary = ");
                push_user_int(&mut sql, *user);
            }
        }
        BulkChange::Description(text) => {
            sql.push("description = ").bind(text.clone());
        }
    }
    push_selection(&mut sql, selection, now);
    exec.execute(&sql).await
}

/// The code `c`'s expiry extended: the later of it and `now`, plus `seconds`, at most the last instant of the year
/// 9999 (the latest expiration allowed); NULL stays NULL. The audit trail records each code's from this too.
pub fn push_extended(sql: &mut Sql, now: DateTime<Utc>, seconds: i64) {
    match sql.backend() {
        // strftime gives NULL past 9999 and for text it can't read: the cap is tested first, and text that is no
        // time stays as it is rather than becoming "never expires".
        Backend::Sqlite => {
            sql.push("CASE WHEN c.expiration_date IS NULL THEN NULL WHEN julianday(max(c.expiration_date, ")
                .bind(now)
                .push(")) + ")
                .bind(seconds)
                .push(" / 86400.0 >= julianday('9999-12-31T23:59:59.999Z') THEN '9999-12-31T23:59:59.999Z' ")
                .push("ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', max(c.expiration_date, ")
                .bind(now)
                .push("), '+' || ")
                .bind(seconds)
                .push(" || ' seconds'), c.expiration_date) END");
        }
        // GREATEST skips NULLs, so a code that never expires must be kept out explicitly.
        Backend::Postgres => {
            sql.push("CASE WHEN c.expiration_date IS NULL THEN NULL ELSE LEAST(GREATEST(c.expiration_date, ")
                .bind(now)
                .push(") + make_interval(secs => ")
                .bind(seconds)
                .push("), TIMESTAMPTZ '9999-12-31 23:59:59.999+00') END");
        }
    }
}

/// Locks the selected codes until the transaction ends and returns their ids, so redemptions of them wait and a
/// delete removes and counts exactly these. SQLite's `BEGIN IMMEDIATE` already holds the only write lock.
pub async fn lock_selected(
    exec: Exec<'_>,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<Vec<CodeId>, sqlx::Error> {
    let mut sql = exec.sql("SELECT c.{code_key} FROM {codes} c");
    push_selection(&mut sql, selection, now);
    if exec.backend() == Backend::Postgres {
        // In key order, so two overlapping deletes can't deadlock.
        sql.push(" ORDER BY c.{code_key} FOR UPDATE OF c");
    }
    Ok(exec.fetch_all::<(CodeId,)>(&sql).await?.into_iter().map(|(id,)| id).collect())
}

/// These codes as stored, hidden by a bulk job or not, by key.
pub async fn get_many(exec: Exec<'_>, ids: &[CodeId]) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = exec.sql("SELECT ");
    sql.push(CODE_COLUMNS).push(" FROM {codes_table} c WHERE ").push_in("c.{code_key}", ids);
    sql.push(" ORDER BY c.{code_key}");
    exec.fetch_all(&sql).await
}

/// How many usage records each of these codes has (codes without any are left out).
pub async fn usage_counts(exec: Exec<'_>, ids: &[CodeId]) -> Result<Vec<(CodeId, i64)>, sqlx::Error> {
    let mut sql = exec.sql("SELECT {code_ref}, count(*) FROM {usage_table} WHERE ");
    sql.push_in("{code_ref}", ids).push(" GROUP BY {code_ref}");
    exec.fetch_all(&sql).await
}

/// Deletes these codes and their usage records (PhoenixKit databases of some histories have no cascade from usage
/// to codes, so the records are deleted here rather than left behind); returns how many codes and usage records
/// went.
pub async fn delete(mut exec: Exec<'_>, ids: &[CodeId]) -> Result<(u64, u64), sqlx::Error> {
    let mut usage = exec.sql("DELETE FROM {usage_table} WHERE ");
    usage.push_in("{code_ref}", ids);
    let records = exec.reborrow().execute(&usage).await?;
    let mut codes = exec.sql("DELETE FROM {codes_table} WHERE ");
    codes.push_in("{code_key}", ids);
    Ok((exec.execute(&codes).await?, records))
}

pub async fn count_created_by(exec: Exec<'_>, user: UserId) -> Result<i64, sqlx::Error> {
    let sql = exec.sql("SELECT count(*) FROM {codes} WHERE {created_by} = ").and("", user);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// Codes usable now: active, not expired (never-expiring ones included), under the limit.
pub async fn valid(exec: Exec<'_>, now: DateTime<Utc>, limit: i64) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = select_codes(&exec).then(" WHERE 1 = 1");
    push_status(&mut sql, CodeStatus::Active, now);
    sql.push(" ORDER BY c.code LIMIT ").bind(limit);
    exec.fetch_all(&sql).await
}

/// Sets `number_of_uses` (and `last_used`, where codes keep it) of the given codes from their usage records;
/// returns how many changed.
pub async fn recount_uses(exec: Exec<'_>, ids: &[CodeId]) -> Result<u64, sqlx::Error> {
    let mut sql = exec.sql("UPDATE {codes_table} AS c SET ");
    push_recount(&mut sql, " = ", ", ").push(" WHERE ");
    sql.push_in("c.{code_key}", ids);
    exec.execute(&sql).await
}

/// The columns of a code that its usage records decide, each with its value from them (for `c`).
const RECOUNTED: [(&str, &str); 2] = [
    ("number_of_uses", "(SELECT count(*) FROM {usage_table} u WHERE u.{code_ref} = c.{code_key})"),
    ("last_used", "(SELECT max(u.date_used) FROM {usage_table} u WHERE u.{code_ref} = c.{code_key})"),
];

/// Appends, for each column of [`RECOUNTED`] the layout has, the column, `op` and its value from the records,
/// joined by `join`: the assignments that set them (` = `, `, `) or the test that any is wrong
/// (` IS DISTINCT FROM `, ` OR `).
pub(super) fn push_recount<'a>(sql: &'a mut Sql, op: &'static str, join: &'static str) -> &'a mut Sql {
    let columns = if sql.layout().keeps_last_used() { &RECOUNTED[..] } else { &RECOUNTED[..1] };
    for (i, (column, value)) in columns.iter().enumerate() {
        sql.push(if i == 0 { "" } else { join }).push(column).push(op).push(value);
    }
    sql
}

/// Serialises the creation of codes until the transaction ends, so that the check that a code is new in any case
/// and its insert are one step: PhoenixKit's only unique index is on the code as written. SQLite's `BEGIN
/// IMMEDIATE` already holds the only write lock.
pub async fn lock_creation(exec: Exec<'_>) -> Result<(), sqlx::Error> {
    if exec.backend() == Backend::Postgres {
        let sql = exec.sql("SELECT pg_advisory_xact_lock(hashtext('refcodes.create_codes'))");
        exec.execute(&sql).await?;
    }
    Ok(())
}
