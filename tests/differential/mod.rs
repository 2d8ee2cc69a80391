//! The differential runner: the same operations on the reference model (`tests/model/`) and on a real backend,
//! from the same start on the same clock. After each operation both must give the same outcome (a value, or a
//! refusal of the same kind naming the same fields); at the end both must hold the same codes, usage, users,
//! settings and stats, with every counter equal to its usage rows. A failure is shrunk by proptest and printed as
//! a test to paste into `tests/model_differential.rs`.
//!
//! Included by `tests/model_differential.rs` and `examples/differential.rs`, next to `common` and `model`.
#![allow(dead_code)]

pub mod ops;

use crate::common::{ADMIN_EMAIL, Harness, OWNER_EMAIL, PLAIN_EMAIL, TestDb, t0};
use crate::model::{self, CodeView, Draws, Model, Person, Refused, Selected, UsageStats, UseView};
use chrono::{DateTime, Duration, TimeZone, Utc};
use ops::{
    Actor, Bulk, Changes, CodeIn, CodeRef, Filter, Grant, Key, Op, POOL_CODES, POOL_USERS, Sel, SelRef, Spelling,
    UserRef,
};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRng, TestRunner};
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::settings::{SettingKey, SystemConfig};
use refcodes::domain::stats::SystemStats;
use refcodes::domain::user::Role;
use refcodes::domain::{
    CodeFilter, CodeId, CodeQuery, CodeStatus, ErrorKind, Key as RowKey, ReferralCode, Selection, SortField, UserId,
};
use refcodes::service::{GenerateInput, NewUserInput, Registration};
use refcodes::{Error, Service};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// What an operation gave, in terms both sides can be compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Unit,
    Code(CodeView),
    Codes(Vec<CodeView>),
    Count(i64),
    /// Codes in order of their last use: each last use, with the codes that share it (as text, sorted).
    ByLastUse(Vec<(Option<DateTime<Utc>>, Vec<String>)>),
    Changed(u64),
    Deleted {
        codes: i64,
        usage_records: i64,
    },
    Usage(UseView),
    Registered {
        email: String,
        usage: Option<UseView>,
        code_ignored: bool,
    },
    User {
        email: String,
        role: Option<Role>,
    },
    Config(SystemConfig),
    Stats(SystemStats),
    UsageStats(UsageStats),
    Checked(Option<String>),
    Bool(bool),
}

pub type Outcome = Result<Out, Refused>;

/// Everything observable at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub codes: Vec<CodeView>,
    pub usage: Vec<UseView>,
    pub users: Vec<(String, Option<Role>, bool)>,
    pub config: SystemConfig,
    pub stats: SystemStats,
}

impl State {
    fn of(model: &Model) -> State {
        State {
            codes: model.code_views(),
            usage: model.use_views(),
            users: model.user_views(),
            config: model.config(),
            stats: model.stats(),
        }
    }
}

/// A backend under test: one database for a whole run, cleared between cases.
pub struct Sut<'a> {
    pub db: &'a TestDb,
    pub h: Harness,
    read_only: Service,
    /// Per case: every user id seen and its email; the ids of deleted users; the last id of each email and code.
    emails: HashMap<UserId, String>,
    gone: HashSet<UserId>,
    last_user: HashMap<String, UserId>,
    last_code: HashMap<String, CodeId>,
}

/// The model's side of the same bookkeeping.
struct ModelSide {
    model: Model,
    last_user: HashMap<String, model::Id>,
    last_code: HashMap<String, model::Id>,
    seed: u64,
}

fn grant_role(grant: Option<Grant>) -> Option<Role> {
    grant.map(|g| match g {
        Grant::GrantOwner => Role::Owner,
        Grant::GrantAdmin => Role::Admin,
        Grant::GrantUser => Role::User,
    })
}

fn setting_key(key: Key) -> SettingKey {
    match key {
        Key::KeyEnabled => SettingKey::Enabled,
        Key::KeyRequired => SettingKey::Required,
        Key::KeyMaxUses => SettingKey::MaxUsesPerCode,
        Key::KeyMaxCodes => SettingKey::MaxCodesPerUser,
    }
}

/// Runs of codes that share a last use, in the order given; within a run the order is the keys', which differ
/// between backends, so the codes are compared as sorted text.
fn by_last_use(
    rows: impl IntoIterator<Item = (Option<DateTime<Utc>>, String)>,
) -> Vec<(Option<DateTime<Utc>>, Vec<String>)> {
    let mut runs: Vec<(Option<DateTime<Utc>>, Vec<String>)> = Vec::new();
    for (at, code) in rows {
        match runs.last_mut() {
            Some((last, codes)) if *last == at => codes.push(code),
            _ => runs.push((at, vec![code])),
        }
    }
    runs.iter_mut().for_each(|(_, codes)| codes.sort());
    runs
}

