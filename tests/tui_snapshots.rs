//! Whole screens of the dashboard, drawn by `view::view` into a `TestBackend`, at the usual smallest terminal
//! (80x24) and at a large one (160x48), and a few below 80x24 down to the smallest it draws in (60x16). The states
//! come from `examples/common` (shared with the screenshots): key events and the answers the effects runner would
//! send, from a stand-in database, at a fixed clock.
//!
//! Text snapshots show what is on screen; a few debug snapshots of the buffer pin the styling (status colours,
//! reverse video for the cursor, and NO_COLOR). Review changes with `cargo insta review`.

#[path = "../examples/common/mod.rs"]
mod common;

use common::{Build, Dash, LARGE, SMALL};
use refcodes::domain::{SortField, UsesWindow};
use refcodes::tui::model::{Model, Screen, StatsList, StatsWindow};
use refcodes::tui::theme::Theme;

/// Snapshots a state at both sizes, after checking it is the state it claims to be.
fn snap(name: &str, build: Build, check: fn(&Model)) {
    for (width, height) in [SMALL, LARGE] {
        let dash = build((width, height));
        check(&dash.model);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), dash.render().backend());
    }
}

fn settled(model: &Model) {
    assert_eq!(model.in_flight, 0, "every request was answered");
    assert!(model.offline.is_none());
}

#[test]
fn codes_list() {
    snap("codes_list", common::codes_list, |m| {
        settled(m);
        assert_eq!(m.list.total, Some(22));
    });
}

#[test]
fn codes_empty() {
    snap("codes_empty", common::codes_empty, |m| {
        settled(m);
        assert_eq!(m.list.total, Some(0));
    });
}

#[test]
fn codes_marked_cursor_mid_list() {
    snap("codes_marked", common::codes_marked, |m| {
        settled(m);
        assert_eq!(m.list.marks.count(), 3);
        assert_eq!(m.list.cursor, 9);
    });
}

#[test]
fn codes_million_paging_with_placeholders() {
    snap("codes_million_paging", common::codes_million_paging, |m| {
        assert_eq!(m.list.total, Some(1_000_000));
        assert!(m.list.current().is_none(), "the cursor is on a row not loaded yet");
        assert!(m.in_flight > 0);
    });
}

#[test]
fn codes_million_estimated() {
    snap("codes_million_estimated", common::codes_million_estimated, |m| {
        assert_eq!((m.list.total, m.list.estimate), (None, Some(998_291)));
        assert!(m.in_flight > 0, "the count is under way");
    });
}

#[test]
fn codes_million_end() {
    snap("codes_million_end", common::codes_million_end, |m| {
        settled(m);
        assert_eq!(m.list.cursor, 999_999);
    });
}

#[test]
fn codes_filter_typing() {
    snap("codes_filter_typing", common::codes_filter_typing, |m| {
        settled(m);
        assert!(m.list.filtering);
        assert_eq!(m.list.applied_filter.text, "hopper");
    });
}

#[test]
fn codes_field_filter() {
    snap("codes_field_filter", common::codes_field_filter, |m| {
        settled(m);
        assert_eq!(m.list.filter().to_string(), "code:a status:active uses:>=1");
        assert!(m.list.total.is_some_and(|t| t > 0));
    });
}

#[test]
fn codes_filter_error() {
    snap("codes_filter_error", common::codes_filter_error, |m| {
        settled(m);
        assert_eq!(m.list.filter_error.as_deref(), Some("uses: expects a number after >, <, >=, <= or ="));
        assert_eq!(m.list.filter().text, "hopper", "the last filter that parsed stays in force");
    });
}

#[test]
fn codes_status_filter() {
    snap("codes_status_filter", common::codes_status_filter, |m| {
        settled(m);
        assert!(m.list.status.is_some());
    });
}

#[test]
fn codes_sort_reversed() {
    snap("codes_sort_reversed", common::codes_sort_reversed, |m| {
        settled(m);
        assert!(!m.list.descending);
    });
}

#[test]
fn codes_sort_last_used() {
    snap("codes_sort_last_used", common::codes_sort_last_used, |m| {
        settled(m);
        assert_eq!((m.list.sort, m.list.descending), (SortField::LastUsed, true));
    });
}

#[test]
fn codes_sort_window_uses() {
    snap("codes_sort_window_uses", common::codes_sort_window_uses, |m| {
        settled(m);
        assert_eq!((m.list.sort, m.list.window), (SortField::WindowUses, UsesWindow::Month));
    });
}

/// Sorted by the window's uses, that column stays where it would give way.
#[test]
fn codes_sorted_column_stays_on_smaller_terminals() {
    for (width, height) in SMALLER {
        let dash = common::codes_sort_window_uses((width, height));
        settled(&dash.model);
        insta::assert_snapshot!(format!("codes_sort_window_uses_{width}x{height}"), dash.render().backend());
    }
}

#[test]
fn codes_status_message() {
    snap("codes_message", common::codes_message, |m| {
        settled(m);
        assert!(m.message().is_some());
    });
}

