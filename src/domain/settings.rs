//! The module's settings in `phoenix_kit_settings`: keys, defaults, and how stored text reads back.

use serde::Serialize;
use std::fmt;

pub const MODULE: &str = "referral_codes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettingKey {
    Enabled,
    Required,
    MaxUsesPerCode,
    MaxCodesPerUser,
}

impl SettingKey {
    /// Every setting, in the order listings show them.
    pub const ALL: [SettingKey; 4] =
        [SettingKey::Enabled, SettingKey::Required, SettingKey::MaxUsesPerCode, SettingKey::MaxCodesPerUser];

    pub fn key(self) -> &'static str {
        match self {
            SettingKey::Enabled => "referral_codes_enabled",
            SettingKey::Required => "referral_codes_required",
            SettingKey::MaxUsesPerCode => "max_number_of_uses_per_code",
            SettingKey::MaxCodesPerUser => "max_number_of_codes_per_user",
        }
    }

    pub fn parse_key(raw: &str) -> Result<SettingKey, String> {
        let raw = raw.trim();
        SettingKey::ALL.into_iter().find(|k| k.key() == raw).ok_or_else(|| {
            let known: Vec<_> = SettingKey::ALL.iter().map(|k| k.key()).collect();
            format!("unknown setting {}: the settings are {}", super::error::shown(raw), known.join(", "))
        })
    }

    /// The accepted range of an integer setting (PhoenixKit's admin page accepts the same).
    pub fn range(self) -> Option<(i32, i32)> {
        match self {
            SettingKey::MaxUsesPerCode => Some((1, 10_000)),
            SettingKey::MaxCodesPerUser => Some((1, 1_000)),
            SettingKey::Enabled | SettingKey::Required => None,
        }
    }

    /// Checks a value typed by a person and returns the text to store (`true`/`false` or a decimal).
    pub fn normalize(self, raw: &str) -> Result<String, String> {
        let text = raw.trim().to_ascii_lowercase();
        match self.range() {
            None => match text.as_str() {
                "true" | "on" | "yes" | "1" => Ok("true".into()),
                "false" | "off" | "no" | "0" => Ok("false".into()),
                _ => Err(format!("{} takes on or off (true/false), not {}", self.key(), super::error::shown(raw))),
            },
            Some((lo, hi)) => match text.parse::<i64>() {
                Ok(n) if (i64::from(lo)..=i64::from(hi)).contains(&n) => Ok(n.to_string()),
                _ => Err(format!(
                    "{} takes a whole number from {lo} to {hi}, not {}",
                    self.key(),
                    super::error::shown(raw)
                )),
            },
        }
    }
}

/// The system configuration, read from stored text; a missing or unreadable row means the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SystemConfig {
    pub enabled: bool,
    pub required: bool,
    pub max_number_of_uses_per_code: i32,
    pub max_number_of_codes_per_user: i32,
}

impl Default for SystemConfig {
    fn default() -> Self {
        SystemConfig {
            enabled: false,
            required: false,
            max_number_of_uses_per_code: 100,
            max_number_of_codes_per_user: 10,
        }
    }
}

impl SystemConfig {
    pub fn value(&self, key: SettingKey) -> SettingValue {
        match key {
            SettingKey::Enabled => SettingValue::Switch(self.enabled),
            SettingKey::Required => SettingValue::Switch(self.required),
            SettingKey::MaxUsesPerCode => SettingValue::Limit(self.max_number_of_uses_per_code),
            SettingKey::MaxCodesPerUser => SettingValue::Limit(self.max_number_of_codes_per_user),
        }
    }

    /// Builds the configuration from `(key, value)` rows as stored. Booleans are exactly `'true'`/`'false'`.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> SystemConfig {
        let mut config = SystemConfig::default();
        for (key, value) in rows {
            let Ok(key) = SettingKey::parse_key(key) else { continue };
            let int = |default: i32| {
                let (lo, hi) = key.range().unwrap_or((i32::MIN, i32::MAX));
                value.trim().parse::<i32>().ok().filter(|n| (lo..=hi).contains(n)).unwrap_or(default)
            };
            match key {
                SettingKey::Enabled => config.enabled = parse_bool(value, config.enabled),
                SettingKey::Required => config.required = parse_bool(value, config.required),
                SettingKey::MaxUsesPerCode => {
                    config.max_number_of_uses_per_code = int(config.max_number_of_uses_per_code)
                }
                SettingKey::MaxCodesPerUser => {
                    config.max_number_of_codes_per_user = int(config.max_number_of_codes_per_user)
                }
            }
        }
        config
    }
}

/// A setting's value in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingValue {
    Switch(bool),
    Limit(i32),
}

/// As people read it: `on`/`off` for a switch, the number for a limit.
impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Switch(on) => f.write_str(if *on { "on" } else { "off" }),
            SettingValue::Limit(n) => write!(f, "{n}"),
        }
    }
}

fn parse_bool(value: &str, default: bool) -> bool {
    match value {
        "true" => true,
        "false" => false,
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_odd_rows_mean_defaults() {
        assert_eq!(SystemConfig::from_rows([]), SystemConfig::default());
        let odd = SystemConfig::from_rows([
            ("referral_codes_enabled", "TRUE"),
            ("max_number_of_uses_per_code", "0"),
            ("unrelated", "x"),
        ]);
        assert_eq!(odd, SystemConfig::default());
    }

    #[test]
    fn stored_values_read_back() {
        let c = SystemConfig::from_rows([
            ("referral_codes_enabled", "true"),
            ("referral_codes_required", "true"),
            ("max_number_of_uses_per_code", "500"),
            ("max_number_of_codes_per_user", "20"),
        ]);
        assert!(c.enabled && c.required);
        assert_eq!((c.max_number_of_uses_per_code, c.max_number_of_codes_per_user), (500, 20));
    }

    #[test]
    fn values_read_as_people_write_them() {
        let c = SystemConfig { enabled: true, ..SystemConfig::default() };
        let shown: Vec<String> = SettingKey::ALL.iter().map(|k| c.value(*k).to_string()).collect();
        assert_eq!(shown, ["on", "off", "100", "10"]);
    }

    #[test]
    fn typed_values_are_checked() {
        assert_eq!(SettingKey::Enabled.normalize("on"), Ok("true".into()));
        assert!(SettingKey::Enabled.normalize("maybe").is_err());
        assert_eq!(SettingKey::MaxUsesPerCode.normalize(" 10000 "), Ok("10000".into()));
        assert!(SettingKey::MaxUsesPerCode.normalize("10001").is_err());
        assert!(SettingKey::MaxCodesPerUser.normalize("-1").is_err());
        assert!(SettingKey::parse_key("nope").unwrap_err().contains("referral_codes_enabled"));
    }
}
