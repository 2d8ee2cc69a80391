//! Redemption, usage records and figures.

use super::Service;
use super::codes::{lookup_form, not_found};
use crate::domain::expiry::day_start;
use crate::domain::stats::{
    CodeUsageStats, DailyUsage, StatusCounts, SystemStats, TopCode, Usage, UsageRecord, WindowBeneficiary, WindowCode,
    WindowStats,
};
use crate::domain::window::{Bucket, Since, Window};
use crate::domain::{CodeId, CodeStatus, ErrorKind, Refusal, UsageId, UserId};
use crate::error::{Error, Result};
use crate::store::redeem::{self, Redeemed};
use crate::store::stats::{Series, Source};
use crate::store::{Exec, Tx, codes, settings, stats, usage, users};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use futures::TryFutureExt;

/// How long after a UTC day ends its records are summed for the window sums: longer than a redemption that read
/// the clock in that day takes to commit.
const CLOSED_AFTER: Duration = Duration::minutes(10);

/// The longest window whose closed days are summed: the dashboard's 90 days and a little. Each day is a step the
/// first asker pays for; a longer window is grouped from its records.
const MAX_SUMMED_DAYS: i64 = 93;

/// Steps of bringing the window sums up to date one answer takes at most: every day of the longest window, and
/// slices of stale sums to forget.
const MAX_SUM_STEPS: usize = 400;

/// The window sums a window reads: kept under `name`, for its closed days, which end where `open` begins.
struct Summed {
    name: String,
    open: DateTime<Utc>,
}

impl Service {
    /// The spec's `use_code`: takes a use of the code and records it for `user`, all or nothing. Never
    /// passes the limit and never counts a user twice, however many clients redeem at once.
    pub async fn use_code(&self, code: &str, user: UserId) -> Result<Usage> {
        self.require_writable()?;
        let (code, now) = (lookup_form(code), self.now());
        let redeemed = match &self.redeemer {
            // SQLite: written in a batch with others.
            Some(redeemer) => redeemer.redeem(&code, user, now).await?,
            // PostgreSQL, refcodes' own schema: one statement in autocommit, atomic by itself.
            None if self.db.layout().unique_usage() => redeem::redeem(self.db.exec(), &code, user, now).await?,
            // PhoenixKit: a transaction whose row lock keeps one use per user.
            None => {
                let mut tx = self.db.begin_write().await?;
                let usage = redeem(&mut tx, &code, user, now).await?;
                tx.commit().await?;
                return Ok(usage);
            }
        };
        // A refusal wrote nothing, so the reason is read after.
        used(self.db.exec(), redeemed, &code, user, now).await
    }

    /// The spec's `get_usage_stats`.
    pub async fn get_usage_stats(&self, code_id: CodeId) -> Result<CodeUsageStats> {
        let code = self.get_code(code_id).await?;
        let (total_uses, unique_users, last_used) = usage::totals_for_code(self.db.exec(), code_id).await?;
        Ok(CodeUsageStats {
            code_id,
            total_uses,
            unique_users,
            last_used,
            remaining_uses: code.remaining_uses(),
            status: code.status_at(self.now()),
        })
    }

    /// The spec's `list_usage_for_code`, newest first, one window at a time.
    pub async fn list_usage_for_code(&self, code_id: CodeId, offset: i64, limit: i64) -> Result<Vec<UsageRecord>> {
        Ok(usage::for_code(self.db.exec(), code_id, offset.max(0), limit.max(0)).await?)
    }

    /// The spec's `user_used_code?`.
    pub async fn user_used_code(&self, user: UserId, code_id: CodeId) -> Result<bool> {
        Ok(usage::user_used_code(self.db.exec(), user, code_id).await?)
    }

    /// The spec's `get_system_stats`.
    pub async fn get_system_stats(&self) -> Result<SystemStats> {
        Ok(stats::system(self.db.exec(), self.now()).await?)
    }

    pub async fn top_codes(&self, limit: i64) -> Result<Vec<TopCode>> {
        Ok(stats::top_codes(self.db.exec(), limit.max(0)).await?)
    }

    pub async fn recent_usage(&self, limit: i64) -> Result<Vec<UsageRecord>> {
        Ok(usage::recent(self.db.exec(), limit.max(0)).await?)
    }

    /// The usage records after `after` (from the first with `None`), by id, `limit` at a time: for walking all of
    /// them (export).
    pub async fn usage_after(&self, after: Option<UsageId>, limit: i64) -> Result<Vec<UsageRecord>> {
        Ok(usage::records_after(self.db.exec(), after, limit.max(0)).await?)
    }

