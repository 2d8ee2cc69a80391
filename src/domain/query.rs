//! What a list asks for: filter, sort and window; and which codes a bulk action applies to.

use super::{CodeId, CodeStatus};
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeFilter {
    /// Matched, without case, inside the code, the description and the creator's and beneficiary's emails.
    pub text: String,
    pub status: Option<CodeStatus>,
}

impl CodeFilter {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.status.is_none()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    Code,
    #[default]
    Created,
    Expires,
    Uses,
}

impl SortField {
    pub const ALL: [SortField; 4] = [SortField::Code, SortField::Created, SortField::Expires, SortField::Uses];

    pub fn label(self) -> &'static str {
        match self {
            SortField::Code => "code",
            SortField::Created => "created",
            SortField::Expires => "expires",
            SortField::Uses => "uses",
        }
    }

    /// The next field in the cycle the dashboard's sort key walks.
    pub fn next(self) -> SortField {
        let i = SortField::ALL.iter().position(|f| *f == self).unwrap_or(0);
        SortField::ALL[(i + 1) % SortField::ALL.len()]
    }
}

impl FromStr for SortField {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        SortField::ALL
            .into_iter()
            .find(|f| f.label() == wanted)
            .ok_or_else(|| format!("unknown sort field {s:?}: use code, created, expires or uses"))
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
