//! The on-call figures on every backend: codes near their limit or expiring, most urgent first; a window's
//! redemptions, signups, top codes and beneficiaries; codes by status and the redemptions of the last minutes.

#[macro_use]
mod common;

use chrono::{Duration, TimeZone, Utc};
use common::*;
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::stats::StatusCounts;
use refcodes::domain::window::{Bucket, Share, Since};
use refcodes::domain::{CodeFilter, CodeQuery, CodeStatus, Selection, SortField};

/// Codes at several shares of their limit and expiries; the clock ends 90 minutes after [`t0`].
async fn urgent_codes(h: &Harness) {
    h.enable_system().await;
    let at =
        |hours| CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(hours))), ..CodeInput::default() };
    let with = |max, hours| CodeInput { max_uses: Some(max), ..at(hours) };
    let users = h.add_users("u", 19).await;
    for (code, input, uses) in [
        ("NEAR90", with(10, 24 * 20), 9),
        ("FULL", with(10, 24 * 20), 10),
        ("HALF", with(10, 24 * 20), 5),
        ("NEAR95", with(20, 72), 19),
        ("SOON", with(10, 2), 0),
        ("LATER", with(10, 30), 1),
        ("FAR", with(10, 24 * 10), 0),
        ("GONE", with(10, 1), 9),
    ] {
        h.create(code, input).await;
        for user in &users[..uses] {
            h.base.use_code(code, user.id).await.unwrap();
        }
    }
    h.forever_code("NEVER", 10).await;
    h.clock.set(t0() + Duration::minutes(90));
}

fn urgent(near_limit: Option<&str>, expiring: Option<i64>) -> CodeQuery {
    CodeQuery {
        filter: CodeFilter {
            near_limit: near_limit.map(|s| Share::parse(s).unwrap()),
            expiring_within: expiring.map(Duration::hours),
            ..CodeFilter::default()
        },
        sort: SortField::Urgency,
        descending: false,
        offset: 0,
        limit: 50,
        ..CodeQuery::default()
    }
}

async fn codes_of(h: &Harness, query: &CodeQuery) -> Vec<String> {
    h.owner.page_with_total(query).await.unwrap().rows.into_iter().map(|r| r.code.code).collect()
}

every!(near_limit_codes_come_largest_share_first, check_near_limit_codes_come_largest_share_first);
async fn check_near_limit_codes_come_largest_share_first(db: &TestDb) {
    let h = db.harness().await;
    urgent_codes(&h).await;
    // GONE has used 90% too but expired: the list shows it (a status filter leaves it out). Among codes of one
    // share, the soonest expiry comes first.
    assert_eq!(codes_of(&h, &urgent(Some("90%"), None)).await, ["FULL", "NEAR95", "GONE", "NEAR90"]);
    let mut reversed = urgent(Some("90%"), None);
    reversed.descending = true;
    assert_eq!(codes_of(&h, &reversed).await, ["NEAR90", "GONE", "NEAR95", "FULL"]);
    // A window in the far half of the list is read from its end: the same order.
    let deep = CodeQuery { offset: 2, limit: 2, ..urgent(Some("90%"), None) };
    assert_eq!(codes_of(&h, &deep).await, ["GONE", "NEAR90"]);
    let usable = CodeQuery {
        filter: CodeFilter { status: Some(CodeStatus::Active), ..urgent(Some("90%"), None).filter },
        ..urgent(None, None)
    };
    assert_eq!(codes_of(&h, &usable).await, ["NEAR95", "NEAR90"]);
    assert_eq!(codes_of(&h, &urgent(Some("100%"), None)).await, ["FULL"]);
    assert_eq!(h.owner.count(&urgent(Some("50%"), None).filter).await.unwrap(), 5);
}

