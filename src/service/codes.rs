//! Code management: the spec's list/get/create/update/delete/change/generate, the list's page query and the
//! bulk actions.

use super::audit::new_bulk_id;
use super::{Service, bulk, is_unique_violation};
use crate::domain::audit::{self, Action, NewEvent};
use crate::domain::draft::{self, CodeChanges, CodeInput, CodeUpdate, NewCode};
use crate::domain::error::shown;
use crate::domain::generate::{CodeShape, random_codes};
use crate::domain::settings::SystemConfig;
use crate::domain::user::Operator;
use crate::domain::user::{Role, User};
use crate::domain::{
    CodeFilter, CodeId, CodeQuery, CodeRow, ErrorKind, FieldError, QuickCount, ReferralCode, Refusal, Selection,
    UserId, validate,
};
use crate::error::{Error, Result, refuse};
use crate::store::audit::{self as store_audit, Bulk};
use crate::store::codes::BulkChange;
use crate::store::jobs::{self, JobKind};
use crate::store::{Exec, Tx, codes, page, settings, users};
use chrono::Duration;
use serde::Serialize;
use std::collections::HashSet;

/// One window of the list and the size of the whole filtered set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodePage {
    pub rows: Vec<CodeRow>,
    pub total: i64,
}

/// What a delete removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deleted {
    pub codes: i64,
    pub usage_records: i64,
}

/// A selection counted before a bulk action: its codes and their usage records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub codes: i64,
    pub usage_records: i64,
}

/// What a bulk action changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BulkOutcome {
    pub codes: u64,
}

/// Many random codes that share their other fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateInput {
    pub count: usize,
    pub prefix: String,
    /// Random characters after the prefix; `None` takes the configured length.
    pub length: Option<usize>,
    pub template: CodeInput,
}

/// Most codes one bulk generation makes.
pub const GENERATE_MAX: usize = 100_000;

impl Service {
    /// The spec's `list_codes`: every code, by code. Prefer [`Service::page`] for big sets.
    pub async fn list_codes(&self) -> Result<Vec<CodeRow>> {
        let query = CodeQuery {
            sort: crate::domain::SortField::Code,
            descending: false,
            limit: i64::MAX as u64,
            ..CodeQuery::default()
        };
        Ok(page::page(self.db.exec(), &query, self.now()).await?)
    }

    /// The codes after `after` (from the first with `None`), by id, `limit` at a time: for walking every code
    /// (export) without loading all.
    pub async fn codes_after(&self, after: Option<CodeId>, limit: i64) -> Result<Vec<CodeRow>> {
        Ok(codes::rows_after(self.db.exec(), after, limit.max(0)).await?)
    }

    /// One window of the filtered, sorted list.
    pub async fn page(&self, query: &CodeQuery) -> Result<Vec<CodeRow>> {
        Ok(page::page(self.db.exec(), query, self.now()).await?)
    }

    /// The rows [`Service::page`] gives, for a caller that knows how many codes the filter matches (`total`, as
    /// [`Service::count`] said). A window in the far half of the list is read from its end, in the reversed order
    /// with the short offset from there, and turned back: so the last page costs what the first one does, where
    /// an offset from the start would step over nearly every code first.
    pub async fn page_with_known_total(&self, query: &CodeQuery, total: i64) -> Result<Vec<CodeRow>> {
        let total = total.max(0) as u64;
        let end = query.offset.saturating_add(query.limit).min(total);
        if query.offset >= end || query.offset <= total - end {
            return self.page(query).await;
        }
        let reversed = CodeQuery {
            descending: !query.descending,
            offset: total - end,
            limit: end - query.offset,
            ..query.clone()
        };
        let mut rows = self.page(&reversed).await?;
        rows.reverse();
        Ok(rows)
    }

    /// How many codes match.
    pub async fn count(&self, filter: &CodeFilter) -> Result<i64> {
        Ok(page::count(self.db.exec(), filter, self.now()).await?)
    }

