//! What is odd in the data: the findings of `refcodes doctor`, read-only; and the recount that `doctor --fix
//! counters` makes. Older PhoenixKit data holds what refcodes' rules now prevent (repeated uses, counters that
//! disagree with the records, codes that differ only in case), and rows of users deleted since.

use crate::domain::doctor::{Finding, FindingKind};
use crate::store::codes::push_recount;
use crate::store::layout::{AuditSink, Layout, Table};
use crate::store::{Exec, Sql};

/// Examples kept per finding.
const EXAMPLES: i64 = 5;

/// Each finding's rows: one text per odd thing, the worst first. Every query names the layout's tables and keys.
fn finding_sql(exec: &Exec<'_>, kind: FindingKind) -> Sql {
    let mut sql = exec.sql("SELECT f.example, count(*) OVER () AS total FROM (");
    let rows = match kind {
        FindingKind::DuplicateUsage => {
            "SELECT COALESCE(c.code, '?') || ' used ' || CAST(d.n AS TEXT) || ' times by ' || \
             COALESCE(CAST(p.email AS TEXT), 'user ' || CAST(d.used_by AS TEXT)) AS example, d.n AS weight \
             FROM (SELECT u.{code_ref} AS code_ref, u.{used_by} AS used_by, count(*) AS n FROM {usage} u \
             WHERE u.{code_ref} IS NOT NULL AND u.{used_by} IS NOT NULL GROUP BY u.{code_ref}, u.{used_by} \
             HAVING count(*) > 1) d LEFT JOIN {codes} c ON c.{code_key} = d.code_ref \
             LEFT JOIN {users} p ON p.{user_key} = d.used_by"
        }
        FindingKind::CounterMismatch => {
            push_counter_mismatch(&mut sql);
            ""
        }
        FindingKind::OverLimit => {
            "SELECT c.code || ': ' || CAST(c.number_of_uses AS TEXT) || ' uses of ' || CAST(c.max_uses AS TEXT) \
             AS example, c.number_of_uses - c.max_uses AS weight FROM {codes} c \
             WHERE c.number_of_uses > c.max_uses"
        }
        FindingKind::CaseDuplicateCodes => {
            "SELECT upper(c.code) || ' (' || CAST(count(*) AS TEXT) || ' codes)' AS example, count(*) AS weight \
             FROM {codes} c GROUP BY upper(c.code) HAVING count(*) > 1"
        }
        FindingKind::LowercaseCodes => {
            "SELECT c.code AS example, 1 AS weight FROM {codes} c WHERE c.code <> upper(c.code)"
        }
        FindingKind::OrphanUsage => {
            "SELECT 'a usage record of missing code ' || CAST(u.{code_ref} AS TEXT) AS example, 1 AS weight \
             FROM {usage} u WHERE u.{code_ref} IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {codes} c WHERE c.{code_key} = u.{code_ref})"
        }
        FindingKind::UnknownUsers => {
            "SELECT c.code || ': created_by ' || CAST(c.{created_by} AS TEXT) AS example, 1 AS weight FROM {codes} c \
             WHERE c.{created_by} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {users} x WHERE x.{user_key} = c.{created_by}) \
             UNION ALL SELECT c.code || ': beneficiary ' || CAST(c.{beneficiary} AS TEXT), 1 FROM {codes} c \
             WHERE c.{beneficiary} IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {users} x WHERE x.{user_key} = c.{beneficiary}) \
             UNION ALL SELECT COALESCE(c.code, '?') || ': used by ' || CAST(u.{used_by} AS TEXT), 1 FROM {usage} u \
             LEFT JOIN {codes} c ON c.{code_key} = u.{code_ref} WHERE u.{used_by} IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {users} x WHERE x.{user_key} = u.{used_by})"
        }
        FindingKind::NullKeys => {
            "SELECT c.code || ': no creator' AS example, 1 AS weight FROM {codes} c WHERE c.{created_by} IS NULL \
             UNION ALL SELECT 'a usage record without its code', 1 FROM {usage} u WHERE u.{code_ref} IS NULL \
             UNION ALL SELECT COALESCE(c.code, '?') || ': a usage record without its user', 1 FROM {usage} u \
             LEFT JOIN {codes} c ON c.{code_key} = u.{code_ref} WHERE u.{used_by} IS NULL"
        }
    };
    sql.push(rows).push(") f ORDER BY f.weight DESC, f.example LIMIT ").push_int(EXAMPLES);
    sql
}

/// Appends the rows of codes whose counter disagrees with their usage records; where codes keep their last use, it
/// is checked too.
fn push_counter_mismatch(sql: &mut Sql) {
    let last_used = sql.layout().keeps_last_used();
    sql.push(
        "SELECT c.code || ': number_of_uses ' || CAST(c.number_of_uses AS TEXT) || ', usage records ' || \
         CAST(COALESCE(k.n, 0) AS TEXT)",
    );
    if last_used {
        sql.push(
            " || ', last used ' || COALESCE(CAST(c.last_used AS TEXT), 'never') || ', latest record ' || \
             COALESCE(CAST(k.last AS TEXT), 'none')",
        );
    }
    sql.push(
        " AS example, abs(c.number_of_uses - COALESCE(k.n, 0)) AS weight FROM {codes} c LEFT JOIN \
         (SELECT u.{code_ref} AS code_ref, count(*) AS n, max(u.date_used) AS last FROM {usage} u \
         GROUP BY u.{code_ref}) k ON k.code_ref = c.{code_key} WHERE c.number_of_uses <> COALESCE(k.n, 0)",
    );
    if last_used {
        sql.push(" OR c.last_used IS DISTINCT FROM k.last");
    }
}

