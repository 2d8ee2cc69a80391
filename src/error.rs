//! The library's error: a refusal by the rules (nothing written), or a failure of the database or setup.

use crate::domain::{ErrorKind, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Writes waited for their turn longer than the busy timeout (milliseconds).
    #[error("the database is busy: other writes held it for more than {0} ms (database.busy_timeout_ms); try again")]
    Busy(u64),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration error: {0}")]
    Config(String),
    /// The database holds tables refcodes can't use as they are (another application's, or a PhoenixKit version
    /// without a column refcodes needs). Nothing was changed.
    #[error("{0}")]
    Schema(String),
    /// The task writing SQLite redemptions ended (its runtime shut down) before answering this one.
    #[error(
        "the task writing SQLite redemptions stopped before answering: this redemption may or may not have been \
         written; look it up before trying again"
    )]
    WriterStopped,
    /// The command line can't be carried out as given (such as a delete with no terminal to confirm it).
    #[error("{0}")]
    Usage(String),
    /// The metrics server could not listen on its address (taken, not this machine's, not allowed).
    #[error("can't serve the metrics: {0}")]
    Serve(std::io::Error),
}

impl Error {
    /// The stable kind when the rules refused; `None` for failures of the system.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Refused(r) => Some(r.kind),
            _ => None,
        }
    }

    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }
}

/// Shorthand for a refusal of `kind`.
pub fn refuse<T>(kind: ErrorKind, message: impl Into<String>) -> Result<T, Error> {
    Err(Error::Refused(Refusal::new(kind, message)))
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
