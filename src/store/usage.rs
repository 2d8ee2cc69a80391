//! Queries on `phoenix_kit_referral_code_usage`, and the two statements of a redemption.

use crate::domain::stats::{DailyUsage, UsageRecord};
use crate::domain::{CodeId, UserId};
use crate::store::{Exec, Sql};
use chrono::{DateTime, NaiveDate, Utc};

/// Takes one use of the code if it may be used now: active, not expired, under its limit, and the system
/// enabled. One conditional statement, so concurrent redemptions can never pass the limit.
pub async fn take_use(exec: Exec<'_>, code: &str, now: DateTime<Utc>) -> Result<Option<CodeId>, sqlx::Error> {
    let sql = Sql::new(
        "UPDATE phoenix_kit_referral_codes SET number_of_uses = number_of_uses + 1 \
         WHERE upper(code) = ",
    )
    .and("", code)
    .and(" AND status AND number_of_uses < max_uses AND (expiration_date IS NULL OR expiration_date > ", now)
    .then(
        ") AND EXISTS (SELECT 1 FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND value = 'true') \
         RETURNING id",
    );
    Ok(exec.fetch_optional::<(CodeId,)>(&sql).await?.map(|(id,)| id))
}

/// Records the use by an existing user; `None` when the user does not exist or has used the code already.
pub async fn insert(
    exec: Exec<'_>,
    code_id: CodeId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = Sql::new("INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT ")
        .and("", code_id)
        .and(", u.id, ", now)
        .and(" FROM phoenix_kit_users u WHERE u.id = ", user)
        .then(" ON CONFLICT (code_id, used_by) DO NOTHING RETURNING id");
    Ok(exec.fetch_optional::<(i64,)>(&sql).await?.map(|(id,)| id))
}

pub async fn user_used_code(exec: Exec<'_>, user: UserId, code_id: CodeId) -> Result<bool, sqlx::Error> {
    let sql = Sql::new("SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE code_id = ")
        .and("", code_id)
        .and(" AND used_by = ", user);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0 > 0)
}

const RECORD_SELECT: &str = "SELECT u.id, u.code_id, c.code, u.used_by, CAST(p.email AS TEXT) AS user_email, u.date_used \
                             FROM phoenix_kit_referral_code_usage u \
                             JOIN phoenix_kit_referral_codes c ON c.id = u.code_id \
                             LEFT JOIN phoenix_kit_users p ON p.id = u.used_by";

/// A code's usage records, newest first.
pub async fn for_code(
    exec: Exec<'_>,
    code_id: CodeId,
    offset: i64,
    limit: i64,
) -> Result<Vec<UsageRecord>, sqlx::Error> {
    let sql = Sql::new(RECORD_SELECT)
        .and(" WHERE u.code_id = ", code_id)
        .and(" ORDER BY u.date_used DESC, u.id DESC LIMIT ", limit)
        .and(" OFFSET ", offset);
    exec.fetch_all(&sql).await
}

/// The newest usage records of all codes.
pub async fn recent(exec: Exec<'_>, limit: i64) -> Result<Vec<UsageRecord>, sqlx::Error> {
    exec.fetch_all(&Sql::new(RECORD_SELECT).and(" ORDER BY u.date_used DESC, u.id DESC LIMIT ", limit)).await
}

/// Usage records with an id above `after`, by id: one batch of a walk over all of them.
pub async fn records_after(exec: Exec<'_>, after: i64, limit: i64) -> Result<Vec<UsageRecord>, sqlx::Error> {
    exec.fetch_all(&Sql::new(RECORD_SELECT).and(" WHERE u.id > ", after).and(" ORDER BY u.id LIMIT ", limit)).await
}

/// Total uses, distinct users and the last use of a code.
pub async fn totals_for_code(
    exec: Exec<'_>,
    code_id: CodeId,
) -> Result<(i64, i64, Option<DateTime<Utc>>), sqlx::Error> {
    let sql = Sql::new(
        "SELECT count(*), count(DISTINCT used_by), max(date_used) FROM phoenix_kit_referral_code_usage WHERE code_id = ",
    )
    .and("", code_id);
    exec.fetch_one(&sql).await
}

/// Uses per UTC day in `[from, to)`; days without uses are left out.
pub async fn per_day(exec: Exec<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DailyUsage>, sqlx::Error> {
    let day = exec.backend().day_of("date_used");
    let sql =
        Sql::new(format!("SELECT {day} AS day, count(*) FROM phoenix_kit_referral_code_usage WHERE date_used >= "))
            .and("", from)
            .and(" AND date_used < ", to)
            .then(" GROUP BY 1 ORDER BY 1");
    let rows: Vec<(String, i64)> = exec.fetch_all(&sql).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(day, uses)| NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok().map(|day| DailyUsage { day, uses }))
        .collect())
}

/// Inserts many usage records in one statement (history, as the demo writes it).
pub async fn insert_many(exec: Exec<'_>, rows: &[(CodeId, UserId, DateTime<Utc>)]) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) VALUES ");
    for (i, (code, user, at)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(*code).push(", ").bind(*user).push(", ").bind(*at).push(")");
    }
    exec.execute(&sql).await
}