fn code_filter(filter: &Filter) -> CodeFilter {
    use ops::Only::*;
    CodeFilter {
        text: filter.text.get(),
        status: filter.status.map(|s| match s {
            OnlyActive => CodeStatus::Active,
            OnlyInactive => CodeStatus::Inactive,
            OnlyExpired => CodeStatus::Expired,
            OnlyLimitReached => CodeStatus::LimitReached,
        }),
        used: filter.used.map(|(compare, ms)| (compare, Duration::milliseconds(ms))),
        ..CodeFilter::default()
    }
}

fn actor_email(actor: Actor) -> Option<&'static str> {
    match actor {
        Actor::ByOwner | Actor::ByReadOnly => Some(OWNER_EMAIL),
        Actor::ByAdmin => Some(ADMIN_EMAIL),
        Actor::ByPlain => Some(PLAIN_EMAIL),
        Actor::BySlot(i) => Some(POOL_USERS[usize::from(i) % POOL_USERS.len()]),
        Actor::ByNobody => None,
    }
}

fn model_actor(actor: Actor) -> model::Actor {
    match (actor, actor_email(actor)) {
        (Actor::ByReadOnly, Some(email)) => model::Actor::ReadOnly(email.into()),
        (_, Some(email)) => model::Actor::As(email.into()),
        (_, None) => model::Actor::Nobody,
    }
}

fn slot(i: u8) -> &'static str {
    POOL_USERS[usize::from(i) % POOL_USERS.len()]
}

/// The text of a code reference; `Nth` counts the model's codes (which both sides hold, while they agree).
fn code_text(model: &Model, code: CodeRef) -> String {
    match code {
        CodeRef::Pool(i, spelling) => {
            let code = POOL_CODES[usize::from(i) % POOL_CODES.len()];
            let typed = if code == "MASS" { "maß".to_string() } else { code.to_string() };
            match spelling {
                Spelling::Upper => code.to_string(),
                Spelling::Lower => typed.to_lowercase(),
                Spelling::Padded => format!("  {typed} "),
            }
        }
        CodeRef::Nth(n) => {
            let views = model.code_views();
            if views.is_empty() { "NONE".into() } else { views[usize::from(n) % views.len()].code.clone() }
        }
    }
}

fn code_in_text(model: &Model, code: CodeIn) -> String {
    match code {
        CodeIn::Ref(r) => code_text(model, r),
        CodeIn::Raw(text) => text.get(),
    }
}

/// The stored form of a code's text, as the rules make it (the key of the last-id maps).
fn stored(text: &str) -> String {
    text.trim().to_uppercase()
}

fn refused(e: Error) -> Result<Refused, String> {
    match e.refusal() {
        // Fields are the contract of `validation` only (a conflict names its field too, as a courtesy).
        Some(r) if r.kind == ErrorKind::Validation => {
            Ok(Refused { kind: r.kind, fields: r.fields.iter().map(|f| f.field).collect() })
        }
        Some(r) => Ok(Refused { kind: r.kind, fields: Vec::new() }),
        None => Err(format!("a failure, not a refusal: {e}")),
    }
}

/// The backend's result as an outcome; a failure that is no refusal (a database error, say) is a mismatch.
fn outcome<T>(result: Result<T, Error>, f: impl FnOnce(T) -> Out) -> Result<Outcome, String> {
    match result {
        Ok(v) => Ok(Ok(f(v))),
        Err(e) => Ok(Err(refused(e)?)),
    }
}

impl<'a> Sut<'a> {
    pub async fn new(db: &'a TestDb) -> Sut<'a> {
        let h = db.harness().await;
        let read_only = db.read_only(OWNER_EMAIL).await.with_clock(h.clock.clone());
        Sut {
            db,
            h,
            read_only,
            emails: HashMap::new(),
            gone: HashSet::new(),
            last_user: HashMap::new(),
            last_code: HashMap::new(),
        }
    }

    /// Back to the start of a case: no codes, usage or settings; the Owner, `admin@example.com` (Admin) and
    /// `user@example.com` (User); the clock at [`t0`].
    pub async fn reset(&mut self) -> Model {
        self.db
            .execute(
                "DELETE FROM phoenix_kit_referral_code_usage; DELETE FROM phoenix_kit_referral_codes; \
                 DELETE FROM phoenix_kit_settings WHERE module = 'referral_codes'; \
                 DELETE FROM phoenix_kit_users WHERE email <> 'owner@example.com'",
            )
            .await;
        self.h.clock.set(t0());
        self.emails.clear();
        self.gone.clear();
        self.last_user.clear();
        self.last_code.clear();
        self.emails.insert(self.h.owner_user.id, OWNER_EMAIL.into());
        let mut model = Model::new(t0(), self.db.shape().is_some(), OWNER_EMAIL);
        for (email, role) in [(ADMIN_EMAIL, Role::Admin), (PLAIN_EMAIL, Role::User)] {
            let user = self.h.add_user(email, Some(role)).await;
            self.emails.insert(user.id, email.into());
            model.app_add_user(email, Some(role));
        }
        model
    }

    fn uuid_keys(&self) -> bool {
        self.db.shape().is_some_and(|s| s.uuid_keys())
    }

    /// An id of this database's kind that no row has.
    fn ghost(&self) -> RowKey {
        if self.uuid_keys() {
            RowKey::Uuid(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001))
        } else {
            RowKey::Int(i64::MAX - 1)
        }
    }

