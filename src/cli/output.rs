//! How the CLI prints: aligned tables for people, one JSON document for scripts, CSV for exports, and errors
//! with stable exit codes. Everything a command prints on stdout goes through one [`Out`], so a write that fails
//! is an error to report, never a panic after the database has changed.

use crate::domain::text::{date_time_or_never, fit};
use crate::domain::{CodeRow, CodeStatus, ReferralCode};
use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Display;
use std::io::{self, BufWriter, Stdout, Write};
use std::process::ExitCode;

/// Why a command failed: the library refused or failed, or its output could not be written.
#[derive(Debug)]
pub enum Failure {
    Lib(Error),
    /// Writing stdout failed; `committed` says what the command had saved already, and how to see it again.
    Write {
        err: io::Error,
        committed: Option<String>,
    },
    /// Ctrl-C stopped the command; its open transaction, if any, was rolled back.
    Interrupted,
    /// A refusal the command has told in full already (an import's every problem): only its exit status is left.
    Told(Error),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Lib(err)
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Write { err, committed: None }
    }
}

impl Failure {
    /// A failed write after a commit, with what the commit saved.
    pub fn after_commit(err: io::Error, committed: String) -> Failure {
        Failure::Write { err, committed: Some(committed) }
    }
}

/// What a command returns.
pub type Outcome = std::result::Result<(), Failure>;

/// Exit status of the contract: 0 done, 1 refused by the rules, 2 bad command line, 3 the database or system.
pub fn exit_code(err: &Error) -> ExitCode {
    match err {
        Error::Refused(_) => ExitCode::from(1),
        Error::Config(_) | Error::Usage(_) => ExitCode::from(2),
        Error::Database(_)
        | Error::Busy(_)
        | Error::Migrate(_)
        | Error::Schema(_)
        | Error::WriterStopped
        | Error::Serve(_) => ExitCode::from(3),
    }
}

/// Reports a failed command. A reader that closed stdout early (`| head`) ends it quietly with success, as `ls`
/// does; any other write failure is the system's (3). What a command had saved is told on stderr either way,
/// since stdout is what failed.
pub fn report_failure(failure: &Failure, json: bool) -> ExitCode {
    match failure {
        Failure::Lib(err) => report(err, json),
        Failure::Told(err) => exit_code(err),
        Failure::Interrupted => {
            note("refcodes: interrupted; a change in progress was rolled back, so nothing of it was written");
            // 128 + SIGINT, as shells report a command that Ctrl-C ended.
            ExitCode::from(130)
        }
        Failure::Write { err, committed } => {
            let closed = err.kind() == io::ErrorKind::BrokenPipe;
            match (closed, committed) {
                (true, None) => {}
                (true, Some(what)) => {
                    note(&format!("refcodes: the output was closed before all of it was written. {what}"))
                }
                (false, None) => note(&format!("refcodes: can't write the output: {err}")),
                (false, Some(what)) => note(&format!("refcodes: can't write the output: {err}. {what}")),
            }
            if closed { ExitCode::SUCCESS } else { ExitCode::from(3) }
        }
    }
}

/// Reports an error the way the output mode asks: JSON on stdout, or one sentence on stderr.
pub fn report(err: &Error, json: bool) -> ExitCode {
    if json {
        let doc = match err {
            Error::Refused(r) => serde_json::json!({"error": r.kind, "message": r.message, "fields": r.fields}),
            Error::Config(m) => serde_json::json!({"error": "config", "message": m}),
            Error::Usage(m) => serde_json::json!({"error": "usage", "message": m}),
            other => serde_json::json!({"error": "system", "message": other.to_string()}),
        };
        print_error_doc(&doc);
    } else {
        // Only a failure to reach the database is about the URL; one the database answered (a constraint, say) is
        // not.
        let unreachable = match err {
            Error::Database(e) => !matches!(e, sqlx::Error::Database(_) | sqlx::Error::RowNotFound),
            Error::Migrate(_) => true,
            _ => false,
        };
        let hint = if unreachable {
            " (check that the database is reachable and the URL is right: --database-url or REFCODES_DATABASE_URL)"
        } else {
            ""
        };
        note(&format!("refcodes: {err}{hint}"));
    }
    exit_code(err)
}

/// An error document on stdout. The exit status tells the failure already, so a failed write has nothing to add.
pub fn print_error_doc(doc: &serde_json::Value) {
    let mut out = Out::stdout();
    let _ = out.line(doc).and_then(|()| out.flush());
}