    /// Uses per UTC day from `first` to `last` inclusive, days without uses included as zero.
    pub async fn usage_per_day(&self, first: NaiveDate, last: NaiveDate) -> Result<Vec<DailyUsage>> {
        // Days both databases can hold, and a range a chart can show (further out, `+ 1 day` overflowed).
        let in_range = |d: NaiveDate| (1..=9999).contains(&d.year());
        if !in_range(first) || !in_range(last) || (last - first).num_days() > 36_525 {
            return Err(Refusal::field("days", "must lie in the years 1 to 9999 and span at most 100 years").into());
        }
        let start = day_start(first);
        let end = day_start(last) + Duration::days(1);
        let found = stats::series(self.db.exec(), Series::Redemptions, start, end, Bucket::Day).await?;
        Ok(first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|day| {
                let key = day.format("%Y-%m-%d").to_string();
                DailyUsage { day, uses: found.iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n) }
            })
            .collect())
    }

    /// What happened since `since` (see [`Window`]): redemptions and signups with a code per bucket, codes
    /// created, the `top` codes and beneficiaries by uses in the window, and the all-time figures.
    pub async fn window_stats(&self, since: Since, top: i64) -> Result<WindowStats> {
        let window = Window::new(since, self.now()).map_err(|m| Refusal::field("since", m))?;
        let (from, to, top) = (window.start, window.end, top.max(0));
        let summed = self.sum_closed_days(&window).await?;
        let db = &self.db;
        let (redemptions, signups, codes_created, codes_deactivated, (top_codes, top_beneficiaries), all_time) = tokio::try_join!(
            self.redemption_series(&window, summed.as_ref()),
            stats::series(db.exec(), Series::Signups, from, to, window.bucket).map_err(Error::from),
            stats::created(db.exec(), from, to).map_err(Error::from),
            crate::store::audit::deactivated_between(db.exec(), from, to).map_err(Error::from),
            self.window_tops(&window, summed.as_ref(), top),
            stats::system(db.exec(), self.now()).map_err(Error::from),
        )?;
        Ok(WindowStats {
            redemptions: window.series(&redemptions),
            signups_with_code: window.series(&signups),
            window,
            codes_created,
            codes_deactivated,
            top_codes,
            top_beneficiaries,
            all_time,
        })
    }

    /// The window sums a window of whole days may read on refcodes' own schema: its closed days, kept under its
    /// length's name, which a writable session first brings up to date (`store::stats::sums_step`), a day per
    /// short transaction; `None` where there are none to read (PhoenixKit, hourly or very long windows). Whether
    /// they are current is checked again in each statement that reads them.
    async fn sum_closed_days(&self, window: &Window) -> Result<Option<Summed>> {
        // A day is closed a while after it ends, when no redemption begun in it can still commit.
        let open = Bucket::Day.floor(self.now() - CLOSED_AFTER);
        let days = (window.end - window.start).num_days();
        let summed = Summed { name: format!("{days}d"), open };
        if !(self.db.layout().stats_cache
            && window.bucket == Bucket::Day
            && open > window.start
            && days <= MAX_SUMMED_DAYS)
        {
            return Ok(None);
        }
        if !self.db.is_read_only() {
            let mut steps = 0;
            loop {
                let mut tx = self.db.begin_write().await?;
                let done = stats::sums_step(tx.exec(), &summed.name, window.start, open).await?;
                tx.commit().await?;
                steps += 1;
                // Each step moves a day or forgets a slice; a bound keeps writers that forget the sums meanwhile
                // (deletes) from holding this answer: it then comes from the records.
                if done || steps > MAX_SUM_STEPS {
                    break;
                }
            }
        }
        Ok(Some(summed))
    }

    /// Redemptions per bucket of the window: its closed days from their sums (when current) and the rest from the
    /// records, or every bucket from the records.
    async fn redemption_series(&self, window: &Window, summed: Option<&Summed>) -> Result<Vec<(String, i64)>> {
        let (from, to, bucket) = (window.start, window.end, window.bucket);
        let db = &self.db;
        if let Some(summed) = summed
            && let Some(mut days) = stats::summed_days(db.exec(), &summed.name, from, summed.open).await?
        {
            days.extend(stats::series(db.exec(), Series::Redemptions, summed.open, to, bucket).await?);
            return Ok(days);
        }
        Ok(stats::series(db.exec(), Series::Redemptions, from, to, bucket).await?)
    }

    /// A window's top codes and top beneficiaries: from the sums of its closed days plus the open day's records
    /// when the sums are current, else from every record of the window.
    async fn window_tops(
        &self,
        window: &Window,
        summed: Option<&Summed>,
        top: i64,
    ) -> Result<(Vec<WindowCode>, Vec<WindowBeneficiary>)> {
        let (from, to) = (window.start, window.end);
        let db = &self.db;
        let (codes, beneficiaries) = match summed {
            Some(summed) => {
                let sums = Source::Sums { name: &summed.name, from, open: summed.open, to };
                tokio::try_join!(
                    stats::top_codes_between(db.exec(), sums, top),
                    stats::top_beneficiaries_between(db.exec(), sums, top),
                )?
            }
            None => (None, None),
        };
        // Sums not current (a writer forgot them meanwhile, or a read-only session found them old): the records.
        let (codes, beneficiaries) = match (codes, beneficiaries) {
            (Some(codes), Some(beneficiaries)) => return Ok((codes, beneficiaries)),
            missing => missing,
        };
        // A window from the first record on (all time) reads every record: along the codes, without sorting them.
        let every = stats::first_use(db.exec()).await?.is_none_or(|first| first >= from);
        let records = Source::Records { from, to, every };
        let codes = match codes {
            Some(codes) => codes,
            None => stats::top_codes_between(db.exec(), records, top).await?.unwrap_or_default(),
        };
        let beneficiaries = match beneficiaries {
            Some(list) => list,
            None => stats::top_beneficiaries_between(db.exec(), records, top).await?.unwrap_or_default(),
        };
        Ok((codes, beneficiaries))
    }

    /// The UTC day of the first redemption, or today when there is none: where "all time" starts.
    pub async fn first_use_day(&self) -> Result<NaiveDate> {
        let first = stats::first_use(self.db.exec()).await?;
        Ok(first.unwrap_or_else(|| self.now()).date_naive())
    }

    /// Usage records of the last `span`, up to now: a sliding window, for alerting.
    pub async fn redemptions_in_last(&self, span: Duration) -> Result<i64> {
        let now = self.now();
        let from = now.checked_sub_signed(span).unwrap_or(DateTime::<Utc>::MIN_UTC);
        // Up to and including this millisecond (times are kept to the millisecond).
        Ok(stats::redemptions(self.db.exec(), from, now + Duration::milliseconds(1)).await?)
    }

    /// How many codes are in each computed status now.
    pub async fn codes_by_status(&self) -> Result<StatusCounts> {
        Ok(stats::by_status(self.db.exec(), self.now()).await?)
    }
}