    fn person(&self, id: Option<UserId>) -> Person {
        match id {
            None => Person::Nobody,
            Some(id) if self.gone.contains(&id) => Person::Gone,
            Some(id) => self.emails.get(&id).map_or(Person::Gone, |e| Person::User(e.clone())),
        }
    }

    fn view(&self, c: &ReferralCode, now: DateTime<Utc>) -> CodeView {
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
            computed: c.status_at(now),
        }
    }

    fn views(&self, codes: &[ReferralCode], now: DateTime<Utc>) -> Vec<CodeView> {
        model::sorted(codes.iter().map(|c| self.view(c, now)).collect())
    }

    async fn service(&self, actor: Actor) -> Service {
        match (actor, actor_email(actor)) {
            (Actor::ByReadOnly, _) => self.read_only.clone(),
            (_, None) => self.h.base.clone(),
            (_, Some(email)) => {
                let sign_in = self.h.base.sign_in(email).await.expect("sign in");
                self.h.base.clone().with_operator(sign_in.operator)
            }
        }
    }

    async fn user_id(&self, user: UserRef) -> UserId {
        let email = match user {
            UserRef::UOwner => OWNER_EMAIL,
            UserRef::UAdmin => ADMIN_EMAIL,
            UserRef::USlot(i) => slot(i),
            UserRef::UGone(i) => return self.last_user.get(slot(i)).copied().unwrap_or(UserId(self.ghost())),
            UserRef::UGhost => return UserId(self.ghost()),
        };
        match self.h.base.find_user_by_email(email).await.expect("find user") {
            Some(u) => u.id,
            None => UserId(self.ghost()),
        }
    }

    async fn code_id(&self, model: &Model, sel: SelRef) -> CodeId {
        match sel {
            SelRef::Current(code) => match self.h.base.get_code_by_string(&code_text(model, code)).await.expect("find")
            {
                Some(c) => c.id,
                None => CodeId(self.ghost()),
            },
            SelRef::Stale(code) => {
                self.last_code.get(&stored(&code_text(model, code))).copied().unwrap_or(CodeId(self.ghost()))
            }
            SelRef::GhostCode => CodeId(self.ghost()),
        }
    }

    async fn selection(&self, model: &Model, sel: &Sel) -> Selection {
        match sel {
            Sel::Ids(refs) => {
                let mut ids = Vec::new();
                for r in refs {
                    ids.push(self.code_id(model, *r).await);
                }
                Selection::Ids(ids)
            }
            Sel::Matching(filter) => Selection::Matching(code_filter(filter)),
        }
    }

    fn learn_user(&mut self, id: UserId, email: &str) {
        self.emails.insert(id, email.to_string());
        self.last_user.insert(email.to_string(), id);
    }

    fn learn_codes(&mut self, codes: &[ReferralCode]) {
        for c in codes {
            self.last_code.insert(c.code.clone(), c.id);
        }
    }

    fn use_view(&self, code: &str, user: UserId, at: DateTime<Utc>) -> UseView {
        UseView { code: code.to_string(), used_by: self.person(Some(user)), date_used: at }
    }

    /// Runs one operation on the backend. `model` is the state before it (for `Nth` and clock targets).
    async fn apply(&mut self, model: &Model, op: &Op) -> Result<Outcome, String> {
        let now = model.now;
        Ok(match op {
            Op::AppAddUser { user, grant } => {
                if model.user_by_email(slot(*user)).is_none() {
                    let added = self.h.add_user(slot(*user), grant_role(*grant)).await;
                    self.learn_user(added.id, slot(*user));
                }
                Ok(Out::Unit)
            }
            Op::AppDeleteUser { user } => {
                if let Some(u) = self.h.base.find_user_by_email(slot(*user)).await.expect("find") {
                    self.db.execute(&format!("DELETE FROM phoenix_kit_users WHERE email = '{}'", slot(*user))).await;
                    self.gone.insert(u.id);
                }
                Ok(Out::Unit)
            }
            Op::AppDeactivateUser { user } => {
                let sql = format!("UPDATE phoenix_kit_users SET is_active = false WHERE email = '{}'", slot(*user));
                self.db.execute(&sql).await;
                Ok(Out::Unit)
            }
            Op::AddUser { by, email, grant } => {
                let input = NewUserInput { email: email.get(), role: grant_role(*grant), ..NewUserInput::default() };
                let result = self.service(*by).await.add_user(&input).await;
                if let Ok(u) = &result {
                    self.learn_user(u.user.id, &u.user.email);
                }
                outcome(result, |u| Out::User { email: u.user.email, role: u.role })?
            }
            Op::Register { email, code } => {
                let registration = Registration {
                    user: NewUserInput { email: email.get(), ..NewUserInput::default() },
                    code: code.map(|c| code_in_text(model, c)),
                };
                let result = self.h.base.register(&registration).await;
                if let Ok(r) = &result {
                    self.learn_user(r.user.id, &r.user.email);
                }
                outcome(result, |r| Out::Registered {
                    email: r.user.email.clone(),
                    usage: r.usage.map(|u| self.use_view(&u.code, u.used_by, u.date_used)),
                    code_ignored: r.code_ignored,
                })?
            }
            Op::Create { by, code, description, max_uses, expires, beneficiary, inactive } => {
                let beneficiary = match beneficiary {
                    Some(b) => Some(self.user_id(*b).await),
                    None => None,
                };
                let input = CodeInput {
                    code: code.map(|c| code_in_text(model, c)),
                    description: description.get(),
                    max_uses: *max_uses,
                    expiration: expires.map(|e| e.resolve(now)),
                    beneficiary,
                    inactive: *inactive,
                };
                let result = self.service(*by).await.create_code(&input).await;
                if let Ok(c) = &result {
                    self.learn_codes(std::slice::from_ref(c));
                }
                outcome(result, |c| Out::Code(self.view(&c, now)))?
            }
            Op::Generate { by, count, prefix, length, max_uses, expires } => {
                let input = GenerateInput {
                    count: *count,
                    prefix: prefix.get(),
                    length: *length,
                    template: CodeInput {
                        description: "generated".into(),
                        max_uses: *max_uses,
                        expiration: expires.map(|e| e.resolve(now)),
                        ..CodeInput::default()
                    },
                };
                let result = self.service(*by).await.generate_codes(&input).await;
                if let Ok(codes) = &result {
                    self.learn_codes(codes);
                }
                outcome(result, |codes| Out::Codes(self.views(&codes, now)))?
            }
            Op::Update { by, code, changes } => {
                let current = match self.h.base.find_code(&code_text(model, *code)).await {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(refused(e)?)),
                };
                let changes = self.changes(model, changes).await;
                let result = self.service(*by).await.update_code(&current, &changes).await;
                if let Ok(c) = &result {
                    self.learn_codes(std::slice::from_ref(c));
                }
                outcome(result, |c| Out::Code(self.view(&c, now)))?
            }
            Op::Delete { by, code } => {
                let current = match self.h.base.find_code(&code_text(model, *code)).await {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(refused(e)?)),
                };
                let result = self.service(*by).await.delete_code(&current).await;
                outcome(result, |d| Out::Deleted { codes: d.codes, usage_records: d.usage_records })?
            }
            Op::BulkAction { by, sel, action } => {
                let selection = self.selection(model, sel).await;
                let service = self.service(*by).await;
                match action {
                    Bulk::Activate => outcome(service.set_status(&selection, true).await, |b| Out::Changed(b.codes))?,
                    Bulk::Deactivate => {
                        outcome(service.set_status(&selection, false).await, |b| Out::Changed(b.codes))?
                    }
                    Bulk::Extend(seconds) => {
                        outcome(service.extend_expiry(&selection, Duration::seconds(*seconds)).await, |b| {
                            Out::Changed(b.codes)
                        })?
                    }
                    Bulk::DeleteAll => outcome(service.delete_codes(&selection).await, |d| Out::Deleted {
                        codes: d.codes,
                        usage_records: d.usage_records,
                    })?,
                }
            }
            Op::Use { code, user, read_only } => {
                let user = self.user_id(*user).await;
                let service = if *read_only { self.read_only.clone() } else { self.h.base.clone() };
                let result = service.use_code(&code_in_text(model, *code), user).await;
                outcome(result, |u| Out::Usage(self.use_view(&u.code, u.used_by, u.date_used)))?
            }
            Op::Setting { by, key, value } => {
                let result = self.service(*by).await.set_setting(setting_key(*key), &value.get()).await;
                outcome(result, Out::Config)?
            }
            Op::Advance { ms } => {
                self.h.clock.set(advanced(now, *ms));
                Ok(Out::Unit)
            }
            Op::ClockToExpiry { code } => {
                if let Some(at) = clock_target(model, *code) {
                    self.h.clock.set(at);
                }
                Ok(Out::Unit)
            }
            Op::Stats => outcome(self.h.base.get_system_stats().await, Out::Stats)?,
            Op::Count { filter } => outcome(self.h.base.count(&code_filter(filter)).await, Out::Count)?,
            Op::ByLastUse { filter, descending } => {
                let query = CodeQuery {
                    filter: code_filter(filter),
                    sort: SortField::LastUsed,
                    descending: *descending,
                    limit: 100_000,
                    ..CodeQuery::default()
                };
                outcome(self.h.base.page(&query).await, |rows| {
                    Out::ByLastUse(by_last_use(rows.into_iter().map(|r| (r.last_used, r.code.code))))
                })?
            }
            Op::ValidCodes => {
                let result = self.h.base.list_valid_codes().await;
                outcome(result, |codes| Out::Codes(self.views(&codes, now)))?
            }
            Op::UsageStats { code } => {
                let current = match self.h.base.find_code(&code_text(model, *code)).await {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(refused(e)?)),
                };
                outcome(self.h.base.get_usage_stats(current.id).await, |s| {
                    Out::UsageStats(UsageStats {
                        total_uses: s.total_uses,
                        unique_users: s.unique_users,
                        last_used: s.last_used,
                        remaining_uses: s.remaining_uses,
                        status: s.status,
                    })
                })?
            }
            Op::CheckCode { code } => {
                let code = code.map(|c| code_in_text(model, c));
                let result = self.h.base.check_registration_code(code.as_deref()).await;
                outcome(result, |c| Out::Checked(c.map(|c| c.code)))?
            }
            Op::UserUsed { user, code } => {
                let (user, code) = (self.user_id(*user).await, self.code_id(model, *code).await);
                outcome(self.h.base.user_used_code(user, code).await, Out::Bool)?
            }
        })
    }

    async fn changes(&self, model: &Model, changes: &Changes) -> CodeChanges {
        let beneficiary = match changes.beneficiary {
            None => None,
            Some(None) => Some(None),
            Some(Some(b)) => Some(Some(self.user_id(b).await)),
        };
        CodeChanges {
            code: changes.code.map(|c| code_in_text(model, c)),
            description: changes.description.map(|d| d.get()),
            max_uses: changes.max_uses,
            expiration: changes.expires.map(|e| e.resolve(model.now)),
            beneficiary,
            active: changes.active,
        }
    }

    /// Everything the backend holds now, and whether its counters and usage rows agree.
    pub async fn observe(&self, now: DateTime<Utc>) -> Result<State, String> {
        let s = &self.h.owner;
        let fail = |e: Error| format!("reading the final state: {e}");
        let codes = s.list_codes().await.map_err(fail)?;
        let codes = codes
            .iter()
            .map(|row| {
                let mut v = self.view(&row.code, now);
                // The list's own join must name the same people as the ids do.
                let joined = |id: Option<UserId>, email: &Option<String>| match (id, email) {
                    (None, _) => Person::Nobody,
                    (Some(_), Some(e)) => Person::User(e.clone()),
                    (Some(_), None) => Person::Gone,
                };
                let created_by = joined(row.code.created_by, &row.created_by_email);
                let beneficiary = joined(row.code.beneficiary, &row.beneficiary_email);
                if (&created_by, &beneficiary) != (&v.created_by, &v.beneficiary) {
                    v.description = format!("{} [list joins {created_by:?} / {beneficiary:?}]", v.description);
                }
                v
            })
            .collect::<Vec<_>>();
        let codes = model::sorted(codes);
        let mut usage: Vec<UseView> = s
            .usage_after(None, i64::MAX)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|u| UseView {
                code: u.code,
                used_by: match (u.used_by, u.user_email) {
                    (_, Some(e)) => Person::User(e),
                    (Some(_), None) => Person::Gone,
                    (None, None) => Person::Nobody,
                },
                date_used: u.date_used,
            })
            .collect();
        usage.sort();
        let mut users: Vec<_> = s
            .search_users("", i64::MAX)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|u| (u.user.email, u.role, u.user.is_active))
            .collect();
        users.sort();
        let mismatches = self.db.counter_mismatches().await;
        let doubles = self.db.double_uses().await;
        if mismatches != 0 || doubles != 0 {
            return Err(format!("{mismatches} counters differ from their usage rows; {doubles} double uses"));
        }
        Ok(State {
            codes,
            usage,
            users,
            config: s.get_config().await.map_err(fail)?,
            stats: s.get_system_stats().await.map_err(fail)?,
        })
    }
}

