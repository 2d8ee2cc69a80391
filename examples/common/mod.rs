//! Deterministic dashboard states, shared by the snapshot tests (`tests/tui_snapshots.rs`, which includes this file
//! with `#[path]`) and the screenshots (`examples/screenshots.rs`).
//!
//! Every state is reached the way the running dashboard reaches it: key events and the answers the effects runner
//! would send, fed through `update::update`. The answers come from [`Db`], a small in-memory stand-in for the
//! database, so filters, sorting, paging and counts agree with what is on screen. The clock is fixed ([`now`]).

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use refcodes::config::Config;
use refcodes::domain::audit::{Action, AuditEvent, Cursor, HistoryFilter};
use refcodes::domain::draft::CodeDefaults;
use refcodes::domain::import::{OnConflict, RowProblem};
use refcodes::domain::settings::{SettingKey, SystemConfig};
use refcodes::domain::stats::{CodeUsageStats, SystemStats, UsageRecord, WindowBeneficiary, WindowCode, WindowStats};
use refcodes::domain::user::{Role, User, UserWithRole};
use refcodes::domain::window::{Since, Window};
use refcodes::domain::{
    CodeFilter, CodeId, CodeQuery, CodeRow, CodeStatus, Compare, ErrorKind, FieldError, Key, ReferralCode, Selection,
    SortField, UsageId, UserId, UsesWindow,
};
use refcodes::service::{HistoryPage, ImportReport, Tally};
use refcodes::tui::model::{
    BulkAction, Described, DetailData, Failure, Model, Options, Session, StatsData, StatsWindow,
};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::theme::Theme;
use refcodes::tui::{update, view};
use serde_json::{Value, json};
use std::collections::{BTreeSet, VecDeque};

/// The sizes every screen is checked at: the smallest the dashboard draws in, and a large terminal.
pub const SMALL: (u16, u16) = (80, 24);
pub const LARGE: (u16, u16) = (160, 48);

/// The dashboard's clock in every state: Saturday 14 March 2026, noon UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 0).single().expect("a valid date")
}

/// The colours of `config/default.toml`.
pub fn colour_theme() -> Theme {
    Config::defaults().dashboard.theme
}

