//! PhoenixKit's `phoenix_kit_audit_logs`: a row per event, in the columns its generation has. The target is the
//! code's beneficiary (the operator when there is none, or where the integer columns need a user who is gone), the
//! admin the operator; the event's details go in `metadata`. Where both integer and UUID user columns exist, the
//! integer ones are looked up from the UUIDs the database keys users by.
//!
//! A bulk action's rows are built from the codes in SQL, their `changes` formatted as
//! [`crate::domain::code::edited_fields`] formats a code's fields, so that they read as the rows of single events
//! do and nothing is read into the program (reading every code before and after made a bulk delete 5.7 times
//! slower).

use super::{Bulk, DELETED_TOTALS, GONE_WITH_RECORDS, Who, jit_off, push_codes_in_order, push_delete_counting_records};
use crate::domain::CodeId;
use crate::domain::audit::{Action, NewEvent};
use crate::domain::code::{beneficiary_text, expiration_text, status_text};
use crate::store::codes::BulkChange;
use crate::store::layout::AuditShape;
use crate::store::{Exec, Sql};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Single events' rows, from their JSON.
pub(super) fn insert(exec: &Exec<'_>, shape: AuditShape, who: &Who, events: &[&NewEvent]) -> Sql {
    let operator_key = serde_json::to_value(who.operator_id).expect("keys serialise");
    let rows: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "action": e.action,
                "target": e.target.map_or(operator_key.clone(), |k| serde_json::to_value(k).expect("keys serialise")),
                "metadata": {
                    "code": e.code,
                    "code_id": e.code_id.map(|c| c.to_string()),
                    "changes": e.changes,
                    "face": &who.face,
                    "bulk_id": e.bulk_id,
                    "admin_email": &who.operator,
                    "source": "refcodes",
                },
            })
        })
        .collect();
    let rows = serde_json::to_string(&rows).expect("events serialise");
    let mut sql = exec.sql("");
    push_insert(&mut sql, shape);
    sql.push("e->>'action', e->'metadata', ");
    let target = if shape.uuid_users { "CAST(e->>'target' AS uuid)" } else { "CAST(e->>'target' AS integer)" };
    push_when_and_who(&mut sql, shape, who, &|sql| {
        sql.push(target);
    });
    sql.push(" FROM jsonb_array_elements(CAST(").bind(rows).push(" AS jsonb)) e");
    sql
}

/// A bulk `action` on the codes `ids`: a row per code, by one `INSERT ... SELECT` from the codes.
pub(super) async fn record_bulk(
    mut exec: Exec<'_>,
    shape: AuditShape,
    who: &Who,
    (action, bulk_id): (Action, &str),
    ids: &[CodeId],
    bulk: Bulk<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    jit_off(exec.reborrow()).await?;
    let mut sql = exec.sql("");
    push_insert(&mut sql, shape);
    push_action_and_metadata(&mut sql, who, (action, bulk_id), &|sql| match bulk {
        Bulk::Changed(changes) => push_changes(sql, changes),
        Bulk::Created => push_fields(sql),
    });
    // The code's beneficiary after the change, as a single event's target.
    let beneficiary = bulk.beneficiary();
    push_when_and_who(&mut sql, shape, who, &|sql| match beneficiary {
        Some(Some(user)) => {
            sql.bind(user);
        }
        Some(None) => {
            sql.bind(who.operator_id);
        }
        None => {
            sql.push("COALESCE(c.{beneficiary}, ").bind(who.operator_id).push(")");
        }
    });
    // Each code with its expiry after an extension, computed as the change computes it.
    sql.push(" FROM (SELECT c.*, ");
    bulk.push_expiration_after(&mut sql, now);
    sql.push(" AS expiration_after");
    push_codes_in_order(&mut sql, ids);
    sql.push(") c");
    exec.execute(&sql).await?;
    Ok(())
}

