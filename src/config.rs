//! Configuration: the defaults of `config/default.toml`, a user file over them, environment variables over both.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Sections outside the core ones; anything else is a typo worth an error.
const DASHBOARD_SECTIONS: [&str; 3] = ["dashboard", "theme", "keys"];

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub database: DatabaseConfig,
    pub codes: CodesConfig,
    pub operator: OperatorConfig,
    pub log: LogConfig,
    /// Sections that belong to the dashboard (keys, theme, refresh), read by it with [`Config::section`].
    #[serde(flatten)]
    pub rest: toml::Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub schema: String,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesConfig {
    pub length: usize,
    pub expiry_days: i64,
    pub max_uses: i32,
    pub generate_attempts: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    pub email: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub file: String,
    pub level: String,
}

impl Config {
    /// Loads the configuration. `file` is `--config`; without it `$REFCODES_CONFIG`, then the user's config
    /// directory, are tried. `env` is the process environment (passed in so tests can give their own).
    pub fn load(file: Option<&Path>, env: &[(String, String)]) -> Result<Config> {
        let mut table: toml::Table = DEFAULTS.parse().expect("config/default.toml is valid TOML");
        let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let user_file = match (file, var("REFCODES_CONFIG")) {
            (Some(path), _) => Some(path.to_path_buf()),
            (None, Some(path)) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => user_config_path().filter(|p| p.exists()),
        };
        if let Some(path) = user_file {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("can't read config file {}: {e}", path.display())))?;
            let user: toml::Table = text
                .parse()
                .map_err(|e| Error::Config(format!("config file {} is not valid TOML: {e}", path.display())))?;
            merge(&mut table, user);
        }
        for (name, value) in env {
            let path: Vec<String> = match name.as_str() {
                "REFCODES_DATABASE_URL" => vec!["database".into(), "url".into()],
                "REFCODES_DATABASE_SCHEMA" => vec!["database".into(), "schema".into()],
                "REFCODES_OPERATOR" => vec!["operator".into(), "email".into()],
                other => match other.strip_prefix("REFCODES__") {
                    Some(rest) => rest.split("__").map(str::to_ascii_lowercase).collect(),
                    None => continue,
                },
            };
            set_path(&mut table, &path, env_value(value))
                .map_err(|e| Error::Config(format!("environment variable {name}: {e}")))?;
        }
        let config: Config = table.try_into().map_err(|e| Error::Config(format!("{e}")))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if let Some(unknown) = self.rest.keys().find(|k| !DASHBOARD_SECTIONS.contains(&k.as_str())) {
            return bad(format!(
                "unknown section [{unknown}]: the sections are database, codes, operator, log, {}",
                DASHBOARD_SECTIONS.join(", ")
            ));
        }
        if !(3..=50).contains(&self.codes.length) {
            return bad(format!("codes.length must be 3 to 50, not {}", self.codes.length));
        }
        if !(1..=36_500).contains(&self.codes.expiry_days) {
            return bad(format!("codes.expiry_days must be 1 to 36500, not {}", self.codes.expiry_days));
        }
        if !(1..=10_000).contains(&self.codes.max_uses) {
            return bad(format!("codes.max_uses must be 1 to 10000, not {}", self.codes.max_uses));
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections must be at least 1".into());
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn database_url(&self) -> Result<String> {
        if !self.database.url.trim().is_empty() {
            return Ok(self.database.url.trim().to_string());
        }
        let dir = data_dir().ok_or_else(|| Error::Config("no home directory: set database.url".into()))?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::Config(format!("can't create {}: {e}", dir.display())))?;
        Ok(format!("sqlite://{}", dir.join("refcodes.db").display()))
    }

    pub fn log_file(&self) -> Option<PathBuf> {
        if self.log.file.trim().is_empty() {
            data_dir().map(|d| d.join("refcodes.log"))
        } else {
            Some(self.log.file.clone().into())
        }
    }

    /// A section outside the core ones (such as the dashboard's), deserialised on demand.
    pub fn section<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<T> {
        let value = self.rest.get(name).cloned().unwrap_or(toml::Value::Table(toml::Table::new()));
        value.try_into().map_err(|e| Error::Config(format!("[{name}]: {e}")))
    }
}

pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "refcodes").map(|d| d.data_dir().to_path_buf())
}

fn user_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "refcodes").map(|d| d.config_dir().join("config.toml"))
}

/// Overlays `over` onto `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> std::result::Result<(), String> {
    match path {
        [] => Err("names no key".into()),
        [key] => {
            table.insert(key.clone(), value);
            Ok(())
        }
        [section, rest @ ..] => {
            let entry = table.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("{section} is not a section")),
            }
        }
    }
}

/// An environment value as TOML when it reads as a number or boolean, else as a string.
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_str())
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load() {
        let c = Config::load(None, &env(&[("REFCODES_CONFIG", "/nonexistent/none.toml")])).unwrap_err();
        assert!(c.to_string().contains("can't read config file"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[codes]\nlength = 8\n").unwrap();
        let c = Config::load(Some(&file), &[]).unwrap();
        assert_eq!(c.codes.length, 8);
        assert_eq!(c.codes.max_uses, 100);
    }

    #[test]
    fn environment_wins_over_files() {
        let c = Config::load(
            None,
            &env(&[
                ("REFCODES_CONFIG", ""),
                ("REFCODES_DATABASE_URL", "sqlite://x.db"),
                ("REFCODES__CODES__EXPIRY_DAYS", "30"),
                ("REFCODES_OPERATOR", "ops@example.com"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database.url, "sqlite://x.db");
        assert_eq!(c.codes.expiry_days, 30);
        assert_eq!(c.operator.email, "ops@example.com");
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::load(None, &env(&[("REFCODES__CODES__LENGTH", "2")])).unwrap_err();
        assert!(err.to_string().contains("codes.length"), "{err}");
        let err = Config::load(None, &env(&[("REFCODES__CODES__LENGHT", "8")])).unwrap_err();
        assert!(err.to_string().contains("lenght"), "{err}");
        let err = Config::load(None, &env(&[("REFCODES__DATABSE__URL", "x")])).unwrap_err();
        assert!(err.to_string().contains("[databse]"), "{err}");
    }
}
