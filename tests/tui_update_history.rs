//! `update()` for the History screen (the audit trail's events, paged by keyset as the cursor nears the end of what
//! is loaded, and its filter) and for the history in a code's details.

mod tui_common;
use tui_common as common;

use chrono::Duration;
use common::*;
use refcodes::domain::audit::{AuditEvent, HistoryFilter};
use refcodes::domain::window::Since;
use refcodes::domain::{CodeId, Key};
use refcodes::service::HistoryPage;
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{DetailData, Model, Screen};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::update::HISTORY_PAGE;

/// Event `i` of a trail, newest first: `i` minutes old, about code `i`.
fn event(i: i64, action: &str) -> AuditEvent {
    AuditEvent {
        id: Key::from(100_000 - i),
        at: now() - Duration::minutes(i),
        operator: "admin@example.com".into(),
        action: action.into(),
        code: Some(format!("CODE{i:04}")),
        code_id: Some(CodeId::from(i)),
        changes: serde_json::json!({"status": {"old": "active", "new": "inactive"}}),
        face: "dashboard".into(),
        bulk_id: None,
        shared: false,
    }
}

/// A page of events `from..to`; `more` says whether older ones follow.
fn page(from: i64, to: i64, more: bool) -> HistoryPage {
    let events: Vec<AuditEvent> = (from..to).map(|i| event(i, "referral_code.status_changed")).collect();
    let next = if more { events.last().map(AuditEvent::cursor) } else { None };
    HistoryPage { events, next }
}

fn first_load(generation: u64, filter: HistoryFilter) -> Cmd {
    Cmd::LoadHistory { generation, filter: Box::new(filter), before: None }
}

fn answer(m: &mut Model, generation: u64, appended: bool, page: HistoryPage) -> Vec<Cmd> {
    send(m, Msg::History { generation, appended, result: Ok(page) })
}

/// The History screen with its first page (100 events of more) loaded.
fn history_screen() -> Model {
    let mut m = loaded(3);
    assert_eq!(press(&mut m, "4"), vec![first_load(1, HistoryFilter::default())]);
    assert_eq!((m.screen, m.mode()), (Screen::History, Mode::History));
    assert!(answer(&mut m, 1, false, page(0, HISTORY_PAGE as i64, true)).is_empty());
    m
}

#[test]
fn the_next_page_loads_as_the_cursor_nears_the_end_and_only_once() {
    let mut m = history_screen();
    assert_eq!(m.history.events.len(), 100);
    let screen = m.visible_events();
    // Down until the cursor is two screens from the end: then, and only then, the next page is asked for.
    let mut asked = Vec::new();
    for _ in 0..(100 - 2 * screen) {
        asked.extend(press(&mut m, "down"));
    }
    let before = m.history.events.last().map(AuditEvent::cursor);
    assert_eq!(asked, vec![Cmd::LoadHistory { generation: 1, filter: Box::default(), before }]);
    assert!(press(&mut m, "down").is_empty(), "not asked twice while it loads");
    assert!(answer(&mut m, 1, true, page(100, 130, false)).is_empty());
    assert_eq!(m.history.events.len(), 130);
    assert_eq!(m.history.events[100].code.as_deref(), Some("CODE0100"));
    // The oldest is loaded: the end stops there, with nothing more to ask.
    assert!(press(&mut m, "G").is_empty());
    assert_eq!(m.history.cursor, 129);
    assert_eq!(m.history.next, None);
}

#[test]
fn answers_of_an_older_filter_are_dropped() {
    let mut m = history_screen();
    press(&mut m, "/");
    let typed: Vec<Cmd> = type_text(&mut m, "CODE0007").into_iter().flatten().collect();
    assert!(typed.iter().all(|c| matches!(c, Cmd::WakeAfter { .. })), "typing waits for the debounce: {typed:?}");
    let filter = HistoryFilter { code: Some("CODE0007".into()), ..HistoryFilter::default() };
    assert_eq!(press(&mut m, "enter"), vec![first_load(2, filter.clone())]);
    assert_eq!(m.history.applied, filter);
    assert!(m.history.events.is_empty() && !m.history.loaded);
    // A late page for the unfiltered list changes nothing.
    answer(&mut m, 1, true, page(100, 200, true));
    assert!(m.history.events.is_empty());
    answer(&mut m, 2, false, page(7, 8, false));
    assert_eq!(m.history.events.len(), 1);
    assert_eq!(m.history.applied_text, "CODE0007");
}

#[test]
fn a_filter_that_does_not_parse_says_why_and_keeps_the_one_in_force() {
    let mut m = history_screen();
    press(&mut m, "/");
    type_text(&mut m, "action:deleted");
    let deleted = HistoryFilter { action: Some("referral_code.deleted"), ..HistoryFilter::default() };
    assert_eq!(press(&mut m, "enter"), vec![first_load(2, deleted.clone())]);
    press(&mut m, "/");
    type_text(&mut m, " opertor:ada");
    assert!(press(&mut m, "enter").is_empty(), "nothing is loaded for a filter that does not parse");
    assert!(m.history.filter_error.as_deref().is_some_and(|e| e.contains("opertor: is not a field")));
    assert_eq!(m.history.applied, deleted);
    assert_eq!(m.history.applied_text, "action:deleted");
    // Esc clears the filter and loads every event again.
    press(&mut m, "/");
    assert_eq!(press(&mut m, "esc"), vec![first_load(3, HistoryFilter::default())]);
    assert_eq!(m.history.filter_error, None);
}

