//! `update()` for the keys people expect (issue 10): `1`/`2`/`3` for the screens, `y` copies, `f`/`F` walk the
//! status filter both ways, unknown keys point to `?`, the `:` command line with completion, the messages log (`!`)
//! and "updated" with `r` acknowledged, and questions before a setting that changes every registration.

mod tui_common;
use tui_common as common;

use chrono::Duration;
use common::*;
use refcodes::domain::settings::{SettingKey, SystemConfig};
use refcodes::domain::{CodeFilter, CodeStatus};
use refcodes::tui::keymap::Mode;
use refcodes::tui::layout::last_scroll;
use refcodes::tui::model::{Failure, Level, Model, Screen};
use refcodes::tui::msg::{Cmd, Msg};

fn copy(text: &str) -> Cmd {
    Cmd::Copy { text: text.into() }
}

#[test]
fn number_keys_go_to_the_screens() {
    let mut m = loaded(3);
    let cmds = press(&mut m, "2");
    assert_eq!(m.screen, Screen::Stats);
    assert!(matches!(cmds.as_slice(), [Cmd::LoadStats { .. }]), "{cmds:?}");
    assert_eq!(press(&mut m, "3"), vec![]);
    assert_eq!(m.screen, Screen::Settings);
    assert_eq!(press(&mut m, "1"), vec![]);
    assert_eq!((m.screen, m.mode()), (Screen::Codes, Mode::List));

    // From a code's details too, which close; typed into a field, a digit is text.
    press(&mut m, "enter");
    assert!(m.detail.is_some());
    press(&mut m, "3");
    assert!(m.detail.is_none() && m.screen == Screen::Settings);
    press(&mut m, "1");
    press(&mut m, "n");
    type_text(&mut m, "2");
    assert_eq!((m.screen, m.form.as_ref().map(|f| f.code.value())), (Screen::Codes, Some("2")));
}

#[test]
fn y_copies_the_code_under_the_cursor_and_says_so() {
    let mut m = loaded(3);
    press(&mut m, "j");
    assert_eq!(press(&mut m, "y"), vec![copy("CODE0002")]);
    assert_eq!(m.in_flight, 1);
    let copied = Msg::Copied { text: "CODE0002".into(), result: Ok(()) };
    assert_eq!(send(&mut m, copied), vec![]);
    assert_eq!(m.in_flight, 0);
    assert_eq!(status_text(&m), Some("Copied CODE0002 to the clipboard"));

    // The details' code; a read-only dashboard copies too.
    let mut m = loaded_for(read_only(), 3);
    press(&mut m, "enter");
    let history = refcodes::service::HistoryPage { events: Vec::new(), next: None };
    let data = refcodes::tui::model::DetailData { row: row(1), stats: usage_stats(), usage: Vec::new(), history };
    let detail = Msg::Detail { id: 1.into(), result: Ok(data) };
    send(&mut m, detail);
    assert_eq!(press(&mut m, "y"), vec![copy("CODE0001")]);

    // A terminal that can't take it: said, and the dashboard stays online.
    let failed = Failure { kind: None, message: "No terminal to copy to".into(), fields: Vec::new() };
    send(&mut m, Msg::Copied { text: "CODE0001".into(), result: Err(failed) });
    assert_eq!((status_text(&m), status_level(&m)), (Some("No terminal to copy to"), Some(Level::Error)));
    assert!(m.offline.is_none());

    let mut empty = loaded(0);
    assert_eq!(press(&mut empty, "y"), vec![]);
    assert_eq!(status_text(&empty), Some("No code here to copy"));
}

fn usage_stats() -> refcodes::domain::stats::CodeUsageStats {
    refcodes::domain::stats::CodeUsageStats {
        code_id: 1.into(),
        total_uses: 0,
        unique_users: 0,
        last_used: None,
        remaining_uses: 100,
        status: CodeStatus::Active,
    }
}

