//! The codes list: moving, paging the window through the database, filtering, sorting, marking.

use super::notify::{fail, info, online, refuse};
use super::open;
use crate::domain::text::thousands;
use crate::domain::{CodeFilter, CodeId, CodeQuery, CodeRow, CodeStatus, Selection};
use crate::tui::keymap::Action;
use crate::tui::model::{BulkAction, Failure, Marks, Model, PAGE_SIZE};
use crate::tui::msg::{Cmd, Wake};
use crossterm::event::{Event, KeyEvent};
use tui_input::backend::crossterm::EventHandler;

pub fn action(model: &mut Model, action: Action) -> Vec<Cmd> {
    let height = model.visible_rows();
    match action {
        Action::Up => move_to(model, model.list.cursor.saturating_sub(1)),
        Action::Down => move_to(model, model.list.cursor + 1),
        Action::Top => move_to(model, 0),
        Action::Bottom => move_to(model, u64::MAX),
        Action::PageUp => move_to(model, model.list.cursor.saturating_sub(height)),
        Action::PageDown => move_to(model, model.list.cursor.saturating_add(height)),
        Action::HalfUp => move_to(model, model.list.cursor.saturating_sub(height / 2)),
        Action::HalfDown => move_to(model, model.list.cursor.saturating_add(height / 2)),
        Action::Open => match model.list.current() {
            Some(row) => open::open_detail(model, row.code.id),
            None => Vec::new(),
        },
        Action::New => open::open_new(model),
        Action::Edit => match model.list.current().cloned() {
            Some(row) => open::open_edit(model, &row),
            None => Vec::new(),
        },
        Action::Toggle => toggle(model),
        Action::Delete => open::describe(model, BulkAction::Delete),
        Action::Activate => open::describe(model, BulkAction::Activate),
        Action::Deactivate => open::describe(model, BulkAction::Deactivate),
        // Actions that take a value ask for it on the command line, as typing `:extend` would, with the form's
        // parsing; Enter then counts the codes and asks (see `command`).
        Action::Extend => open::ask_value(model, &format!("extend {}d", model.options.defaults.expiry_days)),
        Action::SetExpiry => open::ask_value(model, "expire "),
        Action::SetMaxUses => open::ask_value(model, "max-uses "),
        Action::SetDescription => open::ask_value(model, "describe "),
        Action::Import => open::prompt(model, "import "),
        // The picker chooses the user; with no form open, its choice is for the selection (see `overlays`).
        Action::SetBeneficiary if model.list.selection().is_some() => open::open_picker(model),
        Action::SetBeneficiary => {
            info(model, "No code here to act on");
            Vec::new()
        }
        Action::Mark => {
            if all_marked(model) {
                return Vec::new();
            }
            if let Some(id) = model.list.current().map(|r| r.code.id)
                && let Marks::Ids(ids) = &mut model.list.marks
                && !ids.remove(&id)
            {
                ids.insert(id);
            }
            move_to(model, model.list.cursor + 1)
        }
        Action::MarkRange => mark_range(model),
        Action::MarkAll => mark_all(model),
        Action::Clear => clear(model),
        Action::RecallChanged => recall_changed(model),
        Action::Filter => {
            model.list.filtering = true;
            Vec::new()
        }
        Action::Sort => {
            model.list.sort = model.list.sort.next();
            new_query(model)
        }
        Action::Reverse => {
            model.list.descending = !model.list.descending;
            new_query(model)
        }
        // The rows' counts change; so does their order when sorted by them.
        Action::NextWindow | Action::PrevWindow => {
            model.list.window = model.list.window.step(action == Action::NextWindow);
            info(model, format!("Uses counted over {}", model.list.window.label()));
            new_query(model)
        }
        Action::StatusFilter | Action::StatusFilterBack => {
            // All, then each status, then all again; backwards the other way round.
            let cycle: Vec<Option<CodeStatus>> = std::iter::once(None).chain(CodeStatus::ALL.map(Some)).collect();
            let at = cycle.iter().position(|s| *s == model.list.status).unwrap_or(0);
            let step = if action == Action::StatusFilter { 1 } else { cycle.len() - 1 };
            model.list.status = cycle[(at + step) % cycle.len()];
            new_query(model)
        }
        _ => Vec::new(),
    }
}

fn toggle(model: &mut Model) -> Vec<Cmd> {
    if !model.list.marks.is_empty() {
        info(model, "With codes marked, a activates and x deactivates them");
        return Vec::new();
    }
    let Some(row) = model.list.current() else { return Vec::new() };
    // The state the user sees decides the new absolute value.
    let action = if row.code.status { BulkAction::Deactivate } else { BulkAction::Activate };
    let selection = Selection::Ids(vec![row.code.id]);
    vec![Cmd::Bulk { action, selection }]
}

/// While every matching code is marked, single codes can't be marked or unmarked: says so.
fn all_marked(model: &mut Model) -> bool {
    let all = matches!(model.list.marks, Marks::Matching { .. });
    if all {
        info(model, "Every code that matches is marked; Esc clears the marks to pick codes one by one");
    }
    all
}