every!(expiring_codes_come_soonest_first, check_expiring_codes_come_soonest_first);
async fn check_expiring_codes_come_soonest_first(db: &TestDb) {
    let h = db.harness().await;
    urgent_codes(&h).await;
    // From 90 minutes after t0: GONE expired already, NEAR95 expires in 70.5 hours, NEVER never.
    assert_eq!(codes_of(&h, &urgent(None, Some(48))).await, ["SOON", "LATER"]);
    assert_eq!(codes_of(&h, &urgent(None, Some(71))).await, ["SOON", "LATER", "NEAR95"]);
    // Both filters: codes that are near the limit and expire soon.
    assert_eq!(codes_of(&h, &urgent(Some("90%"), Some(24 * 30))).await, ["FULL", "NEAR95", "NEAR90"]);
    // A span past the year 9999 is every code that will expire.
    let all = CodeQuery {
        filter: CodeFilter { expiring_within: Some(Duration::days(36_525 * 100)), ..CodeFilter::default() },
        ..urgent(None, None)
    };
    assert_eq!(h.owner.count(&all.filter).await.unwrap(), 7);
}

every!(a_window_counts_its_buckets_tops_and_creations, check_a_window_counts_its_buckets_tops_and_creations);
async fn check_a_window_counts_its_buckets_tops_and_creations(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let ben = h.add_user("ben@example.com", None).await;
    let users = h.add_users("w", 6).await;
    let input = CodeInput {
        max_uses: Some(100),
        expiration: Some(Expiration::Never),
        beneficiary: Some(ben.id),
        ..CodeInput::default()
    };
    h.create("WIN", input).await;
    h.forever_code("OTHER", 100).await;
    let at =
        |mo, d, hh, mm, ss, ms| Utc.with_ymd_and_hms(2026, mo, d, hh, mm, ss).unwrap() + Duration::milliseconds(ms);
    // Now is 1 May 18:10; the 24-hour window is 30 April 19:00 to 1 May 19:00.
    for (code, user, time) in [
        ("WIN", 0, at(4, 30, 18, 59, 59, 999)), // just before the window
        ("WIN", 1, at(4, 30, 19, 0, 0, 0)),     // its first instant
        ("WIN", 2, at(5, 1, 13, 0, 0, 0)),
        ("WIN", 3, at(5, 1, 13, 30, 0, 0)),
        ("OTHER", 4, at(5, 1, 17, 0, 0, 0)),
        ("OTHER", 5, at(5, 1, 18, 10, 0, 0)), // now
    ] {
        h.clock.set(time);
        h.base.use_code(code, users[user].id).await.unwrap();
    }
    h.clock.set(at(5, 1, 18, 10, 0, 0));
    let stats = h.owner.window_stats(Since::parse("24h").unwrap(), 5).await.unwrap();
    assert_eq!(
        (stats.window.start, stats.window.end, stats.window.bucket),
        (at(4, 30, 19, 0, 0, 0), at(5, 1, 19, 0, 0, 0), Bucket::Hour)
    );
    let counts: Vec<i64> = stats.redemptions.iter().map(|p| p.count).collect();
    let mut expected = vec![0; 24];
    (expected[0], expected[18], expected[22], expected[23]) = (1, 2, 1, 1);
    assert_eq!(counts, expected);
    let tops: Vec<(&str, i64)> = stats.top_codes.iter().map(|c| (c.code.as_str(), c.uses)).collect();
    assert_eq!(tops, [("WIN", 3), ("OTHER", 2)]);
    let bens: Vec<(Option<&str>, i64)> = stats.top_beneficiaries.iter().map(|b| (b.email.as_deref(), b.uses)).collect();
    assert_eq!(bens, [(Some("ben@example.com"), 3)], "OTHER has no beneficiary");
    assert_eq!(stats.codes_created, 2);
    assert_eq!(stats.all_time.total_usage, 6);
    if db.shape().is_none() {
        // refcodes adds users at its clock's time (12:00, t0); the application adds them at its own.
        let signups: i64 = stats.signups_with_code.iter().map(|p| p.count).sum();
        assert_eq!((signups, stats.signups_with_code[17].count), (6, 6), "ben used no code");
    }

    let week = h.owner.window_stats(Since::parse("7d").unwrap(), 1).await.unwrap();
    assert_eq!(week.window.bucket, Bucket::Day);
    let days: Vec<i64> = week.redemptions.iter().map(|p| p.count).collect();
    assert_eq!(days, [0, 0, 0, 0, 0, 2, 4]);
    assert_eq!(week.top_codes.len(), 1);

    assert_eq!(h.owner.redemptions_in_last(Duration::hours(1)).await.unwrap(), 1, "17:10 to 18:10");
    assert_eq!(h.owner.redemptions_in_last(Duration::minutes(70)).await.unwrap(), 2, "17:00 to 18:10, both ends");
    assert_eq!(h.owner.redemptions_in_last(Duration::minutes(5)).await.unwrap(), 1);
    assert!(h.owner.window_stats(Since::parse("2026-05-02").unwrap(), 5).await.is_err(), "a window from tomorrow");
}

