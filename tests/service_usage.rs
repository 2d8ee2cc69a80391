//! Redemption and the figures built on it: use_code, a code's usage stats, its usage list, user_used_code,
//! system stats, top codes, recent usage and uses per day.

#[macro_use]
mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::*;
use refcodes::domain::doctor::FindingKind;
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::stats::SystemStats;
use refcodes::domain::{CodeFilter, CodeQuery, CodeStatus, Compare, ErrorKind, ReferralCode, Selection, SortField};
use refcodes::service::ServiceOptions;

every!(use_code_takes_one_use_and_records_it, check_use_code_takes_one_use_and_records_it);
async fn check_use_code_takes_one_use_and_records_it(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("WELCOME", 3).await;
    let other = h.code("OTHER", 3).await;
    let ada = h.add_user("ada@example.com", None).await;
    let bob = h.add_user("bob@example.com", None).await;
    h.clock.advance(Duration::minutes(5));

    // The application redeems without an operator; the code is matched without case or surrounding space.
    let usage = h.base.use_code("  welcome ", ada.id).await.unwrap();
    assert_eq!(
        (usage.code_id, usage.code.as_str(), usage.used_by, usage.date_used),
        (code.id, "WELCOME", ada.id, t0() + Duration::minutes(5))
    );
    let after = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(after.number_of_uses, 1);
    assert_eq!(ReferralCode { number_of_uses: 0, ..after }, code, "nothing else changed");
    assert_eq!(h.owner.get_code(other.id).await.unwrap(), other);

    assert!(h.owner.user_used_code(ada.id, code.id).await.unwrap());
    assert!(!h.owner.user_used_code(bob.id, code.id).await.unwrap());
    assert!(!h.owner.user_used_code(ada.id, other.id).await.unwrap());

    let records = h.owner.list_usage_for_code(code.id, 0, 10).await.unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!((record.id, record.code_id, record.code.as_str()), (usage.id, code.id, "WELCOME"));
    assert_eq!((record.used_by, record.user_email.as_deref()), (Some(ada.id), Some("ada@example.com")));
    assert_eq!(record.date_used, usage.date_used);
    assert!(h.owner.list_usage_for_code(other.id, 0, 10).await.unwrap().is_empty());
    assert_eq!(db.usage_rows().await, 1);
}

every!(a_code_is_used_up_at_max_uses, check_a_code_is_used_up_at_max_uses);
async fn check_a_code_is_used_up_at_max_uses(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("TWICE", 2).await;
    let users = h.add_users("u", 3).await;
    h.base.use_code("TWICE", users[0].id).await.unwrap();
    h.base.use_code("TWICE", users[1].id).await.unwrap();
    refused(h.base.use_code("TWICE", users[2].id).await, ErrorKind::UsageLimitReached, "third use");
    let after = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(after.number_of_uses, 2);
    assert_eq!(after.status_at(h.owner.now()), CodeStatus::LimitReached);
    assert!(after.usage_limit_reached());

    // Raising max_uses makes room again.
    h.owner.update_code(&after, &CodeChanges { max_uses: Some(3), ..CodeChanges::default() }).await.unwrap();
    h.base.use_code("TWICE", users[2].id).await.unwrap();
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 3);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(usage_stats_describe_a_code, check_usage_stats_describe_a_code);
async fn check_usage_stats_describe_a_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("STATS", 3).await;
    let fresh = h.forever_code("FRESH", 9).await;
    let users = h.add_users("s", 3).await;

    let stats = h.owner.get_usage_stats(fresh.id).await.unwrap();
    assert_eq!((stats.code_id, stats.total_uses, stats.unique_users, stats.last_used), (fresh.id, 0, 0, None));
    assert_eq!((stats.remaining_uses, stats.status), (9, CodeStatus::Active));

    for (i, user) in users.iter().enumerate() {
        h.clock.set(t0() + Duration::minutes(i as i64 + 1));
        h.base.use_code("STATS", user.id).await.unwrap();
    }
    let stats = h.owner.get_usage_stats(code.id).await.unwrap();
    assert_eq!((stats.total_uses, stats.unique_users), (3, 3));
    assert_eq!(stats.last_used, Some(t0() + Duration::minutes(3)));
    assert_eq!((stats.remaining_uses, stats.status), (0, CodeStatus::LimitReached));

    h.owner.set_status(&Selection::Ids(vec![code.id]), false).await.unwrap();
    assert_eq!(h.owner.get_usage_stats(code.id).await.unwrap().status, CodeStatus::Inactive);
    h.clock.advance(Duration::days(8));
    assert_eq!(h.owner.get_usage_stats(fresh.id).await.unwrap().status, CodeStatus::Active, "never expires");

    refused(h.owner.get_usage_stats(absent(code.id)).await, ErrorKind::CodeNotFound, "stats of no code");
}

