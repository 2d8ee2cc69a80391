//! The module's settings: read with defaults, written as absolute values by admins.

use super::Service;
use crate::domain::Refusal;
use crate::domain::audit::{Action, NewEvent};
use crate::domain::settings::{SettingKey, SystemConfig};
use crate::error::Result;
use crate::store::settings;
use serde_json::{Map, Value, json};

/// The fields of two configurations that differ, each `{"old": .., "new": ..}`.
fn json_changes(before: &SystemConfig, after: &SystemConfig) -> Value {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        unreachable!("a configuration serialises as an object")
    };
    let changed: Map<String, Value> = old
        .into_iter()
        .filter_map(|(field, was)| {
            let now = new.get(&field).cloned().unwrap_or(Value::Null);
            (was != now).then(|| (field, json!({"old": was, "new": now})))
        })
        .collect();
    Value::Object(changed)
}

impl Service {
    /// The spec's `get_config`, with the two limits.
    pub async fn get_config(&self) -> Result<SystemConfig> {
        Ok(settings::read(self.db.exec()).await?)
    }

    /// The spec's `enabled?`.
    pub async fn enabled(&self) -> Result<bool> {
        Ok(self.get_config().await?.enabled)
    }

    /// The spec's `required?`.
    pub async fn required(&self) -> Result<bool> {
        Ok(self.get_config().await?.required)
    }

    pub async fn enable_system(&self) -> Result<SystemConfig> {
        self.set_setting(SettingKey::Enabled, "true").await
    }

    pub async fn disable_system(&self) -> Result<SystemConfig> {
        self.set_setting(SettingKey::Enabled, "false").await
    }

    pub async fn set_required(&self, required: bool) -> Result<SystemConfig> {
        self.set_setting(SettingKey::Required, if required { "true" } else { "false" }).await
    }

    /// Writes one setting after checking the value; returns the configuration as it now is.
    pub async fn set_setting(&self, key: SettingKey, value: &str) -> Result<SystemConfig> {
        self.require_admin()?;
        let value = key.normalize(value).map_err(|m| Refusal::field("value", m))?;
        let (mut tx, operator) = self.begin_admin_write().await?;
        let before = settings::read(tx.exec()).await?;
        settings::write(tx.exec(), key, &value, self.now()).await?;
        let after = settings::read(tx.exec()).await?;
        let changes = json_changes(&before, &after);
        if changes.as_object().is_some_and(|m| !m.is_empty()) {
            self.record(&mut tx, &operator, &[NewEvent::of_module(Action::SettingsUpdated, changes)]).await?;
        }
        tx.commit().await?;
        tracing::info!(key = key.key(), value, by = %operator.user.email, "setting written");
        self.get_config().await
    }
}
