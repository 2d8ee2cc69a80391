//! Figures the service computes: system stats, a code's usage stats, usage records, trends.

use super::window::{Point, Window};
use super::{CodeId, CodeStatus, UsageId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The spec's `get_system_stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SystemStats {
    pub total_codes: i64,
    /// Codes whose computed status is Active (usable now).
    pub active_codes: i64,
    pub total_usage: i64,
    pub codes_with_usage: i64,
}

/// The spec's `get_usage_stats` for one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeUsageStats {
    pub code_id: CodeId,
    pub total_uses: i64,
    pub unique_users: i64,
    pub last_used: Option<DateTime<Utc>>,
    pub remaining_uses: i32,
    pub status: CodeStatus,
}

/// One redemption, with the user's email when the user still exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UsageRecord {
    pub id: UsageId,
    pub code_id: CodeId,
    pub code: String,
    /// `None` for a record without its user's key (older PhoenixKit data).
    pub used_by: Option<UserId>,
    pub user_email: Option<String>,
    pub date_used: DateTime<Utc>,
}

impl UsageRecord {
    /// Who used the code: their email, their id when the user is gone, or that older data kept no key.
    pub fn who(&self) -> String {
        match (&self.user_email, self.used_by) {
            (Some(email), _) => email.clone(),
            (None, Some(id)) => format!("user {id} (gone)"),
            (None, None) => "unknown user (no key recorded)".to_string(),
        }
    }
}

/// Uses on one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DailyUsage {
    pub day: NaiveDate,
    pub uses: i64,
}

/// A code ranked by its uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TopCode {
    pub id: CodeId,
    pub code: String,
    pub description: String,
    pub number_of_uses: i32,
    pub max_uses: i32,
}

/// The record `use_code` makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub id: UsageId,
    pub code_id: CodeId,
    pub code: String,
    pub used_by: UserId,
    pub date_used: DateTime<Utc>,
}

/// How many codes are in each computed status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub active: i64,
    pub inactive: i64,
    pub expired: i64,
    pub limit_reached: i64,
}

impl StatusCounts {
    pub fn get(&self, status: CodeStatus) -> i64 {
        match status {
            CodeStatus::Active => self.active,
            CodeStatus::Inactive => self.inactive,
            CodeStatus::Expired => self.expired,
            CodeStatus::LimitReached => self.limit_reached,
        }
    }
}

/// A code and its uses in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WindowCode {
    pub id: CodeId,
    pub code: String,
    pub uses: i64,
}

/// A beneficiary and the uses of their codes in a window; `email` is `None` when the user is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WindowBeneficiary {
    pub user_id: UserId,
    pub email: Option<String>,
    pub uses: i64,
}

/// What happened in a window of time (`stats --since`), and the all-time figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowStats {
    pub window: Window,
    /// Usage records per bucket.
    pub redemptions: Vec<Point>,
    /// Users who signed up in each bucket and have used a code.
    pub signups_with_code: Vec<Point>,
    pub codes_created: i64,
    /// Codes an operator switched off in the window, from the audit trail; `None` where the database keeps none.
    pub codes_deactivated: Option<i64>,
    pub top_codes: Vec<WindowCode>,
    pub top_beneficiaries: Vec<WindowBeneficiary>,
    pub all_time: SystemStats,
}
