//! Questions before damage, asked on the terminal; scripts answer them with `--yes`.

use crate::error::{Error, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a question is waiting for its answer. Reading the answer blocks the command's task, so Ctrl-C can't
/// stop it there: [`interrupted`] ends the process itself, which has written nothing yet.
static ASKING: AtomicBool = AtomicBool::new(false);

/// Asks `question` on the terminal; the default is no. Without a terminal nobody can answer, so it is a usage
/// error whose message (`needs_yes`) says what `--yes` would do.
pub fn ask(question: &str, needs_yes: impl FnOnce() -> String) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(needs_yes()));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ").and_then(|()| stderr.flush());
    let mut answer = String::new();
    ASKING.store(true, Ordering::SeqCst);
    let read = std::io::stdin().lock().read_line(&mut answer);
    ASKING.store(false, Ordering::SeqCst);
    read.map_err(|e| Error::Usage(format!("can't read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Resolves on Ctrl-C, for the command to be dropped. Watched on a task of its own, so that Ctrl-C during a
/// question (when the command's task is blocked reading the answer) still ends the process.
pub async fn interrupted() {
    let (tell, told) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            if ASKING.load(Ordering::SeqCst) {
                let _ = writeln!(std::io::stderr(), "\nrefcodes: interrupted; nothing was changed");
                std::process::exit(130);
            }
            let _ = tell.send(());
        }
    });
    // A watcher that could not be set up never fires.
    if told.await.is_err() {
        std::future::pending::<()>().await;
    }
}
