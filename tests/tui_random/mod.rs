//! Random input for the dashboard: keys, resizes from 1x1 up, ticks, and the effects runner's answers late,
//! duplicated, out of order or failing (the database going offline and back), from a fake database whose table
//! changes under it. After every message `view()` renders into a `TestBackend` and the model must hold:
//! the cursor within the rows, marks only of codes that exist, a confirm dialog about the selection it names, and
//! no command that writes from a dashboard that may not.
//!
//! Included by `tests/tui_fuzz.rs` and `examples/tui_fuzz.rs`, next to `tui_common`.
#![allow(dead_code)]

use crate::tui_common::{admin, config, key, model_for, not_admin, now, read_only, stats_data};
use chrono::Duration;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use refcodes::domain::audit::{AuditEvent, Cursor};
use refcodes::domain::stats::{CodeUsageStats, SystemStats};
use refcodes::domain::{CodeId, CodeRow, CodeStatus, Key, ReferralCode, Selection, UserId};
use refcodes::service::{HistoryPage, ImportReport, Tally};
use refcodes::tui::model::{Confirmed, Described, DetailData, Failure, Marks, Model};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::{update, view};
use std::collections::BTreeSet;

/// Keys people press, and some nobody would.
const KEYS: [&str; 55] = [
    "f",
    "F",
    "!",
    "+",
    "t",
    "j",
    "k",
    "g",
    "G",
    "space",
    "V",
    "ctrl-a",
    "enter",
    "esc",
    "tab",
    "shift-tab",
    "d",
    "x",
    "a",
    "e",
    "n",
    "/",
    "?",
    ":",
    "s",
    "S",
    "r",
    "1",
    "2",
    "3",
    "up",
    "down",
    "pageup",
    "pagedown",
    "home",
    "end",
    "backspace",
    "left",
    "right",
    "w",
    "ctrl-d",
    "ctrl-u",
    "y",
    "z",
    "é",
    // Appended, so the recorded sequences in tests/tui_fuzz.rs still press the keys they were found with.
    "a",
    "E",
    "M",
    "B",
    "D",
    "u",
    "I",
    "ctrl-p",
    "4",
    "h",
];

#[derive(Debug, Clone)]
pub enum Event {
    Key(usize),
    Resize(u16, u16),
    Tick(i64),
    /// Answers the pending command at this index (modulo), keeping it to answer again when `again`.
    Answer {
        pick: usize,
        again: bool,
    },
    /// The database goes offline (answers fail) or comes back.
    Offline(bool),
    /// Another client changes the table: it now holds this many codes (ids never reused).
    Table(u16),
}

pub fn event() -> BoxedStrategy<Event> {
    prop_oneof![
        10 => (0..KEYS.len()).prop_map(Event::Key),
        1 => prop_oneof![
            (1u16..4, 1u16..4),
            (1u16..300, 1u16..120),
            Just((80, 24)),
        ].prop_map(|(w, h)| Event::Resize(w, h)),
        1 => (0i64..20_000).prop_map(Event::Tick),
        8 => (any::<usize>(), proptest::bool::weighted(0.1)).prop_map(|(pick, again)| Event::Answer { pick, again }),
        1 => any::<bool>().prop_map(Event::Offline),
        1 => (0u16..300).prop_map(Event::Table),
    ]
    .boxed()
}

/// Which dashboard: an admin's, a read-only one, or a non-admin's.
pub fn session() -> BoxedStrategy<u8> {
    (0u8..3).boxed()
}

/// The fake database: codes with ids `first..first + len`.
struct Table {
    first: i64,
    len: i64,
    offline: bool,
}

fn code(id: i64) -> CodeRow {
    CodeRow {
        code: ReferralCode {
            id: CodeId::from(id),
            code: format!("CODE{id:04}"),
            description: format!("Code {id} – é"),
            status: id % 3 != 0,
            number_of_uses: (id % 5) as i32,
            max_uses: 4,
            created_by: Some(UserId::from(1)),
            beneficiary: None,
            date_created: now() - Duration::minutes(id),
            expiration_date: (id % 7 != 0).then(|| now() + Duration::days(id % 11 - 3)),
        },
        created_by_email: Some("admin@example.com".into()),
        beneficiary_email: None,
        last_used: None,
        window_uses: 0,
    }
}

impl Table {
    fn ids(&self) -> BTreeSet<CodeId> {
        (self.first..self.first + self.len).map(CodeId::from).collect()
    }

    fn count(&self, selection: &Selection) -> i64 {
        match selection {
            Selection::Ids(ids) => ids.iter().filter(|id| self.ids().contains(id)).count() as i64,
            Selection::Matching(_) => self.len,
        }
    }

