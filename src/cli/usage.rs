//! `use`, `register`, `stats` and `export`.

use super::args::{ExportFormat, ExportWhat};
use super::output::{CodeView, csv_line, print_json, print_table};
use crate::error::Result;
use crate::service::{NewUserInput, Registration, Service};

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

pub async fn register(
    service: &Service,
    email: &str,
    code: Option<&str>,
    [username, first_name, last_name]: [Option<String>; 3],
    json: bool,
) -> Result<()> {
    let registration = Registration {
        user: NewUserInput { email: email.to_string(), username, first_name, last_name, role: None },
        code: code.map(str::to_string),
    };
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

pub async fn export(service: &Service, what: ExportWhat, format: ExportFormat) -> Result<()> {
    let now = service.now();
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339();
    match what {
        ExportWhat::Codes => {
            let rows = service.list_codes().await?;
            match format {
                ExportFormat::Json => print_json(&rows.iter().map(|r| CodeView::of(r, now)).collect::<Vec<_>>()),
                ExportFormat::Csv => {
                    println!(
                        "id,code,description,status,state,number_of_uses,max_uses,created_by,created_by_email,\
                         beneficiary,beneficiary_email,date_created,expiration_date"
                    );
                    for r in &rows {
                        let c = &r.code;
                        println!(
                            "{}",
                            csv_line(&[
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
                            ])
                        );
                    }
                }
            }
        }
        ExportWhat::Usage => {
            let rows = service.all_usage().await?;
            match format {
                ExportFormat::Json => print_json(&rows),
                ExportFormat::Csv => {
                    println!("id,code_id,code,used_by,user_email,date_used");
                    for u in &rows {
                        println!(
                            "{}",
                            csv_line(&[
                                u.id.to_string(),
                                u.code_id.to_string(),
                                u.code.clone(),
                                u.used_by.to_string(),
                                u.user_email.clone().unwrap_or_default(),
                                stamp(u.date_used),
                            ])
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
