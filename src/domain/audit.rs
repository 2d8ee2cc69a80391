//! The audit trail's vocabulary: which face a change came from, what kind of change it was (named as PhoenixKit's
//! `phoenix_kit_audit_logs.action` holds it, in both modes, so one name serves filters everywhere), the changes of
//! an edit as JSON, and an event as `history` reads it back.

use super::code::{edited_fields, expiration_text};
use super::ids::{CodeId, Key, UserId};
use super::{ReferralCode, Refusal};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Where an operator's change came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Face {
    Dashboard,
    Cli,
    /// A program calling the library: the default of a service nobody told otherwise.
    #[default]
    Library,
}

impl Face {
    pub fn as_str(self) -> &'static str {
        match self {
            Face::Dashboard => "dashboard",
            Face::Cli => "cli",
            Face::Library => "library",
        }
    }
}

/// What an event records. A bulk action records one event per code, each carrying the action's bulk id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    Created,
    Updated,
    StatusChanged,
    Deleted,
    BulkUpdated,
    BulkStatusChanged,
    BulkDeleted,
    Generated,
    Imported,
    SettingsUpdated,
    /// `doctor --fix`: every code's count of uses set from its usage records.
    CountersFixed,
    DemoSeeded,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Created,
        Action::Updated,
        Action::StatusChanged,
        Action::Deleted,
        Action::BulkUpdated,
        Action::BulkStatusChanged,
        Action::BulkDeleted,
        Action::Generated,
        Action::Imported,
        Action::SettingsUpdated,
        Action::CountersFixed,
        Action::DemoSeeded,
    ];

    /// The stored name: `referral_code.*` for a code's events, `referral_codes.*` for the module's.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "referral_code.created",
            Action::Updated => "referral_code.updated",
            Action::StatusChanged => "referral_code.status_changed",
            Action::Deleted => "referral_code.deleted",
            Action::BulkUpdated => "referral_code.bulk_updated",
            Action::BulkStatusChanged => "referral_code.bulk_status_changed",
            Action::BulkDeleted => "referral_code.bulk_deleted",
            Action::Generated => "referral_code.generated",
            Action::Imported => "referral_code.imported",
            Action::SettingsUpdated => "referral_codes.settings_updated",
            Action::CountersFixed => "referral_codes.counters_fixed",
            Action::DemoSeeded => "referral_codes.demo_seeded",
        }
    }

    /// The name after the dot, as people type it (`deleted`).
    pub fn short(self) -> &'static str {
        self.as_str().split_once('.').map_or("", |(_, kind)| kind)
    }

    /// A kind as typed after `--action`: the short name or the stored one, without case.
    pub fn parse(raw: &str) -> Result<Action, String> {
        let text = raw.trim().to_lowercase();
        Action::ALL.into_iter().find(|a| a.short() == text || a.as_str() == text).ok_or_else(|| {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.short()).collect();
            format!("{} is no kind of event; use one of {}", super::error::shown(raw.trim()), names.join(", "))
        })
    }

    /// The action of a change to codes: the single-code name for one code, the bulk name for more.
    pub fn of_change(status_only: bool, bulk: bool) -> Action {
        match (status_only, bulk) {
            (true, false) => Action::StatusChanged,
            (false, false) => Action::Updated,
            (true, true) => Action::BulkStatusChanged,
            (false, true) => Action::BulkUpdated,
        }
    }
}

/// One event to record, in the transaction of its change; who and when are the transaction's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    pub action: &'static str,
    pub code_id: Option<CodeId>,
    pub code: Option<String>,
    /// On PhoenixKit, the user the event is about: the code's beneficiary (the operator when none).
    pub target: Option<Key>,
    pub changes: Value,
    pub bulk_id: Option<String>,
}

impl NewEvent {
    /// An event about `code` (as it is after the change, or was before a delete).
    pub fn of_code(action: Action, code: &ReferralCode, changes: Value, bulk_id: Option<&str>) -> NewEvent {
        NewEvent {
            action: action.as_str(),
            code_id: Some(code.id),
            code: Some(code.code.clone()),
            target: code.beneficiary.map(|u| u.0),
            changes,
            bulk_id: bulk_id.map(str::to_string),
        }
    }

    /// An event about the module (settings, counters, demo data).
    pub fn of_module(action: Action, changes: Value) -> NewEvent {
        NewEvent { action: action.as_str(), code_id: None, code: None, target: None, changes, bulk_id: None }
    }
}

/// The fields an edit changed, each `{"old": .., "new": ..}` as the fields read as text.
pub fn changes(before: &ReferralCode, after: &ReferralCode) -> Value {
    let mut map = Map::new();
    for (field, old, new) in before.changed_in(after) {
        map.insert(field.to_string(), json!({"old": old, "new": new}));
    }
    Value::Object(map)
}

/// Only the status changed.
pub fn status_only(changes: &Value) -> bool {
    changes.as_object().is_some_and(|m| m.len() == 1 && m.contains_key("status"))
}

