//! Every error kind of the design is reachable, with the documented precedence, and a refused call writes nothing.

#[macro_use]
mod common;

use chrono::Duration;
use common::*;
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{CodeFilter, CodeId, ErrorKind, ReferralCode, Selection, UserId};
use refcodes::service::{DemoInput, GenerateInput, NewUserInput, Registration, ServiceOptions};
use refcodes::{Error, Service};
use std::collections::HashSet;

const GHOST: UserId = UserId(refcodes::domain::Key::Int(999_999));
const GENERIC: &str = "That code can't be used.";

fn registration(email: &str, code: Option<&str>) -> Registration {
    Registration { user: NewUserInput { email: email.into(), ..NewUserInput::default() }, code: code.map(Into::into) }
}

every!(redemption_refusals_follow_the_precedence, check_redemption_refusals_follow_the_precedence);
async fn check_redemption_refusals_follow_the_precedence(db: &TestDb) {
    let h = db.harness().await;
    let code = h
        .create(
            "LIM",
            CodeInput {
                max_uses: Some(1),
                expiration: Some(Expiration::At(t0() + Duration::hours(1))),
                ..CodeInput::default()
            },
        )
        .await;
    let u1 = h.add_user("u1@example.com", None).await.id;
    let u2 = h.add_user("u2@example.com", None).await.id;
    let kind = |code: &'static str, user: UserId| {
        let base = h.base.clone();
        async move { kind_of(&base.use_code(code, user).await) }
    };

    // A disabled system refuses before anything else is looked at.
    for (c, u) in [("LIM", u1), ("NOPE", u1), ("LIM", GHOST), ("", u1)] {
        assert_eq!(kind(c, u).await, ErrorKind::SystemDisabled, "{c} {u}");
    }
    h.enable_system().await;
    // The code before the user.
    assert_eq!(kind("NOPE", GHOST).await, ErrorKind::CodeNotFound);
    assert_eq!(kind("", u1).await, ErrorKind::CodeNotFound);
    assert_eq!(kind("LIM", GHOST).await, ErrorKind::UserNotFound);
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 0, "user_not_found rolled the use back");
    h.base.use_code("LIM", u1).await.unwrap();
    // Limit reached before already used, and before the user.
    assert_eq!(kind("LIM", u1).await, ErrorKind::UsageLimitReached);
    assert_eq!(kind("LIM", GHOST).await, ErrorKind::UsageLimitReached);
    // Expired before limit reached.
    h.clock.advance(Duration::hours(2));
    assert_eq!(kind("LIM", u2).await, ErrorKind::CodeExpired);
    // Inactive before expired.
    h.owner.set_status(&Selection::Ids(vec![code.id]), false).await.unwrap();
    assert_eq!(kind("LIM", u2).await, ErrorKind::CodeInactive);
    // Disabled before inactive.
    h.owner.disable_system().await.unwrap();
    assert_eq!(kind("LIM", u2).await, ErrorKind::SystemDisabled);
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1);
    assert_eq!(db.usage_rows().await, 1);
}

every!(already_used_is_refused_and_rolled_back, check_already_used_is_refused_and_rolled_back);
async fn check_already_used_is_refused_and_rolled_back(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("AGAIN", 5).await;
    let user = h.add_user("again@example.com", None).await;
    h.base.use_code("AGAIN", user.id).await.unwrap();
    let before = h.snapshot().await;
    let refusal = refused(h.base.use_code("again", user.id).await, ErrorKind::AlreadyUsed, "second use");
    assert!(refusal.message.contains("AGAIN"), "{}", refusal.message);
    assert_eq!(h.snapshot().await, before, "the increment was rolled back");
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1);
}

