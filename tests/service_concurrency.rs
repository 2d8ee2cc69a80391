//! Many clients at once: the limit is never passed, a user never counts twice, and counters always equal the
//! usage rows, also while bulk actions and deletes race with redemptions. Pools of 16 connections, a 30 s busy
//! timeout, tokio tasks released together by a barrier.

#[macro_use]
mod common;

use common::*;
use refcodes::domain::draft::CodeInput;
use refcodes::domain::user::Role;
use refcodes::domain::{CodeFilter, Selection, UserId};
use refcodes::service::{GenerateInput, Registration, ServiceOptions};
use refcodes::{Error, Service};
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

const POOL: u32 = 16;

/// One of several different calls raced together.
type Racer<T> = std::pin::Pin<Box<dyn Future<Output = T> + Send>>;

/// Runs every future as its own task, all released at once; returns their outputs in input order.
async fn all_at_once<T, F>(futures: Vec<F>) -> Vec<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(futures.len()));
    let mut tasks = JoinSet::new();
    for (i, future) in futures.into_iter().enumerate() {
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            (i, future.await)
        });
    }
    let mut out: Vec<Option<T>> = (0..tasks.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (i, value) = joined.expect("task panicked");
        out[i] = Some(value);
    }
    out.into_iter().map(|v| v.expect("every task answered")).collect()
}

/// How many calls succeeded and how many were refused with each kind. A failure that is not a refusal (a database
/// error, a busy timeout) fails the test.
fn tally<T>(results: &[Result<T, Error>]) -> (usize, BTreeMap<&'static str, usize>) {
    let mut ok = 0;
    let mut refused = BTreeMap::new();
    for result in results {
        match result {
            Ok(_) => ok += 1,
            Err(e) => {
                let kind = e.kind().unwrap_or_else(|| panic!("a failure, not a refusal: {e:?}"));
                *refused.entry(kind.as_str()).or_default() += 1;
            }
        }
    }
    (ok, refused)
}

fn kinds(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
    pairs.iter().copied().collect()
}

every!(two_hundred_users_race_for_fifty_uses, check_two_hundred_users_race_for_fifty_uses);
async fn check_two_hundred_users_race_for_fifty_uses(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    assert!(h.owner.get_config().await.unwrap().max_number_of_uses_per_code >= 50);
    let code = h.code("RUSH", 50).await;
    let users = h.add_users("rush", 200).await;

    let calls = users
        .iter()
        .map(|user| {
            let (service, id) = (h.base.clone(), user.id);
            async move { (id, service.use_code("rush", id).await) }
        })
        .collect();
    let (ids, results): (Vec<UserId>, Vec<_>) = all_at_once(calls).await.into_iter().unzip();
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 50, "exactly max_uses redemptions succeed");
    assert_eq!(refused, kinds(&[("usage_limit_reached", 150)]));
    let mut winners = HashSet::new();
    for (id, result) in ids.iter().zip(&results) {
        if let Ok(usage) = result {
            assert_eq!((usage.used_by, usage.code_id), (*id, code.id));
            winners.insert(*id);
        }
    }
    let after = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(after.number_of_uses, 50);
    let records = h.owner.list_usage_for_code(code.id, 0, 1000).await.unwrap();
    assert_eq!(records.len(), 50);
    assert_eq!(
        records.iter().filter_map(|r| r.used_by).collect::<HashSet<_>>(),
        winners,
        "the winners are the ones recorded"
    );
    assert_eq!(db.usage_rows().await, 50);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(one_user_racing_with_itself_counts_once, check_one_user_racing_with_itself_counts_once);
