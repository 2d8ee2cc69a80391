//! The filter language of the dashboard's `/` and `codes list --filter`: plain words matched everywhere, and
//! `field:value` terms, all of which must hold. Values with spaces are quoted (`desc:"spring sale"`).
//!
//! A word whose part before the first `:` is letters but not a field is refused rather than searched for, so a
//! misspelt field (`staus:active`) says so instead of quietly matching nothing; such a text is quoted to be
//! searched (`"note:x"`).

use super::CodeStatus;
use super::query::{CodeFilter, Compare};
use super::window::{Share, parse_duration, span_label};
use chrono::Duration;
use std::fmt;

const OPERATORS: &str = ">, <, >=, <= or =";
const SPAN_OPERATORS: &str = "<, <=, > or >=";

impl CodeFilter {
    /// Parses the filter language; an error names the term and what was expected.
    pub fn parse(raw: &str) -> Result<CodeFilter, String> {
        let mut filter = CodeFilter::default();
        let mut words = Vec::new();
        for (term, quoted) in terms(raw)? {
            let field = if quoted { None } else { term.split_once(':') };
            match field {
                Some((name, value)) if name.chars().all(char::is_alphabetic) && !name.is_empty() => {
                    set(&mut filter, &name.to_lowercase(), value)?
                }
                _ => words.push(term),
            }
        }
        filter.text = words.join(" ");
        Ok(filter)
    }
}

/// The input cut into terms at spaces outside quotes, quotes removed; `true` for a term that began with a quote
/// (a quoted plain word is never a field).
pub(super) fn terms(raw: &str) -> Result<Vec<(String, bool)>, String> {
    let mut terms = Vec::new();
    let (mut term, mut in_quotes, mut quoted, mut started) = (String::new(), false, false, false);
    for c in raw.chars() {
        match c {
            '"' => {
                quoted |= !started;
                in_quotes = !in_quotes;
                started = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if started {
                    terms.push((std::mem::take(&mut term), quoted));
                }
                (quoted, started) = (false, false);
            }
            c => {
                term.push(c);
                started = true;
            }
        }
    }
    if in_quotes {
        return Err(format!("{term:?}: a quote is not closed; add the closing \""));
    }
    if started {
        terms.push((term, quoted));
    }
    Ok(terms)
}

fn set(filter: &mut CodeFilter, name: &str, value: &str) -> Result<(), String> {
    let twice = |given: bool| if given { Err(format!("{name}: is given twice; give each field once")) } else { Ok(()) };
    let text = |value: &str| {
        if value.is_empty() {
            Err(format!("{name}: expects a text after the colon, e.g. {name}:spring"))
        } else {
            Ok(Some(value.to_string()))
        }
    };
    match name {
        "code" => (twice(filter.code.is_some())?, filter.code = text(value)?),
        "desc" | "description" => (twice(filter.description.is_some())?, filter.description = text(value)?),
        "creator" => (twice(filter.creator.is_some())?, filter.creator = text(value)?),
        "beneficiary" => (twice(filter.beneficiary.is_some())?, filter.beneficiary = text(value)?),
        "status" => (twice(filter.status.is_some())?, filter.status = Some(status(value)?)),
        "uses" => (twice(filter.uses.is_some())?, filter.uses = Some(uses(value)?)),
        "expires" => (twice(filter.expires.is_some())?, filter.expires = Some(span(name, value)?)),
        "used" => (twice(filter.used.is_some())?, filter.used = Some(span(name, value)?)),
        "limit" => (twice(filter.near_limit.is_some())?, filter.near_limit = Some(limit(value)?)),
        "expiring" => (
            twice(filter.expiring_within.is_some())?,
            filter.expiring_within =
                Some(parse_duration(value).map_err(|_| "expiring: expects a span such as 7d, 24h or 2w".to_string())?),
        ),
        _ => {
            return Err(format!(
                "{name}: is not a field; use code:, desc:, creator:, beneficiary:, status:, uses:, expires:, \
                 used:, limit: or expiring: (quote a text to search for it as it is)"
            ));
        }
    };
    Ok(())
}

fn status(value: &str) -> Result<CodeStatus, String> {
    match value.to_lowercase().as_str() {
        "active" => Ok(CodeStatus::Active),
        "inactive" => Ok(CodeStatus::Inactive),
        "expired" => Ok(CodeStatus::Expired),
        "limit" | "limit-reached" => Ok(CodeStatus::LimitReached),
        _ => Err("status: expects active, inactive, expired or limit".to_string()),
    }
}