#[test]
fn the_command_line_opens_the_history_of_a_code() {
    let mut m = loaded(3);
    press(&mut m, ":");
    type_text(&mut m, "history SPRING since:7d");
    let filter = HistoryFilter {
        code: Some("SPRING".into()),
        since: Some(Since::Span(Duration::days(7))),
        ..HistoryFilter::default()
    };
    let cmds = press(&mut m, "enter");
    assert_eq!(m.screen, Screen::History);
    assert_eq!(cmds, vec![first_load(1, filter)]);
    // Read-only dashboards read the history too.
    let mut r = loaded_for(read_only(), 3);
    press(&mut r, ":");
    type_text(&mut r, "history SPRING");
    press(&mut r, "enter");
    assert_eq!(r.screen, Screen::History);
    assert_eq!(r.history.applied.code.as_deref(), Some("SPRING"));
}

#[test]
fn enter_opens_the_code_of_an_event_unless_it_is_gone() {
    let mut m = loaded(3);
    press(&mut m, "4");
    let events = vec![
        event(1, "referral_code.updated"),
        event(2, "referral_code.deleted"),
        AuditEvent { code: None, code_id: None, ..event(3, "referral_codes.settings_updated") },
    ];
    answer(&mut m, 1, false, HistoryPage { events, next: None });
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::LoadDetail { id: CodeId::from(1), usage_limit: 500, history_limit: 200 }]
    );
    press(&mut m, "esc");
    press(&mut m, "down");
    assert!(press(&mut m, "enter").is_empty());
    assert!(status_text(&m).is_some_and(|t| t.contains("CODE0002 was deleted")));
    press(&mut m, "down");
    assert!(press(&mut m, "enter").is_empty());
    assert!(status_text(&m).is_some_and(|t| t.contains("not one code")));
    // `y` copies the code of the event under the cursor.
    press(&mut m, "up");
    assert_eq!(press(&mut m, "y"), vec![Cmd::Copy { text: "CODE0002".into() }]);
}

#[test]
fn a_refresh_reloads_the_newest_only_where_the_cursor_shows_them() {
    let mut m = history_screen();
    let later = now() + Duration::seconds(6);
    let cmds = reload_by_clock(&mut m, later);
    assert!(cmds.contains(&first_load(2, HistoryFilter::default())), "{cmds:?}");
    answer(&mut m, 2, false, page(0, 100, true));
    press(&mut m, "down");
    press(&mut m, "down");
    let cmds = reload_by_clock(&mut m, later + Duration::seconds(6));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::LoadHistory { .. })), "the place is kept: {cmds:?}");
    // `r` reloads anyway, and the cursor stays on its event as new ones arrive above it.
    let cmds = press(&mut m, "r");
    assert!(cmds.contains(&first_load(3, HistoryFilter::default())), "{cmds:?}");
    let on = m.history.events[2].id;
    let mut newer = page(-5, 95, true);
    newer.events.iter_mut().take(5).enumerate().for_each(|(i, e)| e.id = Key::from(200_000 + i as i64));
    answer(&mut m, 3, false, newer);
    assert_eq!(m.history.events[m.history.cursor].id, on);
    assert_eq!(m.history.cursor, 7);
}

#[test]
fn a_codes_details_switch_to_its_history() {
    let mut m = loaded(3);
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::LoadDetail { id: CodeId::from(1), usage_limit: 500, history_limit: 200 }]
    );
    let data = DetailData {
        row: row(1),
        stats: refcodes::domain::stats::CodeUsageStats {
            code_id: CodeId::from(1),
            total_uses: 0,
            unique_users: 0,
            last_used: None,
            remaining_uses: 5,
            status: refcodes::domain::CodeStatus::Active,
        },
        usage: Vec::new(),
        history: page(0, 3, true),
    };
    send(&mut m, Msg::Detail { id: CodeId::from(1), result: Ok(data) });
    let detail = m.detail.as_ref().expect("open");
    assert_eq!((detail.history.len(), detail.more_history, detail.showing_history), (3, true, false));
    assert_eq!(detail.rows(), 0, "the usage records first");
    press(&mut m, "h");
    press(&mut m, "down");
    press(&mut m, "down");
    press(&mut m, "down");
    let detail = m.detail.as_ref().expect("open");
    assert!(detail.showing_history);
    assert_eq!(detail.scroll, 2, "scrolling stops at the last event");
    press(&mut m, "h");
    assert_eq!(m.detail.as_ref().map(|d| (d.showing_history, d.scroll)), Some((false, 0)));
}