fn user(id: i64, first: &str, last: &str, role: Option<Role>) -> UserWithRole {
    UserWithRole {
        user: User {
            id: UserId::from(id),
            email: format!("{first}.{last}@example.com"),
            username: Some(first.to_string()),
            first_name: Some(capitalise(first)),
            last_name: Some(capitalise(last)),
            is_active: true,
            inserted_at: now() - Duration::days(400 - id),
        },
        role,
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

pub fn users() -> Vec<UserWithRole> {
    vec![
        user(1, "ada", "lovelace", Some(Role::Owner)),
        user(2, "grace", "hopper", Some(Role::Admin)),
        user(3, "alan", "turing", Some(Role::User)),
        user(4, "linus", "torvalds", Some(Role::User)),
        user(5, "margaret", "hamilton", Some(Role::Admin)),
        user(6, "dennis", "ritchie", Some(Role::User)),
        user(7, "barbara", "liskov", Some(Role::User)),
        user(8, "radia", "perlman", None),
        user(9, "hedy", "lamarr", Some(Role::User)),
        user(10, "donald", "knuth", Some(Role::User)),
    ]
}

/// The number of a sample code's id (the sample's ids are integers).
fn int(id: CodeId) -> i64 {
    id.0.int().expect("the sample's ids are integers")
}

fn email_of(id: Option<i64>) -> Option<String> {
    let id = id?;
    users().into_iter().find(|u| u.user.id == UserId::from(id)).map(|u| u.user.email)
}

/// One code of the sample: uses, limit, creator, beneficiary, days since creation, expiry from now in hours.
#[allow(clippy::too_many_arguments)]
fn code(
    id: i64,
    code: &str,
    description: &str,
    active: bool,
    (uses, max): (i32, i32),
    (created_by, beneficiary): (Option<i64>, Option<i64>),
    created_days_ago: i64,
    expires_in_hours: Option<i64>,
) -> CodeRow {
    CodeRow {
        code: ReferralCode {
            id: CodeId::from(id),
            code: code.to_string(),
            description: description.to_string(),
            status: active,
            number_of_uses: uses,
            max_uses: max,
            created_by: created_by.map(UserId::from),
            beneficiary: beneficiary.map(UserId::from),
            date_created: now() - Duration::days(created_days_ago) - Duration::minutes(37 * id),
            expiration_date: expires_in_hours.map(|h| now() + Duration::hours(h)),
        },
        created_by_email: email_of(created_by),
        beneficiary_email: email_of(beneficiary),
        // Used codes were used a while ago, some of their uses lately.
        last_used: (uses > 0).then(|| now() - Duration::minutes(23 * (id % 50).pow(2))),
        window_uses: i64::from(uses) / (1 + id % 4),
    }
}

/// An audit trail over the sample codes, newest first: edits, status changes, a bulk extension, a delete,
/// settings, as operators made them from the dashboard and the command line over the last days.
pub fn sample_events() -> Vec<AuditEvent> {
    let codes = sample_codes();
    let code_of = |name: &str| codes.iter().find(|r| r.code.code == name).map(|r| r.code.id);
    let bulk = "0195a3c4-7e21-7b55-9d0e-3c1f2a4b5c6d";
    let mut events = Vec::new();
    let mut add = |minutes_ago: i64, operator: &str, action: Action, code: Option<&str>, changes: Value, face: &str| {
        let id = events.len() as i64 + 1;
        let bulk_id = matches!(action, Action::BulkUpdated).then(|| bulk.to_string());
        events.push(AuditEvent {
            id: Key::from(id),
            at: now() - Duration::minutes(minutes_ago),
            operator: operator.to_string(),
            action: action.as_str().to_string(),
            code: code.map(str::to_string),
            code_id: code.and_then(code_of),
            changes,
            face: face.to_string(),
            bulk_id,
            shared: false,
        });
    };
    let ada = "ada.lovelace@example.com";
    let grace = "grace.hopper@example.com";
    add(
        9000,
        ada,
        Action::Created,
        Some("SPRING25"),
        json!({"description": "Spring newsletter campaign", "max_uses": "100"}),
        "dashboard",
    );
    add(
        8000,
        grace,
        Action::Created,
        Some("MEETUP-BERLIN"),
        json!({"description": "Berlin meetup", "max_uses": "50"}),
        "cli",
    );
    add(7000, ada, Action::Updated, Some("SPRING25"), json!({"max_uses": {"old": "50", "new": "100"}}), "dashboard");
    add(
        6000,
        grace,
        Action::StatusChanged,
        Some("MEETUP-BERLIN"),
        json!({"status": {"old": "inactive", "new": "active"}}),
        "dashboard",
    );
    for (i, name) in ["SPRING25", "MEETUP-BERLIN", "PARTNER-ACME"].iter().enumerate() {
        add(
            3000 - i as i64,
            ada,
            Action::BulkUpdated,
            Some(name),
            json!({"expiration": {"old": "2026-03-20 12:00", "new": "2026-03-27 12:00"}}),
            "dashboard",
        );
    }
    add(
        2000,
        grace,
        Action::Deleted,
        Some("TEST-OLD"),
        json!({"description": "test", "number_of_uses": 0, "usage_records": 0}),
        "cli",
    );
    add(
        1500,
        ada,
        Action::SettingsUpdated,
        None,
        json!({"max_number_of_uses_per_code": {"old": "500", "new": "1000"}}),
        "dashboard",
    );
    add(
        90,
        grace,
        Action::StatusChanged,
        Some("SPRING25"),
        json!({"status": {"old": "inactive", "new": "active"}}),
        "cli",
    );
    add(
        12,
        ada,
        Action::Updated,
        Some("SPRING25"),
        json!({"description": {"old": "Spring campaign", "new": "Spring newsletter campaign"}}),
        "dashboard",
    );
    events.reverse();
    events
}

/// A page of codes in every state: Active, Inactive, Expired and Limit reached; never expiring; a creator who is
/// gone (unknown); no beneficiary; long and empty descriptions.
pub fn sample_codes() -> Vec<CodeRow> {
    vec![
        code(1, "SPRING25", "Spring newsletter campaign", true, (42, 100), (Some(1), Some(2)), 3, Some(6 * 24)),
        code(2, "WELCOME", "Onboarding for new staff", true, (3, 50), (Some(2), None), 61, None),
        code(3, "BF2025", "Black Friday 2025", false, (0, 500), (Some(1), None), 110, Some(40 * 24)),
        code(4, "WINTER24", "Winter promotion, last season", true, (77, 200), (Some(5), Some(9)), 120, Some(-240)),
        code(5, "VIPGOLD", "VIP partners, gold tier", true, (10, 10), (Some(1), Some(10)), 30, Some(90 * 24)),
        code(6, "LEGACY01", "Imported from the old shop", true, (5, 100), (Some(77), None), 300, None),
        code(
            7,
            "PODCAST",
            "Podcast listeners, episode 112: read out in the show and linked in the notes",
            true,
            (18, 250),
            (Some(2), Some(3)),
            9,
            Some(12),
        ),
        code(8, "K7XQ2", "", true, (0, 100), (Some(1), None), 0, Some(7 * 24)),
        code(9, "MEETUP-BERLIN", "Berlin Rust meetup", true, (23, 30), (Some(5), Some(6)), 12, Some(2 * 24)),
        code(10, "PARTNER-ACME", "ACME reseller", false, (150, 150), (Some(2), Some(4)), 200, None),
        code(11, "STUDENT", "Student discount", true, (99, 100), (Some(1), None), 45, Some(45 * 24)),
        code(12, "SUMMER25", "Summer sale", true, (0, 1000), (Some(5), None), 1, Some(100 * 24)),
        code(13, "FRIENDS", "Friends and family", true, (7, 20), (Some(1), Some(8)), 20, Some(1)),
        code(14, "OLDTEST", "Test code", false, (1, 1), (Some(1), None), 400, Some(-200 * 24)),
        code(15, "NEWSLETTER-03", "March newsletter", true, (12, 100), (Some(2), Some(7)), 14, Some(16 * 24)),
        code(16, "CONF-TALK", "Conference talk slide", true, (64, 64), (Some(5), Some(5)), 40, None),
        code(17, "BETA-TESTERS", "Beta programme", false, (31, 100), (Some(77), Some(9)), 90, None),
        code(18, "EASTER", "Easter weekend", true, (0, 200), (Some(1), None), 2, Some(25 * 24)),
        code(19, "YOUTUBE-Q1", "Video sponsorship, first quarter", true, (88, 300), (Some(2), Some(10)), 70, Some(-24)),
        code(20, "PARTNER-INITECH", "Initech reseller", true, (14, 150), (Some(5), Some(4)), 80, Some(300 * 24)),
        code(21, "HACKWEEK", "Internal hack week", true, (2, 25), (Some(1), Some(1)), 5, Some(3 * 24)),
        code(22, "RETURNING", "Win back lapsed customers", true, (45, 500), (Some(2), None), 50, Some(60 * 24)),
    ]
}

/// The usage records of a code, newest first: one per use, spread evenly over the time it was usable.
fn usage_of(row: &CodeRow) -> Vec<UsageRecord> {
    let c = &row.code;
    let end = c.expiration_date.map_or(now(), |e| e.min(now()));
    let span = (end - c.date_created).num_minutes().max(1);
    let n = i64::from(c.number_of_uses);
    (0..n)
        .map(|j| {
            // A user uses a code once: the named users first, then one who is gone, then members.
            let (used_by, user_email) = match j {
                0..10 => {
                    let id = (int(c.id) + j) % 10 + 1;
                    (UserId::from(id), email_of(Some(id)))
                }
                10 => (UserId::from(4711), None),
                _ => (
                    UserId::from(1000 + int(c.id) * 100 + j),
                    Some(format!("member{:04}@example.org", int(c.id) * 100 + j)),
                ),
            };
            UsageRecord {
                id: UsageId::from(int(c.id) * 1000 + j),
                code_id: c.id,
                code: c.code.clone(),
                used_by: Some(used_by),
                user_email,
                date_used: c.date_created + Duration::minutes(span * (n - j) / (n + 1)),
            }
        })
        .collect()
}

/// What the stand-in database answers.
#[derive(Debug, Clone)]
pub struct Db {
    pub rows: Vec<CodeRow>,
    pub config: SystemConfig,
    pub users: Vec<UserWithRole>,
    /// A count far above `rows`: pages are made up on the fly (the million-codes states).
    pub synthetic_total: Option<i64>,
    /// When set, only these pages are answered; requests for others stay in flight.
    pub answered_pages: Option<BTreeSet<u64>>,
    /// When set, a count is answered by this estimate alone, the count itself still under way (a common text over
    /// a million codes).
    pub estimate: Option<i64>,
    /// When set, every request fails as an unreachable database does.
    pub offline: Option<String>,
    /// The audit trail, newest first.
    pub events: Vec<AuditEvent>,
}

impl Db {
    pub fn sample() -> Db {
        Db {
            rows: sample_codes(),
            config: SystemConfig {
                enabled: true,
                required: false,
                max_number_of_uses_per_code: 1000,
                max_number_of_codes_per_user: 50,
            },
            users: users(),
            synthetic_total: None,
            answered_pages: None,
            estimate: None,
            offline: None,
            events: sample_events(),
        }
    }

    pub fn empty() -> Db {
        Db { rows: Vec::new(), events: Vec::new(), ..Db::sample() }
    }

    /// A million codes, of which only the pages the window asks for are ever made.
    pub fn million() -> Db {
        Db { synthetic_total: Some(1_000_000), ..Db::sample() }
    }

    fn synthetic_row(&self, index: u64) -> CodeRow {
        let i = index as i64;
        let uses = ((i * 37) % 101) as i32;
        let mut row = code(
            100_000 + i,
            &format!("BULK{:06}", 1_000_000 - i),
            &format!("Batch import {}", 1 + i / 5000),
            i % 17 != 0,
            (uses, 100),
            (Some(1 + i % 10), if i % 3 == 0 { Some(1 + (i + 4) % 10) } else { None }),
            0,
            Some(24 * (1 + i % 60)),
        );
        row.code.date_created = now() - Duration::minutes(i);
        row
    }

    fn matches(&self, row: &CodeRow, filter: &CodeFilter) -> bool {
        let text = filter.text.trim().to_lowercase();
        let c = &row.code;
        let text_ok = text.is_empty()
            || [Some(&c.code), Some(&c.description), row.created_by_email.as_ref(), row.beneficiary_email.as_ref()]
                .into_iter()
                .flatten()
                .any(|s| s.to_lowercase().contains(&text));
        let within = |field: &Option<String>, value: Option<&String>| {
            field.as_ref().is_none_or(|f| value.is_some_and(|v| v.to_lowercase().contains(&f.to_lowercase())))
        };
        let uses = filter.uses.is_none_or(|(compare, n)| {
            let uses = i64::from(c.number_of_uses);
            match compare {
                Compare::Less => uses < n,
                Compare::AtMost => uses <= n,
                Compare::More => uses > n,
                Compare::AtLeast => uses >= n,
                Compare::Equal => uses == n,
            }
        });
        assert!(
            filter.expires.is_none() && filter.used.is_none(),
            "the stand-in database does not model expires: or used:"
        );
        text_ok
            && within(&filter.code, Some(&c.code))
            && within(&filter.description, Some(&c.description))
            && within(&filter.creator, row.created_by_email.as_ref())
            && within(&filter.beneficiary, row.beneficiary_email.as_ref())
            && uses
            && filter.status.is_none_or(|s| c.status_at(now()) == s)
    }

    fn query(&self, filter: &CodeFilter, sort: SortField, descending: bool, window: UsesWindow) -> Vec<CodeRow> {
        let expiry = |c: &ReferralCode| c.expiration_date.unwrap_or(DateTime::<Utc>::MAX_UTC);
        let share = |c: &ReferralCode| i64::from(c.number_of_uses) * 1000 / i64::from(c.max_uses.max(1));
        let mut rows: Vec<CodeRow> = self.rows.iter().filter(|r| self.matches(r, filter)).cloned().collect();
        // The sample's uses in a week; fewer in a day, more in a month, never more than all of them.
        for row in &mut rows {
            row.window_uses = match window {
                UsesWindow::Day => row.window_uses / 4,
                UsesWindow::Week => row.window_uses,
                UsesWindow::Month => (row.window_uses * 2).min(i64::from(row.code.number_of_uses)),
            };
        }
        rows.sort_by(|a, b| {
            let by_use = match sort {
                SortField::LastUsed => a.last_used.cmp(&b.last_used),
                SortField::WindowUses => a.window_uses.cmp(&b.window_uses),
                _ => std::cmp::Ordering::Equal,
            };
            let (a, b) = (&a.code, &b.code);
            let order = match sort {
                SortField::LastUsed | SortField::WindowUses => by_use,
                SortField::Code => a.code.cmp(&b.code),
                SortField::Created => a.date_created.cmp(&b.date_created),
                SortField::Expires => expiry(a).cmp(&expiry(b)),
                SortField::Uses => a.number_of_uses.cmp(&b.number_of_uses),
                // The dashboard never asks for it; as the store orders it, largest share first.
                SortField::Urgency => share(b).cmp(&share(a)).then(expiry(a).cmp(&expiry(b))),
            };
            order.then(a.id.cmp(&b.id))
        });
        if descending {
            rows.reverse();
        }
        rows
    }

    fn page(&self, query: &CodeQuery) -> Vec<CodeRow> {
        if let Some(total) = self.synthetic_total {
            let end = (query.offset + query.limit).min(total as u64);
            return (query.offset..end).map(|i| self.synthetic_row(i)).collect();
        }
        let rows = self.query(&query.filter, query.sort, query.descending, query.window);
        rows.into_iter().skip(query.offset as usize).take(query.limit as usize).collect()
    }

    fn count(&self, filter: &CodeFilter) -> i64 {
        match self.synthetic_total {
            Some(total) => total,
            None => self.rows.iter().filter(|r| self.matches(r, filter)).count() as i64,
        }
    }

    fn system_stats(&self) -> SystemStats {
        if let Some(total) = self.synthetic_total {
            return SystemStats {
                total_codes: total,
                active_codes: total * 9 / 10,
                total_usage: total * 48,
                codes_with_usage: total * 97 / 100,
            };
        }
        SystemStats {
            total_codes: self.rows.len() as i64,
            active_codes: self.rows.iter().filter(|r| r.code.status_at(now()) == CodeStatus::Active).count() as i64,
            total_usage: self.rows.iter().map(|r| i64::from(r.code.number_of_uses)).sum(),
            codes_with_usage: self.rows.iter().filter(|r| r.code.number_of_uses > 0).count() as i64,
        }
    }

    fn usage(&self) -> Vec<UsageRecord> {
        let mut all: Vec<UsageRecord> = self.rows.iter().flat_map(usage_of).collect();
        all.sort_by(|a, b| b.date_used.cmp(&a.date_used).then(b.id.cmp(&a.id)));
        all
    }

    fn row(&self, id: CodeId) -> Option<CodeRow> {
        self.rows.iter().find(|r| r.code.id == id).cloned()
    }

    fn selected(&self, selection: &Selection) -> Vec<CodeRow> {
        match selection {
            Selection::Ids(ids) => self.rows.iter().filter(|r| ids.contains(&r.code.id)).cloned().collect(),
            Selection::Matching(filter) => self.rows.iter().filter(|r| self.matches(r, filter)).cloned().collect(),
        }
    }

    /// What the service's `window_stats` would answer for the stats screen's window, from the rows' usage.
    fn stats(&self, window: StatsWindow) -> StatsData {
        let usage = self.usage();
        let first_day = usage.iter().map(|u| u.date_used).min().unwrap_or(now()).date_naive();
        let since = window.since().unwrap_or(Since::Date(first_day));
        let w = Window::new(since, now()).expect("the screen's windows are valid");
        let inside: Vec<&UsageRecord> =
            usage.iter().filter(|u| u.date_used >= w.start && u.date_used < w.end).collect();
        let key_len = w.bucket.key_len();
        let keys: Vec<(String, i64)> =
            inside.iter().map(|u| (u.date_used.format("%Y-%m-%dT%H").to_string()[..key_len].to_string(), 1)).collect();
        // Uses and the latest use per key, ranked as the service ranks them.
        fn ranked<K: Ord + Copy>(uses: impl Iterator<Item = (K, DateTime<Utc>)>) -> Vec<(K, i64)> {
            let mut by: std::collections::BTreeMap<K, (i64, DateTime<Utc>)> = Default::default();
            for (k, at) in uses {
                let e = by.entry(k).or_insert((0, at));
                *e = (e.0 + 1, e.1.max(at));
            }
            let mut list: Vec<(K, (i64, DateTime<Utc>))> = by.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            list.into_iter().take(50).map(|(k, (n, _))| (k, n)).collect()
        }
        let top_codes = ranked(inside.iter().map(|u| (u.code_id, u.date_used)))
            .into_iter()
            .map(|(id, uses)| WindowCode { id, code: self.row(id).map(|r| r.code.code).unwrap_or_default(), uses })
            .collect();
        let beneficiary =
            |u: &&UsageRecord| self.row(u.code_id).and_then(|r| r.code.beneficiary.map(|b| (b, u.date_used)));
        let top_beneficiaries = ranked(inside.iter().filter_map(beneficiary))
            .into_iter()
            .map(|(user_id, uses)| WindowBeneficiary {
                user_id,
                email: self.users.iter().find(|u| u.user.id == user_id).map(|u| u.user.email.clone()),
                uses,
            })
            .collect();
        let stats = WindowStats {
            redemptions: w.series(&keys),
            signups_with_code: w.series(&[]),
            window: w,
            codes_created: self.rows.iter().filter(|r| r.code.date_created >= w.start).count() as i64,
            codes_deactivated: Some(0),
            top_codes,
            top_beneficiaries,
            all_time: self.system_stats(),
        };
        StatsData { window, stats }
    }

    /// A page of the events `filter` picks, newest first, older than `before`, as the service pages them.
    fn history(&self, filter: &HistoryFilter, before: Option<Cursor>, limit: u64) -> HistoryPage {
        let since = filter.since.map(|s| Window::new(s, now()).expect("a valid window").start);
        let mut events: Vec<AuditEvent> = self
            .events
            .iter()
            .filter(|e| before.is_none_or(|c| (e.at, e.id) < (c.at, c.id)))
            .filter(|e| filter.code.as_ref().is_none_or(|c| e.code.as_deref() == Some(c.as_str())))
            .filter(|e| filter.operator.as_ref().is_none_or(|o| e.operator.eq_ignore_ascii_case(o)))
            .filter(|e| filter.action.is_none_or(|a| e.action == a))
            .filter(|e| {
                filter
                    .bulk_id
                    .as_ref()
                    .is_none_or(|b| e.bulk_id.as_deref().is_some_and(|id| id.starts_with(b.as_str())))
            })
            .filter(|e| since.is_none_or(|start| e.at >= start))
            .take(limit as usize + 1)
            .cloned()
            .collect();
        let more = events.len() as u64 > limit;
        events.truncate(limit as usize);
        let next = if more { events.last().map(AuditEvent::cursor) } else { None };
        HistoryPage { events, next }
    }

    /// The answer the effects runner would send for a command; `None` while it is still under way.
    pub fn answer(&mut self, cmd: Cmd) -> Option<Msg> {
        if let Some(message) = &self.offline {
            let failure = Failure { kind: None, message: message.clone(), fields: Vec::new() };
            return Some(match cmd {
                Cmd::LoadPage { generation, page, .. } => Msg::Page { generation, page, result: Err(failure) },
                Cmd::LoadCount { generation, .. } => Msg::Count { generation, result: Err(failure) },
                Cmd::LoadHeader => Msg::Header(Err(failure)),
                Cmd::LoadStats { .. } => Msg::Stats(Err(failure)),
                Cmd::WakeAfter { wake, .. } => Msg::Wake(wake),
                _ => return None,
            });
        }
        Some(match cmd {
            Cmd::LoadPage { generation, page, query } => {
                if self.answered_pages.as_ref().is_some_and(|pages| !pages.contains(&page)) {
                    return None;
                }
                Msg::Page { generation, page, result: Ok(self.page(&query)) }
            }
            Cmd::LoadCount { generation, .. } if let Some(about) = self.estimate => {
                Msg::CountEstimate { generation, about }
            }
            Cmd::LoadCount { generation, filter } => Msg::Count { generation, result: Ok(self.count(&filter)) },
            Cmd::MarkRange { generation, query, .. } => {
                Msg::RangeIds { generation, result: Ok(self.page(&query).iter().map(|r| r.code.id).collect()) }
            }
            Cmd::LoadHeader => Msg::Header(Ok((self.config, self.system_stats(), true))),
            Cmd::LoadHistory { generation, filter, before } => {
                let page = self.history(&filter, before, update::HISTORY_PAGE);
                Msg::History { generation, appended: before.is_some(), result: Ok(page) }
            }
            Cmd::LoadDetail { id, usage_limit, history_limit } => {
                let row = self.row(id)?;
                let all = usage_of(&row);
                let users: BTreeSet<UserId> = all.iter().filter_map(|u| u.used_by).collect();
                let stats = CodeUsageStats {
                    code_id: id,
                    total_uses: all.len() as i64,
                    unique_users: users.len() as i64,
                    last_used: all.iter().map(|u| u.date_used).max(),
                    remaining_uses: row.code.remaining_uses(),
                    status: row.code.status_at(now()),
                };
                let mut usage = all;
                usage.truncate(usage_limit as usize);
                let filter = HistoryFilter { code: Some(row.code.code.clone()), ..HistoryFilter::default() };
                let history = self.history(&filter, None, history_limit);
                Msg::Detail { id, result: Ok(DetailData { row, stats, usage, history }) }
            }
            Cmd::LoadStats { window } => Msg::Stats(Ok(self.stats(window))),
            Cmd::SearchUsers { generation, text } => {
                let text = text.trim().to_lowercase();
                let found = self
                    .users
                    .iter()
                    .filter(|u| {
                        u.user.email.contains(&text)
                            || u.user.username.as_deref().is_some_and(|n| n.contains(&text))
                            || u.user.full_name().to_lowercase().contains(&text)
                    })
                    .cloned()
                    .collect();
                Msg::Users { generation, result: Ok(found) }
            }
            Cmd::RandomCode => Msg::RandomCode(Ok("H4ZMP".to_string())),
            Cmd::Create { save, input } => {
                let code = input.code.unwrap_or_else(|| "H4ZMP".to_string());
                if self.rows.iter().any(|r| r.code.code == code) {
                    let result = Err(Failure {
                        kind: Some(ErrorKind::Conflict),
                        message: format!("code {code} exists already; choose another (e.g. {code}-2)"),
                        fields: vec![FieldError {
                            field: "code",
                            message: format!("{code} exists already; choose another"),
                        }],
                    });
                    return Some(Msg::Saved { save, result });
                }
                let id = self.rows.iter().map(|r| int(r.code.id)).max().unwrap_or(0) + 1;
                let new = ReferralCode {
                    id: CodeId::from(id),
                    code,
                    description: input.description,
                    status: !input.inactive,
                    number_of_uses: 0,
                    max_uses: input.max_uses.unwrap_or(100) as i32,
                    created_by: Some(UserId::from(1)),
                    beneficiary: input.beneficiary,
                    date_created: now(),
                    expiration_date: Some(now() + Duration::days(7)),
                };
                self.rows.push(CodeRow {
                    code: new.clone(),
                    created_by_email: email_of(Some(1)),
                    beneficiary_email: email_of(input.beneficiary.and_then(|u| u.0.int())),
                    last_used: None,
                    window_uses: 0,
                });
                Msg::Saved { save, result: Ok(new) }
            }
            Cmd::Describe { token, action, selection, visible } => {
                let chosen = self.selected(&selection);
                let hidden = chosen.iter().filter(|r| !self.matches(r, &visible)).count() as i64;
                let usage_records = chosen.iter().map(|r| i64::from(r.code.number_of_uses)).sum();
                let tally = Tally { codes: chosen.len() as i64, usage_records };
                let first = chosen.iter().take(3).map(|r| r.code.code.clone()).collect();
                let expired = chosen.iter().filter(|r| r.code.expired(now())).count() as i64;
                let found = Described { tally, hidden, first, expired };
                Msg::Described { token, action, selection, result: Ok(found) }
            }
            Cmd::Bulk { action, selection, .. } => {
                let ids: Vec<CodeId> = self.selected(&selection).iter().map(|r| r.code.id).collect();
                for row in self.rows.iter_mut().filter(|r| ids.contains(&r.code.id)) {
                    match &action {
                        BulkAction::Activate | BulkAction::Reactivate { .. } => row.code.status = true,
                        BulkAction::Deactivate => row.code.status = false,
                        BulkAction::SetExpiry { at } => row.code.expiration_date = *at,
                        BulkAction::SetMaxUses { max } => row.code.max_uses = *max as i32,
                        BulkAction::SetDescription { text } => row.code.description = text.clone(),
                        BulkAction::SetBeneficiary { user } => {
                            row.code.beneficiary = user.as_ref().map(|(id, _)| *id);
                            row.beneficiary_email = user.as_ref().map(|(_, email)| email.clone());
                        }
                        BulkAction::Delete | BulkAction::Extend { .. } => {}
                    }
                }
                if action == BulkAction::Delete {
                    self.rows.retain(|r| !ids.contains(&r.code.id));
                }
                Msg::BulkDone { action, selection, result: Ok(ids.len() as i64) }
            }
            Cmd::SetSetting { key, value } => {
                match key {
                    SettingKey::Enabled => self.config.enabled = value == "true",
                    SettingKey::Required => self.config.required = value == "true",
                    SettingKey::MaxUsesPerCode => self.config.max_number_of_uses_per_code = value.parse().ok()?,
                    SettingKey::MaxCodesPerUser => self.config.max_number_of_codes_per_user = value.parse().ok()?,
                }
                Msg::SettingSaved(Ok(self.config))
            }
            Cmd::WakeAfter { wake, .. } => Msg::Wake(wake),
            // Nobody else writes to the stand-in.
            Cmd::Probe => Msg::Probed(Ok("stand-in".into())),
            Cmd::Copy { text } => Msg::Copied { text, result: Ok(()) },
            Cmd::CheckImport { token, path, on_conflict } => {
                let result = Ok(import_report(&path, on_conflict));
                Msg::ImportChecked { token, path, on_conflict, result }
            }
            Cmd::Update { .. } | Cmd::ApplyImport { .. } => return None,
        })
    }
}

/// A dry run of a partner's file, as the service reports it: two of its codes exist (refused, skipped or updated
/// as asked); a file named `bad…` has problems on seven lines.
pub fn import_report(path: &str, on_conflict: OnConflict) -> ImportReport {
    if path.starts_with("bad") {
        let problems = [
            (3, "code", "must be 3 to 50 characters of A-Z 0-9 - _, not \"AC ME\" (e.g. SPRING-2026)"),
            (7, "max_uses", "must be a whole number, not \"lots\" (e.g. 100)"),
            (8, "beneficiary", "no user has the email jo@example.net (`refcodes users list` shows users)"),
            (12, "expires", "must be in the future, not 2025-01-31 00:00 UTC"),
            (15, "code", "PARTNER-ACME-007 is on line 9 already"),
            (21, "description", "is required: 1 to 255 characters (e.g. Spring campaign 2026)"),
            (30, "max_uses", "must be a whole number, not \"-\" (e.g. 100)"),
        ];
        let problems = problems
            .into_iter()
            .map(|(line, column, message)| RowProblem { line, column, message: message.to_string() })
            .collect();
        return ImportReport { rows: 40, problems, ..ImportReport::default() };
    }
    let mut report = ImportReport {
        rows: 120,
        created: (1..=114).map(|i| format!("PARTNER-ACME-{i:03}")).collect(),
        random: 4,
        ..ImportReport::default()
    };
    match on_conflict {
        OnConflict::Fail => {
            report.problems = [(41, "SPRING25"), (77, "VIPGOLD")]
                .into_iter()
                .map(|(line, code)| RowProblem {
                    line,
                    column: "code",
                    message: format!(
                        "{code} exists already (--on-conflict skip leaves such rows out, update changes the code)"
                    ),
                })
                .collect();
        }
        OnConflict::Skip => report.skipped = vec!["SPRING25".into(), "VIPGOLD".into()],
        OnConflict::Update => {
            report.updated = vec!["SPRING25".into()];
            report.unchanged = vec!["VIPGOLD".into()];
        }
    }
    report
}

/// Who is at the keyboard.
pub fn owner() -> Session {
    Session {
        operator: "ada.lovelace@example.com".to_string(),
        role: "Owner".to_string(),
        database: "postgres://refcodes:***@db.internal:5432/phoenix".to_string(),
        phoenix_kit: false,
        read_only: false,
        can_administer: true,
        revoked: false,
        audit_log_only: None,
    }
}

/// `refcodes --read-only`: the badge, and no mutating key bound.
pub fn read_only() -> Session {
    Session { read_only: true, can_administer: false, ..owner() }
}

/// A running dashboard: the model and the stand-in database that answers its commands.
pub struct Dash {
    pub model: Model,
    pub db: Db,
}

impl Dash {
    /// The dashboard after its first load, every answer in.
    pub fn new(size: (u16, u16), db: Db) -> Dash {
        Dash::with(size, db, owner(), colour_theme())
    }

    pub fn with(size: (u16, u16), db: Db, session: Session, theme: Theme) -> Dash {
        let options = Options {
            refresh: std::time::Duration::from_secs(5),
            debounce: std::time::Duration::from_millis(150),
            defaults: CodeDefaults::default(),
            theme,
            type_to_delete_over: 100,
        };
        let model = Model::new(session, options, Config::defaults().dashboard.keymap, now(), size);
        let mut dash = Dash { model, db };
        let cmds = update::start(&mut dash.model);
        dash.run(cmds);
        dash
    }

    /// Sends a message and every answer that follows from it.
    pub fn send(&mut self, msg: Msg) -> &mut Dash {
        let cmds = update::update(&mut self.model, msg);
        self.run(cmds);
        self
    }

    /// Sends a message and leaves what it asks for unanswered, as while the database is still working.
    pub fn send_unanswered(&mut self, msg: Msg) -> &mut Dash {
        update::update(&mut self.model, msg);
        self
    }

    fn run(&mut self, cmds: Vec<Cmd>) {
        let mut queue = VecDeque::from(cmds);
        let mut steps = 0;
        while let Some(cmd) = queue.pop_front() {
            steps += 1;
            assert!(steps < 1000, "the commands never settle");
            if let Some(msg) = self.db.answer(cmd) {
                queue.extend(update::update(&mut self.model, msg));
            }
        }
    }

    pub fn press(&mut self, code: KeyCode) -> &mut Dash {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    /// A character as the terminal sends it (capitals with Shift).
    pub fn char(&mut self, c: char) -> &mut Dash {
        let modifiers = if c.is_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
        self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), modifiers)))
    }

    pub fn ctrl(&mut self, c: char) -> &mut Dash {
        self.send(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
    }

    pub fn type_text(&mut self, text: &str) -> &mut Dash {
        for c in text.chars() {
            self.char(c);
        }
        self
    }

    pub fn times(&mut self, n: usize, code: KeyCode) -> &mut Dash {
        for _ in 0..n {
            self.press(code);
        }
        self
    }

    /// Moves the list cursor onto the code with this text.
    pub fn cursor_to(&mut self, code: &str) -> &mut Dash {
        self.press(KeyCode::Home);
        for _ in 0..self.model.list.len() {
            if self.model.list.current().is_some_and(|r| r.code.code == code) {
                return self;
            }
            self.press(KeyCode::Down);
        }
        panic!("no code {code} in the list");
    }

    /// The screen as the terminal shows it.
    pub fn render(&self) -> Terminal<TestBackend> {
        let (width, height) = self.model.size;
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        terminal.draw(|frame| view::view(&self.model, frame)).expect("drawing never fails on a TestBackend");
        terminal
    }
}

