//! The module's settings: defaults when rows are missing, absolute writes, and the rules for values, both as typed
//! and as found stored.

#[macro_use]
mod common;

use common::*;
use refcodes::domain::ErrorKind;
use refcodes::domain::settings::{SettingKey, SystemConfig};

/// Rows of this module's settings (a PhoenixKit database holds the application's other settings beside them).
const SETTINGS_ROWS: &str = "SELECT count(*) FROM phoenix_kit_settings WHERE key IN ('referral_codes_enabled', \
                             'referral_codes_required', 'max_number_of_uses_per_code', 'max_number_of_codes_per_user')";

every!(missing_rows_mean_the_defaults, check_missing_rows_mean_the_defaults);
async fn check_missing_rows_mean_the_defaults(db: &TestDb) {
    let h = db.harness().await;
    assert_eq!(db.count(SETTINGS_ROWS).await, 0, "a fresh database stores no settings");
    let config = h.base.get_config().await.unwrap();
    assert_eq!(
        config,
        SystemConfig {
            enabled: false,
            required: false,
            max_number_of_uses_per_code: 100,
            max_number_of_codes_per_user: 10
        }
    );
    assert!(!h.base.enabled().await.unwrap());
    assert!(!h.base.required().await.unwrap());

    // Written, then removed again: the default is back.
    h.owner.enable_system().await.unwrap();
    h.owner.set_setting(SettingKey::MaxUsesPerCode, "700").await.unwrap();
    db.execute("DELETE FROM phoenix_kit_settings WHERE module = 'referral_codes'").await;
    assert_eq!(h.base.get_config().await.unwrap(), SystemConfig::default());
}

every!(writes_are_absolute_and_stored_in_the_module, check_writes_are_absolute_and_stored_in_the_module);
async fn check_writes_are_absolute_and_stored_in_the_module(db: &TestDb) {
    let h = db.harness().await;
    for _ in 0..2 {
        let config = h.owner.enable_system().await.unwrap();
        assert!(config.enabled, "enabling twice leaves it enabled (a set, not a flip)");
    }
    for _ in 0..2 {
        assert!(!h.owner.disable_system().await.unwrap().enabled);
    }
    for _ in 0..2 {
        assert!(h.owner.set_required(true).await.unwrap().required);
    }
    assert!(!h.owner.set_required(false).await.unwrap().required);
    assert!(!h.base.required().await.unwrap());

    // One row per key, in the module, with the text PhoenixKit stores.
    assert_eq!(db.count(SETTINGS_ROWS).await, 2);
    let stored = |key: &str, value: &str| {
        format!(
            "SELECT count(*) FROM phoenix_kit_settings WHERE key = '{key}' AND value = '{value}' AND module = 'referral_codes'"
        )
    };
    assert_eq!(db.count(&stored("referral_codes_enabled", "false")).await, 1);
    assert_eq!(db.count(&stored("referral_codes_required", "false")).await, 1);
    h.owner.set_setting(SettingKey::MaxCodesPerUser, " 25 ").await.unwrap();
    assert_eq!(db.count(&stored("max_number_of_codes_per_user", "25")).await, 1);

    // A second service that read the old value earlier still writes what it is told.
    let stale = h.acting_as(OWNER_EMAIL).await;
    assert!(!stale.enabled().await.unwrap());
    h.owner.enable_system().await.unwrap();
    assert!(stale.enable_system().await.unwrap().enabled);
    assert!(h.base.enabled().await.unwrap());
}

