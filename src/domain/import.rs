//! A CSV file of codes to import, read into rows: columns by header name in any order, each cell parsed as
//! `codes create` parses its option. The rules of a code (see [`super::draft`]) run on these rows in the service,
//! which knows the settings and which codes and users exist.

use super::draft::{CodeChanges, CodeInput};
use super::expiry::{self, Expiration};
use super::{UserId, validate};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The columns a file may have, in the order the messages list them.
pub const COLUMNS: [&str; 6] = ["code", "description", "max_uses", "expires", "beneficiary", "status"];

/// What an import does with a row whose code exists already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// The row is a problem, and nothing is imported.
    #[default]
    Fail,
    /// The row is left out; the code stays as it is.
    Skip,
    /// The row's non-empty cells change the code.
    Update,
}

/// One row of the file, its cells parsed; an empty cell is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The line the row starts on (the header is line 1; a quoted cell can span lines).
    pub line: u64,
    /// As typed, trimmed; `None` draws a random code.
    pub code: Option<String>,
    pub description: Option<String>,
    pub max_uses: Option<i64>,
    pub expiration: Option<Expiration>,
    /// An email, trimmed and lower-cased.
    pub beneficiary: Option<String>,
    pub active: Option<bool>,
}

impl ImportRow {
    /// The row as a new code, with its beneficiary found.
    pub fn input(&self, beneficiary: Option<UserId>) -> CodeInput {
        CodeInput {
            code: self.code.clone(),
            description: self.description.clone().unwrap_or_default(),
            max_uses: self.max_uses,
            expiration: self.expiration,
            beneficiary,
            inactive: self.active == Some(false),
        }
    }

    /// The row as changes to an existing code: empty cells leave their field as it is.
    pub fn changes(&self, beneficiary: Option<UserId>) -> CodeChanges {
        CodeChanges {
            code: None,
            description: self.description.clone(),
            max_uses: self.max_uses,
            expiration: self.expiration,
            beneficiary: beneficiary.map(Some),
            active: self.active,
        }
    }
}

/// A row's problem: its line, the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub line: u64,
    pub column: &'static str,
    pub message: String,
}

/// The column a rule's field error is about (the rules call the `expires` column's field `expiration`).
pub fn column_of(field: &str) -> &'static str {
    match field {
        "expiration" => "expires",
        other => COLUMNS.into_iter().find(|c| *c == other).unwrap_or("row"),
    }
}

/// The file's rows, and the problems found in reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// Rows read, with or without problems.
    pub read: usize,
    /// The rows whose cells could be told apart, a cell that could not be read left empty: the rules still check
    /// them, so that every problem of a row is told at once.
    pub rows: Vec<ImportRow>,
    pub problems: Vec<RowProblem>,
}

/// Reads a CSV file (UTF-8, with or without a byte order mark; CRLF or LF; RFC 4180 quoting). `Err` when the
/// header itself is wrong: no header, an unknown or repeated column. Rows whose cells are all empty (a
/// spreadsheet's trailing rows) are left out.
pub fn parse(data: &[u8], now: DateTime<Utc>) -> Result<ParsedFile, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(format!("the file is empty: its first line names the columns ({})", COLUMNS.join(", "))),
        Some(Err(err)) => return Err(format!("the header can't be read: {err}")),
        Some(Ok(header)) => header,
    };
    let columns = header_columns(&header)?;
    let mut lines = Lines { data, at: 0, line: 1 };
    let mut parsed = ParsedFile::default();
    // The first line each code is on, by its stored form.
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| lines.at(p.byte()));
                parsed.read += 1;
                parsed.problems.push(RowProblem { line, column: "row", message: format!("can't be read: {err}") });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        parsed.read += 1;
        let mut problem = |column: &'static str, message: String| {
            parsed.problems.push(RowProblem { line, column, message });
        };
        if record.len() != columns.len() {
            problem("row", format!("has {} cells; the header has {}", record.len(), columns.len()));
            continue;
        }
        let mut row = ImportRow {
            line,
            code: None,
            description: None,
            max_uses: None,
            expiration: None,
            beneficiary: None,
            active: None,
        };
        for (column, cell) in columns.iter().copied().zip(record.iter()) {
            let Ok(text) = std::str::from_utf8(cell) else {
                problem(column, "is not UTF-8 text (save the file as CSV UTF-8)".into());
                continue;
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match column {
                "code" => row.code = Some(text.to_string()),
                // Kept as typed: the rules trim it and refuse what they refuse in `codes create`.
                "description" => row.description = Some(text.to_string()),
                "max_uses" => match validate::whole_number(text) {
                    Ok(n) => row.max_uses = Some(n),
                    Err(m) => problem(column, m),
                },
                "expires" => match expiry::parse(text, now) {
                    Ok(at) => row.expiration = Some(at),
                    Err(m) => problem(column, m),
                },
                "beneficiary" => match validate::email(text) {
                    Ok(email) => row.beneficiary = Some(email),
                    Err(m) => problem(column, m),
                },
                "status" => match text.to_ascii_lowercase().as_str() {
                    "active" => row.active = Some(true),
                    "inactive" => row.active = Some(false),
                    _ => problem(column, format!("must be active or inactive (or empty: active), not {text:?}")),
                },
                _ => unreachable!("the header holds known columns only"),
            }
        }
        // The same code twice would be created twice: the later row is the problem.
        if let Some(code) = row.code.as_deref().and_then(|c| validate::code(c).ok()) {
            match seen.get(&code) {
                Some(first) => problem("code", format!("{code} is on line {first} too")),
                None => {
                    seen.insert(code, line);
                }
            }
        }
        parsed.rows.push(row);
    }
    Ok(parsed)
}

