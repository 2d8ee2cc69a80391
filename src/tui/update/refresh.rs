//! Reloading what is on screen, by the clock, by key, or after a change.

use super::{history, list, open, screens};
use crate::tui::model::{Failure, Model, Screen};
use crate::tui::msg::Cmd;
use chrono::Duration;

/// The longest a screen goes without a reload while nobody writes: what time alone changes (a code expiring, a
/// window's start moving) shows within it, or at once on `r`.
pub const UNCHANGED_RELOAD: Duration = Duration::minutes(5);
/// Once no key has been pressed for this long, nobody is looking: the longest without a reload becomes
/// [`UNTOUCHED_RELOAD`], until the next key (whose next tick reloads a screen older than [`UNCHANGED_RELOAD`]).
pub const UNTOUCHED_AFTER: Duration = Duration::minutes(10);
pub const UNTOUCHED_RELOAD: Duration = Duration::minutes(30);

/// The clock's part: every refresh interval, the database is asked whether anyone wrote (one tiny query) rather
/// than reloaded, so a dashboard left open costs the database next to nothing; a reload follows only a change
/// (see [`probed`]), or [`UNCHANGED_RELOAD`] of nothing ([`UNTOUCHED_RELOAD`] on an untouched terminal).
pub fn by_clock(model: &mut Model) -> Vec<Cmd> {
    let now = model.now;
    let quiet = if now - model.last_input >= UNTOUCHED_AFTER { UNTOUCHED_RELOAD } else { UNCHANGED_RELOAD };
    if now - model.last_refresh >= quiet {
        return refresh(model);
    }
    let due = Duration::from_std(model.options.refresh).unwrap_or(Duration::seconds(5));
    if model.probing || now - model.last_probe < due {
        return Vec::new();
    }
    (model.probing, model.last_probe) = (true, now);
    vec![Cmd::Probe]
}

/// A probe's answer: a new mark reloads what is on screen (the first mark too: the start's loads may have run
/// before it was read); the same mark means the screen is current, unless the last loads failed (the database
/// is back: reload). A failed probe reloads, whose answers say what failed as every load does.
pub fn probed(model: &mut Model, result: Result<String, Failure>) -> Vec<Cmd> {
    model.probing = false;
    match result {
        Ok(mark) if model.change_mark.as_ref() == Some(&mark) && model.offline.is_none() => {
            model.updated = Some(model.now);
            Vec::new()
        }
        Ok(mark) => {
            model.change_mark = Some(mark);
            refresh(model)
        }
        Err(_) => refresh(model),
    }
}

/// Reloads what is on screen: the visible page, the count, the header, and an open detail, stats or history
/// screen.
pub fn refresh(model: &mut Model) -> Vec<Cmd> {
    model.last_refresh = model.now;
    let mut cmds = vec![Cmd::LoadHeader];
    cmds.extend(list::reload(model));
    if let Some(detail) = &model.detail {
        cmds.push(open::load_detail(detail.id));
    }
    match model.screen {
        Screen::Stats => cmds.push(screens::load_stats(model)),
        Screen::History => cmds.extend(history::refresh(model, model.reload_asked)),
        Screen::Codes | Screen::Settings => {}
    }
    cmds
}
