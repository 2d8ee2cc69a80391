//! Small text helpers for the views: relative times, numbers with thousands separators, bars.
//! (Helpers the command line shares are in `domain::text`.)

use crate::domain::stats::{SystemStats, UsageRecord};
pub use crate::domain::text::thousands;
use chrono::{DateTime, Utc};

/// `in 6d`, `3h ago`, `never`.
pub fn relative(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "never".to_string() };
    let secs = (at - now).num_seconds();
    let span = secs.unsigned_abs();
    let amount = match span {
        0..60 => format!("{span}s"),
        60..3600 => format!("{}m", span / 60),
        3600..86_400 => format!("{}h", span / 3600),
        86_400..5_184_000 => format!("{}d", span / 86_400),
        _ => format!("{}mo", span / 2_592_000),
    };
    if secs >= 0 { format!("in {amount}") } else { format!("{amount} ago") }
}

/// Who used a code: their email, or their id when the user is gone.
pub fn who(usage: &UsageRecord) -> String {
    usage.who()
}

/// The system's figures in one line, as the header and the stats screen show them.
pub fn figures(s: &SystemStats) -> String {
    format!(
        "{} codes · {} active · {} uses · {} codes used",
        thousands(s.total_codes),
        thousands(s.active_codes),
        thousands(s.total_usage),
        thousands(s.codes_with_usage)
    )
}

/// A bar of `width` cells filled in proportion to `part / whole`.
pub fn bar(part: i64, whole: i64, width: usize) -> String {
    let filled = if whole <= 0 { 0 } else { ((part.clamp(0, whole) * width as i64 + whole - 1) / whole) as usize };
    format!("{}{}", "▰".repeat(filled), "▱".repeat(width - filled.min(width)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn relative_times() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(relative(Some(now + Duration::days(6)), now), "in 6d");
        assert_eq!(relative(Some(now - Duration::hours(3)), now), "3h ago");
        assert_eq!(relative(None, now), "never");
    }

    #[test]
    fn thousands_and_bars() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(bar(0, 100, 3), "▱▱▱");
        assert_eq!(bar(1, 100, 3), "▰▱▱");
        assert_eq!(bar(100, 100, 3), "▰▰▰");
    }
}
