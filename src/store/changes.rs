//! Whether anyone wrote: the PostgreSQL half of [`crate::store::Db::change_mark`] (SQLite's is its watcher
//! connection's `data_version`).

use crate::store::Exec;
use crate::store::layout::AuditSink;

/// The tables whose rows refcodes shows, by their tokens.
const WATCHED: [&str; 5] = ["codes_table", "usage_table", "users", "settings", "audit"];

/// The newest keys of the codes, the usage records and the audit trail (each the last entry of its primary key's
/// index, ordered by the column, not its text: codes created, redemptions and every change refcodes makes show at
/// once), and the rows ever inserted, updated and deleted in the watched tables by the server's statistics (a few
/// rows of shared memory: the writes of other applications, which each server process reports within a second or
/// so of its commit, at most about ten; none when `track_counts` is off).
pub async fn mark(exec: Exec<'_>) -> Result<String, sqlx::Error> {
    let mut sql = exec.sql(
        "SELECT concat_ws(' ', \
         (SELECT CAST(c.{code_key} AS TEXT) FROM {codes_table} c ORDER BY c.{code_key} DESC LIMIT 1), \
         (SELECT CAST(u.{usage_key} AS TEXT) FROM {usage_table} u ORDER BY u.{usage_key} DESC LIMIT 1), ",
    );
    match &exec.layout().audit {
        AuditSink::PhoenixKit(shape) if !shape.int_key => {
            sql.push("(SELECT CAST(e.uuid AS TEXT) FROM {audit} e ORDER BY e.uuid DESC LIMIT 1), ")
        }
        AuditSink::Own | AuditSink::PhoenixKit(_) => {
            sql.push("(SELECT CAST(e.id AS TEXT) FROM {audit} e ORDER BY e.id DESC LIMIT 1), ")
        }
        AuditSink::LogOnly(_) => &mut sql,
    };
    sql.push(
        "(SELECT CAST(COALESCE(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS TEXT) FROM pg_stat_user_tables \
         WHERE relid IN (",
    );
    for (i, token) in WATCHED.iter().enumerate() {
        sql.push(if i == 0 { "to_regclass(" } else { ", to_regclass(" });
        sql.bind(exec.layout().token(token).to_string()).push(")");
    }
    sql.push(")))");
    Ok(exec.fetch_one::<(String,)>(&sql).await?.0)
}
