//! Queries on `phoenix_kit_referral_codes`.

use crate::domain::draft::{CodeUpdate, NewCode};
use crate::domain::{CodeFilter, CodeId, CodeQuery, CodeRow, CodeStatus, ReferralCode, Selection, SortField, UserId};
use crate::store::sql::{MAX_CONTAINS, contains_pattern};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};

const CODE_COLUMNS: &str = "c.id, c.code, c.description, c.status, c.number_of_uses, c.max_uses, c.created_by, \
                            c.beneficiary, c.date_created, c.expiration_date";
/// The same columns unqualified, for `RETURNING`.
const RETURNING: &str = " RETURNING id, code, description, status, number_of_uses, max_uses, created_by, beneficiary, \
                         date_created, expiration_date";

/// The emails of a row's creator and beneficiary, from [`USER_JOINS`].
const EMAILS: &str = "CAST(cu.email AS TEXT) AS created_by_email, CAST(bu.email AS TEXT) AS beneficiary_email";
const USER_JOINS: &str = " LEFT JOIN phoenix_kit_users cu ON cu.id = c.created_by \
                           LEFT JOIN phoenix_kit_users bu ON bu.id = c.beneficiary";

fn select_rows() -> Sql {
    Sql::new(format!("SELECT {CODE_COLUMNS}, {EMAILS} FROM phoenix_kit_referral_codes c{USER_JOINS}"))
}

pub async fn get(exec: Exec<'_>, id: CodeId) -> Result<Option<ReferralCode>, sqlx::Error> {
    exec.fetch_optional(
        &Sql::new(format!("SELECT {CODE_COLUMNS} FROM phoenix_kit_referral_codes c WHERE c.id = ")).and("", id),
    )
    .await
}

/// Looks a code up without case (`code` is already upper-cased).
pub async fn get_by_code(exec: Exec<'_>, code: &str) -> Result<Option<ReferralCode>, sqlx::Error> {
    exec.fetch_optional(
        &Sql::new(format!("SELECT {CODE_COLUMNS} FROM phoenix_kit_referral_codes c WHERE upper(c.code) = "))
            .and("", code),
    )
    .await
}

pub async fn get_row(exec: Exec<'_>, id: CodeId) -> Result<Option<CodeRow>, sqlx::Error> {
    exec.fetch_optional(&select_rows().and(" WHERE c.id = ", id)).await
}

/// Codes with an id above `after`, by id: one batch of a walk over every code that never loads them all.
pub async fn rows_after(exec: Exec<'_>, after: CodeId, limit: i64) -> Result<Vec<CodeRow>, sqlx::Error> {
    exec.fetch_all(&select_rows().and(" WHERE c.id > ", after).and(" ORDER BY c.id LIMIT ", limit)).await
}

pub async fn insert(exec: Exec<'_>, new: &NewCode) -> Result<ReferralCode, sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO phoenix_kit_referral_codes (code, description, status, number_of_uses, max_uses, \
         created_by, beneficiary, date_created, expiration_date) VALUES (",
    );
    push_values(&mut sql, new);
    sql.push(")").push(RETURNING);
    exec.fetch_one(&sql).await
}

fn push_values(sql: &mut Sql, new: &NewCode) {
    sql.bind(new.code.clone())
        .push(", ")
        .bind(new.description.clone())
        .push(", ")
        .bind(new.status)
        .push(", 0, ")
        .bind(new.max_uses)
        .push(", ")
        .bind(new.created_by)
        .push(", ")
        .bind(new.beneficiary)
        .push(", ")
        .bind(new.date_created)
        .push(", ")
        .bind(new.expiration_date);
}

/// Rows per multi-row INSERT: 8 values each keeps a statement under SQLite's 32,766 parameters.
pub const INSERT_BATCH: usize = 1000;

/// Inserts many codes in one multi-row statement (at most [`INSERT_BATCH`]).
pub async fn insert_many_returning(exec: Exec<'_>, codes: &[NewCode]) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO phoenix_kit_referral_codes (code, description, status, number_of_uses, max_uses, \
         created_by, beneficiary, date_created, expiration_date) VALUES ",
    );
    for (i, new) in codes.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        push_values(&mut sql, new);
        sql.push(")");
    }
    sql.push(RETURNING);
    exec.fetch_all(&sql).await
}