/// A state of the dashboard, by name, as the tests and the screenshots build it.
pub type Build = fn((u16, u16)) -> Dash;

/// The codes list of the sample, cursor on the first row.
pub fn codes_list(size: (u16, u16)) -> Dash {
    Dash::new(size, Db::sample())
}

/// No codes at all.
pub fn codes_empty(size: (u16, u16)) -> Dash {
    Dash::new(size, Db::empty())
}

/// Three codes marked with Space and the cursor in the middle of the page.
pub fn codes_marked(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.times(2, KeyCode::Down).char(' ').press(KeyCode::Down).char(' ').char(' ').times(3, KeyCode::Down);
    dash
}

/// A million codes: the cursor paged past the first page, whose neighbour has not come in (placeholder rows).
pub fn codes_million_paging(size: (u16, u16)) -> Dash {
    let db = Db { answered_pages: Some(BTreeSet::from([0])), ..Db::million() };
    let mut dash = Dash::new(size, db);
    while dash.model.list.cursor < 64 {
        dash.press(KeyCode::PageDown);
    }
    dash
}

/// A million codes, at the bottom of the list after `G`.
pub fn codes_million_end(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::million());
    dash.char('G');
    dash
}

/// A common text over a million codes: the rows and an estimate of their count are there, the count is not yet.
pub fn codes_million_estimated(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db { estimate: Some(998_291), ..Db::million() });
    dash.char('/').type_text("bulk").press(KeyCode::Enter);
    dash
}