/// The clock `ms` later, but never past the last instant of 9999: no machine's clock gets there, and the stores
/// keep times up to it only (SQLite's text times sort in time order up to 9999).
fn advanced(now: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    let last = Utc.timestamp_millis_opt(ops::LAST_MS).single().expect("in range");
    (now + Duration::milliseconds(ms)).min(last)
}

/// The instant `ClockToExpiry` moves to: the code's expiration, when it exists and has one.
fn clock_target(model: &Model, code: CodeRef) -> Option<DateTime<Utc>> {
    model.find(&code_text(model, code)).and_then(|id| model.codes[&id].expiration_date)
}

impl ModelSide {
    fn new(model: Model, seed: u64) -> ModelSide {
        ModelSide { model, last_user: HashMap::new(), last_code: HashMap::new(), seed }
    }

    fn user(&self, user: UserRef) -> Option<model::Id> {
        match user {
            UserRef::UOwner => self.model.user_by_email(OWNER_EMAIL),
            UserRef::UAdmin => self.model.user_by_email(ADMIN_EMAIL),
            UserRef::USlot(i) => self.model.user_by_email(slot(i)),
            UserRef::UGone(i) => self.last_user.get(slot(i)).copied(),
            UserRef::UGhost => None,
        }
    }

    fn code(&self, sel: SelRef) -> Option<model::Id> {
        match sel {
            SelRef::Current(code) => self.model.find(&code_text(&self.model, code)),
            SelRef::Stale(code) => self.last_code.get(&stored(&code_text(&self.model, code))).copied(),
            SelRef::GhostCode => None,
        }
    }

