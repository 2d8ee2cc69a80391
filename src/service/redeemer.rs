//! SQLite redemptions that arrive together are written together: one transaction and one round trip to the writer
//! connection for all that waited while the one before ran (group commit). A round trip to a SQLite connection's
//! thread, and the hand-over of the connection from one task to the next, cost a redemption more time on the
//! writer than SQLite's own work; one write transaction at a time is all SQLite allows anyway.

use crate::domain::{CodeId, UsageId, UserId};
use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::redeem::{self as usage, Redeemed};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Most redemptions in one script: 6 arguments each stays far below SQLite's 32,766, and the scripts of each size
/// the statement cache keeps stay few.
const MOST: usize = 32;

#[derive(Debug)]
pub(super) struct Redeemer {
    db: Db,
    queue: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Waiting>,
    /// A task is writing batches; it takes what waits until nothing does.
    writing: bool,
}

#[derive(Debug)]
struct Waiting {
    code: String,
    user: UserId,
    now: DateTime<Utc>,
    answer: oneshot::Sender<Result<Redeemed>>,
}

impl Redeemer {
    pub(super) fn new(db: Db) -> Arc<Redeemer> {
        Arc::new(Redeemer { db, queue: Mutex::new(Queue::default()) })
    }

    /// Redeems `code` for `user` in the next batch. A caller that stops waiting does not stop the redemption, as
    /// with any write already sent.
    pub(super) async fn redeem(self: &Arc<Self>, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Redeemed> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.waiting.push(Waiting { code: code.to_string(), user, now, answer });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            tokio::spawn(self.clone().write_batches());
        }
        answered.await.unwrap_or(Err(Error::Database(sqlx::Error::WorkerCrashed)))
    }

    async fn write_batches(self: Arc<Self>) {
        let _guard = PanicGuard(&self.queue);
        loop {
            let batch: Vec<Waiting> = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                if queue.waiting.is_empty() {
                    queue.writing = false;
                    return;
                }
                let n = queue.waiting.len().min(MOST);
                queue.waiting.drain(..n).collect()
            };
            match self.write(&batch).await {
                Ok(rows) => {
                    for (i, waiting) in batch.into_iter().enumerate() {
                        let _ = waiting.answer.send(Ok(usage::outcome(&rows, i)));
                    }
                }
                // Busy is the database's state, not one redemption's: every one of the batch met it.
                Err(Error::Busy(ms)) => {
                    for waiting in batch {
                        let _ = waiting.answer.send(Err(Error::Busy(ms)));
                    }
                }
                Err(e) if batch.len() == 1 => {
                    let _ = batch.into_iter().next().map(|w| w.answer.send(Err(e)));
                }
                // One redemption's failure must not become the others': each goes again on its own.
                Err(_) => {
                    for waiting in batch {
                        let result = self.write(std::slice::from_ref(&waiting)).await;
                        let _ = waiting.answer.send(result.map(|rows| usage::outcome(&rows, 0)));
                    }
                }
            }
        }
    }

    async fn write(&self, batch: &[Waiting]) -> Result<Vec<(UsageId, CodeId, i64)>> {
        let redemptions: Vec<usage::Redemption<'_>> = batch.iter().map(|w| (w.code.as_str(), w.user, w.now)).collect();
        self.db.write_script(&usage::sqlite_script(&self.db.exec(), &redemptions)).await
    }
}

/// Should the writing task panic, those waiting are answered (their senders dropped: `WorkerCrashed`) and the next
/// redemption starts another task, instead of every later redemption waiting forever.
struct PanicGuard<'a>(&'a Mutex<Queue>);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
            queue.writing = false;
            queue.waiting.clear();
        }
    }
}
