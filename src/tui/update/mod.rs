//! `update`: the only place the model changes. Pure: no I/O and no clock; it answers with commands for the
//! effects runner.
//!
//! This file routes keys by mode and answers by kind to one handler per part of the screen (`list`, `form`,
//! `overlays`, `confirm`, `screens`, `history`). Handlers never call each other: moving between layers is `open`,
//! reloading is `refresh`, field checks are `checks` and status messages `notify`, so imports point one way:
//! `mod` → handlers → `refresh` → `list`, `screens`, `history`, `open` → `checks`, `notify`.

mod checks;
mod command;
mod confirm;
mod form;
mod history;
mod import;
mod list;
mod notify;
mod open;
mod overlays;
mod refresh;
mod screens;

pub use history::HISTORY_PAGE;
pub use overlays::PICKER_RESULTS;
pub use refresh::{UNCHANGED_RELOAD, UNTOUCHED_AFTER, UNTOUCHED_RELOAD};

use super::keymap::{Action, Mode, Section};
use super::model::{Model, Screen, StatsList};
use super::msg::{Cmd, Msg, Wake};
use crate::domain::import::OnConflict;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use notify::fail;
use refresh::refresh;
use tui_input::Input;

/// Applies one message; returns what to run.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    if is_answer(&msg) {
        model.in_flight = model.in_flight.saturating_sub(1);
    }
    let cmds = dispatch(model, msg);
    confirm::withdraw_if_stale(model);
    model.in_flight += cmds.iter().filter(|c| is_request(c)).count() as u32;
    cmds
}

/// Answers to requests; a probe's is not one (it runs unseen, without the loading indicator), nor an estimate
/// (the count that follows it is).
fn is_answer(msg: &Msg) -> bool {
    !matches!(
        msg,
        Msg::Key(_) | Msg::Resize(..) | Msg::Tick(_) | Msg::Wake(_) | Msg::Probed(_) | Msg::CountEstimate { .. }
    )
}

fn is_request(cmd: &Cmd) -> bool {
    !matches!(cmd, Cmd::WakeAfter { .. } | Cmd::Probe)
}

fn dispatch(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(key) => keys(model, key),
        Msg::Resize(width, height) => {
            model.size = (width, height);
            let mut cmds = list::scroll_into_view(model);
            cmds.extend(history::scroll_into_view(model));
            cmds
        }
        Msg::Tick(now) => tick(model, now),
        Msg::Wake(Wake::Filter(seq)) if seq == model.list.filter_seq => list::apply_filter(model),
        Msg::Wake(Wake::Picker(generation)) => overlays::picker_search(model, generation),
        Msg::Wake(Wake::HistoryFilter(seq)) if seq == model.history.filter_seq => history::apply_filter(model),
        Msg::Wake(_) => Vec::new(),
        Msg::Page { generation, page, result } => list::page_loaded(model, generation, page, result),
        Msg::Count { generation, result } => list::count_loaded(model, generation, result),
        Msg::CountEstimate { generation, about } => list::count_estimated(model, generation, about),
        Msg::Probed(result) => refresh::probed(model, result),
        Msg::Header(result) => match result {
            Ok((config, stats, admin)) => {
                model.offline = None;
                model.updated = Some(model.now);
                if std::mem::take(&mut model.reload_asked) {
                    notify::info(model, "Reloaded from the database");
                }
                if model.session.can_administer && !admin {
                    // The service refuses this operator's writes already; the dashboard stops offering them.
                    model.session.can_administer = false;
                    notify::revoked(model);
                }
                model.header.config = Some(config);
                model.header.stats = Some(stats);
                Vec::new()
            }
            Err(failure) => {
                fail(model, &failure);
                Vec::new()
            }
        },
        Msg::Detail { id, result } => overlays::detail_loaded(model, id, result),
        Msg::Stats(result) => screens::stats_loaded(model, result),
        Msg::History { generation, appended, result } => history::page_loaded(model, generation, appended, result),
        Msg::Users { generation, result } => overlays::users_found(model, generation, result),
        Msg::RandomCode(result) => form::random_code(model, result),
        Msg::Saved { save, result } => form::saved(model, save, result),
        Msg::SaveConflict { save, theirs } => form::conflict(model, save, theirs),
        Msg::RangeIds { generation, result } => list::range_ids(model, generation, result),
        Msg::Described { token, action, selection, result } => {
            confirm::described(model, token, action, selection, result)
        }
        Msg::BulkDone { action, selection, result } => confirm::bulk_done(model, action, selection, result),
        Msg::SettingSaved(result) => screens::setting_saved(model, result),
        Msg::ImportChecked { token, path, on_conflict, result } => {
            import::checked(model, token, path, on_conflict, result)
        }
        Msg::Imported { path, on_conflict, result } => import::imported(model, path, on_conflict, result),
        Msg::Copied { text, result } => {
            match result {
                Ok(()) => notify::info(model, format!("Copied {text} to the clipboard")),
                // The terminal, not the database: the dashboard stays online.
                Err(failure) => notify::refuse(model, failure.message),
            }
            Vec::new()
        }
    }
}