    /// How many codes match, or about how many when the exact count would read every code: for a screen that
    /// shows the estimate at once and follows it with [`Service::count_every`].
    pub async fn count_quickly(&self, filter: &CodeFilter) -> Result<QuickCount> {
        Ok(page::quick_count(self.db.exec(), filter, self.now()).await?)
    }

    /// How many codes match, each tested: the exact count after an estimate.
    pub async fn count_every(&self, filter: &CodeFilter) -> Result<i64> {
        Ok(page::count_every(self.db.exec(), filter, self.now()).await?)
    }

    /// A window and the total, together.
    pub async fn page_with_total(&self, query: &CodeQuery) -> Result<CodePage> {
        let (rows, total) = tokio::try_join!(self.page(query), self.count(&query.filter))?;
        Ok(CodePage { rows, total })
    }

    /// The spec's `get_code!`: `code_not_found` when there is none.
    pub async fn get_code(&self, id: CodeId) -> Result<ReferralCode> {
        codes::get(self.db.exec(), id).await?.ok_or_else(|| not_found(&format!("#{id}")))
    }

    /// A code with its creator's and beneficiary's emails.
    pub async fn get_code_row(&self, id: CodeId) -> Result<CodeRow> {
        codes::get_row(self.db.exec(), id).await?.ok_or_else(|| not_found(&format!("#{id}")))
    }

    /// The spec's `get_code_by_string`, without case.
    pub async fn get_code_by_string(&self, code: &str) -> Result<Option<ReferralCode>> {
        Ok(codes::get_by_code(self.db.exec(), &lookup_form(code)).await?)
    }

    /// Like [`Service::get_code_by_string`], but `code_not_found` when there is none.
    pub async fn find_code(&self, code: &str) -> Result<ReferralCode> {
        self.get_code_by_string(code).await?.ok_or_else(|| not_found(code))
    }

    /// The spec's `change_code`: checks changes without saving them; `Ok` holds what would really change.
    pub async fn change_code(&self, current: &ReferralCode, changes: &CodeChanges) -> Result<CodeUpdate> {
        let config = settings::read(self.db.exec()).await?;
        draft::check_changes(current, changes, config.max_number_of_uses_per_code, self.now())
            .map_err(|fields| Refusal::validation(fields).into())
    }

    /// The spec's `create_code`. Without a code in the input, a random unused one is drawn.
    pub async fn create_code(&self, input: &CodeInput) -> Result<ReferralCode> {
        self.require_admin()?;
        let code = match &input.code {
            Some(code) => code.clone(),
            None => self.generate_unique_code().await?,
        };
        let (mut tx, operator) = self.begin_admin_write().await?;
        let (new, config) = self.check_new(&mut tx, input, &code, &operator).await?;
        codes::lock_creation(tx.exec()).await?;
        self.check_codes_per_user(tx.exec(), &operator, 1, config.max_number_of_codes_per_user).await?;
        if !codes::existing(tx.exec(), std::slice::from_ref(&new.code)).await?.is_empty() {
            return Err(code_taken(&new.code));
        }
        let created =
            codes::insert(tx.exec(), std::slice::from_ref(&new)).await.map_err(|e| taken(e.into(), &new.code))?;
        let created = created.into_iter().next().expect("an insert of one code returns it");
        let event = NewEvent::of_code(Action::Created, &created, audit::fields(&created), None);
        self.record(&mut tx, &operator, &[event]).await?;
        tx.commit().await?;
        tracing::info!(code = %created.code, by = %operator.user.email, "created code");
        Ok(created)
    }

    /// Checks a new code (or a generation's template, with a stand-in code) as `operator` would create it, with
    /// the settings read in the transaction.
    async fn check_new(
        &self,
        tx: &mut Tx,
        input: &CodeInput,
        code: &str,
        operator: &Operator,
    ) -> Result<(NewCode, SystemConfig)> {
        let config = settings::read(tx.exec()).await?;
        let new = draft::check_new(
            input,
            code,
            &self.options.defaults,
            config.max_number_of_uses_per_code,
            Some(operator.user.id),
            self.now(),
        )
        .map_err(Refusal::validation)?;
        self.check_beneficiary(tx, new.beneficiary).await?;
        Ok((new, config))
    }

