//! refcodes attached to PhoenixKit databases of every shape, with the fixtures' legacy data as it is: what it
//! shows, what it refuses, what it writes and how (keys, times, settings), and what `doctor` finds. The general
//! suites run on these shapes too (`every!`), on cleared data.

#[macro_use]
mod common;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::*;
use refcodes::domain::audit::HistoryFilter;
use refcodes::domain::doctor::FindingKind;
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::user::Role;
use refcodes::domain::{CodeFilter, CodeQuery, CodeStatus, ErrorKind, Key, SortField};
use refcodes::service::{Clock, DemoInput, ManualClock, NewUserInput, Registration, ServiceOptions};
use refcodes::{Error, Service};
use std::sync::Arc;

/// A service on the fixture as it is, its clock at the real time (the fixtures' expiries are relative to when
/// they were loaded), acting as `email`.
async fn attached(db: &TestDb, email: &str) -> (Service, Arc<ManualClock>) {
    let (base, clock) = db.open_with(4, ServiceOptions::default()).await;
    clock.set(Utc::now());
    let signed = base.sign_in(email).await.expect("sign in");
    assert!(!signed.made_first_owner, "no Owner is ever made on a PhoenixKit database");
    (base.with_operator(signed.operator), clock)
}

fn codes_of(rows: &[refcodes::domain::CodeRow]) -> Vec<String> {
    rows.iter().map(|r| r.code.code.clone()).collect()
}

pk_shapes!(legacy_data_displays_sensibly, check_legacy_data_displays_sensibly);
async fn check_legacy_data_displays_sensibly(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let shape = db.shape().unwrap();
    assert_eq!(owner.attached_short().unwrap(), format!("PhoenixKit V{} · {}", shape.version(), shape.schema()));

    let query = CodeQuery { sort: SortField::Code, descending: false, limit: 100, ..CodeQuery::default() };
    let page = owner.page_with_total(&query).await.unwrap();
    assert_eq!(codes_of(&page.rows), ["ALICE10", "FULLHOUSE", "K7M3Q", "PAUSED01", "WELCOME2025", "summer25"]);
    assert_eq!(page.total, 6);
    let status = |code: &str| {
        let row = page.rows.iter().find(|r| r.code.code == code).unwrap();
        row.code.status_at(owner.now())
    };
    assert_eq!(status("WELCOME2025"), CodeStatus::Active);
    assert_eq!(status("FULLHOUSE"), CodeStatus::LimitReached);
    assert_eq!(status("summer25"), CodeStatus::Expired);
    assert_eq!(status("PAUSED01"), CodeStatus::Inactive);
    let alice10 = page.rows.iter().find(|r| r.code.code == "ALICE10").unwrap();
    assert_eq!(alice10.created_by_email.as_deref(), Some("admin@example.com"));
    assert_eq!(alice10.beneficiary_email.as_deref(), Some("alice@example.com"));
    assert_eq!(matches!(alice10.code.id.0, Key::Uuid(_)), shape.uuid_keys(), "ids are the database's keys");

    // A legacy lower-case code is found as typed in any case.
    let summer = owner.find_code("SUMMER25").await.unwrap();
    assert_eq!(summer.code, "summer25");
    // The legacy repeated use shows as two records; the totals count both.
    let welcome = owner.find_code("welcome2025").await.unwrap();
    let stats = owner.get_usage_stats(welcome.id).await.unwrap();
    assert_eq!((stats.total_uses, stats.unique_users), (4, 3));
    let records = owner.list_usage_for_code(welcome.id, 0, 10).await.unwrap();
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r.user_email.is_some()));

    let system = owner.get_system_stats().await.unwrap();
    assert_eq!((system.total_codes, system.total_usage, system.codes_with_usage), (6, 10, 4));
    assert_eq!(owner.top_codes(10).await.unwrap()[0].code, "WELCOME2025");
    assert_eq!(owner.recent_usage(100).await.unwrap().len(), 10);
    assert_eq!(owner.usage_after(None, 1000).await.unwrap().len(), 10);
    let today = owner.now().date_naive();
    let days = owner.usage_per_day(today - Duration::days(800), today).await.unwrap();
    assert_eq!(days.iter().map(|d| d.uses).sum::<i64>(), 10);
    // Walking every code by key, as export does, meets each once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let rows = owner.codes_after(after, 4).await.unwrap();
        let Some(last) = rows.last() else { break };
        after = Some(last.code.id);
        seen.extend(codes_of(&rows));
    }
    seen.sort();
    assert_eq!(seen.len(), 6);
}

