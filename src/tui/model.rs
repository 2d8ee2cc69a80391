//! All the dashboard's state, in one place. Only `update` changes it; `view` only reads it.

use super::keymap::{KeyMap, Mode};
use super::layout;
use crate::domain::audit::{AuditEvent, Cursor, HistoryFilter};
use crate::domain::import::OnConflict;
use crate::domain::settings::SystemConfig;
use crate::domain::stats::{CodeUsageStats, SystemStats, UsageRecord, WindowStats};
use crate::domain::user::UserWithRole;
use crate::domain::window::Since;
use crate::domain::{
    CodeFilter, CodeId, CodeQuery, CodeRow, CodeStatus, ErrorKind, FieldError, ReferralCode, Selection, SortField,
    UserId, UsesWindow,
};
use crate::service::{HistoryPage, ImportReport};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use tui_input::Input;

/// Rows fetched per request; the visible window never needs more than two pages.
pub const PAGE_SIZE: u64 = 64;

/// Who is looking, at what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub operator: String,
    pub role: String,
    /// What the dashboard is attached to: the database URL (password masked), or "PhoenixKit V180 · auth".
    pub database: String,
    /// A PhoenixKit application's database, whose running application caches settings.
    pub phoenix_kit: bool,
    pub read_only: bool,
    /// Whether writes are allowed: an admin, and not read-only.
    pub can_administer: bool,
    /// The operator's Owner or Admin role was removed while the dashboard was open.
    pub revoked: bool,
    /// Why this database keeps no audit trail (its events go to the log file only), if it keeps none.
    pub audit_log_only: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub refresh: Duration,
    pub debounce: Duration,
    /// Defaults a new code's form opens with.
    pub defaults: crate::domain::draft::CodeDefaults,
    pub theme: super::theme::Theme,
    /// A delete of more codes than this asks for their number to be typed.
    pub type_to_delete_over: i64,
}

/// A failure as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: Option<ErrorKind>,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl From<&crate::Error> for Failure {
    fn from(err: &crate::Error) -> Self {
        match err.refusal() {
            Some(r) => Failure { kind: Some(r.kind), message: r.message.clone(), fields: r.fields.clone() },
            None => Failure { kind: None, message: err.to_string(), fields: Vec::new() },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Codes,
    Stats,
    Settings,
    History,
}

impl Screen {
    pub const ALL: [Screen; 4] = [Screen::Codes, Screen::Stats, Screen::Settings, Screen::History];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Codes => "Codes",
            Screen::Stats => "Stats",
            Screen::Settings => "Settings",
            Screen::History => "History",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// A message of the session: said `at`, in the status bar until `until`, and in the messages log (`!`) after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub level: Level,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Message {
    /// The rows the log shows for the message at `width`: its time, then the whole text wrapped beside it.
    pub fn rows(&self, width: usize) -> Vec<String> {
        layout::hanging(&format!("{}  ", self.at.format("%H:%M:%S")), &self.text, width)
    }
}

/// The session's messages a log keeps (`!`).
pub const MESSAGE_LOG: usize = 100;

/// The codes list: the query, a cache of fetched pages, cursor, window and marks.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    /// The filter text as typed; [`ListState::filter`] is the filter in force.
    pub filter_input: Input,
    pub filtering: bool,
    pub status: Option<CodeStatus>,
    pub sort: SortField,
    pub descending: bool,
    /// What the window-uses column counts (`w`/`W`).
    pub window: UsesWindow,
    /// Bumped whenever the query changes; answers for older generations are dropped.
    pub generation: u64,
    /// Bumped by each filter keystroke; only the last one's debounce wake asks the database.
    pub filter_seq: u64,
    /// The filter the current generation asked for, as parsed from the typed text.
    pub applied_filter: CodeFilter,
    /// Why the typed text is not a filter; the list keeps [`ListState::applied_filter`] meanwhile.
    pub filter_error: Option<String>,
    pub total: Option<i64>,
    /// About how many codes match, shown until [`ListState::total`] comes (see `Service::count_quickly`).
    pub estimate: Option<i64>,
    pub pages: HashMap<u64, Vec<CodeRow>>,
    pub requested: BTreeSet<u64>,
    pub cursor: u64,
    pub offset: u64,
    pub marks: Marks,
    pub range_anchor: Option<u64>,
    pub error: Option<String>,
}

