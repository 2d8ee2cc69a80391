//! Realistic sample data: users, codes in every state, and usage spread over the past days. It writes rows as
//! they are (past expirations, counts from usage) because it stands for history, not for an admin's form; like
//! every admin write, each of its transactions checks the operator's role again.

use super::Service;
use crate::domain::audit::{Action, NewEvent};
use crate::domain::draft::NewCode;
use crate::domain::generate::CodeShape;
use crate::domain::settings::SettingKey;
use crate::domain::user::Role;
use crate::domain::{CodeId, Refusal, UserId};
use crate::error::Result;
use crate::store::{codes, settings, usage, users};
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use serde::Serialize;

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

const FIRST: [&str; 24] = [
    "ada",
    "alan",
    "grace",
    "linus",
    "margaret",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "tim",
    "katherine",
    "john",
    "hedy",
    "donald",
    "annie",
    "niklaus",
    "joan",
    "guido",
    "sophie",
    "bjarne",
    "karen",
    "yukihiro",
];
const LAST: [&str; 20] = [
    "lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov", "thompson", "allen", "dijkstra",
    "perlman", "lee", "johnson", "backus", "lamarr", "knuth", "easley", "wirth", "clarke", "rossum",
];
const CAMPAIGNS: [(&str, &str); 10] = [
    ("SPRING", "Spring campaign"),
    ("SUMMER", "Summer sale"),
    ("LAUNCH", "Product launch"),
    ("VIP", "VIP customers"),
    ("PARTNER", "Partner program: Acme Corp"),
    ("FRIEND", "Friends and family"),
    ("BETA", "Beta testers"),
    ("PODCAST", "Podcast listeners"),
    ("STAFF", "Employee referrals"),
    ("CREATOR", "Influencer program"),
];
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

        let suffix = rng.random_range(0..1_000_000u32);
        let progress = self.progress();
        progress.start("writing sample users", Some(input.users as u64));
        let mut user_ids: Vec<UserId> = Vec::with_capacity(input.users);
        for start in (0..input.users).step_by(BATCH) {
            let rows: Vec<(String, String, String, String, DateTime<Utc>)> = (start..(start + BATCH).min(input.users))
                .map(|i| {
                    let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
                    let at = now - Duration::minutes(rng.random_range(0..input.days * 1440 + 1));
                    (
                        format!("{first}.{last}.{suffix}.{i}@example.com"),
                        format!("{first}{last}{i}"),
                        cap(first),
                        cap(last),
                        at,
                    )
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
        let limit = config.max_number_of_uses_per_code;
        progress.start("writing sample codes and their usage", Some(input.codes as u64));
        while made < input.codes {
            let n = BATCH.min(input.codes - made);
            let (mut tx, _) = self.begin_admin_write().await?;
            tx.set_page_cache(Some(BULK_CACHE_KIB)).await?;
            let (prefix, description) = CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())];
            let shape = CodeShape { prefix: format!("{prefix}-"), random_len: 6 };
            let drawn = self.draw_unused(&mut tx, &shape, n, &mut std::collections::HashSet::new()).await?;
            let batch: Vec<NewCode> = drawn
                .into_iter()
                .map(|code| {
                    let age = Duration::minutes(rng.random_range(60..input.days * 1440 + 120));
                    let created = now - age;
                    let expiration_date = match rng.random_range(0..100) {
                        0..15 => None,
                        15..30 => Some(created + age / 2),
                        _ => Some(now + Duration::days(rng.random_range(1..90))),
                    };
                    NewCode {
                        code,
                        description: description.to_string(),
                        status: rng.random_range(0..100) >= 10,
                        max_uses: [10, 25, 50, 100, 100][rng.random_range(0..5)].min(limit),
                        created_by: Some(creators[rng.random_range(0..creators.len())]),
                        beneficiary: (rng.random_range(0..100) < 40)
                            .then(|| user_ids[rng.random_range(0..user_ids.len())]),
                        date_created: created,
                        expiration_date,
                    }
                })
                .collect();
            let mut created = Vec::with_capacity(batch.len());
            for chunk in batch.chunks(codes::INSERT_BATCH) {
                created.extend(codes::insert(tx.exec(), chunk).await?);
            }
            let mut rows: Vec<(CodeId, UserId, DateTime<Utc>)> = Vec::new();
            for code in &created {
                let most = (code.max_uses as usize).min(user_ids.len());
                let uses = match rng.random_range(0..100) {
                    0..30 => 0,
                    30..40 => most,
                    _ => rng.random_range(0..=most.min(8)),
                };
                let until = code.expiration_date.map_or(now, |e| e.min(now));
                let span = (until - code.date_created).num_seconds().max(1);
                for k in rand::seq::index::sample(&mut rng, user_ids.len(), uses) {
                    rows.push((code.id, user_ids[k], code.date_created + Duration::seconds(rng.random_range(0..span))));
                }
            }
            for chunk in rows.chunks(codes::INSERT_BATCH) {
                usage_records += usage::insert_history(tx.exec(), chunk).await?;
            }
            let ids: Vec<CodeId> = created.iter().map(|c| c.id).collect();
            codes::recount_uses(tx.exec(), &ids).await?;
            tx.commit().await?;
            made += n;
            progress.advance(n as u64);
        }
        progress.finish();
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

fn cap(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
