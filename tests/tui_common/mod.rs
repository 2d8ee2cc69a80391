//! Shared helpers of the dashboard's `update()` tests: a model on a fixed clock, keys typed as in a terminal, and a
//! fake of the effects runner that answers list loads from a made-up table of codes.
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use refcodes::config::Config;
use refcodes::domain::draft::CodeDefaults;
use refcodes::domain::settings::SystemConfig;
use refcodes::domain::stats::SystemStats;
use refcodes::domain::{CodeFilter, CodeId, CodeQuery, CodeRow, ReferralCode, SortField, UserId};
use refcodes::tui::model::{Level, Model, Options, PAGE_SIZE, Session};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::theme::Theme;
use refcodes::tui::update;

/// The model's clock in every test: 2026-05-01 12:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

pub const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(150);
pub const REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

pub fn admin() -> Session {
    Session {
        operator: "admin@example.com".into(),
        role: "Admin".into(),
        database: "sqlite://test.db".into(),
        phoenix_kit: false,
        read_only: false,
        can_administer: true,
        revoked: false,
        audit_log_only: None,
    }
}

pub fn read_only() -> Session {
    Session { read_only: true, can_administer: false, ..admin() }
}

pub fn not_admin() -> Session {
    Session {
        operator: "ada@example.com".into(),
        role: "User".into(),
        read_only: false,
        can_administer: false,
        revoked: false,
        ..admin()
    }
}

pub fn model_for(session: Session) -> Model {
    let options = Options {
        theme: Theme::plain(),
        defaults: CodeDefaults::default(),
        refresh: REFRESH,
        debounce: DEBOUNCE,
        type_to_delete_over: 100,
    };
    Model::new(session, options, Config::defaults().dashboard.keymap, now(), (80, 24))
}

/// An admin's dashboard at 80x24 before the first load.
pub fn model() -> Model {
    model_for(admin())
}

/// The code at index `i` (0-based) of the made-up table: id `i + 1`, active, unused, expiring in a week.
pub fn code(id: i64) -> ReferralCode {
    ReferralCode {
        id: CodeId::from(id),
        code: format!("CODE{id:04}"),
        description: format!("Code {id}"),
        status: true,
        number_of_uses: 0,
        max_uses: 100,
        created_by: Some(UserId::from(1)),
        beneficiary: None,
        date_created: now() - Duration::minutes(id),
        expiration_date: Some(now() + Duration::days(7)),
    }
}

pub fn row_of(code: ReferralCode) -> CodeRow {
    CodeRow {
        code,
        created_by_email: Some("admin@example.com".into()),
        beneficiary_email: None,
        last_used: None,
        window_uses: 0,
    }
}

pub fn row(id: i64) -> CodeRow {
    row_of(code(id))
}

/// The rows of one page of a table of `total` codes.
pub fn page_rows(page: u64, total: u64) -> Vec<CodeRow> {
    let first = page * PAGE_SIZE;
    let last = ((page + 1) * PAGE_SIZE).min(total);
    (first..last).map(|i| row(i as i64 + 1)).collect()
}

pub fn config() -> SystemConfig {
    SystemConfig { enabled: true, required: false, max_number_of_uses_per_code: 100, max_number_of_codes_per_user: 10 }
}

pub fn header_msg(config: SystemConfig) -> Msg {
    Msg::Header(Ok((config, SystemStats::default(), true)))
}

/// What the list asks for a page of the default query (no filter, newest first).
pub fn load_page(generation: u64, page: u64) -> Cmd {
    load_page_of(generation, page, CodeFilter::default(), SortField::Created, true)
}

pub fn load_page_of(generation: u64, page: u64, filter: CodeFilter, sort: SortField, descending: bool) -> Cmd {
    Cmd::LoadPage {
        generation,
        page,
        query: CodeQuery {
            filter,
            sort,
            descending,
            offset: page * PAGE_SIZE,
            limit: PAGE_SIZE,
            ..CodeQuery::default()
        },
    }
}

pub fn load_count(generation: u64) -> Cmd {
    Cmd::LoadCount { generation, filter: CodeFilter::default() }
}

pub fn text_filter(text: &str) -> CodeFilter {
    CodeFilter { text: text.into(), status: None, ..Default::default() }
}

/// A key as a terminal sends it: `j`, `G` (with Shift), `ctrl-d`, `shift-tab`, `enter`, `esc`, `space`, `pagedown`.
pub fn key(spec: &str) -> KeyEvent {
    if let Some(c) = spec.strip_prefix("ctrl-") {
        let c = c.chars().next().expect("a key after ctrl-");
        return KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    }
    let named = match spec {
        "enter" => Some(KeyCode::Enter),
        "esc" => Some(KeyCode::Esc),
        "tab" => Some(KeyCode::Tab),
        "shift-tab" => return KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
        "backspace" => Some(KeyCode::Backspace),
        "up" => Some(KeyCode::Up),
        "down" => Some(KeyCode::Down),
        "left" => Some(KeyCode::Left),
        "right" => Some(KeyCode::Right),
        "home" => Some(KeyCode::Home),
        "end" => Some(KeyCode::End),
        "pageup" => Some(KeyCode::PageUp),
        "pagedown" => Some(KeyCode::PageDown),
        "space" => Some(KeyCode::Char(' ')),
        _ => None,
    };
    if let Some(code) = named {
        return KeyEvent::new(code, KeyModifiers::NONE);
    }
    let mut chars = spec.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => char_key(c),
        _ => panic!("not a key: {spec:?}"),
    }
}