/// Marks every code the filter matches, as many as the list counted; no ids are fetched (see [`Marks`]).
fn mark_all(model: &mut Model) -> Vec<Cmd> {
    match model.list.total {
        None => info(model, "The codes are still being counted; press Ctrl-a again in a moment"),
        Some(0) => info(model, "No code matches, so none is marked"),
        Some(count) => {
            let replaced = !model.list.marks.is_empty();
            model.list.marks = Marks::Matching { filter: model.list.filter(), count };
            let note = if replaced { " (the earlier marks are replaced)" } else { "" };
            info(model, format!("Marked all {count} codes that match{note}"));
        }
    }
    Vec::new()
}

fn mark_range(model: &mut Model) -> Vec<Cmd> {
    if all_marked(model) {
        return Vec::new();
    }
    let Some(anchor) = model.list.range_anchor.take() else {
        model.list.range_anchor = Some(model.list.cursor);
        info(model, "Range starts here: move to its end and press V again (Esc cancels)");
        return Vec::new();
    };
    let (from, to) = (anchor.min(model.list.cursor), anchor.max(model.list.cursor));
    let ids: Option<Vec<CodeId>> = (from..=to).map(|i| model.list.row(i).map(|r| r.code.id)).collect();
    if let Some(ids) = ids {
        return range_ids(model, model.list.generation, Ok(ids));
    }
    // Some rows of the range are on pages not loaded: the database gives their ids.
    let rows = to - from + 1;
    if rows > RANGE_MAX {
        let text = format!(
            "A range of {} codes is more than V marks ({}): Ctrl-a marks every code the filter matches",
            thousands(rows as i64),
            thousands(RANGE_MAX as i64)
        );
        refuse(model, text);
        return Vec::new();
    }
    let query = CodeQuery { offset: from, limit: rows, ..model.list.query(0) };
    info(model, format!("Marking {} codes…", thousands(rows as i64)));
    vec![Cmd::MarkRange { generation: model.list.generation, query, total: model.list.total.unwrap_or(0) }]
}

/// Most codes one `V` range marks; more are marked as "every code the filter matches" (Ctrl-a), which never
/// brings the ids here.
pub const RANGE_MAX: u64 = 100_000;

/// A `V` range's ids: marked, unless the list's query changed meanwhile (the range meant other rows).
pub fn range_ids(model: &mut Model, generation: u64, result: Result<Vec<CodeId>, Failure>) -> Vec<Cmd> {
    if generation != model.list.generation {
        return Vec::new();
    }
    let ids = match result {
        Ok(ids) => ids,
        Err(failure) => {
            fail(model, &failure);
            return Vec::new();
        }
    };
    let marked = ids.len();
    if let Marks::Ids(marks) = &mut model.list.marks {
        marks.extend(ids);
    }
    info(model, format!("Marked {} codes", thousands(marked as i64)));
    Vec::new()
}

/// `u`: marks the codes the last bulk action changed, in place of the marks there are.
pub fn recall_changed(model: &mut Model) -> Vec<Cmd> {
    let Some((selection, n)) = model.last_changed.clone() else {
        info(model, "No codes changed by a bulk action yet (a delete leaves none to mark)");
        return Vec::new();
    };
    model.list.marks = match selection {
        Selection::Ids(ids) => Marks::Ids(ids.into_iter().collect()),
        Selection::Matching(filter) => Marks::Matching { filter, count: n },
    };
    let codes = if n == 1 { "the 1 code".to_string() } else { format!("the {} codes", thousands(n)) };
    info(model, format!("Marked {codes} the last bulk action changed"));
    Vec::new()
}

fn clear(model: &mut Model) -> Vec<Cmd> {
    if model.list.range_anchor.take().is_some() {
        info(model, "Range cancelled");
        Vec::new()
    } else if !model.list.marks.is_empty() {
        model.list.marks.clear();
        Vec::new()
    } else if !model.list.filter_input.value().is_empty() || model.list.status.is_some() {
        model.list.filter_input.reset();
        model.list.status = None;
        model.list.applied_filter = CodeFilter::default();
        model.list.filter_error = None;
        new_query(model)
    } else {
        Vec::new()
    }
}

pub fn filter_key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    match action {
        Some(Action::Accept) => {
            model.list.filtering = false;
            apply_filter(model)
        }
        Some(Action::Cancel) => {
            model.list.filtering = false;
            model.list.filter_input.reset();
            apply_filter(model)
        }
        Some(a @ (Action::Up | Action::Down)) => {
            model.list.filtering = false;
            let mut cmds = apply_filter(model);
            cmds.extend(self::action(model, a));
            cmds
        }
        _ => match model.list.filter_input.handle_event(&Event::Key(*key)) {
            Some(change) if change.value => {
                model.list.filter_seq += 1;
                vec![Cmd::WakeAfter { after: model.options.debounce, wake: Wake::Filter(model.list.filter_seq) }]
            }
            _ => Vec::new(),
        },
    }
}

