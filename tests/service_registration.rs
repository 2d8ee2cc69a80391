//! The registration flow under the enabled/required settings: a user and the use of their code are created
//! together or not at all.

#[macro_use]
mod common;

use chrono::Duration;
use common::*;
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::user::Role;
use refcodes::domain::{ErrorKind, Selection};
use refcodes::service::{NewUserInput, Registration};

fn registration(email: &str, code: Option<&str>) -> Registration {
    Registration {
        user: NewUserInput {
            email: email.into(),
            username: Some("newbie".into()),
            first_name: Some(" Ada ".into()),
            last_name: Some("Lovelace".into()),
            role: None,
        },
        code: code.map(Into::into),
    }
}

both!(a_valid_code_creates_the_user_and_the_use, check_a_valid_code_creates_the_user_and_the_use);
async fn check_a_valid_code_creates_the_user_and_the_use(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("JOIN", 5).await;
    h.clock.advance(Duration::minutes(3));

    let registered = h.base.register(&registration(" Ada@Example.com ", Some(" join "))).await.unwrap();
    let user = &registered.user;
    assert_eq!(user.email, "ada@example.com", "emails are trimmed and lower-cased");
    assert_eq!(
        (user.username.as_deref(), user.first_name.as_deref(), user.last_name.as_deref()),
        (Some("newbie"), Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(user.inserted_at, t0() + Duration::minutes(3));
    assert!(!registered.code_ignored);
    let usage = registered.usage.as_ref().expect("the code was used");
    assert_eq!((usage.code_id, usage.code.as_str(), usage.used_by), (code.id, "JOIN", user.id));
    assert_eq!(usage.date_used, user.inserted_at);

    assert_eq!(h.owner.find_user_by_email("ADA@example.com").await.unwrap().as_ref(), Some(user));
    assert!(h.owner.user_used_code(user.id, code.id).await.unwrap());
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1);
    let records = h.owner.list_usage_for_code(code.id, 0, 10).await.unwrap();
    assert_eq!(records.iter().map(|r| r.user_email.as_deref()).collect::<Vec<_>>(), [Some("ada@example.com")]);
}

both!(registration_never_grants_a_role, check_registration_never_grants_a_role);
async fn check_registration_never_grants_a_role(db: &TestDb) {
    let h = db.harness().await;
    let mut wants_owner = registration("climber@example.com", None);
    wants_owner.user.role = Some(Role::Owner);
    let registered = h.base.register(&wants_owner).await.unwrap();
    let sign_in = h.base.sign_in("climber@example.com").await.unwrap();
    let operator = sign_in.operator.expect("the user exists");
    assert_eq!(operator.user, registered.user);
    assert_eq!(operator.role, None, "the public can't choose a role");
    assert!(!h.base.clone().with_operator(Some(operator)).can_administer());
}

both!(a_disabled_system_ignores_the_code, check_a_disabled_system_ignores_the_code);
async fn check_a_disabled_system_ignores_the_code(db: &TestDb) {
    let h = db.harness().await;
    // Required, but the system is off: neither the requirement nor the code counts.
    h.owner.set_required(true).await.unwrap();
    let code = h.code("REAL", 5).await;
    let before = h.owner.get_system_stats().await.unwrap();

    for (email, code_text) in
        [("a@example.com", Some("REAL")), ("b@example.com", Some("NO-SUCH-CODE")), ("c@example.com", None)]
    {
        let registered = h.base.register(&registration(email, code_text)).await.unwrap();
        assert_eq!(registered.usage, None, "{email}");
        assert_eq!(registered.code_ignored, code_text.is_some(), "{email}");
        assert!(h.owner.find_user_by_email(email).await.unwrap().is_some());
    }
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 0);
    assert_eq!(h.owner.get_system_stats().await.unwrap(), before);
    assert_eq!(db.usage_rows().await, 0);
}