every!(the_registration_check_agrees_with_use_code, check_the_registration_check_agrees_with_use_code);
async fn check_the_registration_check_agrees_with_use_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.code("FINE", 5).await;
    h.create("OFF", CodeInput { inactive: true, ..CodeInput::default() }).await;
    h.create("SOON", CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() })
        .await;
    h.code("FULL", 1).await;
    let user = h.add_user("first@example.com", None).await;
    h.base.use_code("FULL", user.id).await.unwrap();
    h.clock.advance(Duration::hours(2));
    let other = h.add_user("second@example.com", None).await;

    assert_eq!(h.base.check_registration_code(Some("fine")).await.unwrap().map(|c| c.code), Some("FINE".into()));
    assert_eq!(h.base.check_registration_code(None).await.unwrap(), None, "optional mode");
    for (code, kind) in [
        ("NOPE", ErrorKind::CodeNotFound),
        ("OFF", ErrorKind::CodeInactive),
        ("SOON", ErrorKind::CodeExpired),
        ("FULL", ErrorKind::UsageLimitReached),
    ] {
        let checked = refused(h.base.check_registration_code(Some(code)).await, kind, code);
        assert_eq!(checked.public_message(), GENERIC, "the public is not told which rule failed");
        let used = refused(h.base.use_code(code, other.id).await, kind, code);
        assert_eq!(used.public_message(), GENERIC);
        assert_ne!(used.message, GENERIC, "admins and the CLI see the precise reason");
    }
    h.owner.set_required(true).await.unwrap();
    let required = refused(h.base.check_registration_code(Some("  ")).await, ErrorKind::CodeRequired, "blank");
    assert_ne!(required.public_message(), GENERIC);
    h.owner.disable_system().await.unwrap();
    assert_eq!(h.base.check_registration_code(Some("NOPE")).await.unwrap(), None, "a disabled system checks nothing");
    let disabled = refused(h.base.use_code("FINE", other.id).await, ErrorKind::SystemDisabled, "disabled");
    assert!(disabled.public_message().contains("disabled"), "{}", disabled.public_message());
}

every!(code_not_found_wherever_a_code_is_named, check_code_not_found_wherever_a_code_is_named);
async fn check_code_not_found_wherever_a_code_is_named(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let gone = h.code("GONE", 5).await;
    h.owner.delete_code(&gone).await.unwrap();
    let before = h.snapshot().await;
    refused(h.owner.get_code(gone.id).await, ErrorKind::CodeNotFound, "get_code");
    refused(h.owner.get_code_row(gone.id).await, ErrorKind::CodeNotFound, "get_code_row");
    refused(h.owner.find_code("gone").await, ErrorKind::CodeNotFound, "find_code");
    refused(h.owner.get_usage_stats(gone.id).await, ErrorKind::CodeNotFound, "get_usage_stats");
    refused(h.owner.delete_code(&gone).await, ErrorKind::CodeNotFound, "delete_code");
    let changes = CodeChanges { description: Some("Ghost".into()), ..CodeChanges::default() };
    refused(h.owner.update_code(&gone, &changes).await, ErrorKind::CodeNotFound, "update_code");
    refused(h.base.check_registration_code(Some("GONE")).await, ErrorKind::CodeNotFound, "registration check");
    refused(h.base.use_code("GONE", h.owner_user.id).await, ErrorKind::CodeNotFound, "use_code");
    assert_eq!(h.snapshot().await, before);
}

every!(user_not_found_for_a_missing_user, check_user_not_found_for_a_missing_user);
async fn check_user_not_found_for_a_missing_user(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("REAL", 5).await;
    let before = h.snapshot().await;
    let input = CodeInput {
        code: Some("BENE".into()),
        description: "Ghost beneficiary".into(),
        beneficiary: Some(GHOST),
        ..CodeInput::default()
    };
    refused(h.owner.create_code(&input).await, ErrorKind::UserNotFound, "create with a missing beneficiary");
    let changes = CodeChanges { beneficiary: Some(Some(GHOST)), ..CodeChanges::default() };
    refused(h.owner.update_code(&code, &changes).await, ErrorKind::UserNotFound, "update with a missing beneficiary");
    let generate =
        GenerateInput { count: 2, prefix: String::new(), length: None, template: CodeInput { code: None, ..input } };
    refused(h.owner.generate_codes(&generate).await, ErrorKind::UserNotFound, "generate with a missing beneficiary");
    refused(h.base.use_code("REAL", GHOST).await, ErrorKind::UserNotFound, "use by a missing user");
    refused(h.owner.resolve_user("nobody@example.com").await, ErrorKind::UserNotFound, "resolve by email");
    refused(h.owner.resolve_user("999999").await, ErrorKind::UserNotFound, "resolve by id");
    assert_eq!(h.snapshot().await, before);
    assert_eq!(h.owner.resolve_user(" OWNER@example.com ").await.unwrap().id, h.owner_user.id);
    assert_eq!(h.owner.resolve_user(&h.owner_user.id.to_string()).await.unwrap().email, OWNER_EMAIL);
}