impl ListState {
    /// The filter the list was last asked for: the applied text, its status replaced by the status key's.
    pub fn filter(&self) -> CodeFilter {
        CodeFilter { status: self.status.or(self.applied_filter.status), ..self.applied_filter.clone() }
    }

    pub fn query(&self, page: u64) -> CodeQuery {
        CodeQuery {
            filter: self.filter(),
            sort: self.sort,
            descending: self.descending,
            offset: page * PAGE_SIZE,
            limit: PAGE_SIZE,
            window: self.window,
        }
    }

    /// The row at an index of the whole filtered list, if its page is here.
    pub fn row(&self, index: u64) -> Option<&CodeRow> {
        self.pages.get(&(index / PAGE_SIZE)).and_then(|p| p.get((index % PAGE_SIZE) as usize))
    }

    pub fn current(&self) -> Option<&CodeRow> {
        self.row(self.cursor)
    }

    /// The codes an action applies to: the marked ones, or the cursor row when none is marked.
    pub fn selection(&self) -> Option<Selection> {
        match &self.marks {
            Marks::Ids(ids) if ids.is_empty() => self.current().map(|row| Selection::Ids(vec![row.code.id])),
            Marks::Ids(ids) => Some(Selection::Ids(ids.iter().copied().collect())),
            Marks::Matching { filter, .. } => Some(Selection::Matching(filter.clone())),
        }
    }

    /// Whether a shown code is marked. Codes marked as matching a filter show as marked while that filter is
    /// the one shown (every row then matches it); under another filter only the status bar's count tells.
    pub fn is_marked(&self, id: CodeId) -> bool {
        match &self.marks {
            Marks::Ids(ids) => ids.contains(&id),
            Marks::Matching { filter, .. } => *filter == self.filter(),
        }
    }

    pub fn len(&self) -> u64 {
        self.total.unwrap_or(0).max(0) as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The codes marked for a bulk action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marks {
    /// Marked one by one (space, V); they stay marked under another filter.
    Ids(BTreeSet<CodeId>),
    /// Every code that matches `filter` (Ctrl-a), `count` of them when marked. The database finds them when an
    /// action runs, so a million matches never travel to the dashboard and back.
    Matching { filter: CodeFilter, count: i64 },
}

impl Default for Marks {
    fn default() -> Self {
        Marks::Ids(BTreeSet::new())
    }
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        match self {
            Marks::Ids(ids) => ids.is_empty(),
            Marks::Matching { .. } => false,
        }
    }

    /// How many codes are marked, as the status bar says.
    pub fn count(&self) -> i64 {
        match self {
            Marks::Ids(ids) => ids.len() as i64,
            Marks::Matching { count, .. } => *count,
        }
    }

    pub fn clear(&mut self) {
        *self = Marks::default();
    }
}

/// The fields of the code form, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Code,
    Description,
    MaxUses,
    Expiration,
    Active,
    Beneficiary,
}

impl Field {
    pub const ALL: [Field; 6] =
        [Field::Code, Field::Description, Field::MaxUses, Field::Expiration, Field::Active, Field::Beneficiary];

