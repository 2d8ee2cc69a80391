//! The audit trail's rows: written in the transaction of the change they record, into refcodes' own table or
//! PhoenixKit's `phoenix_kit_audit_logs` (as the layout's [`AuditSink`] says), and read back newest first, a page
//! at a time from a key.
//!
//! Events are written as one JSON array per statement, so a bulk action's hundred thousand events are a few
//! statements, not a hundred thousand.

use crate::domain::audit::{Action, AuditEvent, Cursor, NewEvent};
use crate::domain::{CodeId, Key, UserId};
use crate::store::layout::{AuditShape, AuditSink};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Events per statement: a few MB of JSON.
const BATCH: usize = 5000;

/// Who made the change, from where, and when.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub operator_id: UserId,
    /// Lower case: emails name users without case.
    pub operator: &'a str,
    pub face: &'a str,
    pub at: DateTime<Utc>,
}

/// Records `events` as `who`'s, in the executor's transaction. The sink must be a table (the service logs events
/// of a [`AuditSink::LogOnly`] database itself).
pub async fn record(mut exec: Exec<'_>, who: &Who<'_>, events: &[NewEvent]) -> Result<(), sqlx::Error> {
    let sink = exec.layout().audit.clone();
    // In the order of the code index, whose keys (random codes) are the costly ones to insert: in order, each
    // lands beside the one before instead of on a page of its own (a third of a 100,000-event insert on SQLite).
    let mut events: Vec<&NewEvent> = events.iter().collect();
    events.sort_by(|a, b| a.code.cmp(&b.code));
    for chunk in events.chunks(BATCH) {
        let sql = match &sink {
            AuditSink::Own => insert_own(&exec, who, chunk),
            AuditSink::PhoenixKit(shape) => insert_phoenix_kit(&exec, *shape, who, chunk),
            AuditSink::LogOnly(_) => unreachable!("events of a database without an audit table are only logged"),
        };
        exec.reborrow().execute(&sql).await?;
    }
    Ok(())
}

fn insert_own(exec: &Exec<'_>, who: &Who<'_>, events: &[&NewEvent]) -> Sql {
    let rows = serde_json::to_string(events).expect("events serialise");
    let mut sql = exec
        .sql("INSERT INTO {audit} (at, operator_id, operator, face, action, code_id, code, changes, bulk_id) SELECT ");
    sql.bind(who.at).push(", ").bind(who.operator_id).push(", ").bind(who.operator).push(", ").bind(who.face);
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

/// PhoenixKit's columns as its generation has them: the target is the code's beneficiary (the operator when there
/// is none), the admin the operator; the event's details go in `metadata`. Where both integer and UUID user
/// columns exist, the integer ones are looked up from the UUIDs the database keys users by.
fn insert_phoenix_kit(exec: &Exec<'_>, shape: AuditShape, who: &Who<'_>, events: &[&NewEvent]) -> Sql {
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
                    "face": who.face,
                    "bulk_id": e.bulk_id,
                    "admin_email": who.operator,
                    "source": "refcodes",
                },
            })
        })
        .collect();
    let rows = serde_json::to_string(&rows).expect("events serialise");
    let mut sql = exec.sql("INSERT INTO {audit} (action, metadata, inserted_at");
    if shape.int_users {
        sql.push(", target_user_id, admin_user_id");
    }
    if shape.uuid_users {
        sql.push(", target_user_uuid, admin_user_uuid");
    }
    sql.push(") SELECT e->>'action', e->'metadata', ").bind(who.at);
    match (shape.int_users, shape.uuid_users) {
        // Users keyed by integers: the keys themselves.
        (true, false) => {
            sql.push(", CAST(e->>'target' AS integer), CAST(").bind(who.operator_id).push(" AS integer)");
        }
        (int_users, _) => {
            if int_users {
                sql.push(", (SELECT u.id FROM {users} u WHERE u.uuid = CAST(e->>'target' AS uuid)), ");
                sql.push("(SELECT u.id FROM {users} u WHERE u.uuid = ").bind(who.operator_id).push(")");
            }
            sql.push(", CAST(e->>'target' AS uuid), ").bind(who.operator_id);
        }
    }
    sql.push(" FROM jsonb_array_elements(CAST(").bind(rows).push(" AS jsonb)) e");
    sql
}