async fn check_one_user_racing_with_itself_counts_once(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.code("ONCE", 50).await;
    let user = h.add_user("eager@example.com", None).await;

    let calls = (0..20)
        .map(|_| {
            let service = h.base.clone();
            async move { service.use_code("ONCE", user.id).await }
        })
        .collect();
    let results = all_at_once(calls).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 1);
    assert_eq!(refused, kinds(&[("already_used", 19)]));
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1, "refused tries rolled their increment back");
    assert_eq!(h.owner.list_usage_for_code(code.id, 0, 100).await.unwrap().len(), 1);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(users_racing_with_themselves_each_get_the_last_uses, check_users_racing_with_themselves_each_get_the_last_uses);
/// Ten users, each racing six times with itself, for a code with exactly ten uses: every user wins once. On
/// PostgreSQL's own schema a second use by a user is refused by the unique index after its statement took a use;
/// that statement must give the use back, or another user would find the code used up.
async fn check_users_racing_with_themselves_each_get_the_last_uses(db: &TestDb) {
    const USERS: usize = 10;
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.code("LASTTEN", USERS as i64).await;
    let users = h.add_users("selfrace", USERS).await;
    let calls = (0..USERS * 6)
        .map(|i| {
            let (service, id) = (h.base.clone(), users[i % USERS].id);
            async move { (id, service.use_code("lastten", id).await) }
        })
        .collect();
    let (ids, results): (Vec<UserId>, Vec<_>) = all_at_once(calls).await.into_iter().unzip();
    let (ok, refused) = tally(&results);
    let winners: HashSet<UserId> = ids.iter().zip(&results).filter(|(_, r)| r.is_ok()).map(|(id, _)| *id).collect();
    assert_eq!((ok, winners.len()), (USERS, USERS), "each user won exactly once: {refused:?}");
    // A user's later tries meet either its own use or the code used up.
    assert!(refused.keys().all(|k| ["already_used", "usage_limit_reached"].contains(k)), "{refused:?}");
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, USERS as i32);
    assert_eq!(db.usage_rows().await, USERS as i64);
    assert_eq!(db.double_uses().await, 0);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(
    set_status_racing_with_redemptions_keeps_counters_true,
    check_set_status_racing_with_redemptions_keeps_counters_true
);
async fn check_set_status_racing_with_redemptions_keeps_counters_true(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let flip = h.forever_code("FLIP", 100).await;
    let flop = h.forever_code("FLOP", 100).await;
    let users = h.add_users("flip", 60).await;

    enum Call {
        Use(Result<refcodes::domain::stats::Usage, Error>),
        Toggle(Result<u64, Error>),
    }
    let mut calls: Vec<Racer<Call>> = Vec::new();
    for user in &users {
        for code in ["FLIP", "FLOP"] {
            let (service, id) = (h.base.clone(), user.id);
            calls.push(Box::pin(async move { Call::Use(service.use_code(code, id).await) }));
        }
    }
    for i in 0..30 {
        let owner = h.owner.clone();
        let ids = Selection::Ids(vec![flip.id]);
        let matching = Selection::Matching(CodeFilter { text: "FLOP".into(), status: None, ..Default::default() });
        calls.push(Box::pin(async move {
            // Off and on, by id and by filter.
            let active = i % 2 == 1;
            let a = owner.set_status(&ids, active).await;
            let b = owner.set_status(&matching, active).await;
            Call::Toggle(a.and(b).map(|o| o.codes))
        }));
    }
    let outcomes = all_at_once(calls).await;

    let mut uses = Vec::new();
    for outcome in outcomes {
        match outcome {
            Call::Use(r) => uses.push(r),
            Call::Toggle(r) => assert_eq!(r.expect("set_status never fails"), 1),
        }
    }
    let (ok, refused) = tally(&uses);
    for kind in refused.keys() {
        // Inactive at the time, or switched back on between the update and the re-read.
        assert!(["code_inactive", "conflict"].contains(kind), "unexpected refusal {kind}: {refused:?}");
    }
    let rows = db.usage_rows().await as usize;
    assert_eq!(ok, rows, "every success is one usage row");
    let mut counted = 0;
    for id in [flip.id, flop.id] {
        counted += h.owner.get_code(id).await.unwrap().number_of_uses;
    }
    assert_eq!(counted as usize, rows);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(deletes_racing_with_redemptions_leave_no_orphans, check_deletes_racing_with_redemptions_leave_no_orphans);
async fn check_deletes_racing_with_redemptions_leave_no_orphans(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    for i in 0..4 {
        h.forever_code(&format!("DOOMED-{i}"), 100).await;
    }
    let safe = h.forever_code("SAFE", 100).await;
    let users = h.add_users("doom", 40).await;

    enum Call {
        Use(&'static str, Result<refcodes::domain::stats::Usage, Error>),
        Delete(Result<refcodes::service::Deleted, Error>),
    }
    const DOOMED: [&str; 4] = ["DOOMED-0", "DOOMED-1", "DOOMED-2", "DOOMED-3"];
    let mut calls: Vec<Racer<Call>> = Vec::new();
    for (n, user) in users.iter().enumerate() {
        for code in [DOOMED[n % 4], DOOMED[(n + 1) % 4], "SAFE"] {
            let (service, id) = (h.base.clone(), user.id);
            calls.push(Box::pin(async move { Call::Use(code, service.use_code(code, id).await) }));
        }
    }
    // Two deletes by filter and one by ids, while the redemptions run.
    for text in ["DOOMED-0", "DOOMED-1"] {
        let owner = h.owner.clone();
        calls.push(Box::pin(async move {
            let selection = Selection::Matching(CodeFilter { text: text.into(), status: None, ..Default::default() });
            Call::Delete(owner.delete_codes(&selection).await)
        }));
    }
    let mut ids = Vec::new();
    for code in [DOOMED[2], DOOMED[3]] {
        ids.push(h.owner.find_code(code).await.unwrap().id);
    }
    let owner = h.owner.clone();
    calls.push(Box::pin(async move { Call::Delete(owner.delete_codes(&Selection::Ids(ids)).await) }));

    let mut doomed_uses = Vec::new();
    let mut safe_uses = Vec::new();
    let (mut deleted_codes, mut deleted_records) = (0, 0);
    for outcome in all_at_once(calls).await {
        match outcome {
            Call::Use("SAFE", r) => safe_uses.push(r),
            Call::Use(_, r) => doomed_uses.push(r),
            Call::Delete(r) => {
                let d = r.expect("delete_codes never fails");
                deleted_codes += d.codes;
                deleted_records += d.usage_records;
            }
        }
    }
    let (safe_ok, safe_refused) = tally(&safe_uses);
    assert_eq!((safe_ok, safe_refused.len()), (40, 0), "SAFE is untouched by the deletes: {safe_refused:?}");
    let (doomed_ok, doomed_refused) = tally(&doomed_uses);
    assert!(doomed_refused.keys().all(|k| *k == "code_not_found"), "a deleted code is not found: {doomed_refused:?}");
    assert_eq!(deleted_codes, 4);
    assert_eq!(deleted_records as usize, doomed_ok, "a delete reports exactly the usage records that went with it");

    let remaining: Vec<String> = h.owner.list_codes().await.unwrap().into_iter().map(|r| r.code.code).collect();
    assert_eq!(remaining, ["SAFE"]);
    assert_eq!(h.owner.get_code(safe.id).await.unwrap().number_of_uses, 40);
    assert_eq!(db.usage_rows().await, 40, "no usage row outlives its code");
    assert_eq!(db.counter_mismatches().await, 0);
}

both!(registrations_race_for_a_limited_code, check_registrations_race_for_a_limited_code);
async fn check_registrations_race_for_a_limited_code(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    h.owner.set_required(true).await.unwrap();
    let code = h.code("SIGNUP", 10).await;
    let users_before = db.user_rows().await;

    let calls = (0..40)
        .map(|i| {
            let service = h.base.clone();
            async move {
                let registration = Registration {
                    user: refcodes::service::NewUserInput {
                        email: format!("new{i}@example.com"),
                        ..Default::default()
                    },
                    code: Some("signup".into()),
                };
                service.register(&registration).await
            }
        })
        .collect();
    let results = all_at_once(calls).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 10);
    assert_eq!(refused, kinds(&[("usage_limit_reached", 30)]));
    assert_eq!(db.user_rows().await, users_before + 10, "a refused registration leaves no user behind");
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 10);
    for registered in results.iter().flatten() {
        assert_eq!(registered.usage.as_ref().map(|u| u.used_by), Some(registered.user.id));
        assert!(h.owner.user_used_code(registered.user.id, code.id).await.unwrap());
    }
    assert_eq!(db.counter_mismatches().await, 0);
}

