//! Keys to actions, per mode, from the `[keys.*]` sections of the configuration. The help overlay is generated
//! from the map in force, so it can't disagree with what the keys do.

use super::layout::hanging;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Where a key is read. Text inputs take the keys no action of their mode claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    List,
    Filter,
    Form,
    Picker,
    Detail,
    Stats,
    Settings,
    History,
    Help,
    Messages,
    Command,
    Confirm,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Filter => "filter",
            Mode::Form => "form",
            Mode::Picker => "picker",
            Mode::Detail => "detail",
            Mode::Stats => "stats",
            Mode::Settings => "settings",
            Mode::History => "history",
            Mode::Help => "help",
            Mode::Messages => "messages",
            Mode::Command => "command",
            Mode::Confirm => "confirm",
        }
    }
}

/// A `[keys.*]` section of the configuration: the global keys (read where the mode leaves a key to them, see
/// `update`), or the keys of one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Global,
    Mode(Mode),
}

impl Section {
    /// In the order the help lists them.
    pub const ALL: [Section; 13] = [
        Section::Global,
        Section::Mode(Mode::List),
        Section::Mode(Mode::Filter),
        Section::Mode(Mode::Form),
        Section::Mode(Mode::Picker),
        Section::Mode(Mode::Detail),
        Section::Mode(Mode::Stats),
        Section::Mode(Mode::Settings),
        Section::Mode(Mode::History),
        Section::Mode(Mode::Help),
        Section::Mode(Mode::Messages),
        Section::Mode(Mode::Command),
        Section::Mode(Mode::Confirm),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Mode(mode) => mode.name(),
        }
    }
}

macro_rules! actions {
    ($($variant:ident = $name:literal, $mutating:literal, $help:literal;)*) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),* }
            }

            /// Whether the action changes data. A read-only dashboard (or one whose operator is not an admin)
            /// keeps these keys bound but answers them with why changes are off, and its help leaves them out.
            pub fn is_mutating(self) -> bool {
                match self { $(Action::$variant => $mutating),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $help),* }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    Quit = "quit", false, "quit refcodes";
    Help = "help", false, "show the keys (/ filters them)";
    Messages = "messages", false, "the session's messages in full (the last 100)";
    CommandLine = "command_line", false, "command line: :q, :settings, … (Tab completes)";
    Complete = "complete", false, "complete the command's name";
    NextScreen = "next_screen", false, "next screen: codes, stats, settings, history";
    PrevScreen = "prev_screen", false, "previous screen";
    CodesScreen = "codes_screen", false, "the codes screen";
    StatsScreen = "stats_screen", false, "the stats screen";
    SettingsScreen = "settings_screen", false, "the settings screen";
    HistoryScreen = "history_screen", false, "the history screen: who changed what, and when (the audit trail)";
    Refresh = "refresh", false, "reload from the database";
    ParkForm = "park_form", false, "set the form aside to visit Settings (a limit to raise), and bring it back";
    Up = "up", false, "move up";
    Down = "down", false, "move down";
    Top = "top", false, "go to the first row";
    Bottom = "bottom", false, "go to the last row";
    PageUp = "page_up", false, "one page up";
    PageDown = "page_down", false, "one page down";
    HalfUp = "half_page_up", false, "half a page up";
    HalfDown = "half_page_down", false, "half a page down";
    Open = "open", false, "open the code's details";
    ShowHistory = "show_history", false, "switch between the code's usage records and its history";
    New = "new", true, "new code";
    Edit = "edit", true, "edit the code";
    Toggle = "toggle_active", true, "activate or deactivate the code";
    Delete = "delete", true, "delete the marked codes, or the code";
    Mark = "mark", false, "mark the code and move down";
    MarkRange = "mark_range", false, "mark from the range start to here (press twice)";
    MarkAll = "mark_all", false, "mark every code that matches the filter";
    Clear = "clear", false, "clear marks, the filter, or close";
    RecallChanged = "recall_changed", false, "mark again the codes the last bulk action changed";
    Activate = "activate", true, "activate the marked codes, or the code";
    Deactivate = "deactivate", true, "deactivate the marked codes, or the code";
    Extend = "extend", true, "extend the expiry of the marked codes, or the code, by (:extend 14d, 2w or a date)";
    SetExpiry = "set_expiry", true, "set the expiry of the marked codes, or the code (:expire 2026-12-31 or never)";
    SetMaxUses = "set_max_uses", true, "set the max uses of the marked codes, or the code (:max-uses 500)";
    SetBeneficiary = "set_beneficiary", true, "set the beneficiary of the marked codes, or the code (picker)";
    SetDescription = "set_description", true, "set the description of the marked codes, or the code (:describe TEXT)";
    Import = "import", true, "import codes from a CSV file (:import PATH): a dry run shows what it would do, then asks";
    Filter = "filter", false, "filter as you type: words match anywhere; fields code: desc: creator: \
        beneficiary: status:active|inactive|expired|limit uses:>10 (< >= <= =) expires:<7d used:<24h \
        limit:>=90% expiring:7d; all must hold; quote spaces: desc:\"spring sale\"";
    FilterHistory = "filter_history", false, "filter the events: a code, operator:EMAIL action:updated since:7d \
        (or a date) bulk:ID; all must hold";
    Sort = "sort", false, "sort by the next column";
    Reverse = "reverse", false, "reverse the sort";
    StatusFilter = "status_filter", false, "show one status, then the next, then all";
    StatusFilterBack = "status_filter_back", false, "the status filter the other way round";
    Copy = "copy", false, "copy the code to the clipboard (OSC 52, works over SSH)";
    NextWindow = "next_window", false, "the next window of uses: 24h, 7d, 30d (stats: also 90d, all)";
    PrevWindow = "prev_window", false, "the previous window of uses";
    SwitchList = "switch_list", false, "move between top codes and top beneficiaries";
    Accept = "accept", false, "accept";
    Cancel = "cancel", false, "cancel or close";
    FilterKeys = "filter_keys", false, "filter the keys";
    NextField = "next_field", false, "next field";
    PrevField = "prev_field", false, "previous field";
    Save = "save", true, "save";
    RandomCode = "random_code", true, "fill in a random code";
    Pick = "pick", false, "pick the beneficiary (on its field), or switch a checkbox";
    ClearBeneficiary = "clear_beneficiary", true, "clear the beneficiary";
    Yes = "yes", false, "confirm";
    No = "no", false, "cancel";
    SwitchChoice = "switch_choice", false, "move between the choices";
    Alternative = "alternative", false, "the dialog's third choice (such as Reload)";
}

