//! Whether a writer waits for SQLite's write lock, told across processes: each writer holds a shared `flock` on a
//! file beside the database (`<file>-writers`) from before it asks for the lock until its transaction has begun (a
//! script: until it has ended), and a bulk job, between its short transactions, asks whether anyone holds it. So the
//! job pauses only when someone waits: a writer of another process sleeps between its tries for SQLite's lock (up
//! to 100 ms), and would rarely find the lock free in a short gap; with no one waiting, a pause only slows the job.
//! Every SQLite writer is a refcodes process (PhoenixKit's databases are PostgreSQL), so every writer says so.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A writer's word that it waits (or writes), until dropped (closing the file releases its lock).
#[derive(Debug)]
pub struct Waiting {
    _file: File,
}

/// The file of the SQLite database `db`.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-writers");
    PathBuf::from(name)
}

/// Says that this writer waits. Saying so is a courtesy to bulk jobs: where the file can't be opened or locked
/// (a directory the process may not write), the writer goes on without.
pub fn announce(path: &Path) -> Option<Waiting> {
    let file = open(path)?;
    // Blocks only while a job looks (an exclusive lock held for two system calls).
    // SAFETY: the descriptor is open for the duration of the call.
    (unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH) } == 0).then_some(Waiting { _file: file })
}

/// Whether any writer, of any process, has said it waits and not yet begun.
pub fn any(path: &Path) -> bool {
    let Some(file) = open(path) else { return false };
    // SAFETY: the descriptor is open for the duration of the call; closing it releases a lock taken.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
}

fn open(path: &Path) -> Option<File> {
    // 0600, as the database's other files beside it.
    OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_is_seen_waiting_until_it_drops_its_word() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(&dir.path().join("codes.db"));
        assert!(!any(&path));
        let first = announce(&path).unwrap();
        let second = announce(&path).unwrap();
        assert!(any(&path));
        drop(first);
        assert!(any(&path), "one writer still waits");
        drop(second);
        assert!(!any(&path));
    }
}