    fn learn_codes(&mut self, ids: &[model::Id]) {
        for id in ids {
            self.last_code.insert(self.model.codes[id].code.clone(), *id);
        }
    }

    fn use_view(&self, usage: model::Id) -> UseView {
        let u = &self.model.usage[&usage];
        UseView {
            code: self.model.codes[&u.code_id].code.clone(),
            used_by: self.model.person(Some(u.used_by)),
            date_used: u.date_used,
        }
    }

    /// Runs one operation on the model. `backend` is what the backend gave, for the codes it drew at random.
    fn apply(&mut self, op: &Op, backend: &Outcome) -> Outcome {
        self.seed = self.seed.wrapping_add(1);
        let drawn = match backend {
            Ok(Out::Code(c)) => vec![c.code.clone()],
            Ok(Out::Codes(cs)) => cs.iter().map(|c| c.code.clone()).collect(),
            _ => Vec::new(),
        };
        let mut draws = Draws::replaying(drawn, self.seed);
        let m = &self.model;
        let now = m.now;
        match op {
            Op::AppAddUser { user, grant } => {
                if let Some(id) = self.model.app_add_user(slot(*user), grant_role(*grant)) {
                    self.last_user.insert(slot(*user).into(), id);
                }
                Ok(Out::Unit)
            }
            Op::AppDeleteUser { user } => {
                self.model.app_delete_user(slot(*user));
                Ok(Out::Unit)
            }
            Op::AppDeactivateUser { user } => {
                self.model.app_deactivate_user(slot(*user));
                Ok(Out::Unit)
            }
            Op::AddUser { by, email, grant } => {
                let added = self.model.add_user(&model_actor(*by), &email.get(), grant_role(*grant))?;
                let id = self.model.user_by_email(&added.0).expect("added");
                self.last_user.insert(added.0.clone(), id);
                Ok(Out::User { email: added.0, role: added.1 })
            }
            Op::Register { email, code } => {
                let code = code.map(|c| code_in_text(m, c));
                let (user, usage, code_ignored) =
                    self.model.register(&model::Actor::Nobody, &email.get(), code.as_deref())?;
                let email = self.model.users[&user].email.clone();
                self.last_user.insert(email.clone(), user);
                Ok(Out::Registered { email, usage: usage.map(|u| self.use_view(u)), code_ignored })
            }
            Op::Create { by, code, description, max_uses, expires, beneficiary, inactive } => {
                let input = CodeInput {
                    code: code.map(|c| code_in_text(m, c)),
                    description: description.get(),
                    max_uses: *max_uses,
                    expiration: expires.map(|e| e.resolve(now)),
                    beneficiary: None,
                    inactive: *inactive,
                };
                let beneficiary = beneficiary.map(|b| self.user(b));
                let id = self.model.create_code(&model_actor(*by), &input, beneficiary, &mut draws)?;
                self.learn_codes(&[id]);
                Ok(Out::Code(self.model.view(id)))
            }
            Op::Generate { by, count, prefix, length, max_uses, expires } => {
                let template = CodeInput {
                    description: "generated".into(),
                    max_uses: *max_uses,
                    expiration: expires.map(|e| e.resolve(now)),
                    ..CodeInput::default()
                };
                let ids =
                    self.model.generate(&model_actor(*by), *count, &prefix.get(), *length, &template, &mut draws)?;
                self.learn_codes(&ids);
                Ok(Out::Codes(model::sorted(ids.iter().map(|id| self.model.view(*id)).collect())))
            }
            Op::Update { by, code, changes } => {
                let text = code_text(m, *code);
                let beneficiary = changes.beneficiary.map(|b| b.map(|b| self.user(b)));
                let changes = CodeChanges {
                    code: changes.code.map(|c| code_in_text(m, c)),
                    description: changes.description.map(|d| d.get()),
                    max_uses: changes.max_uses,
                    expiration: changes.expires.map(|e| e.resolve(now)),
                    beneficiary: None,
                    active: changes.active,
                };
                let id = self.model.update_code(&model_actor(*by), &text, &changes, beneficiary)?;
                self.learn_codes(&[id]);
                Ok(Out::Code(self.model.view(id)))
            }
            Op::Delete { by, code } => {
                let (codes, usage_records) = self.model.delete_code(&model_actor(*by), &code_text(m, *code))?;
                Ok(Out::Deleted { codes, usage_records })
            }
            Op::BulkAction { by, sel, action } => {
                let selection = match sel {
                    Sel::Ids(refs) => Selected::Ids(refs.iter().map(|r| self.code(*r)).collect()),
                    Sel::Matching(filter) => Selected::Matching(code_filter(filter)),
                };
                let actor = model_actor(*by);
                match action {
                    Bulk::Activate => self.model.set_status(&actor, &selection, true).map(Out::Changed),
                    Bulk::Deactivate => self.model.set_status(&actor, &selection, false).map(Out::Changed),
                    Bulk::Extend(seconds) => self.model.extend_expiry(&actor, &selection, *seconds).map(Out::Changed),
                    Bulk::DeleteAll => self
                        .model
                        .delete_codes(&actor, &selection)
                        .map(|(codes, usage_records)| Out::Deleted { codes, usage_records }),
                }
            }
            Op::Use { code, user, read_only } => {
                let actor = if *read_only { model::Actor::ReadOnly(OWNER_EMAIL.into()) } else { model::Actor::Nobody };
                let user = self.user(*user);
                let usage = self.model.use_code(&actor, &code_in_text(m, *code), user)?;
                Ok(Out::Usage(self.use_view(usage)))
            }
            Op::Setting { by, key, value } => {
                self.model.set_setting(&model_actor(*by), setting_key(*key), &value.get()).map(Out::Config)
            }
            Op::Advance { ms } => {
                self.model.now = advanced(now, *ms);
                Ok(Out::Unit)
            }
            Op::ClockToExpiry { code } => {
                if let Some(at) = clock_target(m, *code) {
                    self.model.now = at;
                }
                Ok(Out::Unit)
            }
            Op::Stats => Ok(Out::Stats(m.stats())),
            Op::Count { filter } => Ok(Out::Count(m.count(&code_filter(filter)))),
            Op::ByLastUse { filter, descending } => {
                Ok(Out::ByLastUse(by_last_use(m.by_last_use(&code_filter(filter), *descending))))
            }
            Op::ValidCodes => Ok(Out::Codes(m.valid_codes())),
            Op::UsageStats { code } => m.usage_stats(&code_text(m, *code)).map(Out::UsageStats),
            Op::CheckCode { code } => {
                let code = code.map(|c| code_in_text(m, c));
                m.check_registration_code(code.as_deref()).map(Out::Checked)
            }
            Op::UserUsed { user, code } => Ok(Out::Bool(m.user_used_code(self.user(*user), self.code(*code)))),
        }
    }
}