/// A key as the configuration writes it: `j`, `G`, `ctrl-d`, `shift-tab`, `enter`, `pagedown`, `space`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` with an order, for stable help listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Named(&'static str),
}

const NAMED: [(&str, KeyCode); 16] = [
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("space", KeyCode::Char(' ')),
];

impl Key {
    pub fn parse(text: &str) -> Result<Key, String> {
        let lower = text.trim();
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = lower;
        loop {
            let l = rest.to_ascii_lowercase();
            if l.starts_with("ctrl-") && rest.len() > 5 {
                ctrl = true;
                rest = &rest[5..];
            } else if l.starts_with("alt-") && rest.len() > 4 {
                alt = true;
                rest = &rest[4..];
            } else if l == "shift-tab" {
                rest = "backtab";
            } else {
                break;
            }
        }
        let name = rest.to_ascii_lowercase();
        let code = if let Some((n, _)) = NAMED.iter().find(|(n, _)| *n == name) {
            if *n == "space" { KeyCodeOrd::Char(' ') } else { KeyCodeOrd::Named(n) }
        } else if let Some(num) = name.strip_prefix('f').and_then(|d| d.parse::<u8>().ok()) {
            KeyCodeOrd::F(num)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
                _ => return Err(format!("{text:?} is not a key (e.g. j, G, ctrl-d, shift-tab, enter, pagedown, f1)")),
            }
        };
        Ok(Key { code, ctrl, alt })
    }

    /// The key of a terminal event. Shift is part of the character (`G`), not a separate flag.
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        let alt = event.modifiers.contains(KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().find(|(_, k)| *k == other)?.0),
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Named("backtab") => f.write_str("Shift-Tab"),
            KeyCodeOrd::Named("pageup") => f.write_str("PgUp"),
            KeyCodeOrd::Named("pagedown") => f.write_str("PgDn"),
            KeyCodeOrd::Named(n) => {
                let mut chars = n.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
                write!(f, "{first}{}", chars.as_str())
            }
        }
    }
}

/// The keymap in force.
#[derive(Debug, Clone, Default)]
pub struct KeyMap {
    sections: HashMap<Section, BTreeMap<Key, Action>>,
}

/// The `[keys]` section: per mode, key to action name (`"none"` unbinds a key).
pub type KeysConfig = BTreeMap<String, BTreeMap<String, String>>;

impl KeyMap {
    pub fn from_config(config: &KeysConfig) -> Result<KeyMap, String> {
        let mut sections: HashMap<Section, BTreeMap<Key, Action>> = HashMap::new();
        for (mode_name, keys) in config {
            let section = Section::ALL
                .into_iter()
                .find(|s| s.name() == mode_name)
                .ok_or_else(|| format!("[keys.{mode_name}] is not a mode: use global, list, filter, form, picker, detail, stats, settings, history, help, messages, command or confirm"))?;
            let map = sections.entry(section).or_default();
            for (key_text, action_name) in keys {
                let key = Key::parse(key_text).map_err(|e| format!("[keys.{mode_name}]: {e}"))?;
                if action_name == "none" {
                    map.remove(&key);
                    continue;
                }
                let action = Action::from_name(action_name)
                    .ok_or_else(|| format!("[keys.{mode_name}] {key_text:?} = {action_name:?}: no such action"))?;
                map.insert(key, action);
            }
        }
        Ok(KeyMap { sections })
    }