fn tick(model: &mut Model, now: chrono::DateTime<chrono::Utc>) -> Vec<Cmd> {
    model.now = now;
    if model.in_flight > 0 {
        model.spinner = model.spinner.wrapping_add(1);
    }
    refresh::by_clock(model)
}

/// The first load: everything `refresh` loads, counted as under way like any other request.
pub fn start(model: &mut Model) -> Vec<Cmd> {
    let cmds = refresh(model);
    model.in_flight += cmds.iter().filter(|c| is_request(c)).count() as u32;
    cmds
}

fn keys(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    model.last_input = model.now;
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        model.quit = true;
        return Vec::new();
    }
    let mode = model.mode();
    if !model.fits() {
        // Only quitting works on a screen too small to show what a key would change.
        if model.keymap.global(&key) == Some(Action::Quit) {
            model.quit = true;
        }
        return Vec::new();
    }
    let typing = takes_text(model, mode) && is_plain_char(&key);
    let action = if typing {
        None
    } else {
        model
            .keymap
            .action(mode, &key)
            .or_else(|| if reads_globals(model, mode) { model.keymap.global(&key) } else { None })
    };
    if action.is_none() && !typing && reads_globals(model, mode) {
        notify::unknown_key(model, &key);
        return Vec::new();
    }
    perform(model, mode, action, &key)
}

/// Runs what a key (or a command) asks for in `mode`: a global action, or the mode's own.
fn perform(model: &mut Model, mode: Mode, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    if let Some(action) = action {
        if action.is_mutating() && !model.session.can_administer {
            notify::read_only(model);
            return Vec::new();
        }
        if let Some(cmds) = global_action(model, action) {
            return cmds;
        }
    }
    match mode {
        Mode::List => action.map_or_else(Vec::new, |a| list::action(model, a)),
        Mode::Filter if model.screen == Screen::History => history::filter_key(model, action, key),
        Mode::Filter => list::filter_key(model, action, key),
        Mode::Form => form::key(model, action, key),
        Mode::Picker => overlays::picker_key(model, action, key),
        Mode::Detail => overlays::detail_key(model, action),
        Mode::Help => overlays::help_key(model, action, key),
        Mode::Messages => overlays::log_key(model, action),
        Mode::Command => match command::key(model, action, key) {
            Some((name, action, value)) => run_command(model, &name, action, value),
            None => Vec::new(),
        },
        Mode::Confirm => confirm::key(model, action, key),
        Mode::Stats if action == Some(Action::Open) => open_stats_row(model),
        Mode::Stats => screens::stats_key(model, action),
        Mode::Settings => screens::settings_key(model, action, key),
        Mode::History => history::key(model, action),
    }
}

/// Runs a command of the command line as its key would run where the line was opened; a command for another
/// place (`:edit` on the stats screen) says so.
fn run_command(model: &mut Model, name: &str, action: Action, value: Option<command::Valued>) -> Vec<Cmd> {
    let mode = model.mode();
    if !model.keymap.binds(Section::Global, action) && !model.keymap.binds(Section::Mode(mode), action) {
        notify::refuse(model, format!(":{name} does nothing here"));
        return Vec::new();
    }
    if let Some(value) = value {
        if action.is_mutating() && !model.session.can_administer {
            notify::read_only(model);
            return Vec::new();
        }
        return match value {
            command::Valued::Bulk(bulk) => open::describe(model, bulk),
            command::Valued::Import(path) => import::check(model, path, OnConflict::default()),
            command::Valued::History(text) => {
                model.screen = Screen::History;
                model.detail = None;
                history::show_filtered(model, text)
            }
        };
    }
    perform(model, mode, Some(action), &KeyEvent::new(KeyCode::Null, KeyModifiers::NONE))
}