#[test]
fn f_walks_the_status_filter_forward_and_capital_f_back() {
    let mut m = loaded(3);
    let status = |m: &Model| m.list.status;
    press(&mut m, "f");
    assert_eq!(status(&m), Some(CodeStatus::Active));
    press(&mut m, "F");
    assert_eq!(status(&m), None);
    let cmds = press(&mut m, "F");
    assert_eq!(status(&m), Some(CodeStatus::LimitReached), "back from all is the last status");
    let filter = CodeFilter { status: Some(CodeStatus::LimitReached), ..CodeFilter::default() };
    assert!(cmds.contains(&Cmd::LoadCount { generation: m.list.generation, filter }), "{cmds:?}");
    press(&mut m, "F");
    assert_eq!(status(&m), Some(CodeStatus::Expired));
    presses(&mut m, &["f", "f"]);
    assert_eq!(status(&m), None);
}

#[test]
fn an_unknown_key_says_where_the_keys_are() {
    let mut m = loaded(3);
    assert_eq!(press(&mut m, "z"), vec![]);
    assert_eq!(status_text(&m), Some("z does nothing here: press ? for keys"));
    press(&mut m, "2");
    // (`w` switches the stats screen's window.)
    press(&mut m, "x");
    assert_eq!(status_text(&m), Some("x does nothing here: press ? for keys"));

    // Not where keys are text.
    let mut m = loaded(3);
    press(&mut m, "/");
    type_text(&mut m, "z");
    assert_eq!(status_text(&m), None);
    assert_eq!(m.list.filter_input.value(), "z");
}

#[test]
fn the_command_line_completes_and_runs_commands() {
    let mut m = loaded(3);
    assert_eq!(press(&mut m, ":"), vec![]);
    assert_eq!(m.mode(), Mode::Command);
    type_text(&mut m, "se");
    press(&mut m, "tab");
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("settings"), "the only command starting se");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!((m.screen, m.command.is_none()), (Screen::Settings, true));

    // Several commands fit: Tab goes as far as they agree.
    press(&mut m, ":");
    type_text(&mut m, "d");
    press(&mut m, "tab");
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("de"), "deactivate, delete");
    press(&mut m, "esc");
    assert!(m.command.is_none() && m.screen == Screen::Settings);

    // A list command runs where its key would: not on the settings screen.
    press(&mut m, ":");
    type_text(&mut m, "extend");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(status_text(&m), Some(":extend does nothing here"));
    presses(&mut m, &["1", ":"]);
    type_text(&mut m, "extend");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("extend 7d"), "as + does: asks for the span");
    press(&mut m, "esc");

    press(&mut m, ":");
    type_text(&mut m, "nope");
    press(&mut m, "enter");
    assert_eq!(status_text(&m), Some("No command :nope (Tab completes; ? lists the commands)"));

    press(&mut m, ":");
    type_text(&mut m, "settings now");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(status_text(&m), Some(":settings takes no value: run :settings alone"));
    press(&mut m, "1");

    press(&mut m, ":");
    type_text(&mut m, " q ");
    press(&mut m, "enter");
    assert!(m.quit);

    // Changes stay off where they are off.
    let mut m = loaded_for(read_only(), 3);
    press(&mut m, ":");
    type_text(&mut m, "delete");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(status_text(&m), Some("Read-only (--read-only): changes are off"));
}