/// How many codes an operator switched off in `[from, to)`: codes with an event whose changes set the status to
/// inactive (an edit, a status change, one code or in bulk), each counted once. `None` where the database keeps
/// no events.
pub async fn deactivated_between(
    exec: Exec<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let actions =
        [Action::Updated, Action::StatusChanged, Action::BulkUpdated, Action::BulkStatusChanged].map(Action::as_str);
    let sql = match &exec.layout().audit {
        AuditSink::Own => {
            let new_status = match exec.backend() {
                Backend::Sqlite => "json_extract(e.changes, '$.status.new')",
                Backend::Postgres => "e.changes->'status'->>'new'",
            };
            let mut sql = exec.sql("SELECT count(DISTINCT e.code_id) FROM {audit} e WHERE ");
            sql.push_in("e.action", &actions).push(" AND e.at >= ").bind(from).push(" AND e.at < ").bind(to);
            sql.push(" AND ").push(new_status).push(" = 'inactive'");
            sql
        }
        AuditSink::PhoenixKit(shape) => {
            let at = logged_at(*shape);
            let mut sql = exec.sql("SELECT count(DISTINCT l.metadata->>'code_id') FROM {audit} l WHERE ");
            sql.push_in("l.action", &actions).push(" AND ").push(at).push(" >= ").bind(from);
            sql.push(" AND ").push(at).push(" < ").bind(to);
            sql.push(" AND l.metadata->'changes'->'status'->>'new' = 'inactive'");
            sql
        }
        AuditSink::LogOnly(_) => return Ok(None),
    };
    Ok(Some(exec.fetch_one::<(i64,)>(&sql).await?.0))
}

/// When a PhoenixKit audit log row was written, as a time with zone (the generations without one hold UTC).
fn logged_at(shape: AuditShape) -> &'static str {
    if shape.naive_time { "l.inserted_at::timestamptz" } else { "l.inserted_at" }
}

/// Which events a page lists; `code` is the code's name with its id when it exists now.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub code: Option<(&'a str, Option<CodeId>)>,
    pub since: Option<DateTime<Utc>>,
    pub operator: Option<&'a str>,
    pub action: Option<&'a str>,
    pub actions: &'a [&'static str],
    pub bulk_id: Option<&'a str>,
    pub before: Option<Cursor>,
    pub limit: u64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Key,
    at: DateTime<Utc>,
    operator: String,
    action: String,
    code: Option<String>,
    code_id: Option<String>,
    changes: String,
    face: String,
    bulk_id: Option<String>,
}

/// A page of events, newest first.
pub async fn page(exec: Exec<'_>, query: &Query<'_>) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let sink = exec.layout().audit.clone();
    let sql = match &sink {
        AuditSink::Own => select_own(&exec, query),
        AuditSink::PhoenixKit(shape) => select_phoenix_kit(&exec, *shape, query),
        AuditSink::LogOnly(_) => return Ok(Vec::new()),
    };
    let rows: Vec<Row> = exec.fetch_all(&sql).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            at: r.at,
            operator: r.operator,
            action: r.action,
            code: r.code,
            code_id: r.code_id.and_then(|c| c.parse().ok()),
            changes: serde_json::from_str(&r.changes).unwrap_or(Value::Null),
            face: r.face,
            bulk_id: r.bulk_id,
        })
        .collect())
}

