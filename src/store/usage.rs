//! Queries on the usage records: a code's records, the newest, and walks over all.

use super::codes::push_where;
use crate::domain::stats::UsageRecord;
use crate::domain::{CodeFilter, CodeId, UsageId, UserId};
use crate::store::Exec;
use crate::store::sql::Arg;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

pub async fn user_used_code(exec: Exec<'_>, user: UserId, code_id: CodeId) -> Result<bool, sqlx::Error> {
    let sql =
        exec.sql("SELECT count(*) FROM {usage} WHERE {code_ref} = ").and("", code_id).and(" AND {used_by} = ", user);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0 > 0)
}

const RECORD_SELECT: &str = "SELECT u.{usage_key} AS id, u.{code_ref} AS code_id, c.code, u.{used_by} AS used_by, \
     CAST(p.email AS TEXT) AS user_email, u.date_used{tz} AS date_used FROM {usage} u \
     JOIN {codes} c ON c.{code_key} = u.{code_ref} LEFT JOIN {users} p ON p.{user_key} = u.{used_by}";

/// A code's usage records, newest first.
pub async fn for_code(
    exec: Exec<'_>,
    code_id: CodeId,
    offset: i64,
    limit: i64,
) -> Result<Vec<UsageRecord>, sqlx::Error> {
    let sql = exec
        .sql(RECORD_SELECT)
        .and(" WHERE u.{code_ref} = ", code_id)
        .and(" ORDER BY u.date_used DESC, u.{usage_key} DESC LIMIT ", limit)
        .and(" OFFSET ", offset);
    exec.fetch_all(&sql).await
}

/// The newest usage records of all codes.
pub async fn recent(exec: Exec<'_>, limit: i64) -> Result<Vec<UsageRecord>, sqlx::Error> {
    let sql = exec.sql(RECORD_SELECT).and(" ORDER BY u.date_used DESC, u.{usage_key} DESC LIMIT ", limit);
    exec.fetch_all(&sql).await
}

/// Usage records after `after` (from the first without it), by id: one batch of a walk over all of them.
pub async fn records_after(
    exec: Exec<'_>,
    after: Option<UsageId>,
    limit: i64,
) -> Result<Vec<UsageRecord>, sqlx::Error> {
    let mut sql = exec.sql(RECORD_SELECT);
    if let Some(after) = after {
        sql.push(" WHERE u.{usage_key} > ").bind(after);
    }
    sql.push(" ORDER BY u.{usage_key} LIMIT ").bind(limit);
    exec.fetch_all(&sql).await
}

/// The usage records of the codes `filter` matches, made at or after `since` if given, by key, as a stream (for an
/// export of any size).
pub fn stream_records<'a>(
    exec: Exec<'a>,
    filter: &CodeFilter,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> BoxStream<'a, Result<UsageRecord, sqlx::Error>> {
    let mut sql = exec.sql(RECORD_SELECT).then(" WHERE 1 = 1");
    if !filter.is_empty() {
        sql.push(" AND u.{code_ref} IN (SELECT c.{code_key} FROM {codes} c");
        push_where(&mut sql, filter, now);
        sql.push(")");
    }
    if let Some(since) = since {
        sql.push(" AND u.date_used >= ").bind(since);
    }
    sql.push(" ORDER BY u.{usage_key}");
    exec.fetch_stream(&sql)
}

/// Total uses, distinct users and the last use of a code.
pub async fn totals_for_code(
    exec: Exec<'_>,
    code_id: CodeId,
) -> Result<(i64, i64, Option<DateTime<Utc>>), sqlx::Error> {
    let sql = exec
        .sql("SELECT count(*), count(DISTINCT {used_by}), max(date_used){tz} FROM {usage} WHERE {code_ref} = ")
        .and("", code_id);
    exec.fetch_one(&sql).await
}

/// Inserts many usage records in one statement (history, as the demo writes it on refcodes' own schema).
pub async fn insert_history(exec: Exec<'_>, rows: &[(CodeId, UserId, DateTime<Utc>)]) -> Result<u64, sqlx::Error> {
    let rows: Vec<Vec<Arg>> =
        rows.iter().map(|(code, user, at)| vec![(*code).into(), (*user).into(), (*at).into()]).collect();
    let mut sql = exec.sql("INSERT INTO {usage_table} ({code_ref}, {used_by}, date_used) ");
    sql.push_rows(&rows);
    exec.execute(&sql).await
}
