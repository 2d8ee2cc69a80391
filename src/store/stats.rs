//! System-wide figures: all-time totals, and what happened in a window of time.

use crate::domain::stats::{StatusCounts, SystemStats, TopCode, WindowBeneficiary, WindowCode};
use crate::domain::window::Bucket;
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

/// Appends the uses of each code in `[from, to)`, as `w(code_ref, uses)`. Grouped over the usage records alone,
/// which SQLite reads from the index on `(date_used, code_id)` without touching the table.
fn push_uses_between(sql: &mut Sql, from: DateTime<Utc>, to: DateTime<Utc>) {
    sql.push("(SELECT u.{code_ref} AS code_ref, count(*) AS uses FROM {usage} u WHERE u.date_used >= ")
        .bind(from)
        .push(" AND u.date_used < ")
        .bind(to)
        .push(" GROUP BY u.{code_ref}) w");
}

/// The codes used most in `[from, to)`.
pub async fn top_codes_between(
    exec: Exec<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WindowCode>, sqlx::Error> {
    let mut sql = exec.sql("SELECT c.{code_key} AS id, c.code, w.uses FROM ");
    push_uses_between(&mut sql, from, to);
    sql.push(" JOIN {codes} c ON c.{code_key} = w.code_ref ORDER BY w.uses DESC, c.code LIMIT ").bind(limit);
    exec.fetch_all(&sql).await
}

/// The beneficiaries whose codes were used most in `[from, to)`.
pub async fn top_beneficiaries_between(
    exec: Exec<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WindowBeneficiary>, sqlx::Error> {
    // PostgreSQL sums bigints to numeric: cast back so both backends give an i64.
    let mut sql = exec.sql(
        "SELECT c.{beneficiary} AS user_id, CAST(max(b.email) AS TEXT) AS email, CAST(sum(w.uses) AS BIGINT) AS uses \
         FROM ",
    );
    push_uses_between(&mut sql, from, to);
    sql.push(
        " JOIN {codes} c ON c.{code_key} = w.code_ref LEFT JOIN {users} b ON b.{user_key} = c.{beneficiary} \
         WHERE c.{beneficiary} IS NOT NULL GROUP BY c.{beneficiary} ORDER BY 3 DESC, 2 LIMIT ",
    )
    .bind(limit);
    exec.fetch_all(&sql).await
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
