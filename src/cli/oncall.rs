//! For on-call staff and their alerting: `stats` over a window of time, `check` (a monitoring plugin) and
//! `metrics` (OpenMetrics text, printed or served). All of them only read.

use super::args::CheckArgs;
use super::output::{Out, Outcome};
use crate::domain::stats::WindowStats;
use crate::domain::text::{date_time_or_never, fit};
use crate::domain::window::{Bucket, Share, Since, span_label, sparkline};
use crate::domain::{CodeFilter, CodeQuery, CodeRow, CodeStatus, SortField};
use crate::error::{Error, Result};
use crate::service::Service;
use chrono::Duration;
use std::fmt::Write as _;
use std::net::SocketAddr;

/// The widest sparkline: it fits 80 columns after a label and a count.
const SPARK_WIDTH: usize = 48;
/// How many codes a check names after its status line, per finding.
const CHECK_DETAILS: u64 = 10;

pub async fn stats(service: &Service, out: &mut Out, since: Since, top: i64, json: bool) -> Outcome {
    let (stats, config) = tokio::try_join!(service.window_stats(since, top), service.get_config())?;
    let all = &stats.all_time;
    let w = &stats.window;
    let total = |points: &[crate::domain::window::Point]| points.iter().map(|p| p.count).sum::<i64>();
    let (redemptions, signups) = (total(&stats.redemptions), total(&stats.signups_with_code));
    if json {
        let series: Vec<_> = stats
            .redemptions
            .iter()
            .zip(&stats.signups_with_code)
            .map(|(r, s)| serde_json::json!({"start": r.start, "redemptions": r.count, "signups_with_code": s.count}))
            .collect();
        out.json(&serde_json::json!({
            "total_codes": all.total_codes,
            "active_codes": all.active_codes,
            "total_usage": all.total_usage,
            "codes_with_usage": all.codes_with_usage,
            "enabled": config.enabled,
            "required": config.required,
            "attached": service.attached(),
            "window": {
                "start": w.start,
                "end": w.end,
                "bucket": w.bucket,
                "redemptions": redemptions,
                "signups_with_code": signups,
                "codes_created": stats.codes_created,
                "series": series,
                "top_codes": stats.top_codes,
                "top_beneficiaries": stats.top_beneficiaries,
            },
        }))?;
        return Ok(());
    }
    let on = |b: bool| if b { "yes" } else { "no" };
    out.line(service.attached())?;
    let per = match w.bucket {
        Bucket::Hour => "hour",
        Bucket::Day => "day",
    };
    out.line(format_args!("From {} to now (UTC), {} per {per}:", w.label(w.start), w.starts().count()))?;
    let spark = |points: &[crate::domain::window::Point]| {
        sparkline(&points.iter().map(|p| p.count).collect::<Vec<_>>(), SPARK_WIDTH)
    };
    out.line(format_args!("  {:<19} {:>8}  {}", "redemptions", redemptions, spark(&stats.redemptions)))?;
    out.line(format_args!("  {:<19} {:>8}  {}", "signups with a code", signups, spark(&stats.signups_with_code)))?;
    out.line(format_args!("  {:<19} {:>8}", "codes created", stats.codes_created))?;
    window_tops(out, &stats)?;
    out.line("")?;
    out.line("All time:")?;
    out.table(
        &["STAT", "VALUE"],
        &[
            vec!["total codes".into(), all.total_codes.to_string()],
            vec!["active codes".into(), all.active_codes.to_string()],
            vec!["total usage".into(), all.total_usage.to_string()],
            vec!["codes with usage".into(), all.codes_with_usage.to_string()],
            vec!["system enabled".into(), on(config.enabled).into()],
            vec!["code required".into(), on(config.required).into()],
        ],
    )?;
    Ok(())
}