/// A bulk delete in one statement: the codes go, each read once as it goes with its usage records counted, the
/// records go (some PhoenixKit databases have no cascade from them to the codes), and each code's row holds its
/// last state.
pub(super) async fn delete_recorded(
    mut exec: Exec<'_>,
    shape: AuditShape,
    who: &Who,
    bulk_id: &str,
    ids: &[CodeId],
) -> Result<(u64, u64), sqlx::Error> {
    jit_off(exec.reborrow()).await?;
    let mut sql = exec.sql("");
    push_delete_counting_records(&mut sql, ids);
    sql.push(", used AS (DELETE FROM {usage_table} u USING gone g WHERE u.{code_ref} = g.{code_key}), logged AS (");
    push_insert(&mut sql, shape);
    push_action_and_metadata(&mut sql, who, (Action::BulkDeleted, bulk_id), &|sql| {
        push_fields(sql);
        sql.push(" || jsonb_build_object('number_of_uses', c.number_of_uses, 'usage_records', COALESCE(r.n, 0))");
    });
    push_when_and_who(&mut sql, shape, who, &|sql| {
        sql.push("COALESCE(c.{beneficiary}, ").bind(who.operator_id).push(")");
    });
    sql.push(GONE_WITH_RECORDS).push(")").push(DELETED_TOTALS);
    let (codes, records): (i64, i64) = exec.fetch_one(&sql).await?;
    Ok((codes as u64, records as u64))
}

/// `INSERT INTO` the log's columns as the generation has them `SELECT `; the values follow in that order:
/// [`push_action_and_metadata`] or their own, then [`push_when_and_who`].
fn push_insert(sql: &mut Sql, shape: AuditShape) {
    sql.push("INSERT INTO {audit} (action, metadata, inserted_at");
    if shape.int_users {
        sql.push(", target_user_id, admin_user_id");
    }
    if shape.uuid_users {
        sql.push(", target_user_uuid, admin_user_uuid");
    }
    if shape.int_key {
        sql.push(") SELECT ");
    } else {
        sql.push(", uuid) SELECT ");
    }
}

/// A row's key, where the log is keyed by UUIDs: a version 7 UUID of the statement's time to the microsecond (the
/// 12 bits after the version hold the microseconds, which PhoenixKit's `uuid_generate_v7()` fills at random), so
/// that keys sort in the order rows were written and `history` pages by the key alone. The rest is random.
const TIME_ORDERED_UUID: &str = ", CAST((SELECT lpad(to_hex(t.us / 1000), 12, '0') || '7' \
     || lpad(to_hex(t.us % 1000), 3, '0') \
     FROM (SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000000) AS bigint) AS us) t) \
     || substr(replace(CAST(gen_random_uuid() AS text), '-', ''), 17) AS uuid)";

/// The action and the metadata of the code `c`'s event in a bulk action, its changes pushed by `changes`: as
/// [`insert`] writes a single event's.
fn push_action_and_metadata(sql: &mut Sql, who: &Who, (action, bulk_id): (Action, &str), changes: &dyn Fn(&mut Sql)) {
    sql.bind(action.as_str()).push(", jsonb_build_object('code', c.code, 'code_id', CAST(c.{code_key} AS text), ");
    sql.push("'changes', ");
    changes(sql);
    sql.push(", 'face', CAST(").bind(who.face.as_str()).push(" AS text), 'bulk_id', CAST(").bind(bulk_id);
    sql.push(" AS text), 'admin_email', CAST(").bind(who.operator.as_str()).push(" AS text), 'source', 'refcodes'), ");
}

/// When, the target (a user key as the log's user columns hold them, pushed by `target`) and the admin, and the
/// row's key where refcodes makes it: the last values of a row.
fn push_when_and_who(sql: &mut Sql, shape: AuditShape, who: &Who, target: &dyn Fn(&mut Sql)) {
    sql.bind(who.at);
    if !shape.uuid_users {
        sql.push(", ");
        target(sql);
        sql.push(", CAST(").bind(who.operator_id).push(" AS integer)");
    } else {
        if shape.int_users {
            // A target whose user is gone has no integer key left, and the integer columns are NOT NULL there:
            // the operator stands in, in both columns, as for a code without a beneficiary.
            sql.push(", COALESCE((SELECT u.id FROM {users} u WHERE u.uuid = ");
            target(sql);
            sql.push("), (SELECT u.id FROM {users} u WHERE u.uuid = ").bind(who.operator_id).push("))");
            sql.push(", (SELECT u.id FROM {users} u WHERE u.uuid = ").bind(who.operator_id).push(")");
            sql.push(", COALESCE((SELECT u.uuid FROM {users} u WHERE u.uuid = ");
            target(sql);
            sql.push("), ").bind(who.operator_id).push(")");
        } else {
            sql.push(", ");
            target(sql);
        }
        sql.push(", ").bind(who.operator_id);
    }
    if !shape.int_key {
        sql.push(TIME_ORDERED_UUID);
    }
}

