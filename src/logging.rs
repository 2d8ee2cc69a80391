//! Logs go to a file (never onto the dashboard's screen); without a writable file, nowhere.

use crate::config::Config;
use std::fs::OpenOptions;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// Starts logging to the configured file. Returns whether a log file is in use.
pub fn init(config: &Config) -> bool {
    let Some(path) = config.log_file() else { return false };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = OpenOptions::new().create(true).append(true).open(&path) else { return false };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("refcodes={}", config.log.level)))
        .unwrap_or_else(|_| EnvFilter::new("refcodes=info"));
    tracing_subscriber::fmt().with_writer(Mutex::new(file)).with_ansi(false).with_env_filter(filter).try_init().is_ok()
}