#[test]
fn codes_read_only() {
    snap("codes_read_only", common::codes_read_only, |m| {
        settled(m);
        assert!(m.session.read_only);
        assert!(m.confirm.is_none(), "nothing to confirm: delete is refused");
    });
}

#[test]
fn codes_database_unreachable() {
    snap("codes_offline", common::codes_offline, |m| assert!(m.offline.is_some()));
}

#[test]
fn too_small() {
    let dash = common::too_small((59, 15));
    assert!(!dash.model.fits());
    insta::assert_snapshot!("too_small_59x15", dash.render().backend());
}

/// Below 80x24 the dashboard gives up room rather than refusing: 80x23 (tmux or screen with a status line), 70x20,
/// and 60x16, the smallest it draws in.
const SMALLER: [(u16, u16); 3] = [(80, 23), (70, 20), (60, 16)];

fn smaller(name: &str, build: Build) {
    for (width, height) in SMALLER {
        let dash = build((width, height));
        assert!(dash.model.fits());
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), dash.render().backend());
    }
}

#[test]
fn codes_list_on_smaller_terminals() {
    smaller("codes_marked", common::codes_marked);
}

#[test]
fn stats_on_smaller_terminals() {
    smaller("stats", common::stats);
}

#[test]
fn history_on_smaller_terminals() {
    smaller("history", common::history);
}

#[test]
fn form_new() {
    snap("form_new", common::form_new, |m| {
        settled(m);
        assert!(m.form.as_ref().is_some_and(|f| f.editing.is_none() && f.errors.is_empty()));
    });
}

/// The new-code form's footer fits down to 60x16.
#[test]
fn form_new_on_smaller_terminals() {
    smaller("form_new", common::form_new);
}

#[test]
fn form_parked_on_the_settings_screen() {
    snap("form_parked", common::form_parked, |m| {
        settled(m);
        assert!(m.form.is_none() && m.parked.is_some());
        assert_eq!(m.screen, Screen::Settings);
    });
}

#[test]
fn import_summary() {
    snap("import_summary", common::import_summary, |m| {
        settled(m);
        let confirm = m.confirm.as_ref().expect("the dry run asks");
        assert!(!confirm.on_confirm, "the highlighted answer is Cancel");
    });
}

#[test]
fn import_problems() {
    snap("import_problems", common::import_problems, |m| {
        settled(m);
        assert!(m.confirm.as_ref().is_some_and(|c| c.title == "Import: problems"));
    });
}

#[test]
fn form_live_validation() {
    snap("form_invalid", common::form_invalid, |m| {
        settled(m);
        assert_eq!(m.form.as_ref().map(|f| f.errors.len()), Some(3));
    });
}

#[test]
fn form_edit() {
    snap("form_edit", common::form_edit, |m| {
        settled(m);
        assert!(m.form.as_ref().is_some_and(|f| f.editing.is_some()));
    });
}

#[test]
fn form_refused_save() {
    snap("form_refused", common::form_refused, |m| {
        settled(m);
        let form = m.form.as_ref().expect("the form stays open");
        assert!(form.failure.is_some() && !form.errors.is_empty());
    });
}

#[test]
fn picker_results() {
    snap("picker_results", common::picker_results, |m| {
        settled(m);
        assert_eq!(m.picker.as_ref().map(|p| p.results.len()), Some(10));
    });
}

#[test]
fn picker_no_match() {
    snap("picker_no_match", common::picker_no_match, |m| {
        settled(m);
        assert!(m.picker.as_ref().is_some_and(|p| p.results.is_empty() && !p.loading));
    });
}

#[test]
fn detail_loading() {
    snap("detail_loading", common::detail_loading, |m| {
        assert!(m.detail.as_ref().is_some_and(|d| d.loading));
    });
}

#[test]
fn detail_with_usage() {
    snap("detail_usage", common::detail_usage, |m| {
        settled(m);
        assert!(m.detail.as_ref().is_some_and(|d| d.usage.len() == 23));
    });
}

#[test]
fn detail_with_history() {
    snap("detail_history", common::detail_history, |m| {
        settled(m);
        assert!(m.detail.as_ref().is_some_and(|d| d.showing_history && d.history.len() == 5));
    });
}

#[test]
fn history() {
    snap("history", common::history, |m| {
        settled(m);
        assert_eq!(m.history.events.len(), 11);
        assert_eq!(m.history.cursor, 1);
    });
}

#[test]
fn history_filtered_from_the_command_line() {
    snap("history_filtered", common::history_filtered, |m| {
        settled(m);
        assert_eq!(m.history.events.len(), 4);
    });
}

#[test]
fn history_filter_error() {
    snap("history_filter_error", common::history_filter_error, |m| {
        settled(m);
        assert!(m.history.filter_error.is_some());
        assert_eq!(m.history.events.len(), 1);
    });
}

#[test]
fn stats() {
    snap("stats", common::stats, |m| {
        settled(m);
        assert_eq!(m.screen, Screen::Stats);
        assert_eq!(m.stats.data.as_ref().map(|d| d.stats.redemptions.len()), Some(30));
    });
}

