//! On-call arithmetic, pure: a time window cut into UTC hours or days, a share of a code's limit, spans as people
//! type them, and the sparkline that draws a series in a line of text.
//!
//! A window is whole buckets, aligned to UTC hour or day boundaries, ending with the bucket that holds `now`
//! (which is therefore partial): `24h` is the 24 UTC hours up to and including the current one, `7d` the 7 UTC
//! days up to and including today, `DATE` every day from that date's midnight (UTC) to today. UTC has no daylight
//! saving, so every hour is 3,600 s and every day 86,400 s.

use super::expiry::parse_span;
use chrono::{DateTime, Duration, DurationRound, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

/// Windows longer than this are counted per day too, but refused beyond [`MAX_DAYS`].
const MAX_HOURLY: i64 = 48;
/// The longest window (100 years), as for the dashboard's usage chart.
const MAX_DAYS: i64 = 36_525;

const SINCE_EXAMPLES: &str = "use 24h, 7d, 30d, 2w, 90m or a date such as 2026-01-31";

/// Where a window starts, as typed after `--since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long back from now.
    Span(Duration),
    /// From this day's midnight, UTC.
    Date(NaiveDate),
}

impl Since {
    pub fn parse(raw: &str) -> Result<Since, String> {
        let text = raw.trim();
        match parse_span(text) {
            Some(Ok(span)) => Ok(Since::Span(span)),
            Some(Err(_)) => Err(format!("{text:?} is not a span of at most {MAX_DAYS} days: {SINCE_EXAMPLES}")),
            None => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Since::Date)
                .map_err(|_| format!("{text:?} is not a span or a date: {SINCE_EXAMPLES}")),
        }
    }
}

/// A span as typed for `--window`, `--expiring`: a positive number of minutes, hours, days or weeks.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let text = raw.trim();
    match parse_span(text) {
        Some(Ok(span)) if span.num_days() <= MAX_DAYS => Ok(span),
        _ => Err(format!("{text:?} is not a span: use 30m, 1h, 24h, 7d or 2w (at most {MAX_DAYS} days)")),
    }
}

/// How a window's series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn length(self) -> Duration {
        match self {
            Bucket::Hour => Duration::hours(1),
            Bucket::Day => Duration::days(1),
        }
    }

    /// The start of the bucket that holds `at`.
    pub fn floor(self, at: DateTime<Utc>) -> DateTime<Utc> {
        // Rounding whole hours or days of a time in the years 1-9999 can't fail; the fallback keeps this total.
        at.duration_trunc(self.length()).unwrap_or(at)
    }

    /// How the store names a bucket: the first 13 (hour) or 10 (day) characters of its RFC 3339 start.
    pub fn key_len(self) -> usize {
        match self {
            Bucket::Hour => 13,
            Bucket::Day => 10,
        }
    }

    /// The name of the bucket that starts at `start` (see [`Bucket::key_len`]).
    pub fn key(self, start: DateTime<Utc>) -> String {
        start.format("%Y-%m-%dT%H").to_string()[..self.key_len()].to_string()
    }
}

/// Whole UTC buckets `[start, end)`; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub bucket: Bucket,
}

/// One bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Point {
    pub start: DateTime<Utc>,
    pub count: i64,
}

impl Window {
    /// The window `since` names at `now`: hourly when it spans at most 48 hours, daily otherwise.
    pub fn new(since: Since, now: DateTime<Utc>) -> Result<Window, String> {
        let too_long = || format!("reaches further back than {MAX_DAYS} days (100 years)");
        let (first, bucket, count) = match since {
            Since::Span(span) => {
                if span <= Duration::zero() || span.num_days() > MAX_DAYS {
                    return Err(too_long());
                }
                let bucket = if span <= Duration::hours(MAX_HOURLY) { Bucket::Hour } else { Bucket::Day };
                // The buckets that cover the span, counting the current one: 90m is 2 hours, 36h is 36.
                let len = bucket.length().num_seconds();
                let count = (span.num_seconds() + len - 1) / len;
                (None, bucket, count)
            }
            Since::Date(day) => {
                let start = crate::domain::expiry::day_start(day);
                if start > now {
                    return Err(format!("{day} is in the future; a window ends now"));
                }
                let hours = (Bucket::Hour.floor(now) - start).num_hours() + 1;
                let bucket = if hours <= MAX_HOURLY { Bucket::Hour } else { Bucket::Day };
                let count = (bucket.floor(now) - start).num_seconds() / bucket.length().num_seconds() + 1;
                if count > MAX_DAYS {
                    return Err(too_long());
                }
                (Some(start), bucket, count)
            }
        };
        let end = bucket.floor(now) + bucket.length();
        let start = first.unwrap_or(end - bucket.length() * count as i32);
        Ok(Window { start, end, bucket })
    }

    /// Every bucket's start, in order.
    pub fn starts(&self) -> impl Iterator<Item = DateTime<Utc>> + use<> {
        let (start, end, step) = (self.start, self.end, self.bucket.length());
        std::iter::successors(Some(start), move |at| Some(*at + step)).take_while(move |at| *at < end)
    }

