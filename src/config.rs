//! Configuration: the defaults of `config/default.toml`, a user file over them, environment variables over both.
//! Every section is checked here, the dashboard's too, so a bad value stops any command before a database is
//! opened, and the error names the file or variable that brought it in.

use crate::error::{Error, Result};
use crate::tui::keymap::{KeyMap, KeysConfig};
use crate::tui::theme::{Theme, ThemeConfig};
use serde::Deserialize;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// The sections of the file; anything else is a typo worth an error.
const SECTIONS: [&str; 7] = ["database", "codes", "operator", "log", "dashboard", "theme", "keys"];

/// Levels `[log] level` takes (as tracing spells them; `off` too).
const LOG_LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub codes: CodesConfig,
    pub operator: OperatorConfig,
    pub log: LogConfig,
    /// `[dashboard]`, `[theme]` and `[keys]`, read into what the dashboard uses.
    pub dashboard: DashboardConfig,
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

/// What the dashboard's sections say, checked.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    pub refresh: Duration,
    pub debounce: Duration,
    /// The configured colours; NO_COLOR drops them when the dashboard starts.
    pub theme: Theme,
    pub keymap: KeyMap,
    /// A delete of more codes than this asks for their number to be typed.
    pub type_to_delete_over: i64,
}

/// The file as written, before the dashboard's sections are read.
#[derive(Deserialize)]
struct File {
    database: DatabaseConfig,
    codes: CodesConfig,
    operator: OperatorConfig,
    log: LogConfig,
    dashboard: DashboardSection,
    theme: ThemeConfig,
    keys: KeysConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DashboardSection {
    refresh_seconds: u64,
    filter_debounce_ms: u64,
    theme: String,
    type_to_delete_over: u64,
}

/// Where the configuration comes from, over the defaults.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--config FILE`; it wins over `$REFCODES_CONFIG` and `user_file`.
    pub file: Option<PathBuf>,
    /// The user's own file, read when it exists and no other is named. `None` reads none (as tests do).
    pub user_file: Option<PathBuf>,
    /// The process environment. Only refcodes' own variables are read; others, whatever their bytes, are not.
    pub env: Vec<(OsString, OsString)>,
}

impl Sources {
    /// This process's: `--config`, the file in the user's config directory, and the environment.
    pub fn of_process(file: Option<PathBuf>) -> Sources {
        Sources { file, user_file: user_config_path(), env: std::env::vars_os().collect() }
    }

    /// The file to read, if any: `--config`, else `$REFCODES_CONFIG` (unless empty), else the user's file if it
    /// exists.
    fn config_file(&self) -> Option<PathBuf> {
        let named = self.env.iter().find(|(k, _)| k == "REFCODES_CONFIG").map(|(_, v)| v).filter(|v| !v.is_empty());
        match (&self.file, named) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(path)) => Some(PathBuf::from(path)),
            (None, None) => self.user_file.clone().filter(|p| p.exists()),
        }
    }

    /// What each source sets, in the order they apply, with how errors name it.
    fn layers(&self) -> Result<Vec<(String, toml::Table)>> {
        let mut layers = Vec::new();
        if let Some(path) = self.config_file() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Config(format!("can't read config file {}: {e}", path.display())))?;
            let table: toml::Table = text
                .parse()
                .map_err(|e| Error::Config(format!("config file {} is not valid TOML: {e}", path.display())))?;
            layers.push((format!("config file {}", path.display()), table));
        }
        for (name, value) in &self.env {
            let shown = name.to_string_lossy();
            let path: Vec<String> = match shown.as_ref() {
                "REFCODES_DATABASE_URL" => vec!["database".into(), "url".into()],
                "REFCODES_DATABASE_SCHEMA" => vec!["database".into(), "schema".into()],
                "REFCODES_OPERATOR" => vec!["operator".into(), "email".into()],
                other => match other.strip_prefix("REFCODES__") {
                    Some(rest) => rest.split("__").map(str::to_ascii_lowercase).collect(),
                    None => continue,
                },
            };
            let (Some(_), Some(value)) = (name.to_str(), value.to_str()) else {
                return Err(Error::Config(format!("environment variable {shown} is not valid UTF-8")));
            };
            let mut table = toml::Table::new();
            set_path(&mut table, &path, env_value(value))
                .map_err(|e| Error::Config(format!("environment variable {shown}: {e}")))?;
            layers.push((format!("environment variable {shown}"), table));
        }
        Ok(layers)
    }
}

