//! Logs go to a file (never onto the dashboard's screen); without a writable file, nowhere. The file holds emails and
//! codes, so only its owner may read it, and each line names the database it is about, since one file serves every
//! database the user works on.

use crate::config::Config;
use crate::store::mask_url;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Mutex;
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Starts logging to the configured file, each line naming `database_url` (its password masked). Returns whether
/// a log file is in use.
pub fn init(config: &Config, database_url: Option<&str>) -> bool {
    let Some(path) = config.log_file() else { return false };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = open_private(&path) else { return false };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("refcodes={}", config.log.level)))
        .unwrap_or_else(|_| EnvFilter::new("refcodes=info"));
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .event_format(WithDatabase { database: database_label(database_url), inner: Format::default() })
        .try_init()
        .is_ok()
}

/// Opens the log for appending, readable by its owner alone: new files are made so, and a file left readable by
/// others (as earlier versions made it) is narrowed.
fn open_private(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn database_label(url: Option<&str>) -> String {
    url.map_or_else(|| "unknown".to_string(), mask_url)
}

/// The default line with the database as its last field.
struct WithDatabase {
    database: String,
    inner: Format,
}

impl<S, N> FormatEvent<S, N> for WithDatabase
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    Format: FormatEvent<S, N>,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = String::new();
        self.inner.format_event(ctx, Writer::new(&mut line), event)?;
        writeln!(writer, "{} database={}", line.trim_end_matches('\n'), self.database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_named_without_its_password() {
        assert_eq!(database_label(Some("postgres://bob:s3cret@db/app")), "postgres://bob:****@db/app");
        assert_eq!(database_label(None), "unknown");
    }

    #[test]
    fn the_log_is_private_even_when_an_earlier_version_made_it_readable() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.log");
        open_private(&new).unwrap();
        assert_eq!(std::fs::metadata(&new).unwrap().permissions().mode() & 0o777, 0o600);
        let old = dir.path().join("old.log");
        std::fs::write(&old, "").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_private(&old).unwrap();
        assert_eq!(std::fs::metadata(&old).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
