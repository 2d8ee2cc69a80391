//! The stats and settings screens.

use super::notify::{self, fail, info, online};
use crate::domain::settings::{SettingKey, SettingValue, SystemConfig};
use crate::tui::keymap::Action;
use crate::tui::model::{ConfirmState, Confirmed, Failure, Model, StatsData, StatsList};
use crate::tui::msg::Cmd;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

pub fn load_stats(model: &mut Model) -> Cmd {
    model.stats.loading = true;
    Cmd::LoadStats { window: model.stats.window }
}

pub fn stats_loaded(model: &mut Model, result: Result<StatsData, Failure>) -> Vec<Cmd> {
    match result {
        // The answer for a window switched away from meanwhile: the one asked for since is on its way.
        Ok(data) if data.window != model.stats.window => return Vec::new(),
        Ok(data) => {
            online(model);
            model.stats.data = Some(data);
            model.stats.scroll = model.stats.scroll.min(stats_rows(model).saturating_sub(1));
            model.stats.error = None;
        }
        Err(failure) => {
            model.stats.error = Some(failure.message.clone());
            fail(model, &failure);
        }
    }
    model.stats.loading = false;
    Vec::new()
}

/// Rows in the stats list the cursor is in.
pub fn stats_rows(model: &Model) -> usize {
    model.stats.data.as_ref().map_or(0, |d| match model.stats.list {
        StatsList::Codes => d.stats.top_codes.len(),
        StatsList::Beneficiaries => d.stats.top_beneficiaries.len(),
    })
}

pub fn stats_key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let last = stats_rows(model).saturating_sub(1);
    match action {
        Some(Action::Up) => model.stats.scroll = model.stats.scroll.saturating_sub(1),
        Some(Action::Down) => model.stats.scroll = (model.stats.scroll + 1).min(last),
        Some(Action::SwitchList) => {
            model.stats.list = match model.stats.list {
                StatsList::Codes => StatsList::Beneficiaries,
                StatsList::Beneficiaries => StatsList::Codes,
            };
            model.stats.scroll = model.stats.scroll.min(stats_rows(model).saturating_sub(1));
        }
        Some(a @ (Action::NextWindow | Action::PrevWindow)) => {
            model.stats.window = model.stats.window.step(a == Action::NextWindow);
            model.stats.scroll = 0;
            return vec![load_stats(model)];
        }
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