    /// The series over every bucket, from counts the store found per bucket key (see [`Bucket::key_len`]):
    /// buckets it found nothing in are 0, keys outside the window are ignored.
    pub fn series(&self, found: &[(String, i64)]) -> Vec<Point> {
        self.starts()
            .map(|start| {
                let key = self.bucket.key(start);
                let count = found.iter().filter(|(k, _)| *k == key).map(|(_, n)| n).sum();
                Point { start, count }
            })
            .collect()
    }

    /// `2026-11-29 08:00` or `2026-11-29`, as a bucket of this window is shown.
    pub fn label(&self, at: DateTime<Utc>) -> String {
        match self.bucket {
            Bucket::Hour => at.format("%Y-%m-%d %H:%M").to_string(),
            Bucket::Day => at.format("%Y-%m-%d").to_string(),
        }
    }
}

/// A share of a code's limit in thousandths: `90%` is 900. Thousandths keep the comparison in integers,
/// `uses * 1000 >= max_uses * share`, the same on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Share(u16);

impl Share {
    pub const FULL: Share = Share(1000);

    /// `90%`, `90` or `92.5%`: more than 0 and at most 100 percent, to a tenth of a percent.
    pub fn parse(raw: &str) -> Result<Share, String> {
        let text = raw.trim();
        let number = text.strip_suffix('%').unwrap_or(text).trim();
        let bad = || format!("{text:?} is not a share of the limit: use a percentage such as 90% or 99.5%");
        let (whole, tenth) = match number.split_once('.') {
            Some((w, t)) if t.len() == 1 => (w, t),
            Some(_) => return Err(bad()),
            None => (number, "0"),
        };
        let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(tenth) {
            return Err(bad());
        }
        let permille = whole.parse::<u16>().map_err(|_| bad())? * 10 + tenth.parse::<u16>().map_err(|_| bad())?;
        if permille == 0 || permille > 1000 {
            return Err(bad());
        }
        Ok(Share(permille))
    }

    pub fn permille(self) -> i64 {
        i64::from(self.0)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 % 10 {
            0 => write!(f, "{}%", self.0 / 10),
            tenth => write!(f, "{}.{tenth}%", self.0 / 10),
        }
    }
}

