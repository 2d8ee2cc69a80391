//! The layers over a screen: a code's details, the beneficiary picker and the help.

use super::notify::{fail, online, refuse};
use super::open;
use crate::domain::CodeId;
use crate::domain::user::UserWithRole;
use crate::tui::keymap::Action;
use crate::tui::layout::{DETAIL_FACTS, last_scroll, overlay_body};
use crate::tui::model::{BulkAction, DetailData, Failure, Model};
use crate::tui::msg::{Cmd, Wake};
use crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

/// Users a picker search shows.
pub const PICKER_RESULTS: i64 = 50;

pub fn detail_loaded(model: &mut Model, id: CodeId, result: Result<DetailData, Failure>) -> Vec<Cmd> {
    let failure = match (model.detail.as_mut(), result) {
        (Some(detail), result) if detail.id == id => {
            detail.loading = false;
            match result {
                Ok(data) => {
                    detail.row = Some(data.row);
                    detail.stats = Some(data.stats);
                    detail.usage = data.usage;
                    detail.more_history = data.history.next.is_some();
                    detail.history = data.history.events;
                    detail.scroll = detail.scroll.min(detail.rows().saturating_sub(1));
                    detail.error = None;
                    None
                }
                Err(failure) => {
                    detail.error = Some(failure.message.clone());
                    Some(failure)
                }
            }
        }
        _ => None,
    };
    match failure {
        Some(failure) => fail(model, &failure),
        None => online(model),
    }
    Vec::new()
}

pub fn detail_key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let page = model.visible_rows().saturating_sub(u64::from(DETAIL_FACTS)).max(1) as usize;
    let Some(detail) = model.detail.as_mut() else { return Vec::new() };
    let last = detail.rows().saturating_sub(1);
    match action {
        Some(Action::Cancel) => model.detail = None,
        Some(Action::ShowHistory) => {
            detail.showing_history = !detail.showing_history;
            detail.scroll = 0;
        }
        Some(Action::Up) => detail.scroll = detail.scroll.saturating_sub(1),
        Some(Action::Down) => detail.scroll = (detail.scroll + 1).min(last),
        Some(Action::PageUp) => detail.scroll = detail.scroll.saturating_sub(page),
        Some(Action::PageDown) => detail.scroll = (detail.scroll + page).min(last),
        Some(Action::Top) => detail.scroll = 0,
        Some(Action::Bottom) => detail.scroll = last,
        Some(Action::Edit) => {
            if let Some(row) = detail.row.clone() {
                return open::open_edit(model, &row);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The debounce of the picker's search ran out: search if no newer key came.
pub fn picker_search(model: &mut Model, generation: u64) -> Vec<Cmd> {
    match model.picker.as_mut() {
        Some(picker) if picker.generation == generation => {
            picker.loading = true;
            vec![Cmd::SearchUsers { generation, text: picker.search.value().to_string() }]
        }
        _ => Vec::new(),
    }
}

pub fn picker_key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let debounce = model.options.debounce;
    let Some(picker) = model.picker.as_mut() else { return Vec::new() };
    match action {
        Some(Action::Cancel) => model.picker = None,
        Some(Action::Up) => picker.cursor = picker.cursor.saturating_sub(1),
        Some(Action::Down) => picker.cursor = (picker.cursor + 1).min(picker.results.len().saturating_sub(1)),
        Some(Action::Accept) => {
            let chosen = picker.results.get(picker.cursor).map(|u| &u.user);
            if let Some(user) = chosen.filter(|u| !u.is_active) {
                let message = format!("{} is inactive (can't sign in), so they can't be a beneficiary", user.email);
                refuse(model, message);
                return Vec::new();
            }
            let Some(chosen) = chosen.map(|u| (u.id, u.email.clone())) else { return Vec::new() };
            model.picker = None;
            match model.form.as_mut() {
                Some(form) => form.beneficiary = Some(chosen),
                // Opened from the list (B): the choice is for the marked codes, or the code.
                None => return open::describe(model, BulkAction::SetBeneficiary { user: Some(chosen) }),
            }
        }
        Some(Action::ClearBeneficiary) => {
            model.picker = None;
            match model.form.as_mut() {
                Some(form) => form.beneficiary = None,
                None => return open::describe(model, BulkAction::SetBeneficiary { user: None }),
            }
        }
        _ => {
            if picker.search.handle_event(&Event::Key(*key)).is_some_and(|c| c.value) {
                model.picker_generation += 1;
                picker.generation = model.picker_generation;
                return vec![Cmd::WakeAfter { after: debounce, wake: Wake::Picker(picker.generation) }];
            }
        }
    }
    Vec::new()
}

pub fn users_found(model: &mut Model, generation: u64, result: Result<Vec<UserWithRole>, Failure>) -> Vec<Cmd> {
    let Some(picker) = model.picker.as_mut() else { return Vec::new() };
    if picker.generation != generation {
        return Vec::new();
    }
    picker.loading = false;
    match result {
        Ok(users) => {
            picker.cursor = picker.cursor.min(users.len().saturating_sub(1));
            picker.results = users;
            picker.error = None;
            online(model);
        }
        Err(failure) => {
            picker.error = Some(failure.message.clone());
            fail(model, &failure);
        }
    }
    Vec::new()
}

pub fn help_key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let Some(help) = model.help.as_mut() else { return Vec::new() };
    let width = usize::from(overlay_body(model.size).0);
    let lines = model.keymap.help(help.filter.value(), model.session.can_administer);
    let last = last_scroll(lines.iter().map(|l| l.rows(width).len()).sum(), model.size);
    match action {
        // Esc ends a filter first (and clears it), then closes.
        Some(Action::Cancel) if help.filtering => {
            help.filtering = false;
            help.filter.reset();
            help.scroll = 0;
        }
        Some(Action::Cancel) => model.help = None,
        Some(Action::Accept) => help.filtering = false,
        Some(Action::FilterKeys) => help.filtering = true,
        Some(
            scroll @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom),
        ) => {
            help.scroll = scrolled(help.scroll, scroll, last);
        }
        _ if help.filtering && help.filter.handle_event(&Event::Key(*key)).is_some_and(|c| c.value) => {
            help.scroll = 0;
        }
        _ => {}
    }
    Vec::new()
}

/// The messages log (`!`): scrolls until its oldest message shows, closes.
pub fn log_key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let width = usize::from(overlay_body(model.size).0);
    let last = last_scroll(model.messages.iter().map(|m| m.rows(width).len()).sum(), model.size);
    let Some(scroll) = model.log.as_mut() else { return Vec::new() };
    match action {
        Some(Action::Cancel) => model.log = None,
        Some(action) => *scroll = scrolled(*scroll, action, last),
        None => {}
    }
    Vec::new()
}

/// A text overlay's scroll after a moving action, between the top and `last`.
fn scrolled(scroll: usize, action: Action, last: usize) -> usize {
    let page = 10;
    match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll + 1,
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll + page,
        Action::Top => 0,
        Action::Bottom => last,
        _ => scroll,
    }
    .min(last)
}