/// Runs the typed filter if it differs from the one in force. Text that doesn't parse leaves the filter in force
/// as it is, and says why in the filter line.
pub fn apply_filter(model: &mut Model) -> Vec<Cmd> {
    // The filter is applied now: a debounce wake still pending has nothing left to do.
    model.list.filter_seq += 1;
    let filter = match CodeFilter::parse(model.list.filter_input.value()) {
        Ok(filter) => filter,
        Err(error) => {
            model.list.filter_error = Some(error);
            return Vec::new();
        }
    };
    model.list.filter_error = None;
    if filter == model.list.applied_filter && model.list.total.is_some() {
        return Vec::new();
    }
    model.list.applied_filter = filter;
    new_query(model)
}

/// An estimate shows until the count comes, and never over a count (a reload counts again under the same
/// generation, and the count it had stays meanwhile).
pub fn count_estimated(model: &mut Model, generation: u64, about: i64) -> Vec<Cmd> {
    if generation == model.list.generation && model.list.total.is_none() {
        model.list.estimate = Some(about);
    }
    Vec::new()
}

/// A new filter, sort or status: forget the pages of the old query and fetch from the top.
pub fn new_query(model: &mut Model) -> Vec<Cmd> {
    let list = &mut model.list;
    list.generation += 1;
    list.pages.clear();
    list.requested.clear();
    list.total = None;
    list.estimate = None;
    list.cursor = 0;
    list.offset = 0;
    list.range_anchor = None;
    let mut cmds = vec![Cmd::LoadCount { generation: list.generation, filter: list.filter() }];
    cmds.extend(fetch_window(model));
    cmds
}

/// Re-reads the count and the visible pages of the current query; rows stay shown until the answers come.
pub fn reload(model: &mut Model) -> Vec<Cmd> {
    let list = &mut model.list;
    let mut cmds = vec![Cmd::LoadCount { generation: list.generation, filter: list.filter() }];
    for page in window_pages(model) {
        model.list.requested.insert(page);
        cmds.push(Cmd::LoadPage { generation: model.list.generation, page, query: model.list.query(page) });
    }
    cmds
}

/// Moves the cursor (clamped to the list) and scrolls the window to keep it in view.
fn move_to(model: &mut Model, index: u64) -> Vec<Cmd> {
    let last = model.list.len().saturating_sub(1);
    model.list.cursor = index.min(last);
    scroll_into_view(model)
}

/// Keeps the cursor inside the window and asks for the pages the window needs.
pub fn scroll_into_view(model: &mut Model) -> Vec<Cmd> {
    let height = model.visible_rows().max(1);
    let list = &mut model.list;
    if list.cursor < list.offset {
        list.offset = list.cursor;
    } else if list.cursor >= list.offset + height {
        list.offset = list.cursor + 1 - height;
    }
    let max_offset = list.len().saturating_sub(height);
    list.offset = list.offset.min(max_offset);
    fetch_window(model)
}

/// The pages the window shows, and one on each side so short moves never wait.
fn window_pages(model: &Model) -> Vec<u64> {
    let height = model.visible_rows().max(1);
    let first = model.list.offset / PAGE_SIZE;
    let last = (model.list.offset + height - 1) / PAGE_SIZE;
    let pages_total = model.list.total.map(|t| (t.max(0) as u64).div_ceil(PAGE_SIZE));
    (first.saturating_sub(1)..=last + 1)
        .filter(|p| pages_total.is_none_or(|n| *p < n.max(1)))
        .filter(|p| model.list.total.is_some() || *p <= last)
        .collect()
}

fn fetch_window(model: &mut Model) -> Vec<Cmd> {
    let pages = window_pages(model);
    // Keep a few pages around the window; forget the rest.
    let (lo, hi) = (pages.first().copied().unwrap_or(0).saturating_sub(2), pages.last().copied().unwrap_or(0) + 2);
    model.list.pages.retain(|p, _| (lo..=hi).contains(p));
    let mut cmds = Vec::new();
    for page in pages {
        if !model.list.pages.contains_key(&page) && model.list.requested.insert(page) {
            cmds.push(Cmd::LoadPage { generation: model.list.generation, page, query: model.list.query(page) });
        }
    }
    cmds
}

pub fn page_loaded(model: &mut Model, generation: u64, page: u64, result: Result<Vec<CodeRow>, Failure>) -> Vec<Cmd> {
    if generation != model.list.generation {
        return Vec::new();
    }
    model.list.requested.remove(&page);
    match result {
        Ok(rows) => {
            online(model);
            model.list.error = None;
            model.list.pages.insert(page, rows);
        }
        Err(failure) => {
            model.list.error = Some(failure.message.clone());
            fail(model, &failure);
        }
    }
    Vec::new()
}

pub fn count_loaded(model: &mut Model, generation: u64, result: Result<i64, Failure>) -> Vec<Cmd> {
    if generation != model.list.generation {
        return Vec::new();
    }
    match result {
        Ok(total) => {
            online(model);
            model.list.total = Some(total);
            model.list.estimate = None;
            // Codes may have gone since the last count: keep the cursor on the list.
            let last = model.list.len().saturating_sub(1);
            model.list.cursor = model.list.cursor.min(last);
            scroll_into_view(model)
        }
        Err(failure) => {
            fail(model, &failure);
            Vec::new()
        }
    }
}
