//! The one place where a code's status is decided.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// The four states of the design, first match wins: Inactive, Expired, Limit reached, Active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "kebab-case")]
pub enum CodeStatus {
    Active,
    Inactive,
    Expired,
    LimitReached,
}

impl CodeStatus {
    pub const ALL: [CodeStatus; 4] =
        [CodeStatus::Active, CodeStatus::Inactive, CodeStatus::Expired, CodeStatus::LimitReached];

    pub fn of(
        active: bool,
        number_of_uses: i32,
        max_uses: i32,
        expiration_date: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> CodeStatus {
        if !active {
            CodeStatus::Inactive
        } else if expiration_date.is_some_and(|at| at <= now) {
            CodeStatus::Expired
        } else if number_of_uses >= max_uses {
            CodeStatus::LimitReached
        } else {
            CodeStatus::Active
        }
    }

    /// The badge text; with NO_COLOR it carries the status alone.
    pub fn label(self) -> &'static str {
        match self {
            CodeStatus::Active => "Active",
            CodeStatus::Inactive => "Inactive",
            CodeStatus::Expired => "Expired",
            CodeStatus::LimitReached => "Limit reached",
        }
    }

    /// The command-line spelling (`limit-reached`), as clap's `ValueEnum` parses it too.
    pub fn as_arg(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for CodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn first_match_wins() {
        let past = Some(now() - Duration::seconds(1));
        assert_eq!(CodeStatus::of(false, 5, 5, past, now()), CodeStatus::Inactive);
        assert_eq!(CodeStatus::of(true, 5, 5, past, now()), CodeStatus::Expired);
        assert_eq!(CodeStatus::of(true, 5, 5, None, now()), CodeStatus::LimitReached);
        assert_eq!(CodeStatus::of(true, 4, 5, None, now()), CodeStatus::Active);
    }

    #[test]
    fn expiry_is_inclusive_of_the_instant() {
        assert_eq!(CodeStatus::of(true, 0, 1, Some(now()), now()), CodeStatus::Expired);
        assert_eq!(CodeStatus::of(true, 0, 1, Some(now() + Duration::seconds(1)), now()), CodeStatus::Active);
    }

    #[test]
    fn the_command_line_spelling_is_what_clap_parses() {
        use clap::ValueEnum;
        for status in CodeStatus::ALL {
            assert_eq!(CodeStatus::from_str(status.as_arg(), false), Ok(status));
        }
        assert_eq!(CodeStatus::LimitReached.as_arg(), "limit-reached");
    }
}