    /// The spec's `update_code`: rules apply only to the fields that change. The last write wins: see
    /// [`Service::update_code_if_unchanged`] for an edit that must not overwrite another's.
    pub async fn update_code(&self, current: &ReferralCode, changes: &CodeChanges) -> Result<ReferralCode> {
        self.write_code(current, changes, false).await
    }

    /// Like [`Service::update_code`], but refused with `conflict` when any field an admin edits (see
    /// [`ReferralCode::edited_fields`]) differs in the database from `current`, the code as it was read: checked in
    /// the write's transaction, with the row locked, so a change by another admin is never silently overwritten.
    /// The refusal names each changed field with both values.
    pub async fn update_code_if_unchanged(
        &self,
        current: &ReferralCode,
        changes: &CodeChanges,
    ) -> Result<ReferralCode> {
        self.write_code(current, changes, true).await
    }

    async fn write_code(&self, current: &ReferralCode, changes: &CodeChanges, unchanged: bool) -> Result<ReferralCode> {
        self.require_admin()?;
        let update = self.change_code(current, changes).await?;
        let (mut tx, operator) = self.begin_admin_write().await?;
        // The row as it is now, locked: the old values the audit trail records.
        let before = codes::get_locked(tx.exec(), current.id).await?.ok_or_else(|| not_found(&current.code))?;
        if unchanged {
            let changed = current.changed_in(&before);
            if !changed.is_empty() {
                return Err(changed_since_read(&current.code, &changed));
            }
        }
        if let Some(beneficiary) = update.beneficiary {
            self.check_beneficiary(&mut tx, beneficiary).await?;
        }
        if let Some(code) = &update.code {
            codes::lock_creation(tx.exec()).await?;
            let taken_by: Vec<String> = codes::existing(tx.exec(), std::slice::from_ref(code)).await?;
            // Renaming a code to another spelling of itself is no conflict.
            if !taken_by.is_empty() && code.to_uppercase() != current.code.to_uppercase() {
                return Err(code_taken(code));
            }
        }
        let updated = codes::update(tx.exec(), current.id, &update)
            .await
            .map_err(|e| match &update.code {
                Some(code) => taken(e.into(), code),
                None => e.into(),
            })?
            .ok_or_else(|| not_found(&current.code))?;
        let changed = audit::changes(&before, &updated);
        if changed.as_object().is_some_and(|m| !m.is_empty()) {
            let action = Action::of_change(audit::status_only(&changed), false);
            self.record(&mut tx, &operator, &[NewEvent::of_code(action, &updated, changed, None)]).await?;
        }
        tx.commit().await?;
        tracing::info!(code = %updated.code, by = %operator.user.email, "updated code");
        Ok(updated)
    }

    /// The spec's `delete_code`; its usage records go with it.
    pub async fn delete_code(&self, code: &ReferralCode) -> Result<Deleted> {
        let deleted = self.delete_codes(&Selection::Ids(vec![code.id])).await?;
        if deleted.codes == 0 {
            return Err(not_found(&code.code));
        }
        Ok(deleted)
    }

    /// How many codes a selection holds now, and how many usage records they have.
    pub async fn count_selection(&self, selection: &Selection) -> Result<Tally> {
        let (codes, usage_records) = codes::count_selected(self.db.exec(), selection, self.now()).await?;
        Ok(Tally { codes, usage_records })
    }

    /// How many of the selected codes have expired, whatever their status: activated, they would stay Expired.
    pub async fn count_expired(&self, selection: &Selection) -> Result<i64> {
        Ok(codes::count_selected_expired(self.db.exec(), selection, self.now()).await?)
    }