both!(optional_mode_takes_a_missing_code, check_optional_mode_takes_a_missing_code);
async fn check_optional_mode_takes_a_missing_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    assert!(!h.base.required().await.unwrap());
    for (email, code) in
        [("none@example.com", None), ("blank@example.com", Some("   ")), ("empty@example.com", Some(""))]
    {
        let registered = h.base.register(&registration(email, code)).await.unwrap();
        assert_eq!((registered.usage, registered.code_ignored), (None, false), "{email}");
    }
    assert_eq!(db.usage_rows().await, 0);
}

both!(required_mode_rejects_a_missing_code, check_required_mode_rejects_a_missing_code);
async fn check_required_mode_rejects_a_missing_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.owner.set_required(true).await.unwrap();
    h.code("NEEDED", 5).await;
    let before = h.snapshot().await;
    for code in [None, Some(""), Some(" \t ")] {
        let refusal =
            refused(h.base.register(&registration("new@example.com", code)).await, ErrorKind::CodeRequired, "no code");
        assert!(refusal.message.contains("required"), "{}", refusal.message);
    }
    assert_eq!(h.snapshot().await, before, "no user was created");
    let registered = h.base.register(&registration("new@example.com", Some("needed"))).await.unwrap();
    assert!(registered.usage.is_some());
}

both!(an_invalid_code_creates_no_user, check_an_invalid_code_creates_no_user);
async fn check_an_invalid_code_creates_no_user(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.create("OFF", CodeInput { inactive: true, ..CodeInput::default() }).await;
    h.create("SOON", CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() })
        .await;
    h.code("FULL", 1).await;
    let first = h.add_user("first@example.com", None).await;
    h.base.use_code("FULL", first.id).await.unwrap();
    h.clock.advance(Duration::hours(2));

    for required in [false, true] {
        h.owner.set_required(required).await.unwrap();
        let before = h.snapshot().await;
        for (code, kind) in [
            ("NOPE", ErrorKind::CodeNotFound),
            ("OFF", ErrorKind::CodeInactive),
            ("SOON", ErrorKind::CodeExpired),
            ("FULL", ErrorKind::UsageLimitReached),
        ] {
            let refusal = refused(h.base.register(&registration("hopeful@example.com", Some(code))).await, kind, code);
            assert_eq!(refusal.public_message(), "That code can't be used.");
            assert_eq!(
                h.owner.find_user_by_email("hopeful@example.com").await.unwrap(),
                None,
                "{code}: all or nothing"
            );
        }
        assert_eq!(h.snapshot().await, before, "required={required}");
    }
    // The same registration goes through once the code is usable again.
    let off = h.owner.find_code("OFF").await.unwrap();
    h.owner.set_status(&Selection::Ids(vec![off.id]), true).await.unwrap();
    let registered = h.base.register(&registration("hopeful@example.com", Some("off"))).await.unwrap();
    assert_eq!(registered.usage.map(|u| u.code_id), Some(off.id));
}

both!(a_taken_email_leaves_the_code_unused, check_a_taken_email_leaves_the_code_unused);
async fn check_a_taken_email_leaves_the_code_unused(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("ONCE-MORE", 5).await;
    h.base.register(&registration("twice@example.com", Some("ONCE-MORE"))).await.unwrap();
    let before = h.snapshot().await;
    refused(
        h.base.register(&registration("TWICE@example.com", Some("ONCE-MORE"))).await,
        ErrorKind::EmailTaken,
        "twice",
    );
    assert_eq!(h.snapshot().await, before);
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 1);
}

both!(bad_user_fields_are_refused_before_the_code, check_bad_user_fields_are_refused_before_the_code);
async fn check_bad_user_fields_are_refused_before_the_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.owner.set_required(true).await.unwrap();
    let before = h.snapshot().await;
    let mut bad = registration("no-at-sign", None);
    bad.user.last_name = Some("x".repeat(101));
    let refusal = refused(h.base.register(&bad).await, ErrorKind::Validation, "bad fields, no code");
    let fields: Vec<_> = refusal.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["email", "last_name"]);
    assert_eq!(h.snapshot().await, before);
}
