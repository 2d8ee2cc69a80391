//! Expiration input as people type it: `never`, a span from now (`7d`, `12h`, `30m`, `2w`), a date, or RFC 3339.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

/// A chosen expiration: never, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    Never,
    At(DateTime<Utc>),
}

impl Expiration {
    pub fn as_option(self) -> Option<DateTime<Utc>> {
        match self {
            Expiration::Never => None,
            Expiration::At(at) => Some(at),
        }
    }
}

const EXAMPLES: &str = "use 7d, 12h, 30m, 2w, never, 2030-01-31, 2030-01-31 18:00 or 2030-01-31T18:00:00Z";

/// Parses an expiration relative to `now`. Dates and times without a zone are UTC.
pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<Expiration, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!("is empty: {EXAMPLES}"));
    }
    if text.eq_ignore_ascii_case("never") {
        return Ok(Expiration::Never);
    }
    if let Some(span) = parse_span(text) {
        let span = span?;
        return now.checked_add_signed(span).map(Expiration::At).ok_or_else(|| format!("{text:?} is too far ahead"));
    }
    let instant = DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).ok().or_else(|| {
        ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
            .map(|naive| naive.and_utc())
    });
    if let Some(at) = instant {
        // chrono reads second 60 as a leap second, which the databases store as second 60 (SQLite) or not at all,
        // and later arithmetic on it goes astray. An expiry needs no such precision: refuse it rather than move it.
        if at.nanosecond() >= 1_000_000_000 {
            return Err(format!("{text:?} has second 60 (a leap second): use :59 or the next minute"));
        }
        return Ok(Expiration::At(at));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Expiration::At(day_start(date)));
    }
    Err(format!("{text:?} is not a time: {EXAMPLES}"))
}

/// `None` when the text is not of the `<number><unit>` shape at all.
pub(crate) fn parse_span(text: &str) -> Option<Result<Duration, String>> {
    let unit = text.chars().last()?.to_ascii_lowercase();
    let digits = &text[..text.len() - text.chars().last()?.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let per_unit: i64 = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    let too_far = || format!("{text:?} is too far ahead");
    let n: i64 = match digits.parse() {
        Ok(n) => n,
        Err(_) => return Some(Err(too_far())),
    };
    if n == 0 {
        return Some(Err(format!("{text:?} is now, and an expiration must be in the future: {EXAMPLES}")));
    }
    Some(n.checked_mul(per_unit).and_then(Duration::try_seconds).ok_or_else(too_far))
}

/// The first instant of a UTC day.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
    }

    #[test]
    fn spans_are_from_now() {
        assert_eq!(parse("7d", now()), Ok(Expiration::At(now() + Duration::days(7))));
        assert_eq!(parse("12H", now()), Ok(Expiration::At(now() + Duration::hours(12))));
        assert_eq!(parse("2w", now()), Ok(Expiration::At(now() + Duration::days(14))));
        assert_eq!(parse("never", now()), Ok(Expiration::Never));
    }

    #[test]
    fn dates_and_times_are_utc() {
        let at = Utc.with_ymd_and_hms(2030, 1, 31, 18, 0, 0).unwrap();
        assert_eq!(parse("2030-01-31 18:00", now()), Ok(Expiration::At(at)));
        assert_eq!(parse("2030-01-31T20:00:00+02:00", now()), Ok(Expiration::At(at)));
        assert_eq!(parse("2030-01-31", now()), Ok(Expiration::At(at - Duration::hours(18))));
    }

    #[test]
    fn leap_seconds_are_refused() {
        for leap in
            ["2030-01-31 18:00:60", "2030-01-31T18:00:60", "2030-01-31T18:00:60Z", "2030-01-31T18:00:60.5+02:00"]
        {
            let err = parse(leap, now()).unwrap_err();
            assert!(err.contains("second 60"), "{leap}: {err}");
        }
        let at = Utc.with_ymd_and_hms(2030, 1, 31, 18, 0, 59).unwrap();
        assert_eq!(parse("2030-01-31 18:00:59", now()), Ok(Expiration::At(at)));
    }

    #[test]
    fn nonsense_and_overflow_are_errors_not_panics() {
        for bad in ["", "soon", "7x", "-7d", "0d", "99999999999999999999d", "9999999999999999d", "d", "é"] {
            assert!(parse(bad, now()).is_err(), "{bad}");
        }
    }
}