both!(one_email_registered_at_once_makes_one_user, check_one_email_registered_at_once_makes_one_user);
async fn check_one_email_registered_at_once_makes_one_user(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    let users_before = db.user_rows().await;
    let register = (0..10)
        .map(|i| {
            let service = h.base.clone();
            // The same address in different cases.
            let email = if i % 2 == 0 { "twin@example.com" } else { "Twin@Example.com" };
            async move {
                let user = refcodes::service::NewUserInput { email: email.into(), ..Default::default() };
                service.register(&Registration { user, code: None }).await.map(|r| r.user.id)
            }
        })
        .collect();
    let results = all_at_once(register).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 1);
    assert_eq!(refused, kinds(&[("email_taken", 9)]));

    let add = (0..10)
        .map(|_| {
            let owner = h.owner.clone();
            async move {
                let user =
                    refcodes::service::NewUserInput { email: "triplet@example.com".into(), ..Default::default() };
                owner.add_user(&user).await.map(|u| u.user.id)
            }
        })
        .collect();
    let results = all_at_once(add).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 1);
    assert_eq!(refused, kinds(&[("email_taken", 9)]));
    assert_eq!(db.user_rows().await, users_before + 2);
}

both!(first_sign_ins_at_once_make_one_owner, check_first_sign_ins_at_once_make_one_owner);
async fn check_first_sign_ins_at_once_make_one_owner(db: &TestDb) {
    let (service, _clock) = db.open_with(POOL, ServiceOptions::default()).await;
    let calls = (0..8)
        .map(|i| {
            let service: Service = service.clone();
            async move { service.sign_in_or_make_first_owner(&format!("first{i}@example.com")).await }
        })
        .collect();
    let results = all_at_once(calls).await;
    let made: Vec<_> = results.iter().map(|r| r.as_ref().expect("sign in")).filter(|s| s.made_first_owner).collect();
    assert_eq!(made.len(), 1, "exactly one first Owner");
    assert_eq!(made[0].operator.as_ref().and_then(|o| o.role), Some(Role::Owner));
    let admins = db
        .count(
            "SELECT count(*) FROM phoenix_kit_user_role_assignments a JOIN phoenix_kit_user_roles r \
             ON r.id = a.role_id WHERE r.name IN ('Owner', 'Admin')",
        )
        .await;
    assert_eq!(admins, 1);
    let others: Vec<_> = results.iter().flatten().filter(|s| !s.made_first_owner).collect();
    assert_eq!(others.len(), 7);
    for other in others {
        assert!(other.operator.is_none(), "{} was not created: only the first Owner is", other.email);
    }
    assert_eq!(db.user_rows().await, 1);
}

