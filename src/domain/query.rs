//! What a list asks for: filter, sort and window; and which codes a bulk action applies to.

use super::window::Share;
use super::{CodeId, CodeStatus};
use chrono::Duration;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeFilter {
    /// Matched, without case, inside the code, the description and the creator's and beneficiary's emails.
    pub text: String,
    pub status: Option<CodeStatus>,
    /// Codes whose uses reach this share of their limit.
    pub near_limit: Option<Share>,
    /// Codes that expire within this span from now (and have not expired yet).
    pub expiring_within: Option<Duration>,
}

impl CodeFilter {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
            && self.status.is_none()
            && self.near_limit.is_none()
            && self.expiring_within.is_none()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "lowercase")]
pub enum SortField {
    Code,
    #[default]
    Created,
    Expires,
    Uses,
    /// Most urgent first: the largest share of the limit used, then the soonest expiry; with only an expiry
    /// filter, the soonest expiry.
    Urgency,
}

impl SortField {
    pub const ALL: [SortField; 5] =
        [SortField::Code, SortField::Created, SortField::Expires, SortField::Uses, SortField::Urgency];
    /// The fields the dashboard's sort key walks through.
    const CYCLE: [SortField; 4] = [SortField::Code, SortField::Created, SortField::Expires, SortField::Uses];

    /// The name shown and typed (`--sort uses`).
    pub fn label(self) -> &'static str {
        self.into()
    }

    /// The next field in the cycle the dashboard's sort key walks.
    pub fn next(self) -> SortField {
        let i = SortField::CYCLE.iter().position(|f| *f == self).unwrap_or(0);
        SortField::CYCLE[(i + 1) % SortField::CYCLE.len()]
    }
}

/// One window of the filtered, sorted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeQuery {
    pub filter: CodeFilter,
    pub sort: SortField,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

impl Default for CodeQuery {
    fn default() -> Self {
        CodeQuery { filter: CodeFilter::default(), sort: SortField::Created, descending: true, offset: 0, limit: 50 }
    }
}

/// The codes a bulk action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Ids(Vec<CodeId>),
    /// Every code that matches, at the moment the action runs.
    Matching(CodeFilter),
}