/// The operator at the start of `value` and the rest.
fn operator(value: &str) -> Option<(Compare, &str)> {
    [
        ("<=", Compare::AtMost),
        (">=", Compare::AtLeast),
        ("<", Compare::Less),
        (">", Compare::More),
        ("=", Compare::Equal),
    ]
    .into_iter()
    .find_map(|(symbol, compare)| value.strip_prefix(symbol).map(|rest| (compare, rest)))
}

fn uses(value: &str) -> Result<(Compare, i64), String> {
    // A bare number means "exactly".
    let (compare, number) = operator(value).unwrap_or((Compare::Equal, value));
    match number.parse::<i64>() {
        Ok(n) if n >= 0 => Ok((compare, n)),
        _ => Err(format!("uses: expects a number after {OPERATORS}")),
    }
}

fn span(name: &str, value: &str) -> Result<(Compare, Duration), String> {
    let example = if name == "used" { "used:<24h" } else { "expires:<7d" };
    match operator(value) {
        Some((Compare::Equal, _)) | None => Err(format!("{name}: expects {SPAN_OPERATORS} and a span, e.g. {example}")),
        Some((compare, rest)) => parse_duration(rest)
            .map(|span| (compare, span))
            .map_err(|_| format!("{name}: expects a span such as 30m, 24h, 7d or 2w after {SPAN_OPERATORS}")),
    }
}

fn limit(value: &str) -> Result<Share, String> {
    // The share filter is "at least"; `>=` may be written or left out.
    let share = value.strip_prefix(">=").unwrap_or(value);
    if operator(share).is_some() {
        return Err("limit: expects >= and a share of the limit, e.g. limit:>=90%".to_string());
    }
    Share::parse(share).map_err(|_| "limit: expects a share of the limit such as 90% (limit:>=90%)".to_string())
}

