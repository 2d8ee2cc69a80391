//! `export codes|usage`: the rows a filter picks, as CSV, one JSON array or JSON lines, written as they are read.

use super::args::{ExportFormat, ExportWhat};
use super::output::{CodeView, Csv, Out, Outcome};
use crate::domain::CodeFilter;
use crate::domain::window::Since;
use crate::service::Service;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use std::io::{Stdout, Write};

const CODE_COLUMNS: [&str; 13] = [
    "id",
    "code",
    "description",
    "status",
    "state",
    "number_of_uses",
    "max_uses",
    "created_by",
    "created_by_email",
    "beneficiary",
    "beneficiary_email",
    "date_created",
    "expiration_date",
];
const USAGE_COLUMNS: [&str; 6] = ["id", "code_id", "code", "used_by", "user_email", "date_used"];

/// Where the rows go: CSV rows, the items of one JSON array (one a line), or one JSON document a line.
enum Sink<'a> {
    Csv(Box<Csv<'a, Stdout>>),
    Json { out: &'a mut Out, first: bool },
    Ndjson(&'a mut Out),
}

impl Sink<'_> {
    fn item(&mut self, json: &impl Serialize, csv: &[String]) -> std::io::Result<()> {
        match self {
            Sink::Csv(writer) => writer.row(csv),
            Sink::Json { out, first } => {
                out.write_all(if *first { b"" } else { b"," })?;
                *first = false;
                serde_json::to_writer(&mut **out, json)?;
                out.write_all(b"\n")
            }
            Sink::Ndjson(out) => {
                serde_json::to_writer(&mut **out, json)?;
                out.write_all(b"\n")
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Csv(writer) => writer.finish(),
            Sink::Json { out, .. } => out.line("]"),
            Sink::Ndjson(_) => Ok(()),
        }
    }
}

/// Writes every row the filter picks as it is read from the database, so memory stays flat however many there
/// are (8 million usage records take what 8 do).
pub async fn export(
    service: &Service,
    out: &mut Out,
    what: ExportWhat,
    format: ExportFormat,
    since: Option<Since>,
    filter: &CodeFilter,
) -> Outcome {
    let now = service.now();
    // The query is made before anything is written, so a refused window prints nothing but the refusal.
    let (mut codes, mut usage) = match what {
        ExportWhat::Codes => (Some(service.export_codes(filter, since)?), None),
        ExportWhat::Usage => (None, Some(service.export_usage(filter, since)?)),
    };
    let mut sink = match format {
        ExportFormat::Json => {
            out.line("[")?;
            Sink::Json { out, first: true }
        }
        ExportFormat::Ndjson => Sink::Ndjson(out),
        ExportFormat::Csv => {
            let mut csv = out.csv();
            csv.row(match what {
                ExportWhat::Codes => &CODE_COLUMNS[..],
                ExportWhat::Usage => &USAGE_COLUMNS[..],
            })?;
            Sink::Csv(Box::new(csv))
        }
    };
    let stamp = |t: DateTime<Utc>| t.to_rfc3339();
    let progress = service.progress();
    if let Some(rows) = &mut codes {
        progress.start("exporting codes", None);
        while let Some(r) = rows.try_next().await? {
            let c = &r.code;
            let csv = [
                c.id.to_string(),
                c.code.clone(),
                c.description.clone(),
                c.status.to_string(),
                c.status_at(now).as_arg().to_string(),
                c.number_of_uses.to_string(),
                c.max_uses.to_string(),
                c.created_by.map(|u| u.to_string()).unwrap_or_default(),
                r.created_by_email.clone().unwrap_or_default(),
                c.beneficiary.map(|u| u.to_string()).unwrap_or_default(),
                r.beneficiary_email.clone().unwrap_or_default(),
                stamp(c.date_created),
                c.expiration_date.map(stamp).unwrap_or_default(),
            ];
            sink.item(&CodeView::of(&r, now), &csv)?;
            progress.advance(1);
        }
    }
    if let Some(rows) = &mut usage {
        progress.start("exporting usage records", None);
        while let Some(u) = rows.try_next().await? {
            let csv = [
                u.id.to_string(),
                u.code_id.to_string(),
                u.code.clone(),
                u.used_by.map(|id| id.to_string()).unwrap_or_default(),
                u.user_email.clone().unwrap_or_default(),
                stamp(u.date_used),
            ];
            sink.item(&u, &csv)?;
            progress.advance(1);
        }
    }
    progress.finish();
    Ok(sink.finish()?)
}