/// Actions of the global keymap, wherever they are read.
fn global_action(model: &mut Model, action: Action) -> Option<Vec<Cmd>> {
    Some(match action {
        Action::Quit => {
            model.quit = true;
            Vec::new()
        }
        Action::Help => {
            model.help = Some(Default::default());
            Vec::new()
        }
        Action::NextScreen | Action::PrevScreen => {
            let i = Screen::ALL.iter().position(|s| *s == model.screen).unwrap_or(0);
            let n = Screen::ALL.len();
            let next = if action == Action::NextScreen { (i + 1) % n } else { (i + n - 1) % n };
            go_to(model, Screen::ALL[next])
        }
        Action::CodesScreen => go_to(model, Screen::Codes),
        Action::StatsScreen => go_to(model, Screen::Stats),
        Action::SettingsScreen => go_to(model, Screen::Settings),
        Action::HistoryScreen => go_to(model, Screen::History),
        Action::Refresh => {
            model.reload_asked = true;
            refresh(model)
        }
        Action::ParkForm => {
            if model.form.is_some() {
                open::park(model)
            } else {
                if !open::unpark(model) {
                    notify::info(model, "No form is parked");
                }
                Vec::new()
            }
        }
        Action::Messages => {
            model.log = Some(0);
            Vec::new()
        }
        Action::CommandLine => {
            model.command = Some(Default::default());
            Vec::new()
        }
        Action::Copy => {
            // The code of the details open, else the one under the cursor (of the list, or of an event).
            let code = match &model.detail {
                Some(detail) => detail.row.as_ref().map(|r| r.code.code.clone()),
                None if model.screen == Screen::History => {
                    model.history.events.get(model.history.cursor).and_then(|e| e.code.clone())
                }
                None => model.list.current().map(|r| r.code.code.clone()),
            };
            match code {
                Some(text) => vec![Cmd::Copy { text }],
                None => {
                    notify::info(model, "No code here to copy");
                    Vec::new()
                }
            }
        }
        _ => return None,
    })
}

/// `Enter` on a top code opens it; on a beneficiary, the codes list filtered by them.
fn open_stats_row(model: &mut Model) -> Vec<Cmd> {
    let Some(data) = &model.stats.data else { return Vec::new() };
    let row = model.stats.scroll;
    match model.stats.list {
        StatsList::Codes => match data.stats.top_codes.get(row) {
            Some(code) => {
                let id = code.id;
                open::open_detail(model, id)
            }
            None => Vec::new(),
        },
        StatsList::Beneficiaries => match data.stats.top_beneficiaries.get(row).map(|b| b.email.clone()) {
            Some(Some(email)) => {
                model.screen = Screen::Codes;
                model.list.filtering = false;
                model.list.filter_input = Input::new(format!("beneficiary:\"{email}\""));
                list::apply_filter(model)
            }
            Some(None) => {
                notify::info(model, "That beneficiary's user is gone: their codes can't be found by email");
                Vec::new()
            }
            None => Vec::new(),
        },
    }
}

/// Shows a screen (closing a code's details over the one before); the stats and the history load as they are
/// shown.
fn go_to(model: &mut Model, screen: Screen) -> Vec<Cmd> {
    model.screen = screen;
    model.detail = None;
    match screen {
        Screen::Stats => vec![screens::load_stats(model)],
        Screen::History => history::refresh(model, false),
        Screen::Codes | Screen::Settings => Vec::new(),
    }
}

/// Whether the mode has a focused text input that takes plain characters.
fn takes_text(model: &Model, mode: Mode) -> bool {
    match mode {
        Mode::Filter | Mode::Picker | Mode::Command => true,
        Mode::Help => model.help.as_ref().is_some_and(|h| h.filtering),
        Mode::Form => model.form.as_ref().is_some_and(|f| f.focus.is_text()),
        Mode::Settings => model.settings.editing.is_some(),
        _ => false,
    }
}

/// Global keys (quit, help, screens) are read where no text is being typed.
fn reads_globals(model: &Model, mode: Mode) -> bool {
    matches!(mode, Mode::List | Mode::Detail | Mode::Stats | Mode::History)
        || (mode == Mode::Settings && model.settings.editing.is_none())
}

fn is_plain_char(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char(_)) && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}
