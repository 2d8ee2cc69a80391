//! Reading the trail back: events newest first, a page at a time from a key, with the filters `history` offers,
//! from refcodes' own trail (each bulk action's codes rebuilt as an event each) or PhoenixKit's log.

use crate::domain::audit::{Action, AuditEvent, CodeCopy, Cursor};
use crate::domain::{CodeId, Key, UserId};
use crate::store::layout::{AuditShape, AuditSink};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};
use serde_json::Value;

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
         l.metadata->>'code_id' AS code_id, \
         CAST(COALESCE(l.metadata->'changes', jsonb_build_object()) AS TEXT) AS changes, \
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

/// The time window, the page's start (strictly older than the cursor) and its order and size. PhoenixKit's log
/// is paged by its key alone, in the order its rows were written (a serial, or the UUIDs refcodes writes in time
/// order: see `phoenix_kit.rs`): a bulk action's rows share one time, and ordered by time then key PostgreSQL
/// sorted all of an action's rows to take a page. A cursor's key is bound as the table keys its rows (which on
/// PhoenixKit may differ from how it keys codes).
fn push_window(sql: &mut Sql, at: &'static str, key: &'static str, query: &Query<'_>, key_cast: Option<&'static str>) {
    if let Some(since) = query.since {
        sql.push(" AND ").push(at).push(" >= ").bind(since);
    }
    if let Some(cursor) = query.before {
        sql.push(" AND ").push(key).push(" < ");
        push_key(sql, cursor.id, key_cast);
    }
    sql.push(" ORDER BY ").push(key).push(" DESC LIMIT ").push_int(query.limit as i64);
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