    /// The action of `event` in `mode`; global keys apply where the mode does not claim the key.
    pub fn action(&self, mode: Mode, event: &KeyEvent) -> Option<Action> {
        self.lookup(Section::Mode(mode), event)
    }

    pub fn global(&self, event: &KeyEvent) -> Option<Action> {
        self.lookup(Section::Global, event)
    }

    fn lookup(&self, section: Section, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event)?;
        self.sections.get(&section).and_then(|m| m.get(&key)).copied()
    }

    /// Every binding of a section, for the help overlay, with keys of one action together.
    pub fn bindings(&self, section: Section) -> Vec<(Action, Vec<Key>)> {
        let mut by_action: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for (key, action) in self.sections.get(&section).into_iter().flatten() {
            by_action.entry(*action).or_default().push(*key);
        }
        by_action.into_iter().collect()
    }

    /// The help overlay's lines: each section's bindings whose keys or description contain `filter` (without case);
    /// without `mutating`, the actions that change data are left out, as they would do nothing.
    pub fn help(&self, filter: &str, mutating: bool) -> Vec<HelpLine> {
        let filter = filter.trim().to_lowercase();
        let mut lines = Vec::new();
        for section in Section::ALL {
            let entries: Vec<HelpLine> = self
                .bindings(section)
                .into_iter()
                .filter(|(action, _)| mutating || !action.is_mutating())
                .map(|(action, keys)| {
                    (keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "), action.description())
                })
                .filter(|(keys, description)| {
                    filter.is_empty()
                        || keys.to_lowercase().contains(&filter)
                        || description.to_lowercase().contains(&filter)
                })
                .map(|(keys, description)| HelpLine::Keys { keys, description })
                .collect();
            if !entries.is_empty() {
                lines.push(HelpLine::Section(section.name()));
                lines.extend(entries);
            }
        }
        // The command line's commands, with the names of each action together.
        let mut by_action: BTreeMap<Action, Vec<String>> = BTreeMap::new();
        for (name, action) in COMMANDS {
            if mutating || !action.is_mutating() {
                by_action.entry(action).or_default().push(format!(":{name}"));
            }
        }
        let commands: Vec<HelpLine> = by_action
            .into_iter()
            .map(|(action, names)| (names.join(" "), action.description()))
            .filter(|(names, description)| {
                filter.is_empty() || names.contains(&filter) || description.to_lowercase().contains(&filter)
            })
            .map(|(keys, description)| HelpLine::Keys { keys, description })
            .collect();
        if !commands.is_empty() {
            lines.push(HelpLine::Section("commands (type : then the name; Tab completes)"));
            lines.extend(commands);
        }
        // The text fields' own keys (tui-input's): not configurable, so not in any section above.
        let editing: Vec<HelpLine> = TEXT_KEYS
            .iter()
            .filter(|(keys, description)| {
                filter.is_empty()
                    || keys.to_lowercase().contains(&filter)
                    || description.to_lowercase().contains(&filter)
            })
            .map(|(keys, description)| HelpLine::Keys { keys: keys.to_string(), description })
            .collect();
        if !editing.is_empty() {
            lines.push(HelpLine::Section("text fields (filter, form, command line, help filter)"));
            lines.extend(editing);
        }
        lines
    }

    /// The key to name in hints such as "press n to create": of the keys bound to `action`, a letter or chord
    /// before arrows and other named keys.
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<Key> {
        self.best_key(Section::Mode(mode), action)
    }

    /// Whether a key of `section` runs `action`.
    pub fn binds(&self, section: Section, action: Action) -> bool {
        self.sections.get(&section).is_some_and(|m| m.values().any(|a| *a == action))
    }

    /// [`KeyMap::key_for`] among the global keys.
    pub fn global_key(&self, action: Action) -> Option<Key> {
        self.best_key(Section::Global, action)
    }

    fn best_key(&self, section: Section, action: Action) -> Option<Key> {
        let rank = |k: &Key| match k.code {
            KeyCodeOrd::Char(' ') => 2,
            KeyCodeOrd::Char(_) | KeyCodeOrd::F(_) => 0,
            KeyCodeOrd::Named("up" | "down" | "left" | "right") => 3,
            KeyCodeOrd::Named(_) => 1,
        };
        self.sections.get(&section)?.iter().filter(|(_, a)| **a == action).map(|(k, _)| *k).min_by_key(rank)
    }
}

