//! Importing codes from a CSV file in two steps: [`Service::check_import`] reads the file and checks every row
//! with the rules of `create_code` and `update_code`, writing nothing (a dry run, or the summary a person confirms);
//! [`Service::apply_import`] checks the rows again inside one write transaction and writes them all, or nothing.

use super::Service;
use super::audit::new_bulk_id;
use super::codes::{lookup_form, may_benefit};
use crate::domain::audit::{self, Action, NewEvent};
use crate::domain::draft::{self, CodeUpdate, NewCode};
use crate::domain::generate::CodeShape;
use crate::domain::import::{self, ImportRow, OnConflict, ParsedFile, RowProblem, column_of};
use crate::domain::user::{Operator, User};
use crate::domain::{CodeId, ErrorKind, FieldError, ReferralCode, Refusal};
use crate::error::Result;
use crate::store::{Exec, codes, settings, users};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// What an import would do (a dry run), or did. Codes are as stored (upper-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows read, with or without problems (rows of empty cells are left out).
    pub rows: usize,
    /// The codes created, or that would be; a dry run can't name the random ones (see `random`).
    pub created: Vec<String>,
    /// How many rows draw a random code.
    pub random: usize,
    pub updated: Vec<String>,
    /// Rows whose code exists and that would change none of its fields (`--on-conflict update`).
    pub unchanged: Vec<String>,
    /// Rows whose code exists, left out (`--on-conflict skip`).
    pub skipped: Vec<String>,
    /// Every problem of every row, by line; any problem stops the whole import.
    pub problems: Vec<RowProblem>,
    /// Whether the rows were written.
    pub applied: bool,
}

/// A checked file, ready for [`Service::apply_import`]; `report` says what it would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    parsed: ParsedFile,
    on_conflict: OnConflict,
    pub report: ImportReport,
}

/// What the rows come to, as checked against the database.
struct Checked {
    report: ImportReport,
    /// New codes; a random one holds a stand-in code until one is drawn.
    create: Vec<(NewCode, bool)>,
    update: Vec<(CodeId, CodeUpdate)>,
    max_codes_per_user: i32,
}

impl Service {
    /// Reads a CSV file of codes and checks every row as `create_code` (or, for an existing code with
    /// [`OnConflict::Update`], `update_code`) would, against the database as it is now. Writes nothing. A header
    /// with unknown columns is refused; problems of rows are in the report, all of them.
    pub async fn check_import(&self, data: &[u8], on_conflict: OnConflict) -> Result<ImportPlan> {
        let operator = self.require_admin()?.clone();
        let parsed = import::parse(data, self.now()).map_err(|m| Refusal::field("columns", m))?;
        let mut plan = ImportPlan { parsed, on_conflict, report: ImportReport::default() };
        let checked = self.check_rows(self.db.exec(), &plan, &operator).await?;
        if checked.report.problems.is_empty() {
            let adding = checked.create.len() as i64;
            self.check_codes_per_user(self.db.exec(), &operator, adding, checked.max_codes_per_user).await?;
        }
        plan.report = checked.report;
        Ok(plan)
    }