every!(an_admin_creating_at_once_stops_at_the_limit, check_an_admin_creating_at_once_stops_at_the_limit);
async fn check_an_admin_creating_at_once_stops_at_the_limit(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    let admin = h.admin().await;
    let calls = (0..20)
        .map(|i| {
            let admin = admin.clone();
            async move {
                let input =
                    CodeInput { code: Some(format!("RACE-{i}")), description: "Race".into(), ..CodeInput::default() };
                admin.create_code(&input).await
            }
        })
        .collect();
    let results = all_at_once(calls).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 10, "max_number_of_codes_per_user is 10");
    assert_eq!(refused, kinds(&[("not_authorized", 10)]));
    assert_eq!(h.owner.get_system_stats().await.unwrap().total_codes, 10);
}

every!(one_code_created_at_once_exists_once, check_one_code_created_at_once_exists_once);
async fn check_one_code_created_at_once_exists_once(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    let calls = (0..12)
        .map(|i| {
            let owner = h.owner.clone();
            // One code in different cases.
            let code = if i % 2 == 0 { "SAME" } else { "same" };
            async move {
                let input =
                    CodeInput { code: Some(code.into()), description: format!("Try {i}"), ..CodeInput::default() };
                owner.create_code(&input).await
            }
        })
        .collect();
    let results = all_at_once(calls).await;
    let (ok, refused) = tally(&results);
    assert_eq!(ok, 1);
    assert_eq!(refused, kinds(&[("conflict", 11)]));
    assert_eq!(h.owner.list_codes().await.unwrap().len(), 1);
}

