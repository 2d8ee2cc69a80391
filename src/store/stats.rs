//! System-wide figures: all-time totals, and what happened in a window of time.

use crate::domain::stats::{StatusCounts, SystemStats, TopCode, WindowBeneficiary, WindowCode};
use crate::domain::window::Bucket;
use crate::domain::{CodeId, UserId};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};

pub async fn system(mut exec: Exec<'_>, now: DateTime<Utc>) -> Result<SystemStats, sqlx::Error> {
    let counts = by_status(exec.reborrow(), now).await?;
    // Each from the index on (number_of_uses, id) alone. PostgreSQL sums integers to bigint.
    let sql = exec.sql(
        "SELECT (SELECT COALESCE(sum(number_of_uses), 0) FROM {codes}), \
         (SELECT count(*) FROM {codes} WHERE number_of_uses > 0)",
    );
    let (total_usage, codes_with_usage): (i64, i64) = exec.fetch_one(&sql).await?;
    let total_codes = counts.active + counts.inactive + counts.expired + counts.limit_reached;
    Ok(SystemStats { total_codes, active_codes: counts.active, total_usage, codes_with_usage })
}

/// The most used codes.
pub async fn top_codes(exec: Exec<'_>, limit: i64) -> Result<Vec<TopCode>, sqlx::Error> {
    let sql = exec
        .sql(
            "SELECT {code_key} AS id, code, description, number_of_uses, max_uses FROM {codes} \
             WHERE number_of_uses > 0 ORDER BY number_of_uses DESC, {code_key} DESC LIMIT ",
        )
        .and("", limit);
    exec.fetch_all(&sql).await
}

/// What a window's series counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Usage records, by when the code was used.
    Redemptions,
    /// Users who have used a code, by when they signed up.
    Signups,
}

/// Counts per UTC bucket in `[from, to)`, keyed by the first [`Bucket::key_len`] characters of the bucket's start
/// in RFC 3339 (`2026-01-31T18`, `2026-01-31`); buckets without any are left out.
pub async fn series(
    exec: Exec<'_>,
    what: Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Bucket,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if what == Series::Redemptions && exec.backend() == Backend::Sqlite {
        let buckets = bucket_bounds(from, to, bucket);
        if buckets.len() <= COUNTED_BUCKETS {
            return counted_per_bucket(exec, &buckets).await;
        }
    }
    let column = match what {
        Series::Redemptions => "u.date_used",
        Series::Signups => "p.inserted_at",
    };
    let mut sql = exec.sql("SELECT ");
    match exec.backend() {
        // Times are fixed-width UTC text there (see `sqlite_time`).
        Backend::Sqlite => sql.push("substr(").push(column).push(", 1, ").push_int(bucket.key_len() as i64),
        // A column without time zone holds UTC, and the session's time zone is UTC: either way the UTC bucket.
        Backend::Postgres => sql.push("to_char(").push(column).push(match bucket {
            Bucket::Hour => " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24'",
            Bucket::Day => " AT TIME ZONE 'UTC', 'YYYY-MM-DD'",
        }),
    };
    sql.push("), count(*) FROM ");
    match what {
        Series::Redemptions => sql.push("{usage} u WHERE "),
        // A user counts once, however many codes they used.
        Series::Signups => {
            sql.push("{users} p WHERE EXISTS (SELECT 1 FROM {usage} u WHERE u.{used_by} = p.{user_key}) AND ")
        }
    };
    sql.push(column).push(" >= ").bind(from).push(" AND ").push(column).push(" < ").bind(to).push(" GROUP BY 1");
    exec.fetch_all(&sql).await
}

/// Most buckets [`series`] counts one by one on SQLite: ten years of days, three binds each.
const COUNTED_BUCKETS: usize = 3660;

/// The buckets of `[from, to)`: each one's name and its part of the window, `[lo, hi)`.
fn bucket_bounds(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Bucket,
) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    let mut bounds = Vec::new();
    let mut start = bucket.floor(from);
    while start < to && bounds.len() <= COUNTED_BUCKETS {
        let end = start + bucket.length();
        bounds.push((bucket.key(start), start.max(from), end.min(to)));
        start = end;
    }
    bounds
}

