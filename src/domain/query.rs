//! What a list asks for: filter, sort and window; and which codes a bulk action applies to.

use super::window::{Share, Since, Window};
use super::{CodeId, CodeStatus};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Which codes a list shows; every part given must hold (AND). Typed as text in the field-scoped language of
/// [`CodeFilter::parse`] (`code:SPRING uses:>10`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeFilter {
    /// Matched, without case, inside the code, the description and the creator's and beneficiary's emails.
    pub text: String,
    /// Matched, without case, inside the code alone (`code:`).
    pub code: Option<String>,
    /// Inside the description (`desc:`).
    pub description: Option<String>,
    /// Inside the creator's email (`creator:`).
    pub creator: Option<String>,
    /// Inside the beneficiary's email (`beneficiary:`).
    pub beneficiary: Option<String>,
    pub status: Option<CodeStatus>,
    /// The number of uses compared with a number (`uses:>10`).
    pub uses: Option<(Compare, i64)>,
    /// The time left until expiry compared with a span (`expires:<7d`); see [`Compare`] for codes already expired
    /// or that never expire.
    pub expires: Option<(Compare, Duration)>,
    /// The time since the latest usage record compared with a span (`used:<24h`: used in the last 24 hours).
    pub used: Option<(Compare, Duration)>,
    /// Codes whose uses reach this share of their limit.
    pub near_limit: Option<Share>,
    /// Codes that expire within this span from now (and have not expired yet).
    pub expiring_within: Option<Duration>,
}

/// How a field's value is compared with the one typed. For `expires:`, an expired code has no time left and is
/// matched by no comparison (`status:expired` finds it), and a code that never expires has more than any span left.
/// For `used:`, a code never used has gone longer than any span unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Less,
    AtMost,
    More,
    AtLeast,
    Equal,
}

impl Compare {
    /// The operator as typed and as SQL writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Compare::Less => "<",
            Compare::AtMost => "<=",
            Compare::More => ">",
            Compare::AtLeast => ">=",
            Compare::Equal => "=",
        }
    }
}

impl CodeFilter {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
            && self.code.is_none()
            && self.description.is_none()
            && self.creator.is_none()
            && self.beneficiary.is_none()
            && self.status.is_none()
            && self.uses.is_none()
            && self.expires.is_none()
            && self.used.is_none()
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
    /// The latest usage record; codes never used are the least recent of all (last when descending).
    #[strum(serialize = "last-used")]
    LastUsed,
    /// Usage records in the query's [`UsesWindow`].
    #[strum(serialize = "window-uses")]
    WindowUses,
}

impl SortField {
    pub const ALL: [SortField; 7] = [
        SortField::Code,
        SortField::Created,
        SortField::Expires,
        SortField::Uses,
        SortField::Urgency,
        SortField::LastUsed,
        SortField::WindowUses,
    ];
    /// The fields the dashboard's sort key walks through.
    const CYCLE: [SortField; 6] = [
        SortField::Code,
        SortField::Created,
        SortField::Expires,
        SortField::Uses,
        SortField::LastUsed,
        SortField::WindowUses,
    ];

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

/// The span a list counts each code's uses over (its window-uses column and sort): whole UTC hours or days up to
/// now, as the Stats screen's windows of the same names, so both count the same uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
pub enum UsesWindow {
    #[value(name = "24h")]
    #[serde(rename = "24h")]
    Day,
    #[default]
    #[value(name = "7d")]
    #[serde(rename = "7d")]
    Week,
    #[value(name = "30d")]
    #[serde(rename = "30d")]
    Month,
}

impl UsesWindow {
    pub const ALL: [UsesWindow; 3] = [UsesWindow::Day, UsesWindow::Week, UsesWindow::Month];

    /// As typed (`--window 7d`) and as a column is headed.
    pub fn label(self) -> &'static str {
        match self {
            UsesWindow::Day => "24h",
            UsesWindow::Week => "7d",
            UsesWindow::Month => "30d",
        }
    }

    pub fn since(self) -> Since {
        Since::Span(match self {
            UsesWindow::Day => Duration::hours(24),
            UsesWindow::Week => Duration::days(7),
            UsesWindow::Month => Duration::days(30),
        })
    }

    /// The first instant the window counts at `now`.
    pub fn start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        // Three fixed spans far inside Window's limits: `new` can't refuse them; the fallback keeps this total.
        Window::new(self.since(), now).map_or(now, |w| w.start)
    }

    /// The window after this one (`forward`) or before it, round.
    pub fn step(self, forward: bool) -> UsesWindow {
        let i = UsesWindow::ALL.iter().position(|w| *w == self).unwrap_or(0);
        let n = UsesWindow::ALL.len();
        UsesWindow::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

impl std::fmt::Display for UsesWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How many codes a filter matches, as far as a quick look can tell: the exact count of a common text reads
/// every code (about 0.1 s at a million on SQLite), so that look gives an estimate instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuickCount {
    Exact(i64),
    /// About this many, from a sample of the codes.
    About(i64),
}

/// One window of the filtered, sorted list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeQuery {
    pub filter: CodeFilter,
    pub sort: SortField,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
    /// What each row's window uses count (and [`SortField::WindowUses`] orders by).
    pub window: UsesWindow,
}

impl Default for CodeQuery {
    fn default() -> Self {
        CodeQuery {
            filter: CodeFilter::default(),
            sort: SortField::Created,
            descending: true,
            offset: 0,
            limit: 50,
            window: UsesWindow::default(),
        }
    }
}

/// The codes a bulk action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Ids(Vec<CodeId>),
    /// Every code that matches, at the moment the action runs.
    Matching(CodeFilter),
}
