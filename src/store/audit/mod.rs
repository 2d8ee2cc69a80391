//! The audit trail's rows: written in the transaction of the change they record, into refcodes' own table
//! ([`own`]) or PhoenixKit's `phoenix_kit_audit_logs` ([`phoenix_kit`]), as the layout's [`AuditSink`] says, and
//! read back newest first, a page at a time from a key ([`history`]).
//!
//! Single events are written as one JSON array per statement. A bulk action's hundred thousand events are built
//! in SQL from the codes themselves, in the action's transaction, so nothing is read into the program: on
//! refcodes' own trail as a header row and a narrow copy of each code, on PhoenixKit's as its rows.

mod history;
mod own;
mod phoenix_kit;

pub use history::{Query, deactivated_between, page};

use crate::domain::audit::{Action, NewEvent};
use crate::domain::{CodeId, UserId};
use crate::store::codes::{BulkChange, push_extended};
use crate::store::layout::AuditSink;
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Events per statement: a few MB of JSON.
const BATCH: usize = 5000;

/// Who made the change, from where, and when (a bulk job keeps who runs it, without the time: see
/// `store::jobs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Who {
    pub operator_id: UserId,
    /// Lower case: emails name users without case.
    pub operator: String,
    pub face: String,
    #[serde(skip)]
    pub at: DateTime<Utc>,
}

/// Records `events` as `who`'s, in the executor's transaction. The sink must be a table (the service logs events
/// of a [`AuditSink::LogOnly`] database itself).
pub async fn record(mut exec: Exec<'_>, who: &Who, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    let sink = exec.layout().audit.clone();
    // In the order of the code index, whose keys (random codes) are the costly ones to insert: in order, each
    // lands beside the one before instead of on a page of its own (a third of a 100,000-event insert on SQLite).
    let mut events: Vec<&NewEvent> = events.iter().collect();
    events.sort_by(|a, b| a.code.cmp(&b.code));
    for chunk in events.chunks(BATCH) {
        let sql = match &sink {
            AuditSink::Own => own::insert(&exec, who, chunk),
            AuditSink::PhoenixKit(shape) => phoenix_kit::insert(&exec, *shape, who, chunk),
            AuditSink::LogOnly(_) => unreachable!("events of a database without an audit table are only logged"),
        };
        exec.reborrow().execute(&sql).await?;
    }
    Ok(())
}

/// What a bulk action does to each of its codes (a delete: [`delete_recorded`]).
#[derive(Debug, Clone, Copy)]
pub enum Bulk<'a> {
    /// Changed by these, recorded before: each code's event is built from the code as it is and the changes.
    Changed(&'a [BulkChange]),
    /// Created (generated), recorded after: each event holds the new code's fields.
    Created,
}

impl Bulk<'_> {
    /// A change's new beneficiary, if it sets one (the last, if it sets several).
    fn beneficiary(self) -> Option<Option<UserId>> {
        match self {
            Bulk::Changed(changes) => changes.iter().rev().find_map(|c| match c {
                BulkChange::Beneficiary(user) => Some(*user),
                _ => None,
            }),
            Bulk::Created => None,
        }
    }

    /// Pushes each code `c`'s expiry after the action, where it extends them, computed as the change computes it
    /// (as of `now`); else `NULL`.
    fn push_expiration_after(self, sql: &mut Sql, now: DateTime<Utc>) {
        let extended = match self {
            Bulk::Changed(changes) => changes.iter().find_map(|c| match c {
                BulkChange::ExtendBy(seconds) => Some(*seconds),
                _ => None,
            }),
            Bulk::Created => None,
        };
        match extended {
            Some(seconds) => push_extended(sql, now, seconds),
            None => {
                sql.push("NULL");
            }
        }
    }
}

/// Records a bulk `action` on the codes `ids` as `who`'s, in the executor's transaction, with one event per code
/// built from the code in SQL: before a change (`now` is the change's: an extension's expiries are computed as
/// the change computes them), after a creation. The sink must be a table.
pub async fn record_bulk(
    mut exec: Exec<'_>,
    who: &Who,
    action: (Action, &str),
    ids: &[CodeId],
    bulk: Bulk<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    match exec.layout().audit.clone() {
        AuditSink::Own => own::record_bulk(exec.reborrow(), who, action, ids, bulk, now).await?,
        AuditSink::PhoenixKit(shape) => {
            phoenix_kit::record_bulk(exec.reborrow(), shape, who, action, ids, bulk, now).await?
        }
        AuditSink::LogOnly(_) => unreachable!("events of a database without an audit table are only logged"),
    }
    analyze_after(exec, ids.len()).await
}

/// Deletes the codes `ids` and their usage records as the bulk delete `bulk_id` by `who`, recording each code's
/// last state and how many usage records went with it as [`record_bulk`] records a change. Returns how many codes
/// and usage records were deleted. The sink must be a table.
pub async fn delete_recorded(
    mut exec: Exec<'_>,
    who: &Who,
    bulk_id: &str,
    ids: &[CodeId],
) -> Result<(u64, u64), sqlx::Error> {
    let deleted = match exec.layout().audit.clone() {
        AuditSink::Own => own::delete_recorded(exec.reborrow(), who, bulk_id, ids).await?,
        AuditSink::PhoenixKit(shape) => phoenix_kit::delete_recorded(exec.reborrow(), shape, who, bulk_id, ids).await?,
        AuditSink::LogOnly(_) => unreachable!("events of a database without an audit table are only logged"),
    };
    analyze_after(exec, ids.len()).await?;
    Ok(deleted)
}