pk_shapes!(redemption_follows_the_rules_on_legacy_data, check_redemption_follows_the_rules_on_legacy_data);
async fn check_redemption_follows_the_rules_on_legacy_data(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let alice = owner.resolve_user("alice@example.com").await.unwrap();
    let carol = owner.resolve_user("carol@EXAMPLE.com").await.unwrap();
    assert_eq!(carol.email, "Carol@Example.com", "emails compare as citext does");
    let kind = |r: Result<refcodes::domain::stats::Usage, Error>| kind_of(&r);
    assert_eq!(kind(owner.use_code("welcome2025", alice.id).await), ErrorKind::AlreadyUsed);
    assert_eq!(kind(owner.use_code("summer25", alice.id).await), ErrorKind::CodeExpired);
    assert_eq!(kind(owner.use_code("FULLHOUSE", alice.id).await), ErrorKind::UsageLimitReached);
    assert_eq!(kind(owner.use_code("PAUSED01", alice.id).await), ErrorKind::CodeInactive);
    assert_eq!(kind(owner.use_code("NOPE", alice.id).await), ErrorKind::CodeNotFound);
    let usage = owner.use_code(" k7m3q ", carol.id).await.unwrap();
    assert_eq!(usage.used_by, carol.id);
    assert_eq!(kind(owner.use_code("K7M3Q", carol.id).await), ErrorKind::AlreadyUsed);
    assert_eq!(owner.find_code("K7M3Q").await.unwrap().number_of_uses, 1);
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_referral_code_usage").await, 11);
    // Written as the application writes it: a UUIDv7 key, both references where both columns exist.
    let shape = db.shape().unwrap();
    if shape.uuid_keys() {
        let v7 = db
            .count(&format!(
                "SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE uuid = '{}' AND \
                 substring(CAST(uuid AS TEXT), 15, 1) = '7'",
                usage.id
            ))
            .await;
        assert_eq!(v7, 1);
    }
    if shape.dual() {
        let both = db.count(
            "SELECT count(*) FROM phoenix_kit_referral_code_usage u JOIN phoenix_kit_referral_codes c \
             ON c.id = u.code_id AND c.uuid = u.code_uuid JOIN phoenix_kit_users p ON p.id = u.used_by \
             AND p.uuid = u.used_by_uuid WHERE p.email = 'Carol@Example.com' AND c.code = 'K7M3Q'",
        );
        assert_eq!(both.await, 1);
    }
}

