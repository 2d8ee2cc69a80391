//! SQLite's bulk jobs (migration 0006): a large generate or delete commits in short transactions so that
//! redemptions take the write lock in between, and stays all or nothing for every reader by hiding the codes it
//! lists (the `{codes}` and `{usage}` tokens of [`super::layout`] leave them out):
//!
//! * generate: each short transaction inserts codes and lists them; the last one stops hiding them, so they all
//!   appear at once;
//! * delete: short transactions list the codes (still shown), the last of them hides them all, later ones delete
//!   them with their usage records.
//!
//! A job is owned by the process holding [`super::job_lock`]; one whose owner died is finished by the next write
//! (a generate that still hides is undone, a delete carried through).

use crate::domain::CodeId;
use crate::store::Exec;
use chrono::{DateTime, Utc};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Generate,
    Delete,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Generate => "generate",
            JobKind::Delete => "delete",
        }
    }
}

/// A job as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// Its codes are hidden: a generate not yet done, or a delete.
    pub hides: bool,
}

/// Every recorded job: none unless one runs or one's process died.
pub async fn all(exec: Exec<'_>) -> Result<Vec<Job>, sqlx::Error> {
    let sql = exec.sql("SELECT id, kind, hides FROM refcodes_jobs ORDER BY id");
    let rows: Vec<(i64, String, bool)> = exec.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|(id, kind, hides)| Job { id, kind, hides }).collect())
}

/// Records a new job; a generate hides the codes it will list from the start, a delete once it has listed them
/// all ([`set_hides`]). `bulk_id` and `audit` (who runs it, from where, as JSON) let whoever finishes the job
/// record its events as its owner would.
pub async fn start(
    exec: Exec<'_>,
    kind: JobKind,
    now: DateTime<Utc>,
    bulk_id: &str,
    audit: &str,
) -> Result<i64, sqlx::Error> {
    let sql = exec
        .sql("INSERT INTO refcodes_jobs (kind, hides, started_at, bulk_id, audit) VALUES (")
        .and("", kind.as_str())
        .and(", ", kind == JobKind::Generate)
        .and(", ", now)
        .and(", ", bulk_id)
        .and(", ", audit)
        .then(") RETURNING id");
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// A job's kind, bulk id and audit context, as [`start`] recorded them (`None` once it has ended).
pub async fn audit(exec: Exec<'_>, job: i64) -> Result<Option<(String, Option<String>, Option<String>)>, sqlx::Error> {
    let sql = exec.sql("SELECT kind, bulk_id, audit FROM refcodes_jobs WHERE id = ").and("", job);
    exec.fetch_optional(&sql).await
}

/// Lists these codes as the job's.
pub async fn list(exec: Exec<'_>, job: i64, ids: &[CodeId]) -> Result<(), sqlx::Error> {
    let mut sql = exec.sql("INSERT INTO refcodes_job_codes (job_id, code_id) SELECT ").and("", job);
    sql.push(", c.id FROM {codes_table} c WHERE ").push_in("c.id", ids);
    exec.execute(&sql).await?;
    Ok(())
}

/// Hides the job's codes (a delete's, all listed), or shows them (a generate's, all inserted): at once for every
/// reader.
pub async fn set_hides(exec: Exec<'_>, job: i64, hides: bool) -> Result<(), sqlx::Error> {
    let sql = exec.sql("UPDATE refcodes_jobs SET hides = ").and("", hides).and(" WHERE id = ", job);
    exec.execute(&sql).await?;
    Ok(())
}

/// Up to `limit` of the codes the job still lists.
pub async fn listed(exec: Exec<'_>, job: i64, limit: usize) -> Result<Vec<CodeId>, sqlx::Error> {
    let sql = exec
        .sql("SELECT code_id FROM refcodes_job_codes WHERE job_id = ")
        .and("", job)
        .then(" ORDER BY code_id LIMIT ")
        .and("", limit as i64);
    Ok(exec.fetch_all::<(CodeId,)>(&sql).await?.into_iter().map(|(id,)| id).collect())
}

/// Takes these codes off the job's list.
pub async fn unlist(exec: Exec<'_>, job: i64, ids: &[CodeId]) -> Result<(), sqlx::Error> {
    let mut sql = exec.sql("DELETE FROM refcodes_job_codes WHERE job_id = ").and("", job);
    sql.push(" AND ").push_in("code_id", ids);
    exec.execute(&sql).await?;
    Ok(())
}

/// Removes the job (its list is empty by then).
pub async fn end(exec: Exec<'_>, job: i64) -> Result<(), sqlx::Error> {
    let sql = exec.sql("DELETE FROM refcodes_jobs WHERE id = ").and("", job);
    exec.execute(&sql).await?;
    Ok(())
}
