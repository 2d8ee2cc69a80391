//! Bulk work on SQLite as jobs in short transactions (see `store::jobs`): a write transaction of 100,000 rows holds
//! SQLite's only write lock for seconds, and every redemption meanwhile waits or fails "busy". PostgreSQL writes
//! bulk work in one transaction: its row locks keep redemptions of other codes going.

use super::Service;
use crate::domain::CodeId;
use crate::error::Result;
use crate::store::Tx;
use crate::store::job_lock::JobLock;
use crate::store::jobs;

/// Rows one short transaction of a job writes: each holds the write lock for some tens of milliseconds.
pub(super) const CHUNK: usize = 2000;

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
            tracing::warn!(job = job.id, kind = %job.kind, undone = job.hides, "finished a bulk job whose process died");
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
    pub(super) async fn drain(&self, job: i64, delete: bool) -> Result<(u64, u64)> {
        let mut deleted = (0, 0);
        loop {
            let mut tx = self.db.begin_write().await?;
            let ids = jobs::listed(tx.exec(), job, CHUNK).await?;
            if ids.is_empty() {
                jobs::end(tx.exec(), job).await?;
                tx.commit().await?;
                return Ok(deleted);
            }
            if delete {
                let (codes, records) = crate::store::codes::delete(tx.exec(), &ids).await?;
                deleted = (deleted.0 + codes, deleted.1 + records);
            }
            jobs::unlist(tx.exec(), job, &ids).await?;
            tx.commit().await?;
        }
    }
}