/// A disagreement: at which operation (`None`: in the final state), and how.
#[derive(Debug, Clone)]
pub struct Failure {
    pub at: Option<usize>,
    pub message: String,
}

/// Plays `ops` on the model and the backend from a fresh start; the first disagreement, if any.
pub async fn play(sut: &mut Sut<'_>, ops: &[Op]) -> Result<(), Failure> {
    let model = sut.reset().await;
    let mut side = ModelSide::new(model, 0x5eed);
    for (i, op) in ops.iter().enumerate() {
        let fail = |message: String| Failure { at: Some(i), message: format!("op {i} {op:?}: {message}") };
        let backend = sut.apply(&side.model, op).await.map_err(fail)?;
        let expected = side.apply(op, &backend);
        side.model.check_invariants();
        if expected != backend {
            return Err(fail(format!("\n  model:   {expected:?}\n  backend: {backend:?}")));
        }
    }
    let now = side.model.now;
    let final_state = |message: String| Failure { at: None, message };
    let actual = sut.observe(now).await.map_err(final_state)?;
    let expected = State::of(&side.model);
    if actual != expected {
        return Err(final_state(format!("final state differs:\n{}", state_diff(&expected, &actual))));
    }
    Ok(())
}

/// The shortest failing sequence found from `ops`: cut after the failing operation, then chunks of operations
/// removed while it still fails (halving the chunk down to one operation).
pub async fn minimize(sut: &mut Sut<'_>, ops: Vec<Op>, failure: Failure) -> (Vec<Op>, Failure) {
    let (mut ops, mut failure) = (ops, failure);
    if let Some(at) = failure.at {
        ops.truncate(at + 1);
    }
    let mut chunk = ops.len().div_ceil(2);
    while chunk >= 1 {
        let mut start = 0;
        while start < ops.len() {
            let mut fewer = ops.clone();
            fewer.drain(start..(start + chunk).min(ops.len()));
            match play(sut, &fewer).await {
                Err(f) => {
                    ops = fewer;
                    if let Some(at) = f.at {
                        ops.truncate(at + 1);
                    }
                    failure = f;
                }
                Ok(()) => start += chunk,
            }
        }
        if chunk == 1 {
            break;
        }
        chunk = chunk.div_ceil(2);
    }
    (ops, failure)
}

