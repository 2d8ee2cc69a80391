//! Reloading what is on screen, by the clock, by key, or after a change.

use super::{history, list, open, screens};
use crate::tui::model::{Model, Screen};
use crate::tui::msg::Cmd;

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
