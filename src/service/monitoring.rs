//! Monitoring: a check in the manner of Nagios and Icinga plugins, and the figures in the OpenMetrics text format.
//! Both only read. The command line prints them (`refcodes check`, `refcodes metrics`); a library user can too.

use super::Service;
use crate::domain::text::date_time_or_never;
use crate::domain::window::{Share, span_label};
use crate::domain::{CodeFilter, CodeQuery, CodeRow, CodeStatus, SortField};
use crate::error::Result;
use chrono::Duration;
use std::fmt::Write as _;

/// Codes a check names under its status line, at most, per threshold.
const CHECK_DETAILS: u64 = 10;

/// A check's thresholds; with none, the check only reaches the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckThresholds {
    /// CRITICAL when fewer redemptions than this happened in the last `window`.
    pub min_redemptions: Option<i64>,
    /// The sliding window of `min_redemptions`, up to now.
    pub window: Duration,
    /// WARNING when a usable code has used this share of its limit; CRITICAL when a switched-on, unexpired code
    /// has reached its limit.
    pub near_limit: Option<Share>,
    /// WARNING when a usable code expires within this span.
    pub expiring: Option<Duration>,
}

/// A check's verdict, in the order of severity; the exit status is its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warning => "WARNING",
            Verdict::Critical => "CRITICAL",
            Verdict::Unknown => "UNKNOWN",
        }
    }
}

/// One threshold's finding.
struct Finding {
    verdict: Verdict,
    summary: String,
    perfdata: String,
    details: Vec<String>,
}

impl Service {
    /// Runs the check: its verdict, and the lines to print: the status line first (`REFCODES OK - ... | perfdata`),
    /// then the codes behind it.
    pub async fn check(&self, args: &CheckThresholds) -> Result<(Verdict, Vec<String>)> {
        let service = self;
        let mut findings = Vec::new();
        if let Some(min) = args.min_redemptions {
            let window = span_label(args.window);
            let n = service.redemptions_in_last(args.window).await?;
            let verdict = if n < min { Verdict::Critical } else { Verdict::Ok };
            findings.push(Finding {
                verdict,
                summary: format!("{n} redemptions in the last {window} (minimum {min})"),
                // Nagios ranges: "N:" alerts below N.
                perfdata: format!("redemptions_{window}={n};;{min}:;0;"),
                details: Vec::new(),
            });
        }
        if let Some(share) = args.near_limit {
            findings.push(near_limit(service, share).await?);
        }
        if let Some(span) = args.expiring {
            findings.push(expiring(service, span).await?);
        }
        let verdict = findings.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Ok);
        // The findings that set the verdict come first; with none, the database answered.
        let mut shown: Vec<&Finding> = findings.iter().collect();
        shown.sort_by_key(|f| std::cmp::Reverse(f.verdict));
        let summary = match shown.is_empty() {
            true => format!("database reachable ({})", service.attached()),
            false => shown.iter().map(|f| f.summary.as_str()).collect::<Vec<_>>().join("; "),
        };
        let perfdata: Vec<&str> = findings.iter().map(|f| f.perfdata.as_str()).collect();
        let bar = if perfdata.is_empty() { String::new() } else { format!(" | {}", perfdata.join(" ")) };
        let status = format!("REFCODES {} - {summary}{bar}", verdict.label());
        Ok((verdict, std::iter::once(status).chain(shown.iter().flat_map(|f| f.details.clone())).collect()))
    }

    /// The figures in the OpenMetrics text format, ending with `# EOF`. Prometheus' own text format reads the
    /// same (there `# EOF` is a comment), so node_exporter's textfile collector takes it too.
    pub async fn metrics_text(&self, top: i64, share: Share) -> Result<String> {
        metrics_text(self, top, share).await
    }
}

fn urgent(filter: CodeFilter) -> CodeQuery {
    CodeQuery {
        filter,
        sort: SortField::Urgency,
        descending: false,
        offset: 0,
        limit: CHECK_DETAILS,
        ..Default::default()
    }
}

fn codes_word(n: i64) -> &'static str {
    if n == 1 { "code" } else { "codes" }
}