impl Config {
    /// Loads and checks the configuration from `sources` over the defaults.
    pub fn load(sources: &Sources) -> Result<Config> {
        let layers = sources.layers()?;
        let mut table = defaults();
        for (_, layer) in &layers {
            merge(&mut table, layer.clone());
        }
        Config::from_table(table).map_err(|message| {
            // The defaults are good, so a source brought the error in: the first one after which it shows.
            let mut table = defaults();
            let source = layers.iter().find(|(_, layer)| {
                merge(&mut table, layer.clone());
                Config::from_table(table.clone()).err().as_ref() == Some(&message)
            });
            Error::Config(match source {
                Some((name, _)) => format!("{message} (from {name})"),
                None => message,
            })
        })
    }

    /// Only the defaults, as `config/default.toml` has them.
    pub fn defaults() -> Config {
        Config::from_table(defaults()).expect("config/default.toml is valid")
    }

    fn from_table(table: toml::Table) -> std::result::Result<Config, String> {
        if let Some(unknown) = table.keys().find(|k| !SECTIONS.contains(&k.as_str())) {
            return Err(format!("unknown section [{unknown}]: the sections are {}", SECTIONS.join(", ")));
        }
        // toml puts the key on a line of its own; one line reads better after "configuration error:".
        let file: File =
            table.try_into().map_err(|e| e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))?;
        let codes = &file.codes;
        if !(3..=50).contains(&codes.length) {
            return Err(format!("codes.length must be 3 to 50, not {}", codes.length));
        }
        if !(1..=36_500).contains(&codes.expiry_days) {
            return Err(format!("codes.expiry_days must be 1 to 36500, not {}", codes.expiry_days));
        }
        if !(1..=10_000).contains(&codes.max_uses) {
            return Err(format!("codes.max_uses must be 1 to 10000, not {}", codes.max_uses));
        }
        if file.database.max_connections == 0 {
            return Err("database.max_connections must be at least 1".into());
        }
        if !LOG_LEVELS.contains(&file.log.level.to_ascii_lowercase().as_str()) {
            return Err(format!("log.level must be one of {}, not {:?}", LOG_LEVELS.join(", "), file.log.level));
        }
        let dashboard = DashboardConfig {
            refresh: Duration::from_secs(file.dashboard.refresh_seconds.max(1)),
            debounce: Duration::from_millis(file.dashboard.filter_debounce_ms),
            theme: Theme::from_config(&file.dashboard.theme, &file.theme)?,
            keymap: KeyMap::from_config(&file.keys)?,
            type_to_delete_over: i64::try_from(file.dashboard.type_to_delete_over).unwrap_or(i64::MAX),
        };
        Ok(Config { database: file.database, codes: file.codes, operator: file.operator, log: file.log, dashboard })
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
}