every!(codes_deactivated_in_a_window_come_from_the_audit_trail, check_codes_deactivated_in_a_window);
async fn check_codes_deactivated_in_a_window(db: &TestDb) {
    let h = db.harness().await;
    let off = refcodes::domain::draft::CodeChanges { active: Some(false), ..Default::default() };
    let on = refcodes::domain::draft::CodeChanges { active: Some(true), ..Default::default() };
    let a = h.forever_code("AAA", 10).await;
    let b = h.forever_code("BBB", 10).await;
    let c = h.forever_code("CCC", 10).await;
    let d = h.forever_code("DDD", 10).await;
    let e = h.forever_code("EEE", 10).await;
    // Ten days ago: EEE switched off, before both windows (the bulk action below finds it off: no change).
    h.clock.set(t0() - Duration::days(10));
    h.owner.update_code(&e, &off).await.unwrap();
    // Two days ago: AAA switched off, before the window.
    h.clock.set(t0() - Duration::days(2));
    h.owner.update_code(&a, &off).await.unwrap();
    // In the window: BBB by an edit, then BBB again and CCC in bulk (BBB counts once); DDD off and on again counts
    // (it was switched off), a switch on alone does not.
    h.clock.set(t0() - Duration::hours(3));
    let b = h.owner.update_code(&b, &off).await.unwrap();
    let b = h.owner.update_code(&b, &on).await.unwrap();
    h.owner.set_status(&Selection::Ids(vec![b.id, c.id, e.id]), false).await.unwrap();
    let d = h.owner.update_code(&d, &off).await.unwrap();
    h.owner.update_code(&d, &on).await.unwrap();
    h.clock.set(t0());
    let stats = h.owner.window_stats(Since::parse("24h").unwrap(), 5).await.unwrap();
    match h.owner.audit_unavailable() {
        None => assert_eq!(stats.codes_deactivated, Some(3), "BBB, CCC and DDD"),
        Some(_) => assert_eq!(stats.codes_deactivated, None, "no trail, no figure"),
    }
    let week = h.owner.window_stats(Since::parse("7d").unwrap(), 5).await.unwrap();
    if h.owner.audit_unavailable().is_none() {
        assert_eq!(week.codes_deactivated, Some(4), "AAA too");
    }
}

every!(codes_are_counted_by_status, check_codes_are_counted_by_status);
async fn check_codes_are_counted_by_status(db: &TestDb) {
    let h = db.harness().await;
    urgent_codes(&h).await;
    let off = h.code("OFF", 10).await;
    h.owner
        .update_code(&off, &refcodes::domain::draft::CodeChanges { active: Some(false), ..Default::default() })
        .await
        .unwrap();
    let counts = h.owner.codes_by_status().await.unwrap();
    assert_eq!(counts, StatusCounts { active: 7, inactive: 1, expired: 1, limit_reached: 1 });
}

/// A window's top codes and beneficiaries as (code or email, uses), in their order. Its series of days is checked
/// against the records of those days, counted apart (`usage_per_day`): read from the window sums or not, it holds
/// every record.
async fn tops(service: &refcodes::Service, since: &str) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let stats = service.window_stats(Since::parse(since).unwrap(), 5).await.unwrap();
    let series: Vec<i64> = stats.redemptions.iter().map(|p| p.count).collect();
    let (first, last) = (stats.window.start.date_naive(), (stats.window.end - Duration::milliseconds(1)).date_naive());
    let records: Vec<i64> = service.usage_per_day(first, last).await.unwrap().iter().map(|d| d.uses).collect();
    assert_eq!(series, records, "the {since} series against the records of its days");
    let codes = stats.top_codes.into_iter().map(|c| (c.code, c.uses)).collect();
    let bens = stats.top_beneficiaries.into_iter().map(|b| (b.email.unwrap_or_default(), b.uses)).collect();
    (codes, bens)
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

