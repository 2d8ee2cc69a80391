//! `history`: the audit trail's events, newest first, in 80 columns (two lines an event) or as JSON.

use super::output::{Out, Outcome};
use crate::domain::audit::HistoryFilter;
use crate::domain::text::{date_time, fit};
use crate::service::Service;

/// Widths of the first line's columns; the operator takes the rest of 80.
const ACTION_WIDTH: usize = 19;
const CODE_WIDTH: usize = 16;
const OPERATOR_WIDTH: usize = 80 - 16 - ACTION_WIDTH - CODE_WIDTH - 3 * 2;

pub async fn history(service: &Service, out: &mut Out, filter: &HistoryFilter, limit: u64, json: bool) -> Outcome {
    let page = service.history(filter, None, limit).await?;
    let log_only = service.audit_unavailable();
    if json {
        out.json(&serde_json::json!({
            "events": page.events,
            "more": page.next.is_some(),
            "log_only": log_only,
        }))?;
        return Ok(());
    }
    if let Some(why) = log_only {
        out.line(format!("No audit trail in this database: {why}; events go to the log file only."))?;
        return Ok(());
    }
    if page.events.is_empty() {
        out.line("No events match.")?;
        return Ok(());
    }
    out.line(format!("{:<16}  {:<ACTION_WIDTH$}  {:<CODE_WIDTH$}  OPERATOR", "WHEN (UTC)", "ACTION", "CODE"))?;
    for event in &page.events {
        let line = format!(
            "{:<16}  {:<ACTION_WIDTH$}  {:<CODE_WIDTH$}  {}",
            date_time(event.at),
            fit(event.kind(), ACTION_WIDTH),
            fit(event.code.as_deref().unwrap_or("-"), CODE_WIDTH),
            fit(&event.operator, OPERATOR_WIDTH),
        );
        out.line(line.trim_end())?;
        out.line(format!("  {}", fit(&event.summary(), 78)))?;
    }
    if page.next.is_some() {
        out.line(format!("(the newest {limit}; --limit N shows more)"))?;
    }
    Ok(())
}
