//! `update()` around the list: the stats and settings screens, read-only refusals, the help overlay, a code's details,
//! a terminal too small to draw in, and quitting.

mod tui_common;
use tui_common as common;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use refcodes::domain::settings::{SettingKey, SystemConfig};
use refcodes::domain::stats::{CodeUsageStats, SystemStats, UsageRecord};
use refcodes::domain::{CodeFilter, CodeId, CodeStatus, ErrorKind, UserId};
use refcodes::service::HistoryPage;
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{DetailData, Failure, Level, Marks, Model, Screen, StatsList, StatsWindow};
use refcodes::tui::msg::{Cmd, Msg};

fn usage_stats(id: i64) -> CodeUsageStats {
    CodeUsageStats {
        code_id: CodeId::from(id),
        total_uses: 3,
        unique_users: 3,
        last_used: Some(now()),
        remaining_uses: 97,
        status: CodeStatus::Active,
    }
}

fn usage(id: i64, n: i64) -> Vec<UsageRecord> {
    (1..=n)
        .map(|i| UsageRecord {
            id: i.into(),
            code_id: CodeId::from(id),
            code: format!("CODE{id:04}"),
            used_by: Some(UserId::from(100 + i)),
            user_email: Some(format!("user{i}@example.com")),
            date_used: now(),
        })
        .collect()
}

fn detail_msg(id: i64, records: i64) -> Msg {
    let history = HistoryPage { events: Vec::new(), next: None };
    let data = DetailData { row: row(id), stats: usage_stats(id), usage: usage(id, records), history };
    Msg::Detail { id: CodeId::from(id), result: Ok(data) }
}

/// The settings screen with this configuration in the header.
fn settings_with(config: SystemConfig) -> Model {
    let mut m = loaded(3);
    send(&mut m, header_msg(config));
    presses(&mut m, &["tab", "tab"]);
    assert_eq!(m.screen, Screen::Settings);
    m
}

fn setting(key: SettingKey, value: &str) -> Cmd {
    Cmd::SetSetting { key, value: value.into() }
}

#[test]
fn tab_walks_the_screens_and_the_stats_load_on_arrival() {
    let mut m = loaded(3);
    let stats = Cmd::LoadStats { window: StatsWindow::Month };
    assert_eq!(press(&mut m, "tab"), vec![stats.clone()]);
    assert_eq!((m.screen, m.mode()), (Screen::Stats, Mode::Stats));
    assert!(m.stats.loading);
    assert_eq!(press(&mut m, "tab"), vec![]);
    assert_eq!((m.screen, m.mode()), (Screen::Settings, Mode::Settings));
    let history = |generation| Cmd::LoadHistory { generation, filter: Box::default(), before: None };
    assert_eq!(press(&mut m, "tab"), vec![history(1)]);
    assert_eq!((m.screen, m.mode()), (Screen::History, Mode::History));
    assert_eq!(press(&mut m, "tab"), vec![]);
    assert_eq!(m.screen, Screen::Codes);
    assert_eq!(press(&mut m, "shift-tab"), vec![history(2)], "the newest events again, where the cursor is");
    assert_eq!(press(&mut m, "shift-tab"), vec![]);
    assert_eq!(m.screen, Screen::Settings);
    assert_eq!(press(&mut m, "shift-tab"), vec![stats]);
    assert_eq!(m.screen, Screen::Stats);
}

#[test]
fn the_stats_window_switches_with_w_and_answers_for_another_window_are_dropped() {
    let mut m = loaded(3);
    press(&mut m, "tab");
    send(&mut m, Msg::Stats(Ok(stats_data(StatsWindow::Month, &[(7, "SPRING", 4)], &[]))));
    assert_eq!(m.stats.data.as_ref().map(|d| d.window), Some(StatsWindow::Month));
    assert_eq!(press(&mut m, "w"), vec![Cmd::LoadStats { window: StatsWindow::Quarter }]);
    assert_eq!(press(&mut m, "w"), vec![Cmd::LoadStats { window: StatsWindow::All }]);
    assert_eq!(press(&mut m, "w"), vec![Cmd::LoadStats { window: StatsWindow::Day }], "round to the first");
    assert_eq!(press(&mut m, "W"), vec![Cmd::LoadStats { window: StatsWindow::All }]);
    // The 90-day answer comes after the switch to all time: not shown as all time's.
    send(&mut m, Msg::Stats(Ok(stats_data(StatsWindow::Quarter, &[(7, "SPRING", 9)], &[]))));
    assert_eq!(m.stats.data.as_ref().map(|d| d.window), Some(StatsWindow::Month));
    send(&mut m, Msg::Stats(Ok(stats_data(StatsWindow::All, &[(7, "SPRING", 12)], &[]))));
    assert_eq!(m.stats.data.as_ref().map(|d| (d.window, d.stats.top_codes[0].uses)), Some((StatsWindow::All, 12)));
    // The command line switches it too.
    press(&mut m, ":");
    for c in "window".chars() {
        press(&mut m, &c.to_string());
    }
    assert_eq!(press(&mut m, "enter"), vec![Cmd::LoadStats { window: StatsWindow::Day }]);
}

