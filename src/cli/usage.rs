//! `use` and `register`.

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