every!(the_limit_holds_while_max_uses_is_lowered, check_the_limit_holds_while_max_uses_is_lowered);
async fn check_the_limit_holds_while_max_uses_is_lowered(db: &TestDb) {
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.forever_code("SHRINK", 60).await;
    let users = h.add_users("shrink", 60).await;
    let mut calls: Vec<Racer<Option<Result<(), Error>>>> = Vec::new();
    for user in &users {
        let (service, id) = (h.base.clone(), user.id);
        calls.push(Box::pin(async move { Some(service.use_code("SHRINK", id).await.map(|_| ())) }));
    }
    let owner = h.owner.clone();
    let current = code.clone();
    // The uses counted when the limit was lowered: the code as the update wrote it.
    let lowered_at = Arc::new(std::sync::OnceLock::new());
    let record = lowered_at.clone();
    calls.push(Box::pin(async move {
        let changes = refcodes::domain::draft::CodeChanges { max_uses: Some(20), ..Default::default() };
        let lowered = owner.update_code(&current, &changes).await.expect("lowering max_uses");
        record.set(lowered.number_of_uses as usize).expect("lowered once");
        None
    }));
    let results: Vec<_> = all_at_once(calls).await.into_iter().flatten().collect();
    let (ok, refused) = tally(&results);
    let before = *lowered_at.get().expect("the limit was lowered");
    // Uses before the lowering all fit the old limit of 60; after it, uses go on only while fewer than 20 are
    // counted, and the 60 racers are enough to reach 20.
    assert_eq!(ok, before.max(20), "{before} uses came before the lowering");
    assert!(refused.keys().all(|k| *k == "usage_limit_reached"), "{refused:?}");
    let after = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(after.max_uses, 20);
    assert_eq!(after.number_of_uses as usize, ok);
    assert_eq!(db.usage_rows().await as usize, ok);
    assert_eq!(db.counter_mismatches().await, 0);
}

/// SQLite: writes of this process take turns on one connection. While another process holds the write lock past
/// the busy timeout, redemptions (written in batches) and other writes fail as busy; nothing is written, and
/// writes work again once the lock is gone.
#[tokio::test]
async fn sqlite_writes_past_the_busy_timeout_fail_cleanly_and_recover() {
    use sqlx::Connection;
    let db = TestDb::sqlite().await;
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.code("QUEUE", 50).await;
    let users = h.add_users("queue", 6).await;
    let service = Service::open(&db.url, POOL, std::time::Duration::from_millis(300), ServiceOptions::default())
        .await
        .expect("a second service on the same file")
        .with_clock(h.clock.clone());

    let mut holder = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
    sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut holder).await.expect("the other process takes the write lock");
    let calls = users
        .iter()
        .map(|user| {
            let (service, id) = (service.clone(), user.id);
            async move { service.use_code("queue", id).await }
        })
        .collect();
    let results = all_at_once(calls).await;
    for result in &results {
        assert!(matches!(result, Err(Error::Busy(300))), "expected busy, got {result:?}");
    }
    let create = CodeInput { code: Some("LOCKED-OUT".into()), description: "Waits".into(), ..CodeInput::default() };
    let creator = service.clone().with_operator(h.owner.operator().cloned());
    assert!(matches!(creator.create_code(&create).await, Err(Error::Busy(300))));
    let message = Error::Busy(300).to_string();
    assert!(message.contains("busy") && message.contains("try again"), "{message}");
    sqlx::raw_sql("ROLLBACK").execute(&mut holder).await.expect("the lock is released");

    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 0);
    assert!(h.owner.get_code_by_string("LOCKED-OUT").await.unwrap().is_none());
    assert_eq!(db.usage_rows().await, 0);
    service.use_code("queue", users[0].id).await.expect("writes work again");
    assert_eq!(db.counter_mismatches().await, 0);
}