/// A line for people on stderr. If stderr itself fails, there is nobody left to tell.
pub fn note(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// The command's standard output, buffered: a command's last step is [`Write::flush`], whose failure it reports.
pub struct Out<W: Write = Stdout>(BufWriter<W>);

impl Out {
    pub fn stdout() -> Out {
        Out::new(io::stdout())
    }
}

impl<W: Write> Out<W> {
    pub fn new(inner: W) -> Out<W> {
        Out(BufWriter::new(inner))
    }

    pub fn line(&mut self, text: impl Display) -> io::Result<()> {
        writeln!(self.0, "{text}")
    }

    /// A value as one pretty-printed JSON document.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.0, value)?;
        writeln!(self.0)
    }

    /// Rows under a header, each column as wide as its widest cell.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let parts: Vec<String> = cells.zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            parts.join("  ").trim_end().to_string()
        };
        self.line(line(&mut header.iter().copied()))?;
        for row in rows {
            self.line(line(&mut row.iter().map(String::as_str)))?;
        }
        Ok(())
    }

    /// CSV on this output, a [`Csv::row`] at a time.
    pub fn csv(&mut self) -> Csv<'_, W> {
        Csv(csv::Writer::from_writer(&mut self.0))
    }
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// CSV rows whose cells can't start a spreadsheet formula. OWASP's advice against CSV injection: a cell that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front. Otherwise an email that anyone can
/// register, or a description, runs as a formula in the spreadsheet of the admin who opens the export.
pub struct Csv<'a, W: Write>(csv::Writer<&'a mut BufWriter<W>>);

impl<W: Write> Csv<'_, W> {
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) -> io::Result<()> {
        self.0.write_record(cells.into_iter().map(|c| inert(c.as_ref()).into_owned())).map_err(csv_io)
    }

    /// Hands what the CSV writer holds to the output.
    pub fn finish(mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn inert(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The I/O error inside a CSV error, kind and all (so a closed pipe stays one).
fn csv_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A code with its computed state, as JSON and CSV show it.
#[derive(Debug, Serialize)]
pub struct CodeView<'a> {
    #[serde(flatten)]
    pub code: &'a ReferralCode,
    pub state: CodeStatus,
    pub created_by_email: Option<&'a str>,
    pub beneficiary_email: Option<&'a str>,
}

impl<'a> CodeView<'a> {
    pub fn of(row: &'a CodeRow, now: DateTime<Utc>) -> CodeView<'a> {
        CodeView {
            code: &row.code,
            state: row.code.status_at(now),
            created_by_email: row.created_by_email.as_deref(),
            beneficiary_email: row.beneficiary_email.as_deref(),
        }
    }

    pub fn bare(code: &'a ReferralCode, now: DateTime<Utc>) -> CodeView<'a> {
        CodeView { code, state: code.status_at(now), created_by_email: None, beneficiary_email: None }
    }
}

pub fn code_table_row(row: &CodeRow, now: DateTime<Utc>) -> Vec<String> {
    let c = &row.code;
    vec![
        c.code.clone(),
        fit(&c.description, 36),
        format!("{}/{}", c.number_of_uses, c.max_uses),
        date_time_or_never(c.expiration_date),
        c.status_at(now).label().to_string(),
        row.created_by_email.clone().unwrap_or_else(|| "unknown".into()),
        row.beneficiary_email.clone().unwrap_or_else(|| "none".into()),
    ]
}

pub const CODE_HEADER: [&str; 7] = ["CODE", "DESCRIPTION", "USES", "EXPIRES", "STATUS", "CREATED BY", "BENEFICIARY"];

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(rows: &[&[&str]]) -> String {
        let mut buffer = Vec::new();
        let mut out = Out::new(&mut buffer);
        let mut csv = out.csv();
        for row in rows {
            csv.row(row.iter()).unwrap();
        }
        csv.finish().unwrap();
        out.flush().unwrap();
        drop(out);
        String::from_utf8(buffer).unwrap()
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_of(&[&["a", "b,c", "say \"hi\""], &["1", "", "x"]]), "a,\"b,c\",\"say \"\"hi\"\"\"\n1,,x\n");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        let cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", "'quoted", "ok, =no"];
        let written = csv_of(&[&cells]);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(written.as_bytes());
        let read = reader.records().next().unwrap().unwrap();
        assert_eq!(
            read.iter().collect::<Vec<_>>(),
            ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "'quoted", "ok, =no"]
        );
    }

    #[test]
    fn a_closed_pipe_is_quiet_success_and_other_write_failures_are_exit_3() {
        let pipe = Failure::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(report_failure(&pipe, false), ExitCode::SUCCESS);
        let full = Failure::from(io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(report_failure(&full, false), ExitCode::from(3));
    }
}
