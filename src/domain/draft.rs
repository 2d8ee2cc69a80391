//! A code as a person or program asks for it, and the checks that turn it into what is stored. The dashboard
//! runs the same checks while the user types.

use super::expiry::Expiration;
use super::validate;
use super::{FieldError, ReferralCode, UserId};
use chrono::{DateTime, Duration, Utc};

/// Defaults for new codes (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDefaults {
    pub length: usize,
    pub expiry_days: i64,
    pub max_uses: i32,
}

impl Default for CodeDefaults {
    fn default() -> Self {
        CodeDefaults { length: 5, expiry_days: 7, max_uses: 100 }
    }
}

/// A new code as asked for. `None` fields take the defaults; no code means a random one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeInput {
    pub code: Option<String>,
    pub description: String,
    pub max_uses: Option<i64>,
    pub expiration: Option<Expiration>,
    pub beneficiary: Option<UserId>,
    pub inactive: bool,
}

/// Changes to a code; `None` leaves a field as it is. `number_of_uses` is never among them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeChanges {
    pub code: Option<String>,
    pub description: Option<String>,
    pub max_uses: Option<i64>,
    pub expiration: Option<Expiration>,
    pub beneficiary: Option<Option<UserId>>,
    pub active: Option<bool>,
}

/// The checked fields of a new code, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub code: String,
    pub description: String,
    pub status: bool,
    pub max_uses: i32,
    pub created_by: Option<UserId>,
    pub beneficiary: Option<UserId>,
    pub date_created: DateTime<Utc>,
    pub expiration_date: Option<DateTime<Utc>>,
}

/// Checked changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeUpdate {
    pub code: Option<String>,
    pub description: Option<String>,
    pub status: Option<bool>,
    pub max_uses: Option<i32>,
    pub beneficiary: Option<Option<UserId>>,
    pub expiration_date: Option<Option<DateTime<Utc>>>,
}

impl CodeUpdate {
    pub fn is_empty(&self) -> bool {
        *self == CodeUpdate::default()
    }
}

fn push<T>(errors: &mut Vec<FieldError>, field: &'static str, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| errors.push(FieldError { field, message })).ok()
}

fn check_expiration(expiration: Expiration, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    match expiration {
        Expiration::Never => Ok(None),
        Expiration::At(at) => validate::expiration(at, now).map(|()| Some(at)),
    }
}

/// Checks a new code. `code` is the code to use (the caller draws a random one when the input has none).
pub fn check_new(
    input: &CodeInput,
    code: &str,
    defaults: &CodeDefaults,
    max_uses_limit: i32,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<NewCode, Vec<FieldError>> {
    let mut errors = Vec::new();
    let code = push(&mut errors, "code", validate::code(code));
    let description = push(&mut errors, "description", validate::description(&input.description));
    // The configured default is a wish within the setting, not a value the user typed: the setting caps it.
    let default_max_uses = defaults.max_uses.min(max_uses_limit);
    let max_uses = push(
        &mut errors,
        "max_uses",
        validate::max_uses(input.max_uses.unwrap_or(i64::from(default_max_uses)), max_uses_limit, validate::Raise::Cli),
    );
    let default_expiry =
        now.checked_add_signed(Duration::days(defaults.expiry_days)).map_or(Expiration::Never, Expiration::At);
    let expiration = push(&mut errors, "expiration", check_expiration(input.expiration.unwrap_or(default_expiry), now));
    match (code, description, max_uses, expiration) {
        (Some(code), Some(description), Some(max_uses), Some(expiration_date)) if errors.is_empty() => Ok(NewCode {
            code,
            description,
            status: !input.inactive,
            max_uses,
            created_by,
            beneficiary: input.beneficiary,
            date_created: now,
            expiration_date,
        }),
        _ => Err(errors),
    }
}

/// Checks changes against the code as it is: rules apply only to fields that really change, so an expired code
/// can still be deactivated or described anew.
pub fn check_changes(
    current: &ReferralCode,
    changes: &CodeChanges,
    max_uses_limit: i32,
    now: DateTime<Utc>,
) -> Result<CodeUpdate, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut update = CodeUpdate::default();
    if let Some(raw) = &changes.code
        && let Some(code) = push(&mut errors, "code", validate::code(raw))
    {
        update.code = (code != current.code).then_some(code);
    }
    if let Some(raw) = &changes.description
        && let Some(text) = push(&mut errors, "description", validate::description(raw))
    {
        update.description = (text != current.description).then_some(text);
    }
    if let Some(n) = changes.max_uses
        && n != i64::from(current.max_uses)
    {
        update.max_uses = push(&mut errors, "max_uses", validate::max_uses(n, max_uses_limit, validate::Raise::Cli));
    }
    if let Some(expiration) = changes.expiration
        && expiration.as_option() != current.expiration_date
    {
        update.expiration_date = push(&mut errors, "expiration", check_expiration(expiration, now));
    }
    if let Some(beneficiary) = changes.beneficiary {
        update.beneficiary = (beneficiary != current.beneficiary).then_some(beneficiary);
    }
    if let Some(active) = changes.active {
        update.status = (active != current.status).then_some(active);
    }
    if errors.is_empty() { Ok(update) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CodeId;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
    }

    fn input() -> CodeInput {
        CodeInput { description: "Spring".into(), ..CodeInput::default() }
    }

    #[test]
    fn defaults_fill_the_gaps() {
        let new = check_new(&input(), "spring", &CodeDefaults::default(), 100, None, now()).unwrap();
        assert_eq!(new.code, "SPRING");
        assert_eq!(new.max_uses, 100);
        assert!(new.status);
        assert_eq!(new.expiration_date, Some(now() + Duration::days(7)));
    }

    #[test]
    fn the_setting_caps_the_default_max_uses() {
        let new = check_new(&input(), "spring", &CodeDefaults::default(), 50, None, now()).unwrap();
        assert_eq!(new.max_uses, 50, "the default (100) is over the setting (50)");
        let typed = CodeInput { max_uses: Some(80), ..input() };
        assert_eq!(
            check_new(&typed, "spring", &CodeDefaults::default(), 50, None, now()).unwrap_err()[0].field,
            "max_uses"
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = CodeInput {
            description: String::new(),
            max_uses: Some(0),
            expiration: Some(Expiration::At(now() - Duration::days(1))),
            ..CodeInput::default()
        };
        let errors = check_new(&bad, "x", &CodeDefaults::default(), 100, None, now()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "description", "max_uses", "expiration"]);
    }

    #[test]
    fn unchanged_fields_skip_their_rules() {
        let expired = ReferralCode {
            id: CodeId::from(1),
            code: "OLD".into(),
            description: "old".into(),
            status: true,
            number_of_uses: 0,
            max_uses: 500,
            created_by: None,
            beneficiary: None,
            date_created: now() - Duration::days(30),
            expiration_date: Some(now() - Duration::days(1)),
        };
        let changes = CodeChanges {
            active: Some(false),
            max_uses: Some(500),
            expiration: Some(Expiration::At(now() - Duration::days(1))),
            ..CodeChanges::default()
        };
        let update = check_changes(&expired, &changes, 100, now()).unwrap();
        assert_eq!(update, CodeUpdate { status: Some(false), ..CodeUpdate::default() });
        let bad = CodeChanges { max_uses: Some(101), ..CodeChanges::default() };
        assert_eq!(check_changes(&expired, &bad, 100, now()).unwrap_err()[0].field, "max_uses");
    }
}