#[test]
fn the_messages_log_keeps_the_last_hundred_in_full() {
    let mut m = loaded(3);
    for _ in 0..60 {
        presses(&mut m, &["z", "w"]);
    }
    assert_eq!(m.messages.len(), 100);
    // The status bar's message fades; the log keeps it.
    send(&mut m, Msg::Tick(now() + Duration::seconds(60)));
    assert!(m.message().is_none());
    assert_eq!(press(&mut m, "!"), vec![]);
    assert_eq!((m.mode(), m.log), (Mode::Messages, Some(0)));
    let rows: usize = m.messages.iter().map(|msg| msg.rows(78).len()).sum();
    assert_eq!(rows, 100, "a row each at 80 columns");
    let last = last_scroll(rows, m.size);
    assert_eq!(last, 100 - 18, "18 rows show at 80x24");
    for _ in 0..20 {
        press(&mut m, "pagedown");
    }
    assert_eq!(m.log, Some(last));
    press(&mut m, "j");
    assert_eq!(m.log, Some(last), "no further than the oldest");
    press(&mut m, "k");
    assert_eq!(m.log, Some(last - 1));
    press(&mut m, "q");
    assert!(m.log.is_none() && !m.quit, "q closes the log");
    presses(&mut m, &["!", "esc"]);
    assert!(m.log.is_none());
}

#[test]
fn a_refresh_by_key_is_acknowledged_and_the_header_knows_when_it_was_updated() {
    let mut m = loaded(3);
    assert_eq!(m.updated, Some(now()));
    send(&mut m, Msg::Tick(now() + Duration::seconds(3)));
    let cmds = press(&mut m, "r");
    assert!(cmds.contains(&Cmd::LoadHeader));
    assert_eq!(status_text(&m), None, "said when the answer comes");
    serve(&mut m, cmds, 3);
    assert_eq!(status_text(&m), Some("Reloaded from the database"));
    assert_eq!(m.updated, Some(now() + Duration::seconds(3)));

    // The clock's own refreshes say nothing.
    m.messages.clear();
    let cmds = reload_by_clock(&mut m, now() + Duration::seconds(10));
    assert!(cmds.contains(&Cmd::LoadHeader));
    serve(&mut m, cmds, 3);
    assert_eq!(status_text(&m), None);
    assert_eq!(m.updated, Some(now() + Duration::seconds(10)));
}

fn settings_with(config: SystemConfig) -> Model {
    let mut m = loaded(3);
    send(&mut m, header_msg(config));
    press(&mut m, "3");
    m
}

#[test]
fn turning_the_system_off_or_codes_required_asks_first() {
    let set = |key, value: &str| Cmd::SetSetting { key, value: value.into() };
    let mut m = settings_with(SystemConfig { enabled: true, required: false, ..config() });
    assert_eq!(press(&mut m, "enter"), vec![]);
    let question = m.confirm.clone().expect("a question");
    assert!(question.message.contains("whole system") && !question.on_confirm, "{question:?}");
    assert_eq!(press(&mut m, "n"), vec![], "the default answer keeps it on");
    assert!(m.confirm.is_none() && !m.settings.saving);
    press(&mut m, "enter");
    assert_eq!(press(&mut m, "y"), vec![set(SettingKey::Enabled, "false")]);
    assert!(m.settings.saving);

    press(&mut m, "j");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.confirm.as_ref().is_some_and(|c| c.message.contains("required")));
    press(&mut m, "tab");
    assert_eq!(press(&mut m, "enter"), vec![set(SettingKey::Required, "true")], "Enter on the confirming choice");

    // The other way round needs no question: it takes no registration away.
    let mut m = settings_with(SystemConfig { enabled: false, required: true, ..config() });
    assert_eq!(press(&mut m, "enter"), vec![set(SettingKey::Enabled, "true")]);
    press(&mut m, "j");
    assert_eq!(press(&mut m, "enter"), vec![set(SettingKey::Required, "false")]);
}

#[test]
fn a_long_message_wraps_in_the_log_beside_its_time() {
    let mut m = loaded(3);
    let revoked = Msg::Header(Ok((config(), refcodes::domain::stats::SystemStats::default(), false)));
    send(&mut m, revoked);
    let message = m.message().expect("the role taken away is said").clone();
    assert_eq!(
        message.rows(60),
        ["12:00:00  admin@example.com is no longer an Owner or Admin", "          here, so changes are off now"]
    );
    press(&mut m, "!");
    assert_eq!(m.mode(), Mode::Messages);
}