every!(typed_values_follow_the_rules, check_typed_values_follow_the_rules);
async fn check_typed_values_follow_the_rules(db: &TestDb) {
    let h = db.harness().await;
    let admin = h.admin().await;
    for (raw, expected) in [
        ("on", true),
        ("off", false),
        ("YES", true),
        ("no", false),
        (" 1 ", true),
        ("0", false),
        ("TRUE", true),
        ("False", false),
    ] {
        for key in [SettingKey::Enabled, SettingKey::Required] {
            let config = admin.set_setting(key, raw).await.unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            let value = if key == SettingKey::Enabled { config.enabled } else { config.required };
            assert_eq!(value, expected, "{key:?} {raw:?}");
        }
    }
    let bools = ["", "maybe", "2", "truee", "y", "-1", "on off"];
    let ints =
        ["", "0", "-1", "1.5", "abc", "1e3", "9223372036854775807", "9223372036854775808", "-9223372036854775808"];
    for key in SettingKey::ALL {
        let before = h.snapshot().await;
        let mut bad: Vec<String> =
            if key.range().is_some() { ints.map(String::from).to_vec() } else { bools.map(String::from).to_vec() };
        if let Some((_, hi)) = key.range() {
            bad.push((hi + 1).to_string());
        }
        for raw in &bad {
            let refusal = refused(admin.set_setting(key, raw).await, ErrorKind::Validation, raw);
            assert_eq!(refusal.fields[0].field, "value");
            assert!(refusal.message.contains(key.key()), "{}", refusal.message);
        }
        assert_eq!(h.snapshot().await, before, "{key:?}");
    }
    for (key, lo, hi) in [(SettingKey::MaxUsesPerCode, 1, 10_000), (SettingKey::MaxCodesPerUser, 1, 1_000)] {
        assert_eq!(key.range(), Some((lo, hi)));
        for n in [lo, hi] {
            let config = admin.set_setting(key, &n.to_string()).await.unwrap();
            let value = if key == SettingKey::MaxUsesPerCode {
                config.max_number_of_uses_per_code
            } else {
                config.max_number_of_codes_per_user
            };
            assert_eq!(value, n);
        }
    }
}

every!(odd_stored_values_read_as_the_defaults, check_odd_stored_values_read_as_the_defaults);
async fn check_odd_stored_values_read_as_the_defaults(db: &TestDb) {
    let h = db.harness().await;
    h.owner.enable_system().await.unwrap();
    h.owner.set_required(true).await.unwrap();
    h.owner.set_setting(SettingKey::MaxUsesPerCode, "500").await.unwrap();
    h.owner.set_setting(SettingKey::MaxCodesPerUser, "20").await.unwrap();
    assert_eq!(
        h.base.get_config().await.unwrap(),
        SystemConfig {
            enabled: true,
            required: true,
            max_number_of_uses_per_code: 500,
            max_number_of_codes_per_user: 20
        }
    );
    // Someone else wrote these: only the exact texts count, anything else is the default.
    for (enabled, number) in [("TRUE", "0"), ("yes", "10001"), ("1", "abc"), (" true", "-5"), ("", "")] {
        db.execute(&format!(
            "UPDATE phoenix_kit_settings SET value = CASE key \
             WHEN 'referral_codes_enabled' THEN '{enabled}' WHEN 'referral_codes_required' THEN '{enabled}' \
             ELSE '{number}' END"
        ))
        .await;
        assert_eq!(h.base.get_config().await.unwrap(), SystemConfig::default(), "{enabled:?} / {number:?}");
    }
    db.execute("UPDATE phoenix_kit_settings SET value = NULL").await;
    assert_eq!(h.base.get_config().await.unwrap(), SystemConfig::default());
    // Rows of other modules are no concern of ours.
    db.execute(
        "INSERT INTO phoenix_kit_settings (key, value, module, date_added, date_updated) \
         VALUES ('site_name', 'true', 'core', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    )
    .await;
    assert_eq!(h.base.get_config().await.unwrap(), SystemConfig::default());
    // A read-back default is also what the rules use: the system is off, so a code is refused as disabled.
    h.code("AFTER", 5).await;
    refused(h.base.use_code("AFTER", h.owner_user.id).await, ErrorKind::SystemDisabled, "odd 'TRUE' is not enabled");
    h.owner.enable_system().await.unwrap();
    h.base.use_code("AFTER", h.owner_user.id).await.unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM phoenix_kit_settings WHERE key = 'site_name' AND value = 'true'").await,
        1
    );
}
