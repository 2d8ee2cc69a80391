//! A reference model of the service: the rules of DESIGN.md and the spec over in-memory maps, with no SQL and an
//! explicit clock. The differential runner (`tests/differential/`) plays the same operations on it and on a real
//! backend and compares what each says.
//!
//! It is written from the rules, not from the store, and takes from the library only its vocabulary (error kinds,
//! roles, settings' keys and input types). Where a rule needs an order of checks, it is the order the service's
//! API documents: who acts, then the fields, then the rows they name.
#![allow(dead_code)]

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::{SettingKey, SystemConfig};
use refcodes::domain::stats::SystemStats;
use refcodes::domain::user::Role;
use refcodes::domain::{CodeFilter, CodeStatus, Compare, ErrorKind};
use std::collections::{BTreeMap, HashMap, HashSet};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

pub type Id = u64;

/// A refusal as the model sees it: the kind, and for `validation` the fields named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub kind: ErrorKind,
    pub fields: Vec<&'static str>,
}

pub type R<T> = Result<T, Refused>;

fn refuse<T>(kind: ErrorKind) -> R<T> {
    Err(Refused { kind, fields: Vec::new() })
}

fn invalid<T>(fields: Vec<&'static str>) -> R<T> {
    Err(Refused { kind: ErrorKind::Validation, fields })
}

/// Who calls: nobody signed in, a user by email, or that user on a read-only service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Nobody,
    As(String),
    ReadOnly(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub email: String,
    pub role: Option<Role>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    pub description: String,
    pub status: bool,
    pub number_of_uses: i32,
    pub max_uses: i32,
    pub created_by: Option<Id>,
    pub beneficiary: Option<Id>,
    pub date_created: DateTime<Utc>,
    pub expiration_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub code_id: Id,
    pub used_by: Id,
    pub date_used: DateTime<Utc>,
}

/// A user a code or usage record names, as a reader sees them: by email, or gone (the id names no user now).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Person {
    Nobody,
    User(String),
    Gone,
}

/// A code as compared across backends: everything but its id, users by email, and its status now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    pub code: String,
    pub description: String,
    pub status: bool,
    pub number_of_uses: i32,
    pub max_uses: i32,
    pub created_by: Person,
    pub beneficiary: Person,
    pub date_created: DateTime<Utc>,
    pub expiration_date: Option<DateTime<Utc>>,
    pub computed: CodeStatus,
}

/// A usage record as compared: the code, who, when.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UseView {
    pub code: String,
    pub used_by: Person,
    pub date_used: DateTime<Utc>,
}

/// A selection as the model resolves it: ids (`None` for an id that names no code) or a filter.
#[derive(Debug, Clone)]
pub enum Selected {
    Ids(Vec<Option<Id>>),
    Matching(CodeFilter),
}

/// The spec's `get_usage_stats`, without the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageStats {
    pub total_uses: i64,
    pub unique_users: i64,
    pub last_used: Option<DateTime<Utc>>,
    pub remaining_uses: i32,
    pub status: CodeStatus,
}

/// The random source of generation: codes replayed from the backend under test (so both hold the same codes), then
/// a seeded generator. A replayed code that doesn't fit the shape asked for is passed over, which makes the model's
/// codes differ from the backend's and so reports it.
#[derive(Debug, Clone)]
pub struct Draws {
    replay: std::collections::VecDeque<String>,
    state: u64,
}