/// Which of `codes` (upper-cased) exist already.
pub async fn existing(exec: Exec<'_>, codes: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new("SELECT c.code FROM phoenix_kit_referral_codes c WHERE ");
    sql.push_in(exec.backend(), "upper(c.code)", codes);
    Ok(exec.fetch_all::<(String,)>(&sql).await?.into_iter().map(|(c,)| c).collect())
}

pub async fn update(exec: Exec<'_>, id: CodeId, changes: &CodeUpdate) -> Result<Option<ReferralCode>, sqlx::Error> {
    let mut sql = Sql::new("UPDATE phoenix_kit_referral_codes SET ");
    let mut first = true;
    let mut set = |sql: &mut Sql, column: &str, arg: crate::store::sql::Arg| {
        sql.push(if first { "" } else { ", " }).push(column).push(" = ").bind(arg);
        first = false;
    };
    if let Some(v) = &changes.code {
        set(&mut sql, "code", v.clone().into());
    }
    if let Some(v) = &changes.description {
        set(&mut sql, "description", v.clone().into());
    }
    if let Some(v) = changes.status {
        set(&mut sql, "status", v.into());
    }
    if let Some(v) = changes.max_uses {
        set(&mut sql, "max_uses", v.into());
    }
    if let Some(v) = changes.beneficiary {
        set(&mut sql, "beneficiary", v.into());
    }
    if let Some(v) = changes.expiration_date {
        set(&mut sql, "expiration_date", v.into());
    }
    if first {
        return get(exec, id).await;
    }
    sql.push(" WHERE id = ").bind(id).push(RETURNING);
    exec.fetch_optional(&sql).await
}

/// The FROM clause of a filter: the codes alone, since [`push_where`] reaches the users' emails by subqueries.
const FILTER_FROM: &str = " FROM phoenix_kit_referral_codes c";

/// Appends ` WHERE ...` for `filter`, over `phoenix_kit_referral_codes c` alone. The emails of the creator and the
/// beneficiary are matched by `IN (SELECT id FROM phoenix_kit_users ...)`: the same codes as `LEFT JOIN`s on the
/// users' primary key would give, but the few matching users are found once instead of joined on every row.
fn push_where(sql: &mut Sql, backend: Backend, filter: &CodeFilter, now: DateTime<Utc>) {
    sql.push(" WHERE 1 = 1");
    let text = filter.text.trim();
    if text.chars().count() > MAX_CONTAINS {
        sql.push(" AND 1 = 0");
        return;
    }
    if !text.is_empty() {
        let like = backend.ilike();
        for (i, column) in ["c.code", "c.description"].into_iter().enumerate() {
            sql.push(if i == 0 { " AND (" } else { " OR " }).push(column).push(" ").push(like).push(" ");
            sql.bind(contains_pattern(text)).push(" ESCAPE '\\'");
        }
        for column in ["c.created_by", "c.beneficiary"] {
            let p = format!(" OR {column} IN (SELECT u.id FROM phoenix_kit_users u WHERE u.email {like} ");
            sql.push(&p).bind(contains_pattern(text)).push(" ESCAPE '\\')");
        }
        sql.push(")");
    }
    if let Some(status) = filter.status {
        push_status(sql, status, now);
    }
}

fn push_status(sql: &mut Sql, status: CodeStatus, now: DateTime<Utc>) {
    match status {
        CodeStatus::Inactive => {
            sql.push(" AND NOT c.status");
        }
        CodeStatus::Expired => {
            sql.push(" AND c.status AND c.expiration_date <= ").bind(now);
        }
        CodeStatus::Active | CodeStatus::LimitReached => {
            sql.push(" AND c.status AND (c.expiration_date IS NULL OR c.expiration_date > ").bind(now).push(")");
            sql.push(if status == CodeStatus::Active {
                " AND c.number_of_uses < c.max_uses"
            } else {
                " AND c.number_of_uses >= c.max_uses"
            });
        }
    }
}

/// Rows of the sort order a text filter first looks through on SQLite (see [`page`]).
const PROBE_ROWS: u64 = 4096;
/// Deepest window of a text filter that SQLite reads by scanning the table and keeping the best rows; deeper ones
/// walk the sort's index.
const SCAN_ROWS: u64 = 16_384;

