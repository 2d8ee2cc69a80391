//! Field rules shared by the CLI, the dashboard's live checks and the service. Each returns the clean value or a
//! message that names the rule and gives an example.

use super::settings::SettingKey;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub const CODE_MIN: usize = 3;
pub const CODE_MAX: usize = 50;
pub const DESCRIPTION_MAX: usize = 255;
pub const EMAIL_MAX: usize = 160;
pub const NAME_MAX: usize = 100;

fn code_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Trims and upper-cases a code, then checks length and characters.
pub fn code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_uppercase();
    let len = code.chars().count();
    if len == 0 {
        return Err("is required: 3 to 50 characters of A-Z, 0-9, - or _ (e.g. SPRING-2026)".into());
    }
    if !(CODE_MIN..=CODE_MAX).contains(&len) {
        return Err(format!("must be 3 to 50 characters, this has {len} (e.g. SPRING-2026)"));
    }
    if let Some(bad) = code.chars().find(|c| !code_char(*c)) {
        return Err(format!("may hold only A-Z, 0-9, - and _, not {bad:?} (e.g. SPRING-2026)"));
    }
    Ok(code)
}

/// A prefix for generated codes: the code alphabet, and room left for the random part.
pub fn prefix(raw: &str, random_len: usize) -> Result<String, String> {
    let prefix = raw.trim().to_uppercase();
    if let Some(bad) = prefix.chars().find(|c| !code_char(*c)) {
        return Err(format!("may hold only A-Z, 0-9, - and _, not {bad:?} (e.g. SPRING-)"));
    }
    let total = prefix.chars().count() + random_len;
    if total > CODE_MAX {
        return Err(format!("with {random_len} random characters makes {total}, over the {CODE_MAX} a code may have"));
    }
    Ok(prefix)
}

/// Unicode's format characters (general category Cf, Unicode 18.0), inclusive ranges in order. They are invisible
/// yet change what text shows: zero-width spaces and joiners make `admin\u{200b}@example.com` look like
/// `admin@example.com`, and the bidi controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069, all Cf)
/// reverse or reorder what follows them.
const FORMAT_CHARS: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is a format character (see [`FORMAT_CHARS`]).
fn is_format_char(c: char) -> bool {
    let c = u32::from(c);
    let at = FORMAT_CHARS.partition_point(|&(_, hi)| hi < c);
    FORMAT_CHARS.get(at).is_some_and(|&(lo, _)| lo <= c)
}

/// Refuses text that holds a format character, naming the first one and its position (counting characters from
/// 1, in the text as typed), so that what a field shows is all that it holds.
fn no_hidden_chars(raw: &str) -> Result<(), String> {
    match raw.chars().enumerate().find(|(_, c)| is_format_char(*c)) {
        Some((at, c)) => Err(format!(
            "holds the invisible character U+{:04X} at character {}: remove it (hidden characters can make text \
             look like other text)",
            u32::from(c),
            at + 1
        )),
        None => Ok(()),
    }
}

/// Trims a description; 1 to 255 characters, no control or format characters.
pub fn description(raw: &str) -> Result<String, String> {
    no_hidden_chars(raw)?;
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err("is required: 1 to 255 characters (e.g. Spring campaign 2026)".into());
    }
    if len > DESCRIPTION_MAX {
        return Err(format!("must be at most 255 characters, this has {len}"));
    }
    if text.chars().any(char::is_control) {
        return Err("may not hold control characters such as tabs or line breaks".into());
    }
    Ok(text.to_string())
}

/// Where a person raises a setting, for the hint of a value over it: the CLI names its command, the dashboard its
/// Settings screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raise {
    Cli,
    SettingsScreen,
}

/// `max_uses` from 1 up to the `max_number_of_uses_per_code` setting; over it, the hint says where to raise it.
pub fn max_uses(n: i64, limit: i32, raise: Raise) -> Result<i32, String> {
    if n < 1 {
        return Err(format!("must be a whole number from 1 to {limit}, not {n} (e.g. 100)"));
    }
    if n > i64::from(limit) {
        let key = SettingKey::MaxUsesPerCode;
        // The hint proposes only a value the setting itself accepts.
        let most = key.range().map_or(limit, |(_, hi)| hi);
        let hint = match raise {
            _ if n > i64::from(most) && limit >= most => "no code may allow more".to_string(),
            Raise::Cli if n <= i64::from(most) => {
                format!("raise it with `refcodes settings set {} {n}` (up to {most})", key.key())
            }
            Raise::Cli => format!("it goes up to {most} (`refcodes settings set {} {most}`)", key.key()),
            Raise::SettingsScreen => format!("raise it on the Settings screen (up to {most})"),
        };
        return Err(format!("must be at most {limit}, the {} setting; {hint}", key.key()));
    }
    Ok(n as i32)
}

/// Parses a whole number typed by a person, with a message that fits a field.
pub fn whole_number(raw: &str) -> Result<i64, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("is required: a whole number (e.g. 100)".into());
    }
    t.parse::<i64>().map_err(|_| format!("must be a whole number, not {t:?} (e.g. 100)"))
}

/// The last instant an expiration can be: SQLite keeps times as text that sorts in time order, and computes dates,
/// only up to the year 9999.
pub fn last_expiry() -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");
    day.and_hms_milli_opt(23, 59, 59, 999).expect("a time").and_utc()
}