pk_shapes!(
    new_codes_are_written_as_the_application_writes_them,
    check_new_codes_are_written_as_the_application_writes_them
);
async fn check_new_codes_are_written_as_the_application_writes_them(db: &TestDb) {
    let (owner, clock) = attached(db, OWNER_EMAIL).await;
    let bob = owner.resolve_user("bob@example.com").await.unwrap();
    let at = (Utc::now() + Duration::days(10)).trunc_subsecs(0);
    let input = CodeInput {
        code: Some("spring-2026".into()),
        description: "Spring".into(),
        max_uses: Some(7),
        expiration: Some(Expiration::At(at)),
        beneficiary: Some(bob.id),
        inactive: false,
    };
    let created = owner.create_code(&input).await.unwrap();
    assert_eq!((created.code.as_str(), created.expiration_date), ("SPRING-2026", Some(at)));
    assert_eq!(created.date_created, clock.now());
    // Times: UTC whatever the column type (before V58 `timestamp without time zone` holding UTC).
    let stored_utc = db
        .count(&format!(
            "SELECT count(*) FROM phoenix_kit_referral_codes WHERE code = 'SPRING-2026' AND \
             to_char(expiration_date{}, 'YYYY-MM-DD HH24:MI:SS') = '{}'",
            if db.shape() == Some(Shape::V39) { "" } else { " AT TIME ZONE 'UTC'" },
            at.format("%Y-%m-%d %H:%M:%S")
        ))
        .await;
    assert_eq!(stored_utc, 1, "the expiry is stored as UTC");
    let shape = db.shape().unwrap();
    if shape.dual() {
        let ints = db.count(
            "SELECT count(*) FROM phoenix_kit_referral_codes c JOIN phoenix_kit_users o ON o.id = c.created_by \
             AND o.uuid = c.created_by_uuid JOIN phoenix_kit_users b ON b.id = c.beneficiary \
             AND b.uuid = c.beneficiary_uuid WHERE c.code = 'SPRING-2026' AND o.email = 'owner@example.com'",
        );
        assert_eq!(ints.await, 1, "both the integer and the UUID references are written");
    }
    // A code that differs only in case from one that exists is the same code.
    let again = CodeInput { code: Some("SUMMER25".into()), ..input.clone() };
    assert_eq!(kind_of(&owner.create_code(&again).await), ErrorKind::Conflict);
    // Edits: the beneficiary cleared (both references in the dual generation), then the code renamed.
    let changes = CodeChanges { beneficiary: Some(None), ..CodeChanges::default() };
    let updated = owner.update_code(&created, &changes).await.unwrap();
    assert_eq!(updated.beneficiary, None);
    if shape.dual() {
        assert_eq!(
            db.count(
                "SELECT count(*) FROM phoenix_kit_referral_codes WHERE beneficiary IS NOT NULL AND code = 'SPRING-2026'"
            )
            .await,
            0
        );
    }
    let gone = owner.delete_code(&updated).await.unwrap();
    assert_eq!((gone.codes, gone.usage_records), (1, 0));
}

pk_shapes!(users_and_roles_are_the_applications, check_users_and_roles_are_the_applications);
async fn check_users_and_roles_are_the_applications(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let users_before = db.count("SELECT count(*) FROM phoenix_kit_users").await;
    let assignments_before = db.count("SELECT count(*) FROM phoenix_kit_user_role_assignments").await;
    let input = NewUserInput { email: "new@example.com".into(), role: Some(Role::Admin), ..NewUserInput::default() };
    let refusal = refused(owner.add_user(&input).await, ErrorKind::NotAuthorized, "add_user");
    assert!(refusal.message.contains("users sign up through your PhoenixKit application"), "{}", refusal.message);
    let registration = Registration { user: input.clone(), code: Some("K7M3Q".into()) };
    refused(owner.register(&registration).await, ErrorKind::NotAuthorized, "register");
    let demo = DemoInput { users: 5, codes: 5, days: 3 };
    refused(owner.demo(&demo).await, ErrorKind::NotAuthorized, "demo");

    // An operator who is no user, or not an Owner or Admin, reads only; nobody is made an Owner.
    let (ghost, _) = attached(db, "ghost@example.com").await;
    assert!(ghost.operator().is_none() && !ghost.can_administer());
    let (alice, _) = attached(db, "alice@example.com").await;
    assert_eq!(alice.operator().unwrap().role, Some(Role::User));
    refused(alice.enable_system().await, ErrorKind::NotAuthorized, "a User");
    db.execute(
        "UPDATE phoenix_kit_user_role_assignments SET {a_role} = (SELECT r.{role_key} FROM phoenix_kit_user_roles r \
         WHERE r.name = 'SupportAgent') WHERE {a_user} = (SELECT u.{user_key} FROM phoenix_kit_users u \
         WHERE u.email = 'alice@example.com')",
    )
    .await;
    let (support, _) = attached(db, "alice@example.com").await;
    assert_eq!(support.operator().unwrap().role, Some(Role::SupportAgent));
    refused(support.enable_system().await, ErrorKind::NotAuthorized, "a SupportAgent");
    assert!(owner.get_config().await.unwrap().enabled, "nothing changed");

    // An inactive Admin can't write, and an inactive user can't be a beneficiary.
    db.execute(
        "UPDATE phoenix_kit_users SET is_active = false WHERE email IN ('admin@example.com', 'bob@example.com')",
    )
    .await;
    let (admin, _) = attached(db, ADMIN_EMAIL).await;
    assert!(!admin.can_administer());
    let bob = owner.resolve_user("bob@example.com").await.unwrap();
    assert!(!bob.is_active);
    let input = CodeInput {
        code: Some("FORBOB".into()),
        description: "x".into(),
        beneficiary: Some(bob.id),
        ..CodeInput::default()
    };
    let refusal = refused(owner.create_code(&input).await, ErrorKind::Validation, "inactive beneficiary");
    assert_eq!(refusal.fields[0].field, "beneficiary");
    assert!(owner.search_users("bob", 10).await.unwrap().iter().all(|u| !u.user.is_active));

    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_users").await, users_before);
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_user_role_assignments").await, assignments_before);
}