    /// Writes a checked import in one transaction, after checking its rows again inside it (the database may have
    /// changed since [`Service::check_import`]: a code created meanwhile is a conflict like any other). When that
    /// check finds problems, nothing is written and the report says why (`applied` is false); a failure while
    /// writing rolls everything back.
    pub async fn apply_import(&self, plan: &ImportPlan) -> Result<ImportReport> {
        if !plan.report.problems.is_empty() {
            return Err(problems_refusal(&plan.report.problems));
        }
        let (mut tx, operator) = self.begin_admin_write().await?;
        codes::lock_creation(tx.exec()).await?;
        let Checked { mut report, create, update, max_codes_per_user } =
            self.check_rows(tx.exec(), plan, &operator).await?;
        if !report.problems.is_empty() {
            return Ok(report);
        }
        self.check_codes_per_user(tx.exec(), &operator, create.len() as i64, max_codes_per_user).await?;
        let named: HashSet<String> = create.iter().filter(|(_, random)| !random).map(|(n, _)| n.code.clone()).collect();
        let mut drawn = self.draw_unused_except(&mut tx, report.random, &named).await?.into_iter();
        let new: Vec<NewCode> = create
            .into_iter()
            .map(|(new, random)| match random {
                true => NewCode { code: drawn.next().expect("a code drawn for each random row"), ..new },
                false => new,
            })
            .collect();
        let progress = self.progress();
        progress.start("writing codes", Some(new.len() as u64));
        let created = self.insert_code_keys(&mut tx, &new, "one of the file's").await?;
        progress.finish();
        // One import is one bulk action: each code's event carries its id. The created codes' events are built
        // as a bulk generate's are (in SQL where the database keeps them): built here, a hundred thousand of them
        // cost as much as the codes' own insert.
        let bulk_id = new_bulk_id();
        self.record_created(&mut tx, &operator, (Action::Imported, &bulk_id), &created).await?;
        let mut events = Vec::new();
        let ids: Vec<CodeId> = update.iter().map(|(id, _)| *id).collect();
        let before: HashMap<CodeId, ReferralCode> =
            codes::get_many(tx.exec(), &ids).await?.into_iter().map(|c| (c.id, c)).collect();
        progress.start("updating codes", Some(update.len() as u64));
        for (id, changes) in &update {
            if let (Some(after), Some(before)) = (codes::update(tx.exec(), *id, changes).await?, before.get(id)) {
                events.push(NewEvent::of_code(
                    Action::Imported,
                    &after,
                    audit::changes(before, &after),
                    Some(&bulk_id),
                ));
            }
            progress.advance(1);
        }
        progress.finish();
        self.record(&mut tx, &operator, &events).await?;
        tx.commit().await?;
        report.created = new.into_iter().map(|c| c.code).collect();
        report.applied = true;
        tracing::info!(
            created = report.created.len(),
            updated = report.updated.len(),
            skipped = report.skipped.len(),
            by = %operator.user.email,
            "imported codes"
        );
        Ok(report)
    }

    /// Checks every row against the settings, users and codes as `exec` sees them.
    async fn check_rows(&self, mut exec: Exec<'_>, plan: &ImportPlan, operator: &Operator) -> Result<Checked> {
        let config = settings::read(exec.reborrow()).await?;
        let limit = config.max_number_of_uses_per_code;
        let now = self.now();
        let rows = &plan.parsed.rows;
        let users = self.users_named(exec.reborrow(), rows).await?;
        let existing = self.codes_named(exec, rows).await?;
        let stand_in = "A".repeat(self.options.defaults.length);
        let mut report =
            ImportReport { rows: plan.parsed.read, problems: plan.parsed.problems.clone(), ..ImportReport::default() };
        let (mut create, mut update) = (Vec::new(), Vec::new());
        let progress = self.progress();
        progress.start("checking rows", Some(rows.len() as u64));
        // A row that could not be read whole is checked for its other problems, but counts for nothing.
        let unread: HashSet<u64> = report.problems.iter().map(|p| p.line).collect();
        for row in rows {
            let counted = !unread.contains(&row.line);
            let current = row.code.as_deref().and_then(|c| existing.get(&lookup_form(c)));
            let mut problems: Vec<FieldError> = Vec::new();
            match (current, plan.on_conflict) {
                (Some(_), OnConflict::Skip) if !counted => {}
                (Some(current), OnConflict::Skip) => report.skipped.push(current.code.clone()),
                (Some(current), OnConflict::Fail) => problems.push(FieldError {
                    field: "code",
                    message: format!(
                        "{} exists already (--on-conflict skip leaves such rows out, update changes the code)",
                        current.code
                    ),
                }),
                (Some(current), OnConflict::Update) => {
                    let beneficiary = beneficiary(row, &users, &mut problems);
                    match draft::check_changes(current, &row.changes(beneficiary), limit, now) {
                        Ok(_) if !counted || !problems.is_empty() => {}
                        Ok(changes) if changes.is_empty() => report.unchanged.push(current.code.clone()),
                        Ok(changes) => {
                            report.updated.push(current.code.clone());
                            update.push((current.id, changes));
                        }
                        Err(fields) => problems.extend(fields),
                    }
                }
                (None, _) => {
                    let beneficiary = beneficiary(row, &users, &mut problems);
                    let code = row.code.as_deref().unwrap_or(&stand_in);
                    let input = row.input(beneficiary);
                    match draft::check_new(&input, code, &self.options.defaults, limit, Some(operator.user.id), now) {
                        Ok(_) if !counted || !problems.is_empty() => {}
                        Ok(new) if row.code.is_none() => {
                            report.random += 1;
                            create.push((new, true));
                        }
                        Ok(new) => {
                            report.created.push(new.code.clone());
                            create.push((new, false));
                        }
                        Err(fields) => problems.extend(fields),
                    }
                }
            }
            report.problems.extend(problems.into_iter().map(|f| RowProblem {
                line: row.line,
                column: column_of(f.field),
                message: f.message,
            }));
            progress.advance(1);
        }
        progress.finish();
        // Stable: a line's problems stay in the order of its columns.
        report.problems.sort_by_key(|p| p.line);
        Ok(Checked { report, create, update, max_codes_per_user: config.max_number_of_codes_per_user })
    }

