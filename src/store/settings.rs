//! Queries on the settings table for this module's keys.

use crate::domain::settings::{MODULE, SettingKey, SystemConfig};
use crate::store::Exec;
use chrono::{DateTime, Utc};

pub async fn read(exec: Exec<'_>) -> Result<SystemConfig, sqlx::Error> {
    let mut sql = exec.sql("SELECT s.key, s.value FROM {settings} s WHERE ");
    sql.push_in("s.key", &SettingKey::ALL.map(SettingKey::key));
    let rows: Vec<(String, Option<String>)> = exec.fetch_all(&sql).await?;
    Ok(SystemConfig::from_rows(rows.iter().map(|(k, v)| (k.as_str(), v.as_deref().unwrap_or("")))))
}

/// Writes an absolute value (never a flip of a value read earlier), as PhoenixKit's settings module does: the
/// module's name, `date_updated` set, and other columns (`value_json`, an existing row's `uuid`) left alone.
pub async fn write(exec: Exec<'_>, key: SettingKey, value: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let with_uuid = exec.layout().settings_uuid;
    let mut sql = exec.sql("INSERT INTO {settings} (");
    sql.push(if with_uuid { "uuid, " } else { "" }).push("key, value, module, date_added, date_updated) VALUES (");
    if with_uuid {
        sql.bind(crate::domain::ids::Key::Uuid(uuid::Uuid::now_v7())).push(", ");
    }
    sql.bind(key.key()).push(", ").bind(value).push(", ").bind(MODULE).push(", ").bind(now).push(", ").bind(now);
    sql.push(
        ") ON CONFLICT (key) DO UPDATE SET value = excluded.value, module = excluded.module, \
         date_updated = excluded.date_updated",
    );
    exec.execute(&sql).await?;
    Ok(())
}