/// A new code's fields, as the fields read as text.
pub fn fields(code: &ReferralCode) -> Value {
    Value::Object(text_map(code.edited_fields()))
}

fn text_map(fields: [(&'static str, String); 6]) -> Map<String, Value> {
    fields.into_iter().map(|(field, value)| (field.to_string(), Value::String(value))).collect()
}

/// A code as it was when it went: every edited field, its uses, and how many usage records went with it.
pub fn last_state(code: &ReferralCode, usage_records: i64) -> Value {
    gone(code.edited_fields(), code.number_of_uses, usage_records)
}

fn gone(fields: [(&'static str, String); 6], number_of_uses: i32, usage_records: i64) -> Value {
    let mut map = text_map(fields);
    map.insert("number_of_uses".into(), json!(number_of_uses));
    map.insert("usage_records".into(), json!(usage_records));
    Value::Object(map)
}

/// A code as a bulk action's row in refcodes' own trail copied it, in the statement that recorded it: as it was
/// before a change or a delete, as it is after a creation. The event's changes are rebuilt from it as one event
/// per code would have recorded them.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeCopy {
    pub code: String,
    pub description: String,
    pub status: bool,
    pub max_uses: i32,
    pub beneficiary: Option<UserId>,
    pub expiration_date: Option<DateTime<Utc>>,
    pub number_of_uses: i32,
    /// A deletion's: how many usage records went with the code.
    pub usage_records: Option<i64>,
    /// An extension's: the code's expiry after it.
    pub expiration_after: Option<DateTime<Utc>>,
}

impl CodeCopy {
    /// The changes of the code's event in a bulk `action` whose header holds `applied`: each field it set, with
    /// its new value as text (`{"status": {"new": "inactive"}}`), or without one when each code's differs (an
    /// extension's expiry, in `expiration_after`).
    pub fn changes(&self, action: &str, applied: &Value) -> Value {
        let fields = edited_fields(
            &self.code,
            &self.description,
            self.status,
            self.max_uses,
            self.beneficiary,
            self.expiration_date,
        );
        if action == Action::BulkDeleted.as_str() {
            return gone(fields, self.number_of_uses, self.usage_records.unwrap_or(0));
        }
        if action != Action::BulkUpdated.as_str() && action != Action::BulkStatusChanged.as_str() {
            return Value::Object(text_map(fields));
        }
        let mut map = Map::new();
        for (field, set) in applied.as_object().into_iter().flatten() {
            let Some((_, old)) = fields.iter().find(|(name, _)| name == field) else { continue };
            let new = match set.get("new") {
                Some(Value::String(new)) => new.clone(),
                _ => expiration_text(self.expiration_after),
            };
            if *old != new {
                map.insert(field.clone(), json!({"old": old, "new": new}));
            }
        }
        Value::Object(map)
    }
}

/// An event as `history` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// The event's key in the table that holds it (a number, or a UUID on PhoenixKit from V74).
    pub id: Key,
    pub at: DateTime<Utc>,
    /// The operator's email, as it was when the event was recorded.
    pub operator: String,
    pub action: String,
    pub code: Option<String>,
    pub code_id: Option<CodeId>,
    pub changes: Value,
    pub face: String,
    pub bulk_id: Option<String>,
    /// The key is its bulk action's, shared with the action's other codes (refcodes' own trail keeps one row
    /// for what they share): the code tells them apart.
    #[serde(skip)]
    pub shared: bool,
}

impl AuditEvent {
    /// The kind as people type it (`status_changed`); an action of another application's as it is.
    pub fn kind(&self) -> &str {
        Action::ALL.iter().find(|a| a.as_str() == self.action).map_or(&self.action, |a| a.short())
    }

    /// The event in a line: the face, the bulk action's id (its first 8 digits, enough to tell actions apart on one
    /// screen), then the changes: `status: active → inactive` for an edit, `field=value` for a code's fields.
    pub fn summary(&self) -> String {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut parts: Vec<String> = Vec::new();
        if !self.face.is_empty() {
            parts.push(format!("via {}", self.face));
        }
        if let Some(bulk) = &self.bulk_id {
            parts.push(format!("bulk {}", bulk.chars().take(8).collect::<String>()));
        }
        parts.extend(match &self.changes {
            Value::Object(map) => map
                .iter()
                .map(|(field, value)| match (value.get("old"), value.get("new")) {
                    (Some(old), Some(new)) => format!("{field}: {} → {}", text(old), text(new)),
                    _ => format!("{field}={}", text(value)),
                })
                .collect(),
            Value::Null => Vec::new(),
            other => vec![other.to_string()],
        });
        parts.join(" · ")
    }

    /// Where the next page of a history that ends with this event starts.
    pub fn cursor(&self) -> Cursor {
        Cursor { at: self.at, id: self.id, code: self.code_id.filter(|_| self.shared) }
    }
}

/// A position in the history, newest first: the events strictly older than it follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Key,
    /// Within a bulk action's events that share the key, those of lower codes follow.
    pub code: Option<CodeId>,
}

/// Which events `history` lists, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Events of this code (by its name then, or its id now).
    pub code: Option<String>,
    /// Events in this window (as `stats --since` reads it).
    pub since: Option<super::window::Since>,
    /// An operator's email, without case.
    pub operator: Option<String>,
    pub action: Option<&'static str>,
    pub bulk_id: Option<String>,
}