/// SQLite writes redemptions that arrive together in one batch. One that fails inside a batch (here a trigger
/// refuses its record) fails alone: the others of its batch are written, and its own use is not counted.
#[tokio::test]
async fn sqlite_one_failing_redemption_in_a_batch_leaves_the_others_written() {
    let db = TestDb::sqlite().await;
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.code("BATCH", 50).await;
    let users = h.add_users("batch", 20).await;
    let doomed = users[7].id;
    db.execute(&format!(
        "CREATE TRIGGER refuse_one BEFORE INSERT ON phoenix_kit_referral_code_usage WHEN new.used_by = {} \
         BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
        doomed.0
    ))
    .await;
    let calls = users
        .iter()
        .map(|user| {
            let (service, id) = (h.base.clone(), user.id);
            async move { (id, service.use_code("batch", id).await) }
        })
        .collect();
    for (id, result) in all_at_once(calls).await {
        match result {
            Err(Error::Database(e)) if id == doomed => assert!(e.to_string().contains("test trigger"), "{e}"),
            Ok(usage) if id != doomed => assert_eq!(usage.used_by, id),
            other => panic!("user {id}: {other:?}"),
        }
    }
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 19);
    assert_eq!(db.usage_rows().await, 19);
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(sixty_four_clients_never_over_redeem_nor_double_use, check_sixty_four_clients_never_over_redeem_nor_double_use);
/// 64 clients on 64 connections at once, 24 of their 40 users racing with themselves: on a limited code exactly the
/// limit is taken, on an ample one each user exactly once. PhoenixKit's usage table has no unique (code, user)
/// index, so there the code's row lock alone keeps a user from counting twice.
async fn check_sixty_four_clients_never_over_redeem_nor_double_use(db: &TestDb) {
    const CLIENTS: usize = 64;
    let h = db.harness_with(CLIENTS as u32).await;
    h.enable_system().await;
    h.code("SCARCE", 20).await;
    h.code("AMPLE", 100).await;
    let users = h.add_users("sixtyfour", 40).await;
    for (code, winners, refusals) in [
        ("SCARCE", 20, vec![("already_used", 0), ("usage_limit_reached", 44)]),
        ("AMPLE", 40, vec![("already_used", 24)]),
    ] {
        let calls = (0..CLIENTS)
            .map(|i| {
                let (service, id) = (h.base.clone(), users[i % users.len()].id);
                async move { (id, service.use_code(code, id).await) }
            })
            .collect();
        let (ids, results): (Vec<UserId>, Vec<_>) = all_at_once(calls).await.into_iter().unzip();
        let (ok, refused) = tally(&results);
        assert_eq!(ok, winners, "{code}: exactly the winners a serial order allows");
        let mut winners_seen = HashSet::new();
        for (id, result) in ids.iter().zip(&results) {
            if result.is_ok() {
                assert!(winners_seen.insert(*id), "{code}: user {id} won twice");
            }
        }
        let expected: BTreeMap<&str, usize> = refusals.into_iter().filter(|(_, n)| *n > 0).collect();
        // On the scarce code a user racing with itself may lose either way: to the limit or to itself.
        if code == "SCARCE" {
            assert_eq!(refused.values().sum::<usize>(), CLIENTS - winners, "{code}: {refused:?}");
        } else {
            assert_eq!(refused, expected, "{code}");
        }
    }
    assert_eq!(db.double_uses().await, 0, "no user used a code twice");
    assert_eq!(db.counter_mismatches().await, 0, "counters equal the usage rows");
    assert_eq!(db.usage_rows().await, 60);
}

