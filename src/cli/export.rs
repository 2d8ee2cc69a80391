//! `export codes|usage`: every row, as CSV or as one JSON array, written as it is read.

use super::args::{ExportFormat, ExportWhat};
use super::output::{CodeView, Csv, Out, Outcome};
use crate::service::Service;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::{Stdout, Write};

/// Rows an export reads at a time; it writes as it reads, so memory stays flat however many there are.
const EXPORT_BATCH: i64 = 5000;

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

/// Where the rows go: CSV rows, or the items of one JSON array (one per line).
enum Sink<'a> {
    Csv(Box<Csv<'a, Stdout>>),
    Json { out: &'a mut Out, first: bool },
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
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Csv(writer) => writer.finish(),
            Sink::Json { out, .. } => out.line("]"),
        }
    }
}

pub async fn export(service: &Service, out: &mut Out, what: ExportWhat, format: ExportFormat) -> Outcome {
    let now = service.now();
    let mut sink = match format {
        ExportFormat::Json => {
            out.line("[")?;
            Sink::Json { out, first: true }
        }
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
    let (mut codes_after, mut usage_after) = (None, None);
    loop {
        let read = match what {
            ExportWhat::Codes => {
                let rows = service.codes_after(codes_after, EXPORT_BATCH).await?;
                for r in &rows {
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
                    sink.item(&CodeView::of(r, now), &csv)?;
                }
                codes_after = rows.last().map(|r| r.code.id);
                !rows.is_empty()
            }
            ExportWhat::Usage => {
                let rows = service.usage_after(usage_after, EXPORT_BATCH).await?;
                for u in &rows {
                    let csv = [
                        u.id.to_string(),
                        u.code_id.to_string(),
                        u.code.clone(),
                        u.used_by.map(|id| id.to_string()).unwrap_or_default(),
                        u.user_email.clone().unwrap_or_default(),
                        stamp(u.date_used),
                    ];
                    sink.item(u, &csv)?;
                }
                usage_after = rows.last().map(|u| u.id);
                !rows.is_empty()
            }
        };
        if !read {
            break;
        }
    }
    Ok(sink.finish()?)
}