every!(usage_lists_are_newest_first_in_windows, check_usage_lists_are_newest_first_in_windows);
async fn check_usage_lists_are_newest_first_in_windows(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("PAGED", 10).await;
    let users = h.add_users("p", 5).await;
    for (i, user) in users.iter().enumerate() {
        h.clock.set(t0() + Duration::minutes(i as i64));
        h.base.use_code("PAGED", user.id).await.unwrap();
    }
    let window = |offset, limit| {
        let owner = h.owner.clone();
        async move {
            owner
                .list_usage_for_code(code.id, offset, limit)
                .await
                .unwrap()
                .into_iter()
                .filter_map(|r| r.used_by)
                .collect::<Vec<_>>()
        }
    };
    let ids = user_ids(&users);
    assert_eq!(window(0, 2).await, [ids[4], ids[3]]);
    assert_eq!(window(2, 2).await, [ids[2], ids[1]]);
    assert_eq!(window(4, 2).await, [ids[0]]);
    assert!(window(5, 2).await.is_empty());
    assert!(window(0, 0).await.is_empty());
    assert!(window(0, -3).await.is_empty(), "a negative limit is no rows");
    assert_eq!(window(-7, 1).await, [ids[4]], "a negative offset is the start");
    assert_eq!(window(0, i64::MAX).await.len(), 5);

    // all_usage is oldest first, for export.
    let all: Vec<_> =
        h.owner.usage_after(None, i64::MAX).await.unwrap().into_iter().filter_map(|r| r.used_by).collect();
    assert_eq!(all, ids);
}

every!(system_stats_count_codes_and_uses, check_system_stats_count_codes_and_uses);
async fn check_system_stats_count_codes_and_uses(db: &TestDb) {
    let h = db.harness().await;
    assert_eq!(h.owner.get_system_stats().await.unwrap(), SystemStats::default(), "an empty database is all zeros");
    h.enable_system().await;
    h.code("BUSY", 5).await;
    h.code("FULL", 1).await;
    h.create("OFF", CodeInput { inactive: true, ..CodeInput::default() }).await;
    h.create(
        "BRIEF",
        CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() },
    )
    .await;
    h.forever_code("IDLE", 5).await;
    let users = h.add_users("st", 3).await;
    for user in &users {
        h.base.use_code("BUSY", user.id).await.unwrap();
    }
    h.base.use_code("FULL", users[0].id).await.unwrap();
    h.base.use_code("BRIEF", users[0].id).await.unwrap();

    let stats = h.owner.get_system_stats().await.unwrap();
    assert_eq!(stats, SystemStats { total_codes: 5, active_codes: 3, total_usage: 5, codes_with_usage: 3 });
    h.clock.advance(Duration::hours(2));
    let stats = h.owner.get_system_stats().await.unwrap();
    assert_eq!(
        stats,
        SystemStats { total_codes: 5, active_codes: 2, total_usage: 5, codes_with_usage: 3 },
        "BRIEF expired"
    );
    h.clock.advance(Duration::days(7));
    assert_eq!(h.owner.get_system_stats().await.unwrap().active_codes, 1, "only IDLE never expires");
    // Anyone may read the figures.
    assert_eq!(h.base.get_system_stats().await.unwrap().total_usage, 5);
}