/// The window's top codes and beneficiaries, side by side in 80 columns.
fn window_tops(out: &mut Out, stats: &WindowStats) -> std::io::Result<()> {
    let rows = stats.top_codes.len().max(stats.top_beneficiaries.len());
    if rows == 0 {
        return Ok(());
    }
    out.line("")?;
    out.line(format_args!("  {:<26} {:>8}   {:<30} {:>8}", "TOP CODES", "USES", "TOP BENEFICIARIES", "USES"))?;
    for i in 0..rows {
        let (code, uses) =
            stats.top_codes.get(i).map_or((String::new(), String::new()), |c| (fit(&c.code, 26), c.uses.to_string()));
        let (who, their) = stats.top_beneficiaries.get(i).map_or((String::new(), String::new()), |b| {
            let who = b.email.clone().unwrap_or_else(|| format!("user {} (gone)", b.user_id));
            (fit(&who, 30), b.uses.to_string())
        });
        out.line(format_args!("  {code:<26} {uses:>8}   {who:<30} {their:>8}").to_string().trim_end())?;
    }
    Ok(())
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
    fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Warning => "WARNING",
            Verdict::Critical => "CRITICAL",
            Verdict::Unknown => "UNKNOWN",
        }
    }
}

/// The status line of a check that could not decide, on stdout as monitoring plugins report, and exit 3. If
/// stdout fails, the exit status still says it.
pub fn unknown(reason: &str) -> std::process::ExitCode {
    let first = reason.lines().next().unwrap_or_default().trim();
    let mut out = Out::stdout();
    let _ = out.line(format_args!("REFCODES UNKNOWN - {first}")).and_then(|()| std::io::Write::flush(&mut out));
    std::process::ExitCode::from(Verdict::Unknown as u8)
}

/// One threshold's finding.
struct Finding {
    verdict: Verdict,
    summary: String,
    perfdata: String,
    details: Vec<String>,
}

/// Runs the check: its verdict, and the lines to print: the status line first (`REFCODES OK - ... | perfdata`),
/// then the codes behind it.
pub async fn check(service: &Service, args: &CheckArgs) -> Result<(Verdict, Vec<String>)> {
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

fn urgent(filter: CodeFilter) -> CodeQuery {
    CodeQuery { filter, sort: SortField::Urgency, descending: false, offset: 0, limit: CHECK_DETAILS }
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

/// The figures in the OpenMetrics text format, ending with `# EOF`. Prometheus' own text format reads the same
/// (there `# EOF` is a comment), so node_exporter's textfile collector takes it too.
pub async fn metrics_text(service: &Service, top: i64, share: Share) -> Result<String> {
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

pub async fn metrics(service: &Service, out: &mut Out, top: i64, share: Share) -> Outcome {
    let text = metrics_text(service, top, share).await?;
    std::io::Write::write_all(out, text.as_bytes())?;
    Ok(())
}

/// The OpenMetrics media type a scraper asks for.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves the metrics on GET `/metrics` at `addr` until interrupted (Ctrl-C): each request reads them afresh.
/// Anything else is 404 (405 for another method on `/metrics`). A client that sends no complete request in 10 s is
/// dropped, so idle connections can't pile up.
pub async fn serve(service: &Service, addr: SocketAddr, top: i64, share: Share) -> Result<()> {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper::{Method, Request, Response, StatusCode, header};
    use hyper_util::rt::{TokioIo, TokioTimer};

    let listener = tokio::net::TcpListener::bind(addr).await.map_err(Error::Serve)?;
    // The port, for a caller that asked for any (port 0).
    let bound = listener.local_addr().map_err(Error::Serve)?;
    super::output::note(&format!("refcodes: serving metrics on http://{bound}/metrics"));
    let respond = move |service: Service, req: Request<hyper::body::Incoming>| async move {
        let (status, body) = match (req.method(), req.uri().path()) {
            (&Method::GET | &Method::HEAD, "/metrics") => match metrics_text(&service, top, share).await {
                Ok(text) => (StatusCode::OK, text),
                Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, format!("refcodes: {err}\n")),
            },
            (_, "/metrics") => (StatusCode::METHOD_NOT_ALLOWED, "only GET\n".to_string()),
            _ => (StatusCode::NOT_FOUND, "not found: the metrics are on /metrics\n".to_string()),
        };
        let kind = if status == StatusCode::OK { CONTENT_TYPE } else { "text/plain; charset=utf-8" };
        Response::builder().status(status).header(header::CONTENT_TYPE, kind).body(Full::new(Bytes::from(body)))
    };
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: this connection is lost, the server goes on.
                Err(err) => {
                    tracing::warn!(%err, "accepting a metrics connection failed");
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |req| respond(service.clone(), req));
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), handler)
                .await;
            if let Err(err) = served {
                tracing::debug!(%err, "metrics connection ended with an error");
            }
        });
    }
}