    pub fn label(self) -> &'static str {
        match self {
            Field::Code => "Code",
            Field::Description => "Description",
            Field::MaxUses => "Max uses",
            Field::Expiration => "Expires",
            Field::Active => "Active",
            Field::Beneficiary => "Beneficiary",
        }
    }

    /// The service's name for the field, to place its refusals.
    pub fn from_service(name: &str) -> Option<Field> {
        match name {
            "code" => Some(Field::Code),
            "description" => Some(Field::Description),
            "max_uses" => Some(Field::MaxUses),
            "expiration" => Some(Field::Expiration),
            "beneficiary" => Some(Field::Beneficiary),
            _ => None,
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, Field::Code | Field::Description | Field::MaxUses | Field::Expiration)
    }
}

/// The create/edit form.
#[derive(Debug, Clone)]
pub struct FormState {
    /// The code being edited; `None` when creating.
    pub editing: Option<ReferralCode>,
    pub code: Input,
    pub description: Input,
    pub max_uses: Input,
    pub expiration: Input,
    pub active: bool,
    pub beneficiary: Option<(UserId, String)>,
    /// The values the form opened with, to tell what was typed.
    pub initial: FormValues,
    pub focus: Field,
    /// The focused field's whole text is selected, as a field is on entry: typing replaces it, a movement key keeps
    /// it and ends the selection.
    pub selected: bool,
    /// Live checks and refusals from the service, by field.
    pub errors: HashMap<Field, String>,
    /// The resolved expiration, shown under the field.
    pub expiration_hint: Option<String>,
    pub failure: Option<String>,
    /// The number of the save under way (see [`Model::saves`]).
    pub saving: Option<u64>,
}

/// What a form holds, comparable with what it opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormValues {
    pub code: String,
    pub description: String,
    pub max_uses: String,
    pub expiration: String,
    pub active: bool,
    pub beneficiary: Option<UserId>,
}

impl FormState {
    pub fn values(&self) -> FormValues {
        FormValues {
            code: self.code.value().to_string(),
            description: self.description.value().to_string(),
            max_uses: self.max_uses.value().to_string(),
            expiration: self.expiration.value().to_string(),
            active: self.active,
            beneficiary: self.beneficiary.as_ref().map(|(id, _)| *id),
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.values() != self.initial
    }

    /// Moves the focus to `field`, selecting its text (if it has any) as form toolkits do.
    pub fn focus_on(&mut self, field: Field) {
        self.focus = field;
        self.selected = self.input(field).is_some_and(|i| !i.value().is_empty());
    }

    pub fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::Code => Some(&self.code),
            Field::Description => Some(&self.description),
            Field::MaxUses => Some(&self.max_uses),
            Field::Expiration => Some(&self.expiration),
            Field::Active | Field::Beneficiary => None,
        }
    }

    pub fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Code => Some(&mut self.code),
            Field::Description => Some(&mut self.description),
            Field::MaxUses => Some(&mut self.max_uses),
            Field::Expiration => Some(&mut self.expiration),
            Field::Active | Field::Beneficiary => None,
        }
    }
}

/// The beneficiary picker over the form.
#[derive(Debug, Clone, Default)]
pub struct PickerState {
    pub search: Input,
    pub generation: u64,
    pub results: Vec<UserWithRole>,
    pub cursor: usize,
    pub loading: bool,
    pub error: Option<String>,
}

/// A code's details.
#[derive(Debug, Clone)]
pub struct DetailState {
    pub id: CodeId,
    pub row: Option<CodeRow>,
    pub stats: Option<CodeUsageStats>,
    pub usage: Vec<UsageRecord>,
    /// The code's newest events, and whether older ones exist (the History screen lists them all).
    pub history: Vec<AuditEvent>,
    pub more_history: bool,
    /// The list below the facts shows the history rather than the usage records.
    pub showing_history: bool,
    pub scroll: usize,
    pub loading: bool,
    pub error: Option<String>,
}

impl DetailState {
    /// Rows of the list below the facts, as shown now.
    pub fn rows(&self) -> usize {
        if self.showing_history { self.history.len() } else { self.usage.len() }
    }
}