/// Typing in the filter: the list already shows what matches after the debounce.
pub fn codes_filter_typing(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('/').type_text("hopper");
    dash
}

/// A field-scoped filter applied: the filter line shows it as it is in force.
pub fn codes_field_filter(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('/').type_text("CODE:a   uses:>=1 status:active").press(KeyCode::Enter);
    dash
}

/// A filter that doesn't parse: the error in the filter line, the list still under the last filter that did.
pub fn codes_filter_error(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('/').type_text("hopper").press(KeyCode::Enter).char('/');
    // Typed faster than the debounce: only Enter asks for the text.
    for c in " uses:>".chars() {
        dash.send_unanswered(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    dash.press(KeyCode::Enter);
    dash
}

/// The status filter on Active.
pub fn codes_status_filter(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('f');
    dash
}

/// Sorted by uses, reversed to ascending.
pub fn codes_sort_reversed(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('s').char('s').char('S');
    dash
}

/// Sorted by uses in the last 30 days (`w` from 7 days), most first.
pub fn codes_sort_window_uses(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('s').char('s').char('s').char('s').char('w');
    dash
}

/// Sorted by last use, most recent first.
pub fn codes_sort_last_used(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('s').char('s').char('s');
    dash
}

/// A message in the status bar, after `t` deactivated the code under the cursor.
pub fn codes_message(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("WELCOME").char('t');
    dash
}

/// `--read-only`: the badge, and the answer to a key that would change something.
pub fn codes_read_only(size: (u16, u16)) -> Dash {
    let mut dash = Dash::with(size, Db::sample(), read_only(), colour_theme());
    dash.char('d');
    dash
}

/// The database can't be reached: every load failed.
pub fn codes_offline(size: (u16, u16)) -> Dash {
    let db = Db { offline: Some("connection refused (os error 111)".to_string()), ..Db::sample() };
    Dash::new(size, db)
}

/// A new code's form as it opens: defaults and hints.
pub fn form_new(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n');
    dash
}

/// Fields checked as they are typed: a code with a space, too many uses, an expiry in the past.
pub fn form_invalid(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n').type_text("SPRING 25!").press(KeyCode::Tab).type_text("Spring campaign");
    dash.press(KeyCode::Tab).ctrl('u').type_text("5000");
    dash.press(KeyCode::Tab).ctrl('u').type_text("2026-03-01");
    dash
}

/// Editing a code: its values, the resolved expiry.
pub fn form_edit(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("SPRING25").char('e');
    dash
}

/// A save that met another admin's change of the code since the form opened: both values, reload or overwrite.
pub fn form_conflict(size: (u16, u16)) -> Dash {
    let mut dash = form_edit(size);
    dash.ctrl('u').type_text("Spring newsletter, second wave").ctrl('s');
    let mut theirs = dash.db.rows.iter().find(|r| r.code.code == "SPRING25").expect("SPRING25").clone();
    theirs.code.description = "Spring newsletter (ends early)".into();
    theirs.code.max_uses = 60;
    let save = dash.model.saves;
    dash.send(Msg::SaveConflict { save, theirs });
    dash
}

/// A save the service refused: the code exists already; the message stands under the field.
pub fn form_refused(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n').type_text("WELCOME").press(KeyCode::Tab).type_text("Second welcome code").ctrl('s');
    dash
}

/// The beneficiary picker, opened from its field, with every user.
pub fn picker_results(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n').press(KeyCode::BackTab).press(KeyCode::Enter).press(KeyCode::Down);
    dash
}

/// The picker when no user matches the search.
pub fn picker_no_match(size: (u16, u16)) -> Dash {
    let mut dash = picker_results(size);
    dash.type_text("zuse");
    dash
}

/// A code's details asked for, the answer not in yet.
pub fn detail_loading(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("WINTER24");
    dash.send_unanswered(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    dash
}

/// A code's details with its usage records.
pub fn detail_usage(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("MEETUP-BERLIN").press(KeyCode::Enter).press(KeyCode::Down);
    dash
}

/// A code's details showing its history (`h`).
pub fn detail_history(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("SPRING25").press(KeyCode::Enter).char('h').press(KeyCode::Down);
    dash
}

/// The History screen: every event, newest first, the cursor on the second.
pub fn history(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('4').press(KeyCode::Down);
    dash
}

/// The History screen filtered by `:history SPRING25 operator:ada…`.
pub fn history_filtered(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char(':').type_text("history SPRING25 operator:ada.lovelace@example.com").press(KeyCode::Enter);
    dash
}

/// The History screen's filter with a quote left open: the error, and the filter still in force.
pub fn history_filter_error(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char(':').type_text("history action:deleted").press(KeyCode::Enter);
    dash.char('/').type_text(" \"spring sale");
    dash
}

/// The stats screen: figures, 30 days of uses, top codes, recent usage.
pub fn stats(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.press(KeyCode::Tab);
    dash
}

/// The stats screen over 7 days, the cursor in the top beneficiaries.
pub fn stats_week(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.press(KeyCode::Tab).char('W').char('l');
    dash
}

/// The stats screen of a database without usage.
pub fn stats_empty(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::empty());
    dash.press(KeyCode::Tab);
    dash
}

/// The settings screen.
pub fn settings(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.times(2, KeyCode::Tab).press(KeyCode::Down);
    dash
}

/// Editing the max uses per code with a value out of range.
pub fn settings_edit_error(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.times(2, KeyCode::Tab).times(2, KeyCode::Down).press(KeyCode::Enter);
    dash.times(4, KeyCode::Backspace).type_text("20000");
    dash
}

/// The settings screen of a read-only dashboard.
pub fn settings_read_only(size: (u16, u16)) -> Dash {
    let mut dash = Dash::with(size, Db::sample(), read_only(), colour_theme());
    dash.times(2, KeyCode::Tab);
    dash
}

/// Attached to a PhoenixKit database: the status bar says so, and Settings that the application caches them.
pub fn settings_phoenix_kit(size: (u16, u16)) -> Dash {
    let session = Session { database: "PhoenixKit V180 · auth".to_string(), phoenix_kit: true, ..owner() };
    let mut dash = Dash::with(size, Db::sample(), session, colour_theme());
    dash.times(2, KeyCode::Tab);
    dash
}

/// The keys overlay.
pub fn help(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('?');
    dash
}

/// The keys overlay filtered: `/`, then what was typed.
pub fn help_filtered(size: (u16, u16)) -> Dash {
    let mut dash = help(size);
    dash.char('/').type_text("mark");
    dash
}

/// An unknown key's answer on a PhoenixKit database: the message wins the status bar's room over the operator and
/// the database.
pub fn codes_unknown_key(size: (u16, u16)) -> Dash {
    let session = Session { database: "PhoenixKit V180 · auth".to_string(), phoenix_kit: true, ..owner() };
    let mut dash = Dash::with(size, Db::sample(), session, colour_theme());
    dash.char('z');
    dash
}

/// A message longer than the status bar (the operator's role was taken away meanwhile): cut, with the key that shows
/// it whole.
pub fn codes_long_message(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    let header = Msg::Header(Ok((dash.db.config, dash.db.system_stats(), false)));
    dash.send(header);
    dash
}

/// The session's messages (`!`), newest first: a copy, a deactivation, an unknown key, marking all.
pub fn messages_log(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("WELCOME").char('y').char('t').char('z').ctrl('a').press(KeyCode::Esc);
    dash.char('!');
    dash
}

/// The `:` command line, typed `s`: the commands it may become.
pub fn command_line(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char(':').char('s');
    dash
}

/// Turning the whole system off asks first.
pub fn settings_confirm_off(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('3').press(KeyCode::Enter);
    dash
}

/// Deleting four marked codes, two of which the filter typed since hides: the count, the usage records and the hidden
/// ones are named, and the highlighted answer is Cancel.
pub fn confirm_delete(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("WINTER24").char(' ');
    dash.cursor_to("VIPGOLD").char(' ');
    dash.cursor_to("STUDENT").char(' ');
    dash.char('/').type_text("partner").press(KeyCode::Enter).press(KeyCode::Down).char(' ');
    dash.char('d');
    dash
}

/// A delete of more codes than `type_to_delete_over` (set to 10 here, for the sample's 22 codes): the number is
/// being typed.
pub fn confirm_large_delete(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.model.options.type_to_delete_over = 10;
    dash.ctrl('a').char('d').type_text("2");
    dash
}

/// `+` on marked codes: the command line asks for the span, the configured days to take or change.
pub fn extend_prompt(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("WINTER24").char(' ');
    dash.cursor_to("VIPGOLD").char(' ');
    dash.char('+').press(KeyCode::Backspace).press(KeyCode::Backspace).type_text("2w");
    dash
}

/// `a` on an expired code: activated alone it would stay Expired, so the question offers to extend it too.
pub fn confirm_reactivate(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.cursor_to("YOUTUBE-Q1").char('a');
    dash
}

/// Closing a form with typed changes.
pub fn confirm_discard(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n').type_text("HALLOWEEN").press(KeyCode::Esc);
    dash
}

/// `:import` of a partner's file: the dry run's summary, and the choice for codes that exist.
pub fn import_summary(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    // Two of its codes exist: refused at first, skipped with `a`.
    dash.char(':').type_text("import partners.csv").press(KeyCode::Enter).char('a');
    dash
}

/// `:import` of a file with problems: the first five, by line.
pub fn import_problems(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('I').type_text("bad-partners.csv").press(KeyCode::Enter);
    dash
}

/// A new code's form parked (Ctrl-p) on the Settings screen, to raise the limit its max uses ran into.
pub fn form_parked(size: (u16, u16)) -> Dash {
    let mut dash = Dash::new(size, Db::sample());
    dash.char('n').type_text("PARTNER-ACME").press(KeyCode::Tab).press(KeyCode::Tab).type_text("500");
    dash.ctrl('p').press(KeyCode::Down).press(KeyCode::Down);
    dash
}

/// Below the smallest size the dashboard draws in.
pub fn too_small(size: (u16, u16)) -> Dash {
    Dash::new(size, Db::sample())
}
