//! The stats and settings screens.

use super::notify::{self, fail, info, online};
use crate::domain::settings::{SettingKey, SettingValue, SystemConfig};
use crate::tui::keymap::Action;
use crate::tui::model::{ConfirmState, Confirmed, Failure, Model, StatsData};
use crate::tui::msg::Cmd;
use chrono::Duration;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// Days the usage chart covers.
pub const CHART_DAYS: i64 = 30;

pub fn load_stats(model: &mut Model) -> Cmd {
    model.stats.loading = true;
    let last = model.now.date_naive();
    Cmd::LoadStats { first: last - Duration::days(CHART_DAYS - 1), last }
}

pub fn stats_loaded(model: &mut Model, result: Result<StatsData, Failure>) -> Vec<Cmd> {
    model.stats.loading = false;
    match result {
        Ok(data) => {
            online(model);
            model.stats.scroll = model.stats.scroll.min(data.recent.len().saturating_sub(1));
            model.stats.data = Some(data);
            model.stats.error = None;
        }
        Err(failure) => {
            model.stats.error = Some(failure.message.clone());
            fail(model, &failure);
        }
    }
    Vec::new()
}

pub fn stats_key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let last = model.stats.data.as_ref().map_or(0, |d| d.recent.len().saturating_sub(1));
    match action {
        Some(Action::Up) => model.stats.scroll = model.stats.scroll.saturating_sub(1),
        Some(Action::Down) => model.stats.scroll = (model.stats.scroll + 1).min(last),
        _ => {}
    }
    Vec::new()
}

pub fn settings_key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let key_at_cursor = SettingKey::ALL[model.settings.cursor.min(SettingKey::ALL.len() - 1)];
    if let Some(input) = model.settings.editing.as_mut() {
        match action {
            Some(Action::Cancel) => {
                model.settings.editing = None;
                model.settings.error = None;
            }
            Some(Action::Accept) => match key_at_cursor.normalize(input.value()) {
                Ok(value) => {
                    model.settings.editing = None;
                    model.settings.error = None;
                    model.settings.saving = true;
                    return vec![Cmd::SetSetting { key: key_at_cursor, value }];
                }
                Err(message) => model.settings.error = Some(message),
            },
            _ => {
                if input.handle_event(&Event::Key(*key)).is_some_and(|c| c.value) {
                    model.settings.error = key_at_cursor.normalize(input.value()).err();
                }
            }
        }
        return Vec::new();
    }
    match action {
        Some(Action::Up) => model.settings.cursor = model.settings.cursor.saturating_sub(1),
        Some(Action::Down) => model.settings.cursor = (model.settings.cursor + 1).min(SettingKey::ALL.len() - 1),
        Some(Action::Accept) => {
            if !model.session.can_administer {
                notify::read_only(model);
                return Vec::new();
            }
            let Some(config) = model.header.config else {
                info(model, "The settings are still loading");
                return Vec::new();
            };
            match config.value(key_at_cursor) {
                // An absolute value: the opposite of what the screen shows, never a blind flip.
                SettingValue::Switch(shown) => {
                    let value = (!shown).to_string();
                    // Turning codes off, or making them required, changes every registration at once: ask first.
                    let question = match (key_at_cursor, shown) {
                        (SettingKey::Enabled, true) => Some((
                            "Turn off",
                            "Turn referral codes off for the whole system? Registration will ignore every code until \
                             they are turned on again.",
                        )),
                        (SettingKey::Required, false) => Some((
                            "Require",
                            "Make a referral code required? Registration without a valid code will be refused.",
                        )),
                        _ => None,
                    };
                    if let Some((label, message)) = question {
                        let then = Confirmed::Setting { key: key_at_cursor, value };
                        model.confirm = Some(ConfirmState::new(label, message.to_string(), label, then));
                        return Vec::new();
                    }
                    model.settings.saving = true;
                    return vec![Cmd::SetSetting { key: key_at_cursor, value }];
                }
                SettingValue::Limit(n) => model.settings.editing = Some(Input::new(n.to_string())),
            }
        }
        _ => {}
    }
    Vec::new()
}

pub fn setting_saved(model: &mut Model, result: Result<SystemConfig, Failure>) -> Vec<Cmd> {
    model.settings.saving = false;
    match result {
        Ok(config) => {
            online(model);
            model.header.config = Some(config);
            info(model, "Setting saved");
            vec![Cmd::LoadHeader]
        }
        Err(failure) => {
            model.settings.error = Some(failure.message.clone());
            fail(model, &failure);
            Vec::new()
        }
    }
}
