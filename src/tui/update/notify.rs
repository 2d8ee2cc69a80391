//! The status bar's messages: what happened, what failed, and whether the database answers.

use crate::tui::keymap::{Action, Key};
use crate::tui::model::{Failure, Level, MESSAGE_LOG, Message, Model};
use chrono::Duration;

/// How long a status message stays.
const MESSAGE_SECONDS: i64 = 5;

pub fn info(model: &mut Model, text: impl Into<String>) {
    say(model, text.into(), Level::Info);
}

fn say(model: &mut Model, text: String, level: Level) {
    let until = model.now + Duration::seconds(MESSAGE_SECONDS);
    model.messages.push(Message { text, level, at: model.now, until });
    if model.messages.len() > MESSAGE_LOG {
        model.messages.remove(0);
    }
}

/// Shows a failure; one of the database (no kind) also marks the dashboard offline until an answer comes.
pub fn fail(model: &mut Model, failure: &Failure) {
    if failure.kind.is_none() {
        model.offline = Some(failure.message.clone());
    }
    say(model, failure.message.clone(), Level::Error);
}

/// Says why the dashboard refuses what was asked (nothing was sent to the database).
pub fn refuse(model: &mut Model, text: impl Into<String>) {
    say(model, text.into(), Level::Error);
}

/// Any successful answer shows the database is reachable again.
pub fn online(model: &mut Model) {
    model.offline = None;
}

/// Says that the operator's role was taken away while the dashboard was open.
pub fn revoked(model: &mut Model) {
    model.session.revoked = true;
    let text = format!("{} is no longer an Owner or Admin here, so changes are off now", model.session.operator);
    say(model, text, Level::Error);
}

/// Says why a change was refused: read-only, or an operator who is not an admin.
pub fn read_only(model: &mut Model) {
    let why = if model.session.read_only {
        "Read-only (--read-only): changes are off".to_string()
    } else if model.session.revoked {
        format!("{} is no longer an Owner or Admin here, so changes are off now", model.session.operator)
    } else {
        format!("{} is not an admin, so changes are off here", model.session.operator)
    };
    info(model, why);
}

/// A key that does nothing where it was pressed: says where the keys are listed.
pub fn unknown_key(model: &mut Model, key: &crossterm::event::KeyEvent) {
    let help = model.keymap.global_key(Action::Help).map_or_else(|| "?".to_string(), |k| k.to_string());
    let text = match Key::from_event(key) {
        Some(pressed) => format!("{pressed} does nothing here: press {help} for keys"),
        None => format!("That key does nothing here: press {help} for keys"),
    };
    info(model, text);
}