/// How [`page`] reaches the codes in its inner query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// In the sort's order, along its index.
    Ordered,
    /// Only the first [`PROBE_ROWS`] codes of the sort's order.
    Probe,
    /// The whole table, the window kept by sorting (SQLite's top-N sorter).
    Scan,
    /// Only candidates (see [`push_candidates`]): codes the trigram index finds with this query, codes that end
    /// with a two-character text, and codes of users whose email matches. The filter then decides, and the few
    /// found are sorted.
    Search(Option<String>),
}

/// One window of the filtered, sorted list. Ties are broken by id so pages never overlap.
///
/// The window's ids are found first, over the codes alone (for the sorts, in a covering index), and only its rows
/// are then read and joined to their users: skipping `offset` rows costs index steps, not row reads and joins.
///
/// A text filter can't use an index. Along the sort's index SQLite finds the window at once when many codes
/// match, but reads every code, in random order, when few do (seconds on a million codes); a scan of the table
/// costs the same whatever matches. So on SQLite a text filter first looks through the first [`PROBE_ROWS`] codes
/// in order: if they hold the whole window, that is the window (the first matches in order are the first matches
/// there); if not, matches are sparse and the table is scanned. PostgreSQL plans this itself.
pub async fn page(mut exec: Exec<'_>, query: &CodeQuery, now: DateTime<Utc>) -> Result<Vec<CodeRow>, sqlx::Error> {
    let end = query.offset.saturating_add(query.limit);
    let text = !query.filter.text.trim().is_empty();
    if exec.backend() == Backend::Sqlite && text && end <= SCAN_ROWS {
        if end <= PROBE_ROWS {
            let rows: Vec<CodeRow> =
                exec.reborrow().fetch_all(&page_sql(Backend::Sqlite, query, now, Reach::Probe)).await?;
            if rows.len() as u64 == query.limit {
                return Ok(rows);
            }
            // Fewer than `end` matches among the first codes: few match, so few are candidates.
            if let Some(search) = search_query(exec.reborrow(), query.filter.text.trim()).await? {
                return exec.fetch_all(&page_sql(Backend::Sqlite, query, now, Reach::Search(search))).await;
            }
        }
        return exec.fetch_all(&page_sql(Backend::Sqlite, query, now, Reach::Scan)).await;
    }
    let backend = exec.backend();
    exec.fetch_all(&page_sql(backend, query, now, Reach::Ordered)).await
}

fn page_sql(backend: Backend, query: &CodeQuery, now: DateTime<Utc>, reach: Reach) -> Sql {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let order = match query.sort {
        SortField::Code => format!(" ORDER BY c.code {dir}"),
        SortField::Created => format!(" ORDER BY c.date_created {dir}, c.id {dir}"),
        SortField::Uses => format!(" ORDER BY c.number_of_uses {dir}, c.id {dir}"),
        // "never" is the latest expiry of all.
        SortField::Expires => {
            let nulls = if query.descending { "FIRST" } else { "LAST" };
            format!(" ORDER BY c.expiration_date {dir} NULLS {nulls}, c.id {dir}")
        }
    };
    let codes = match reach {
        Reach::Ordered | Reach::Search(_) => "phoenix_kit_referral_codes c".to_string(),
        Reach::Scan => "phoenix_kit_referral_codes c NOT INDEXED".to_string(),
        Reach::Probe => format!(
            "(SELECT c.id FROM phoenix_kit_referral_codes c{order} LIMIT {PROBE_ROWS}) p \
             JOIN phoenix_kit_referral_codes c ON c.id = p.id"
        ),
    };
    let mut sql = Sql::new(format!("SELECT {CODE_COLUMNS}, {EMAILS} FROM (SELECT c.id FROM {codes}"));
    push_where(&mut sql, backend, &query.filter, now);
    if let Reach::Search(search) = &reach {
        push_candidates(&mut sql, query.filter.text.trim(), search.as_deref());
    }
    sql.push(&order);
    sql.push(" LIMIT ").bind(query.limit.min(i64::MAX as u64) as i64);
    sql.push(" OFFSET ").bind(query.offset.min(i64::MAX as u64) as i64);
    sql.push(") w JOIN phoenix_kit_referral_codes c ON c.id = w.id").push(USER_JOINS).push(&order);
    sql
}