both!(email_taken_without_case, check_email_taken_without_case);
async fn check_email_taken_without_case(db: &TestDb) {
    let h = db.harness().await;
    h.add_user("taken@example.com", None).await;
    let before = h.snapshot().await;
    let again = NewUserInput { email: " Taken@Example.COM ".into(), ..NewUserInput::default() };
    let refusal = refused(h.owner.add_user(&again).await, ErrorKind::EmailTaken, "add_user");
    assert!(refusal.message.contains("taken@example.com"), "{}", refusal.message);
    refused(h.base.register(&registration("TAKEN@example.com", None)).await, ErrorKind::EmailTaken, "register");
    refused(h.base.register(&registration(OWNER_EMAIL, None)).await, ErrorKind::EmailTaken, "the owner's");
    assert_eq!(h.snapshot().await, before);
}

both!(validation_names_every_bad_field, check_validation_names_every_bad_field);
async fn check_validation_names_every_bad_field(db: &TestDb) {
    let h = db.harness().await;
    let before = h.snapshot().await;
    let bad = CodeInput {
        code: Some("x".into()),
        description: String::new(),
        max_uses: Some(0),
        expiration: Some(Expiration::At(t0() - Duration::days(1))),
        ..CodeInput::default()
    };
    let refusal = refused(h.owner.create_code(&bad).await, ErrorKind::Validation, "create_code");
    let fields: Vec<_> = refusal.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["code", "description", "max_uses", "expiration"]);
    let message = |field: &str| refusal.fields.iter().find(|f| f.field == field).unwrap().message.clone();
    assert!(message("code").contains("e.g. SPRING-2026"), "{}", message("code"));
    assert!(message("description").contains("1 to 255"), "{}", message("description"));
    assert!(message("max_uses").contains("1 to 100"), "{}", message("max_uses"));
    assert!(message("expiration").contains("future"), "{}", message("expiration"));
    for field in fields {
        assert!(refusal.message.contains(&format!("{field}: ")), "the message names {field}: {}", refusal.message);
    }

    let user = NewUserInput {
        email: "not-an-email".into(),
        username: Some("u".repeat(101)),
        first_name: Some("tab\there".into()),
        last_name: Some("Fine".into()),
        role: None,
    };
    let refusal = refused(h.owner.add_user(&user).await, ErrorKind::Validation, "add_user");
    let fields: Vec<_> = refusal.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["email", "username", "first_name"]);
    assert!(refusal.fields[0].message.contains("e.g. ada@example.com"), "{}", refusal.fields[0].message);
    let refusal = refused(h.base.register(&Registration { user, code: None }).await, ErrorKind::Validation, "register");
    assert_eq!(refusal.fields.len(), 3);

    let refusal = refused(h.owner.set_setting(SettingKey::Enabled, "maybe").await, ErrorKind::Validation, "setting");
    assert_eq!(refusal.fields[0].field, "value");
    let refusal = refused(h.owner.sign_in("nobody").await, ErrorKind::Validation, "sign_in");
    assert!(refusal.message.contains("--as EMAIL"), "{}", refusal.message);
    assert_eq!(h.snapshot().await, before);
}

