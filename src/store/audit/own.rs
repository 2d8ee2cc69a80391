//! refcodes' own trail (`refcodes_audit_events`): an event a row; a bulk action one header row with what its
//! codes share (who, when, the bulk id, what was set) and a narrow copy of each code in `refcodes_audit_codes`,
//! from which `history` rebuilds each code's event.

use super::{Bulk, DELETED_TOTALS, GONE_WITH_RECORDS, Who, jit_off, push_codes_in_order, push_delete_counting_records};
use crate::domain::CodeId;
use crate::domain::audit::{Action, NewEvent};
use crate::domain::code::{beneficiary_text, expiration_text, status_text};
use crate::store::codes::BulkChange;
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A bulk `action` on the codes `ids`: the header, and each code copied by one `INSERT ... SELECT`.
pub(super) async fn record_bulk(
    mut exec: Exec<'_>,
    who: &Who,
    (action, bulk_id): (Action, &str),
    ids: &[CodeId],
    bulk: Bulk<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let applied = match bulk {
        Bulk::Changed(changes) => applied(changes),
        Bulk::Created => json!({}),
    };
    let event = insert_header(exec.reborrow(), who, (action, bulk_id), ids.len(), &applied).await?;
    let mut sql = exec.sql("");
    push_copy(&mut sql, event);
    sql.push("NULL, ");
    bulk.push_expiration_after(&mut sql, now);
    push_codes(&mut sql, ids);
    exec.execute(&sql).await?;
    Ok(())
}

/// A bulk delete: the header, and each code copied as it goes with how many usage records went with it.
pub(super) async fn delete_recorded(
    mut exec: Exec<'_>,
    who: &Who,
    bulk_id: &str,
    ids: &[CodeId],
) -> Result<(u64, u64), sqlx::Error> {
    let event = insert_header(exec.reborrow(), who, (Action::BulkDeleted, bulk_id), ids.len(), &json!({})).await?;
    let deleted = match exec.backend() {
        // The copies first, each with its usage records counted, then the codes and their records.
        Backend::Sqlite => {
            let mut sql = exec.sql("");
            push_copy(&mut sql, event);
            sql.push("(SELECT count(*) FROM {usage_table} u WHERE u.{code_ref} = c.{code_key}), NULL");
            push_codes(&mut sql, ids);
            exec.reborrow().execute(&sql).await?;
            crate::store::codes::delete(exec.reborrow(), ids).await?
        }
        // One statement: each code is read once, as it goes, its usage records counted before the schema's cascade
        // deletes them at the statement's end.
        Backend::Postgres => {
            let mut sql = exec.sql("");
            push_delete_counting_records(&mut sql, ids);
            sql.push(", copied AS (");
            push_copy(&mut sql, event);
            sql.push("COALESCE(r.n, 0), NULL").push(GONE_WITH_RECORDS).push(" ORDER BY c.{code_key})");
            sql.push(DELETED_TOTALS);
            let (codes, records): (i64, i64) = exec.reborrow().fetch_one(&sql).await?;
            (codes as u64, records as u64)
        }
    };
    Ok(deleted)
}

/// ` FROM` the codes `ids` as `c`.
fn push_codes(sql: &mut Sql, ids: &[CodeId]) {
    match sql.backend() {
        Backend::Sqlite => {
            sql.push(" FROM {codes_table} c WHERE ").push_in("c.{code_key}", ids);
        }
        Backend::Postgres => push_codes_in_order(sql, ids),
    }
}

/// A bulk action's header: who, when, which kind, its bulk id, what it set, and how many codes' rows follow.
async fn insert_header(
    mut exec: Exec<'_>,
    who: &Who,
    (action, bulk_id): (Action, &str),
    members: usize,
    applied: &Value,
) -> Result<i64, sqlx::Error> {
    let mut sql =
        exec.sql("INSERT INTO {audit} (at, operator_id, operator, face, action, changes, bulk_id, members) VALUES (");
    push_who(&mut sql, who);
    sql.push(", ").bind(action.as_str()).push(", CAST(").bind(applied.to_string());
    sql.push(match exec.backend() {
        Backend::Sqlite => " AS TEXT), ",
        Backend::Postgres => " AS jsonb), ",
    });
    sql.bind(bulk_id).push(", ").push_int(members as i64).push(") RETURNING id");
    let (event,): (i64,) = exec.reborrow().fetch_one(&sql).await?;
    if exec.backend() == Backend::Postgres {
        jit_off(exec).await?;
    }
    Ok(event)
}

/// `INSERT INTO` the codes' rows of the header `event` `SELECT` each code `c`'s copy, up to the last two columns
/// (`usage_records`, `expiration_after`), which the caller adds with the rows' source.
fn push_copy(sql: &mut Sql, event: i64) {
    sql.push(
        "INSERT INTO {audit_codes} (event_id, code_id, code, description, status, max_uses, beneficiary, \
         expiration_date, number_of_uses, usage_records, expiration_after) SELECT ",
    );
    sql.bind(event).push(
        ", c.{code_key}, c.code, c.description, c.status, c.max_uses, c.{beneficiary}, c.expiration_date, \
         c.number_of_uses, ",
    );
}

/// What a bulk change set, as its header keeps it: each field with its new value as text, or, where each code's
/// differs (an extension), how far it moved.
fn applied(changes: &[BulkChange]) -> Value {
    let set = |new: String| json!({ "new": new });
    let map = changes
        .iter()
        .map(|change| match change {
            BulkChange::Status(active) => ("status", set(status_text(*active).into())),
            BulkChange::ExtendBy(seconds) => ("expiration", json!({ "extended_by_seconds": seconds })),
            BulkChange::Expiry(at) => ("expiration", set(expiration_text(*at))),
            BulkChange::MaxUses(max) => ("max_uses", set(max.to_string())),
            BulkChange::Beneficiary(user) => ("beneficiary", set(beneficiary_text(*user))),
            BulkChange::Description(text) => ("description", set(text.clone())),
        })
        .map(|(field, value)| (field.to_string(), value))
        .collect();
    Value::Object(map)
}

/// `at, operator_id, operator, face`: the columns every row starts with.
fn push_who(sql: &mut Sql, who: &Who) {
    sql.bind(who.at).push(", ").bind(who.operator_id).push(", ").bind(who.operator.as_str()).push(", ");
    sql.bind(who.face.as_str());
}

/// Single events, a row each.
pub(super) fn insert(exec: &Exec<'_>, who: &Who, events: &[&NewEvent]) -> Sql {
    let rows = serde_json::to_string(events).expect("events serialise");
    let mut sql = exec
        .sql("INSERT INTO {audit} (at, operator_id, operator, face, action, code_id, code, changes, bulk_id) SELECT ");
    push_who(&mut sql, who);
    match exec.backend() {
        Backend::Sqlite => sql
            .push(
                ", json_extract(value, '$.action'), json_extract(value, '$.code_id'), json_extract(value, '$.code'), \
                 json_extract(value, '$.changes'), json_extract(value, '$.bulk_id') FROM json_each(",
            )
            .bind(rows)
            .push(")"),
        Backend::Postgres => sql
            .push(
                ", e->>'action', CAST(e->>'code_id' AS bigint), e->>'code', e->'changes', e->>'bulk_id' \
                 FROM jsonb_array_elements(CAST(",
            )
            .bind(rows)
            .push(" AS jsonb)) e"),
    };
    sql
}
