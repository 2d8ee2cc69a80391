//! What `refcodes doctor` reports about a database's data.

use serde::Serialize;

/// The kinds of oddity, with stable snake_case names (JSON and scripts rely on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A user used one code more than once (allowed by older PhoenixKit).
    DuplicateUsage,
    /// A code's `number_of_uses` (or, on refcodes' own schema, its last use) differs from its usage records.
    CounterMismatch,
    /// A code used more often than its limit.
    OverLimit,
    /// Codes that differ only in case; lookups pick the oldest.
    CaseDuplicateCodes,
    /// Codes stored with lower-case letters (lookups ignore case).
    LowercaseCodes,
    /// Usage records whose code is gone.
    OrphanUsage,
    /// A creator, beneficiary or user of a code that matches no user.
    UnknownUsers,
    /// Rows without a key they should hold.
    NullKeys,
}

impl FindingKind {
    pub const ALL: [FindingKind; 8] = [
        FindingKind::DuplicateUsage,
        FindingKind::CounterMismatch,
        FindingKind::OverLimit,
        FindingKind::CaseDuplicateCodes,
        FindingKind::LowercaseCodes,
        FindingKind::OrphanUsage,
        FindingKind::UnknownUsers,
        FindingKind::NullKeys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::DuplicateUsage => "duplicate_usage",
            FindingKind::CounterMismatch => "counter_mismatch",
            FindingKind::OverLimit => "over_limit",
            FindingKind::CaseDuplicateCodes => "case_duplicate_codes",
            FindingKind::LowercaseCodes => "lowercase_codes",
            FindingKind::OrphanUsage => "orphan_usage",
            FindingKind::UnknownUsers => "unknown_users",
            FindingKind::NullKeys => "null_keys",
        }
    }

    /// What it means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            FindingKind::DuplicateUsage => "users who used a code more than once",
            FindingKind::CounterMismatch => "codes whose number_of_uses or last use differs from their usage records",
            FindingKind::OverLimit => "codes used more often than their limit",
            FindingKind::CaseDuplicateCodes => "codes that differ only in case (lookups take the oldest)",
            FindingKind::LowercaseCodes => "codes stored with lower-case letters (lookups ignore case)",
            FindingKind::OrphanUsage => "usage records whose code is gone",
            FindingKind::UnknownUsers => "creators, beneficiaries or users that match no user",
            FindingKind::NullKeys => "rows without a key they should hold",
        }
    }
}

/// One kind of oddity: how many, and the first few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub count: i64,
    pub examples: Vec<String>,
}

/// What the database is, and what is odd in its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// `standalone` (refcodes' own schema) or `phoenixkit`.
    pub mode: &'static str,
    pub phoenixkit_version: Option<i32>,
    /// `integer`, `dual` or `uuid` on a PhoenixKit database.
    pub generation: Option<&'static str>,
    /// The PostgreSQL schema (`None` on SQLite).
    pub schema: Option<String>,
    pub findings: Vec<Finding>,
}