    /// The answer a runner would send for `cmd`; `None` for commands with none.
    fn answer(&mut self, cmd: &Cmd) -> Option<Msg> {
        let offline = self.offline;
        Some(match cmd {
            Cmd::MarkRange { generation, query, .. } => {
                let ids = (query.offset as i64..(query.offset + query.limit) as i64)
                    .filter(|i| *i < self.len)
                    .map(|i| code(self.first + i).code.id)
                    .collect();
                Msg::RangeIds { generation: *generation, result: reply(offline, ids) }
            }
            Cmd::LoadPage { generation, page, query } => {
                let rows = (query.offset as i64..(query.offset + query.limit) as i64)
                    .filter(|i| *i < self.len)
                    .map(|i| code(self.first + i))
                    .collect();
                Msg::Page { generation: *generation, page: *page, result: reply(offline, rows) }
            }
            Cmd::LoadCount { generation, .. } => {
                Msg::Count { generation: *generation, result: reply(offline, self.len) }
            }
            Cmd::LoadHeader => Msg::Header(reply(offline, (config(), SystemStats::default(), true))),
            Cmd::LoadDetail { id, .. } => {
                let row = code(id.0.int().unwrap_or(1));
                let stats = CodeUsageStats {
                    code_id: *id,
                    total_uses: 0,
                    unique_users: 0,
                    last_used: None,
                    remaining_uses: 4,
                    status: CodeStatus::Active,
                };
                let history = history_page(None, 5);
                Msg::Detail { id: *id, result: reply(offline, DetailData { row, stats, usage: Vec::new(), history }) }
            }
            Cmd::LoadHistory { generation, before, .. } => Msg::History {
                generation: *generation,
                appended: before.is_some(),
                result: reply(offline, history_page(*before, refcodes::tui::update::HISTORY_PAGE)),
            },
            Cmd::LoadStats { window } => Msg::Stats(reply(offline, stats_data(*window, &[(1, "AAAAA", 3)], &[]))),
            Cmd::SearchUsers { generation, .. } => {
                Msg::Users { generation: *generation, result: reply(offline, Vec::new()) }
            }
            Cmd::RandomCode => Msg::RandomCode(reply(offline, "ABCDE".to_string())),
            Cmd::Create { save, input } => {
                let mut row = code(self.first + self.len);
                row.code.code = input.code.clone().unwrap_or_default();
                Msg::Saved { save: *save, result: reply(offline, row.code) }
            }
            // Every other save meets another admin's change of the code.
            Cmd::Update { save, current, .. } if !offline && save % 2 == 0 => {
                let code = ReferralCode { description: "Changed by another admin".into(), ..current.clone() };
                Msg::SaveConflict {
                    save: *save,
                    theirs: CodeRow {
                        code,
                        created_by_email: None,
                        beneficiary_email: None,
                        last_used: None,
                        window_uses: 0,
                    },
                }
            }
            Cmd::Update { save, current, .. } => Msg::Saved { save: *save, result: reply(offline, current.clone()) },
            Cmd::Describe { token, action, selection, .. } => {
                let tally = Tally { codes: self.count(selection), usage_records: 0 };
                let found = Described { tally, hidden: 0, first: vec!["CODE0001".into()], expired: 0 };
                Msg::Described {
                    token: *token,
                    action: action.clone(),
                    selection: selection.clone(),
                    result: reply(offline, found),
                }
            }
            Cmd::Bulk { action, selection } => {
                let n = self.count(selection);
                if !offline && *action == refcodes::tui::model::BulkAction::Delete {
                    // Deleted codes go; the rest keep their ids (the deleted ones leave a gap at the start).
                    self.first += n;
                    self.len -= n;
                }
                Msg::BulkDone { action: action.clone(), selection: selection.clone(), result: reply(offline, n) }
            }
            Cmd::SetSetting { .. } => Msg::SettingSaved(reply(offline, config())),
            Cmd::CheckImport { token, path, on_conflict } => {
                let report = ImportReport {
                    rows: 3,
                    created: vec!["NEW1".into(), "NEW2".into()],
                    random: 1,
                    ..Default::default()
                };
                Msg::ImportChecked {
                    token: *token,
                    path: path.clone(),
                    on_conflict: *on_conflict,
                    result: reply(offline, report),
                }
            }
            Cmd::ApplyImport { path, on_conflict, expected } => {
                let report = ImportReport { applied: true, ..(**expected).clone() };
                Msg::Imported { path: path.clone(), on_conflict: *on_conflict, result: reply(offline, report) }
            }
            Cmd::WakeAfter { wake, .. } => Msg::Wake(*wake),
            // The table's extent is what writes change here.
            Cmd::Probe => Msg::Probed(reply(offline, format!("{}:{}", self.first, self.len))),
            // The terminal's clipboard, not the database: it answers offline too.
            Cmd::Copy { text } => Msg::Copied { text: text.clone(), result: Ok(()) },
        })
    }
}