/// Calls every mutating method an admin may use, each with arguments that would succeed for an Owner. Bulk calls
/// answer with the number of codes they changed, the others with `None`.
async fn every_admin_call(s: &Service, code: &ReferralCode) -> Vec<(&'static str, Result<Option<u64>, Error>)> {
    let input = CodeInput { code: Some("NEW-ONE".into()), description: "New".into(), ..CodeInput::default() };
    let bad_input = CodeInput { code: Some("?".into()), ..CodeInput::default() };
    let changes = CodeChanges { description: Some("Changed".into()), ..CodeChanges::default() };
    let ids = Selection::Ids(vec![code.id]);
    let user = NewUserInput { email: "new@example.com".into(), ..NewUserInput::default() };
    let generate = GenerateInput {
        count: 2,
        prefix: String::new(),
        length: None,
        template: CodeInput { code: None, ..input.clone() },
    };
    vec![
        ("create_code", s.create_code(&input).await.map(|_| None)),
        ("create_code with bad input", s.create_code(&bad_input).await.map(|_| None)),
        ("update_code", s.update_code(code, &changes).await.map(|_| None)),
        ("delete_code", s.delete_code(code).await.map(|_| None)),
        ("delete_codes", s.delete_codes(&ids).await.map(|d| Some(d.codes as u64))),
        ("set_status", s.set_status(&ids, false).await.map(|o| Some(o.codes))),
        ("extend_expiry", s.extend_expiry(&ids, Duration::days(1)).await.map(|o| Some(o.codes))),
        ("generate_codes", s.generate_codes(&generate).await.map(|_| None)),
        ("add_user", s.add_user(&user).await.map(|_| None)),
        ("set_setting", s.set_setting(SettingKey::MaxUsesPerCode, "50").await.map(|_| None)),
        ("enable_system", s.enable_system().await.map(|_| None)),
        ("disable_system", s.disable_system().await.map(|_| None)),
        ("set_required", s.set_required(true).await.map(|_| None)),
        ("demo", s.demo(&DemoInput { users: 2, codes: 2, days: 1 }).await.map(|_| None)),
    ]
}

async fn assert_not_authorized(h: &Harness, service: &Service, who: &str, code: &ReferralCode) {
    let before = h.snapshot().await;
    assert!(!service.can_administer(), "{who}");
    for (call, result) in every_admin_call(service, code).await {
        let refusal = refused(result, ErrorKind::NotAuthorized, &format!("{who}: {call}"));
        assert!(!refusal.message.is_empty());
    }
    assert_eq!(h.snapshot().await, before, "{who} changed nothing");
    // Reading is for everyone.
    assert_eq!(service.list_codes().await.unwrap().len(), before.codes.len(), "{who} reads");
    assert_eq!(service.get_system_stats().await.unwrap(), before.stats);
    assert_eq!(service.get_config().await.unwrap(), before.config);
}

both!(writes_need_an_admin, check_writes_need_an_admin);
async fn check_writes_need_an_admin(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("GUARDED", 5).await;

    let plain = h.plain().await;
    assert_not_authorized(&h, &plain, "a plain user", &code).await;
    let refusal = refused(plain.set_required(true).await, ErrorKind::NotAuthorized, "plain");
    assert!(refusal.message.contains(PLAIN_EMAIL) && refusal.message.contains("--role admin"), "{}", refusal.message);

    assert_not_authorized(&h, &h.base, "no operator", &code).await;
    let refusal = refused(h.base.enable_system().await, ErrorKind::NotAuthorized, "nobody");
    assert!(refusal.message.contains("--as EMAIL"), "{}", refusal.message);

    let ghost = h.base.sign_in("ghost@example.com").await.unwrap();
    assert!(!ghost.made_first_owner && ghost.operator.is_none(), "only an empty database makes an Owner");
    let ghost = h.base.clone().with_operator(ghost.operator);
    assert_not_authorized(&h, &ghost, "an unknown operator", &code).await;

    // The application's own calls need no operator.
    let user = h.add_user("app@example.com", None).await;
    h.base.use_code("GUARDED", user.id).await.unwrap();
    h.base.register(&registration("app2@example.com", None)).await.unwrap();

    // An Admin may do everything an Owner may.
    let admin = h.admin().await;
    assert!(admin.can_administer());
    for (call, result) in every_admin_call(&admin, &code).await {
        if call == "create_code with bad input" {
            assert_eq!(kind_of(&result), ErrorKind::Validation);
        } else if call == "delete_codes" || call == "set_status" || call == "extend_expiry" {
            // The code was deleted a moment earlier by delete_code, so the selection holds nothing.
            assert_eq!(result.unwrap_or_else(|e| panic!("admin {call}: {e:?}")), Some(0), "{call}");
        } else {
            result.unwrap_or_else(|e| panic!("admin {call}: {e:?}"));
        }
    }
}