fn select_own(exec: &Exec<'_>, query: &Query<'_>) -> Sql {
    let changes = match exec.backend() {
        Backend::Sqlite => "e.changes",
        Backend::Postgres => "CAST(e.changes AS TEXT)",
    };
    let mut sql = exec.sql("SELECT e.id, e.at, e.operator, e.action, e.code, CAST(e.code_id AS TEXT) AS code_id, ");
    sql.push(changes).push(" AS changes, e.face, e.bulk_id FROM {audit} e WHERE 1 = 1");
    if let Some((code, id)) = query.code {
        sql.push(" AND (e.code = ").bind(code);
        if let Some(id) = id {
            sql.push(" OR e.code_id = ").bind(id);
        }
        sql.push(")");
    }
    if let Some(operator) = query.operator {
        sql.push(" AND e.operator = ").bind(operator);
    }
    if let Some(action) = query.action {
        sql.push(" AND e.action = ").bind(action);
    }
    if let Some(bulk) = query.bulk_id {
        sql.push(" AND e.bulk_id = ").bind(bulk);
    }
    if exec.layout().bulk_jobs {
        // A generate that still hides its codes hides their events too (see `store::jobs`).
        sql.push(
            " AND (NOT EXISTS (SELECT 1 FROM refcodes_jobs WHERE hides) OR e.bulk_id IS NULL OR e.bulk_id NOT IN \
             (SELECT bulk_id FROM refcodes_jobs WHERE hides AND kind = 'generate' AND bulk_id IS NOT NULL))",
        );
    }
    push_window(&mut sql, "e.at", "e.id", query, None);
    sql
}

fn select_phoenix_kit(exec: &Exec<'_>, shape: AuditShape, query: &Query<'_>) -> Sql {
    let (key, key_cast) = if shape.int_key { ("l.id", None) } else { ("l.uuid", Some(" AS uuid)")) };
    let at = logged_at(shape);
    let mut sql = exec.sql("SELECT ");
    sql.push(key).push(" AS id, ").push(at).push(
        " AS at, COALESCE(l.metadata->>'admin_email', '') AS operator, l.action, l.metadata->>'code' AS code, \
         l.metadata->>'code_id' AS code_id, CAST(COALESCE(l.metadata->'changes', jsonb_build_object()) AS TEXT) AS changes, \
         COALESCE(l.metadata->>'face', '') AS face, l.metadata->>'bulk_id' AS bulk_id FROM {audit} l WHERE ",
    );
    // refcodes' actions only, which also lets PhoenixKit's (action, inserted_at) index answer.
    sql.push_in("l.action", query.action.as_ref().map_or(query.actions, std::slice::from_ref));
    if let Some((code, id)) = query.code {
        sql.push(" AND (l.metadata->>'code' = ").bind(code);
        if let Some(id) = id {
            sql.push(" OR l.metadata->>'code_id' = ").bind(id.to_string());
        }
        sql.push(")");
    }
    if let Some(operator) = query.operator {
        sql.push(" AND lower(l.metadata->>'admin_email') = ").bind(operator);
    }
    if let Some(bulk) = query.bulk_id {
        sql.push(" AND l.metadata->>'bulk_id' = ").bind(bulk);
    }
    push_window(&mut sql, at, key, query, key_cast);
    sql
}

/// The time window, the page's start (strictly older than the cursor) and its order and size. A cursor's key is
/// bound as the table keys its rows (which on PhoenixKit may differ from how it keys codes).
fn push_window(sql: &mut Sql, at: &'static str, key: &'static str, query: &Query<'_>, key_cast: Option<&'static str>) {
    if let Some(since) = query.since {
        sql.push(" AND ").push(at).push(" >= ").bind(since);
    }
    if let Some(cursor) = query.before {
        sql.push(" AND (").push(at).push(", ").push(key).push(") < (").bind(cursor.at).push(", ");
        match (cursor.id, key_cast) {
            (Key::Int(n), _) => sql.bind(n),
            (Key::Uuid(u), Some(cast)) => sql.push("CAST(").bind(u.to_string()).push(cast),
            // A UUID cursor on a table keyed by integers names no row: nothing is older.
            (Key::Uuid(_), None) => sql.bind(i64::MIN),
        };
        sql.push(")");
    }
    sql.push(" ORDER BY ").push(at).push(" DESC, ").push(key).push(" DESC LIMIT ");
    sql.push_int(query.limit as i64);
}

/// Deletes the events of an undone bulk action (a generate's, whose codes went).
pub async fn forget_bulk(exec: Exec<'_>, bulk_id: &str) -> Result<u64, sqlx::Error> {
    let sql = exec.sql("DELETE FROM {audit} WHERE bulk_id = ").and("", bulk_id);
    exec.execute(&sql).await
}