every!(window_tops_follow_changes_to_past_days, check_window_tops_follow_changes_to_past_days);
async fn check_window_tops_follow_changes_to_past_days(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let ben = h.add_user("ben@example.com", None).await;
    let kim = h.add_user("kim@example.com", None).await;
    let users = h.add_users("w", 8).await;
    let forever = |beneficiary: Option<refcodes::domain::UserId>| CodeInput {
        max_uses: Some(100),
        expiration: Some(Expiration::Never),
        beneficiary,
        ..CodeInput::default()
    };
    let a = h.create("AAA", forever(Some(ben.id))).await;
    h.create("BBB", forever(Some(kim.id))).await;
    let c = h.create("CCC", forever(None)).await;
    let day = |d: i64| t0() + Duration::days(d);
    // t0 is 1 May, 12:00: past days 26, 28 and 30 April, then today.
    for (code, user, at) in [
        ("AAA", 0, day(-5)),
        ("AAA", 1, day(-5)),
        ("AAA", 2, day(-5)),
        ("BBB", 0, day(-5)),
        ("BBB", 1, day(-3)),
        ("BBB", 2, day(-3)),
        ("CCC", 0, day(-3)),
        ("CCC", 1, day(-1)),
        ("AAA", 3, day(0)),
    ] {
        h.clock.set(at);
        h.base.use_code(code, users[user].id).await.unwrap();
    }
    h.clock.set(t0() + Duration::minutes(1));
    let expected_codes = pairs(&[("AAA", 4), ("BBB", 3), ("CCC", 2)]);
    let expected_bens = pairs(&[("ben@example.com", 4), ("kim@example.com", 3)]);
    assert_eq!(tops(&h.owner, "7d").await, (expected_codes.clone(), expected_bens.clone()));
    let week = h.owner.window_stats(Since::parse("7d").unwrap(), 5).await.unwrap();
    let days: Vec<i64> = week.redemptions.iter().map(|p| p.count).collect();
    assert_eq!(days, [0, 4, 0, 3, 0, 1, 1], "25 April to today");
    if db.shape().is_none() {
        // Refcodes' own schema keeps the closed days' sums (PhoenixKit's gets no table): the next answers use them.
        assert!(db.count("SELECT count(*) FROM refcodes_stats_uses").await > 0, "the closed days are summed");
        let summed = "SELECT count(*) FROM refcodes_stats_uses WHERE name = '7d' AND kind = 'day'";
        assert_eq!(db.count(summed).await, 3, "the closed days with records: 26, 28 and 30 April");
    }
    assert_eq!(tops(&h.owner, "7d").await, (expected_codes.clone(), expected_bens.clone()), "asked again");
    let reader = db.read_only(OWNER_EMAIL).await;
    assert_eq!(tops(&reader, "7d").await, (expected_codes, expected_bens), "a read-only session reads the same");

    // A redemption today: BBB ties AAA and was used last, so it comes first.
    h.clock.set(t0() + Duration::minutes(2));
    h.base.use_code("BBB", users[4].id).await.unwrap();
    assert_eq!(tops(&h.owner, "7d").await.0, pairs(&[("BBB", 4), ("AAA", 4), ("CCC", 2)]));

    // A deleted code takes its past uses with it.
    h.owner.delete_code(&c).await.unwrap();
    assert_eq!(tops(&h.owner, "7d").await.0, pairs(&[("BBB", 4), ("AAA", 4)]));

    // A code handed to another beneficiary moves its past uses too.
    let changes = refcodes::domain::draft::CodeChanges { beneficiary: Some(Some(kim.id)), ..Default::default() };
    h.owner.update_code(&a, &changes).await.unwrap();
    assert_eq!(tops(&h.owner, "7d").await.1, pairs(&[("kim@example.com", 8)]));

    // A record dated on a past day after the days were summed (a clock set back) is counted.
    h.clock.set(day(-4));
    h.base.use_code("AAA", users[5].id).await.unwrap();
    h.clock.set(t0() + Duration::minutes(3));
    assert_eq!(tops(&h.owner, "7d").await.0, pairs(&[("AAA", 5), ("BBB", 4)]));

    // A usage record deleted behind refcodes' back (another client) is gone from the past days' sums.
    db.execute("DELETE FROM phoenix_kit_referral_code_usage WHERE date_used < '2026-04-27'").await;
    assert_eq!(tops(&h.owner, "7d").await.0, pairs(&[("BBB", 3), ("AAA", 2)]));

    // Two days later the window starts on 28 April: what was used before it leaves, what came since stays.
    h.clock.set(t0() + Duration::days(2));
    h.base.use_code("AAA", users[6].id).await.unwrap();
    assert_eq!(tops(&h.owner, "7d").await.0, pairs(&[("AAA", 3), ("BBB", 3)]));
    assert_eq!(tops(&h.owner, "30d").await.0, pairs(&[("AAA", 3), ("BBB", 3)]));

    // All time, from a record 100 days back: longer than any window whose days are summed. A beneficiary whose
    // only code was never used is in no list. Refcodes' own schema ranks by the codes' own counts (AAA has had 6
    // uses, BBB 4), which the records deleted behind its back above no longer match; PhoenixKit's by the records.
    h.create("DDD", forever(Some(ben.id))).await;
    h.clock.set(day(-100));
    h.create("EEE", forever(None)).await;
    h.base.use_code("EEE", users[7].id).await.unwrap();
    h.clock.set(t0() + Duration::days(2) + Duration::minutes(1));
    let first = h.owner.first_use_day().await.unwrap().to_string();
    let all = match db.shape() {
        None => (pairs(&[("AAA", 6), ("BBB", 4), ("EEE", 1)]), pairs(&[("kim@example.com", 10)])),
        Some(_) => (pairs(&[("AAA", 3), ("BBB", 3), ("EEE", 1)]), pairs(&[("kim@example.com", 6)])),
    };
    assert_eq!(tops(&h.owner, &first).await, all);
}