/// A series drawn as at most `width` bars of `▁▂▃▄▅▆▇█`, scaled to its largest value; a longer series is summed
/// into `width` groups of neighbouring buckets. An empty bucket is the lowest bar, so the line keeps its length.
pub fn sparkline(values: &[i64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let per = values.len().div_ceil(width);
    let sums: Vec<i64> =
        values.chunks(per).map(|c| c.iter().fold(0, |s: i64, v| s.saturating_add((*v).max(0)))).collect();
    let top = sums.iter().copied().max().unwrap_or(0);
    sums.iter()
        .map(|v| match top {
            0 => BARS[0],
            // The largest value is the full bar; any use at all shows above the empty one.
            _ => BARS[((*v as i128 * 7 + top as i128 - 1) / top as i128).clamp(0, 7) as usize],
        })
        .collect()
}

/// A duration as people type it: `1h`, `90m`, `24h` (a day is said in hours), `7d`, `2w`.
pub fn span_label(span: TimeDelta) -> String {
    let s = span.num_seconds();
    match s {
        _ if s % 604_800 == 0 && s >= 1_209_600 => format!("{}w", s / 604_800),
        _ if s % 86_400 == 0 && s > 86_400 => format!("{}d", s / 86_400),
        _ if s % 3_600 == 0 => format!("{}h", s / 3_600),
        _ => format!("{}m", s / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn window(since: &str, now: DateTime<Utc>) -> Window {
        Window::new(Since::parse(since).unwrap(), now).unwrap()
    }

    #[test]
    fn a_day_is_24_whole_hours_ending_with_the_current_one() {
        let w = window("24h", at(2026, 11, 30, 7, 43, 18));
        assert_eq!((w.start, w.end, w.bucket), (at(2026, 11, 29, 8, 0, 0), at(2026, 11, 30, 8, 0, 0), Bucket::Hour));
        assert_eq!(w.starts().count(), 24);
    }

    #[test]
    fn on_an_hour_boundary_the_new_hour_is_the_last_bucket() {
        let w = window("24h", at(2026, 11, 30, 0, 0, 0));
        assert_eq!((w.start, w.end), (at(2026, 11, 29, 1, 0, 0), at(2026, 11, 30, 1, 0, 0)));
        let just_before = window("24h", at(2026, 11, 29, 23, 59, 59));
        assert_eq!((just_before.start, just_before.end), (at(2026, 11, 29, 0, 0, 0), at(2026, 11, 30, 0, 0, 0)));
    }

    #[test]
    fn up_to_48_hours_is_hourly_and_longer_is_daily() {
        let now = at(2026, 3, 1, 10, 30, 0);
        assert_eq!(window("48h", now).bucket, Bucket::Hour);
        assert_eq!(window("48h", now).starts().count(), 48);
        assert_eq!(window("49h", now).bucket, Bucket::Day);
        assert_eq!(window("90m", now).starts().count(), 2);
    }

    #[test]
    fn days_are_utc_days_ending_with_today_across_month_and_leap_day() {
        // 2028 is a leap year: seven days back from 2 March cross 29 February.
        let w = window("7d", at(2028, 3, 2, 23, 59, 59));
        assert_eq!((w.start, w.end, w.bucket), (at(2028, 2, 25, 0, 0, 0), at(2028, 3, 3, 0, 0, 0), Bucket::Day));
        let days: Vec<_> = w.starts().map(|s| w.label(s)).collect();
        assert_eq!(days[3..6], ["2028-02-28", "2028-02-29", "2028-03-01"]);
        // Across the year's end.
        let w = window("30d", at(2027, 1, 1, 0, 0, 0));
        assert_eq!((w.start, w.end), (at(2026, 12, 3, 0, 0, 0), at(2027, 1, 2, 0, 0, 0)));
        assert_eq!(w.starts().count(), 30);
    }

    #[test]
    fn a_date_starts_at_its_utc_midnight() {
        let now = at(2026, 11, 30, 7, 43, 0);
        let w = window("2026-11-29", now);
        // 32 hours: hourly.
        assert_eq!((w.start, w.end, w.bucket), (at(2026, 11, 29, 0, 0, 0), at(2026, 11, 30, 8, 0, 0), Bucket::Hour));
        let w = window("2026-11-01", now);
        assert_eq!((w.start, w.end, w.bucket), (at(2026, 11, 1, 0, 0, 0), at(2026, 12, 1, 0, 0, 0), Bucket::Day));
        assert_eq!(w.starts().count(), 30);
        // Today, just after midnight: one hour so far.
        let w = window("2026-11-30", at(2026, 11, 30, 0, 0, 0));
        assert_eq!(w.starts().count(), 1);
        assert!(Window::new(Since::parse("2026-12-01").unwrap(), now).is_err());
    }

    #[test]
    fn empty_buckets_are_zero_and_keys_outside_are_ignored() {
        let w = window("3h", at(2026, 1, 1, 2, 10, 0));
        let found = [("2026-01-01T01".to_string(), 4), ("2025-12-31T23".to_string(), 9)];
        let counts: Vec<i64> = w.series(&found).iter().map(|p| p.count).collect();
        assert_eq!(counts, [0, 4, 0]);
        assert_eq!(w.series(&[])[0].start, at(2026, 1, 1, 0, 0, 0));
        let days = window("2d", at(2026, 1, 1, 2, 10, 0));
        assert_eq!(days.bucket, Bucket::Hour);
        let found = [("2025-12-31".to_string(), 2), ("2026-01-01".to_string(), 3)];
        assert_eq!(window("3d", at(2026, 1, 1, 2, 10, 0)).series(&found).iter().map(|p| p.count).sum::<i64>(), 5);
    }

    #[test]
    fn bad_windows_are_errors_not_panics() {
        for bad in ["", "0h", "-1d", "soon", "24x", "99999999999d", "36526d", "2026-02-30", "0001-01-01x"] {
            assert!(Since::parse(bad).and_then(|s| Window::new(s, at(2026, 1, 1, 0, 0, 0))).is_err(), "{bad}");
        }
        assert!(Window::new(Since::parse("0001-01-01").unwrap(), at(2026, 1, 1, 0, 0, 0)).is_err());
    }

    #[test]
    fn shares_are_percentages_in_thousandths() {
        assert_eq!(Share::parse("90%").unwrap().permille(), 900);
        assert_eq!(Share::parse(" 99.5 % ").unwrap().permille(), 995);
        assert_eq!(Share::parse("100").unwrap(), Share::FULL);
        assert_eq!(Share::parse("92.5%").unwrap().to_string(), "92.5%");
        for bad in ["", "0%", "101%", "90.55%", "-5%", "abc", "1e2", "9000%", ".5%", "5.%"] {
            assert!(Share::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sparklines_scale_to_the_largest_and_keep_their_length() {
        assert_eq!(sparkline(&[0, 1, 2, 4, 8], 10), "▁▂▃▅█");
        assert_eq!(sparkline(&[0, 0, 0], 10), "▁▁▁");
        assert_eq!(sparkline(&[1, 1, 0, 0, 5, 5], 3), "▃▁█");
        assert_eq!(sparkline(&[], 10), "");
        assert_eq!(sparkline(&[i64::MAX, 1], 2), "█▂");
    }

    #[test]
    fn spans_read_back_as_typed() {
        assert_eq!(span_label(parse_duration("1h").unwrap()), "1h");
        assert_eq!(span_label(parse_duration("90m").unwrap()), "90m");
        assert_eq!(span_label(parse_duration("7d").unwrap()), "7d");
        assert_eq!(span_label(parse_duration("1d").unwrap()), "24h");
        assert_eq!(span_label(parse_duration("2w").unwrap()), "2w");
        assert!(parse_duration("0m").is_err() && parse_duration("x").is_err());
    }
}
