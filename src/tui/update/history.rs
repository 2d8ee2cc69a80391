//! The History screen: the audit trail's events, newest first, its filter, and paging by keyset as the cursor
//! nears the end of what is loaded.

use super::notify::{fail, info, online};
use super::open;
use crate::domain::audit::HistoryFilter;
use crate::service::HistoryPage;
use crate::tui::keymap::Action;
use crate::tui::model::{Failure, Model};
use crate::tui::msg::{Cmd, Wake};
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// Events a page holds.
pub const HISTORY_PAGE: u64 = 100;

/// Loads the events from the newest, for the filter in force; what is shown stays until the answer comes.
pub fn load(model: &mut Model) -> Vec<Cmd> {
    let history = &mut model.history;
    history.generation += 1;
    history.loading = true;
    vec![Cmd::LoadHistory { generation: history.generation, filter: Box::new(history.applied.clone()), before: None }]
}

/// A refresh: reloads from the newest while the cursor is on the newest event, where new events would show;
/// further down it keeps the place (`r` there reloads too).
pub fn refresh(model: &mut Model, asked: bool) -> Vec<Cmd> {
    if asked || model.history.cursor == 0 { load(model) } else { Vec::new() }
}

pub fn page_loaded(
    model: &mut Model,
    generation: u64,
    appended: bool,
    result: Result<HistoryPage, Failure>,
) -> Vec<Cmd> {
    if generation != model.history.generation {
        return Vec::new();
    }
    let history = &mut model.history;
    history.loading = false;
    match result {
        Ok(page) => {
            history.error = None;
            history.next = page.next;
            if appended {
                history.events.extend(page.events);
            } else {
                // A reload from the newest: the cursor stays on the event it was on, if it is still loaded.
                // A bulk action's events share its key; the code tells them apart.
                let on = history.events.get(history.cursor).map(|e| (e.id, e.code_id));
                history.events = page.events;
                history.cursor =
                    on.and_then(|on| history.events.iter().position(|e| (e.id, e.code_id) == on)).unwrap_or(0);
                history.offset = history.offset.min(history.cursor);
                history.loaded = true;
            }
            online(model);
            scroll_into_view(model)
        }
        Err(failure) => {
            history.error = Some(failure.message.clone());
            fail(model, &failure);
            Vec::new()
        }
    }
}

pub fn key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let height = model.visible_events();
    let cursor = model.history.cursor;
    match action {
        Some(Action::Up) => move_to(model, cursor.saturating_sub(1)),
        Some(Action::Down) => move_to(model, cursor + 1),
        Some(Action::Top) => move_to(model, 0),
        Some(Action::Bottom) => move_to(model, usize::MAX),
        Some(Action::PageUp) => move_to(model, cursor.saturating_sub(height)),
        Some(Action::PageDown) => move_to(model, cursor.saturating_add(height)),
        Some(Action::HalfUp) => move_to(model, cursor.saturating_sub(height / 2)),
        Some(Action::HalfDown) => move_to(model, cursor.saturating_add(height / 2)),
        Some(Action::Open) => open_event(model),
        Some(Action::FilterHistory) => {
            model.history.filtering = true;
            Vec::new()
        }
        Some(Action::Clear) if !model.history.filter_input.value().is_empty() => {
            model.history.filter_input.reset();
            apply_filter(model)
        }
        _ => Vec::new(),
    }
}

/// `Enter` on an event opens its code's details; a deleted code's last state is in the event itself.
fn open_event(model: &mut Model) -> Vec<Cmd> {
    let Some(event) = model.history.events.get(model.history.cursor) else { return Vec::new() };
    match (event.code_id, event.kind()) {
        (Some(_), "deleted" | "bulk_deleted") => {
            let name = event.code.clone().unwrap_or_default();
            info(model, format!("{name} was deleted; the event shows its last state"));
            Vec::new()
        }
        (Some(id), _) => open::open_detail(model, id),
        (None, _) => {
            info(model, "This event is about the module, not one code");
            Vec::new()
        }
    }
}

/// The History screen's events as filtered by `text` (`:history SPRING`), as if it had been typed after `/`; loaded
/// afresh even when that filter is the one in force.
pub fn show_filtered(model: &mut Model, text: String) -> Vec<Cmd> {
    model.history.filter_input = Input::new(text);
    model.history.filtering = false;
    model.history.loaded = false;
    apply_filter(model)
}

pub fn filter_key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    match action {
        Some(Action::Accept) => {
            model.history.filtering = false;
            apply_filter(model)
        }
        Some(Action::Cancel) => {
            model.history.filtering = false;
            model.history.filter_input.reset();
            apply_filter(model)
        }
        Some(a @ (Action::Up | Action::Down)) => {
            model.history.filtering = false;
            let mut cmds = apply_filter(model);
            cmds.extend(self::key(model, Some(a)));
            cmds
        }
        _ => match model.history.filter_input.handle_event(&Event::Key(*key)) {
            Some(change) if change.value => {
                model.history.filter_seq += 1;
                let wake = Wake::HistoryFilter(model.history.filter_seq);
                vec![Cmd::WakeAfter { after: model.options.debounce, wake }]
            }
            _ => Vec::new(),
        },
    }
}

/// Runs the typed filter if it differs from the one in force; text that doesn't parse leaves the one in force and
/// says why in the filter line.
pub fn apply_filter(model: &mut Model) -> Vec<Cmd> {
    let history = &mut model.history;
    history.filter_seq += 1;
    let filter = match HistoryFilter::parse(history.filter_input.value()) {
        Ok(filter) => filter,
        Err(error) => {
            history.filter_error = Some(error);
            return Vec::new();
        }
    };
    history.filter_error = None;
    if filter == history.applied && history.loaded {
        return Vec::new();
    }
    history.applied = filter;
    history.applied_text = history.filter_input.value().trim().to_string();
    history.events.clear();
    history.next = None;
    history.loaded = false;
    history.cursor = 0;
    history.offset = 0;
    load(model)
}

fn move_to(model: &mut Model, index: usize) -> Vec<Cmd> {
    model.history.cursor = index.min(model.history.events.len().saturating_sub(1));
    scroll_into_view(model)
}

/// Keeps the cursor in view, and asks for the next page once the cursor is within two screens of the loaded end.
pub fn scroll_into_view(model: &mut Model) -> Vec<Cmd> {
    let height = model.visible_events();
    let history = &mut model.history;
    if history.cursor < history.offset {
        history.offset = history.cursor;
    } else if history.cursor >= history.offset + height {
        history.offset = history.cursor + 1 - height;
    }
    history.offset = history.offset.min(history.events.len().saturating_sub(height));
    let near_end = history.cursor + 2 * height >= history.events.len();
    match history.next {
        Some(before) if near_end && history.loaded && !history.loading => {
            history.loading = true;
            vec![Cmd::LoadHistory {
                generation: history.generation,
                filter: Box::new(history.applied.clone()),
                before: Some(before),
            }]
        }
        _ => Vec::new(),
    }
}