#[test]
fn enter_on_a_top_code_opens_it_and_on_a_beneficiary_filters_the_codes_by_them() {
    let mut m = loaded(3);
    press(&mut m, "tab");
    let codes = [(7, "SPRING", 4), (9, "AUTUMN", 2)];
    let bens = [(21, "ben@example.com", 4), (22, "", 2)];
    send(&mut m, Msg::Stats(Ok(stats_data(StatsWindow::Month, &codes, &bens))));
    press(&mut m, "j");
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::LoadDetail { id: CodeId::from(9), usage_limit: 500, history_limit: 200 }]
    );
    assert_eq!(m.detail.as_ref().map(|d| d.id), Some(CodeId::from(9)));
    press(&mut m, "esc");
    assert_eq!(m.mode(), Mode::Stats);
    // The beneficiaries' list: the cursor stays on the second row; that user is gone, so there is no email to filter by.
    press(&mut m, "l");
    assert_eq!(m.stats.list, StatsList::Beneficiaries);
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(m.screen, Screen::Stats);
    press(&mut m, "k");
    let cmds = press(&mut m, "enter");
    assert_eq!(m.screen, Screen::Codes);
    assert_eq!(m.list.filter_input.value(), "beneficiary:\"ben@example.com\"");
    assert!(matches!(cmds.as_slice(), [Cmd::LoadCount { .. }, ..]), "{cmds:?}");
}

#[test]
fn enter_on_a_switch_sends_the_opposite_of_what_is_shown() {
    let shown = SystemConfig { enabled: false, required: true, ..config() };
    let mut m = settings_with(shown);
    assert_eq!(press(&mut m, "enter"), vec![setting(SettingKey::Enabled, "true")]);
    assert!(m.settings.saving);
    assert_eq!(press(&mut m, "space"), vec![setting(SettingKey::Enabled, "true")], "an absolute value, not a flip");

    press(&mut m, "j");
    assert_eq!(press(&mut m, "enter"), vec![setting(SettingKey::Required, "false")]);

    let saved = SystemConfig { enabled: true, ..shown };
    assert_eq!(send(&mut m, Msg::SettingSaved(Ok(saved))), vec![Cmd::LoadHeader]);
    assert_eq!(m.header.config, Some(saved));
    assert!(!m.settings.saving);
    assert_eq!(status_text(&m), Some("Setting saved"));

    // Now shown on: turning the whole system off asks first (see tests/tui_update_keys.rs).
    press(&mut m, "k");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(press(&mut m, "y"), vec![setting(SettingKey::Enabled, "false")]);
}

#[test]
fn settings_wait_for_the_header() {
    let mut m = model();
    presses(&mut m, &["tab", "tab"]);
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(status_text(&m), Some("The settings are still loading"));
}

#[test]
fn editing_the_uses_limit_checks_1_to_10000_and_sends_the_normalised_value() {
    let mut m = settings_with(config());
    presses(&mut m, &["j", "j"]);
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(m.settings.editing.as_ref().map(|i| i.value()), Some("100"));

    press(&mut m, "ctrl-u");
    type_text(&mut m, "20000");
    assert_eq!(
        m.settings.error.as_deref(),
        Some("max_number_of_uses_per_code takes a whole number from 1 to 10000, not \"20000\"")
    );
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.settings.editing.is_some(), "a bad value stays to be fixed");

    press(&mut m, "ctrl-u");
    type_text(&mut m, "0");
    assert!(m.settings.error.as_deref().is_some_and(|e| e.ends_with("not \"0\"")));
    type_text(&mut m, "500");
    assert_eq!(m.settings.error, None);
    assert_eq!(press(&mut m, "enter"), vec![setting(SettingKey::MaxUsesPerCode, "500")]);
    assert!(m.settings.editing.is_none());
    assert!(m.settings.saving);
}

