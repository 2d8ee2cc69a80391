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

    /// The fields an admin edits, each with its value as text: what "unchanged since read" compares. Uses are
    /// left out: redemptions change them all the time, and no edit sets them.
    pub fn edited_fields(&self) -> [(&'static str, String); 6] {
        edited_fields(&self.code, &self.description, self.status, self.max_uses, self.beneficiary, self.expiration_date)
    }

    /// A short fingerprint of [`ReferralCode::edited_fields`] (16 hex digits, FNV-1a): `codes show` prints it
    /// and `codes update --expect-version` refuses when it no longer matches. No column holds a version (a
    /// PhoenixKit table's structure is the application's), so the row's own values are the version.
    pub fn version(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (name, value) in self.edited_fields() {
            // Each part ends in a byte no text holds, so ("ab", "c") and ("a", "bc") differ.
            for byte in name.bytes().chain([0xff]).chain(value.bytes()).chain([0xfe]) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    /// The edited fields whose values differ in `now`: each name with this value and the other.
    pub fn changed_in(&self, now: &ReferralCode) -> Vec<(&'static str, String, String)> {
        self.edited_fields()
            .into_iter()
            .zip(now.edited_fields())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name, a, b))
            .collect()
    }
}

/// The fields an admin edits, each with its value as text (see [`ReferralCode::edited_fields`]); also how the
/// audit trail reads the copies of codes a bulk action's rows keep.
pub fn edited_fields(
    code: &str,
    description: &str,
    status: bool,
    max_uses: i32,
    beneficiary: Option<UserId>,
    expiration: Option<DateTime<Utc>>,
) -> [(&'static str, String); 6] {
    [
        ("code", code.to_string()),
        ("description", description.to_string()),
        ("status", status_text(status).into()),
        ("max_uses", max_uses.to_string()),
        ("beneficiary", beneficiary_text(beneficiary)),
        ("expiration", expiration_text(expiration)),
    ]
}

/// A status as the edited fields read it.
pub fn status_text(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

/// A beneficiary as the edited fields read it.
pub fn beneficiary_text(user: Option<UserId>) -> String {
    user.map_or_else(|| "none".into(), |u| u.to_string())
}

/// An expiry as the edited fields read it.
pub fn expiration_text(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "none".into(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// A code with what a list shows beside it: the emails behind `created_by` and `beneficiary`
/// (`None` when no such user exists any more), and, from a list's page only, its use in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CodeRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub code: ReferralCode,
    pub created_by_email: Option<String>,
    pub beneficiary_email: Option<String>,
    /// The latest usage record's time (`None`: never used). Read by a list's page; other reads leave it `None`.
    #[sqlx(default)]
    #[serde(skip)]
    pub last_used: Option<DateTime<Utc>>,
    /// Usage records in the page's [`crate::domain::UsesWindow`]; 0 where other reads leave it.
    #[sqlx(default)]
    #[serde(skip)]
    pub window_uses: i64,
}
