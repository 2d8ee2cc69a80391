//! For on-call staff and their alerting: `stats` over a window of time, `check` (a monitoring plugin) and
//! `metrics` (OpenMetrics text, printed or served), as the service's monitoring makes them. All of them only read.

use super::output::{Out, Outcome};
use crate::domain::stats::WindowStats;
use crate::domain::text::fit;
use crate::domain::window::{Bucket, Share, Since, sparkline};
use crate::error::{Error, Result};
use crate::service::Service;
use std::net::SocketAddr;

/// The widest sparkline: it fits 80 columns after a label and a count.
const SPARK_WIDTH: usize = 48;

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
                "codes_deactivated": stats.codes_deactivated,
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
    match stats.codes_deactivated {
        Some(n) => out.line(format_args!("  {:<19} {:>8}", "codes deactivated", n))?,
        None => out.line(format_args!("  {:<19} {:>8}  (no audit trail here)", "codes deactivated", "?"))?,
    }
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

/// The status line of a check that could not decide, on stdout as monitoring plugins report, and exit 3. If
/// stdout fails, the exit status still says it.
pub fn unknown(reason: &str) -> std::process::ExitCode {
    let first = reason.lines().next().unwrap_or_default().trim();
    let mut out = Out::stdout();
    let _ = out.line(format_args!("REFCODES UNKNOWN - {first}")).and_then(|()| std::io::Write::flush(&mut out));
    std::process::ExitCode::from(crate::service::Verdict::Unknown as u8)
}

pub async fn metrics(service: &Service, out: &mut Out, top: i64, share: Share) -> Outcome {
    let text = service.metrics_text(top, share).await?;
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
            (&Method::GET | &Method::HEAD, "/metrics") => match service.metrics_text(top, share).await {
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
