//! `use`, `register` and `stats`.

use super::output::{Out, Outcome};
use crate::service::{NewUserInput, Registration, Service};

pub async fn use_code(service: &Service, out: &mut Out, code: &str, user: &str, json: bool) -> Outcome {
    let user = service.resolve_user(user).await?;
    let usage = service.use_code(code, user.id).await?;
    if json {
        out.json(&usage)?;
    } else {
        out.line(format_args!("Code {} used by {} (id {}).", usage.code, user.email, user.id))?;
    }
    Ok(())
}

pub async fn register(service: &Service, out: &mut Out, user: NewUserInput, code: Option<&str>, json: bool) -> Outcome {
    let registration = Registration { user, code: code.map(str::to_string) };
    let registered = service.register(&registration).await?;
    if json {
        out.json(&registered)?;
    } else {
        let how = match (&registered.usage, registered.code_ignored) {
            (Some(u), _) => format!(" with code {}", u.code),
            (None, true) => " (the code was not used: the referral system is disabled)".to_string(),
            (None, false) => String::new(),
        };
        out.line(format_args!("Registered {} (id {}){how}.", registered.user.email, registered.user.id))?;
    }
    Ok(())
}

pub async fn stats(service: &Service, out: &mut Out, json: bool) -> Outcome {
    let (stats, config) = tokio::try_join!(service.get_system_stats(), service.get_config())?;
    if json {
        out.json(&serde_json::json!({
            "total_codes": stats.total_codes,
            "active_codes": stats.active_codes,
            "total_usage": stats.total_usage,
            "codes_with_usage": stats.codes_with_usage,
            "enabled": config.enabled,
            "required": config.required,
            "attached": service.attached(),
        }))?;
    } else {
        let on = |b: bool| if b { "yes" } else { "no" };
        out.line(service.attached())?;
        out.table(
            &["STAT", "VALUE"],
            &[
                vec!["total codes".into(), stats.total_codes.to_string()],
                vec!["active codes".into(), stats.active_codes.to_string()],
                vec!["total usage".into(), stats.total_usage.to_string()],
                vec!["codes with usage".into(), stats.codes_with_usage.to_string()],
                vec!["system enabled".into(), on(config.enabled).into()],
                vec!["code required".into(), on(config.required).into()],
            ],
        )?;
    }
    Ok(())
}