#[test]
fn editing_the_codes_per_user_limit_checks_1_to_1000_and_esc_leaves_it() {
    let mut m = settings_with(config());
    presses(&mut m, &["j", "j", "j"]);
    press(&mut m, "enter");
    assert_eq!(m.settings.editing.as_ref().map(|i| i.value()), Some("10"));
    press(&mut m, "ctrl-u");
    type_text(&mut m, "1001");
    assert_eq!(
        m.settings.error.as_deref(),
        Some("max_number_of_codes_per_user takes a whole number from 1 to 1000, not \"1001\"")
    );
    type_text(&mut m, "q");
    assert!(!m.quit, "q is text while editing");
    assert_eq!(m.settings.editing.as_ref().map(|i| i.value()), Some("1001q"));

    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.settings.editing.is_none());
    assert_eq!(m.settings.error, None);

    press(&mut m, "enter");
    press(&mut m, "ctrl-u");
    type_text(&mut m, " 1000 ");
    assert_eq!(press(&mut m, "enter"), vec![setting(SettingKey::MaxCodesPerUser, "1000")]);
}

#[test]
fn a_refused_setting_shows_why() {
    let mut m = settings_with(config());
    press(&mut m, "enter");
    let failure =
        Failure { kind: Some(ErrorKind::NotAuthorized), message: "only admins change settings".into(), fields: vec![] };
    assert_eq!(send(&mut m, Msg::SettingSaved(Err(failure))), vec![]);
    assert!(!m.settings.saving);
    assert_eq!(m.settings.error.as_deref(), Some("only admins change settings"));
    assert_eq!(m.header.config, Some(config()));
}

const READ_ONLY: &str = "Read-only (--read-only): changes are off";

#[test]
fn a_read_only_dashboard_refuses_every_change_and_says_why() {
    let mut m = loaded_for(read_only(), 1000);
    press(&mut m, "space");
    let marked = m.list.marks.clone();
    for key in ["n", "e", "d", "t", "a", "x", "+"] {
        m.messages.clear();
        assert_eq!(press(&mut m, key), vec![], "{key}");
        assert_eq!(status_text(&m), Some(READ_ONLY), "{key}");
        assert!(m.form.is_none() && m.confirm.is_none(), "{key}");
        assert_eq!(m.mode(), Mode::List, "{key}");
    }
    assert_eq!(m.list.marks, marked);

    // The settings screen refuses too.
    presses(&mut m, &["tab", "tab"]);
    m.messages.clear();
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(status_text(&m), Some(READ_ONLY));
    assert!(m.settings.editing.is_none());
}

#[test]
fn a_read_only_dashboard_still_reads() {
    let mut m = loaded_for(read_only(), 1000);
    assert_eq!(presses(&mut m, &["j", "space"]), vec![]);
    assert_eq!((m.list.cursor, marks_of(&m)), (2, vec![2]));
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::LoadDetail { id: CodeId::from(3), usage_limit: 500, history_limit: 200 }]
    );
    assert_eq!(press(&mut m, "e"), vec![], "no editing from the details either");
    assert_eq!(status_text(&m), Some(READ_ONLY));
    assert!(m.form.is_none());
    press(&mut m, "esc");
    assert_eq!(press(&mut m, "ctrl-a"), vec![]);
    assert_eq!(m.list.marks, Marks::Matching { filter: CodeFilter::default(), count: 1000 });
    assert_eq!(press(&mut m, "s").len(), 2);
    assert_eq!(m.list.generation, 1);
    assert_eq!(press(&mut m, "r")[0], Cmd::LoadHeader);
    press(&mut m, "?");
    assert_eq!(m.mode(), Mode::Help);
}

fn marks_of(m: &Model) -> Vec<i64> {
    match &m.list.marks {
        Marks::Ids(ids) => ids.iter().map(|id| id.0.int().expect("integer ids here")).collect(),
        all => panic!("codes marked one by one, not {all:?}"),
    }
}

#[test]
fn an_operator_who_is_not_an_admin_is_named_in_the_refusal() {
    let mut m = loaded_for(not_admin(), 3);
    assert_eq!(press(&mut m, "n"), vec![]);
    assert_eq!(status_text(&m), Some("ada@example.com is not an admin, so changes are off here"));
    assert!(m.form.is_none());
    assert_eq!(press(&mut m, "d"), vec![]);
    assert!(m.confirm.is_none());
}