every!(a_read_only_service_refuses_every_write, check_a_read_only_service_refuses_every_write);
async fn check_a_read_only_service_refuses_every_write(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("READER", 5).await;
    let user = h.add_user("reader@example.com", None).await;

    // Even the Owner can only read through a read-only service.
    let read_only = db.read_only(OWNER_EMAIL).await;
    assert!(read_only.is_read_only());
    assert_eq!(read_only.operator().and_then(|o| o.role), Some(refcodes::domain::user::Role::Owner));
    assert_not_authorized(&h, &read_only, "a read-only Owner", &code).await;
    let before = h.snapshot().await;
    let refusal = refused(read_only.use_code("READER", user.id).await, ErrorKind::NotAuthorized, "use_code");
    assert!(refusal.message.contains("--read-only"), "{}", refusal.message);
    refused(read_only.register(&registration("new@example.com", None)).await, ErrorKind::NotAuthorized, "register");
    assert_eq!(h.snapshot().await, before);
    assert_eq!(read_only.find_code("reader").await.unwrap(), code);
}

every!(conflict_for_a_code_that_exists, check_conflict_for_a_code_that_exists);
async fn check_conflict_for_a_code_that_exists(db: &TestDb) {
    let h = db.harness().await;
    h.code("TAKEN", 5).await;
    let other = h.code("FREE", 5).await;
    let before = h.snapshot().await;
    let input = CodeInput { code: Some("taken".into()), description: "Copy".into(), ..CodeInput::default() };
    let refusal = refused(h.owner.create_code(&input).await, ErrorKind::Conflict, "create");
    assert_eq!(refusal.fields.len(), 1);
    assert_eq!(refusal.fields[0].field, "code");
    assert!(refusal.message.contains("TAKEN-2"), "suggests another: {}", refusal.message);
    let rename = CodeChanges { code: Some("TAKEN".into()), ..CodeChanges::default() };
    refused(h.owner.update_code(&other, &rename).await, ErrorKind::Conflict, "rename");
    assert_eq!(h.snapshot().await, before);
}

every!(authorization_comes_before_validation, check_authorization_comes_before_validation);
async fn check_authorization_comes_before_validation(db: &TestDb) {
    let h = db.harness().await;
    let plain = h.plain().await;
    let bad = CodeInput { code: Some("x".into()), max_uses: Some(-1), ..CodeInput::default() };
    refused(plain.create_code(&bad).await, ErrorKind::NotAuthorized, "bad input by a plain user");
    refused(plain.set_setting(SettingKey::Enabled, "maybe").await, ErrorKind::NotAuthorized, "bad value");
    refused(
        plain.extend_expiry(&Selection::Ids(vec![CodeId::from(1)]), Duration::zero()).await,
        ErrorKind::NotAuthorized,
        "zero",
    );
    // For an admin, validation comes before the beneficiary lookup and the code limit.
    let admin = h.admin().await;
    let bad = CodeInput { code: Some("x".into()), beneficiary: Some(GHOST), ..CodeInput::default() };
    refused(admin.create_code(&bad).await, ErrorKind::Validation, "bad input and a missing beneficiary");
}