pk_shapes!(settings_are_written_as_phoenix_kit_reads_them, check_settings_are_written_as_phoenix_kit_reads_them);
async fn check_settings_are_written_as_phoenix_kit_reads_them(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let others = "SELECT count(*) FROM phoenix_kit_settings WHERE module IS DISTINCT FROM 'referral_codes'";
    let others_before = db.count(others).await;
    assert!(owner.get_config().await.unwrap().enabled, "the fixture's application enabled the system");
    let before: DateTime<Utc> = Utc::now() - Duration::seconds(1);
    owner.disable_system().await.unwrap();
    owner.set_setting(SettingKey::MaxUsesPerCode, "250").await.unwrap();
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND value = 'false' \
             AND module = 'referral_codes' AND date_updated >= '{}'",
            before.format("%Y-%m-%d %H:%M:%S")
        ))
        .await,
        1
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM phoenix_kit_settings WHERE key = 'max_number_of_uses_per_code' AND value = '250'"
        )
        .await,
        1
    );
    if db.shape().unwrap().uuid_keys() {
        // The row kept its key; a new row gets one.
        assert_eq!(
            db.count("SELECT count(*) FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND uuid = '01991919-e700-7713-9c01-77faa9ac1534'").await,
            1
        );
        db.execute("DELETE FROM phoenix_kit_settings WHERE key = 'referral_codes_required'").await;
        owner.set_required(true).await.unwrap();
        assert_eq!(
            db.count("SELECT count(*) FROM phoenix_kit_settings WHERE key = 'referral_codes_required' AND value = 'true' AND substring(CAST(uuid AS TEXT), 15, 1) = '7'").await,
            1
        );
    }
    assert_eq!(db.count(others).await, others_before, "the application's other settings are left alone");
}

