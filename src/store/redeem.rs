//! A redemption's writes: the crate's key invariant. A use of a code is taken by one conditional UPDATE of its
//! counter (the code usable now, the system enabled, the user existing and not having used it), so concurrent
//! redemptions can never pass the limit; the usage record follows in the same transaction.
//!
//! One use per user: refcodes' own schema has a unique (code, user) index, so a second record of the same pair
//! fails by itself. On PostgreSQL that makes a redemption one statement in autocommit (one round trip, the row
//! lock held for it alone): the update and the insert fed by it, where a second use by the user fails the
//! statement, which rolls back its own increment. PhoenixKit's usage table has no such index, and refcodes may not
//! add one: there the counter UPDATE holds the code's row lock until the transaction ends, and the record is
//! inserted only if no record of the pair exists, checked by a later statement, which sees every redemption of the
//! code that held the lock before (a check in the same statement would see only what its snapshot saw).

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
    /// PostgreSQL only: a redemption of the code by the same user recorded first. In a transaction (PhoenixKit)
    /// a use was taken, and the caller must roll back, or it would stand without its record; the one statement of
    /// refcodes' own schema failed and rolled back by itself.
    Raced,
}

/// One redemption: the code as given (upper-cased), who redeems it, and when.
pub type Redemption<'a> = (&'a str, UserId, DateTime<Utc>);

/// How a redemption's update makes sure that the user has not used the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unused {
    /// Left to the unique (code, user) index, which fails the record (PostgreSQL, refcodes' own schema).
    ByIndex,
    /// One probe of that index (SQLite, whose script goes on to the record whatever the update did).
    Probe,
    /// PhoenixKit, with no such index: see [`push_not_used_by`].
    UsersRecords,
}

/// Appends ` NOT IN (the codes the user has used)`, read from the user's records alone. A check by code and user
/// together was planned generically after a few runs of the prepared statement, on the code's index, which a hot
/// code fills with records; a user's records are few.
fn push_not_used_by(sql: &mut Sql, user: UserId) {
    sql.push(" NOT IN (SELECT x.{code_ref} FROM {usage} x WHERE x.{used_by} = ")
        .bind(user)
        .push(" AND x.{code_ref} IS NOT NULL)");
}

/// Appends the conditional update that takes a use of the code.
fn push_take_use(sql: &mut Sql, code: &str, user: UserId, now: DateTime<Utc>, unused: Unused) {
    sql.push("UPDATE {codes_table} AS c SET number_of_uses = c.number_of_uses + 1");
    if sql.layout().keeps_last_used() {
        // The latest of the uses, whichever commits last.
        sql.push(", last_used = CASE WHEN c.last_used IS NULL OR c.last_used < ")
            .bind(now)
            .push(" THEN ")
            .bind(now)
            .push(" ELSE c.last_used END");
    }
    sql.push(" WHERE ");
    push_lookup(sql, code);
    sql.push(" AND c.status AND c.number_of_uses < c.max_uses AND (c.expiration_date IS NULL OR c.expiration_date > ")
        .bind(now)
        .push(
            ") AND EXISTS (SELECT 1 FROM {settings} WHERE key = 'referral_codes_enabled' AND value = 'true') \
             AND EXISTS (SELECT 1 FROM {users} WHERE {user_key} = ",
        )
        .bind(user)
        .push(")");
    match unused {
        Unused::ByIndex => {}
        Unused::Probe => {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM {usage} x WHERE x.{code_ref} = c.{code_key} AND x.{used_by} = ")
                .bind(user)
                .push(")");
        }
        Unused::UsersRecords => {
            sql.push(" AND c.{code_key}");
            push_not_used_by(sql, user);
        }
    }
}

/// SQLite: the writes of several redemptions as one script, each record chained to its update by `changes()`
/// (the rows changed by the statement just before). Under SQLite's write lock nothing changes in between, so each
/// redemption writes both or nothing. A recorded use returns `(usage id, code id, index in redemptions)`; see
/// [`outcome`].
pub fn sqlite_script(exec: &Exec<'_>, redemptions: &[Redemption<'_>]) -> Sql {
    let mut sql = exec.sql("");
    for (i, &(code, user, now)) in redemptions.iter().enumerate() {
        sql.push(if i == 0 { "" } else { "; " });
        push_take_use(&mut sql, code, user, now, Unused::Probe);
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

/// The redemption's writes: the conditional update, then the record of the use. SQLite sends both at once
/// ([`sqlite_script`]), in an open transaction. PostgreSQL with refcodes' own schema runs [`claim_sql`], on a
/// transaction or on the pool in autocommit. On PhoenixKit, in an open transaction, it sends them one after the
/// other: the record's check must see what committed while the update waited for the row lock.
pub async fn redeem(mut exec: Exec<'_>, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Redeemed, sqlx::Error> {
    if exec.backend() == Backend::Sqlite {
        let script = sqlite_script(&exec, &[(code, user, now)]);
        return Ok(outcome(&exec.fetch_all(&script).await?, 0));
    }
    if exec.layout().unique_usage() {
        let claim = claim_sql(&exec, code, user, now);
        return match exec.fetch_optional::<(UsageId, CodeId)>(&claim).await {
            Ok(Some((id, code_id))) => Ok(Redeemed::Recorded { id, code_id }),
            Ok(None) => Ok(Redeemed::Refused),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Redeemed::Raced),
            Err(e) => Err(e),
        };
    }
    let mut take = exec.sql("");
    push_take_use(&mut take, code, user, now, Unused::UsersRecords);
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

/// PostgreSQL, refcodes' own schema: the update that takes a use and the insert of its record as one statement.
/// The user's earlier use is left to the unique (code, user) index, which fails the statement, increment and all:
/// no read of usage on the way to a success.
fn claim_sql(exec: &Exec<'_>, code: &str, user: UserId, now: DateTime<Utc>) -> Sql {
    let mut sql = exec.sql("WITH claim AS (");
    push_take_use(&mut sql, code, user, now, Unused::ByIndex);
    sql.push(
        " RETURNING c.{code_key}) INSERT INTO {usage_table} ({code_ref}, {used_by}, date_used) SELECT {code_key}, ",
    )
    .bind(user)
    .push(", ")
    .bind(now)
    .push(" FROM claim RETURNING {usage_key}, {code_ref}");
    sql
}

/// PhoenixKit: the record of a use taken, unless the user has one for the code already.
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
    sql.push(" WHERE ").bind(code_id);
    push_not_used_by(&mut sql, user);
    sql.push(" RETURNING {usage_key}, {code_ref}");
    sql
}