#[test]
fn stats_week_on_the_beneficiaries() {
    snap("stats_week", common::stats_week, |m| {
        settled(m);
        assert_eq!(m.stats.data.as_ref().map(|d| d.window), Some(StatsWindow::Week));
        assert_eq!(m.stats.list, StatsList::Beneficiaries);
    });
}

#[test]
fn stats_without_usage() {
    snap("stats_empty", common::stats_empty, |m| {
        settled(m);
        assert!(m.stats.data.as_ref().is_some_and(|d| d.stats.all_time.total_usage == 0));
    });
}

#[test]
fn settings() {
    snap("settings", common::settings, |m| {
        settled(m);
        assert_eq!(m.screen, Screen::Settings);
    });
}

#[test]
fn settings_editing_with_error() {
    snap("settings_edit_error", common::settings_edit_error, |m| {
        settled(m);
        assert!(m.settings.editing.is_some() && m.settings.error.is_some());
    });
}

#[test]
fn settings_read_only() {
    snap("settings_read_only", common::settings_read_only, |m| {
        settled(m);
        assert!(!m.session.can_administer);
    });
}

#[test]
fn settings_phoenix_kit() {
    snap("settings_phoenix_kit", common::settings_phoenix_kit, |m| {
        settled(m);
        assert!(m.session.phoenix_kit);
    });
}

#[test]
fn help() {
    snap("help", common::help, |m| assert!(m.help.is_some()));
}

#[test]
fn help_filtered() {
    snap("help_filtered", common::help_filtered, |m| {
        assert_eq!(m.help.as_ref().map(|h| h.filter.value()), Some("mark"));
    });
}

#[test]
fn codes_unknown_key_message_wins_the_status_bar() {
    snap("codes_unknown_key", common::codes_unknown_key, |m| {
        settled(m);
        assert!(m.message().is_some_and(|msg| msg.text.contains("press ? for keys")));
    });
}

#[test]
fn codes_long_message_is_cut_and_names_the_log() {
    snap("codes_long_message", common::codes_long_message, |m| {
        assert!(m.session.revoked);
        assert!(m.message().is_some_and(|msg| msg.text.len() > 80));
    });
}

#[test]
fn messages_log() {
    snap("messages_log", common::messages_log, |m| {
        settled(m);
        assert!(m.log.is_some() && m.messages.len() == 4, "{:?}", m.messages);
    });
}

#[test]
fn command_line_completion() {
    snap("command_line", common::command_line, |m| {
        assert_eq!(m.command.as_ref().map(|c| c.value()), Some("s"));
    });
}

#[test]
fn settings_confirm_turning_off() {
    snap("settings_confirm_off", common::settings_confirm_off, |m| {
        settled(m);
        assert!(m.confirm.is_some());
    });
}

#[test]
fn confirm_delete() {
    snap("confirm_delete", common::confirm_delete, |m| {
        settled(m);
        let confirm = m.confirm.as_ref().expect("a question");
        assert!(!confirm.on_confirm, "the highlighted answer is Cancel");
    });
}

#[test]
fn form_save_conflict() {
    snap("form_conflict", common::form_conflict, |m| {
        settled(m);
        let confirm = m.confirm.as_ref().expect("a question");
        assert!(!confirm.on_confirm && confirm.alternative.is_some(), "Cancel highlighted, Reload offered");
    });
}

#[test]
fn confirm_large_delete() {
    snap("confirm_large_delete", common::confirm_large_delete, |m| {
        settled(m);
        let confirm = m.confirm.as_ref().expect("a question");
        assert_eq!((confirm.must_type, confirm.typed.as_str()), (Some(22), "2"));
    });
}

#[test]
fn extend_asks_for_its_value() {
    snap("extend_prompt", common::extend_prompt, |m| {
        settled(m);
        assert_eq!(m.command.as_ref().map(|c| c.value()), Some("extend 2w"));
    });
}

#[test]
fn confirm_reactivate_expired() {
    snap("confirm_reactivate", common::confirm_reactivate, |m| {
        settled(m);
        let confirm = m.confirm.as_ref().expect("a question");
        assert!(confirm.alternative.as_ref().is_some_and(|(label, _)| label == "Also extend 7 days"));
    });
}

#[test]
fn confirm_discard_form() {
    snap("confirm_discard", common::confirm_discard, |m| {
        settled(m);
        assert!(m.confirm.is_some() && m.form.is_some());
    });
}

/// Status colours, the header's current tab and the cursor row in reverse video.
#[test]
fn styles_in_colour() {
    let dash = common::codes_marked(SMALL);
    insta::assert_debug_snapshot!("styles_colour_80x24", dash.render().backend().buffer());
}

/// NO_COLOR: no colour at all; status words, the mark column and REVERSED carry the meaning.
#[test]
fn styles_without_colour() {
    let mut dash = Dash::with(SMALL, common::Db::sample(), common::owner(), Theme::plain());
    dash.times(2, crossterm::event::KeyCode::Down).char(' ');
    insta::assert_debug_snapshot!("styles_no_color_80x24", dash.render().backend().buffer());
}