/// What a code's details show, as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailData {
    pub row: CodeRow,
    pub stats: CodeUsageStats,
    pub usage: Vec<UsageRecord>,
    pub history: HistoryPage,
}

/// The History screen: the audit trail's events, newest first, loaded a page at a time as the cursor nears the
/// end of what is loaded (keyset pages, so the millionth event costs what the first does).
#[derive(Debug, Clone, Default)]
pub struct HistoryState {
    /// The filter as typed; [`HistoryState::applied`] is the one in force.
    pub filter_input: Input,
    pub filtering: bool,
    pub filter_seq: u64,
    pub applied: HistoryFilter,
    /// The text of the filter in force, as it was typed.
    pub applied_text: String,
    pub filter_error: Option<String>,
    /// Bumped when the filter changes or the list reloads; answers for older generations are dropped.
    pub generation: u64,
    pub events: Vec<AuditEvent>,
    /// Where the next page starts; `None` once the oldest event is loaded.
    pub next: Option<Cursor>,
    /// Whether the first page of the current generation has come.
    pub loaded: bool,
    pub loading: bool,
    pub cursor: usize,
    pub offset: usize,
    pub error: Option<String>,
}

/// The spans the stats screen shows, switched by key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatsWindow {
    Day,
    Week,
    #[default]
    Month,
    Quarter,
    All,
}

impl StatsWindow {
    pub const ALL: [StatsWindow; 5] =
        [StatsWindow::Day, StatsWindow::Week, StatsWindow::Month, StatsWindow::Quarter, StatsWindow::All];

    /// As `stats --since` takes it, and as the screen names it.
    pub fn label(self) -> &'static str {
        match self {
            StatsWindow::Day => "24h",
            StatsWindow::Week => "7d",
            StatsWindow::Month => "30d",
            StatsWindow::Quarter => "90d",
            StatsWindow::All => "all",
        }
    }

    /// Where the window starts; `None` for all time, which starts on the day of the first redemption.
    pub fn since(self) -> Option<Since> {
        let days = match self {
            StatsWindow::Day => return Some(Since::Span(chrono::Duration::hours(24))),
            StatsWindow::Week => 7,
            StatsWindow::Month => 30,
            StatsWindow::Quarter => 90,
            StatsWindow::All => return None,
        };
        Some(Since::Span(chrono::Duration::days(days)))
    }

    /// The window after this one (`forward`) or before it, round.
    pub fn step(self, forward: bool) -> StatsWindow {
        let i = StatsWindow::ALL.iter().position(|w| *w == self).unwrap_or(0);
        let n = StatsWindow::ALL.len();
        StatsWindow::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// The stats screen's figures: what happened in its window, and the latest redemptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsData {
    pub window: StatsWindow,
    pub stats: WindowStats,
}

/// Which of the stats screen's lists the cursor is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatsList {
    #[default]
    Codes,
    Beneficiaries,
}

#[derive(Debug, Clone, Default)]
pub struct StatsState {
    pub window: StatsWindow,
    pub data: Option<StatsData>,
    pub loading: bool,
    pub list: StatsList,
    /// The cursor's row in that list.
    pub scroll: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsState {
    pub cursor: usize,
    /// Editing a limit: the text typed so far.
    pub editing: Option<Input>,
    pub error: Option<String>,
    pub saving: bool,
}

#[derive(Debug, Clone, Default)]
pub struct HelpState {
    pub filter: Input,
    /// Typing goes to the filter (after `/`), until Enter or Esc.
    pub filtering: bool,
    pub scroll: usize,
}

/// A bulk action on codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    Activate,
    Deactivate,
    Delete,
    /// Move each expiry this many seconds later (expired ones: from now).
    Extend {
        seconds: i64,
    },
    /// Every expiry to this time (`None`: never).
    SetExpiry {
        at: Option<DateTime<Utc>>,
    },
    SetMaxUses {
        max: i64,
    },
    /// Activate and move each expiry this many seconds later, in one transaction (for expired codes).
    Reactivate {
        seconds: i64,
    },
    /// The user and their email (`None`: no beneficiary).
    SetBeneficiary {
        user: Option<(UserId, String)>,
    },
    SetDescription {
        text: String,
    },
}