pk_shapes!(doctor_reports_legacy_oddities_and_fixes_counters, check_doctor_reports_legacy_oddities_and_fixes_counters);
async fn check_doctor_reports_legacy_oddities_and_fixes_counters(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let shape = db.shape().unwrap();
    let found = |d: &refcodes::domain::doctor::Diagnosis| -> Vec<(FindingKind, i64)> {
        d.findings.iter().map(|f| (f.kind, f.count)).collect()
    };
    let diagnosis = owner.diagnose().await.unwrap();
    assert_eq!((diagnosis.mode, diagnosis.phoenixkit_version), ("phoenixkit", Some(shape.version())));
    assert_eq!(diagnosis.schema.as_deref(), Some(shape.schema()));
    assert_eq!(found(&diagnosis), [(FindingKind::DuplicateUsage, 1), (FindingKind::LowercaseCodes, 1)]);
    assert_eq!(diagnosis.findings[0].examples, ["WELCOME2025 used 2 times by alice@example.com"]);

    // What older PhoenixKit left: a racy counter, a code twice in two cases, a use by a deleted user.
    db.execute("UPDATE phoenix_kit_referral_codes SET number_of_uses = 5 WHERE code = 'FULLHOUSE'").await;
    let (key, new_key, ints) = match shape {
        Shape::V39 => ("", "", ""),
        Shape::V60 | Shape::V60SingleShot => ("uuid, ", "gen_random_uuid(), ", ", created_by"),
        Shape::V180 | Shape::V180Auth => ("uuid, ", "gen_random_uuid(), ", ""),
    };
    db.execute(&format!(
        "INSERT INTO phoenix_kit_referral_codes ({key}code, description, status, number_of_uses, max_uses, \
         {{created_by}}, date_created{ints}) SELECT {new_key}'SUMMER25', 'newer twin', true, 0, 5, {{created_by}}, \
         now(){ints} FROM phoenix_kit_referral_codes WHERE code = 'summer25'"
    ))
    .await;
    db.execute("DELETE FROM phoenix_kit_users WHERE email = 'bob@example.com'").await;
    let diagnosis = owner.diagnose().await.unwrap();
    assert_eq!(
        found(&diagnosis),
        [
            (FindingKind::DuplicateUsage, 1),
            (FindingKind::CounterMismatch, 1),
            (FindingKind::OverLimit, 1),
            (FindingKind::CaseDuplicateCodes, 1),
            (FindingKind::LowercaseCodes, 1),
            // Bob created K7M3Q, is its beneficiary and PAUSED01's, and used three codes.
            (FindingKind::UnknownUsers, 6),
        ]
    );
    // The oldest of two spellings is the code a lookup means, as PhoenixKit picks it.
    assert_eq!(owner.find_code("Summer25").await.unwrap().code, "summer25");
    // A deleted user's uses still display.
    let k7 = owner.find_code("K7M3Q").await.unwrap();
    let row = owner.get_code_row(k7.id).await.unwrap();
    assert_eq!((row.created_by_email, row.beneficiary_email), (None, None));
    let welcome = owner.find_code("WELCOME2025").await.unwrap();
    let records = owner.list_usage_for_code(welcome.id, 0, 10).await.unwrap();
    assert!(records.iter().any(|r| r.user_email.is_none() && r.who().ends_with("(gone)")));

    assert_eq!(owner.fix_counters().await.unwrap(), 1);
    assert_eq!(owner.find_code("FULLHOUSE").await.unwrap().number_of_uses, 2);
    assert_eq!(db.counter_mismatches().await, 0);
    let kinds: Vec<FindingKind> = owner.diagnose().await.unwrap().findings.iter().map(|f| f.kind).collect();
    assert!(!kinds.contains(&FindingKind::CounterMismatch) && !kinds.contains(&FindingKind::OverLimit));
}

pk_shapes!(suggested_indexes_run_as_printed_and_change_no_answer, check_suggested_indexes_run_as_printed);
/// The owner runs `doctor --indexes`' statements as printed, one at a time (CONCURRENTLY can't run in a
/// transaction); afterwards none is missing, and the list answers every filter, sort and lookup as before, also
/// through the trigram index, which a service opened after it was made uses for filters that few codes match.
async fn check_suggested_indexes_run_as_printed(db: &TestDb) {
    let (owner, _) = attached(db, OWNER_EMAIL).await;
    let answers = |owner: Service| async move {
        let mut seen = Vec::new();
        let field_filters = [
            "code:E2",
            "desc:welcome",
            "creator:alice",
            "beneficiary:example.com status:active",
            "code:ü uses:>0",
            "desc:% used:<24h",
        ];
        let plain = ["", "alice", "ALICE", "example.com", "Welcome", "10", "acme", "ü", "%", "_", "E2"];
        for text in plain.into_iter().chain(field_filters) {
            for sort in SortField::ALL {
                let filter = CodeFilter::parse(text).unwrap();
                let query = CodeQuery { filter, sort, limit: 100, ..CodeQuery::default() };
                let page = owner.page_with_total(&query).await.unwrap();
                seen.push((text, sort, codes_of(&page.rows), page.total));
            }
        }
        seen.push(("lookup", SortField::Code, vec![owner.find_code("SUMMER25").await.unwrap().code], 1));
        // A code's history, which the audit log's indexes answer.
        let of_code = HistoryFilter { code: Some("summer25".into()), ..HistoryFilter::default() };
        let events = owner.history(&of_code, None, 100).await.unwrap().events;
        let actions: Vec<String> = events.iter().map(|e| e.action.clone()).collect();
        seen.push(("history", SortField::Code, actions, events.len() as _));
        seen
    };
    let code = owner.find_code("SUMMER25").await.unwrap();
    owner
        .update_code(&code, &CodeChanges { description: Some("Summer".into()), ..CodeChanges::default() })
        .await
        .unwrap();
    owner.update_code(&code, &CodeChanges { active: Some(false), ..CodeChanges::default() }).await.unwrap();
    let before = answers(owner.clone()).await;
    assert_eq!(before.last().unwrap().3, 2, "two events of the code");
    let suggested = owner.suggested_indexes().await.unwrap();
    assert!(suggested.len() >= 5 && suggested.iter().all(|s| !s.exists), "{suggested:?}");
    for index in &suggested {
        let sql: String = index.statement.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            db.execute(statement).await;
        }
    }
    assert!(owner.suggested_indexes().await.unwrap().iter().all(|s| s.exists));
    assert_eq!(answers(owner).await, before);
    let (reopened, _) = attached(db, OWNER_EMAIL).await;
    assert_eq!(answers(reopened).await, before);
}

