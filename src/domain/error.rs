//! The stable error kinds of the design: ids for JSON and logs, and the refusal that carries one.

use serde::Serialize;
use std::fmt;

/// Why the rules refused a request. The snake_case names are a stable contract (JSON, logs, exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorKind {
    CodeNotFound,
    CodeInactive,
    CodeExpired,
    UsageLimitReached,
    AlreadyUsed,
    SystemDisabled,
    UserNotFound,
    CodeRequired,
    EmailTaken,
    Validation,
    NotAuthorized,
    Conflict,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::CodeNotFound,
        ErrorKind::CodeInactive,
        ErrorKind::CodeExpired,
        ErrorKind::UsageLimitReached,
        ErrorKind::AlreadyUsed,
        ErrorKind::SystemDisabled,
        ErrorKind::UserNotFound,
        ErrorKind::CodeRequired,
        ErrorKind::EmailTaken,
        ErrorKind::Validation,
        ErrorKind::NotAuthorized,
        ErrorKind::Conflict,
    ];

    /// The stable name, as JSON spells it (`usage_limit_reached`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the kind says a code can't be redeemed; the public sees one generic sentence for all of them.
    pub fn is_redemption_refusal(self) -> bool {
        matches!(
            self,
            ErrorKind::CodeNotFound
                | ErrorKind::CodeInactive
                | ErrorKind::CodeExpired
                | ErrorKind::UsageLimitReached
                | ErrorKind::AlreadyUsed
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field's problem, with the rule and an example of what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A request the rules refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub kind: ErrorKind,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl Refusal {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Refusal { kind, message: message.into(), fields: Vec::new() }
    }

    /// A validation refusal from per-field errors; the message joins them so one line tells everything.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
        Refusal { kind: ErrorKind::Validation, message, fields }
    }

    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Refusal::validation(vec![FieldError { field, message: message.into() }])
    }

    /// The sentence for the public side of registration: it does not tell which rule failed.
    pub fn public_message(&self) -> &str {
        if self.kind.is_redemption_refusal() { "That code can't be used." } else { &self.message }
    }
}

/// Input echoed in a message: quoted, control characters escaped, and cut after 40 characters, so a megabyte of
/// input makes a message of one line.
pub fn shown(input: &str) -> String {
    const MOST: usize = 40;
    let kept: String = input.chars().take(MOST).collect();
    let quoted = format!("{kept:?}");
    if input.chars().count() > MOST { format!("{}…\"", &quoted[..quoted.len() - 1]) } else { quoted }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_input_is_cut_and_quoted() {
        assert_eq!(super::shown("SPRING"), "\"SPRING\"");
        assert_eq!(super::shown("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(1_000_000);
        assert_eq!(super::shown(&long), format!("\"{}…\"", "x".repeat(40)));
    }
}