every!(top_codes_rank_by_uses, check_top_codes_rank_by_uses);
async fn check_top_codes_rank_by_uses(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let users = h.add_users("t", 3).await;
    for (code, uses) in [("ONE", 1), ("THREE", 3), ("NONE", 0), ("TWO", 2)] {
        h.code(code, 10).await;
        for user in &users[..uses] {
            h.base.use_code(code, user.id).await.unwrap();
        }
    }
    let top: Vec<(String, i32)> =
        h.owner.top_codes(10).await.unwrap().into_iter().map(|t| (t.code, t.number_of_uses)).collect();
    assert_eq!(
        top,
        [("THREE".to_string(), 3), ("TWO".to_string(), 2), ("ONE".to_string(), 1)],
        "unused codes left out"
    );
    let top2: Vec<String> = h.owner.top_codes(2).await.unwrap().into_iter().map(|t| t.code).collect();
    assert_eq!(top2, ["THREE", "TWO"]);
    assert!(h.owner.top_codes(0).await.unwrap().is_empty());
    assert!(h.owner.top_codes(-1).await.unwrap().is_empty());
    let three = &h.owner.top_codes(1).await.unwrap()[0];
    assert_eq!((three.max_uses, three.description.as_str()), (10, "Test code THREE"));
}

every!(recent_usage_spans_all_codes_newest_first, check_recent_usage_spans_all_codes_newest_first);
async fn check_recent_usage_spans_all_codes_newest_first(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.code("FIRST", 10).await;
    h.code("SECOND", 10).await;
    let users = h.add_users("r", 2).await;
    let plan = [("FIRST", 0), ("SECOND", 0), ("FIRST", 1), ("SECOND", 1)];
    for (i, (code, user)) in plan.iter().enumerate() {
        h.clock.set(t0() + Duration::seconds(i as i64 * 10));
        h.base.use_code(code, users[*user].id).await.unwrap();
    }
    let recent: Vec<(String, String)> = h
        .owner
        .recent_usage(3)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.code, r.user_email.unwrap_or_default()))
        .collect();
    let pair = |c: &str, u: &str| (c.to_string(), u.to_string());
    assert_eq!(
        recent,
        [pair("SECOND", "r1@example.com"), pair("FIRST", "r1@example.com"), pair("SECOND", "r0@example.com")]
    );
    assert_eq!(h.owner.recent_usage(100).await.unwrap().len(), 4);
    assert!(h.owner.recent_usage(0).await.unwrap().is_empty());
}

every!(usage_per_day_fills_empty_days_with_zero, check_usage_per_day_fills_empty_days_with_zero);
async fn check_usage_per_day_fills_empty_days_with_zero(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.forever_code("DAILY", 100).await;
    let users = h.add_users("day", 6).await;
    let at = |d, hh, mm, ss| Utc.with_ymd_and_hms(2026, 5, d, hh, mm, ss).unwrap();
    // Two uses on May 1 (one in its last second), one at the first instant of May 2, none on May 3, two on May 4.
    let times = [at(1, 12, 0, 0), at(1, 23, 59, 59), at(2, 0, 0, 0), at(4, 8, 0, 0), at(4, 9, 0, 0), at(6, 0, 0, 0)];
    for (user, time) in users.iter().zip(times) {
        h.clock.set(time);
        h.base.use_code("DAILY", user.id).await.unwrap();
    }
    let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
    let per_day = h.owner.usage_per_day(NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(), day(5)).await.unwrap();
    let got: Vec<(NaiveDate, i64)> = per_day.iter().map(|d| (d.day, d.uses)).collect();
    let expected = vec![
        (NaiveDate::from_ymd_opt(2026, 4, 30).unwrap(), 0),
        (day(1), 2),
        (day(2), 1),
        (day(3), 0),
        (day(4), 2),
        (day(5), 0),
    ];
    assert_eq!(got, expected, "the last day is included, the day after is not");
    let one = h.owner.usage_per_day(day(4), day(4)).await.unwrap();
    assert_eq!(one.iter().map(|d| d.uses).collect::<Vec<_>>(), [2]);
    assert!(h.owner.usage_per_day(day(5), day(1)).await.unwrap().is_empty(), "first after last is no days");
}

every!(an_expired_code_can_not_be_used, check_an_expired_code_can_not_be_used);
async fn check_an_expired_code_can_not_be_used(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h
        .create(
            "SOON",
            CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() },
        )
        .await;
    let users = h.add_users("x", 2).await;
    h.clock.set(t0() + Duration::hours(1) - Duration::milliseconds(1));
    h.base.use_code("SOON", users[0].id).await.unwrap();
    // Expiry is inclusive of its instant.
    h.clock.set(t0() + Duration::hours(1));
    refused(h.base.use_code("SOON", users[1].id).await, ErrorKind::CodeExpired, "at the expiry instant");
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1);
}