fn defaults() -> toml::Table {
    DEFAULTS.parse().expect("config/default.toml is valid TOML")
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
    use crate::tui::keymap::{Action, Mode};
    use std::os::unix::ffi::OsStringExt;

    fn env(pairs: &[(&str, &str)]) -> Sources {
        Sources { env: pairs.iter().map(|(k, v)| (k.into(), v.into())).collect(), ..Sources::default() }
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults_load() {
        let err = Config::load(&env(&[("REFCODES_CONFIG", "/nonexistent/none.toml")])).unwrap_err();
        assert!(err.to_string().contains("can't read config file"));
        let (_dir, path) = file("[codes]\nlength = 8\n");
        let c = Config::load(&Sources { file: Some(path), ..Sources::default() }).unwrap();
        assert_eq!(c.codes.length, 8);
        assert_eq!(c.codes.max_uses, 100);
    }

    #[test]
    fn without_a_named_file_the_user_file_is_read_if_it_exists() {
        let (_dir, path) = file("[codes]\nlength = 9\n");
        let user = |p: &std::path::Path| Sources { user_file: Some(p.to_path_buf()), ..Sources::default() };
        assert_eq!(Config::load(&user(&path)).unwrap().codes.length, 9);
        assert_eq!(Config::load(&user(&path.with_extension("gone"))).unwrap().codes.length, 5);
        let empty = Sources { env: vec![("REFCODES_CONFIG".into(), "".into())], ..user(&path) };
        assert_eq!(Config::load(&empty).unwrap().codes.length, 9, "an empty REFCODES_CONFIG names no file");
    }

    #[test]
    fn environment_wins_over_files() {
        let (_dir, path) = file("[codes]\nexpiry_days = 3\n");
        let c = Config::load(&Sources {
            file: Some(path),
            ..env(&[
                ("REFCODES_DATABASE_URL", "sqlite://x.db"),
                ("REFCODES__CODES__EXPIRY_DAYS", "30"),
                ("REFCODES_OPERATOR", "ops@example.com"),
            ])
        })
        .unwrap();
        assert_eq!(c.database.url, "sqlite://x.db");
        assert_eq!(c.codes.expiry_days, 30);
        assert_eq!(c.operator.email, "ops@example.com");
    }

    #[test]
    fn bad_values_are_named_with_their_source() {
        let err = Config::load(&env(&[("REFCODES__CODES__LENGTH", "2")])).unwrap_err().to_string();
        assert!(err.contains("codes.length") && err.contains("REFCODES__CODES__LENGTH"), "{err}");
        let err = Config::load(&env(&[("REFCODES__CODES__LENGHT", "8")])).unwrap_err();
        assert!(err.to_string().contains("lenght"), "{err}");
        let err = Config::load(&env(&[("REFCODES__DATABSE__URL", "x")])).unwrap_err();
        assert!(err.to_string().contains("[databse]"), "{err}");
        let (_dir, path) = file("[log]\nlevel = \"loud\"\n");
        let err = Config::load(&Sources { file: Some(path.clone()), ..Sources::default() }).unwrap_err().to_string();
        assert!(err.contains("log.level") && err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn a_value_put_right_by_a_later_source_is_no_error() {
        let (_dir, path) = file("[codes]\nlength = 2\n");
        let c = Config::load(&Sources { file: Some(path), ..env(&[("REFCODES__CODES__LENGTH", "6")]) }).unwrap();
        assert_eq!(c.codes.length, 6);
    }

    #[test]
    fn the_dashboard_sections_are_checked_at_load() {
        let (_dir, path) = file("[keys.list]\n\"x\" = \"explode\"\n");
        let err = Config::load(&Sources { file: Some(path.clone()), ..Sources::default() }).unwrap_err().to_string();
        assert!(err.contains("explode") && err.contains(&path.display().to_string()), "{err}");
        let err = Config::load(&env(&[("REFCODES__THEME__ACCENT", "glitter")])).unwrap_err().to_string();
        assert!(err.contains("glitter") && err.contains("REFCODES__THEME__ACCENT"), "{err}");
        let err = Config::load(&env(&[("REFCODES__DASHBOARD__REFRESH", "5")])).unwrap_err().to_string();
        assert!(err.contains("refresh"), "{err}");

        let c = Config::load(&env(&[("REFCODES__KEYS__LIST__Z", "quit")])).unwrap();
        assert_eq!(c.dashboard.keymap.key_for(Mode::List, Action::Quit).unwrap().to_string(), "z");
    }

    #[test]
    fn the_light_theme_is_a_preset_and_colours_override_it() {
        use ratatui::style::Color;
        let dark = Config::load(&Sources::default()).unwrap().dashboard.theme;
        let (_dir, path) = file("[dashboard]\ntheme = \"light\"\n\n[theme]\nerror = \"magenta\"\n");
        let light = Config::load(&Sources { file: Some(path), ..Sources::default() }).unwrap().dashboard.theme;
        assert_ne!(light.accent, dark.accent);
        assert_eq!(light.error, Some(Color::Magenta));
        let err = Config::load(&env(&[("REFCODES__DASHBOARD__THEME", "sepia")])).unwrap_err().to_string();
        assert!(err.contains("dark or light") && err.contains("REFCODES__DASHBOARD__THEME"), "{err}");
    }

    #[test]
    fn only_our_variables_are_read_and_they_must_be_utf8() {
        let junk = (OsString::from_vec(b"FOO".to_vec()), OsString::from_vec(vec![0xff]));
        let odd_name = (OsString::from_vec(b"X\xff".to_vec()), OsString::from("1"));
        assert!(Config::load(&Sources { env: vec![junk, odd_name], ..Sources::default() }).is_ok());
        let ours = (OsString::from("REFCODES_OPERATOR"), OsString::from_vec(vec![b'a', 0xff]));
        let err = Config::load(&Sources { env: vec![ours], ..Sources::default() }).unwrap_err().to_string();
        assert!(err.contains("REFCODES_OPERATOR is not valid UTF-8"), "{err}");
    }
}
