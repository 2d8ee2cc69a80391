//! The audit trail's rows: written in the transaction of the change they record, into refcodes' own table or
//! PhoenixKit's `phoenix_kit_audit_logs` (as the layout's [`AuditSink`] says), and read back newest first, a page
//! at a time from a key.
//!
//! Events are written as one JSON array per statement, so a bulk action's hundred thousand events are a few
//! statements, not a hundred thousand. In refcodes' own trail a bulk action is narrower still (see
//! [`record_bulk`]): a header row and a row per code copied from the code in SQL.

use crate::domain::audit::{Action, AuditEvent, CodeCopy, Cursor, NewEvent};
use crate::domain::code::{beneficiary_text, expiration_text, status_text};
use crate::domain::{CodeId, Key, UserId};
use crate::store::codes::{BulkChange, push_extended};
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

/// A bulk action of this many codes or more brings PostgreSQL's statistics of the rows up to date.
const ANALYZED_FROM: usize = 10_000;

/// Integer keys as a PostgreSQL array literal (refcodes' own schema keys codes by integers).
fn key_array(ids: &[CodeId]) -> String {
    let keys: Vec<String> = ids
        .iter()
        .filter_map(|id| match id.0 {
            Key::Int(n) => Some(n.to_string()),
            Key::Uuid(_) => None,
        })
        .collect();
    format!("{{{}}}", keys.join(","))
}

/// What a bulk action does to each of its codes, as its rows in refcodes' own trail record it (a delete:
/// [`delete_recorded`]).
#[derive(Debug, Clone, Copy)]
pub enum Bulk<'a> {
    /// Changed by these, recorded before: each row copies the code as it was.
    Changed(&'a [BulkChange]),
    /// Created (generated), recorded after: each row copies the new code.
    Created,
}

/// Records a bulk `action` on the codes `ids` in refcodes' own trail (`AuditSink::Own`), in the executor's
/// transaction: one header row with what the codes share (who, when, the bulk id, what was set) and a row per
/// code copied from the code by one `INSERT ... SELECT`, so nothing is read into the program. `history` reads them
/// back as one event per code, as [`record`] would have written them; `now` is the change's (an extension's
/// expiries are computed as the change computes them).
pub async fn record_bulk(
    mut exec: Exec<'_>,
    who: &Who<'_>,
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
    let extended = match bulk {
        Bulk::Changed(changes) => changes.iter().find_map(|c| match c {
            BulkChange::ExtendBy(seconds) => Some(*seconds),
            _ => None,
        }),
        Bulk::Created => None,
    };
    match extended {
        Some(seconds) => push_extended(&mut sql, now, seconds),
        None => {
            sql.push("NULL");
        }
    }
    match exec.backend() {
        Backend::Sqlite => sql.push(" FROM {codes_table} c WHERE ").push_in("c.{code_key}", ids),
        // Joined from the keys in their order (ascending), so that each index takes its rows in order: in the order
        // a hashed list gave them, they cost three times as much to insert.
        Backend::Postgres => sql
            .push(" FROM unnest(CAST(")
            .bind(key_array(ids))
            .push(" AS bigint[])) AS k (id) JOIN {codes_table} c ON c.{code_key} = k.id"),
    };
    exec.reborrow().execute(&sql).await?;
    analyze_after(exec, ids.len()).await
}

/// Deletes the codes `ids` and their usage records as the bulk delete `bulk_id` by `who`, recording it in refcodes'
/// own trail as [`record_bulk`] records a change: each code's row holds its last state and how many usage records
/// went with it. Returns how many codes and usage records were deleted.
pub async fn delete_recorded(
    mut exec: Exec<'_>,
    who: &Who<'_>,
    bulk_id: &str,
    ids: &[CodeId],
) -> Result<(u64, u64), sqlx::Error> {
    let event = insert_header(exec.reborrow(), who, (Action::BulkDeleted, bulk_id), ids.len(), &json!({})).await?;
    let records = "(SELECT count(*) FROM {usage_table} u WHERE u.{code_ref} = c.{code_key})";
    let deleted = match exec.backend() {
        Backend::Sqlite => {
            let mut sql = exec.sql("");
            push_copy(&mut sql, event);
            sql.push(records).push(", NULL FROM {codes_table} c WHERE ").push_in("c.{code_key}", ids);
            exec.reborrow().execute(&sql).await?;
            crate::store::codes::delete(exec.reborrow(), ids).await?
        }
        // One statement: each code is read once, as it goes, its usage records counted before the schema's cascade
        // deletes them at the statement's end.
        Backend::Postgres => {
            let mut sql = exec.sql("WITH gone AS (DELETE FROM {codes_table} c WHERE ");
            sql.push_in("c.{code_key}", ids).push(" RETURNING c.*, ").push(records).push(" AS records), copied AS (");
            push_copy(&mut sql, event);
            sql.push("c.records, NULL FROM gone c ORDER BY c.{code_key}) ");
            sql.push("SELECT count(*), CAST(COALESCE(sum(records), 0) AS BIGINT) FROM gone");
            let (codes, records): (i64, i64) = exec.reborrow().fetch_one(&sql).await?;
            (codes as u64, records as u64)
        }
    };
    analyze_after(exec, ids.len()).await?;
    Ok(deleted)
}

