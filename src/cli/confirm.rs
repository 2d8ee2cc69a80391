//! Questions before damage, asked on the terminal; scripts answer them with `--yes`.

use crate::error::{Error, Result};
use std::io::{BufRead, IsTerminal, Write};

/// Asks `question` on the terminal; the default is no. Without a terminal nobody can answer, so it is a usage
/// error whose message (`needs_yes`) says what `--yes` would do.
pub fn ask(question: &str, needs_yes: impl FnOnce() -> String) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(needs_yes()));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ").and_then(|()| stderr.flush());
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Error::Usage(format!("can't read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