/// A set expiration must be in the future, and before the year 10000 (see [`last_expiry`]).
pub fn expiration(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    if at <= now {
        return Err(format!(
            "must be in the future, {} is past (e.g. 7d, 12h, never or 2030-01-31T00:00:00Z)",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if at.year() > 9999 {
        return Err("must be before the year 10000 (e.g. 7d, 12h, never or 2030-01-31T00:00:00Z)".into());
    }
    Ok(())
}

/// Trims and lower-cases an email and checks its shape (one @, a dot in the domain, no spaces).
pub fn email(raw: &str) -> Result<String, String> {
    no_hidden_chars(raw)?;
    let email = raw.trim().to_lowercase();
    let shape_ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    };
    if email.is_empty() {
        return Err("is required (e.g. ada@example.com)".into());
    }
    if !shape_ok || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{email:?} is not an email address (e.g. ada@example.com)"));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(format!("must be at most {EMAIL_MAX} characters"));
    }
    Ok(email)
}

/// An optional name (username, first or last name): trimmed, empty becomes `None`; no control or format
/// characters.
pub fn optional_name(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(raw) = raw else { return Ok(None) };
    no_hidden_chars(raw)?;
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > NAME_MAX {
        return Err(format!("must be at most {NAME_MAX} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("may not hold control characters".into());
    }
    Ok(Some(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_and_upper_cased() {
        assert_eq!(code("  spring-2026 ").unwrap(), "SPRING-2026");
        assert_eq!(code("a_b").unwrap(), "A_B");
    }

    #[test]
    fn codes_outside_the_rules_are_refused_with_an_example() {
        for bad in ["", "ab", &"X".repeat(51), "hello world", "DROP;TABLE", "ÜBER", "tab\there"] {
            let err = code(bad).unwrap_err();
            assert!(err.contains("e.g."), "{bad:?}: {err}");
        }
    }

    #[test]
    fn descriptions_need_text_and_fit_255() {
        assert_eq!(description(" Launch ").unwrap(), "Launch");
        assert!(description("   ").is_err());
        assert!(description(&"é".repeat(255)).is_ok());
        assert!(description(&"é".repeat(256)).is_err());
        assert!(description("a\nb").is_err());
    }

    #[test]
    fn max_uses_within_one_and_the_setting() {
        assert_eq!(max_uses(1, 100, Raise::Cli), Ok(1));
        assert_eq!(max_uses(100, 100, Raise::Cli), Ok(100));
        assert!(max_uses(0, 100, Raise::Cli).is_err());
        assert!(max_uses(-5, 100, Raise::Cli).is_err());
        assert!(max_uses(i64::MAX, 100, Raise::Cli).unwrap_err().contains("max_number_of_uses_per_code"));
    }

    #[test]
    fn the_max_uses_hint_proposes_only_what_the_setting_accepts() {
        assert!(
            max_uses(500, 100, Raise::Cli)
                .unwrap_err()
                .contains("`refcodes settings set max_number_of_uses_per_code 500`")
        );
        let err = max_uses(2_147_483_648, 100, Raise::Cli).unwrap_err();
        assert!(err.contains("`refcodes settings set max_number_of_uses_per_code 10000`"), "{err}");
        assert!(!err.contains("2147483648"), "{err}");
        let err = max_uses(10_001, 10_000, Raise::Cli).unwrap_err();
        assert!(!err.contains("settings set"), "the setting is at its top already: {err}");
        let err = max_uses(500, 100, Raise::SettingsScreen).unwrap_err();
        assert!(err.ends_with("raise it on the Settings screen (up to 10000)"), "{err}");
        assert!(!err.contains("refcodes settings"), "{err}");
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(email(" Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "@x.com", "ada@", "a b@x.com", "a@b@c"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn format_chars_are_exactly_unicodes_category_cf() {
        use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
        // The oracle's tables must be of the Unicode version ours follow; a later one may add format characters.
        assert_eq!(unicode_properties::UNICODE_VERSION, (18, 0, 0), "update FORMAT_CHARS to the new version");
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let cf = c.general_category() == GeneralCategory::Format;
            assert_eq!(is_format_char(c), cf, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn bidi_controls_are_refused() {
        // UAX #9, table 1: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
        let controls = [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
            '\u{2067}', '\u{2068}', '\u{2069}',
        ];
        for c in controls {
            assert!(is_format_char(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn hidden_chars_are_refused_in_every_text_field_with_their_position() {
        fn message<T: std::fmt::Debug>(r: Result<T, String>) -> String {
            r.unwrap_err()
        }
        let err = message(email("admin\u{200b}@example.com"));
        assert!(err.contains("U+200B at character 6"), "{err}");
        // Counted in the text as typed, before trimming.
        let err = message(description("  Sale \u{202E}gnirps"));
        assert!(err.contains("U+202E at character 8"), "{err}");
        let err = message(optional_name(Some("\u{2066}Ada")));
        assert!(err.contains("U+2066 at character 1"), "{err}");
        let err = message(optional_name(Some("\u{feff}")));
        assert!(err.contains("U+FEFF at character 1"), "a name of nothing but a hidden character: {err}");
        assert_eq!(email("ada@example.com"), Ok("ada@example.com".into()));
        assert_eq!(description("Café – spring"), Ok("Café – spring".into()));
        assert_eq!(optional_name(Some("Zoë")), Ok(Some("Zoë".into())));
    }

    #[test]
    fn prefixes_leave_room_for_the_random_part() {
        assert_eq!(prefix("vip-", 5).unwrap(), "VIP-");
        assert!(prefix(&"P".repeat(46), 5).is_err());
        assert!(prefix("a b", 5).is_err());
    }
}