/// The `:` command line's commands: each runs an action a key runs too, so both do the same. The completion and the
/// help both read this table.
pub const COMMANDS: [(&str, Action); 30] = [
    ("q", Action::Quit),
    ("quit", Action::Quit),
    ("codes", Action::CodesScreen),
    ("stats", Action::StatsScreen),
    ("settings", Action::SettingsScreen),
    ("history", Action::HistoryScreen),
    ("help", Action::Help),
    ("messages", Action::Messages),
    ("refresh", Action::Refresh),
    ("open", Action::Open),
    ("copy", Action::Copy),
    ("new", Action::New),
    ("form", Action::ParkForm),
    ("edit", Action::Edit),
    ("activate", Action::Activate),
    ("deactivate", Action::Deactivate),
    ("extend", Action::Extend),
    ("expire", Action::SetExpiry),
    ("max-uses", Action::SetMaxUses),
    ("beneficiary", Action::SetBeneficiary),
    ("describe", Action::SetDescription),
    ("delete", Action::Delete),
    ("import", Action::Import),
    ("mark-all", Action::MarkAll),
    ("last", Action::RecallChanged),
    ("filter", Action::Filter),
    ("sort", Action::Sort),
    ("reverse", Action::Reverse),
    ("status", Action::StatusFilter),
    ("window", Action::NextWindow),
];

/// The command named exactly `name`.
pub fn command(name: &str) -> Option<Action> {
    COMMANDS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// The names of the commands that start with `prefix`, in the table's order.
pub fn completions(prefix: &str) -> Vec<&'static str> {
    COMMANDS.iter().map(|(n, _)| *n).filter(|n| n.starts_with(prefix)).collect()
}

/// Keys every text field takes, as tui-input reads them.
const TEXT_KEYS: [(&str, &str); 9] = [
    ("Ctrl-u", "clear the line"),
    ("Ctrl-w Alt-Backspace", "delete the word before the cursor"),
    ("Ctrl-k", "delete to the end of the line"),
    ("Ctrl-y", "put back what was deleted"),
    ("Ctrl-a Home", "to the start of the line"),
    ("Ctrl-e End", "to the end of the line"),
    ("Ctrl-b Ctrl-f Left Right", "one character left or right"),
    ("Alt-b Alt-f Ctrl-Left Ctrl-Right", "one word left or right"),
    ("Backspace Delete", "delete the character before or under the cursor"),
];

/// A line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section's name, over its keys.
    Section(&'static str),
    /// The keys of one action, and what it does.
    Keys { keys: String, description: &'static str },
}

impl HelpLine {
    /// The rows the overlay shows for the line at `width` (and counts, to stop scrolling at the end): the keys, then
    /// the description wrapped in its column.
    pub fn rows(&self, width: usize) -> Vec<String> {
        match self {
            HelpLine::Section(name) => vec![name.to_string()],
            HelpLine::Keys { keys, description } => hanging(&format!("  {keys:<22} "), description, width),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_parse_and_print() {
        for (text, shown) in [
            ("j", "j"),
            ("G", "G"),
            ("ctrl-d", "Ctrl-d"),
            ("shift-tab", "Shift-Tab"),
            ("space", "Space"),
            ("pagedown", "PgDn"),
        ] {
            assert_eq!(Key::parse(text).unwrap().to_string(), shown);
        }
        assert!(Key::parse("jj").is_err());
    }

    #[test]
    fn events_find_their_actions() {
        let mut config = KeysConfig::new();
        config.insert(
            "list".into(),
            [("G".to_string(), "bottom".to_string()), ("ctrl-d".into(), "half_page_down".into())].into(),
        );
        let map = KeyMap::from_config(&config).unwrap();
        assert_eq!(map.action(Mode::List, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Bottom));
        assert_eq!(map.action(Mode::List, &press(KeyCode::Char('d'), KeyModifiers::CONTROL)), Some(Action::HalfDown));
        assert_eq!(map.action(Mode::List, &press(KeyCode::Char('d'), KeyModifiers::NONE)), None);
    }

    #[test]
    fn the_default_keys_load() {
        let map = crate::config::Config::defaults().dashboard.keymap;
        assert_eq!(map.key_for(Mode::List, Action::New).map(|k| k.to_string()).as_deref(), Some("n"));
        assert_eq!(map.key_for(Mode::Form, Action::NextField).map(|k| k.to_string()).as_deref(), Some("Tab"));
    }

    #[test]
    fn bad_config_is_named() {
        let mut config = KeysConfig::new();
        config.insert("list".into(), [("x".to_string(), "explode".to_string())].into());
        assert!(KeyMap::from_config(&config).unwrap_err().contains("explode"));
    }
}