/// The filter in its own language, as parsing it gives it back: what the dashboard shows is in force.
impl fmt::Display for CodeFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let quote = |v: &str| if v.chars().any(char::is_whitespace) { format!("\"{v}\"") } else { v.to_string() };
        let text = self.text.trim();
        if !text.is_empty() {
            let field_like =
                text.split_once(':').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(char::is_alphabetic));
            parts.push(if field_like || text.starts_with('"') { format!("\"{text}\"") } else { text.to_string() });
        }
        for (name, value) in [
            ("code", &self.code),
            ("desc", &self.description),
            ("creator", &self.creator),
            ("beneficiary", &self.beneficiary),
        ] {
            if let Some(value) = value {
                parts.push(format!("{name}:{}", quote(value)));
            }
        }
        if let Some(status) = self.status {
            let name = if status == CodeStatus::LimitReached { "limit" } else { status.as_arg() };
            parts.push(format!("status:{name}"));
        }
        if let Some((compare, n)) = self.uses {
            parts.push(format!("uses:{}{n}", compare.symbol()));
        }
        for (name, value) in [("expires", self.expires), ("used", self.used)] {
            if let Some((compare, span)) = value {
                parts.push(format!("{name}:{}{}", compare.symbol(), span_label(span)));
            }
        }
        if let Some(share) = self.near_limit {
            parts.push(format!("limit:>={share}"));
        }
        if let Some(span) = self.expiring_within {
            parts.push(format!("expiring:{}", span_label(span)));
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> CodeFilter {
        CodeFilter::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
    }

    fn error(raw: &str) -> String {
        CodeFilter::parse(raw).expect_err(raw)
    }

    #[test]
    fn plain_words_match_everywhere_as_before() {
        assert_eq!(parse("  spring   sale "), CodeFilter { text: "spring sale".into(), ..CodeFilter::default() });
        assert_eq!(parse(""), CodeFilter::default());
        // Quoted, a text with a colon is searched for, not taken as a field.
        assert_eq!(parse("\"note:x\"").text, "note:x");
        // A colon after something other than letters is text too (a time, an address).
        assert_eq!(parse("12:30").text, "12:30");
        assert_eq!(parse("a@b.c:1").text, "a@b.c:1");
    }

    #[test]
    fn text_fields_take_plain_and_quoted_values() {
        let f = parse("code:SPR desc:\"spring sale\" creator:ann@ beneficiary:bob Extra");
        assert_eq!(f.code.as_deref(), Some("SPR"));
        assert_eq!(f.description.as_deref(), Some("spring sale"));
        assert_eq!(f.creator.as_deref(), Some("ann@"));
        assert_eq!(f.beneficiary.as_deref(), Some("bob"));
        assert_eq!(f.text, "Extra");
        assert_eq!(parse("DESCRIPTION:x").description.as_deref(), Some("x"));
    }

    #[test]
    fn every_status() {
        for (word, status) in [
            ("active", CodeStatus::Active),
            ("inactive", CodeStatus::Inactive),
            ("Expired", CodeStatus::Expired),
            ("limit", CodeStatus::LimitReached),
            ("limit-reached", CodeStatus::LimitReached),
        ] {
            assert_eq!(parse(&format!("status:{word}")).status, Some(status), "{word}");
        }
        assert_eq!(error("status:gone"), "status: expects active, inactive, expired or limit");
    }

    #[test]
    fn uses_takes_every_operator() {
        for (raw, want) in [
            ("uses:>10", (Compare::More, 10)),
            ("uses:<10", (Compare::Less, 10)),
            ("uses:>=0", (Compare::AtLeast, 0)),
            ("uses:<=3", (Compare::AtMost, 3)),
            ("uses:=7", (Compare::Equal, 7)),
            ("uses:7", (Compare::Equal, 7)),
        ] {
            assert_eq!(parse(raw).uses, Some(want), "{raw}");
        }
        for bad in ["uses:>", "uses:>x", "uses:<-1", "uses:", "uses:=>3", "uses:>>3"] {
            assert_eq!(error(bad), "uses: expects a number after >, <, >=, <= or =", "{bad}");
        }
    }

    #[test]
    fn expires_and_used_take_spans() {
        assert_eq!(parse("expires:<7d").expires, Some((Compare::Less, Duration::days(7))));
        assert_eq!(parse("expires:>30d").expires, Some((Compare::More, Duration::days(30))));
        assert_eq!(parse("expires:>=2w").expires, Some((Compare::AtLeast, Duration::weeks(2))));
        assert_eq!(parse("used:<24h").used, Some((Compare::Less, Duration::hours(24))));
        assert_eq!(parse("used:<=90m").used, Some((Compare::AtMost, Duration::minutes(90))));
        assert_eq!(error("expires:7d"), "expires: expects <, <=, > or >= and a span, e.g. expires:<7d");
        assert_eq!(error("used:=1h"), "used: expects <, <=, > or >= and a span, e.g. used:<24h");
        assert_eq!(error("used:<soon"), "used: expects a span such as 30m, 24h, 7d or 2w after <, <=, > or >=");
        assert_eq!(error("expires:<0d"), "expires: expects a span such as 30m, 24h, 7d or 2w after <, <=, > or >=");
    }

    #[test]
    fn limit_and_expiring_are_the_on_call_filters() {
        let f = parse("limit:>=90% expiring:7d");
        assert_eq!(f.near_limit, Some(Share::parse("90%").unwrap()));
        assert_eq!(f.expiring_within, Some(Duration::days(7)));
        assert_eq!(parse("limit:99.5%").near_limit, Some(Share::parse("99.5%").unwrap()));
        assert_eq!(error("limit:<90%"), "limit: expects >= and a share of the limit, e.g. limit:>=90%");
        assert_eq!(error("limit:>=190%"), "limit: expects a share of the limit such as 90% (limit:>=90%)");
        assert_eq!(error("expiring:soon"), "expiring: expects a span such as 7d, 24h or 2w");
    }

    #[test]
    fn bad_terms_name_themselves() {
        assert!(error("staus:active").starts_with("staus: is not a field; use code:, desc:"));
        assert_eq!(error("code:"), "code: expects a text after the colon, e.g. code:spring");
        assert_eq!(error("uses:>1 uses:<5"), "uses: is given twice; give each field once");
        assert_eq!(error("desc:\"spring sale"), "\"desc:spring sale\": a quote is not closed; add the closing \"");
    }

    #[test]
    fn terms_combine_and_print_back_as_parsed() {
        let raw = "hello code:AB desc:\"spring sale\" creator:a beneficiary:b status:limit uses:>=10 expires:<7d \
                   used:<24h limit:>=90% expiring:2w";
        let f = parse(raw);
        assert_eq!(f.to_string(), raw);
        assert_eq!(parse(&f.to_string()), f);
        let quoted = parse("\"note:x\"");
        assert_eq!(parse(&quoted.to_string()), quoted);
        assert!(!f.is_empty());
    }
}
