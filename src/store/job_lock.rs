//! Who runs SQLite's bulk job: an exclusive `flock` on a file beside the database (`<file>-jobs`), held for the
//! job's whole life. The kernel releases it when the holder dies, even by `kill -9`, so a job recorded in the
//! database whose lock can be taken has no living owner: a pid could have been reused, a lock can't outlive it.
//! One job runs at a time, so holding the lock also means every recorded job is dead or one's own.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct JobLock {
    _file: File,
}

/// The lock file of the SQLite database `db`.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-jobs");
    PathBuf::from(name)
}

/// Takes the lock if no one holds it.
pub fn try_lock(path: &Path) -> Result<Option<JobLock>> {
    // 0600: beside a database that holds emails, nothing of it needs to be readable by others.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Config(format!("can't open the bulk job lock {}: {e}", path.display())))?;
    // SAFETY: the descriptor is open for the duration of the call.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(Some(JobLock { _file: file }));
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        Ok(None)
    } else {
        Err(Error::Config(format!("can't lock {}: {err}", path.display())))
    }
}

/// Takes the lock, waiting up to `wait` for another job to end; `Error::Busy` after that.
pub async fn lock(path: &Path, wait: Duration) -> Result<JobLock> {
    let start = Instant::now();
    loop {
        if let Some(lock) = try_lock(path)? {
            return Ok(lock);
        }
        if start.elapsed() >= wait {
            return Err(Error::Busy(wait.as_millis() as u64));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