    /// The users the rows name as beneficiaries, by email.
    async fn users_named(&self, mut exec: Exec<'_>, rows: &[ImportRow]) -> Result<HashMap<String, User>> {
        let emails: Vec<String> =
            rows.iter().filter_map(|r| r.beneficiary.clone()).collect::<HashSet<_>>().into_iter().collect();
        let mut found = HashMap::with_capacity(emails.len());
        for chunk in emails.chunks(codes::INSERT_BATCH) {
            for user in users::by_emails(exec.reborrow(), chunk).await? {
                found.insert(user.email.to_lowercase(), user);
            }
        }
        Ok(found)
    }

    /// The stored codes the rows name, by their lookup form; of two that differ only in case, the oldest (the one
    /// a lookup means).
    async fn codes_named(&self, mut exec: Exec<'_>, rows: &[ImportRow]) -> Result<HashMap<String, ReferralCode>> {
        let keys: Vec<String> = rows.iter().filter_map(|r| r.code.as_deref()).map(lookup_form).collect();
        let mut found: HashMap<String, ReferralCode> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(codes::INSERT_BATCH) {
            for code in codes::by_codes(exec.reborrow(), chunk).await? {
                found.entry(code.code.to_uppercase()).or_insert(code);
            }
        }
        Ok(found)
    }

    /// `count` random unused codes of the configured length, none of them among `named` (the file's own codes,
    /// not stored yet).
    async fn draw_unused_except(
        &self,
        tx: &mut crate::store::Tx,
        count: usize,
        named: &HashSet<String>,
    ) -> Result<Vec<String>> {
        let shape = CodeShape { prefix: String::new(), random_len: self.options.defaults.length };
        self.draw_unused(tx, &shape, count, &mut named.clone()).await
    }
}

/// The beneficiary a row names, found among `users`; a problem when there is none or they may not benefit.
fn beneficiary(
    row: &ImportRow,
    users: &HashMap<String, User>,
    problems: &mut Vec<FieldError>,
) -> Option<crate::domain::UserId> {
    let email = row.beneficiary.as_deref()?;
    let problem = match users.get(email) {
        None => format!("no user has the email {email} (`refcodes users list` shows users)"),
        Some(user) => match may_benefit(user) {
            Ok(()) => return Some(user.id),
            Err(message) => message,
        },
    };
    problems.push(FieldError { field: "beneficiary", message: problem });
    None
}

/// A refusal that lists problems of rows, by line.
fn problems_refusal(problems: &[RowProblem]) -> crate::error::Error {
    let lines: Vec<String> = problems.iter().map(|p| format!("line {}: {}: {}", p.line, p.column, p.message)).collect();
    Refusal::new(ErrorKind::Validation, format!("nothing was imported: {}", lines.join("; "))).into()
}