/// Events of a trail of 250, newest first, a page older than `before`.
fn history_page(before: Option<Cursor>, limit: u64) -> HistoryPage {
    let event = |i: i64| AuditEvent {
        id: Key::from(250 - i),
        at: now() - Duration::minutes(i),
        operator: "admin@example.com".into(),
        action: "referral_code.updated".into(),
        code: Some(format!("CODE{i:04}")),
        code_id: Some(CodeId::from(i + 1)),
        changes: serde_json::json!({"description": {"old": "a", "new": "b"}}),
        face: "dashboard".into(),
        bulk_id: None,
        shared: false,
    };
    let events: Vec<AuditEvent> =
        (0..250).map(event).filter(|e| before.is_none_or(|c| (e.at, e.id) < (c.at, c.id))).collect();
    let more = events.len() as u64 > limit;
    let events: Vec<AuditEvent> = events.into_iter().take(limit as usize).collect();
    let next = if more { events.last().map(AuditEvent::cursor) } else { None };
    HistoryPage { events, next }
}

/// An answer, or the failure of a database that is offline.
fn reply<T>(offline: bool, value: T) -> Result<T, Failure> {
    if offline {
        Err(Failure { kind: None, message: "connection refused".into(), fields: Vec::new() })
    } else {
        Ok(value)
    }
}

fn writes(cmd: &Cmd) -> bool {
    matches!(
        cmd,
        Cmd::Create { .. } | Cmd::Update { .. } | Cmd::Bulk { .. } | Cmd::SetSetting { .. } | Cmd::ApplyImport { .. }
    )
}

/// Checks the model after a message; the reason when it doesn't hold.
fn check(m: &Model, seen: &BTreeSet<CodeId>, cmds: &[Cmd]) -> Result<(), String> {
    if m.list.is_empty() && m.list.cursor != 0 || !m.list.is_empty() && m.list.cursor >= m.list.len() {
        return Err(format!("cursor {} outside {} rows", m.list.cursor, m.list.len()));
    }
    let events = m.history.events.len();
    if m.history.cursor >= events.max(1) || m.history.offset > m.history.cursor {
        return Err(format!(
            "history cursor {} (offset {}) outside {events} events",
            m.history.cursor, m.history.offset
        ));
    }
    if let Some(d) = &m.detail
        && d.scroll >= d.rows().max(1)
    {
        return Err(format!("detail scroll {} outside {} rows", d.scroll, d.rows()));
    }
    if let Marks::Ids(ids) = &m.list.marks
        && let Some(stray) = ids.iter().find(|id| !seen.contains(id))
    {
        return Err(format!("code {stray} is marked but the dashboard was never shown it"));
    }
    if let Some(confirm) = &m.confirm
        && let Confirmed::Bulk { selection, .. } = &confirm.then
        && Some(&**selection) != m.list.selection().as_ref()
    {
        return Err(format!("the dialog confirms {selection:?} but the selection is {:?}", m.list.selection()));
    }
    if !m.session.can_administer
        && let Some(cmd) = cmds.iter().find(|c| writes(c))
    {
        return Err(format!("a dashboard that may not write asked for {cmd:?}"));
    }
    Ok(())
}

/// Plays `events` on a fresh dashboard of `session` kind: how many messages it sent, or the first broken rule.
pub fn play(session: u8, events: &[Event]) -> Result<u64, String> {
    let session = match session {
        0 => admin(),
        1 => read_only(),
        _ => not_admin(),
    };
    let mut m = model_for(session);
    let mut table = Table { first: 1, len: 40, offline: false };
    let mut pending: Vec<Cmd> = update::start(&mut m);
    let mut seen = BTreeSet::new();
    let mut clock = now();
    let mut sent = 0;
    for (i, event) in events.iter().enumerate() {
        let msg = match event {
            Event::Key(k) => Some(Msg::Key(key(KEYS[*k % KEYS.len()]))),
            Event::Resize(w, h) => Some(Msg::Resize(*w, *h)),
            Event::Tick(ms) => {
                clock += Duration::milliseconds(*ms);
                Some(Msg::Tick(clock))
            }
            Event::Answer { pick, again } if !pending.is_empty() => {
                let at = pick % pending.len();
                let cmd = if *again { pending[at].clone() } else { pending.remove(at) };
                table.answer(&cmd)
            }
            Event::Answer { .. } => None,
            Event::Offline(off) => {
                table.offline = *off;
                None
            }
            Event::Table(len) => {
                table.len = i64::from(*len);
                None
            }
        };
        let Some(msg) = msg else { continue };
        if let Msg::Page { result: Ok(rows), .. } = &msg {
            seen.extend(rows.iter().map(|r| r.code.id));
        }
        // A `V` range's ids come from the database too, for rows not shown.
        if let Msg::RangeIds { result: Ok(ids), .. } = &msg {
            seen.extend(ids.iter().copied());
        }
        sent += 1;
        let cmds = update::update(&mut m, msg.clone());
        let (w, h) = m.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
        terminal.draw(|frame| view::view(&m, frame)).map_err(|e| format!("event {i}: draw: {e}"))?;
        check(&m, &seen, &cmds).map_err(|e| format!("event {i} ({event:?}, {msg:?}): {e}"))?;
        pending.extend(cmds);
        if m.quit {
            break;
        }
    }
    Ok(sent)
}