both!(every_error_kind_is_reachable, check_every_error_kind_is_reachable);
async fn check_every_error_kind_is_reachable(db: &TestDb) {
    let h = db.harness().await;
    let plain = h.plain().await;
    let user = h.add_user("kinds@example.com", None).await;
    let mut seen = HashSet::new();
    let mut see = |result: Result<(), Error>| {
        seen.insert(kind_of(&result));
    };
    see(h.base.use_code("ANY", user.id).await.map(drop));
    h.enable_system().await;
    h.code("ONE", 1).await;
    h.create("OFF", CodeInput { inactive: true, ..CodeInput::default() }).await;
    h.create(
        "SOON",
        CodeInput { expiration: Some(Expiration::At(t0() + Duration::minutes(1))), ..CodeInput::default() },
    )
    .await;
    h.code("TWO", 2).await;
    h.base.use_code("ONE", user.id).await.unwrap();
    h.base.use_code("TWO", user.id).await.unwrap();
    h.clock.advance(Duration::minutes(2));
    see(h.base.use_code("NONE", user.id).await.map(drop));
    see(h.base.use_code("OFF", user.id).await.map(drop));
    see(h.base.use_code("SOON", user.id).await.map(drop));
    see(h.base.use_code("ONE", h.owner_user.id).await.map(drop));
    see(h.base.use_code("TWO", user.id).await.map(drop));
    see(h.base.use_code("TWO", GHOST).await.map(drop));
    h.owner.set_required(true).await.unwrap();
    see(h.base.register(&registration("new@example.com", None)).await.map(drop));
    see(h.base.register(&registration("kinds@example.com", Some("TWO"))).await.map(drop));
    see(h.owner.create_code(&CodeInput::default()).await.map(drop));
    see(plain.enable_system().await.map(drop));
    see(h
        .owner
        .create_code(&CodeInput { code: Some("two".into()), description: "Again".into(), ..CodeInput::default() })
        .await
        .map(drop));
    let all: HashSet<ErrorKind> = ErrorKind::ALL.into_iter().collect();
    assert_eq!(seen, all, "missing: {:?}", all.difference(&seen).collect::<Vec<_>>());
}

both!(the_operators_role_is_read_again_on_asking, check_the_operators_role_is_read_again_on_asking);
async fn check_the_operators_role_is_read_again_on_asking(db: &TestDb) {
    let h = db.harness().await;
    let admin = h.admin().await;
    assert!(admin.operator_is_admin().await.unwrap());
    let id = admin.operator().expect("signed in").user.id;
    db.execute(&format!("DELETE FROM phoenix_kit_user_role_assignments WHERE user_id = {id}")).await;
    assert!(!admin.operator_is_admin().await.unwrap(), "the dashboard's refresh sees the role gone");
    assert!(h.owner.operator_is_admin().await.unwrap());
    assert!(!h.base.operator_is_admin().await.unwrap(), "nobody signed in is no admin");
}

/// A command has one read connection: its queries asked side by side (as `stats` asks its figures) take turns on it,
/// however long the one before takes. The read pool's timeout of 10 s ended them with "pool timed out", blaming the
/// database, when `stats` of a year at 8 million records queued behind a 9-second query. SQLite: PostgreSQL's pool
/// waits for the server too, where a timeout is needed.
#[tokio::test]
async fn a_read_waits_for_the_only_connection_as_long_as_it_is_busy() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("wait.db").display());
    let opened =
        Service::open(&url, 1, std::time::Duration::from_secs(1), ServiceOptions::default()).await.expect("opens");
    let signed = opened.sign_in_or_make_first_owner("wait@example.com").await.expect("signs in");
    let service = opened.with_operator(signed.operator);
    service.demo(&DemoInput { users: 5, codes: 20, days: 3 }).await.expect("demo data");
    // An export read as slowly as its reader takes it holds the one read connection.
    let filter = CodeFilter::default();
    let mut export = service.export_usage(&filter, None).expect("an export");
    export.next().await.expect("a record").expect("read");
    let counting = tokio::spawn({
        let service = service.clone();
        async move { service.codes_by_status().await }
    });
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    assert!(!counting.is_finished(), "the count waits for the connection");
    drop(export);
    let counts = counting.await.expect("the task").expect("the count, once the connection is free");
    assert_eq!(counts.active + counts.inactive + counts.expired + counts.limit_reached, 20);
}