#[test]
fn a_refresh_that_finds_the_role_revoked_turns_the_dashboard_read_only_and_says_why() {
    let mut m = loaded(3);
    assert!(m.session.can_administer);
    // The next refresh's header: the operator holds Owner or Admin no more.
    let cmds = send(&mut m, Msg::Header(Ok((config(), SystemStats::default(), false))));
    assert_eq!(cmds, vec![]);
    assert!(!m.session.can_administer && m.session.revoked);
    assert_eq!(status_text(&m), Some("admin@example.com is no longer an Owner or Admin here, so changes are off now"));
    assert_eq!(status_level(&m), Some(Level::Error));
    // Every change is refused from now on, with the reason, and nothing goes to the database.
    assert_eq!(press(&mut m, "n"), vec![]);
    assert!(m.form.is_none());
    assert_eq!(press(&mut m, "d"), vec![]);
    assert!(m.confirm.is_none());
    assert_eq!(status_text(&m), Some("admin@example.com is no longer an Owner or Admin here, so changes are off now"));
    // A later header that still says so changes nothing more.
    assert_eq!(send(&mut m, Msg::Header(Ok((config(), SystemStats::default(), false)))), vec![]);
    assert!(!m.session.can_administer);
}

#[test]
fn question_mark_opens_the_help_slash_filters_it_and_q_question_mark_or_esc_close_it() {
    let help = |m: &Model| m.help.clone().expect("the help is open");
    let mut m = loaded(3);
    assert_eq!(press(&mut m, "?"), vec![]);
    assert_eq!(m.mode(), Mode::Help);
    // Typing no longer filters: j and k scroll, q closes.
    press(&mut m, "j");
    assert_eq!((help(&m).scroll, help(&m).filter.value().to_string()), (1, String::new()));
    press(&mut m, "k");
    assert_eq!(help(&m).scroll, 0);
    press(&mut m, "/");
    assert!(help(&m).filtering);
    type_text(&mut m, "markq");
    assert!(!m.quit && m.help.is_some(), "q is text in the filter");
    assert_eq!(help(&m).filter.value(), "markq");
    press(&mut m, "backspace");
    press(&mut m, "enter");
    assert_eq!((help(&m).filter.value(), help(&m).filtering), ("mark", false), "Enter keeps the filter");
    assert_eq!(press(&mut m, "q"), vec![]);
    assert!(m.help.is_none() && !m.quit, "q closes the help, not the dashboard");

    press(&mut m, "?");
    press(&mut m, "?");
    assert!(m.help.is_none(), "? closes it too");

    // Esc ends a filter (clearing it) before it closes.
    presses(&mut m, &["?", "/"]);
    type_text(&mut m, "zz");
    press(&mut m, "esc");
    assert_eq!((help(&m).filter.value(), help(&m).filtering), ("", false));
    press(&mut m, "esc");
    assert!(m.help.is_none());
    assert_eq!(m.mode(), Mode::List);

    // Typed into a form's field, ? is a character, not the help.
    press(&mut m, "n");
    press(&mut m, "tab");
    type_text(&mut m, "?");
    assert!(m.help.is_none());
    assert_eq!(m.form.as_ref().unwrap().description.value(), "?");
}

#[test]
fn the_help_scrolls_until_its_last_line_is_at_the_bottom() {
    use refcodes::tui::layout::{last_scroll, overlay_body};
    let mut m = loaded(3);
    press(&mut m, "?");
    let scroll = |m: &Model| m.help.as_ref().unwrap().scroll;
    let width = usize::from(overlay_body(m.size).0);
    let rows = m.keymap.help("", true).iter().map(|l| l.rows(width).len()).sum();
    let last = last_scroll(rows, m.size);
    assert!(last > 10, "the keys take more than a screen at 80x24: {last}");
    for _ in 0..20 {
        press(&mut m, "pagedown");
    }
    assert_eq!(scroll(&m), last);
    press(&mut m, "j");
    assert_eq!(scroll(&m), last, "no further");
    press(&mut m, "up");
    assert_eq!(scroll(&m), last - 1, "one key up moves the text at once");
    press(&mut m, "g");
    assert_eq!(scroll(&m), 0);
    press(&mut m, "G");
    assert_eq!(scroll(&m), last);

    // A taller terminal shows more of it at once, so it scrolls less.
    send(&mut m, Msg::Resize(80, 60));
    press(&mut m, "G");
    assert!(scroll(&m) < last);

    press(&mut m, "/");
    type_text(&mut m, "quit");
    assert_eq!(scroll(&m), 0, "a new filter starts at the top");
    presses(&mut m, &["down", "down", "pagedown"]);
    assert_eq!(scroll(&m), 0, "a few lines fit: nothing to scroll");
}