/// Where the shape allows it (NULLable UUID references, no foreign key from usage to codes), rows without keys
/// and usage of a missing code display and are reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_shot_rows_without_keys_display_and_are_reported() {
    let Some(db) = TestDb::phoenix_kit(Shape::V60SingleShot).await else {
        return eprintln!("skipped: {POSTGRES_ENV} is not set");
    };
    db.execute(
        "UPDATE phoenix_kit_referral_code_usage SET used_by_uuid = NULL WHERE used_by = \
         (SELECT id FROM phoenix_kit_users WHERE email = 'Carol@Example.com') AND code_id = \
         (SELECT id FROM phoenix_kit_referral_codes WHERE code = 'ALICE10')",
    )
    .await;
    db.execute(
        "UPDATE phoenix_kit_referral_code_usage SET code_uuid = gen_random_uuid() WHERE code_id = \
         (SELECT id FROM phoenix_kit_referral_codes WHERE code = 'summer25')",
    )
    .await;
    let (owner, _) = attached(&db, OWNER_EMAIL).await;
    let alice10 = owner.find_code("ALICE10").await.unwrap();
    let records = owner.list_usage_for_code(alice10.id, 0, 10).await.unwrap();
    assert_eq!(records.len(), 3);
    assert!(records.iter().any(|r| r.used_by.is_none() && r.who() == "unknown user (no key recorded)"));
    let found: Vec<(FindingKind, i64)> =
        owner.diagnose().await.unwrap().findings.iter().map(|f| (f.kind, f.count)).collect();
    assert!(found.contains(&(FindingKind::OrphanUsage, 1)), "{found:?}");
    assert!(found.contains(&(FindingKind::NullKeys, 1)), "{found:?}");
    assert!(found.contains(&(FindingKind::CounterMismatch, 1)), "summer25's record is not its own any more: {found:?}");
    let export = owner.usage_after(None, 100).await.unwrap();
    assert_eq!(export.len(), 9, "the orphan is no code's record");
}

/// A PhoenixKit database without a column refcodes needs is refused before anything is read or written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missing_column_is_refused_naming_it() {
    let Some(db) = TestDb::phoenix_kit(Shape::V180).await else {
        return eprintln!("skipped: {POSTGRES_ENV} is not set");
    };
    db.execute("ALTER TABLE phoenix_kit_referral_codes RENAME COLUMN beneficiary_uuid TO beneficiary_ref").await;
    let result = Service::open(&db.url, 2, std::time::Duration::from_secs(5), ServiceOptions::default()).await;
    let Err(Error::Schema(message)) = result else { panic!("expected a refusal, got {:?}", result.map(|_| ())) };
    assert!(message.contains("PhoenixKit V180"), "{message}");
    assert!(message.contains("phoenix_kit_referral_codes has no column beneficiary_uuid"), "{message}");
    assert!(message.contains("changed nothing"), "{message}");

    db.execute("ALTER TABLE phoenix_kit_referral_codes RENAME COLUMN beneficiary_ref TO beneficiary_uuid").await;
    db.execute("COMMENT ON TABLE phoenix_kit IS 'one hundred'").await;
    let result = Service::open(&db.url, 2, std::time::Duration::from_secs(5), ServiceOptions::default()).await;
    let Err(Error::Schema(message)) = result else { panic!("expected a refusal") };
    assert!(message.contains("not a version number"), "{message}");
}