/// WARNING for usable codes at or above `share` of their limit, CRITICAL for switched-on, unexpired codes that
/// reached it (cleared by raising the limit or switching the code off).
async fn near_limit(service: &Service, share: Share) -> Result<Finding> {
    let near = CodeFilter { status: Some(CodeStatus::Active), near_limit: Some(share), ..CodeFilter::default() };
    // The full share is implied by the status; naming it lets SQLite use the share's index.
    let used_up =
        CodeFilter { status: Some(CodeStatus::LimitReached), near_limit: Some(Share::FULL), ..CodeFilter::default() };
    let (near, used_up) = (urgent(near), urgent(used_up));
    let (near_page, used_page) = tokio::try_join!(service.page_with_total(&near), service.page_with_total(&used_up))?;
    let (n_near, n_used) = (near_page.total, used_page.total);
    let verdict = match (n_used, n_near) {
        (1.., _) => Verdict::Critical,
        (0, 1..) => Verdict::Warning,
        _ => Verdict::Ok,
    };
    let summary = match verdict {
        Verdict::Critical => format!("{n_used} {} used up", codes_word(n_used)),
        Verdict::Warning => format!("{n_near} {} at {share} of the limit or more", codes_word(n_near)),
        _ => format!("no code at {share} of its limit"),
    };
    let uses = |row: &CodeRow| format!("  {} {}/{} uses", row.code.code, row.code.number_of_uses, row.code.max_uses);
    let mut details: Vec<String> = used_page.rows.iter().map(|r| format!("{} (used up)", uses(r))).collect();
    details.extend(near_page.rows.iter().map(uses));
    let more = (n_used + n_near) - details.len() as i64;
    if more > 0 {
        details.push(format!("  ... and {more} more: refcodes codes list --near-limit {share}"));
    }
    Ok(Finding { verdict, summary, perfdata: format!("near_limit={n_near};0;;0; used_up={n_used};;0;0;"), details })
}

/// WARNING for usable codes that expire within `span`.
async fn expiring(service: &Service, span: Duration) -> Result<Finding> {
    let filter = CodeFilter { status: Some(CodeStatus::Active), expiring_within: Some(span), ..CodeFilter::default() };
    let page = service.page_with_total(&urgent(filter)).await?;
    let n = page.total;
    let label = span_label(span);
    let verdict = if n > 0 { Verdict::Warning } else { Verdict::Ok };
    let summary = match n {
        0 => format!("no code expires within {label}"),
        _ => format!("{n} {} expiring within {label}", codes_word(n)),
    };
    let mut details: Vec<String> = page
        .rows
        .iter()
        .map(|r| format!("  {} expires {} UTC", r.code.code, date_time_or_never(r.code.expiration_date)))
        .collect();
    if n > details.len() as i64 {
        details.push(format!("  ... and {} more: refcodes codes list --expiring {label}", n - details.len() as i64));
    }
    Ok(Finding { verdict, summary, perfdata: format!("expiring={n};0;;0;"), details })
}

async fn metrics_text(service: &Service, top: i64, share: Share) -> Result<String> {
    let near = CodeFilter { status: Some(CodeStatus::Active), near_limit: Some(share), ..CodeFilter::default() };
    let (by_status, top_codes, recent, near) = tokio::try_join!(
        service.codes_by_status(),
        service.top_codes(top),
        service.redemptions_in_last(Duration::minutes(5)),
        service.count(&near),
    )?;
    let mut text = String::new();
    family(&mut text, "refcodes_codes", "Codes by computed status.");
    for status in CodeStatus::ALL {
        let _ = writeln!(text, "refcodes_codes{{status=\"{}\"}} {}", status.as_arg(), by_status.get(status));
    }
    family(&mut text, "refcodes_code_uses", &format!("Uses of the {top} most used codes (number_of_uses)."));
    for code in &top_codes {
        let _ = writeln!(text, "refcodes_code_uses{{code=\"{}\"}} {}", label_value(&code.code), code.number_of_uses);
    }
    family(&mut text, "refcodes_redemptions_last_5m", "Usage records of the last 5 minutes.");
    let _ = writeln!(text, "refcodes_redemptions_last_5m {recent}");
    family(&mut text, "refcodes_codes_near_limit", "Usable codes that have used at least a share of their limit.");
    let threshold = share.permille() as f64 / 1000.0;
    let _ = writeln!(text, "refcodes_codes_near_limit{{threshold=\"{threshold}\"}} {near}");
    text.push_str("# EOF\n");
    Ok(text)
}

/// A gauge family's metadata lines. (Writing to a String can't fail.)
fn family(text: &mut String, name: &str, help: &str) {
    let _ = write!(text, "# TYPE {name} gauge\n# HELP {name} {help}\n");
}

/// A label value as the format writes it: backslash, double quote and line feed escaped.
fn label_value(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
