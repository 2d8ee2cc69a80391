//! SQLite redemptions that arrive together are written together: one transaction and one round trip to the writer
//! connection for all that waited while the one before ran (group commit). A round trip to a SQLite connection's
//! thread, and the hand-over of the connection from one task to the next, cost a redemption more time on the
//! writer than SQLite's own work; one write transaction at a time is all SQLite allows anyway.

use crate::domain::{CodeId, UsageId, UserId};
use crate::error::{Error, Result};
use crate::store::Db;
use crate::store::redeem::{self as usage, Redeemed};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Most redemptions in one script: 6 arguments each stays far below SQLite's 32,766, and the scripts of each size
/// the statement cache keeps stay few.
const MOST: usize = 32;

/// The handle of the actor that writes redemptions: a task that owns the queue's receiving end. Should the task
/// end (its runtime shut down, or it panicked), the queue goes with it: callers waiting on it get an error at
/// once, and the next redemption starts another task.
#[derive(Debug)]
pub(super) struct Redeemer {
    db: Db,
    queue: Mutex<mpsc::UnboundedSender<Waiting>>,
}

#[derive(Debug)]
struct Waiting {
    code: String,
    user: UserId,
    now: DateTime<Utc>,
    answer: oneshot::Sender<Result<Redeemed>>,
    /// Set when the writer takes it into a batch: from then on it may have been written.
    taken: Arc<AtomicBool>,
}

impl Redeemer {
    pub(super) fn new(db: Db) -> Redeemer {
        let queue = Mutex::new(spawn_writer(db.clone()));
        Redeemer { db, queue }
    }

    /// Redeems `code` for `user` in the next batch. A caller that stops waiting does not stop the redemption, as
    /// with any write already sent.
    pub(super) async fn redeem(&self, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Redeemed> {
        // A redemption lost with a writer that never took it was not written: it goes once more, to a new writer.
        for _ in 0..2 {
            let (answer, answered) = oneshot::channel();
            let taken = Arc::new(AtomicBool::new(false));
            let waiting = Waiting { code: code.to_string(), user, now, answer, taken: taken.clone() };
            let queue = {
                let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(mpsc::error::SendError(waiting)) = queue.send(waiting) {
                    // The writer is gone: a new one, on this caller's runtime.
                    *queue = spawn_writer(self.db.clone());
                    queue.send(waiting).map_err(|_| Error::WriterStopped)?;
                }
                queue.clone()
            };
            match answered.await {
                Ok(result) => return result,
                Err(_) if !taken.load(Ordering::SeqCst) => self.replace_writer(&queue),
                Err(_) => break,
            }
        }
        Err(Error::WriterStopped)
    }

    /// Starts a new writer in place of the one `stopped` sends to, unless another caller did already.
    fn replace_writer(&self, stopped: &mpsc::UnboundedSender<Waiting>) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.same_channel(stopped) {
            *queue = spawn_writer(self.db.clone());
        }
    }
}

fn spawn_writer(db: Db) -> mpsc::UnboundedSender<Waiting> {
    let (queue, waiting) = mpsc::unbounded_channel();
    tokio::spawn(write_batches(db, waiting));
    queue
}

/// The actor: takes whatever waits (up to [`MOST`]) and writes it as one transaction, until every handle is gone.
async fn write_batches(db: Db, mut waiting: mpsc::UnboundedReceiver<Waiting>) {
    let mut batch = Vec::with_capacity(MOST);
    while waiting.recv_many(&mut batch, MOST).await > 0 {
        for taken in &batch {
            taken.taken.store(true, Ordering::SeqCst);
        }
        match write(&db, &batch).await {
            Ok(rows) => {
                for (i, waiting) in batch.drain(..).enumerate() {
                    let _ = waiting.answer.send(Ok(usage::outcome(&rows, i)));
                }
            }
            // Busy is the database's state, not one redemption's: every one of the batch met it.
            Err(Error::Busy(ms)) => {
                for waiting in batch.drain(..) {
                    let _ = waiting.answer.send(Err(Error::Busy(ms)));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.pop().map(|w| w.answer.send(Err(e)));
            }
            // One redemption's failure must not become the others': each goes again on its own.
            Err(_) => {
                for waiting in batch.drain(..) {
                    let result = write(&db, std::slice::from_ref(&waiting)).await;
                    let _ = waiting.answer.send(result.map(|rows| usage::outcome(&rows, 0)));
                }
            }
        }
    }
}

async fn write(db: &Db, batch: &[Waiting]) -> Result<Vec<(UsageId, CodeId, i64)>> {
    let redemptions: Vec<usage::Redemption<'_>> = batch.iter().map(|w| (w.code.as_str(), w.user, w.now)).collect();
    db.write_script(&usage::sqlite_script(&db.exec(), &redemptions)).await
}