/// What the data holds of one kind of finding; `None` when there is nothing to report.
pub async fn finding(exec: Exec<'_>, kind: FindingKind) -> Result<Option<Finding>, sqlx::Error> {
    let sql = finding_sql(&exec, kind);
    let rows: Vec<(String, i64)> = exec.fetch_all(&sql).await?;
    Ok(rows.first().map(|(_, total)| Finding {
        kind,
        count: *total,
        examples: rows.iter().map(|(e, _)| e.clone()).collect(),
    }))
}

/// Sets `number_of_uses` (and `last_used`, where codes keep it) of every code that disagrees with its usage
/// records from them; returns how many codes changed.
pub async fn recount_all(exec: Exec<'_>) -> Result<u64, sqlx::Error> {
    let mut sql = exec.sql("UPDATE {codes_table} AS c SET ");
    push_recount(&mut sql, " = ", ", ").push(" WHERE ");
    push_recount(&mut sql, " IS DISTINCT FROM ", " OR ");
    exec.execute(&sql).await
}

/// The name of the trigram index on code and description; its presence changes how the list is read.
pub const TEXT_INDEX: &str = "refcodes_codes_text";

/// Indexes that would make the dashboard's list, sorts, text filter, case-insensitive lookups and on-call figures
/// fast on a PhoenixKit database, which has only a unique index on the code as written (refcodes never creates them
/// itself), each with the name it would get. Keys break ties in the list's order, so they close each index. The
/// text filter matches anywhere in a code or description, which only a trigram index answers (the `pg_trgm`
/// extension, shipped with PostgreSQL).
pub fn suggested_indexes(layout: &Layout) -> Vec<(String, String)> {
    let (codes, usage) = (layout.table(Table::Codes), layout.table(Table::Usage));
    let (key, code_ref) = (layout.token("code_key"), layout.token("code_ref"));
    [
        (
            "refcodes_codes_upper_code",
            codes,
            "(upper(code))".to_string(),
            "lookups without case (every redemption)",
            "",
        ),
        (
            "refcodes_codes_date_created",
            codes,
            format!("(date_created, {key})"),
            "the list by creation (its default)",
            "",
        ),
        ("refcodes_codes_uses", codes, format!("(number_of_uses, {key})"), "the list by uses, and top codes", ""),
        ("refcodes_codes_expiration", codes, format!("(expiration_date, {key})"), "the list by expiry", ""),
        (
            TEXT_INDEX,
            codes,
            "USING gin (code gin_trgm_ops, description gin_trgm_ops)".to_string(),
            "the text filter (any part of a code or description)",
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;
",
        ),
        (
            "refcodes_codes_share",
            codes,
            "((CAST(number_of_uses AS BIGINT) * 1000 / NULLIF(max_uses, 0)))".to_string(),
            "codes near their limit (codes list --near-limit, check, metrics)",
            "",
        ),
        (
            "refcodes_usage_date_code",
            usage,
            format!("(date_used, {code_ref})"),
            "top codes and beneficiaries of a window (stats --since)",
            "",
        ),
    ]
    .into_iter()
    .chain(audit_indexes(layout))
    .map(|(name, table, columns, why, first)| {
        let statement = format!(
            "-- {why}
{first}CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {columns};"
        );
        (name.to_string(), statement)
    })
    .collect()
}

/// On PhoenixKit's audit log (where refcodes records its events): a code's history, which finds events by the
/// name and key `metadata` holds (without them, by reading the whole log: 2.3 s at 1.5 million events). Each
/// index costs every insert into the log a little.
fn audit_indexes(layout: &Layout) -> Vec<(&'static str, &str, String, &'static str, &'static str)> {
    if !matches!(layout.audit, AuditSink::PhoenixKit(_)) {
        return Vec::new();
    }
    let log = layout.token("audit");
    let why = "a code's history (refcodes history CODE, the dashboard's h)";
    vec![
        ("refcodes_audit_code", log, "((metadata->>'code'))".to_string(), why, ""),
        ("refcodes_audit_code_id", log, "((metadata->>'code_id'))".to_string(), why, ""),
    ]
}

/// Which of `names` exist as indexes in the layout's schema.
pub async fn existing_indexes(exec: Exec<'_>, names: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = exec.sql("SELECT indexname::text FROM pg_indexes WHERE schemaname = ");
    sql.bind(exec.layout().schema.as_str().to_string()).push(" AND ");
    sql.push_in("indexname", names);
    Ok(exec.fetch_all::<(String,)>(&sql).await?.into_iter().map(|(n,)| n).collect())
}
