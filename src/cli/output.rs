//! How the CLI prints: aligned tables for people, one JSON document for scripts, CSV for exports, and errors
//! with stable exit codes.

use crate::domain::text::{date_time_or_never, fit};
use crate::domain::{CodeRow, CodeStatus, ReferralCode};
use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// Exit status of the contract: 0 done, 1 refused by the rules, 2 bad command line, 3 the database or system.
pub fn exit_code(err: &Error) -> ExitCode {
    match err {
        Error::Refused(_) => ExitCode::from(1),
        Error::Config(_) | Error::Usage(_) => ExitCode::from(2),
        Error::Database(_) | Error::Busy(_) | Error::Migrate(_) | Error::Schema(_) => ExitCode::from(3),
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
        println!("{doc}");
    } else {
        let hint = match err {
            Error::Database(_) | Error::Migrate(_) => {
                " (check that the database is reachable and the URL is right: --database-url or REFCODES_DATABASE_URL)"
            }
            _ => "",
        };
        eprintln!("refcodes: {err}{hint}");
    }
    exit_code(err)
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).expect("our types serialise"));
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

/// Prints rows under a header, each column as wide as its widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
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
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line(&mut header.iter().copied()));
    for row in rows {
        let _ = writeln!(out, "{}", line(&mut row.iter().map(String::as_str)));
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

/// One CSV field, quoted when it must be.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

pub fn csv_line(fields: &[String]) -> String {
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]), "a,\"b,c\",\"say \"\"hi\"\"\"");
    }
}