fn state_diff(expected: &State, actual: &State) -> String {
    let mut out = String::new();
    let mut list = |name: &str, e: Vec<String>, a: Vec<String>| {
        for x in e.iter().filter(|x| !a.contains(x)) {
            out.push_str(&format!("  {name} only in the model:   {x}\n"));
        }
        for x in a.iter().filter(|x| !e.contains(x)) {
            out.push_str(&format!("  {name} only in the backend: {x}\n"));
        }
    };
    let dbg = |v: &[_]| v.iter().map(|x: &CodeView| format!("{x:?}")).collect::<Vec<_>>();
    list("code", dbg(&expected.codes), dbg(&actual.codes));
    let dbg = |v: &[UseView]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>();
    list("usage", dbg(&expected.usage), dbg(&actual.usage));
    let dbg = |v: &[(String, Option<Role>, bool)]| v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>();
    list("user", dbg(&expected.users), dbg(&actual.users));
    if expected.config != actual.config {
        out.push_str(&format!("  settings: model {:?}, backend {:?}\n", expected.config, actual.config));
    }
    if expected.stats != actual.stats {
        out.push_str(&format!("  stats: model {:?}, backend {:?}\n", expected.stats, actual.stats));
    }
    out
}

/// Plays `ops` on `db` and panics with the disagreement: for regression tests.
pub async fn check(db: &TestDb, ops: &[Op]) {
    let mut sut = Sut::new(db).await;
    if let Err(e) = play(&mut sut, ops).await {
        panic!("{}", e.message);
    }
}