/// The code `c`'s fields, as [`crate::domain::audit::fields`] gives a new code's.
fn push_fields(sql: &mut Sql) {
    sql.push("jsonb_build_object('code', c.code, 'description', c.description");
    for field in [Field::Status, Field::MaxUses, Field::Beneficiary, Field::Expiration] {
        sql.push(", '").push(field.name()).push("', ");
        field.push_old(sql);
    }
    sql.push(")");
}

/// What the changes did to the code `c`, as [`crate::domain::audit::changes`] gives it from the code before and
/// after: each field whose text differs, with its old and new text. A later change of a field wins.
fn push_changes(sql: &mut Sql, changes: &[BulkChange]) {
    sql.push("jsonb_build_object()");
    for change in changes {
        let (field, new) = match change {
            BulkChange::Status(active) => (Field::Status, Some(status_text(*active).to_string())),
            BulkChange::ExtendBy(_) => (Field::Expiration, None),
            BulkChange::Expiry(at) => (Field::Expiration, Some(expiration_text(*at))),
            BulkChange::MaxUses(max) => (Field::MaxUses, Some(max.to_string())),
            BulkChange::Beneficiary(user) => (Field::Beneficiary, Some(beneficiary_text(*user))),
            BulkChange::Description(text) => (Field::Description, Some(text.clone())),
        };
        let push_new = |sql: &mut Sql| match &new {
            Some(text) => {
                sql.push("CAST(").bind(text.as_str()).push(" AS text)");
            }
            // An extension's: each code's own.
            None => push_expiration_text(sql, "c.expiration_after"),
        };
        sql.push(" || CASE WHEN ");
        field.push_old(sql);
        sql.push(" IS DISTINCT FROM ");
        push_new(sql);
        sql.push(" THEN jsonb_build_object('").push(field.name()).push("', jsonb_build_object('old', ");
        field.push_old(sql);
        sql.push(", 'new', ");
        push_new(sql);
        sql.push(")) ELSE jsonb_build_object() END");
    }
}

/// An edited field a bulk change sets.
#[derive(Debug, Clone, Copy)]
enum Field {
    Status,
    MaxUses,
    Beneficiary,
    Expiration,
    Description,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::MaxUses => "max_uses",
            Field::Beneficiary => "beneficiary",
            Field::Expiration => "expiration",
            Field::Description => "description",
        }
    }

    /// The code `c`'s value as text, as [`crate::domain::code::edited_fields`] gives it.
    fn push_old(self, sql: &mut Sql) {
        match self {
            Field::Status => sql.push("CASE WHEN c.status THEN 'active' ELSE 'inactive' END"),
            Field::MaxUses => sql.push("CAST(c.max_uses AS text)"),
            Field::Beneficiary => sql.push("COALESCE(CAST(c.{beneficiary} AS text), 'none')"),
            Field::Expiration => {
                push_expiration_text(sql, "c.expiration_date{tz}");
                sql
            }
            Field::Description => sql.push("c.description"),
        };
    }
}

/// The time `at` (a `timestamptz` expression) as [`expiration_text`] gives it: `none`, or RFC 3339 in UTC with a
/// fraction of a second only where there is one, in milliseconds where those hold it all.
fn push_expiration_text(sql: &mut Sql, at: &'static str) {
    let utc = |sql: &mut Sql, format: &'static str| {
        sql.push("to_char(").push(at).push(" AT TIME ZONE 'UTC', '").push(format).push("')");
    };
    sql.push("CASE WHEN ").push(at).push(" IS NULL THEN 'none' ELSE ");
    utc(sql, "YYYY-MM-DD\"T\"HH24:MI:SS");
    sql.push(" || CASE WHEN ");
    utc(sql, "US");
    sql.push(" = '000000' THEN '' WHEN ");
    utc(sql, "US");
    sql.push(" LIKE '%000' THEN '.' || ");
    utc(sql, "MS");
    sql.push(" ELSE '.' || ");
    utc(sql, "US");
    sql.push(" END || 'Z' END");
}
