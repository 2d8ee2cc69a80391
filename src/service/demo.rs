//! Realistic sample data: users, codes in every state, and usage spread over the past days. `sample` makes the rows
//! up; this file writes them. It writes rows as they are (past expirations, counts from usage) because they stand for
//! history, not for an admin's form; like every admin write, each of its transactions checks the operator's role
//! again.

use super::Service;
use super::sample::{self, Naming, SampleCode};
use crate::domain::audit::{Action, NewEvent};
use crate::domain::draft::NewCode;
use crate::domain::generate::CodeShape;
use crate::domain::settings::SettingKey;
use crate::domain::user::Role;
use crate::domain::{CodeId, Refusal, UserId};
use crate::error::Result;
use crate::store::{Tx, bulk_load, codes, settings, usage, users};
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoInput {
    pub users: usize,
    pub codes: usize,
    pub days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemoOutcome {
    pub users: usize,
    pub codes: usize,
    pub usage_records: u64,
    pub system_enabled: bool,
}

/// Rows per transaction; each statement writes at most [`codes::INSERT_BATCH`] of them (see there why).
const BATCH: usize = 1000;
/// SQLite page cache while writing the codes and their usage: a million codes and eight million usage records
/// spread over indexes far larger than the default 2 MB, and each batch touches pages all over them.
const BULK_CACHE_KIB: u32 = 256 * 1024;

impl Service {
    /// Writes sample data and enables the system, so codes can be tried at once.
    pub async fn demo(&self, input: &DemoInput) -> Result<DemoOutcome> {
        let operator = self.require_admin()?.user.email.clone();
        self.refuse_on_phoenix_kit("writing demo data")?;
        if input.users == 0 || input.users > 1_000_000 {
            return Err(Refusal::field("users", "must be 1 to 1000000").into());
        }
        if input.codes > 10_000_000 {
            return Err(Refusal::field("codes", "must be at most 10000000").into());
        }
        if !(1..=3650).contains(&input.days) {
            return Err(Refusal::field("days", "must be 1 to 3650").into());
        }
        let now = self.now();
        let config = settings::read(self.db.exec()).await?;
        let mut rng = rand::rng();

        // Sample users are numbered one to one with their emails. Sample user `k` got an id above `k` (ids only
        // grow, and every run started at or past the highest id of its time), so starting at the highest id now
        // writes no email twice, even after users were deleted (counting them would go back over used numbers).
        let first_user = users::max_id(self.db.exec()).await?.max(0) as u64;
        let progress = self.progress();
        progress.start("writing sample users", Some(input.users as u64));
        let mut user_ids: Vec<UserId> = Vec::with_capacity(input.users);
        for start in (0..input.users).step_by(BATCH) {
            let rows: Vec<(String, String, String, String, DateTime<Utc>)> = (start..(start + BATCH).min(input.users))
                .map(|i| {
                    let u = sample::user(first_user + i as u64);
                    let at = now - Duration::minutes(rng.random_range(0..input.days * 1440 + 1));
                    (u.email, u.username, u.first, u.last, at)
                })
                .collect();
            let (mut tx, _) = self.begin_admin_write().await?;
            for chunk in rows.chunks(codes::INSERT_BATCH) {
                user_ids.extend(users::insert_many(tx.exec(), chunk).await?);
            }
            tx.commit().await?;
            progress.advance(rows.len() as u64);
        }
        progress.finish();
        // A few of them are admins, so codes have several creators.
        let (mut tx, signed_in) = self.begin_admin_write().await?;
        let mut creators = vec![signed_in.user.id];
        for id in user_ids.iter().take(3) {
            users::assign_role(tx.exec(), *id, Role::Admin).await?;
            creators.push(*id);
        }
        tx.commit().await?;

        let mut made = 0usize;
        let mut usage_records = 0u64;
        let run = sample::Run {
            now,
            days: input.days,
            users: (first_user, user_ids.len()),
            creators: creators.len(),
            limit: config.max_number_of_uses_per_code,
            codes: input.codes,
        };
        progress.start("writing sample codes and their usage", Some(input.codes as u64));
        // A database without codes has no redemptions to hold up: its sample is one transaction (all or nothing),
        // written with the indexes that check nothing set aside (see `bulk_load`). Into one with codes, each batch
        // is a transaction of its own, so redemptions go on between them.
        let (mut first, _) = self.begin_admin_write().await?;
        let one_go = codes::none(first.exec()).await?;
        let aside = if one_go { bulk_load::set_aside(first.exec()).await? } else { Default::default() };
        let mut open = Some(first);
        while made < input.codes {
            let n = BATCH.min(input.codes - made);
            let mut tx = match open.take() {
                Some(tx) => tx,
                None => self.begin_admin_write().await?.0,
            };
            tx.set_page_cache(Some(BULK_CACHE_KIB)).await?;
            let samples: Vec<SampleCode> = (made..made + n).map(|k| sample::code(&mut rng, &run, k)).collect();
            let names = self.name_samples(&mut tx, &samples).await?;
            let batch: Vec<NewCode> = samples
                .iter()
                .zip(names)
                .map(|(s, code)| NewCode {
                    code,
                    description: s.description.clone(),
                    status: s.status,
                    max_uses: s.max_uses,
                    created_by: Some(creators[s.creator]),
                    beneficiary: s.beneficiary.map(|b| user_ids[b]),
                    date_created: s.date_created,
                    expiration_date: s.expiration_date,
                })
                .collect();
            let mut created = Vec::with_capacity(batch.len());
            for chunk in batch.chunks(codes::INSERT_BATCH) {
                created.extend(codes::insert(tx.exec(), chunk).await?);
            }
            // Matched by code, as the order `RETURNING` gives rows back in is not promised.
            let uses: HashMap<&str, &SampleCode> = batch.iter().map(|c| c.code.as_str()).zip(&samples).collect();
            let mut rows: Vec<(CodeId, UserId, DateTime<Utc>)> = Vec::new();
            for code in &created {
                for (u, at) in uses.get(code.code.as_str()).map_or(&[][..], |s| &s.uses[..]) {
                    rows.push((code.id, user_ids[*u], *at));
                }
            }
            for chunk in rows.chunks(codes::INSERT_BATCH) {
                usage_records += usage::insert_history(tx.exec(), chunk).await?;
            }
            let ids: Vec<CodeId> = created.iter().map(|c| c.id).collect();
            codes::recount_uses(tx.exec(), &ids).await?;
            if one_go {
                open = Some(tx);
            } else {
                tx.commit().await?;
            }
            made += n;
            progress.advance(n as u64);
        }
        progress.finish();
        if let Some(mut tx) = open {
            if one_go {
                progress.start("indexing the sample", None);
                bulk_load::restore(tx.exec(), &aside).await?;
                progress.finish();
            }
            tx.commit().await?;
        }
        let (mut tx, signed_in) = self.begin_admin_write().await?;
        tx.set_page_cache(None).await?;
        settings::write(tx.exec(), SettingKey::Enabled, "true", now).await?;
        // One event for the whole sample, not one per code: it is made-up data, and millions of events for it
        // would bury the real ones.
        let summary = serde_json::json!({"users": input.users, "codes": made, "usage_records": usage_records});
        self.record(&mut tx, &signed_in, &[NewEvent::of_module(Action::DemoSeeded, summary)]).await?;
        tx.commit().await?;
        tracing::info!(users = input.users, codes = made, usage_records, by = %operator, "demo data written");
        Ok(DemoOutcome { users: input.users, codes: made, usage_records, system_enabled: true })
    }
}

impl Service {
    /// The codes of a batch of samples, in their order: a chosen name where no code has it yet (else drawn after
    /// it), a drawn one after its campaign's prefix.
    async fn name_samples(&self, tx: &mut Tx, samples: &[SampleCode]) -> Result<Vec<String>> {
        let chosen: Vec<String> = samples
            .iter()
            .filter_map(|s| match s.naming {
                Naming::Chosen(name) => Some(name.to_string()),
                Naming::Drawn(_) => None,
            })
            .collect();
        let taken: HashSet<String> = if chosen.is_empty() {
            HashSet::new()
        } else {
            codes::existing(tx.exec(), &chosen).await?.into_iter().collect()
        };
        let shapes: Vec<Result<CodeShape, &str>> = samples
            .iter()
            .map(|s| match &s.naming {
                Naming::Drawn(shape) => Ok(shape.clone()),
                Naming::Chosen(name) if taken.contains(*name) => {
                    Ok(CodeShape { prefix: format!("{name}-"), random_len: 3 })
                }
                Naming::Chosen(name) => Err(*name),
            })
            .collect();
        let mut seen: HashSet<String> = chosen.into_iter().collect();
        // One draw per campaign: a handful of shapes per batch, so a list serves as the map.
        let mut drawn: Vec<(CodeShape, Vec<String>)> = Vec::new();
        for shape in shapes.iter().flatten() {
            if !drawn.iter().any(|(s, _)| s == shape) {
                let count = shapes.iter().flatten().filter(|s| *s == shape).count();
                drawn.push((shape.clone(), self.draw_unused(tx, shape, count, &mut seen).await?));
            }
        }
        Ok(shapes
            .into_iter()
            .map(|shape| match shape {
                Ok(shape) => drawn.iter_mut().find(|(s, _)| *s == shape).and_then(|(_, c)| c.pop()).unwrap_or_default(),
                Err(name) => name.to_string(),
            })
            .collect())
    }
}
