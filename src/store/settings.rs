//! Queries on `phoenix_kit_settings` for this module's keys.

use crate::domain::settings::{MODULE, SettingKey, SystemConfig};
use crate::store::{Exec, Sql};
use chrono::{DateTime, Utc};

pub async fn read(exec: Exec<'_>) -> Result<SystemConfig, sqlx::Error> {
    let mut sql = Sql::new("SELECT s.key, s.value FROM phoenix_kit_settings s WHERE ");
    sql.push_in(exec.backend(), "s.key", &SettingKey::ALL.map(SettingKey::key));
    let rows: Vec<(String, Option<String>)> = exec.fetch_all(&sql).await?;
    Ok(SystemConfig::from_rows(rows.iter().map(|(k, v)| (k.as_str(), v.as_deref().unwrap_or("")))))
}

/// Writes an absolute value (never a flip of a value read earlier).
pub async fn write(exec: Exec<'_>, key: SettingKey, value: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = Sql::new("INSERT INTO phoenix_kit_settings (key, value, module, date_added, date_updated) VALUES (")
        .and("", key.key())
        .and(", ", value)
        .and(", ", MODULE)
        .and(", ", now)
        .and(", ", now)
        .then(
            ") ON CONFLICT (key) DO UPDATE SET value = excluded.value, module = excluded.module, \
             date_updated = excluded.date_updated",
        );
    exec.execute(&sql).await?;
    Ok(())
}