/// Line numbers counted by hand: csv counts the line feed of a CRLF only when it reads the next record, so it puts
/// a record after CRLF one line early.
struct Lines<'a> {
    data: &'a [u8],
    /// The byte up to which lines are counted, and the line it is on.
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the record at `byte` (records come in order): where its first byte after line breaks is.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = (byte as usize).clamp(self.at, self.data.len());
        while self.data.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        self.line += self.data[self.at..start].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = start;
        self.line
    }
}

/// The header's columns, each known and named once (names are trimmed and compared without case).
fn header_columns(header: &csv::ByteRecord) -> Result<Vec<&'static str>, String> {
    let known = COLUMNS.join(", ");
    let mut columns = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    for cell in header {
        let name = String::from_utf8_lossy(cell).trim().to_ascii_lowercase();
        match COLUMNS.into_iter().find(|c| *c == name) {
            Some(column) if columns.contains(&column) => {
                return Err(format!("the column {column} is named twice in the header"));
            }
            Some(column) => columns.push(column),
            None => unknown.push(format!("{name:?}")),
        }
    }
    if !unknown.is_empty() {
        return Err(format!("unknown column{} {}: the columns are {known}", plural(unknown.len()), unknown.join(", ")));
    }
    Ok(columns)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn columns_come_in_any_order_with_bom_crlf_and_quotes() {
        let file =
            "\u{feff}Status,description,CODE\r\ninactive,\"Spring, \"\"big\"\"\r\nsale\",spring\r\n,,\r\n\r\n,x,\r\n";
        let parsed = parse(file.as_bytes(), now()).unwrap();
        assert_eq!(parsed.problems, []);
        assert_eq!(parsed.rows.len(), 2, "the empty rows are left out");
        let row = &parsed.rows[0];
        assert_eq!((row.line, row.code.as_deref(), row.active), (2, Some("spring"), Some(false)));
        assert_eq!(row.description.as_deref(), Some("Spring, \"big\"\r\nsale"));
        assert_eq!(parsed.rows[1].line, 6, "after a quoted line break and an empty line");
    }

    #[test]
    fn unknown_and_repeated_columns_are_refused() {
        let err = parse(b"code,colour,size\n", now()).unwrap_err();
        assert!(err.contains("\"colour\", \"size\"") && err.contains(&COLUMNS.join(", ")), "{err}");
        assert!(parse(b"code,Code\n", now()).unwrap_err().contains("twice"));
        assert!(parse(b"", now()).unwrap_err().contains("empty"));
    }

    #[test]
    fn every_bad_cell_is_a_problem_on_its_line() {
        let file = "code,max_uses,expires,beneficiary,status\nA1,x,soon,nobody,maybe\nB22,5,,,\nb22,1,,,\nC3,1\n";
        let parsed = parse(file.as_bytes(), now()).unwrap();
        let found: Vec<(u64, &str)> = parsed.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(
            found,
            [(2, "max_uses"), (2, "expires"), (2, "beneficiary"), (2, "status"), (4, "code"), (5, "row")]
        );
        assert_eq!(parsed.rows.len(), 3, "every row but the one of the wrong length, for the rules to check");
    }
}
