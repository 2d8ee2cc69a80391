//! What reaches `update` (Msg) and what it asks the effects runner to do (Cmd).

use super::model::{BulkAction, Described, DetailData, Failure, StatsData, StatsWindow};
use crate::domain::audit::{Cursor, HistoryFilter};
use crate::domain::draft::{CodeChanges, CodeInput};
use crate::domain::import::OnConflict;
use crate::domain::settings::{SettingKey, SystemConfig};
use crate::domain::stats::SystemStats;
use crate::domain::user::UserWithRole;
use crate::domain::{CodeFilter, CodeId, CodeQuery, CodeRow, ReferralCode, Selection};
use crate::service::{HistoryPage, ImportReport};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use std::time::Duration;

/// Timers `update` sets for itself (debounces); the token tells which request is still the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    Filter(u64),
    Picker(u64),
    HistoryFilter(u64),
}

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The clock moved (spinner, fading messages, auto refresh).
    Tick(DateTime<Utc>),
    Wake(Wake),
    Page {
        generation: u64,
        page: u64,
        result: Result<Vec<CodeRow>, Failure>,
    },
    Count {
        generation: u64,
        result: Result<i64, Failure>,
    },
    /// About how many codes the list's filter matches, ahead of its [`Msg::Count`] (which answers the request).
    CountEstimate {
        generation: u64,
        about: i64,
    },
    /// The header's settings and stats, and whether the operator still holds Owner or Admin.
    Header(Result<(SystemConfig, SystemStats, bool), Failure>),
    Detail {
        id: CodeId,
        result: Result<DetailData, Failure>,
    },
    /// A page of the History screen's events: the first of `generation` (`appended` false) or one after it.
    History {
        generation: u64,
        appended: bool,
        result: Result<HistoryPage, Failure>,
    },
    Stats(Result<StatsData, Failure>),
    Users {
        generation: u64,
        result: Result<Vec<UserWithRole>, Failure>,
    },
    RandomCode(Result<String, Failure>),
    Saved {
        save: u64,
        result: Result<ReferralCode, Failure>,
    },
    /// The ids of a `V` range, for the list's query of `generation`.
    RangeIds {
        generation: u64,
        result: Result<Vec<CodeId>, Failure>,
    },
    /// Save number `save` was refused because another write changed the code since the form opened: the code now.
    SaveConflict {
        save: u64,
        theirs: CodeRow,
    },
    /// The selection of a bulk action, counted, ready to confirm.
    Described {
        token: u64,
        action: BulkAction,
        selection: Selection,
        result: Result<Described, Failure>,
    },
    BulkDone {
        action: BulkAction,
        selection: Selection,
        result: Result<i64, Failure>,
    },
    SettingSaved(Result<SystemConfig, Failure>),
    /// The dry run of import number `token`.
    ImportChecked {
        token: u64,
        path: String,
        on_conflict: OnConflict,
        result: Result<ImportReport, Failure>,
    },
    /// An import's answer: written (`applied`), or not, because a new check differed from the confirmed one (its
    /// report, to ask again).
    Imported {
        path: String,
        on_conflict: OnConflict,
        result: Result<ImportReport, Failure>,
    },
    /// Whether anyone wrote: the database's change mark (see [`crate::Service::change_mark`]).
    Probed(Result<String, Failure>),
    /// `text` was sent to the terminal's clipboard.
    Copied {
        text: String,
        result: Result<(), Failure>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    LoadPage {
        generation: u64,
        page: u64,
        query: CodeQuery,
    },
    LoadCount {
        generation: u64,
        filter: CodeFilter,
    },
    LoadHeader,
    /// Ask the database whether anyone wrote since the last probe.
    Probe,
    LoadDetail {
        id: CodeId,
        usage_limit: i64,
        history_limit: u64,
    },
    /// A page of events `filter` picks, older than `before` (from the newest with `None`).
    LoadHistory {
        generation: u64,
        filter: Box<HistoryFilter>,
        before: Option<Cursor>,
    },
    LoadStats {
        window: StatsWindow,
    },
    SearchUsers {
        generation: u64,
        text: String,
    },
    RandomCode,
    Create {
        save: u64,
        input: CodeInput,
    },
    Update {
        save: u64,
        current: ReferralCode,
        changes: CodeChanges,
    },
    /// The ids of the rows `query` covers in the list of `total` codes: a `V` range across pages not loaded.
    MarkRange {
        generation: u64,
        query: CodeQuery,
        total: i64,
    },
    /// Count a selection (codes, usage records, and how many of them `visible` hides) before confirming.
    Describe {
        /// Echoed in the answer: only the latest count's answer asks.
        token: u64,
        action: BulkAction,
        selection: Selection,
        visible: Box<CodeFilter>,
    },
    Bulk {
        action: BulkAction,
        selection: Selection,
    },
    SetSetting {
        key: SettingKey,
        value: String,
    },
    /// Read the file at `path` and check it as an import would, writing nothing.
    CheckImport {
        token: u64,
        path: String,
        on_conflict: OnConflict,
    },
    /// Import the file at `path`, if a new check of it still gives `expected`.
    ApplyImport {
        path: String,
        on_conflict: OnConflict,
        expected: Box<ImportReport>,
    },
    WakeAfter {
        after: Duration,
        wake: Wake,
    },
    /// Put text on the clipboard of the terminal the dashboard is drawn on (OSC 52, so over SSH too).
    Copy {
        text: String,
    },
}
