//! `use`, `register`, `stats` and `export`.

use super::args::{ExportFormat, ExportWhat};
use super::output::{CodeView, csv_line, print_json, print_table};
use crate::error::Result;
use crate::service::{NewUserInput, Registration, Service};
use chrono::{DateTime, Utc};
use std::io::{BufWriter, Write};

pub async fn use_code(service: &Service, code: &str, user: &str, json: bool) -> Result<()> {
    let user = service.resolve_user(user).await?;
    let usage = service.use_code(code, user.id).await?;
    if json {
        print_json(&usage);
    } else {
        println!("Code {} used by {} (id {}).", usage.code, user.email, user.id);
    }
    Ok(())
}

pub async fn register(service: &Service, user: NewUserInput, code: Option<&str>, json: bool) -> Result<()> {
    let registration = Registration { user, code: code.map(str::to_string) };
    let registered = service.register(&registration).await?;
    if json {
        print_json(&registered);
    } else {
        let how = match (&registered.usage, registered.code_ignored) {
            (Some(u), _) => format!(" with code {}", u.code),
            (None, true) => " (the code was not used: the referral system is disabled)".to_string(),
            (None, false) => String::new(),
        };
        println!("Registered {} (id {}){how}.", registered.user.email, registered.user.id);
    }
    Ok(())
}

pub async fn stats(service: &Service, json: bool) -> Result<()> {
    let (stats, config) = tokio::try_join!(service.get_system_stats(), service.get_config())?;
    if json {
        print_json(&serde_json::json!({
            "total_codes": stats.total_codes,
            "active_codes": stats.active_codes,
            "total_usage": stats.total_usage,
            "codes_with_usage": stats.codes_with_usage,
            "enabled": config.enabled,
            "required": config.required,
        }));
    } else {
        let on = |b: bool| if b { "yes" } else { "no" };
        print_table(
            &["STAT", "VALUE"],
            &[
                vec!["total codes".into(), stats.total_codes.to_string()],
                vec!["active codes".into(), stats.active_codes.to_string()],
                vec!["total usage".into(), stats.total_usage.to_string()],
                vec!["codes with usage".into(), stats.codes_with_usage.to_string()],
                vec!["system enabled".into(), on(config.enabled).into()],
                vec!["code required".into(), on(config.required).into()],
            ],
        );
    }
    Ok(())
}

/// Rows an export reads at a time; it writes as it reads, so memory stays flat however many there are.
const EXPORT_BATCH: i64 = 5000;

pub async fn export(service: &Service, what: ExportWhat, format: ExportFormat) -> Result<()> {
    let now = service.now();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let json = matches!(format, ExportFormat::Json);
    let mut first = true;
    // Each item as JSON (one per line inside an array) or as a CSV line.
    let mut emit = |out: &mut BufWriter<_>, item: serde_json::Value, csv: Vec<String>| -> std::io::Result<()> {
        if json {
            writeln!(out, "{}{item}", if first { "" } else { "," })?;
        } else {
            writeln!(out, "{}", csv_line(&csv))?;
        }
        first = false;
        Ok(())
    };
    let header = match what {
        ExportWhat::Codes => {
            "id,code,description,status,state,number_of_uses,max_uses,created_by,created_by_email,beneficiary,\
             beneficiary_email,date_created,expiration_date"
        }
        ExportWhat::Usage => "id,code_id,code,used_by,user_email,date_used",
    };
    writeln!(out, "{}", if json { "[" } else { header }).map_err(write_failed)?;
    let stamp = |t: DateTime<Utc>| t.to_rfc3339();
    let (mut codes_after, mut usage_after) = (None, None);
    loop {
        let read = match what {
            ExportWhat::Codes => {
                let rows = service.codes_after(codes_after, EXPORT_BATCH).await?;
                for r in &rows {
                    let c = &r.code;
                    let csv = vec![
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
                    emit(&mut out, json_of(&CodeView::of(r, now)), csv).map_err(write_failed)?;
                }
                codes_after = rows.last().map(|r| r.code.id);
                !rows.is_empty()
            }
            ExportWhat::Usage => {
                let rows = service.usage_after(usage_after, EXPORT_BATCH).await?;
                for u in &rows {
                    let csv = vec![
                        u.id.to_string(),
                        u.code_id.to_string(),
                        u.code.clone(),
                        u.used_by.map(|id| id.to_string()).unwrap_or_default(),
                        u.user_email.clone().unwrap_or_default(),
                        stamp(u.date_used),
                    ];
                    emit(&mut out, json_of(u), csv).map_err(write_failed)?;
                }
                usage_after = rows.last().map(|u| u.id);
                !rows.is_empty()
            }
        };
        if !read {
            break;
        }
    }
    if json {
        writeln!(out, "]").map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)
}

fn json_of<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("our types serialise")
}

fn write_failed(err: std::io::Error) -> crate::Error {
    crate::Error::Usage(format!("can't write the export: {err}"))
}
