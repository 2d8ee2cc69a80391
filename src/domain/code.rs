//! The referral code record, as stored, and a list row with the emails of its creator and beneficiary.

use super::{CodeId, CodeStatus, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One row of `phoenix_kit_referral_codes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReferralCode {
    pub id: CodeId,
    pub code: String,
    pub description: String,
    pub status: bool,
    pub number_of_uses: i32,
    pub max_uses: i32,
    pub created_by: Option<UserId>,
    pub beneficiary: Option<UserId>,
    pub date_created: DateTime<Utc>,
    /// `None` means the code never expires.
    pub expiration_date: Option<DateTime<Utc>>,
}

impl ReferralCode {
    pub fn status_at(&self, now: DateTime<Utc>) -> CodeStatus {
        CodeStatus::of(self.status, self.number_of_uses, self.max_uses, self.expiration_date, now)
    }

    /// The spec's `expired?`: an expiration date that has come.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expiration_date.is_some_and(|at| at <= now)
    }

    /// The spec's `usage_limit_reached?`.
    pub fn usage_limit_reached(&self) -> bool {
        self.number_of_uses >= self.max_uses
    }

    /// The spec's `valid_for_use?`: active, not expired, under the limit.
    pub fn valid_for_use(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now) == CodeStatus::Active
    }

    pub fn remaining_uses(&self) -> i32 {
        (self.max_uses - self.number_of_uses).max(0)
    }
}

/// A code with what a list shows beside it: the emails behind `created_by` and `beneficiary`
/// (`None` when no such user exists any more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CodeRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub code: ReferralCode,
    pub created_by_email: Option<String>,
    pub beneficiary_email: Option<String>,
}