/// How the trigram index can narrow a search for `text`: `Some(Some(query))` with an FTS5 query that finds every
/// code whose code or description holds it (and more), `Some(None)` when no indexed text holds it (a two-character
/// text can still end one), `None` when the index can't help (one character, or two that are not ASCII, whose case
/// folding the index and LIKE may not share).
async fn search_query(exec: Exec<'_>, text: &str) -> Result<Option<Option<String>>, sqlx::Error> {
    // An FTS5 string: one term as a phrase, which the trigram tokenizer matches as a substring.
    let phrase = |term: &str| format!("\"{}\"", term.replace('"', "\"\""));
    match text.chars().count() {
        3.. => Ok(Some(Some(phrase(text)))),
        2 if text.is_ascii() => {
            // The index's trigrams that begin with the two characters (it keeps them in lower case).
            let start = text.to_ascii_lowercase();
            let terms: Vec<(String,)> = exec
                .fetch_all(
                    &Sql::new("SELECT term FROM refcodes_code_search_terms WHERE term >= ")
                        .and("", start.clone())
                        .and(" AND term <= ", format!("{start}{}", char::MAX)),
                )
                .await?;
            let query = terms.iter().map(|(term,)| phrase(term)).collect::<Vec<_>>().join(" OR ");
            Ok(Some((!query.is_empty()).then_some(query)))
        }
        _ => Ok(None),
    }
}

/// Appends ` AND c.id IN (...)`, the candidates of [`Reach::Search`] for `text`: a superset of the codes the text
/// filter matches (the index folds case as LIKE does for ASCII, and more), so the filter's own test, already in the
/// WHERE, gives exactly its codes.
fn push_candidates(sql: &mut Sql, text: &str, search: Option<&str>) {
    sql.push(" AND c.id IN (");
    let mut union = "";
    if let Some(search) = search {
        sql.push("SELECT rowid FROM refcodes_code_search WHERE refcodes_code_search MATCH ").bind(search.to_string());
        union = " UNION ";
    }
    if text.chars().count() == 2 {
        for column in ["code", "description"] {
            sql.push(union)
                .push(&format!("SELECT id FROM phoenix_kit_referral_codes WHERE lower(substr({column}, -2)) = "));
            sql.bind(text.to_ascii_lowercase());
            union = " UNION ";
        }
    }
    for column in ["created_by", "beneficiary"] {
        let p = format!(
            "{union}SELECT id FROM phoenix_kit_referral_codes WHERE {column} IN \
             (SELECT u.id FROM phoenix_kit_users u WHERE u.email LIKE "
        );
        sql.push(&p).bind(contains_pattern(text)).push(" ESCAPE '\\')");
        union = " UNION ";
    }
    sql.push(")");
}

/// How many codes match `filter`.
pub async fn count(exec: Exec<'_>, filter: &CodeFilter, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let mut sql = Sql::new("SELECT count(*)");
    sql.push(FILTER_FROM);
    push_where(&mut sql, exec.backend(), filter, now);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// Appends `c.id IN (...)` for a selection.
fn push_selection(sql: &mut Sql, backend: Backend, selection: &Selection, now: DateTime<Utc>) {
    match selection {
        Selection::Ids(ids) => {
            sql.push(" WHERE ").push_in(backend, "c.id", &ids.iter().map(|id| id.0).collect::<Vec<_>>());
        }
        Selection::Matching(filter) => {
            sql.push(" WHERE c.id IN (SELECT c.id");
            sql.push(FILTER_FROM);
            push_where(sql, backend, filter, now);
            sql.push(")");
        }
    }
}

pub async fn count_selected(
    exec: Exec<'_>,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let mut sql = Sql::new(
        // PostgreSQL sums bigints to numeric: cast back so both backends give an i64.
        "SELECT count(*), CAST(COALESCE(sum((SELECT count(*) FROM phoenix_kit_referral_code_usage u \
         WHERE u.code_id = c.id)), 0) AS BIGINT) FROM phoenix_kit_referral_codes c",
    );
    push_selection(&mut sql, exec.backend(), selection, now);
    exec.fetch_one::<(i64, i64)>(&sql).await
}