    /// A selection counted before a bulk action: its codes and usage records, and how many of its codes the
    /// `visible` filter hides.
    pub async fn describe_selection(&self, selection: &Selection, visible: &CodeFilter) -> Result<(Tally, i64)> {
        let now = self.now();
        let counted = self.count_selection(selection).await?;
        let shown = codes::count_selected_matching(self.db.exec(), selection, visible, now).await?;
        Ok((counted, counted.codes - shown))
    }

    /// Deletes the selected codes and their usage records, all or nothing: exactly the codes selected when it
    /// began (locked, so redemptions of them wait), counted as they are removed. On SQLite a large selection is
    /// a job: listed and hidden in short transactions, then deleted in more (see `store::jobs`).
    pub async fn delete_codes(&self, selection: &Selection) -> Result<Deleted> {
        let now = self.now();
        let mut job_lock = None;
        loop {
            let (mut tx, operator) = self.begin_admin_write().await?;
            let ids = codes::lock_selected(tx.exec(), selection, now).await?;
            let (codes, usage_records) = if ids.is_empty() {
                (0, 0)
            } else if self.runs_as_job(ids.len()) {
                if job_lock.is_none() {
                    // Not waiting for another job while holding the write lock: the selection is made again.
                    drop(tx);
                    job_lock = Some(self.begin_job().await?);
                    continue;
                }
                let job =
                    jobs::start(tx.exec(), JobKind::Delete, now, &new_bulk_id(), &self.job_audit(&operator)).await?;
                if let Err(e) = self.list_and_hide(tx, job, &ids).await {
                    // Nothing is hidden yet: only the list goes (or the next write forgets it).
                    let _ = self.drain(job, false).await;
                    return Err(e);
                }
                self.drain(job, true).await?
            } else {
                // One code is a delete of its own; more are a bulk action, whose events share its id.
                let bulk_id = (ids.len() > 1).then(new_bulk_id);
                let who = self.who(&operator);
                let deleted = self.delete_recorded(&mut tx, Some(&who), &ids, bulk_id.as_deref()).await?;
                tx.commit().await?;
                deleted
            };
            let deleted = Deleted { codes: codes as i64, usage_records: usage_records as i64 };
            tracing::info!(codes = deleted.codes, usage_records, by = %operator.user.email, "deleted codes");
            return Ok(deleted);
        }
    }

    /// Activates or deactivates the selected codes in one statement.
    pub async fn set_status(&self, selection: &Selection, active: bool) -> Result<BulkOutcome> {
        self.change_selected(selection, &[BulkChange::Status(active)]).await
    }

    /// Moves each selected expiry `by` later, counting from now for codes already expired; codes that never
    /// expire stay so.
    pub async fn extend_expiry(&self, selection: &Selection, by: Duration) -> Result<BulkOutcome> {
        self.require_admin()?;
        self.change_selected(selection, &[extension(by)?]).await
    }

    /// Activates the selected codes and extends their expiry `by` (as [`Service::extend_expiry`]) in one
    /// transaction: an expired code activated alone would stay Expired.
    pub async fn reactivate(&self, selection: &Selection, by: Duration) -> Result<BulkOutcome> {
        self.require_admin()?;
        self.change_selected(selection, &[BulkChange::Status(true), extension(by)?]).await
    }

