//! Bulk work on SQLite as jobs in short transactions (see `store::jobs`): a write transaction of 100,000 rows holds
//! SQLite's only write lock for seconds, and every redemption meanwhile waits or fails "busy". PostgreSQL writes
//! bulk work in one transaction: its row locks keep redemptions of other codes going.

use super::Service;
use crate::domain::CodeId;
use crate::error::Result;
use crate::store::audit::{self, Who};
use crate::store::job_lock::JobLock;
use crate::store::{Db, Tx, jobs};
use std::time::{Duration, Instant};

/// Bulk work on more codes than this runs as a job; fewer are one transaction (tens of milliseconds).
pub(super) const CHUNK: usize = 2000;
/// How long one short transaction of a job should hold SQLite's write lock: a redemption that arrives meanwhile
/// waits for it to end.
const HOLD: Duration = Duration::from_millis(25);
/// The longest a job waits, after a short transaction, for the writers that wait to begin theirs: SQLite's
/// longest sleep between tries for the lock, so each tries once while it is free.
const LET_IN: Duration = Duration::from_millis(100);
/// How often a job asks whether writers still wait.
const LOOK: Duration = Duration::from_millis(1);
/// The bounds of a job's short transactions, in rows.
const ROWS: (usize, usize) = (50, 5000);

/// The size of a job's next short transaction, learnt from how long each held the lock, and its pause after each.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pace {
    rows: usize,
}

impl Pace {
    pub(super) fn new() -> Pace {
        Pace { rows: 500 }
    }

    pub(super) fn rows(self) -> usize {
        self.rows
    }

    /// After a transaction of `rows` that held the lock `held`: sizes the next to hold it about [`HOLD`] (halfway
    /// there each time, so one slow transaction doesn't swing it), and, while writers of any process wait for
    /// the lock (see `store::waiting_writers`), lets them in first. A pause when no one waits would only slow the
    /// job (it halved a generate's speed when every transaction was followed by one as long).
    pub(super) async fn held(&mut self, rows: usize, held: Duration, db: &Db) {
        let per_row = held.as_secs_f64() / rows.max(1) as f64;
        let fit = if per_row > 0.0 { (HOLD.as_secs_f64() / per_row) as usize } else { ROWS.1 };
        self.rows = ((self.rows + fit) / 2).clamp(ROWS.0, ROWS.1);
        let until = Instant::now() + LET_IN;
        while db.writers_waiting() && Instant::now() < until {
            tokio::time::sleep(LOOK).await;
        }
    }
}

impl Service {
    /// Whether bulk work on `rows` codes runs as a job: on SQLite, when it would not fit in one short transaction.
    pub(super) fn runs_as_job(&self, rows: usize) -> bool {
        self.db.layout().bulk_jobs && rows > CHUNK
    }

    /// Takes the job lock (waiting for another job to end) and finishes the jobs of processes that died.
    pub(super) async fn begin_job(&self) -> Result<JobLock> {
        let lock = self.db.job_lock().await?;
        self.finish_dead_jobs().await?;
        Ok(lock)
    }

    /// Before a write on SQLite: finishes the jobs of processes that died, unless a job is running. A read never
    /// does this (a read command never writes); until then the dead job's codes stay hidden.
    pub(super) async fn recover_jobs(&self) -> Result<()> {
        if !self.db.layout().bulk_jobs || jobs::all(self.db.exec()).await?.is_empty() {
            return Ok(());
        }
        let Some(_lock) = self.db.try_job_lock()? else { return Ok(()) };
        self.finish_dead_jobs().await
    }

    /// Under the job lock, so every recorded job's owner is gone.
    async fn finish_dead_jobs(&self) -> Result<()> {
        for job in jobs::all(self.db.exec()).await? {
            // A job that hides its codes is a generate not done, to undo, or a delete, to carry through: either
            // way its codes go. Any other is a generate done or a delete still listing: its list is forgotten.
            self.drain(job.id, job.hides).await?;
            let (id, kind, undone) = (job.id, &job.kind, job.hides);
            tracing::warn!(job = id, kind = %kind, undone, "finished a bulk job whose process died");
        }
        Ok(())
    }

    /// Lists `ids` as the delete `job`'s in short transactions, the first being `tx`, and hides them all in the
    /// last; the codes deleted meanwhile by others are left out.
    pub(super) async fn list_and_hide(&self, tx: Tx, job: i64, ids: &[CodeId]) -> Result<()> {
        let chunks = ids.len().div_ceil(CHUNK);
        let mut first = Some(tx);
        for (i, chunk) in ids.chunks(CHUNK).enumerate() {
            let mut tx = match first.take() {
                Some(tx) => tx,
                None => self.begin_admin_write().await?.0,
            };
            jobs::list(tx.exec(), job, chunk).await?;
            if i + 1 == chunks {
                jobs::set_hides(tx.exec(), job, true).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// Empties a job's list in short transactions, deleting the codes on it (and their usage records) when
    /// `delete`, and removes the job; returns how many codes and usage records were deleted.
    ///
    /// A delete's events are recorded with each short transaction, for the codes it deletes, as the job's owner
    /// (see [`Service::job_audit`]); an undone generate's events go in the transaction that ends the job, while its
    /// codes are still hidden, so no reader sees either.
    pub(super) async fn drain(&self, job: i64, delete: bool) -> Result<(u64, u64)> {
        let (kind, bulk_id, context) = jobs::audit(self.db.exec(), job).await?.unwrap_or_default();
        let owner: Option<Who> = context.and_then(|c| serde_json::from_str(&c).ok());
        let mut deleted = (0, 0);
        let mut pace = Pace::new();
        loop {
            let mut tx = self.db.begin_write().await?;
            let began = Instant::now();
            let ids = jobs::listed(tx.exec(), job, if delete { pace.rows() } else { ROWS.1 }).await?;
            if ids.is_empty() {
                if let (true, "generate", Some(bulk_id)) = (delete, kind.as_str(), &bulk_id) {
                    audit::forget_bulk(tx.exec(), bulk_id).await?;
                }
                jobs::end(tx.exec(), job).await?;
                tx.commit().await?;
                return Ok(deleted);
            }
            if delete {
                let who =
                    owner.as_ref().filter(|_| kind == "delete").map(|owner| Who { at: self.now(), ..owner.clone() });
                let (codes, records) = self.delete_recorded(&mut tx, who.as_ref(), &ids, bulk_id.as_deref()).await?;
                deleted = (deleted.0 + codes, deleted.1 + records);
            }
            jobs::unlist(tx.exec(), job, &ids).await?;
            tx.commit().await?;
            pace.held(ids.len(), began.elapsed(), &self.db).await;
        }
    }
}
