//! Queries on `phoenix_kit_referral_code_usage`, and the two statements of a redemption.

use crate::domain::stats::{DailyUsage, UsageRecord};
use crate::domain::{CodeId, UserId};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, NaiveDate, Utc};

/// How the writes of a redemption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// A use was taken and recorded with this usage id.
    Recorded { id: i64, code_id: CodeId },
    /// The rules refused: nothing was written.
    Refused,
    /// PostgreSQL only: a use was taken, but a redemption of the code by the same user recorded first. The caller
    /// must roll back, or the use would stand without its record.
    Raced,
}

/// Appends the redemption's conditional update: a use of the code is taken only if the code may be used now
/// (active, not expired, under its limit, the system enabled) by this user (who exists and has not used it). One
/// statement, so concurrent redemptions can never pass the limit.
fn push_take_use(sql: &mut Sql, code: &str, user: UserId, now: DateTime<Utc>) {
    sql.push("UPDATE phoenix_kit_referral_codes AS c SET number_of_uses = c.number_of_uses + 1 WHERE upper(c.code) = ")
        .bind(code)
        .push(" AND c.status AND c.number_of_uses < c.max_uses AND (c.expiration_date IS NULL OR c.expiration_date > ")
        .bind(now)
        .push(
            ") AND EXISTS (SELECT 1 FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' \
             AND value = 'true') AND EXISTS (SELECT 1 FROM phoenix_kit_users WHERE id = ",
        )
        .bind(user)
        .push(
            ") AND NOT EXISTS (SELECT 1 FROM phoenix_kit_referral_code_usage x WHERE x.code_id = c.id AND x.used_by = ",
        )
        .bind(user)
        .push(")");
}

const RECORD: &str = "INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT ";
const ON_CONFLICT: &str = " ON CONFLICT (code_id, used_by) DO NOTHING RETURNING id, code_id";

/// One redemption: the code as given (upper-cased), who redeems it, and when.
pub type Redemption<'a> = (&'a str, UserId, DateTime<Utc>);

/// SQLite: the writes of several redemptions as one script, each record chained to its update by `changes()`
/// (the rows changed by the statement just before). Under SQLite's write lock nothing changes in between, so each
/// redemption writes both or nothing. A recorded use returns `(usage id, code id, index in redemptions)`; see
/// [`outcome`].
pub fn sqlite_redemptions(redemptions: &[Redemption<'_>]) -> Sql {
    let mut sql = Sql::new("");
    for (i, &(code, user, now)) in redemptions.iter().enumerate() {
        sql.push(if i == 0 { "" } else { "; " });
        push_take_use(&mut sql, code, user, now);
        sql.push("; ").push(RECORD).push("c.id, ").bind(user).push(", ").bind(now);
        sql.push(" FROM phoenix_kit_referral_codes c WHERE changes() = 1 AND upper(c.code) = ").bind(code);
        sql.push(ON_CONFLICT).push(&format!(", {i}"));
    }
    sql
}

/// How redemption number `index` of [`sqlite_redemptions`] ended, from the rows the script returned.
pub fn outcome(rows: &[(i64, CodeId, i64)], index: usize) -> Redeemed {
    rows.iter()
        .find(|row| row.2 == index as i64)
        .map_or(Redeemed::Refused, |&(id, code_id, _)| Redeemed::Recorded { id, code_id })
}

/// The redemption's writes in an open transaction: the conditional update, then the record of the use. SQLite
/// sends both at once ([`sqlite_redemptions`]); PostgreSQL lets no prepared statement hold two, so it sends them
/// one after the other.
pub async fn redeem(mut exec: Exec<'_>, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Redeemed, sqlx::Error> {
    if exec.backend() == Backend::Sqlite {
        return Ok(outcome(&exec.fetch_all(&sqlite_redemptions(&[(code, user, now)])).await?, 0));
    }
    let mut take = Sql::new("");
    push_take_use(&mut take, code, user, now);
    take.push(" RETURNING c.id");
    let Some((code_id,)) = exec.reborrow().fetch_optional::<(CodeId,)>(&take).await? else {
        return Ok(Redeemed::Refused);
    };
    let mut record = Sql::new(RECORD);
    record.bind(code_id).push(", ").bind(user).push(", ").bind(now).push(ON_CONFLICT);
    Ok(match exec.fetch_optional::<(i64, CodeId)>(&record).await? {
        Some((id, code_id)) => Redeemed::Recorded { id, code_id },
        None => Redeemed::Raced,
    })
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