fn char_key(c: char) -> KeyEvent {
    let modifiers = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

pub fn send(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    update::update(model, msg)
}

/// Presses one key; returns what `update` asked for.
pub fn press(model: &mut Model, spec: &str) -> Vec<Cmd> {
    send(model, Msg::Key(key(spec)))
}

/// Presses keys one after another; returns every command, in order.
pub fn presses(model: &mut Model, specs: &[&str]) -> Vec<Cmd> {
    specs.iter().flat_map(|s| press(model, s)).collect()
}

/// Types text one character at a time; returns the commands of each keystroke, in order.
pub fn type_text(model: &mut Model, text: &str) -> Vec<Vec<Cmd>> {
    text.chars().map(|c| send(model, Msg::Key(char_key(c)))).collect()
}

/// Plays the effects runner for list loads: answers `LoadCount`, `LoadPage` and `LoadHeader` from a table of `total`
/// codes (the filter is not applied), and `Probe` with a mark of `total`, until nothing more is asked; returns the
/// other commands, unanswered.
pub fn serve(model: &mut Model, cmds: Vec<Cmd>, total: u64) -> Vec<Cmd> {
    let mut queue: std::collections::VecDeque<Cmd> = cmds.into();
    let mut rest = Vec::new();
    while let Some(cmd) = queue.pop_front() {
        let answer = match cmd {
            Cmd::LoadCount { generation, .. } => Msg::Count { generation, result: Ok(total as i64) },
            Cmd::LoadPage { generation, page, .. } => {
                Msg::Page { generation, page, result: Ok(page_rows(page, total)) }
            }
            Cmd::LoadHeader => header_msg(config()),
            Cmd::Probe => Msg::Probed(Ok(format!("{total} codes"))),
            other => {
                rest.push(other);
                continue;
            }
        };
        queue.extend(send(model, answer));
    }
    rest
}

/// The clock's reload: a tick past the refresh interval asks whether anyone wrote, and a new mark (someone did)
/// reloads what is on screen; returns the reload's commands.
pub fn reload_by_clock(model: &mut Model, at: chrono::DateTime<chrono::Utc>) -> Vec<Cmd> {
    assert_eq!(send(model, Msg::Tick(at)), vec![Cmd::Probe]);
    send(model, Msg::Probed(Ok(format!("written before {at}"))))
}

/// An admin's dashboard with the first load of a table of `total` codes done.
pub fn loaded(total: u64) -> Model {
    loaded_for(admin(), total)
}

pub fn loaded_for(session: Session, total: u64) -> Model {
    let mut m = model_for(session);
    let cmds = update::start(&mut m);
    let rest = serve(&mut m, cmds, total);
    assert!(rest.is_empty(), "the first load asks only for list data: {rest:?}");
    m
}

/// The ids of codes `from..=to`.
pub fn ids(from: i64, to: i64) -> Vec<CodeId> {
    (from..=to).map(CodeId::from).collect()
}

/// The status bar's text now.
pub fn status_text(model: &Model) -> Option<&str> {
    model.message().map(|m| m.text.as_str())
}

pub fn status_level(model: &Model) -> Option<Level> {
    model.message().map(|m| m.level)
}

/// The id under the cursor.
pub fn current_id(model: &Model) -> Option<i64> {
    model.list.current().map(|r| r.code.id.0.int().expect("integer ids here"))
}

/// The stats screen's answer for `window` at [`now`]: `codes` and `beneficiaries` as (name, uses), one use an hour
/// ago for each.
pub fn stats_data(
    window: refcodes::tui::model::StatsWindow,
    codes: &[(i64, &str, i64)],
    beneficiaries: &[(i64, &str, i64)],
) -> refcodes::tui::model::StatsData {
    use refcodes::domain::stats::{WindowBeneficiary, WindowCode, WindowStats};
    use refcodes::domain::window::{Since, Window};
    let since = window.since().unwrap_or(Since::Date(now().date_naive()));
    let w = Window::new(since, now()).expect("a valid window");
    let key = (now() - Duration::hours(1)).format("%Y-%m-%dT%H").to_string()[..w.bucket.key_len()].to_string();
    let total = codes.iter().map(|c| c.2).sum();
    let stats = WindowStats {
        redemptions: w.series(&[(key, total)]),
        signups_with_code: w.series(&[]),
        window: w,
        codes_created: 0,
        codes_deactivated: Some(0),
        top_codes: codes
            .iter()
            .map(|(id, code, uses)| WindowCode { id: CodeId::from(*id), code: code.to_string(), uses: *uses })
            .collect(),
        top_beneficiaries: beneficiaries
            .iter()
            .map(|(id, email, uses)| WindowBeneficiary {
                user_id: UserId::from(*id),
                email: (!email.is_empty()).then(|| email.to_string()),
                uses: *uses,
            })
            .collect(),
        all_time: SystemStats {
            total_codes: 10,
            active_codes: 8,
            total_usage: total,
            codes_with_usage: codes.len() as i64,
        },
    };
    refcodes::tui::model::StatsData { window, stats }
}
