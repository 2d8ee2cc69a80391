//! The code form's fields, checked as they are typed with the service's own rules.

use crate::domain::expiry::{self, Expiration};
use crate::domain::text::date_time;
use crate::domain::validate;
use crate::tui::model::{Field, Model};

/// Checks every field, as before saving.
pub fn check_all(model: &mut Model) {
    for field in Field::ALL {
        check(model, field);
    }
}

/// Checks one field with the service's rules; on edit, a field left as it was is not checked.
pub fn check(model: &mut Model, field: Field) {
    let limit = model.header.config.map_or(100, |c| c.max_number_of_uses_per_code);
    let now = model.now;
    let Some(state) = model.form.as_mut() else { return };
    let editing = state.editing.is_some();
    let values = state.values();
    let unchanged = editing
        && match field {
            Field::Code => values.code == state.initial.code,
            Field::Description => values.description == state.initial.description,
            Field::MaxUses => values.max_uses == state.initial.max_uses,
            Field::Expiration => values.expiration == state.initial.expiration,
            Field::Active | Field::Beneficiary => true,
        };
    let result: Result<(), String> = if unchanged {
        Ok(())
    } else {
        match field {
            Field::Code if !editing && values.code.trim().is_empty() => Ok(()),
            Field::Code => validate::code(&values.code).map(drop),
            Field::Description => validate::description(&values.description).map(drop),
            Field::MaxUses => validate::whole_number(&values.max_uses)
                .and_then(|n| validate::max_uses(n, limit, validate::Raise::SettingsScreen))
                .map(drop),
            Field::Expiration => parse_expiration(&values.expiration, now).map(drop),
            Field::Active | Field::Beneficiary => Ok(()),
        }
    };
    if field == Field::Expiration {
        state.expiration_hint = match expiry::parse(&values.expiration, now) {
            Ok(Expiration::Never) => Some("never expires".to_string()),
            Ok(Expiration::At(at)) => Some(format!("→ {} UTC", date_time(at))),
            Err(_) => None,
        };
    }
    match result {
        Ok(()) => state.errors.remove(&field),
        Err(message) => state.errors.insert(field, message),
    };
}

/// The expiration field read as the service reads it: a time that must lie ahead, or never.
pub fn parse_expiration(text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Expiration, String> {
    let expiration = expiry::parse(text, now)?;
    if let Expiration::At(at) = expiration {
        validate::expiration(at, now)?;
    }
    Ok(expiration)
}
