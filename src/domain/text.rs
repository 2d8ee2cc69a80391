//! Text as people read it, the same in the command line's tables and on the dashboard: times to the minute, and
//! text cut to a width with a mark where it was cut. Pure functions.

use chrono::{DateTime, Utc};

/// `2026-01-31 18:00` (UTC).
pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// [`date_time`], or `never` (the expiry of a code that never expires, a code never used).
pub fn date_time_or_never(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "never".to_string(), date_time)
}

/// `text` cut to `width` characters, ending with `…` when something was cut, so a clipped code or email never
/// passes for a whole one.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    if width == 0 { kept } else { format!("{kept}…") }
}

/// 1234567 as `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_to_the_minute() {
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 18, 0, 59).unwrap();
        assert_eq!(date_time(at), "2026-01-31 18:00");
        assert_eq!(date_time_or_never(Some(at)), "2026-01-31 18:00");
        assert_eq!(date_time_or_never(None), "never");
    }

    #[test]
    fn fitting_marks_the_cut() {
        assert_eq!(fit("PARTNER-INITECH", 14), "PARTNER-INITE…");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("WELCOME", 14), "WELCOME");
        assert_eq!(fit("abc", 0), "");
    }
}