    /// Sets every selected expiry to `at` (`None`: never), which must lie ahead.
    pub async fn set_expiry(
        &self,
        selection: &Selection,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<BulkOutcome> {
        self.require_admin()?;
        if let Some(at) = at {
            validate::expiration(at, self.now()).map_err(|m| Refusal::field("expiration", m))?;
        }
        self.change_selected(selection, &[BulkChange::Expiry(at)]).await
    }

    /// Sets every selected code's limit of uses, within the `max_number_of_uses_per_code` setting read in the
    /// same transaction. A limit under a code's uses so far makes it Limit reached, as an edit does.
    pub async fn set_max_uses(&self, selection: &Selection, max_uses: i64) -> Result<BulkOutcome> {
        self.require_admin()?;
        let max = i32::try_from(max_uses).unwrap_or(if max_uses < 0 { 0 } else { i32::MAX });
        self.change_selected(selection, &[BulkChange::MaxUses(max)]).await
    }

    /// Sets every selected code's beneficiary (`None`: none), who must be a user who may still sign in.
    pub async fn set_beneficiary(&self, selection: &Selection, user: Option<UserId>) -> Result<BulkOutcome> {
        self.require_admin()?;
        self.change_selected(selection, &[BulkChange::Beneficiary(user)]).await
    }

    /// Sets every selected code's description, checked as the form checks it.
    pub async fn set_description(&self, selection: &Selection, text: &str) -> Result<BulkOutcome> {
        self.require_admin()?;
        let text = validate::description(text).map_err(|m| Refusal::field("description", m))?;
        self.change_selected(selection, &[BulkChange::Description(text)]).await
    }

    /// Bulk changes in one transaction, each one statement. Several apply to the codes selected when the first
    /// began (locked): the first change may move codes in or out of a filter's selection.
    async fn change_selected(&self, selection: &Selection, changes: &[BulkChange]) -> Result<BulkOutcome> {
        let now = self.now();
        let (mut tx, operator) = self.begin_admin_write().await?;
        for change in changes {
            match change {
                BulkChange::MaxUses(max) => {
                    let config = settings::read(tx.exec()).await?;
                    validate::max_uses(i64::from(*max), config.max_number_of_uses_per_code, validate::Raise::Cli)
                        .map_err(|m| Refusal::field("max_uses", m))?;
                }
                BulkChange::Beneficiary(user) => self.check_beneficiary(&mut tx, *user).await?,
                _ => {}
            }
        }
        // The codes selected now, locked: the events name each, with its old and new values.
        let ids = codes::lock_selected(tx.exec(), selection, now).await?;
        // One code is a change of its own; more are a bulk action, whose events share its id.
        let bulk_id = (ids.len() > 1).then(new_bulk_id);
        let status_only = changes.iter().all(|c| matches!(c, BulkChange::Status(_)));
        let action = Action::of_change(status_only, bulk_id.is_some());
        // A bulk action into the database's trail builds its events from the codes as they are before it;
        // otherwise each code's old and new values are read for its event.
        let trail = match &bulk_id {
            Some(bulk_id) if self.records_in_bulk() => {
                let who = self.who(&operator);
                store_audit::record_bulk(tx.exec(), &who, (action, bulk_id), &ids, Bulk::Changed(changes), now).await?;
                false
            }
            _ => self.record_audit,
        };
        let before = if trail { codes::get_many(tx.exec(), &ids).await? } else { Vec::new() };
        let selection = Selection::Ids(ids.clone());
        let mut changed = 0;
        for change in changes {
            changed = codes::change_selected(tx.exec(), &selection, change, now).await?;
        }
        let after = if trail { codes::get_many(tx.exec(), &ids).await? } else { Vec::new() };
        let events: Vec<NewEvent> = before
            .iter()
            .zip(&after)
            .map(|(old, new)| NewEvent::of_code(action, new, audit::changes(old, new), bulk_id.as_deref()))
            .collect();
        self.record(&mut tx, &operator, &events).await?;
        tx.commit().await?;
        tracing::info!(codes = changed, ?changes, by = %operator.user.email, "changed codes");
        Ok(BulkOutcome { codes: changed })
    }

    /// The spec's `generate_random_code`: a code of the configured length; it may exist already.
    pub fn generate_random_code(&self) -> Result<String> {
        let shape = CodeShape { prefix: String::new(), random_len: self.options.defaults.length };
        Ok(random_codes(&shape, 1).map_err(randomness_failed)?.remove(0))
    }

    /// A random code that no code has yet, after a bounded number of draws.
    pub async fn generate_unique_code(&self) -> Result<String> {
        for _ in 0..self.options.generate_attempts {
            let code = self.generate_random_code()?;
            if codes::get_by_code(self.db.exec(), &code).await?.is_none() {
                return Ok(code);
            }
        }
        refuse(
            ErrorKind::Conflict,
            format!(
                "every one of {} random codes drawn was taken; raise codes.length in the configuration",
                self.options.generate_attempts
            ),
        )
    }

    /// Creates `count` random unused codes (an optional prefix before the random part), all or nothing: in one
    /// transaction, or on SQLite as a job of short ones when there are many (see `store::jobs`).
    pub async fn generate_codes(&self, input: &GenerateInput) -> Result<Vec<ReferralCode>> {
        self.require_admin()?;
        if !(1..=GENERATE_MAX).contains(&input.count) {
            return Err(Refusal::field("count", format!("must be 1 to {GENERATE_MAX}, not {}", input.count)).into());
        }
        let random_len = input.length.unwrap_or(self.options.defaults.length);
        if !(3..=validate::CODE_MAX).contains(&random_len) {
            return Err(Refusal::field("length", format!("must be 3 to 50, not {random_len}")).into());
        }
        let prefix = validate::prefix(&input.prefix, random_len).map_err(|m| Refusal::field("prefix", m))?;
        let shape = CodeShape { prefix, random_len };
        let job_lock = if self.runs_as_job(input.count) { Some(self.begin_job().await?) } else { None };
        let bulk_id = new_bulk_id();
        let (mut tx, operator) = self.begin_admin_write().await?;
        // The template is checked once with a stand-in code; each drawn code is valid by construction.
        let stand_in = format!("{}{}", shape.prefix, "A".repeat(random_len));
        let (template, config) = self.check_new(&mut tx, &input.template, &stand_in, &operator).await?;
        codes::lock_creation(tx.exec()).await?;
        self.check_codes_per_user(tx.exec(), &operator, input.count as i64, config.max_number_of_codes_per_user)
            .await?;
        let job = match job_lock {
            Some(_) => {
                Some(jobs::start(tx.exec(), JobKind::Generate, self.now(), &bulk_id, &self.job_audit(&operator)).await?)
            }
            None => None,
        };
        let created =
            self.insert_generated((tx, operator.clone()), job, &template, &shape, input.count, &bulk_id).await;
        if let Some(job) = job {
            // Done, its codes shown: only the list is left. Undone: its codes go. If this fails, the next write
            // finishes it.
            let undo = created.is_err();
            if let Err(e) = self.drain(job, undo).await {
                tracing::warn!(job, undo, error = %e, "a bulk generate's job is left for the next write to finish");
            }
        }
        drop(job_lock);
        let created = created?;
        tracing::info!(codes = created.len(), by = %operator.user.email, "generated codes");
        Ok(created)
    }

    /// Draws and inserts `count` codes like `template`, from the open transaction (and its operator) on, each
    /// recording its event with `bulk_id`. A `job` commits in short
    /// transactions paced by [`bulk::Pace`] (the operator's role checked again in each), its codes hidden until
    /// the last one shows them all.
    async fn insert_generated(
        &self,
        (mut tx, mut operator): (Tx, Operator),
        job: Option<i64>,
        template: &NewCode,
        shape: &CodeShape,
        count: usize,
        bulk_id: &str,
    ) -> Result<Vec<ReferralCode>> {
        let mut pace = bulk::Pace::new();
        let progress = self.progress();
        progress.start("writing codes", Some(count as u64));
        let mut created = Vec::with_capacity(count);
        let mut seen = HashSet::with_capacity(count);
        let (mut began, mut rows) = (std::time::Instant::now(), 0);
        while created.len() < count {
            if !created.is_empty() {
                tx.commit().await?;
                pace.held(rows, began.elapsed(), &self.db).await;
                (tx, operator) = self.begin_admin_write().await?;
                began = std::time::Instant::now();
            }
            rows = if job.is_some() { pace.rows() } else { count }.min(count - created.len());
            let chosen = self.draw_unused(&mut tx, shape, rows, &mut seen).await?;
            let batch: Vec<NewCode> = chosen.into_iter().map(|code| NewCode { code, ..template.clone() }).collect();
            let inserted = self.insert_codes(&mut tx, &batch, "one drawn").await?;
            let ids: Vec<CodeId> = inserted.iter().map(|c| c.id).collect();
            if let Some(job) = job {
                jobs::list(tx.exec(), job, &ids).await?;
            }
            // A job's events are hidden with its codes, and go with them if it is undone (see `store::jobs`).
            self.record_created(&mut tx, &operator, (Action::Generated, bulk_id), &ids).await?;
            created.extend(inserted);
        }
        if let Some(job) = job {
            jobs::set_hides(tx.exec(), job, false).await?;
        }
        tx.commit().await?;
        progress.finish();
        Ok(created)
    }

    /// Inserts checked codes within the open transaction and returns them as stored (see [`Self::insert_batches`]).
    pub(super) async fn insert_codes(&self, tx: &mut Tx, new: &[NewCode], which: &str) -> Result<Vec<ReferralCode>> {
        self.insert_batches(tx, new, which, codes::insert).await
    }

    /// Inserts checked codes within the open transaction and returns their keys (see [`Self::insert_batches`]).
    pub(super) async fn insert_code_keys(&self, tx: &mut Tx, new: &[NewCode], which: &str) -> Result<Vec<CodeId>> {
        self.insert_batches(tx, new, which, codes::insert_keys).await
    }

    /// Inserts checked codes by `insert`, [`codes::INSERT_BATCH`] to a statement, advancing the progress listener
    /// as it goes: the one write path of bulk creation (generate, import). A unique violation is a `conflict` that
    /// names `which` code.
    async fn insert_batches<T>(
        &self,
        tx: &mut Tx,
        new: &[NewCode],
        which: &str,
        insert: impl AsyncFn(Exec<'_>, &[NewCode]) -> std::result::Result<Vec<T>, sqlx::Error>,
    ) -> Result<Vec<T>> {
        let mut created = Vec::with_capacity(new.len());
        for chunk in new.chunks(codes::INSERT_BATCH) {
            created.extend(insert(tx.exec(), chunk).await.map_err(|e| taken(e.into(), which))?);
            self.progress().advance(chunk.len() as u64);
        }
        Ok(created)
    }

    /// Draws `count` distinct codes of `shape` that no stored code has and `seen` (the codes drawn before) did not
    /// hold, within the open transaction; adds them to `seen`.
    pub(super) async fn draw_unused(
        &self,
        tx: &mut Tx,
        shape: &CodeShape,
        count: usize,
        seen: &mut HashSet<String>,
    ) -> Result<Vec<String>> {
        let mut chosen: Vec<String> = Vec::with_capacity(count);
        for _ in 0..self.options.generate_attempts {
            let missing = count - chosen.len();
            if missing == 0 {
                break;
            }
            let fresh: Vec<String> = random_codes(shape, missing)
                .map_err(randomness_failed)?
                .into_iter()
                .filter(|c| seen.insert(c.clone()))
                .collect();
            let mut taken = HashSet::new();
            for chunk in fresh.chunks(codes::INSERT_BATCH) {
                taken.extend(codes::existing(tx.exec(), chunk).await?);
            }
            chosen.extend(fresh.into_iter().filter(|c| !taken.contains(c)));
        }
        if chosen.len() < count {
            return refuse(
                ErrorKind::Conflict,
                format!(
                    "could only find {} unused codes of {count} after {} rounds; use a longer --length or another --prefix",
                    chosen.len(),
                    self.options.generate_attempts
                ),
            );
        }
        Ok(chosen)
    }

    /// The spec's `list_valid_codes`: usable now, never-expiring ones included.
    pub async fn list_valid_codes(&self) -> Result<Vec<ReferralCode>> {
        Ok(codes::valid(self.db.exec(), self.now(), i64::MAX).await?)
    }

    /// A beneficiary must be a user who may still sign in.
    async fn check_beneficiary(&self, tx: &mut Tx, beneficiary: Option<UserId>) -> Result<()> {
        let Some(id) = beneficiary else { return Ok(()) };
        match users::get(tx.exec(), id).await? {
            None => refuse(ErrorKind::UserNotFound, format!("no user has id {id}, so they can't be the beneficiary")),
            Some(user) => may_benefit(&user).map_err(|m| Refusal::field("beneficiary", m).into()),
        }
    }

    /// Admins may create up to `max_number_of_codes_per_user` codes; Owners are not limited. Checked under the
    /// operator's lock, so two creations at once can't both fit in the last place.
    pub(super) async fn check_codes_per_user(
        &self,
        mut exec: Exec<'_>,
        operator: &Operator,
        adding: i64,
        limit: i32,
    ) -> Result<()> {
        if operator.role == Some(Role::Owner) {
            return Ok(());
        }
        users::lock(exec.reborrow(), Some(operator.user.id)).await?;
        let have = codes::count_created_by(exec, operator.user.id).await?;
        if have + adding > i64::from(limit) {
            return refuse(
                ErrorKind::NotAuthorized,
                format!(
                    "you have created {have} codes and may create {limit} (the max_number_of_codes_per_user setting), \
                     so {adding} more won't fit; an Owner can raise it with \
                     `refcodes settings set max_number_of_codes_per_user {}` (up to 1000)",
                    (have + adding).min(1000)
                ),
            );
        }
        Ok(())
    }
}

/// Why `user` can't be a beneficiary, if they can't: one who may no longer sign in.
pub(super) fn may_benefit(user: &User) -> std::result::Result<(), String> {
    if user.is_active {
        Ok(())
    } else {
        Err(format!("{} is inactive (can't sign in), so they can't be a beneficiary", user.email))
    }
}

/// An extension of expiries by `by`, which must be positive and at most 100 years.
fn extension(by: Duration) -> Result<BulkChange> {
    if by <= Duration::zero() {
        return Err(Refusal::field("expiration", "the extension must be positive (e.g. 7d)").into());
    }
    // Longer spans overflow PostgreSQL's intervals; no expiration goes past 9999 anyway.
    if by > Duration::days(36_525) {
        return Err(Refusal::field("expiration", "the extension must be at most 100 years (e.g. 7d)").into());
    }
    Ok(BulkChange::ExtendBy(by.num_seconds()))
}

/// What a lookup compares: trimmed and upper-cased, like stored codes.
pub(super) fn lookup_form(code: &str) -> String {
    code.trim().to_uppercase()
}

pub(super) fn not_found(code: &str) -> Error {
    Refusal::new(
        ErrorKind::CodeNotFound,
        format!("no code {} exists; `refcodes codes list --filter TEXT` finds codes", shown(code)),
    )
    .into()
}

/// Turns a unique violation on the code into a `conflict` that names the code.
fn taken(err: Error, code: &str) -> Error {
    if is_unique_violation(&err) { code_taken(code) } else { err }
}

fn code_taken(code: &str) -> Error {
    Refusal {
        kind: ErrorKind::Conflict,
        message: format!("code {code} exists already; choose another (e.g. {code}-2)"),
        fields: vec![FieldError { field: "code", message: format!("{code} exists already; choose another") }],
    }
    .into()
}

/// The `conflict` of an edit whose code another write changed since it was read: each field with both values.
fn changed_since_read(code: &str, changed: &[(&'static str, String, String)]) -> Error {
    let fields: Vec<FieldError> = changed
        .iter()
        .map(|(field, was, now)| FieldError {
            field,
            message: format!("now {}, was {} when read", shown(now), shown(was)),
        })
        .collect();
    let list = fields.iter().map(|f| format!("{} is {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    Refusal {
        kind: ErrorKind::Conflict,
        message: format!(
            "code {code} changed since it was read ({list}); read it again, or update without the check to overwrite"
        ),
        fields,
    }
    .into()
}

fn randomness_failed(err: rand::rngs::SysError) -> Error {
    Error::Config(format!("the operating system gave no randomness for codes: {err}"))
}
