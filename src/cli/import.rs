//! `codes import FILE.csv [--dry-run] [--on-conflict skip|update|fail]`: the file checked whole, then written
//! whole (or not at all).

use super::output::{Failure, Out, Outcome, note};
use crate::domain::import::OnConflict;
use crate::domain::{ErrorKind, Refusal};
use crate::error::Error;
use crate::service::{ImportReport, Service};
use std::io::{Read, Write};
use std::path::Path;

/// How many codes of each kind the summary for people names; `--json` lists them all.
const NAMED: usize = 10;

pub async fn import(
    service: &Service,
    out: &mut Out,
    file: &Path,
    dry_run: bool,
    on_conflict: OnConflict,
    json: bool,
) -> Outcome {
    let data = read(file)?;
    let plan = service.check_import(&data, on_conflict).await?;
    let report =
        if dry_run || !plan.report.problems.is_empty() { plan.report } else { service.apply_import(&plan).await? };
    if !report.problems.is_empty() {
        return problems(out, &report, json);
    }
    let written = if json { out.json(&report) } else { summary(out, &report) };
    written.and_then(|()| out.flush()).map_err(|err| match report.applied {
        true => Failure::after_commit(err, format!("The import was written ({}).", counts(&report))),
        false => err.into(),
    })
}

/// The file's bytes; `-` is stdin.
fn read(file: &Path) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    let read = if file == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut data).map(drop)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut data)).map(drop)
    };
    read.map_err(|e| Error::Usage(format!("can't read {}: {e}", file.display())))?;
    Ok(data)
}

/// Every problem, by line; nothing was written. With `--json`, the report with the contract's error fields.
fn problems(out: &mut Out, report: &ImportReport, json: bool) -> Outcome {
    let rows = report.problems.iter().map(|p| p.line).collect::<std::collections::BTreeSet<_>>().len();
    let message = format!(
        "{} problem{} in {rows} of {} rows; nothing was imported",
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" },
        report.rows,
    );
    let refusal = Error::from(Refusal::new(ErrorKind::Validation, message));
    if json {
        let mut doc = serde_json::to_value(report).expect("a report serialises");
        doc["error"] = "validation".into();
        doc["message"] = refusal.to_string().into();
        doc["fields"] = serde_json::json!([]);
        out.json(&doc)?;
        out.flush()?;
    } else {
        for p in &report.problems {
            note(&format!("line {}: {}: {}", p.line, p.column, p.message));
        }
        note(&format!("refcodes: {refusal}"));
    }
    Err(Failure::Told(refusal))
}

/// What was (or would be) done, and some of the codes.
fn summary(out: &mut Out, report: &ImportReport) -> std::io::Result<()> {
    if report.applied {
        out.line(format_args!("Imported {} rows: {}.", report.rows, counts(report)))?;
    } else {
        out.line(format_args!("Dry run, nothing written. Of {} rows, it would {}.", report.rows, would(report)))?;
    }
    let random = match (report.applied, report.random) {
        (false, n) if n > 0 => Some(format!("{n} random")),
        _ => None,
    };
    for (label, codes, extra) in [
        ("create", &report.created, random),
        ("update", &report.updated, None),
        ("unchanged", &report.unchanged, None),
        ("skip", &report.skipped, None),
    ] {
        if codes.is_empty() && extra.is_none() {
            continue;
        }
        let mut named: Vec<String> = codes.iter().take(NAMED).cloned().collect();
        if codes.len() > NAMED {
            named.push(format!("… {} more (--json lists all)", codes.len() - NAMED));
        }
        named.extend(extra);
        out.line(format_args!("  {label:<10} {}", named.join(", ")))?;
    }
    Ok(())
}

fn counts(report: &ImportReport) -> String {
    format!(
        "created {} codes ({} random), updated {}, left {} unchanged, skipped {}",
        report.created.len(),
        report.random,
        report.updated.len(),
        report.unchanged.len(),
        report.skipped.len()
    )
}

fn would(report: &ImportReport) -> String {
    format!(
        "create {} codes ({} random), update {}, leave {} unchanged and skip {}",
        report.created.len() + report.random,
        report.random,
        report.updated.len(),
        report.unchanged.len(),
        report.skipped.len()
    )
}