/// What a confirmed dialog does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Bulk {
        action: BulkAction,
        /// Boxed: a matching selection holds a whole filter, many times the other answers' size.
        selection: Box<Selection>,
        codes: i64,
    },
    DiscardForm,
    /// Save the form over the code as another write left it (`theirs`): the fields typed in the form win.
    OverwriteForm {
        theirs: CodeRow,
    },
    /// Open the form again on the code as another write left it; what was typed is dropped.
    ReloadForm {
        theirs: CodeRow,
    },
    /// Import the file whose dry run gave `report`; if a new check of it gives another report (the file or the
    /// database changed), that is shown and asked about instead.
    Import {
        path: String,
        on_conflict: OnConflict,
        report: Box<ImportReport>,
    },
    /// Check the file again (fixed meanwhile, or with another choice for codes that exist).
    CheckImport {
        path: String,
        on_conflict: OnConflict,
    },
    /// A setting that changes every registration at once.
    Setting {
        key: crate::domain::settings::SettingKey,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmState {
    pub title: String,
    pub message: String,
    pub confirm_label: String,
    /// Whether the highlighted choice is the confirming one; it starts on cancel.
    pub on_confirm: bool,
    pub then: Confirmed,
    /// A third choice beside cancel and confirm, with its own key: its label and what it does.
    pub alternative: Option<(String, Confirmed)>,
    /// A number to type before confirming (a large delete's count of codes), and what was typed so far.
    pub must_type: Option<i64>,
    pub typed: String,
}

impl ConfirmState {
    /// A question with two answers, cancel first.
    pub fn new(title: &str, message: String, confirm_label: &str, then: Confirmed) -> ConfirmState {
        ConfirmState {
            title: title.into(),
            message,
            confirm_label: confirm_label.into(),
            on_confirm: false,
            then,
            alternative: None,
            must_type: None,
            typed: String::new(),
        }
    }

    /// Whether what was typed is the number asked for (thousands separators or none), or none is asked for.
    pub fn typed_enough(&self) -> bool {
        self.must_type.is_none_or(|n| self.typed.chars().filter(|c| *c != ',').collect::<String>() == n.to_string())
    }
}

/// A bulk action's selection, counted before its question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Described {
    pub tally: crate::service::Tally,
    /// How many of its codes the list's filter hides.
    pub hidden: i64,
    /// The first few of its codes, to name in the question.
    pub first: Vec<String>,
    /// How many of its codes have expired, counted for an activation (which would leave them Expired).
    pub expired: i64,
}

/// The header's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub config: Option<SystemConfig>,
    pub stats: Option<SystemStats>,
}