/// The alphabet of random codes: no 0, O, 1 or I.
pub const ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl Draws {
    pub fn seeded(seed: u64) -> Draws {
        Draws { replay: Default::default(), state: seed }
    }

    pub fn replaying(codes: impl IntoIterator<Item = String>, seed: u64) -> Draws {
        Draws { replay: codes.into_iter().collect(), state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn draw(&mut self, prefix: &str, len: usize) -> String {
        while let Some(code) = self.replay.pop_front() {
            let fits = code
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.chars().count() == len && rest.chars().all(|c| ALPHABET.contains(c)));
            if fits {
                return code;
            }
        }
        let alphabet: Vec<char> = ALPHABET.chars().collect();
        let mut code = prefix.to_string();
        for _ in 0..len {
            code.push(alphabet[(self.next_u64() % alphabet.len() as u64) as usize]);
        }
        code
    }
}

/// The whole service as plain data.
#[derive(Debug, Clone)]
pub struct Model {
    pub now: DateTime<Utc>,
    /// Attached to a PhoenixKit database: users are the application's, so adding or registering one is refused.
    pub phoenix_kit: bool,
    /// The configured defaults: 5 random characters, 7 days, 100 uses, 10 draws before giving up.
    pub code_length: usize,
    pub expiry_days: i64,
    pub default_max_uses: i32,
    pub generate_attempts: u32,
    pub settings: HashMap<SettingKey, String>,
    pub users: BTreeMap<Id, User>,
    pub codes: BTreeMap<Id, Code>,
    pub usage: BTreeMap<Id, Use>,
    next_id: Id,
}

impl Model {
    /// An empty service at `now` whose only user is `owner`, its Owner.
    pub fn new(now: DateTime<Utc>, phoenix_kit: bool, owner: &str) -> Model {
        let mut model = Model {
            now,
            phoenix_kit,
            code_length: 5,
            expiry_days: 7,
            default_max_uses: 100,
            generate_attempts: 10,
            settings: HashMap::new(),
            users: BTreeMap::new(),
            codes: BTreeMap::new(),
            usage: BTreeMap::new(),
            next_id: 1,
        };
        model.app_add_user(owner, Some(Role::Owner));
        model
    }

    fn fresh_id(&mut self) -> Id {
        self.next_id += 1;
        self.next_id
    }

    // ---- the application's own changes to users (what PhoenixKit, or an operator with SQL, does) ----

    /// Adds a user as the application would; `None` when the email is taken.
    pub fn app_add_user(&mut self, email: &str, role: Option<Role>) -> Option<Id> {
        if self.user_by_email(email).is_some() {
            return None;
        }
        let id = self.fresh_id();
        self.users.insert(id, User { email: email.to_lowercase(), role, active: true });
        Some(id)
    }

    /// Removes a user; what named them (codes, usage) keeps the id. Returns the id removed.
    pub fn app_delete_user(&mut self, email: &str) -> Option<Id> {
        let id = self.user_by_email(email)?;
        self.users.remove(&id);
        Some(id)
    }

    pub fn app_deactivate_user(&mut self, email: &str) -> Option<Id> {
        let id = self.user_by_email(email)?;
        self.users.get_mut(&id).expect("found").active = false;
        Some(id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<Id> {
        let wanted = email.trim().to_lowercase();
        self.users.iter().find(|(_, u)| u.email == wanted).map(|(id, _)| *id)
    }

    // ---- reading ----

    pub fn config(&self) -> SystemConfig {
        let mut config = SystemConfig {
            enabled: false,
            required: false,
            max_number_of_uses_per_code: 100,
            max_number_of_codes_per_user: 10,
        };
        for (key, value) in &self.settings {
            match key {
                SettingKey::Enabled => config.enabled = value == "true",
                SettingKey::Required => config.required = value == "true",
                SettingKey::MaxUsesPerCode => config.max_number_of_uses_per_code = value.parse().expect("stored"),
                SettingKey::MaxCodesPerUser => config.max_number_of_codes_per_user = value.parse().expect("stored"),
            }
        }
        config
    }

    /// The design's status, first match wins.
    pub fn status_of(&self, code: &Code) -> CodeStatus {
        if !code.status {
            CodeStatus::Inactive
        } else if code.expiration_date.is_some_and(|at| at <= self.now) {
            CodeStatus::Expired
        } else if code.number_of_uses >= code.max_uses {
            CodeStatus::LimitReached
        } else {
            CodeStatus::Active
        }
    }

    pub fn person(&self, id: Option<Id>) -> Person {
        match id {
            None => Person::Nobody,
            Some(id) => self.users.get(&id).map_or(Person::Gone, |u| Person::User(u.email.clone())),
        }
    }

    pub fn view(&self, id: Id) -> CodeView {
        let c = &self.codes[&id];
        CodeView {
            code: c.code.clone(),
            description: c.description.clone(),
            status: c.status,
            number_of_uses: c.number_of_uses,
            max_uses: c.max_uses,
            created_by: self.person(c.created_by),
            beneficiary: self.person(c.beneficiary),
            date_created: c.date_created,
            expiration_date: c.expiration_date,
            computed: self.status_of(c),
        }
    }

    /// Every code, ordered by code.
    pub fn code_views(&self) -> Vec<CodeView> {
        sorted(self.codes.keys().map(|id| self.view(*id)).collect())
    }

    pub fn use_views(&self) -> Vec<UseView> {
        let mut views: Vec<UseView> = self
            .usage
            .values()
            .map(|u| UseView {
                code: self.codes[&u.code_id].code.clone(),
                used_by: self.person(Some(u.used_by)),
                date_used: u.date_used,
            })
            .collect();
        views.sort();
        views
    }

    /// Every user: email, strongest role, whether they may sign in; by email.
    pub fn user_views(&self) -> Vec<(String, Option<Role>, bool)> {
        let mut views: Vec<_> = self.users.values().map(|u| (u.email.clone(), u.role, u.active)).collect();
        views.sort();
        views
    }

    /// The code a lookup finds: trimmed and upper-cased, as stored codes are.
    pub fn find(&self, code: &str) -> Option<Id> {
        let wanted = code.trim().to_uppercase();
        self.codes.iter().find(|(_, c)| c.code == wanted).map(|(id, _)| *id)
    }

    pub fn stats(&self) -> SystemStats {
        SystemStats {
            total_codes: self.codes.len() as i64,
            active_codes: self.codes.values().filter(|c| self.status_of(c) == CodeStatus::Active).count() as i64,
            total_usage: self.usage.len() as i64,
            codes_with_usage: self.codes.keys().filter(|id| self.usage.values().any(|u| u.code_id == **id)).count()
                as i64,
        }
    }

    /// Whether `filter` matches a code: its text (trimmed; without case) inside the code, the description or the
    /// emails of the creator and beneficiary, and its status now.
    pub fn matches(&self, id: Id, code: &Code, filter: &CodeFilter) -> bool {
        let text = filter.text.trim();
        if text.chars().count() > 1000 {
            // Longer than any field it could be found in.
            return false;
        }
        let contains = |hay: &str| fold(hay).contains(&fold(text));
        let email_contains = |id: Option<Id>| id.and_then(|id| self.users.get(&id)).is_some_and(|u| contains(&u.email));
        let text_ok = text.is_empty()
            || contains(&code.code)
            || contains(&code.description)
            || email_contains(code.created_by)
            || email_contains(code.beneficiary);
        text_ok && filter.status.is_none_or(|s| self.status_of(code) == s) && self.used_matches(id, filter)
    }

    /// The filter's test of the time since the code's last use: `<` and `<=` (and `=`) ask for a use that recent,
    /// `>` and `>=` for none (a code never used passes).
    fn used_matches(&self, id: Id, filter: &CodeFilter) -> bool {
        let Some((compare, span)) = filter.used else { return true };
        let since = self.now - span;
        let last = self.last_use(id);
        match compare {
            Compare::Less | Compare::Equal => last.is_some_and(|at| at > since),
            Compare::AtMost => last.is_some_and(|at| at >= since),
            Compare::More => last.is_none_or(|at| at < since),
            Compare::AtLeast => last.is_none_or(|at| at <= since),
        }
    }

    fn last_use(&self, code: Id) -> Option<DateTime<Utc>> {
        self.usage.values().filter(|u| u.code_id == code).map(|u| u.date_used).max()
    }

    /// The codes `filter` keeps with their last use, sorted by it (a code never used is the least recent).
    pub fn by_last_use(&self, filter: &CodeFilter, descending: bool) -> Vec<(Option<DateTime<Utc>>, String)> {
        let mut rows: Vec<(Option<DateTime<Utc>>, String)> = self
            .codes
            .iter()
            .filter(|(id, c)| self.matches(**id, c, filter))
            .map(|(id, c)| (self.last_use(*id), c.code.clone()))
            .collect();
        rows.sort();
        if descending {
            rows.reverse();
        }
        rows
    }

    pub fn count(&self, filter: &CodeFilter) -> i64 {
        self.codes.iter().filter(|(id, c)| self.matches(**id, c, filter)).count() as i64
    }

    /// The spec's `list_valid_codes`, by code.
    pub fn valid_codes(&self) -> Vec<CodeView> {
        self.code_views().into_iter().filter(|v| v.computed == CodeStatus::Active).collect()
    }

    pub fn usage_stats(&self, code: &str) -> R<UsageStats> {
        let Some(id) = self.find(code) else { return refuse(ErrorKind::CodeNotFound) };
        let uses: Vec<&Use> = self.usage.values().filter(|u| u.code_id == id).collect();
        let c = &self.codes[&id];
        Ok(UsageStats {
            total_uses: uses.len() as i64,
            unique_users: uses.iter().map(|u| u.used_by).collect::<HashSet<_>>().len() as i64,
            last_used: uses.iter().map(|u| u.date_used).max(),
            remaining_uses: (c.max_uses - c.number_of_uses).max(0),
            status: self.status_of(c),
        })
    }

    pub fn user_used_code(&self, user: Option<Id>, code: Option<Id>) -> bool {
        self.usage.values().any(|u| Some(u.used_by) == user && Some(u.code_id) == code)
    }

    /// Checks a registration code without using it: the code's text when one is needed and usable.
    pub fn check_registration_code(&self, code: Option<&str>) -> R<Option<String>> {
        let config = self.config();
        if !config.enabled {
            return Ok(None);
        }
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return if config.required { refuse(ErrorKind::CodeRequired) } else { Ok(None) };
        };
        let Some(id) = self.find(code) else { return refuse(ErrorKind::CodeNotFound) };
        match self.status_of(&self.codes[&id]) {
            CodeStatus::Active => Ok(Some(self.codes[&id].code.clone())),
            other => refuse(status_kind(other)),
        }
    }

    // ---- who acts ----

    /// The acting admin's id; `not_authorized` for a read-only service, nobody, or anyone not an active Owner or
    /// Admin.
    fn admin(&self, actor: &Actor) -> R<Id> {
        let Actor::As(email) = actor else { return refuse(ErrorKind::NotAuthorized) };
        match self.user_by_email(email) {
            Some(id) if self.users[&id].active && self.users[&id].role.is_some_and(Role::is_admin) => Ok(id),
            _ => refuse(ErrorKind::NotAuthorized),
        }
    }

    fn writable(actor: &Actor) -> R<()> {
        if matches!(actor, Actor::ReadOnly(_)) { refuse(ErrorKind::NotAuthorized) } else { Ok(()) }
    }

    // ---- settings ----

    pub fn set_setting(&mut self, actor: &Actor, key: SettingKey, raw: &str) -> R<SystemConfig> {
        self.admin(actor)?;
        let text = raw.trim().to_ascii_lowercase();
        let value = match key {
            SettingKey::Enabled | SettingKey::Required => match text.as_str() {
                "true" | "on" | "yes" | "1" => "true".to_string(),
                "false" | "off" | "no" | "0" => "false".to_string(),
                _ => return invalid(vec!["value"]),
            },
            SettingKey::MaxUsesPerCode | SettingKey::MaxCodesPerUser => {
                let top = if key == SettingKey::MaxUsesPerCode { 10_000 } else { 1_000 };
                match text.parse::<i64>() {
                    Ok(n) if (1..=top).contains(&n) => n.to_string(),
                    _ => return invalid(vec!["value"]),
                }
            }
        };
        self.settings.insert(key, value);
        Ok(self.config())
    }

    // ---- users ----

    /// Adds a user through refcodes (its own schema only).
    pub fn add_user(&mut self, actor: &Actor, email: &str, role: Option<Role>) -> R<(String, Option<Role>)> {
        self.admin(actor)?;
        if self.phoenix_kit {
            return refuse(ErrorKind::NotAuthorized);
        }
        let email = check_email(email).map_err(|()| Refused { kind: ErrorKind::Validation, fields: vec!["email"] })?;
        if self.user_by_email(&email).is_some() {
            return refuse(ErrorKind::EmailTaken);
        }
        self.app_add_user(&email, role);
        Ok((email, role))
    }

    /// Registers a user, using the code when the system is enabled; all or nothing. Returns the user's id, the
    /// usage recorded, and whether a given code was ignored (system disabled).
    pub fn register(&mut self, actor: &Actor, email: &str, code: Option<&str>) -> R<(Id, Option<Id>, bool)> {
        Model::writable(actor)?;
        if self.phoenix_kit {
            return refuse(ErrorKind::NotAuthorized);
        }
        let email = check_email(email).map_err(|()| Refused { kind: ErrorKind::Validation, fields: vec!["email"] })?;
        let config = self.config();
        let code = code.map(str::trim).filter(|c| !c.is_empty());
        if config.enabled && config.required && code.is_none() {
            return refuse(ErrorKind::CodeRequired);
        }
        if self.user_by_email(&email).is_some() {
            return refuse(ErrorKind::EmailTaken);
        }
        let before = self.clone();
        let user = self.app_add_user(&email, None).expect("the email is free");
        let usage = match code {
            Some(code) if config.enabled => match self.use_code(actor, code, Some(user)) {
                Ok(usage) => Some(usage),
                Err(refused) => {
                    *self = before;
                    return Err(refused);
                }
            },
            _ => None,
        };
        Ok((user, usage, code.is_some() && !config.enabled))
    }

    // ---- redemption ----

    /// The spec's `use_code`: the code's reasons first, then the user's. `user` `None` is an id no user ever had.
    pub fn use_code(&mut self, actor: &Actor, code: &str, user: Option<Id>) -> R<Id> {
        Model::writable(actor)?;
        if !self.config().enabled {
            return refuse(ErrorKind::SystemDisabled);
        }
        let Some(id) = self.find(code) else { return refuse(ErrorKind::CodeNotFound) };
        let status = self.status_of(&self.codes[&id]);
        if status != CodeStatus::Active {
            return refuse(status_kind(status));
        }
        let Some(user) = user.filter(|u| self.users.contains_key(u)) else {
            return refuse(ErrorKind::UserNotFound);
        };
        if self.user_used_code(Some(user), Some(id)) {
            return refuse(ErrorKind::AlreadyUsed);
        }
        self.codes.get_mut(&id).expect("found").number_of_uses += 1;
        let usage = self.fresh_id();
        self.usage.insert(usage, Use { code_id: id, used_by: user, date_used: self.now });
        Ok(usage)
    }

    // ---- codes ----

    /// A beneficiary must exist (`user_not_found`) and may sign in (`validation` on `beneficiary`). `Some(None)`
    /// is an id no user ever had.
    fn check_beneficiary(&self, beneficiary: Option<Option<Id>>) -> R<Option<Id>> {
        match beneficiary {
            None => Ok(None),
            Some(id) => match id.and_then(|id| self.users.get(&id).map(|u| (id, u))) {
                None => refuse(ErrorKind::UserNotFound),
                Some((_, u)) if !u.active => invalid(vec!["beneficiary"]),
                Some((id, _)) => Ok(Some(id)),
            },
        }
    }

    /// The fields of a new code (or a generation's template with a stand-in code) checked together: every bad
    /// field is named.
    fn check_new(&self, input: &CodeInput, code: &str) -> R<(String, String, i32, Option<DateTime<Utc>>)> {
        let limit = self.config().max_number_of_uses_per_code;
        let mut bad = Vec::new();
        let code = check_code(code).map_err(|()| bad.push("code")).ok();
        let description = check_description(&input.description).map_err(|()| bad.push("description")).ok();
        // The configured default is capped by the setting; a typed value is not.
        let max_uses = input.max_uses.unwrap_or(i64::from(self.default_max_uses.min(limit)));
        let max_uses = check_max_uses(max_uses, limit).map_err(|()| bad.push("max_uses")).ok();
        let default_expiry = Expiration::At(self.now + Duration::days(self.expiry_days));
        let expiration =
            self.check_expiration(input.expiration.unwrap_or(default_expiry)).map_err(|()| bad.push("expiration")).ok();
        match (code, description, max_uses, expiration) {
            (Some(c), Some(d), Some(m), Some(e)) => Ok((c, d, m, e)),
            _ => invalid(bad),
        }
    }

    fn check_expiration(&self, expiration: Expiration) -> Result<Option<DateTime<Utc>>, ()> {
        match expiration {
            Expiration::Never => Ok(None),
            Expiration::At(at) if at > self.now && at.year() <= 9999 => Ok(Some(at)),
            Expiration::At(_) => Err(()),
        }
    }

    /// Admins (not Owners) may have created at most `max_number_of_codes_per_user` codes that still exist.
    fn check_codes_per_user(&self, operator: Id, adding: i64) -> R<()> {
        if self.users[&operator].role == Some(Role::Owner) {
            return Ok(());
        }
        let have = self.codes.values().filter(|c| c.created_by == Some(operator)).count() as i64;
        if have + adding > i64::from(self.config().max_number_of_codes_per_user) {
            return refuse(ErrorKind::NotAuthorized);
        }
        Ok(())
    }

    /// A random code no code has, or `conflict` after the bounded number of draws.
    fn draw_unused(&self, draws: &mut Draws, prefix: &str, len: usize, count: usize) -> R<Vec<String>> {
        let mut chosen: Vec<String> = Vec::new();
        for _ in 0..self.generate_attempts {
            while chosen.len() < count {
                let code = draws.draw(prefix, len);
                if self.find(&code).is_none() && !chosen.contains(&code) {
                    chosen.push(code);
                } else {
                    break;
                }
            }
        }
        if chosen.len() < count {
            return refuse(ErrorKind::Conflict);
        }
        Ok(chosen)
    }

    fn insert_code(&mut self, code: Code) -> Id {
        let id = self.fresh_id();
        self.codes.insert(id, code);
        id
    }

    /// The spec's `create_code`; no code in the input draws a random one. `beneficiary` `Some(None)` names an id
    /// no user ever had.
    pub fn create_code(
        &mut self,
        actor: &Actor,
        input: &CodeInput,
        beneficiary: Option<Option<Id>>,
        draws: &mut Draws,
    ) -> R<Id> {
        let operator = self.admin(actor)?;
        let code = match &input.code {
            Some(code) => code.clone(),
            None => self.draw_unused(draws, "", self.code_length, 1)?.remove(0),
        };
        let (code, description, max_uses, expiration_date) = self.check_new(input, &code)?;
        let beneficiary = self.check_beneficiary(beneficiary)?;
        self.check_codes_per_user(operator, 1)?;
        if self.find(&code).is_some() {
            return refuse(ErrorKind::Conflict);
        }
        Ok(self.insert_code(Code {
            code,
            description,
            status: !input.inactive,
            number_of_uses: 0,
            max_uses,
            created_by: Some(operator),
            beneficiary,
            date_created: self.now,
            expiration_date,
        }))
    }

    /// Creates `count` random unused codes `prefix` + `length` characters that share the template's fields (no
    /// beneficiary: the runner gives none).
    pub fn generate(
        &mut self,
        actor: &Actor,
        count: usize,
        prefix: &str,
        length: Option<usize>,
        template: &CodeInput,
        draws: &mut Draws,
    ) -> R<Vec<Id>> {
        let operator = self.admin(actor)?;
        if !(1..=100_000).contains(&count) {
            return invalid(vec!["count"]);
        }
        let len = length.unwrap_or(self.code_length);
        if !(3..=50).contains(&len) {
            return invalid(vec!["length"]);
        }
        let prefix = prefix.trim().to_uppercase();
        if !prefix.chars().all(code_char) || prefix.chars().count() + len > 50 {
            return invalid(vec!["prefix"]);
        }
        let stand_in = format!("{prefix}{}", "A".repeat(len));
        let (_, description, max_uses, expiration_date) = self.check_new(template, &stand_in)?;
        self.check_codes_per_user(operator, count as i64)?;
        let codes = self.draw_unused(draws, &prefix, len, count)?;
        Ok(codes
            .into_iter()
            .map(|code| {
                self.insert_code(Code {
                    code,
                    description: description.clone(),
                    status: !template.inactive,
                    number_of_uses: 0,
                    max_uses,
                    created_by: Some(operator),
                    beneficiary: None,
                    date_created: self.now,
                    expiration_date,
                })
            })
            .collect())
    }

    /// Finds the code by its text, then the spec's `update_code`: rules apply only to the fields that change.
    /// `beneficiary` replaces `changes.beneficiary`: `Some(Some(None))` names an id no user ever had.
    pub fn update_code(
        &mut self,
        actor: &Actor,
        code: &str,
        changes: &CodeChanges,
        beneficiary: Option<Option<Option<Id>>>,
    ) -> R<Id> {
        let Some(id) = self.find(code) else { return refuse(ErrorKind::CodeNotFound) };
        self.admin(actor)?;
        let current = self.codes[&id].clone();
        let limit = self.config().max_number_of_uses_per_code;
        let mut bad = Vec::new();
        let mut next = current.clone();
        if let Some(raw) = &changes.code {
            match check_code(raw) {
                Ok(c) => next.code = c,
                Err(()) => bad.push("code"),
            }
        }
        if let Some(raw) = &changes.description {
            match check_description(raw) {
                Ok(d) => next.description = d,
                Err(()) => bad.push("description"),
            }
        }
        if let Some(n) = changes.max_uses
            && n != i64::from(current.max_uses)
        {
            match check_max_uses(n, limit) {
                Ok(m) => next.max_uses = m,
                Err(()) => bad.push("max_uses"),
            }
        }
        if let Some(expiration) = changes.expiration
            && expiration.as_option() != current.expiration_date
        {
            match self.check_expiration(expiration) {
                Ok(at) => next.expiration_date = at,
                Err(()) => bad.push("expiration"),
            }
        }
        if let Some(active) = changes.active {
            next.status = active;
        }
        if !bad.is_empty() {
            return invalid(bad);
        }
        if let Some(beneficiary) = beneficiary {
            // Only a change is checked: the same beneficiary again is no change.
            if beneficiary != current.beneficiary.map(Some) {
                next.beneficiary = match beneficiary {
                    None => None,
                    Some(b) => self.check_beneficiary(Some(b))?,
                };
            }
        }
        if next.code != current.code && self.find(&next.code).is_some() {
            return refuse(ErrorKind::Conflict);
        }
        self.codes.insert(id, next);
        Ok(id)
    }

    fn selected(&self, selection: &Selected) -> Vec<Id> {
        match selection {
            Selected::Ids(ids) => {
                let mut found: Vec<Id> =
                    ids.iter().flatten().copied().filter(|id| self.codes.contains_key(id)).collect();
                found.sort();
                found.dedup();
                found
            }
            Selected::Matching(filter) => {
                self.codes.iter().filter(|(id, c)| self.matches(**id, c, filter)).map(|(id, _)| *id).collect()
            }
        }
    }

    /// Deletes the selected codes and their usage: (codes, usage records) removed.
    pub fn delete_codes(&mut self, actor: &Actor, selection: &Selected) -> R<(i64, i64)> {
        self.admin(actor)?;
        let ids = self.selected(selection);
        let before = self.usage.len();
        self.usage.retain(|_, u| !ids.contains(&u.code_id));
        for id in &ids {
            self.codes.remove(id);
        }
        Ok((ids.len() as i64, (before - self.usage.len()) as i64))
    }

    /// Finds the code by its text and deletes it with its usage.
    pub fn delete_code(&mut self, actor: &Actor, code: &str) -> R<(i64, i64)> {
        let Some(id) = self.find(code) else { return refuse(ErrorKind::CodeNotFound) };
        self.delete_codes(actor, &Selected::Ids(vec![Some(id)]))
    }

    /// Sets the status of the selected codes; how many were selected.
    pub fn set_status(&mut self, actor: &Actor, selection: &Selected, active: bool) -> R<u64> {
        self.admin(actor)?;
        let ids = self.selected(selection);
        for id in &ids {
            self.codes.get_mut(id).expect("selected").status = active;
        }
        Ok(ids.len() as u64)
    }

    /// Moves each selected expiry `seconds` later, from now for codes already expired, to at most the last
    /// millisecond of 9999; codes that never expire stay so. How many were selected.
    pub fn extend_expiry(&mut self, actor: &Actor, selection: &Selected, seconds: i64) -> R<u64> {
        self.admin(actor)?;
        if seconds <= 0 || seconds > 36_525 * 86_400 {
            return invalid(vec!["expiration"]);
        }
        let ids = self.selected(selection);
        let latest = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + Duration::milliseconds(999);
        let now = self.now;
        for id in &ids {
            let code = self.codes.get_mut(id).expect("selected");
            if let Some(at) = code.expiration_date {
                code.expiration_date = Some((at.max(now) + Duration::seconds(seconds)).min(latest));
            }
        }
        Ok(ids.len() as u64)
    }

    /// The counters must equal the usage rows, and no user used a code twice.
    pub fn check_invariants(&self) {
        for (id, code) in &self.codes {
            let rows = self.usage.values().filter(|u| u.code_id == *id).count() as i32;
            assert_eq!(code.number_of_uses, rows, "model: counter of {}", code.code);
        }
        let pairs: HashSet<(Id, Id)> = self.usage.values().map(|u| (u.code_id, u.used_by)).collect();
        assert_eq!(pairs.len(), self.usage.len(), "model: a user used a code twice");
    }
}

/// Codes ordered by their text (unique, so the order is total).
pub fn sorted(mut views: Vec<CodeView>) -> Vec<CodeView> {
    views.sort_by(|a, b| a.code.cmp(&b.code));
    views
}

pub fn status_kind(status: CodeStatus) -> ErrorKind {
    match status {
        CodeStatus::Inactive => ErrorKind::CodeInactive,
        CodeStatus::Expired => ErrorKind::CodeExpired,
        CodeStatus::LimitReached => ErrorKind::UsageLimitReached,
        CodeStatus::Active => unreachable!("an active code is no refusal"),
    }
}

/// Lowered for the filter's "without case": each character by its simple lower-case mapping (TESTING.md: letters are
/// the same when that mapping makes them so; PostgreSQL's ILIKE reads it so). `to_lowercase` is the full mapping,
/// whose first character is the simple one (they differ only for `İ`, fully `i` and a combining dot).
fn fold(text: &str) -> String {
    text.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect()
}

fn code_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

/// Codes: trimmed and upper-cased, 3 to 50 characters of A-Z 0-9 - _.
pub fn check_code(raw: &str) -> Result<String, ()> {
    let code = raw.trim().to_uppercase();
    if (3..=50).contains(&code.chars().count()) && code.chars().all(code_char) { Ok(code) } else { Err(()) }
}

fn hidden(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// Descriptions: trimmed, 1 to 255 characters, no control or (invisible) format characters.
pub fn check_description(raw: &str) -> Result<String, ()> {
    let text = raw.trim();
    let len = text.chars().count();
    let clean = !raw.chars().any(hidden) && !text.chars().any(char::is_control);
    if (1..=255).contains(&len) && clean { Ok(text.to_string()) } else { Err(()) }
}

fn check_max_uses(n: i64, limit: i32) -> Result<i32, ()> {
    if (1..=i64::from(limit)).contains(&n) { Ok(n as i32) } else { Err(()) }
}

/// Emails: trimmed and lower-cased; one @ with text on both sides, a domain that neither starts nor ends with a
/// dot, no spaces, control or format characters, at most 160 characters.
pub fn check_email(raw: &str) -> Result<String, ()> {
    if raw.chars().any(hidden) {
        return Err(());
    }
    let email = raw.trim().to_lowercase();
    let shape = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    let clean = !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shape && clean && email.chars().count() <= 160 { Ok(email) } else { Err(()) }
}