both!(a_code_keeps_its_last_use_and_doctor_mends_it, check_a_code_keeps_its_last_use_and_doctor_mends_it);
async fn check_a_code_keeps_its_last_use_and_doctor_mends_it(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.code("KEPT", 5).await;
    h.code("FRESH", 5).await;
    let users = h.add_users("k", 2).await;
    // The later use first, then one whose clock is earlier (as two redemptions may commit out of order): the
    // code keeps the latest.
    h.clock.set(t0() + Duration::minutes(10));
    h.base.use_code("KEPT", users[0].id).await.unwrap();
    h.clock.set(t0() + Duration::minutes(5));
    h.base.use_code("KEPT", users[1].id).await.unwrap();
    let owner = &h.owner;
    let by_last_use = |descending| async move {
        let query = CodeQuery { sort: SortField::LastUsed, descending, ..CodeQuery::default() };
        let rows = owner.page(&query).await.unwrap();
        rows.into_iter().map(|r| (r.code.code, r.last_used)).collect::<Vec<_>>()
    };
    let kept = ("KEPT".to_string(), Some(t0() + Duration::minutes(10)));
    let fresh = ("FRESH".to_string(), None);
    assert_eq!(by_last_use(true).await, [kept.clone(), fresh.clone()]);
    assert_eq!(by_last_use(false).await, [fresh.clone(), kept.clone()], "never used is the least recent");
    // The filter on the time since the last use reads the same.
    h.clock.set(t0() + Duration::minutes(12));
    let used =
        |compare, minutes| CodeFilter { used: Some((compare, Duration::minutes(minutes))), ..Default::default() };
    let counts = [
        h.owner.count(&used(Compare::Less, 1)).await.unwrap(),
        h.owner.count(&used(Compare::Less, 5)).await.unwrap(),
        h.owner.count(&used(Compare::AtLeast, 5)).await.unwrap(),
        h.owner.count(&used(Compare::More, 1)).await.unwrap(),
    ];
    assert_eq!(counts, [0, 1, 1, 2], "used:<1m, used:<5m, used:>=5m, used:>1m");

    // Put wrong behind refcodes' back: doctor reports it with the counters and `--fix counters` mends it.
    db.execute("UPDATE phoenix_kit_referral_codes SET last_used = NULL WHERE code = 'KEPT'").await;
    let findings = h.owner.diagnose().await.unwrap().findings;
    let mismatch = findings.iter().find(|f| f.kind == FindingKind::CounterMismatch).expect("a mismatch");
    assert_eq!(mismatch.count, 1);
    assert!(
        mismatch.examples[0].starts_with("KEPT: number_of_uses 2, usage records 2, last used never"),
        "{mismatch:?}"
    );
    assert_eq!(h.owner.fix_counters().await.unwrap(), 1);
    assert_eq!(by_last_use(true).await, [kept, fresh]);
    assert!(h.owner.diagnose().await.unwrap().findings.iter().all(|f| f.kind != FindingKind::CounterMismatch));
}

both!(an_older_database_gets_its_codes_last_use_filled_in, check_an_older_database_gets_its_codes_last_use_filled_in);
async fn check_an_older_database_gets_its_codes_last_use_filled_in(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.code("KEPT", 5).await;
    h.code("FRESH", 5).await;
    for (i, user) in h.add_users("o", 2).await.iter().enumerate() {
        h.clock.set(t0() + Duration::minutes(5 * i as i64 + 5));
        h.base.use_code("KEPT", user.id).await.unwrap();
    }
    // The database as the release before kept it: no column, no index, the migration not applied.
    db.execute(
        "DROP INDEX idx_referral_codes_last_used; ALTER TABLE phoenix_kit_referral_codes DROP COLUMN last_used; \
         DELETE FROM _sqlx_migrations WHERE description = 'last used'",
    )
    .await;
    db.open_with(2, ServiceOptions::default()).await;
    let latest = "(SELECT max(u.date_used) FROM phoenix_kit_referral_code_usage u)";
    let kept = format!("SELECT count(*) FROM phoenix_kit_referral_codes WHERE code = 'KEPT' AND last_used = {latest}");
    assert_eq!(db.count(&kept).await, 1);
    let fresh = "SELECT count(*) FROM phoenix_kit_referral_codes WHERE code = 'FRESH' AND last_used IS NULL";
    assert_eq!(db.count(fresh).await, 1);
}