/// The whole dashboard.
#[derive(Debug, Clone)]
pub struct Model {
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub screen: Screen,
    pub session: Session,
    pub options: Options,
    pub keymap: KeyMap,
    pub header: Header,
    pub list: ListState,
    pub form: Option<FormState>,
    /// A form set aside to visit another screen (Settings, to raise a limit), with what was typed; the park key
    /// brings it back.
    pub parked: Option<FormState>,
    pub picker: Option<PickerState>,
    /// The last generation a beneficiary search used; it outlives each picker so a reopened one never takes the
    /// answer of a search made by the one before.
    pub picker_generation: u64,
    /// The number of the last save a form sent. Its answer names it, so an answer for a form that was closed while
    /// saving never closes the form opened after it.
    pub saves: u64,
    /// The codes the last bulk action changed and how many, for `u` to mark again; a delete forgets them.
    pub last_changed: Option<(Selection, i64)>,
    /// Bumped by each bulk action's count; only the latest one's answer opens a question.
    pub describe_token: u64,
    /// Bumped by each import's dry run; only the latest one's answer opens a question.
    pub import_token: u64,
    pub detail: Option<DetailState>,
    pub stats: StatsState,
    pub settings: SettingsState,
    pub history: HistoryState,
    pub help: Option<HelpState>,
    pub confirm: Option<ConfirmState>,
    /// The session's last [`MESSAGE_LOG`] messages, oldest first.
    pub messages: Vec<Message>,
    /// The messages log over the screen (`!`), scrolled this many lines.
    pub log: Option<usize>,
    /// The `:` command line, as typed so far.
    pub command: Option<Input>,
    /// When the database last answered a refresh (the header's figures), for "updated 5s ago".
    pub updated: Option<DateTime<Utc>>,
    /// A refresh asked for by key, to be acknowledged when its answer comes.
    pub reload_asked: bool,
    /// Database requests under way, for the loading indicator.
    pub in_flight: u32,
    pub spinner: usize,
    /// When what is on screen was last reloaded.
    pub last_refresh: DateTime<Utc>,
    /// When the database was last asked whether anyone wrote (see [`crate::Service::change_mark`]), and what it
    /// said: an unchanged mark leaves the screen as it is.
    pub last_probe: DateTime<Utc>,
    pub change_mark: Option<String>,
    /// A probe is under way: the next waits for its answer.
    pub probing: bool,
    /// When a key was last pressed (the clock's time then): an untouched dashboard reloads less often.
    pub last_input: DateTime<Utc>,
    /// The database failed on the last attempt; shown until an answer succeeds.
    pub offline: Option<String>,
    pub quit: bool,
}

impl Model {
    pub fn new(session: Session, options: Options, keymap: KeyMap, now: DateTime<Utc>, size: (u16, u16)) -> Model {
        Model {
            now,
            size,
            screen: Screen::Codes,
            session,
            options,
            keymap,
            header: Header::default(),
            list: ListState { descending: true, ..ListState::default() },
            form: None,
            parked: None,
            picker: None,
            picker_generation: 0,
            describe_token: 0,
            import_token: 0,
            last_changed: None,
            saves: 0,
            detail: None,
            stats: StatsState::default(),
            settings: SettingsState::default(),
            history: HistoryState::default(),
            help: None,
            confirm: None,
            messages: Vec::new(),
            log: None,
            command: None,
            updated: None,
            reload_asked: false,
            in_flight: 0,
            spinner: 0,
            last_refresh: now,
            last_probe: now,
            change_mark: None,
            probing: false,
            last_input: now,
            offline: None,
            quit: false,
        }
    }

    /// Where keys go now: the topmost open layer.
    pub fn mode(&self) -> Mode {
        if self.confirm.is_some() {
            Mode::Confirm
        } else if self.command.is_some() {
            Mode::Command
        } else if self.help.is_some() {
            Mode::Help
        } else if self.log.is_some() {
            Mode::Messages
        } else if self.picker.is_some() {
            Mode::Picker
        } else if self.form.is_some() {
            Mode::Form
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            match self.screen {
                Screen::Codes if self.list.filtering => Mode::Filter,
                Screen::Codes => Mode::List,
                Screen::Stats => Mode::Stats,
                Screen::Settings => Mode::Settings,
                Screen::History if self.history.filtering => Mode::Filter,
                Screen::History => Mode::History,
            }
        }
    }

    /// Whether the terminal is big enough to draw the dashboard.
    pub fn fits(&self) -> bool {
        layout::fits(self.size)
    }

    /// Rows of the codes table that fit on the screen.
    pub fn visible_rows(&self) -> u64 {
        u64::from(layout::table_rows(self.size))
    }

    /// Events the History screen shows at once: each takes two rows (what and who; what changed).
    pub fn visible_events(&self) -> usize {
        (self.visible_rows() / 2).max(1) as usize
    }

    pub fn message(&self) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.until > self.now)
    }
}