/// Usage records per bucket, each counted along the index on `date_used` from its start to its end: SQLite's
/// `GROUP BY` of a bucket's name sorted every record of the window first (4.2 s and megabytes at 8 million
/// records; counted this way, 0.5 s). Buckets without any are left out.
async fn counted_per_bucket(
    exec: Exec<'_>,
    buckets: &[(String, DateTime<Utc>, DateTime<Utc>)],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = exec.sql("SELECT b.column1, (SELECT count(*) FROM {usage} u WHERE u.date_used >= b.column2 ");
    sql.push("AND u.date_used < b.column3) FROM (VALUES ");
    for (i, (key, lo, hi)) in buckets.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" }).bind(key.clone()).push(", ").bind(*lo).push(", ").bind(*hi);
        sql.push(")");
    }
    sql.push(") b");
    let counts: Vec<(String, i64)> = exec.fetch_all(&sql).await?;
    Ok(counts.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// When the first usage record was made, if any (from the index on `date_used`).
pub async fn first_use(exec: Exec<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let sql = exec.sql("SELECT min(date_used){tz} FROM {usage}");
    Ok(exec.fetch_one::<(Option<DateTime<Utc>>,)>(&sql).await?.0)
}

/// Usage records in `[from, to)`.
pub async fn redemptions(exec: Exec<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let sql = exec.sql("SELECT count(*) FROM {usage} WHERE date_used >= ").and("", from).and(" AND date_used < ", to);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// Codes created in `[from, to)`.
pub async fn created(exec: Exec<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let sql =
        exec.sql("SELECT count(*) FROM {codes} WHERE date_created >= ").and("", from).and(" AND date_created < ", to);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// What a window's top list ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranked {
    Codes,
    /// The beneficiaries of the codes used.
    Beneficiaries,
    /// The days, each under its number ([`day_number`]): a window's series of closed days, kept with its sums.
    Days,
}

impl Ranked {
    /// Its name in the window sums' table.
    fn kind(self) -> &'static str {
        match self {
            Ranked::Codes => "code",
            Ranked::Beneficiaries => "beneficiary",
            Ranked::Days => "day",
        }
    }
}

/// A UTC day's number in the window sums: days since 1970-01-01.
fn day_number(at: DateTime<Utc>) -> i64 {
    at.date_naive().signed_duration_since(chrono::NaiveDate::default()).num_days()
}

/// Appends the uses of each code (or beneficiary) by the usage records in `[from, to)`, as rows `(id, n, last)`,
/// `last` the most recent use. Codes are grouped over the index on `(date_used, code_id)` alone, which reads only
/// the window's records but sorts them by code; when the window holds every record, `along_codes` has SQLite group
/// them along the index on `(code_id, date_used)` instead, which reads them in code order and sorts nothing (at
/// 8 million records, the sort held megabytes and seconds). PostgreSQL plans it itself.
fn push_uses(sql: &mut Sql, what: Ranked, from: DateTime<Utc>, to: DateTime<Utc>, along_codes: bool) {
    // A sums step takes one day: its records in one row under its number, none for a day without any.
    if what == Ranked::Days {
        sql.push("SELECT ").bind(day_number(from));
        sql.push(" AS id, count(*) AS n, max(u.date_used) AS last FROM {usage} u WHERE u.date_used >= ").bind(from);
        sql.push(" AND u.date_used < ").bind(to).push(" HAVING count(*) > 0");
        return;
    }
    // Beneficiaries: per code first, then each code looked up once. Joined record by record, SQLite walked the
    // codes in beneficiary order (for the GROUP BY) and every code's records: 12 s for 7 days at 8M records.
    if what == Ranked::Beneficiaries {
        sql.push("SELECT c.{beneficiary} AS id, CAST(sum(w.n) AS BIGINT) AS n, max(w.last) AS last FROM (");
        push_uses(sql, Ranked::Codes, from, to, along_codes);
        sql.push(
            ") w JOIN {codes} c ON c.{code_key} = w.id WHERE c.{beneficiary} IS NOT NULL GROUP BY c.{beneficiary}",
        );
        return;
    }
    // `+` keeps SQLite off the date's index.
    let date = if along_codes && sql.backend() == Backend::Sqlite { "+u.date_used" } else { "u.date_used" };
    sql.push("SELECT u.{code_ref} AS id, count(*) AS n, max(u.date_used) AS last FROM {usage} u WHERE ");
    sql.push(date).push(" >= ").bind(from).push(" AND ").push(date).push(" < ").bind(to).push(" GROUP BY u.{code_ref}");
}

/// Appends every use of each code (or beneficiary) as rows `(id, n, last)`, as [`push_uses`] does for all time,
/// but from the codes' own counters and last uses, which each redemption keeps equal to their records (`doctor`
/// checks them; a record dated after the window's end, which only a clock set wrong makes, counts too): grouping 8
/// million records took seconds. Codes: only those with at least the uses of the `limit`-th most used, found along
/// the index on the counter, can rank among the first `limit`.
fn push_counted(sql: &mut Sql, what: Ranked, limit: i64) {
    if what == Ranked::Beneficiaries {
        sql.push(
            "SELECT c.{beneficiary} AS id, CAST(sum(c.number_of_uses) AS BIGINT) AS n, max(c.last_used) AS last \
             FROM {codes} c WHERE c.number_of_uses > 0 AND c.{beneficiary} IS NOT NULL GROUP BY c.{beneficiary}",
        );
        return;
    }
    sql.push(
        "SELECT c.{code_key} AS id, CAST(c.number_of_uses AS BIGINT) AS n, c.last_used AS last FROM {codes} c \
         WHERE c.number_of_uses > 0",
    );
    sql.push(" AND c.number_of_uses >= COALESCE((SELECT x.number_of_uses FROM {codes} x ORDER BY x.number_of_uses DESC LIMIT 1 OFFSET ")
        .bind(limit.saturating_sub(1).max(0))
        .push("), 0)");
}

/// Where a window's top lists come from: every usage record of `[from, to)`, or the sums of its closed days kept
/// under `name` for `[from, open)` plus the records of `[open, to)`.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `every`: the window holds every record (all time), grouped along the codes (see [`push_uses`]).
    Records {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        every: bool,
    },
    Sums {
        name: &'a str,
        from: DateTime<Utc>,
        open: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// Appends the `limit` first rows `(id, uses, last)` in the order of the top lists: most uses, then most recent
/// use, then the highest key.
///
/// From sums: the candidates are the sums' own first `limit` and whatever was used in the open part. Any other
/// row keeps its sum, which ranks below those first `limit` (whose totals only grow, and whose last use only gets
/// more recent), so the candidates hold the answer.
fn push_ranked(sql: &mut Sql, what: Ranked, source: Source<'_>, limit: i64) {
    match source {
        Source::Records { from, to, every } => {
            sql.push("SELECT r.id, r.n AS uses, r.last FROM (");
            if every && what != Ranked::Days && sql.layout().keeps_last_used() {
                push_counted(sql, what, limit);
            } else {
                push_uses(sql, what, from, to, every);
            }
            sql.push(") r ORDER BY r.n DESC, r.last DESC, r.id DESC LIMIT ").bind(limit);
        }
        Source::Sums { name, open, to, .. } => {
            sql.push("SELECT r.id, CAST(sum(r.n) AS BIGINT) AS uses, max(r.last) AS last FROM (SELECT l.id, l.n, l.last FROM (");
            push_uses(sql, what, open, to, false);
            sql.push(
                ") l UNION ALL SELECT * FROM (SELECT k.id, k.uses AS n, k.last_used AS last FROM {stats_uses} k WHERE k.name = ",
            )
            .bind(name)
            .push(" AND k.kind = ")
            .bind(what.kind())
            .push(" AND k.id IN (SELECT l.id FROM (");
            push_uses(sql, what, open, to, false);
            sql.push(") l) UNION SELECT * FROM (SELECT t.id, t.uses AS n, t.last_used AS last FROM {stats_uses} t WHERE t.name = ")
                .bind(name)
                .push(" AND t.kind = ")
                .bind(what.kind())
                .push(" ORDER BY t.uses DESC, t.last_used DESC, t.id DESC LIMIT ")
                .bind(limit)
                .push(") f) s) r GROUP BY r.id ORDER BY 2 DESC, 3 DESC, 1 DESC LIMIT ")
                .bind(limit);
        }
    }
}

/// Appends a top list's query: `select` (rows `id, name, uses, last` over the ranked rows `r`, which `push_ranked`
/// appends) held by a row that is there only if the sums it reads are current, in the same statement; see
/// [`checked`].
fn push_top(sql: &mut Sql, what: Ranked, source: Source<'_>, limit: i64, select: &'static str, join: &'static str) {
    sql.push("SELECT t.id, t.name, t.uses FROM (SELECT 1 AS ok");
    if let Source::Sums { name, from, open, .. } = source {
        sql.push(" WHERE ");
        push_sums_current(sql, name, from, open);
    }
    sql.push(") v LEFT JOIN (").push(select);
    push_ranked(sql, what, source, limit);
    sql.push(join).push(") t ON TRUE ORDER BY t.uses DESC, t.last DESC, t.id DESC");
}

/// The rows of a [`push_top`] query: `None` when the sums were not current (no row at all), else the list (one
/// row of NULLs when it is empty).
type TopRow<K> = (Option<K>, Option<String>, Option<i64>);

fn checked<K, T>(rows: Vec<TopRow<K>>, row: impl Fn(K, Option<String>, i64) -> T) -> Option<Vec<T>> {
    (!rows.is_empty()).then(|| rows.into_iter().filter_map(|(id, name, uses)| Some(row(id?, name, uses?))).collect())
}

/// Appends a condition: the sums kept under `name` are those of `[from, open)` and still true. No usage record
/// came in with an earlier date since (its id would be above the last one summed), and on SQLite no bulk job
/// hides codes whose records the sums may hold.
fn push_sums_current(sql: &mut Sql, name: &str, from: DateTime<Utc>, open: DateTime<Utc>) {
    sql.push("EXISTS (SELECT 1 FROM {stats_window} w WHERE w.name = ")
        .bind(name)
        .push(" AND w.first_day = ")
        .bind(from)
        .push(" AND w.end_day = ")
        .bind(open)
        .push(" AND NOT EXISTS (SELECT 1 FROM {usage_table} x WHERE ");
    push_late(sql);
    sql.push("))");
    if sql.backend() == Backend::Sqlite && sql.layout().bulk_jobs {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM refcodes_jobs WHERE hides)");
    }
}

/// The codes used most in a window, the most recently used first among equals; `None` from sums that are not
/// current.
pub async fn top_codes_between(
    exec: Exec<'_>,
    source: Source<'_>,
    limit: i64,
) -> Result<Option<Vec<WindowCode>>, sqlx::Error> {
    let mut sql = exec.sql("");
    let select = "SELECT c.{code_key} AS id, c.code AS name, r.uses, r.last FROM (";
    push_top(&mut sql, Ranked::Codes, source, limit, select, ") r JOIN {codes} c ON c.{code_key} = r.id");
    let rows: Vec<TopRow<CodeId>> = exec.fetch_all(&sql).await?;
    Ok(checked(rows, |id, code, uses| WindowCode { id, code: code.unwrap_or_default(), uses }))
}

/// The beneficiaries whose codes were used most in a window, as [`top_codes_between`].
pub async fn top_beneficiaries_between(
    exec: Exec<'_>,
    source: Source<'_>,
    limit: i64,
) -> Result<Option<Vec<WindowBeneficiary>>, sqlx::Error> {
    let mut sql = exec.sql("");
    let select = "SELECT r.id, CAST(b.email AS TEXT) AS name, r.uses, r.last FROM (";
    push_top(&mut sql, Ranked::Beneficiaries, source, limit, select, ") r LEFT JOIN {users} b ON b.{user_key} = r.id");
    let rows: Vec<TopRow<UserId>> = exec.fetch_all(&sql).await?;
    // A gone user has no email: `None`.
    Ok(checked(rows, |user_id, email, uses| WindowBeneficiary { user_id, email, uses }))
}

/// A window's redemptions on each of its closed days `[from, open)`, from the sums kept under `name`, keyed as
/// [`series`] keys days (days without any left out); `None` when those sums are not current.
pub async fn summed_days(
    exec: Exec<'_>,
    name: &str,
    from: DateTime<Utc>,
    open: DateTime<Utc>,
) -> Result<Option<Vec<(String, i64)>>, sqlx::Error> {
    // As in `push_top`: no row when the sums are not current, one row of NULLs when they hold no day.
    let mut sql = exec.sql("SELECT t.id, t.uses FROM (SELECT 1 AS ok WHERE ");
    push_sums_current(&mut sql, name, from, open);
    sql.push(") v LEFT JOIN (SELECT k.id, k.uses FROM {stats_uses} k WHERE k.name = ").bind(name);
    sql.push(" AND k.kind = ").bind(Ranked::Days.kind()).push(") t ON TRUE");
    let rows: Vec<(Option<i64>, Option<i64>)> = exec.fetch_all(&sql).await?;
    let epoch = chrono::NaiveDate::default();
    let key = |day: i64| (epoch + chrono::Duration::days(day)).format("%Y-%m-%d").to_string();
    Ok((!rows.is_empty()).then(|| rows.into_iter().filter_map(|(day, uses)| Some((key(day?), uses?))).collect()))
}

/// Rows of the window sums forgotten per transaction when they start again, so the write lock is held briefly.
const FORGET_AT_ONCE: i64 = 20_000;

/// One step, in its own write transaction, of bringing the sums kept under `name` to the closed days `[from,
/// open)`: a day added at the end or taken off the start, or a slice of stale sums forgotten. A day of records
/// per step keeps each transaction short, so redemptions wait little for the lock. Returns whether they are there.
pub async fn sums_step(
    mut exec: Exec<'_>,
    name: &str,
    from: DateTime<Utc>,
    open: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let day = chrono::Duration::days(1);
    let sql = exec.sql("SELECT first_day, end_day FROM {stats_window} WHERE name = ").and("", name);
    let state: Option<(DateTime<Utc>, DateTime<Utc>)> = exec.reborrow().fetch_optional(&sql).await?;
    let current = match state {
        Some(days) if sums_true(exec.reborrow(), name).await? => Some(days),
        _ => None,
    };
    // Still true and overlapping the days wanted (or empty): move one of its ends a day. Otherwise forget it, a
    // slice at a time, and start from no day.
    let (first, end) = match current {
        Some(days) if days == (from, open) => return Ok(true),
        Some((first, end)) if first <= from && from <= end && end <= open => (first, end),
        _ => {
            let forget = exec.sql("DELETE FROM {stats_window} WHERE name = ").and("", name);
            exec.reborrow().execute(&forget).await?;
            let mut slice = exec.sql("DELETE FROM {stats_uses} WHERE name = ").and("", name);
            slice.push(" AND (kind, id) IN (SELECT kind, id FROM {stats_uses} WHERE name = ").bind(name);
            slice.push(" LIMIT ").bind(FORGET_AT_ONCE).push(")");
            if exec.reborrow().execute(&slice).await? == 0 {
                let mut start =
                    exec.sql("INSERT INTO {stats_window} (name, first_day, end_day, max_usage_id) VALUES (");
                start.bind(name).push(", ").bind(from).push(", ").bind(from);
                start.push(", (SELECT COALESCE(max({usage_key}), 0) FROM {usage_table}))");
                exec.reborrow().execute(&start).await?;
            }
            return Ok(false);
        }
    };
    for what in [Ranked::Codes, Ranked::Beneficiaries, Ranked::Days] {
        if first < from {
            let mut sql = exec.sql("UPDATE {stats_uses} AS s SET uses = s.uses - l.n FROM (");
            push_uses(&mut sql, what, first, first + day, false);
            sql.push(") l WHERE s.name = ").bind(name).push(" AND s.kind = ").bind(what.kind());
            sql.push(" AND s.id = l.id");
            exec.reborrow().execute(&sql).await?;
            let mut emptied = exec.sql("DELETE FROM {stats_uses} WHERE name = ").and("", name);
            emptied.push(" AND kind = ").bind(what.kind()).push(" AND uses <= 0");
            exec.reborrow().execute(&emptied).await?;
        } else {
            // The added day is later than every summed one: its last use is the latest.
            let mut sql = exec.sql("INSERT INTO {stats_uses} AS s (name, kind, id, uses, last_used) SELECT ");
            sql.bind(name).push(", ").bind(what.kind()).push(", l.id, l.n, l.last FROM (");
            push_uses(&mut sql, what, end, end + day, false);
            sql.push(
                ") l WHERE TRUE ON CONFLICT (name, kind, id) DO UPDATE SET uses = s.uses + excluded.uses, \
                 last_used = excluded.last_used",
            );
            exec.reborrow().execute(&sql).await?;
        }
    }
    let mut moved = exec.sql("UPDATE {stats_window} SET ");
    if first < from {
        moved.push("first_day = ").bind(first + day);
    } else {
        moved.push("end_day = ").bind(end + day);
        moved.push(", max_usage_id = (SELECT COALESCE(max({usage_key}), 0) FROM {usage_table})");
    }
    moved.push(" WHERE name = ").bind(name);
    exec.execute(&moved).await?;
    Ok(false)
}

/// The sums kept under `name` still hold every record of their days: none came in later with an earlier date.
async fn sums_true(exec: Exec<'_>, name: &str) -> Result<bool, sqlx::Error> {
    let mut sql = exec.sql("SELECT NOT EXISTS (SELECT 1 FROM {stats_window} w JOIN {usage_table} x ON ");
    push_late(&mut sql);
    sql.push(" WHERE w.name = ").bind(name).push(")");
    Ok(exec.fetch_one::<(bool,)>(&sql).await?.0)
}

/// Appends "record `x` came in after the sums `w` were made, dated on a day they hold". The records since are
/// found by key; SQLite, left to choose, took the date index and read every record before the day (`+` keeps it
/// off: 20 s a step at 8M records).
fn push_late(sql: &mut Sql) {
    sql.push("x.{usage_key} > w.max_usage_id AND ");
    if sql.backend() == Backend::Sqlite {
        sql.push("+");
    }
    sql.push("x.date_used < w.end_day");
}

/// How many codes are in each computed status. Each count but the total is of few codes and has an index to find
/// them (status, expiration_date, the share of the limit), so none reads every code; the active ones are the rest.
pub async fn by_status(exec: Exec<'_>, now: DateTime<Utc>) -> Result<StatusCounts, sqlx::Error> {
    // The order of `CodeStatus::of`: inactive, then expired, then used up.
    let mut sql = exec.sql(
        "SELECT (SELECT count(*) FROM {codes} WHERE status = FALSE), \
         (SELECT count(*) FROM {codes} c WHERE c.status AND c.expiration_date <= ",
    );
    sql.bind(now).push("), (SELECT count(*) FROM {codes} c WHERE ").push(super::codes::SHARE);
    sql.push(" >= 1000 AND c.status AND (c.expiration_date IS NULL OR c.expiration_date > ").bind(now);
    sql.push(") AND c.number_of_uses >= c.max_uses), (SELECT count(*) FROM {codes})");
    let (inactive, expired, limit_reached, total): (i64, i64, i64, i64) = exec.fetch_one(&sql).await?;
    Ok(StatusCounts { active: total - inactive - expired - limit_reached, inactive, expired, limit_reached })
}