/// The SQLite redeemer's writing task is cancelled with its runtime while batches are in flight: later redemptions
/// (on another runtime) are written, not left waiting, no transaction stays open, and the counters match the usage
/// records of whichever redemptions were written.
#[test]
fn sqlite_redemptions_go_on_after_the_writer_is_cancelled_mid_batch() {
    let runtime = || tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let first = runtime();
    let (db, h, users) = first.block_on(async {
        let db = TestDb::sqlite().await;
        let h = db.harness().await;
        h.enable_system().await;
        h.code("SURVIVOR", 100).await;
        let users = h.add_users("racer", 80).await;
        (db, h, users)
    });
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for user in &users[..60] {
        let (service, id, started) = (h.base.clone(), user.id, started.clone());
        first.spawn(async move {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = service.use_code("SURVIVOR", id).await;
        });
    }
    while started.load(std::sync::atomic::Ordering::SeqCst) < 60 {
        std::thread::yield_now();
    }
    // Cancels the writer wherever it is: between batches, or inside one's script.
    first.shutdown_timeout(std::time::Duration::ZERO);

    runtime().block_on(async {
        for user in &users[60..] {
            let redeemed =
                tokio::time::timeout(std::time::Duration::from_secs(60), h.base.use_code("SURVIVOR", user.id))
                    .await
                    .expect("a redemption after the cancelled writer is answered, not left waiting");
            redeemed.expect("and written");
        }
        // No BEGIN IMMEDIATE left open: another connection can take the write lock.
        db.execute("UPDATE phoenix_kit_settings SET value = value").await;
        assert_eq!(db.counter_mismatches().await, 0);
        let written = db.usage_rows().await;
        assert!((20..=80).contains(&written), "{written} usage rows");
        let uses = db.count("SELECT number_of_uses FROM phoenix_kit_referral_codes WHERE code = 'SURVIVOR'").await;
        assert_eq!(uses, written);
    });
}

/// SQLite: a bulk job lets writers of other processes in between its short transactions, though it no longer
/// pauses after each: a second service on the file (its own writer connection, as another process has) redeems
/// all through a generate of 20,000 codes with a busy timeout far shorter than the job, and never fails busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_bulk_job_lets_writers_of_other_processes_in() {
    let db = TestDb::sqlite().await;
    let h = db.harness_with(POOL).await;
    h.enable_system().await;
    let code = h.code("BESIDE", 100).await;
    let users = h.add_users("beside", 100).await;
    let other = Service::open(&db.url, POOL, std::time::Duration::from_millis(500), ServiceOptions::default())
        .await
        .expect("a second service on the same file")
        .with_clock(h.clock.clone());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let redeeming = {
        let (stop, users) = (stop.clone(), users.clone());
        tokio::spawn(async move {
            let mut results = Vec::new();
            for user in &users {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                results.push(other.use_code("beside", user.id).await);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            results
        })
    };
    let template = CodeInput { description: "bulk".into(), ..CodeInput::default() };
    let input = GenerateInput { count: 20_000, prefix: "JOB-".into(), length: Some(8), template };
    h.owner.generate_codes(&input).await.expect("the generate");
    let during = h.owner.get_code(code.id).await.unwrap().number_of_uses;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let results = redeeming.await.unwrap();
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "redemptions beside the job failed: {failed:?}");
    assert!(during > 0, "no redemption got in while the job ran");
    assert_eq!(db.counter_mismatches().await, 0);
}