/// The redemption inside an open write transaction; the caller commits. On a refusal the caller drops the
/// transaction, which rolls back whatever was taken.
pub(super) async fn redeem(tx: &mut Tx, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Usage> {
    let redeemed = redeem::redeem(tx.exec(), code, user, now).await?;
    // On a refusal nothing was written, so the transaction still sees what the rules saw.
    used(tx.exec(), redeemed, code, user, now).await
}

/// The usage a redemption recorded, or why it was refused (read on `exec`).
async fn used(exec: Exec<'_>, redeemed: Redeemed, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Usage> {
    match redeemed {
        Redeemed::Recorded { id, code_id } => {
            Ok(Usage { id, code_id, code: code.to_string(), used_by: user, date_used: now })
        }
        Redeemed::Refused => Err(refusal_reason(exec, code, user, now).await?),
        Redeemed::Raced => Err(already_used(code, user)),
    }
}

fn already_used(code: &str, user: UserId) -> Error {
    Refusal::new(
        ErrorKind::AlreadyUsed,
        format!("user {user} has used code {code} already; a user may use a code once"),
    )
    .into()
}

/// Why a code could not be taken, read again after the conditional update changed nothing: the code's reasons
/// first, then the user's.
async fn refusal_reason(mut exec: Exec<'_>, code: &str, user: UserId, now: DateTime<Utc>) -> Result<Error> {
    let config = settings::read(exec.reborrow()).await?;
    if !config.enabled {
        return Ok(Refusal::new(
            ErrorKind::SystemDisabled,
            "the referral code system is disabled; an admin can enable it with `refcodes settings enable`",
        )
        .into());
    }
    let Some(found) = codes::get_by_code(exec.reborrow(), code).await? else { return Ok(not_found(code)) };
    let (kind, message) = match found.status_at(now) {
        CodeStatus::Inactive => (
            ErrorKind::CodeInactive,
            format!("code {code} is inactive; `refcodes codes update {code} --active` turns it on"),
        ),
        CodeStatus::Expired => (
            ErrorKind::CodeExpired,
            format!("code {code} expired; `refcodes codes update {code} --expires 7d` gives it another week"),
        ),
        CodeStatus::LimitReached => (
            ErrorKind::UsageLimitReached,
            format!(
                "code {code} has reached its limit of {} uses; `refcodes codes update {code} --max-uses N` raises it",
                found.max_uses
            ),
        ),
        CodeStatus::Active if users::get(exec.reborrow(), user).await?.is_none() => {
            (ErrorKind::UserNotFound, format!("no user has id {user}; `refcodes users list` shows users"))
        }
        CodeStatus::Active if usage::user_used_code(exec, user, found.id).await? => {
            return Ok(already_used(code, user));
        }
        // Changed between the update and this read: say so rather than guess.
        CodeStatus::Active => {
            (ErrorKind::Conflict, format!("code {code} changed while it was being redeemed; try again"))
        }
    };
    Ok(Refusal::new(kind, message).into())
}