/// A bulk action's header: who, when, which kind, its bulk id, what it set, and how many codes' rows follow.
async fn insert_header(
    mut exec: Exec<'_>,
    who: &Who<'_>,
    (action, bulk_id): (Action, &str),
    members: usize,
    applied: &Value,
) -> Result<i64, sqlx::Error> {
    let mut sql =
        exec.sql("INSERT INTO {audit} (at, operator_id, operator, face, action, changes, bulk_id, members) VALUES (");
    sql.bind(who.at).push(", ").bind(who.operator_id).push(", ").bind(who.operator).push(", ").bind(who.face);
    sql.push(", ").bind(action.as_str()).push(", CAST(").bind(applied.to_string());
    sql.push(match exec.backend() {
        Backend::Sqlite => " AS TEXT), ",
        Backend::Postgres => " AS jsonb), ",
    });
    sql.bind(bulk_id).push(", ").push_int(members as i64).push(") RETURNING id");
    let (event,): (i64,) = exec.reborrow().fetch_one(&sql).await?;
    if exec.backend() == Backend::Postgres {
        // A copy's per-code count of usage records makes PostgreSQL guess it costly enough to compile (0.17 s of
        // a 100,000-code delete's 1.5), though it is a few index probes per code.
        let sql = exec.sql("SET LOCAL jit = off");
        exec.execute(&sql).await?;
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

/// After a bulk action of many codes on PostgreSQL, brings the statistics of the rows up to date, so that the
/// planner knows an action holds many before autovacuum does: with the counts of a smaller table, it sorted all of
/// an action's rows to list its first page.
async fn analyze_after(exec: Exec<'_>, rows: usize) -> Result<(), sqlx::Error> {
    if exec.backend() == Backend::Postgres && rows >= ANALYZED_FROM {
        let sql = exec.sql("ANALYZE {audit_codes}");
        exec.execute(&sql).await?;
    }
    Ok(())
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
            // A code's own event, or its row in a bulk action whose header set every code inactive: the codes that
            // were active before it.
            let mut sql = exec.sql("SELECT count(*) FROM (SELECT e.code_id FROM {audit} e WHERE ");
            push_deactivating(&mut sql, &actions, new_status, from, to);
            sql.push(" AND e.code_id IS NOT NULL UNION SELECT m.code_id FROM {audit} e JOIN {audit_codes} m ");
            sql.push("ON m.event_id = e.id WHERE ");
            push_deactivating(&mut sql, &actions, new_status, from, to);
            sql.push(" AND m.status) x");
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

fn push_deactivating(
    sql: &mut Sql,
    actions: &[&'static str],
    new_status: &'static str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) {
    sql.push_in("e.action", actions).push(" AND e.at >= ").bind(from).push(" AND e.at < ").bind(to);
    sql.push(" AND ").push(new_status).push(" = 'inactive'");
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
    /// A bulk action's row of a code in refcodes' own trail: its code and the code as the row copied it
    /// (absent on PhoenixKit's log).
    #[sqlx(default)]
    copied: Option<i64>,
    #[sqlx(default)]
    description: Option<String>,
    #[sqlx(default)]
    status: Option<bool>,
    #[sqlx(default)]
    max_uses: Option<i32>,
    #[sqlx(default)]
    beneficiary: Option<UserId>,
    #[sqlx(default)]
    expiration_date: Option<DateTime<Utc>>,
    #[sqlx(default)]
    number_of_uses: Option<i32>,
    #[sqlx(default)]
    usage_records: Option<i64>,
    #[sqlx(default)]
    expiration_after: Option<DateTime<Utc>>,
}

impl Row {
    fn event(self) -> AuditEvent {
        let changes = serde_json::from_str(&self.changes).unwrap_or(Value::Null);
        let shared = self.copied.is_some();
        let changes = match (&self.code, self.status, self.max_uses, self.number_of_uses) {
            (Some(code), Some(status), Some(max_uses), Some(number_of_uses)) if shared => CodeCopy {
                code: code.clone(),
                description: self.description.unwrap_or_default(),
                status,
                max_uses,
                beneficiary: self.beneficiary,
                expiration_date: self.expiration_date,
                number_of_uses,
                usage_records: self.usage_records,
                expiration_after: self.expiration_after,
            }
            .changes(&self.action, &changes),
            _ => changes,
        };
        AuditEvent {
            id: self.id,
            at: self.at,
            operator: self.operator,
            action: self.action,
            code: self.code,
            code_id: self.code_id.and_then(|c| c.parse().ok()),
            changes,
            face: self.face,
            bulk_id: self.bulk_id,
            shared,
        }
    }
}

/// A page of events, newest first.
pub async fn page(exec: Exec<'_>, query: &Query<'_>) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let sink = exec.layout().audit.clone();
    let rows: Vec<Row> = match &sink {
        AuditSink::Own => own_page(exec, query).await?,
        AuditSink::PhoenixKit(shape) => {
            let sql = select_phoenix_kit(&exec, *shape, query);
            exec.fetch_all(&sql).await?
        }
        AuditSink::LogOnly(_) => return Ok(Vec::new()),
    };
    Ok(rows.into_iter().map(Row::event).collect())
}

/// A page of refcodes' own trail. Without a code: the events along the time index, each bulk header joined to
/// its codes' rows in code order (from a cursor inside a bulk action, the rest of its codes first). With a code:
/// the events of every code that had that name, its own and its rows in bulk actions, few enough to sort.
async fn own_page(mut exec: Exec<'_>, query: &Query<'_>) -> Result<Vec<Row>, sqlx::Error> {
    if let Some((name, now)) = query.code {
        // The codes that had this name: the one that has it now, those whose own events recorded it, and those
        // a bulk delete removed under it.
        let mut sql = exec.sql("SELECT e.code_id FROM {audit} e WHERE e.code = ").and("", name);
        sql.push(" AND e.code_id IS NOT NULL UNION SELECT m.code_id FROM {audit_codes} m WHERE m.code = ").bind(name);
        sql.push(" AND m.usage_records IS NOT NULL");
        let mut ids: Vec<CodeId> =
            exec.reborrow().fetch_all::<(CodeId,)>(&sql).await?.into_iter().map(|r| r.0).collect();
        ids.extend(now);
        let sql = select_own_of_codes(&exec, query, name, &ids);
        return exec.fetch_all(&sql).await;
    }
    let mut rows = Vec::new();
    if let Some(Cursor { id: Key::Int(event), code: Some(code), .. }) = query.before {
        let sql = select_own(&exec, query, Some((event, code)), query.limit);
        rows = exec.reborrow().fetch_all(&sql).await?;
    }
    let left = query.limit.saturating_sub(rows.len() as u64);
    if left > 0 {
        let sql = select_own(&exec, query, None, left);
        rows.extend(exec.fetch_all::<Row>(&sql).await?);
    }
    Ok(rows)
}

/// An event's columns, a bulk action's code from its row (`m`) and the header (`e`).
fn push_own_columns(sql: &mut Sql) {
    sql.push(
        "SELECT e.id, e.at, e.operator, e.action, COALESCE(m.code, e.code) AS code, \
         CAST(COALESCE(m.code_id, e.code_id) AS TEXT) AS code_id, ",
    );
    sql.push(match sql.backend() {
        Backend::Sqlite => "e.changes",
        Backend::Postgres => "CAST(e.changes AS TEXT)",
    });
    sql.push(
        " AS changes, e.face, e.bulk_id, m.code_id AS copied, m.description, m.status, m.max_uses, m.beneficiary, \
         m.expiration_date, m.number_of_uses, m.usage_records, m.expiration_after",
    );
}

/// The filters on the event or header `e` besides its code and the cursor.
fn push_own_filters(sql: &mut Sql, query: &Query<'_>) {
    if let Some(operator) = query.operator {
        sql.push(" AND e.operator = ").bind(operator);
    }
    if let Some(action) = query.action {
        sql.push(" AND e.action = ").bind(action);
    }
    if let Some(bulk) = query.bulk_id {
        sql.push(" AND e.bulk_id = ").bind(bulk);
    }
    if sql.layout().bulk_jobs {
        // A generate that still hides its codes hides their events too (see `store::jobs`).
        sql.push(
            " AND (NOT EXISTS (SELECT 1 FROM refcodes_jobs WHERE hides) OR e.bulk_id IS NULL OR e.bulk_id NOT IN \
             (SELECT bulk_id FROM refcodes_jobs WHERE hides AND kind = 'generate' AND bulk_id IS NOT NULL))",
        );
    }
    if let Some(since) = query.since {
        sql.push(" AND e.at >= ").bind(since);
    }
}

/// Events along the time index, each header with its codes' rows in code order; `within` a bulk action (its key
/// and a code), only its rows of lower codes.
fn select_own(exec: &Exec<'_>, query: &Query<'_>, within: Option<(i64, CodeId)>, limit: u64) -> Sql {
    let mut sql = exec.sql("");
    push_own_columns(&mut sql);
    let below = |sql: &mut Sql| {
        if let Some((_, code)) = within {
            sql.push(" AND m.code_id < ").bind(code);
        }
    };
    match sql.backend() {
        // SQLite walks each header's rows along the primary key in the order asked, without sorting.
        Backend::Sqlite => {
            sql.push(" FROM {audit} e LEFT JOIN {audit_codes} m ON m.event_id = e.id");
            below(&mut sql);
        }
        // PostgreSQL would sort all of a header's rows to take the first: at most a page of them is joined.
        Backend::Postgres => {
            sql.push(" FROM {audit} e LEFT JOIN LATERAL (SELECT * FROM {audit_codes} m WHERE m.event_id = e.id");
            below(&mut sql);
            sql.push(" ORDER BY m.code_id DESC LIMIT ").push_int(limit as i64).push(") m ON true");
        }
    }
    sql.push(" WHERE 1 = 1");
    push_own_filters(&mut sql, query);
    match (within, query.before) {
        (Some((event, _)), _) => {
            sql.push(" AND e.id = ").bind(event).push(" AND m.code_id IS NOT NULL");
        }
        (None, Some(cursor)) => {
            sql.push(" AND (e.at, e.id) < (").bind(cursor.at).push(", ");
            push_key(&mut sql, cursor.id, None);
            sql.push(")");
        }
        (None, None) => {}
    }
    sql.push(" ORDER BY e.at DESC, e.id DESC, m.code_id DESC LIMIT ").push_int(limit as i64);
    sql
}

/// The events of the codes `ids` and those recorded under `name`: their own (one index each) and their rows in
/// bulk actions (by the code index), newest first.
fn select_own_of_codes(exec: &Exec<'_>, query: &Query<'_>, name: &str, ids: &[CodeId]) -> Sql {
    let mut sql = exec.sql("SELECT * FROM (");
    push_own_columns(&mut sql);
    sql.push(" FROM {audit} e LEFT JOIN {audit_codes} m ON m.event_id = e.id WHERE e.members IS NULL AND (e.code = ");
    sql.bind(name).push(" OR ");
    push_ids(&mut sql, "e.code_id", ids);
    sql.push(")");
    push_own_filters(&mut sql, query);
    sql.push(" UNION ALL ");
    push_own_columns(&mut sql);
    sql.push(" FROM {audit_codes} m JOIN {audit} e ON e.id = m.event_id WHERE ");
    push_ids(&mut sql, "m.code_id", ids);
    push_own_filters(&mut sql, query);
    sql.push(") x");
    // A code's own event sorts as if it came after every code of a bulk action with its key (none has).
    if let Some(cursor) = query.before {
        sql.push(" WHERE (x.at, x.id, COALESCE(x.copied, ").push_int(i64::MAX).push(")) < (").bind(cursor.at);
        sql.push(", ");
        push_key(&mut sql, cursor.id, None);
        sql.push(", ");
        match cursor.code {
            Some(code) => sql.bind(code),
            None => sql.push_int(i64::MAX),
        };
        sql.push(")");
    }
    sql.push(" ORDER BY x.at DESC, x.id DESC, x.copied DESC LIMIT ").push_int(query.limit as i64);
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
        push_key(sql, cursor.id, key_cast);
        sql.push(")");
    }
    sql.push(" ORDER BY ").push(at).push(" DESC, ").push(key).push(" DESC LIMIT ");
    sql.push_int(query.limit as i64);
}

/// `column IN (ids)` with the few ids written out, so that PostgreSQL plans for that many (bound as one array, it
/// guessed a third of the table and scanned it); refcodes' own schema keys codes by integers.
fn push_ids(sql: &mut Sql, column: &'static str, ids: &[CodeId]) {
    sql.push(column).push(" IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match id.0 {
            Key::Int(n) => sql.push_int(n),
            Key::Uuid(_) => sql.push("NULL"),
        };
    }
    if ids.is_empty() {
        sql.push("NULL");
    }
    sql.push(")");
}

/// A cursor's key, bound as the table keys its rows (`key_cast` for UUIDs).
fn push_key(sql: &mut Sql, key: Key, key_cast: Option<&'static str>) {
    match (key, key_cast) {
        (Key::Int(n), _) => sql.bind(n),
        (Key::Uuid(u), Some(cast)) => sql.push("CAST(").bind(u.to_string()).push(cast),
        // A UUID cursor on a table keyed by integers names no row: nothing is older.
        (Key::Uuid(_), None) => sql.bind(i64::MIN),
    };
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