/// How a run goes: how many cases, how long each sequence, and the seed (`None`: a fresh one).
#[derive(Debug, Clone)]
pub struct Plan {
    pub cases: u32,
    pub len: std::ops::Range<usize>,
    pub seed: Option<[u8; 32]>,
    pub max_shrink_iters: u32,
}

/// Runs `plan.cases` random sequences on `sut` with proptest; on a disagreement, the shortest sequence found, as a
/// test to paste.
pub fn run(rt: &tokio::runtime::Runtime, sut: &mut Sut<'_>, plan: &Plan) -> Result<(), String> {
    let config = Config {
        cases: plan.cases,
        max_shrink_iters: plan.max_shrink_iters,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = match plan.seed {
        Some(seed) => TestRunner::new_with_rng(config, TestRng::from_seed(Default::default(), &seed)),
        None => TestRunner::new(config),
    };
    let backend = sut.db.backend;
    let sut = RefCell::new(sut);
    let result = runner.run(&ops::sequence(plan.len.clone()), |ops| {
        let mut sut = sut.borrow_mut();
        rt.block_on(play(&mut sut, &ops)).map_err(|f| TestCaseError::fail(f.message))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, ops)) => {
            // proptest simplified the values but keeps the sequence's least length: shorten it here.
            let mut sut = sut.borrow_mut();
            match rt.block_on(play(&mut sut, &ops)) {
                Err(failure) => {
                    let (ops, failure) = rt.block_on(minimize(&mut sut, ops, failure));
                    Err(format!("{}\n\n{}", failure.message, paste_test(backend, &ops)))
                }
                Ok(()) => Err(format!("{why}\n(it passed when played again)\n\n{}", paste_test(backend, &ops))),
            }
        }
        Err(TestError::Abort(why)) => Err(format!("aborted: {why}")),
    }
}

/// A regression test to paste into `tests/model_differential.rs`.
pub fn paste_test(backend: crate::common::Backend, ops: &[Op]) -> String {
    let mut text = format!(
        "// found on {backend:?}\nasync fn regression_name(db: &TestDb) {{\n    use differential::ops::paste::*;\n    differential::check(db, &[\n"
    );
    for op in ops {
        text.push_str(&format!("        {op:?},\n"));
    }
    text.push_str("    ])\n    .await;\n}\nevery!(regression_name, regression_name);\n");
    text
}