every!(all_time_tops_break_ties_by_last_use, check_all_time_tops_break_ties_by_last_use);
async fn check_all_time_tops_break_ties_by_last_use(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let ann = h.add_user("ann@example.com", None).await;
    let bob = h.add_user("bob@example.com", None).await;
    let cy = h.add_user("cy@example.com", None).await;
    let users = h.add_users("t", 4).await;
    let code = |beneficiary| CodeInput {
        max_uses: Some(100),
        expiration: Some(Expiration::Never),
        beneficiary: Some(beneficiary),
        ..CodeInput::default()
    };
    for (name, beneficiary) in [("ONE", ann.id), ("TWO", bob.id), ("SIX", ann.id), ("TEN", cy.id)] {
        h.create(name, code(beneficiary)).await;
    }
    // TWO and SIX tie at 3 uses, SIX used last; ONE has 1, TEN 4. Ann (ONE and SIX) ties Cy (TEN) at 4; Ann's ONE
    // was used last.
    let day = |d: i64| t0() + Duration::days(d);
    for (name, who, at) in [
        ("TEN", 0..1, day(-200)),
        ("TWO", 0..3, day(-120)),
        ("SIX", 0..3, day(-60)),
        ("TEN", 1..4, day(-50)),
        ("ONE", 3..4, day(-30)),
    ] {
        h.clock.set(at);
        for user in who {
            h.base.use_code(name, users[user].id).await.unwrap();
        }
    }
    h.clock.set(t0());
    let first = h.owner.first_use_day().await.unwrap().to_string();
    let stats = h.owner.window_stats(Since::parse(&first).unwrap(), 3).await.unwrap();
    let codes: Vec<(&str, i64)> = stats.top_codes.iter().map(|c| (c.code.as_str(), c.uses)).collect();
    assert_eq!(codes, [("TEN", 4), ("SIX", 3), ("TWO", 3)], "the first three, the tie broken by the last use");
    let bens: Vec<(Option<&str>, i64)> = stats.top_beneficiaries.iter().map(|b| (b.email.as_deref(), b.uses)).collect();
    assert_eq!(bens, [(Some("ann@example.com"), 4), (Some("cy@example.com"), 4), (Some("bob@example.com"), 3)]);
    let two = h.owner.window_stats(Since::parse(&first).unwrap(), 1).await.unwrap();
    assert_eq!(two.top_codes.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["TEN"]);
}