#[test]
fn the_help_lists_the_text_fields_keys_and_the_commands() {
    let m = loaded(3);
    let text: Vec<String> = m.keymap.help("", true).iter().map(|l| l.rows(200).concat()).collect();
    let has = |s: &str| text.iter().any(|l| l.contains(s));
    assert!(has("Ctrl-u") && has("clear the line") && has("Ctrl-w"), "{text:#?}");
    assert!(has(":q :quit") && has(":settings") && has(":extend"), "{text:#?}");
    let read_only = loaded_for(read_only(), 3);
    let text: Vec<String> = read_only.keymap.help("", false).iter().map(|l| l.rows(200).concat()).collect();
    assert!(!text.iter().any(|l| l.contains(":delete")), "no mutating command where changes are off");
}

#[test]
fn enter_opens_the_details_and_answers_for_another_code_are_ignored() {
    let mut m = loaded(3);
    press(&mut m, "j");
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::LoadDetail { id: CodeId::from(2), usage_limit: 500, history_limit: 200 }]
    );
    assert_eq!(m.mode(), Mode::Detail);
    assert!(m.detail.as_ref().unwrap().loading);

    assert_eq!(send(&mut m, detail_msg(1, 2)), vec![]);
    let detail = m.detail.as_ref().unwrap();
    assert!(detail.loading && detail.row.is_none(), "an answer for code 1 is not code 2's");

    assert_eq!(send(&mut m, detail_msg(2, 3)), vec![]);
    let detail = m.detail.as_ref().unwrap();
    assert!(!detail.loading);
    assert_eq!(detail.row, Some(row(2)));
    assert_eq!(detail.usage.len(), 3);

    press(&mut m, "j");
    press(&mut m, "G");
    assert_eq!(m.detail.as_ref().unwrap().scroll, 2);
    assert_eq!(
        press(&mut m, "r"),
        vec![
            Cmd::LoadHeader,
            load_count(0),
            load_page(0, 0),
            Cmd::LoadDetail { id: CodeId::from(2), usage_limit: 500, history_limit: 200 }
        ]
    );

    assert_eq!(press(&mut m, "q"), vec![]);
    assert!(m.detail.is_none() && !m.quit, "q closes the details");

    press(&mut m, "enter");
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.detail.is_none());
}

#[test]
fn e_in_the_details_edits_the_code_shown() {
    let mut m = loaded(3);
    press(&mut m, "enter");
    send(&mut m, detail_msg(1, 0));
    assert_eq!(press(&mut m, "e"), vec![]);
    assert_eq!(m.mode(), Mode::Form);
    assert_eq!(m.form.as_ref().unwrap().editing.as_ref().map(|c| c.id), Some(CodeId::from(1)));
}

#[test]
fn a_terminal_too_small_ignores_every_key_but_quit() {
    let mut m = loaded(1000);
    press(&mut m, "space");
    assert_eq!(send(&mut m, Msg::Resize(59, 16)), vec![]);
    assert!(!m.fits());
    for key in ["j", "G", "n", "e", "d", "t", "a", "x", "space", "ctrl-a", "/", "?", "enter", "r", "tab", "esc"] {
        assert_eq!(press(&mut m, key), vec![], "{key}");
    }
    assert_eq!(m.list.cursor, 1);
    assert_eq!(marks_of(&m), [1]);
    assert_eq!(m.mode(), Mode::List);
    assert!(m.help.is_none() && m.detail.is_none() && m.form.is_none() && m.confirm.is_none());
    assert_eq!(m.screen, Screen::Codes);
    assert!(!m.quit);

    // Big enough again, keys work: 60x16 is the smallest.
    send(&mut m, Msg::Resize(60, 16));
    press(&mut m, "j");
    assert_eq!(m.list.cursor, 2);

    send(&mut m, Msg::Resize(60, 15));
    assert_eq!(press(&mut m, "q"), vec![]);
    assert!(m.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere_even_while_typing() {
    let mut m = loaded(3);
    press(&mut m, "ctrl-c");
    assert!(m.quit);

    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "q");
    assert!(!m.quit, "q is text in the form");
    press(&mut m, "ctrl-c");
    assert!(m.quit);

    let mut m = loaded(3);
    send(&mut m, Msg::Resize(20, 5));
    press(&mut m, "ctrl-c");
    assert!(m.quit);
}

#[test]
fn q_quits_from_the_list() {
    let mut m = loaded(3);
    assert_eq!(press(&mut m, "q"), vec![]);
    assert!(m.quit);
}

#[test]
fn key_releases_are_ignored() {
    let mut m = loaded(3);
    let release = KeyEvent::new_with_kind(KeyCode::Char('j'), KeyModifiers::NONE, KeyEventKind::Release);
    assert_eq!(send(&mut m, Msg::Key(release)), vec![]);
    assert_eq!(m.list.cursor, 0);
}