/// How many codes of the selection match `filter`.
pub async fn count_selected_matching(
    exec: Exec<'_>,
    selection: &Selection,
    filter: &CodeFilter,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let backend = exec.backend();
    let mut sql = Sql::new("SELECT count(*)");
    sql.push(FILTER_FROM);
    push_where(&mut sql, backend, filter, now);
    sql.push(" AND c.id IN (SELECT c.id FROM phoenix_kit_referral_codes c");
    push_selection(&mut sql, backend, selection, now);
    sql.push(")");
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// The ids of every code that matches `filter`.
pub async fn ids_matching(exec: Exec<'_>, filter: &CodeFilter, now: DateTime<Utc>) -> Result<Vec<CodeId>, sqlx::Error> {
    let mut sql = Sql::new("SELECT c.id");
    sql.push(FILTER_FROM);
    push_where(&mut sql, exec.backend(), filter, now);
    Ok(exec.fetch_all::<(CodeId,)>(&sql).await?.into_iter().map(|(id,)| id).collect())
}

pub async fn set_status(
    exec: Exec<'_>,
    selection: &Selection,
    active: bool,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("UPDATE phoenix_kit_referral_codes AS c SET status = ").and("", active);
    push_selection(&mut sql, exec.backend(), selection, now);
    exec.execute(&sql).await
}

/// Moves each selected expiry to the later of itself and `now`, plus `seconds`; codes that never expire stay so.
pub async fn extend_expiry(
    exec: Exec<'_>,
    selection: &Selection,
    seconds: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let backend = exec.backend();
    let mut sql = Sql::new("UPDATE phoenix_kit_referral_codes AS c SET expiration_date = ");
    let now_param = sql.next_placeholder();
    sql.push_arg(now);
    let secs_param = sql.next_placeholder();
    sql.push_arg(seconds);
    sql.push(&backend.extend_time("c.expiration_date", &now_param, &secs_param));
    push_selection(&mut sql, backend, selection, now);
    exec.execute(&sql).await
}

/// Locks the selected codes until the transaction ends, so redemptions of them wait and what is counted before a
/// delete is what it removes. SQLite's `BEGIN IMMEDIATE` already holds the only write lock.
pub async fn lock_selected(exec: Exec<'_>, selection: &Selection, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    if exec.backend() == Backend::Postgres {
        let mut sql = Sql::new("SELECT c.id FROM phoenix_kit_referral_codes c");
        push_selection(&mut sql, Backend::Postgres, selection, now);
        // In id order, so two overlapping deletes can't deadlock.
        sql.push(" ORDER BY c.id FOR UPDATE OF c");
        exec.fetch_all::<(CodeId,)>(&sql).await?;
    }
    Ok(())
}

pub async fn delete(exec: Exec<'_>, selection: &Selection, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM phoenix_kit_referral_codes AS c");
    push_selection(&mut sql, exec.backend(), selection, now);
    exec.execute(&sql).await
}

pub async fn count_created_by(exec: Exec<'_>, user: UserId) -> Result<i64, sqlx::Error> {
    Ok(exec
        .fetch_one::<(i64,)>(
            &Sql::new("SELECT count(*) FROM phoenix_kit_referral_codes WHERE created_by = ").and("", user),
        )
        .await?
        .0)
}

/// Codes usable now: active, not expired (never-expiring ones included), under the limit.
pub async fn valid(exec: Exec<'_>, now: DateTime<Utc>, limit: i64) -> Result<Vec<ReferralCode>, sqlx::Error> {
    let mut sql = Sql::new(format!("SELECT {CODE_COLUMNS} FROM phoenix_kit_referral_codes c WHERE 1 = 1"));
    push_status(&mut sql, CodeStatus::Active, now);
    sql.push(" ORDER BY c.code LIMIT ").bind(limit);
    exec.fetch_all(&sql).await
}

/// Sets `number_of_uses` of the given codes from their usage records.
pub async fn recount_uses(exec: Exec<'_>, ids: &[CodeId]) -> Result<u64, sqlx::Error> {
    let backend = exec.backend();
    let mut sql = Sql::new(
        "UPDATE phoenix_kit_referral_codes AS c SET number_of_uses = \
         (SELECT count(*) FROM phoenix_kit_referral_code_usage u WHERE u.code_id = c.id)",
    );
    push_selection(&mut sql, backend, &Selection::Ids(ids.to_vec()), Utc::now());
    exec.execute(&sql).await
}