/// A bulk action of this many codes or more brings PostgreSQL's statistics of its rows up to date.
const ANALYZED_FROM: usize = 10_000;

/// After a bulk action of many codes on PostgreSQL, brings the statistics of the table its rows went into up to
/// date, so that the planner knows of them before autovacuum does: holding the counts of a smaller table (or, on
/// PhoenixKit's log, none of refcodes' actions), it sorted all of an action's rows to list a first page (0.05-2
/// s). On PhoenixKit's log only a role that owns the table does it; for another the statistics wait for autovacuum.
async fn analyze_after(exec: Exec<'_>, rows: usize) -> Result<(), sqlx::Error> {
    if exec.backend() == Backend::Postgres && rows >= ANALYZED_FROM {
        let sql = match exec.layout().audit {
            AuditSink::Own => exec.sql("ANALYZE {audit_codes}"),
            // Only a role that may (PhoenixKit's owner): another would be warned on every bulk action.
            _ => exec.sql(
                "DO $$ BEGIN IF pg_has_role((SELECT relowner FROM pg_class WHERE oid = CAST('{audit}' AS regclass)), \
                 'USAGE') THEN ANALYZE {audit}; END IF; END $$",
            ),
        };
        exec.execute(&sql).await?;
    }
    Ok(())
}

/// Turns PostgreSQL's JIT off for the rest of the transaction: a bulk action's statement over many codes (its
/// per-code subqueries, such as a user's key) makes it guess the statement costly enough to compile (0.17 s of a
/// 100,000-code delete's 1.5 when the delete still counted each code's records by a subquery), though each code
/// costs a few index probes.
async fn jit_off(exec: Exec<'_>) -> Result<(), sqlx::Error> {
    let sql = exec.sql("SET LOCAL jit = off");
    exec.execute(&sql).await?;
    Ok(())
}

/// Keys as a PostgreSQL array literal, cast as `{code_key}` holds them, joined to the codes `c` in their order, so
/// that each index the rows go into takes them in order (in the order a hashed list gave them, they cost three
/// times as much to insert).
fn push_codes_in_order(sql: &mut Sql, ids: &[CodeId]) {
    sql.push(" FROM ");
    push_keys(sql, ids);
    sql.push(" JOIN {codes_table} c ON c.{code_key} = k.id");
}

/// `WITH gone AS (...), records AS (...)`: the codes `ids` deleted on PostgreSQL, each read once as it goes (`gone`)
/// with its usage records counted in one grouped join before they go (`records`: `id`, `n`; a code without any is
/// not there). The caller adds its own parts and ends with [`DELETED_TOTALS`]; [`GONE_WITH_RECORDS`] reads each code
/// as `c` with its count as `r.n`.
fn push_delete_counting_records(sql: &mut Sql, ids: &[CodeId]) {
    sql.push("WITH gone AS (DELETE FROM {codes_table} c USING ");
    push_keys(sql, ids);
    sql.push(" WHERE c.{code_key} = k.id RETURNING c.*), records AS (SELECT u.{code_ref} AS id, count(*) AS n ");
    sql.push("FROM {usage_table} u JOIN gone g ON u.{code_ref} = g.{code_key} GROUP BY u.{code_ref})");
}

/// The source of [`push_delete_counting_records`]'s rows, each code as `c` with its usage records' count as `r.n`.
const GONE_WITH_RECORDS: &str = " FROM gone c LEFT JOIN records r ON r.id = c.{code_key}";

/// The end of [`push_delete_counting_records`]'s statement: how many codes and usage records went.
const DELETED_TOTALS: &str =
    " SELECT (SELECT count(*) FROM gone), CAST(COALESCE((SELECT sum(n) FROM records), 0) AS BIGINT)";

/// `unnest(keys) AS k (id)`: the keys as rows of one array argument, which PostgreSQL sizes when it plans with the
/// argument's value (a list it can't size, such as `push_in`'s JSON, it plans as 100 rows: a 100,000-code bulk
/// action then probed the index once per code after hashing the list through temporary files).
fn push_keys(sql: &mut Sql, ids: &[CodeId]) {
    debug_assert_eq!(sql.backend(), Backend::Postgres);
    let keys: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let cast = if sql.layout().uuid_keys() { " AS uuid[])) AS k (id)" } else { " AS bigint[])) AS k (id)" };
    sql.push("unnest(CAST(").bind(format!("{{{}}}", keys.join(","))).push(cast);
}

/// Deletes the events of an undone bulk action (a generate's, whose codes went).
pub async fn forget_bulk(mut exec: Exec<'_>, bulk_id: &str) -> Result<u64, sqlx::Error> {
    if exec.layout().audit == AuditSink::Own {
        let sql = exec
            .sql("DELETE FROM {audit_codes} WHERE event_id IN (SELECT id FROM {audit} WHERE bulk_id = ")
            .and("", bulk_id)
            .then(")");
        exec.reborrow().execute(&sql).await?;
    }
    let sql = exec.sql("DELETE FROM {audit} WHERE bulk_id = ").and("", bulk_id);
    exec.execute(&sql).await
}
