//! The module's settings: read with defaults, written as absolute values by admins.

use super::Service;
use crate::domain::Refusal;
use crate::domain::settings::{SettingKey, SystemConfig};
use crate::error::Result;
use crate::store::settings;

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
        settings::write(tx.exec(), key, &value, self.now()).await?;
        tx.commit().await?;
        tracing::info!(key = key.key(), value, by = %operator.user.email, "setting written");
        self.get_config().await
    }
}