impl HistoryFilter {
    /// The dashboard's History filter, as `history`'s options read: `code:` (or a plain word), `operator:`,
    /// `action:`, `since:` and `bulk:`, all of which must hold; values with spaces are quoted.
    pub fn parse(raw: &str) -> Result<HistoryFilter, String> {
        let mut filter = HistoryFilter::default();
        for (term, quoted) in super::filter_text::terms(raw)? {
            let (name, value) = match term.split_once(':') {
                Some((name, value)) if !quoted && !name.is_empty() && name.chars().all(char::is_alphabetic) => {
                    (name.to_lowercase(), value.trim())
                }
                _ => ("code".to_string(), term.trim()),
            };
            if value.is_empty() {
                return Err(format!("{name}: expects a value after the colon, e.g. {}", example(&name)));
            }
            let given = match name.as_str() {
                "code" => filter.code.replace(value.to_string()).is_some(),
                "operator" | "by" => filter.operator.replace(value.to_string()).is_some(),
                "action" => filter.action.replace(Action::parse(value)?.as_str()).is_some(),
                "since" => filter.since.replace(super::window::Since::parse(value)?).is_some(),
                "bulk" => filter.bulk_id.replace(value.to_string()).is_some(),
                _ => {
                    return Err(format!(
                        "{name}: is not a field; use code:, operator:, action:, since: or bulk: (quote a code with a \
                         colon: \"{term}\")"
                    ));
                }
            };
            if given {
                return Err(format!("{name}: is given twice (a plain word is a code); give each field once"));
            }
        }
        Ok(filter)
    }

    pub fn is_empty(&self) -> bool {
        *self == HistoryFilter::default()
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "operator" | "by" => "operator:ops@example.com",
        "action" => "action:deleted",
        "since" => "since:7d",
        "bulk" => "bulk:0193f0c2",
        _ => "code:SPRING-2026",
    }
}

/// Most events one page holds.
pub const HISTORY_MAX: u64 = 10_000;

/// A page size as asked for, within 1 to [`HISTORY_MAX`].
pub fn history_limit(limit: u64) -> Result<u64, Refusal> {
    if (1..=HISTORY_MAX).contains(&limit) {
        Ok(limit)
    } else {
        Err(Refusal::field("limit", format!("must be 1 to {HISTORY_MAX}, not {limit}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_typed() {
        assert_eq!(Action::parse("Deleted"), Ok(Action::Deleted));
        assert_eq!(Action::parse("referral_codes.settings_updated"), Ok(Action::SettingsUpdated));
        assert!(Action::parse("redeemed").unwrap_err().contains("bulk_deleted"));
        for action in Action::ALL {
            assert_eq!(Action::parse(action.short()), Ok(action));
        }
    }

    #[test]
    fn an_edit_records_each_changed_field() {
        let before = ReferralCode {
            id: CodeId::from(1),
            code: "SPRING".into(),
            description: "d".into(),
            status: true,
            number_of_uses: 0,
            max_uses: 10,
            created_by: None,
            beneficiary: None,
            date_created: DateTime::UNIX_EPOCH,
            expiration_date: None,
        };
        let after = ReferralCode { status: false, ..before.clone() };
        let changed = changes(&before, &after);
        assert_eq!(changed, json!({"status": {"old": "active", "new": "inactive"}}));
        assert!(status_only(&changed));
        let more = ReferralCode { max_uses: 5, ..after };
        assert!(!status_only(&changes(&before, &more)));
    }

    #[test]
    fn the_history_filter_reads_as_the_options_do() {
        let f = HistoryFilter::parse("SPRING operator:ops@x.io action:Deleted since:7d bulk:0193").unwrap();
        assert_eq!(f.code.as_deref(), Some("SPRING"));
        assert_eq!(f.operator.as_deref(), Some("ops@x.io"));
        assert_eq!(f.action, Some("referral_code.deleted"));
        assert_eq!(f.since, Some(crate::domain::window::Since::Span(chrono::Duration::days(7))));
        assert_eq!(f.bulk_id.as_deref(), Some("0193"));
        assert!(HistoryFilter::parse("  ").unwrap().is_empty());
        assert_eq!(HistoryFilter::parse("\"A:B\"").unwrap().code.as_deref(), Some("A:B"));
        assert!(HistoryFilter::parse("staus:x").unwrap_err().contains("not a field"));
        assert!(HistoryFilter::parse("action:redeemed").unwrap_err().contains("no kind of event"));
        assert!(HistoryFilter::parse("since:soon").unwrap_err().contains("not a span"));
        assert!(HistoryFilter::parse("A code:B").unwrap_err().contains("twice"));
        assert!(HistoryFilter::parse("operator:").unwrap_err().contains("operator:ops@"));
    }
}
