//! A redemption's writes: the crate's key invariant. A use of a code is taken by one conditional UPDATE of its
//! counter (the code usable now, the system enabled, the user existing and not having used it), so concurrent
//! redemptions can never pass the limit; the usage record follows in the same transaction.
//!
//! One use per user: refcodes' own schema has a unique (code, user) index, so a second record of the same pair
//! fails by itself. PhoenixKit's usage table has none, and refcodes may not add one: there the counter UPDATE
//! holds the code's row lock until the transaction ends, and the record is inserted only if no record of the pair
//! exists, checked by a later statement, which sees every redemption of the code that held the lock before.

use super::codes::{push_lookup, push_user_int};
use crate::domain::{CodeId, UsageId, UserId};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};

/// How the writes of a redemption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    /// A use was taken and recorded with this usage id.
    Recorded { id: UsageId, code_id: CodeId },
    /// The rules refused: nothing was written.
    Refused,
    /// PostgreSQL only: a use was taken, but a redemption of the code by the same user recorded first. The caller
    /// must roll back, or the use would stand without its record.
    Raced,
}

/// One redemption: the code as given (upper-cased), who redeems it, and when.
pub type Redemption<'a> = (&'a str, UserId, DateTime<Utc>);

/// Appends the conditional update that takes a use of the code.
fn push_take_use(sql: &mut Sql, code: &str, user: UserId, now: DateTime<Utc>) {
    sql.push("UPDATE {codes_table} AS c SET number_of_uses = c.number_of_uses + 1 WHERE ");
    push_lookup(sql, code);
    sql.push(" AND c.status AND c.number_of_uses < c.max_uses AND (c.expiration_date IS NULL OR c.expiration_date > ")
        .bind(now)
        .push(
            ") AND EXISTS (SELECT 1 FROM {settings} WHERE key = 'referral_codes_enabled' AND value = 'true') \
             AND EXISTS (SELECT 1 FROM {users} WHERE {user_key} = ",
        )
        .bind(user)
        .push(") AND NOT EXISTS (SELECT 1 FROM {usage} x WHERE x.{code_ref} = c.{code_key} AND x.{used_by} = ")
        .bind(user)
        .push(")");
}

/// SQLite: the writes of several redemptions as one script, each record chained to its update by `changes()`
/// (the rows changed by the statement just before). Under SQLite's write lock nothing changes in between, so each
/// redemption writes both or nothing. A recorded use returns `(usage id, code id, index in redemptions)`; see
/// [`outcome`].
pub fn sqlite_script(exec: &Exec<'_>, redemptions: &[Redemption<'_>]) -> Sql {
    let mut sql = exec.sql("");
    for (i, &(code, user, now)) in redemptions.iter().enumerate() {
        sql.push(if i == 0 { "" } else { "; " });
        push_take_use(&mut sql, code, user, now);
        sql.push("; INSERT INTO {usage_table} ({code_ref}, {used_by}, date_used) SELECT c.{code_key}, ")
            .bind(user)
            .push(", ")
            .bind(now)
            .push(" FROM {codes} c WHERE changes() = 1 AND ");
        push_lookup(&mut sql, code);
        sql.push(" ON CONFLICT ({code_ref}, {used_by}) DO NOTHING RETURNING id, {code_ref}, ").push_int(i as i64);
    }
    sql
}

/// How redemption number `index` of [`sqlite_script`] ended, from the rows the script returned.
pub fn outcome(rows: &[(UsageId, CodeId, i64)], index: usize) -> Redeemed {
    rows.iter()
        .find(|row| row.2 == index as i64)
        .map_or(Redeemed::Refused, |&(id, code_id, _)| Redeemed::Recorded { id, code_id })
}

/// The redemption's writes in an open transaction: the conditional update, then the record of the use. SQLite
/// sends both at once ([`sqlite_script`]); PostgreSQL lets no prepared statement hold two, so it sends them one
/// after the other.
pub async fn redeem(mut exec: Exec<'_>, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Redeemed, sqlx::Error> {
    if exec.backend() == Backend::Sqlite {
        let script = sqlite_script(&exec, &[(code, user, now)]);
        return Ok(outcome(&exec.fetch_all(&script).await?, 0));
    }
    let mut take = exec.sql("");
    push_take_use(&mut take, code, user, now);
    take.push(" RETURNING c.{code_key}");
    let Some((code_id,)) = exec.reborrow().fetch_optional::<(CodeId,)>(&take).await? else {
        return Ok(Redeemed::Refused);
    };
    let record = record_sql(&exec, code_id, user, now);
    Ok(match exec.fetch_optional::<(UsageId, CodeId)>(&record).await? {
        Some((id, code_id)) => Redeemed::Recorded { id, code_id },
        None => Redeemed::Raced,
    })
}

/// The record of a use taken, unless the user has one for the code already.
fn record_sql(exec: &Exec<'_>, code_id: CodeId, user: UserId, now: DateTime<Utc>) -> Sql {
    let layout = exec.layout().clone();
    let mut sql = exec.sql("INSERT INTO {usage_table} (");
    if layout.uuid_keys() {
        sql.push("{usage_key}, ");
    }
    sql.push("{code_ref}, {used_by}, date_used");
    if layout.dual() {
        sql.push(", code_id, used_by");
    }
    sql.push(") SELECT ");
    if layout.uuid_keys() {
        sql.bind(UsageId::from(uuid::Uuid::now_v7())).push(", ");
    }
    sql.bind(code_id).push(", ").bind(user).push(", ").bind(now);
    if layout.dual() {
        sql.push(", (SELECT ic.id FROM {codes} ic WHERE ic.uuid = ").bind(code_id).push("), ");
        push_user_int(&mut sql, Some(user));
    }
    sql.push(" WHERE NOT EXISTS (SELECT 1 FROM {usage} x WHERE x.{code_ref} = ").bind(code_id);
    sql.push(" AND x.{used_by} = ").bind(user).push(")");
    if layout.unique_usage() {
        sql.push(" ON CONFLICT ({code_ref}, {used_by}) DO NOTHING");
    }
    sql.push(" RETURNING {usage_key}, {code_ref}");
    sql
}
