//! The audit trail through the service: every kind of operator change records its events (on SQLite, PostgreSQL
//! and every PhoenixKit fixture shape), a refused or rolled-back change records none, and `history` filters and
//! pages them newest first.

#[macro_use]
mod common;

use chrono::Duration;
use common::*;
use refcodes::domain::audit::{self, Action, AuditEvent, HistoryFilter};
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::import::OnConflict;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{CodeId, ReferralCode};
use refcodes::domain::{ErrorKind, Selection};
use refcodes::service::{GenerateInput, Service};
use serde_json::{Value, json};

/// Every event refcodes keeps, newest first.
async fn events(service: &Service) -> Vec<AuditEvent> {
    service.history(&HistoryFilter::default(), None, 10_000).await.expect("history").events
}

async fn filtered(service: &Service, filter: HistoryFilter) -> Vec<AuditEvent> {
    service.history(&filter, None, 10_000).await.expect("history").events
}

fn kinds(events: &[AuditEvent]) -> Vec<&str> {
    events.iter().map(AuditEvent::kind).collect()
}

every!(each_kind_of_change_records_its_event, check_each_kind_of_change_records_its_event);
async fn check_each_kind_of_change_records_its_event(db: &TestDb) {
    let h = db.harness().await;
    let owner = &h.owner;
    // Events are written by the harness's own setup too (the system enabled); only what follows is looked at.
    let start = events(owner).await.len();

    let spring = h.code("SPRING", 10).await;
    let created = &events(owner).await[0];
    assert_eq!((created.kind(), created.code.as_deref()), ("created", Some("SPRING")));
    assert_eq!(created.operator, "owner@example.com");
    assert_eq!(created.face, "library", "the library's face unless told otherwise");
    assert_eq!(created.changes["max_uses"], "10");
    assert_eq!(created.at, t0());
    assert_eq!(created.bulk_id, None);

    let changes = CodeChanges { max_uses: Some(20), description: Some("Spring".into()), ..CodeChanges::default() };
    let spring = owner.update_code(&spring, &changes).await.unwrap();
    let updated = &events(owner).await[0];
    assert_eq!(updated.kind(), "updated");
    assert_eq!(
        updated.changes,
        json!({"max_uses": {"old": "10", "new": "20"}, "description": {"old": "Test code SPRING", "new": "Spring"}})
    );

    let spring =
        owner.update_code(&spring, &CodeChanges { active: Some(false), ..CodeChanges::default() }).await.unwrap();
    let toggled = &events(owner).await[0];
    assert_eq!(toggled.kind(), "status_changed");
    assert_eq!(toggled.changes, json!({"status": {"old": "active", "new": "inactive"}}));

    // A bulk action on one code is that code's own change; on more, one event per code with the action's id.
    owner.set_status(&Selection::Ids(vec![spring.id]), true).await.unwrap();
    assert_eq!(events(owner).await[0].kind(), "status_changed");
    let (a, b) = (h.code("BULK-A", 5).await, h.code("BULK-B", 5).await);
    owner.set_status(&Selection::Ids(vec![a.id, b.id]), false).await.unwrap();
    let bulk = &events(owner).await[..2];
    assert_eq!(kinds(bulk), ["bulk_status_changed"; 2]);
    assert!(bulk[0].bulk_id.is_some() && bulk[0].bulk_id == bulk[1].bulk_id, "{bulk:?}");
    let mut codes: Vec<_> = bulk.iter().map(|e| e.code.clone().unwrap()).collect();
    codes.sort();
    assert_eq!(codes, ["BULK-A", "BULK-B"]);
    owner.set_max_uses(&Selection::Ids(vec![a.id, b.id]), 7).await.unwrap();
    let bulk = &events(owner).await[..2];
    assert_eq!(kinds(bulk), ["bulk_updated"; 2]);
    assert_eq!(bulk[0].changes, json!({"max_uses": {"old": "5", "new": "7"}}));

    // A delete records the code's last state and how many usage records went with it.
    h.enable_system().await;
    let ben = h.add_user("ben@example.com", None).await;
    let before_use = events(owner).await.len();
    owner.use_code("SPRING", ben.id).await.unwrap();
    assert_eq!(events(owner).await.len(), before_use, "a redemption is no admin event");
    let spring = owner.find_code("SPRING").await.unwrap();
    owner.delete_code(&spring).await.unwrap();
    let deleted = &events(owner).await[0];
    assert_eq!((deleted.kind(), deleted.code.as_deref()), ("deleted", Some("SPRING")));
    assert_eq!(deleted.changes["usage_records"], 1);
    assert_eq!(deleted.changes["number_of_uses"], 1);
    assert_eq!(deleted.changes["max_uses"], "20");
    // A bulk delete counts each code's usage records as it deletes them.
    owner.set_status(&Selection::Ids(vec![a.id]), true).await.unwrap();
    owner.use_code("BULK-A", ben.id).await.unwrap();
    let gone = owner.delete_codes(&Selection::Ids(vec![a.id, b.id])).await.unwrap();
    assert_eq!((gone.codes, gone.usage_records), (2, 1));
    let bulk = &events(owner).await[..2];
    assert_eq!(kinds(bulk), ["bulk_deleted"; 2]);
    assert_eq!(bulk[0].bulk_id, bulk[1].bulk_id);
    let records =
        |code: &str| bulk.iter().find(|e| e.code.as_deref() == Some(code)).unwrap().changes["usage_records"].clone();
    assert_eq!((records("BULK-A"), records("BULK-B")), (json!(1), json!(0)));

    let input = GenerateInput {
        count: 3,
        prefix: "GEN-".into(),
        length: None,
        template: CodeInput { description: "Generated".into(), ..CodeInput::default() },
    };
    owner.generate_codes(&input).await.unwrap();
    let generated = &events(owner).await[..3];
    assert_eq!(kinds(generated), ["generated"; 3]);
    assert!(generated.iter().all(|e| e.bulk_id.is_some() && e.bulk_id == generated[0].bulk_id));

    owner.set_setting(SettingKey::MaxUsesPerCode, "500").await.unwrap();
    let setting = &events(owner).await[0];
    assert_eq!(setting.kind(), "settings_updated");
    assert_eq!(setting.changes, json!({"max_number_of_uses_per_code": {"old": 100, "new": 500}}));

    let csv = b"code,description,max_uses\nIMPORTED,From a file,3\nGEN-X1,Another,4\n";
    let plan = owner.check_import(csv, OnConflict::Fail).await.unwrap();
    owner.apply_import(&plan).await.unwrap();
    let imported = &events(owner).await[..2];
    assert_eq!(kinds(imported), ["imported"; 2]);
    assert_eq!(imported[0].bulk_id, imported[1].bulk_id);

    // doctor --fix: a counter put wrong behind refcodes' back, then recounted.
    db.execute("UPDATE phoenix_kit_referral_codes SET number_of_uses = 2 WHERE code = 'IMPORTED'").await;
    assert_eq!(owner.fix_counters().await.unwrap(), 1);
    let fixed = &events(owner).await[0];
    assert_eq!((fixed.kind(), &fixed.changes), ("counters_fixed", &json!({"codes": 1})));

    let all = events(owner).await;
    assert_eq!(all.len() - start, 22, "{:?}", kinds(&all));
}

every!(a_refused_change_records_nothing, check_a_refused_change_records_nothing);
async fn check_a_refused_change_records_nothing(db: &TestDb) {
    let h = db.harness().await;
    let code = h.code("KEEP", 10).await;
    let other = h.code("OTHER", 10).await;
    let before = events(&h.owner).await;

    let plain = h.plain().await;
    refused(plain.create_code(&CodeInput::default()).await, ErrorKind::NotAuthorized, "a plain user creates");
    refused(plain.delete_code(&code).await, ErrorKind::NotAuthorized, "a plain user deletes");
    let bad = CodeInput { code: Some("X".into()), description: "d".into(), ..CodeInput::default() };
    refused(h.owner.create_code(&bad).await, ErrorKind::Validation, "a code too short");
    let taken = CodeInput { code: Some("keep".into()), description: "d".into(), ..CodeInput::default() };
    refused(h.owner.create_code(&taken).await, ErrorKind::Conflict, "a taken code");
    // Refused inside the transaction, after it began: a stale edit, a bulk limit past the setting, an inactive
    // beneficiary.
    let mut stale = code.clone();
    stale.description = "Not what is stored".into();
    let edit = CodeChanges { max_uses: Some(5), ..CodeChanges::default() };
    refused(h.owner.update_code_if_unchanged(&stale, &edit).await, ErrorKind::Conflict, "a stale edit");
    let both = Selection::Ids(vec![code.id, other.id]);
    refused(h.owner.set_max_uses(&both, 100_000).await, ErrorKind::Validation, "a limit past the setting");
    refused(h.owner.set_setting(SettingKey::MaxUsesPerCode, "-1").await, ErrorKind::Validation, "a bad setting");
    assert_eq!(events(&h.owner).await, before, "refused changes recorded events");
}

every!(a_rolled_back_bulk_action_records_nothing, check_a_rolled_back_bulk_action_records_nothing);
async fn check_a_rolled_back_bulk_action_records_nothing(db: &TestDb) {
    let h = db.harness().await;
    let admin = h.admin().await;
    h.owner.set_setting(SettingKey::MaxCodesPerUser, "2").await.unwrap();
    let before = events(&h.owner).await;
    // The admin may create 2 codes: a generate of 3 is refused in its transaction, after its codes were drawn.
    let input = GenerateInput {
        count: 3,
        prefix: String::new(),
        length: None,
        template: CodeInput { description: "Three".into(), ..CodeInput::default() },
    };
    refused(admin.generate_codes(&input).await, ErrorKind::NotAuthorized, "past the codes per user");
    // An import of 3 codes by the same admin: refused whole when it is applied.
    let csv = b"code,description\nONE,a\nTWO,b\nTHREE,c\n";
    if let Ok(plan) = admin.check_import(csv, OnConflict::Fail).await {
        assert!(admin.apply_import(&plan).await.is_err(), "an import past the codes per user");
    }
    assert_eq!(events(&h.owner).await, before, "a rolled-back bulk action recorded events");
    assert_eq!(h.owner.count(&Default::default()).await.unwrap(), 0);
}

every!(history_filters_and_pages, check_history_filters_and_pages);
async fn check_history_filters_and_pages(db: &TestDb) {
    let h = db.harness().await;
    let admin = h.admin().await.with_face(refcodes::domain::audit::Face::Cli);
    let a = h.code("ALPHA", 10).await;
    h.clock.advance(Duration::days(10));
    let b = admin
        .create_code(&CodeInput { code: Some("beta".into()), description: "b".into(), ..Default::default() })
        .await
        .unwrap();
    admin.set_status(&Selection::Ids(vec![a.id, b.id]), false).await.unwrap();
    let a = h.owner.get_code(a.id).await.unwrap();
    // Renamed: its history follows it.
    let renamed = CodeChanges { code: Some("GAMMA".into()), ..CodeChanges::default() };
    h.owner.update_code(&a, &renamed).await.unwrap();

    let of_code = |code: &str| HistoryFilter { code: Some(code.into()), ..HistoryFilter::default() };
    assert_eq!(kinds(&filtered(&h.owner, of_code("beta")).await), ["bulk_status_changed", "created"]);
    assert_eq!(
        kinds(&filtered(&h.owner, of_code("gamma")).await),
        ["updated", "bulk_status_changed", "created"],
        "a code's history follows it through a rename"
    );
    let by_admin = HistoryFilter { operator: Some(" Admin@Example.com ".into()), ..HistoryFilter::default() };
    let admin_events = filtered(&h.owner, by_admin).await;
    assert_eq!(kinds(&admin_events), ["bulk_status_changed", "bulk_status_changed", "created"]);
    assert!(admin_events.iter().all(|e| e.face == "cli"));
    let bulk = HistoryFilter { bulk_id: admin_events[0].bulk_id.clone(), ..HistoryFilter::default() };
    assert_eq!(filtered(&h.owner, bulk).await.len(), 2);
    let created = HistoryFilter { action: Some(Action::Created.as_str()), ..HistoryFilter::default() };
    let mut names: Vec<_> = filtered(&h.owner, created).await.into_iter().map(|e| e.code.unwrap()).collect();
    names.sort();
    assert_eq!(names, ["ALPHA", "BETA"]);
    let recent = HistoryFilter { since: Some("24h".parse::<SinceArg>().unwrap().0), ..HistoryFilter::default() };
    assert_eq!(filtered(&h.owner, recent).await.len(), 4, "ALPHA was created 10 days ago");

    // Pages of 2, newest first, from a cursor: the same events as one page.
    let all = events(&h.owner).await;
    let mut paged = Vec::new();
    let mut next = None;
    loop {
        let page = h.owner.history(&HistoryFilter::default(), next, 2).await.unwrap();
        paged.extend(page.events);
        match page.next {
            Some(cursor) => next = Some(cursor),
            None => break,
        }
    }
    assert_eq!(paged, all);
    refused(h.owner.history(&HistoryFilter::default(), None, 0).await, ErrorKind::Validation, "a page of none");
    // Anyone may read the history; nobody may write it (it has no writing API).
    assert_eq!(h.plain().await.history(&HistoryFilter::default(), None, 100).await.unwrap().events.len(), all.len());
}

/// `--since` as typed.
struct SinceArg(refcodes::domain::window::Since);
impl std::str::FromStr for SinceArg {
    type Err = String;
    fn from_str(s: &str) -> Result<SinceArg, String> {
        refcodes::domain::window::Since::parse(s).map(SinceArg)
    }
}

both!(a_big_bulk_job_records_an_event_per_code, check_a_big_bulk_job_records_an_event_per_code);
async fn check_a_big_bulk_job_records_an_event_per_code(db: &TestDb) {
    // More codes than one short transaction: on SQLite a job of several.
    let h = db.harness().await;
    let input = GenerateInput {
        count: 5000,
        prefix: "JOB-".into(),
        length: Some(8),
        template: CodeInput { description: "Job".into(), ..CodeInput::default() },
    };
    let made = h.owner.generate_codes(&input).await.unwrap();
    let generated = HistoryFilter { action: Some(Action::Generated.as_str()), ..HistoryFilter::default() };
    let events = filtered(&h.owner, generated).await;
    assert_eq!(events.len(), 5000);
    let bulk = events[0].bulk_id.clone();
    assert!(events.iter().all(|e| e.bulk_id == bulk));
    let ids: Vec<_> = made.iter().map(|c| c.id).collect();
    h.owner.delete_codes(&Selection::Ids(ids)).await.unwrap();
    let deleted = HistoryFilter { action: Some(Action::BulkDeleted.as_str()), ..HistoryFilter::default() };
    let events = filtered(&h.owner, deleted).await;
    assert_eq!(events.len(), 5000);
    assert!(events.iter().all(|e| e.bulk_id.is_some() && e.bulk_id == events[0].bulk_id && e.bulk_id != bulk));
    assert_eq!(events[0].changes["usage_records"], 0);
}

pk_shapes!(phoenix_kit_events_go_to_its_audit_log, check_phoenix_kit_events_go_to_its_audit_log);
async fn check_phoenix_kit_events_go_to_its_audit_log(db: &TestDb) {
    let h = db.harness().await;
    let shape = db.shape().expect("a PhoenixKit fixture");
    let ben = h.add_user("ben@example.com", None).await;
    h.create("BEN", CodeInput { beneficiary: Some(ben.id), ..CodeInput::default() }).await;
    h.code("OWNED", 10).await;
    assert!(h.owner.audit_unavailable().is_none());
    // The rows are PhoenixKit's: its action names, the details in metadata, target and admin as the generation
    // names users (the integer columns of a dual generation looked up from the UUIDs).
    let (user, target, admin) = if shape.uuid_keys() {
        ("uuid", "target_user_uuid", "admin_user_uuid")
    } else {
        ("id", "target_user_id", "admin_user_id")
    };
    let row = |action: &str, code: &str, target_email: &str| {
        format!(
            "SELECT count(*) FROM phoenix_kit_audit_logs l WHERE l.action = 'referral_code.{action}' \
             AND l.metadata->>'code' = '{code}' AND l.metadata->>'face' = 'library' \
             AND l.metadata->>'admin_email' = 'owner@example.com' \
             AND l.{target} = (SELECT {user} FROM phoenix_kit_users WHERE email = '{target_email}') \
             AND l.{admin} = (SELECT {user} FROM phoenix_kit_users WHERE email = 'owner@example.com')"
        )
    };
    assert_eq!(db.count(&row("created", "BEN", "ben@example.com")).await, 1, "the beneficiary is the target");
    assert_eq!(db.count(&row("created", "OWNED", "owner@example.com")).await, 1, "without one, the operator is");
    // A bulk action's rows, built from the codes in SQL, name each code's beneficiary after it the same way.
    let both = Selection::Matching(Default::default());
    h.owner.set_status(&both, false).await.unwrap();
    assert_eq!(db.count(&row("bulk_status_changed", "BEN", "ben@example.com")).await, 1);
    assert_eq!(db.count(&row("bulk_status_changed", "OWNED", "owner@example.com")).await, 1);
    h.owner.set_beneficiary(&both, Some(ben.id)).await.unwrap();
    assert_eq!(db.count(&row("bulk_updated", "OWNED", "ben@example.com")).await, 1, "the new beneficiary");
    h.owner.set_beneficiary(&both, None).await.unwrap();
    assert_eq!(db.count(&row("bulk_updated", "BEN", "owner@example.com")).await, 1, "none: the operator");
    h.owner.delete_codes(&both).await.unwrap();
    assert_eq!(db.count(&row("bulk_deleted", "BEN", "owner@example.com")).await, 1);
    let refcodes_rows = 2 + 2 * 4;
    if matches!(shape, Shape::V60 | Shape::V60SingleShot) {
        let dual = "SELECT count(*) FROM phoenix_kit_audit_logs l JOIN phoenix_kit_users u ON u.id = l.admin_user_id \
                    WHERE l.action LIKE 'referral_code.%' AND u.email = 'owner@example.com'";
        assert_eq!(db.count(dual).await, refcodes_rows, "the integer columns are filled too");
    }
    // PhoenixKit's own rows stay, and history shows only refcodes' events.
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_audit_logs").await, 3 + refcodes_rows);
    let mut expected = vec!["bulk_deleted"; 2];
    expected.extend(["bulk_updated"; 4]);
    expected.extend(["bulk_status_changed"; 2]);
    expected.extend(["created"; 2]);
    assert_eq!(kinds(&events(&h.owner).await), expected);
}

pk_shapes!(an_event_about_a_code_whose_beneficiary_is_gone_is_recorded, check_gone_beneficiary_event);
async fn check_gone_beneficiary_event(db: &TestDb) {
    let h = db.harness().await;
    let shape = db.shape().expect("a PhoenixKit fixture");
    let gone = h.add_user("gone@example.com", None).await;
    let code = h.create("GONE", CodeInput { beneficiary: Some(gone.id), ..CodeInput::default() }).await;
    let other = h.create("GONE2", CodeInput { beneficiary: Some(gone.id), ..CodeInput::default() }).await;
    db.execute("DELETE FROM phoenix_kit_users WHERE email = 'gone@example.com'").await;
    // Each kind of event about them is recorded, not refused by the log's NOT NULL integer user columns (V60):
    // a single edit's, and a bulk action's rows built in SQL.
    let off = CodeChanges { active: Some(false), ..CodeChanges::default() };
    h.owner.update_code(&code, &off).await.unwrap();
    let both = Selection::Ids(vec![code.id, other.id]);
    h.owner.set_status(&both, true).await.unwrap();
    h.owner.delete_codes(&both).await.unwrap();
    let mut expected = vec!["bulk_deleted"; 2];
    expected.extend(["bulk_status_changed"; 2]);
    expected.extend(["status_changed", "created", "created"]);
    assert_eq!(kinds(&events(&h.owner).await), expected);
    if matches!(shape, Shape::V60 | Shape::V60SingleShot) {
        // Where the integer key went with the user, the operator is the target, in both columns alike.
        let by_operator = "SELECT count(*) FROM phoenix_kit_audit_logs l JOIN phoenix_kit_users u \
                           ON u.id = l.target_user_id AND u.uuid = l.target_user_uuid \
                           WHERE l.action LIKE 'referral_code.%' AND l.metadata->>'code' LIKE 'GONE%' \
                           AND u.email = 'owner@example.com'";
        assert_eq!(db.count(by_operator).await, 5);
    }
}

/// These codes as they are now.
async fn read(service: &Service, ids: &[CodeId]) -> Vec<ReferralCode> {
    let mut codes = Vec::new();
    for id in ids {
        codes.push(service.get_code(*id).await.expect("a code"));
    }
    codes
}

/// The newest events are one `kind` event per code of `expected`, sharing a bulk id, each with the code's name
/// then and its expected changes.
async fn check_bulk(service: &Service, kind: &str, expected: &[(&ReferralCode, Value)]) {
    let newest = events(service).await;
    let bulk = &newest[..expected.len()];
    assert!(bulk.iter().all(|e| e.kind() == kind && e.bulk_id.is_some() && e.bulk_id == bulk[0].bulk_id), "{bulk:?}");
    for (code, changes) in expected {
        let event = bulk.iter().find(|e| e.code_id == Some(code.id)).expect("an event per code");
        assert_eq!(event.code.as_deref(), Some(code.code.as_str()));
        assert_eq!(&event.changes, changes, "{kind} of {}", code.code);
    }
}

/// Each code's changes between `before` and `after` (in the same order), as one event per code records them.
fn changed<'a>(before: &'a [ReferralCode], after: &[ReferralCode]) -> Vec<(&'a ReferralCode, Value)> {
    before.iter().zip(after).map(|(old, new)| (old, audit::changes(old, new))).collect()
}

every!(a_bulk_actions_events_read_as_one_per_code, check_a_bulk_actions_events_read_as_one_per_code);
async fn check_a_bulk_actions_events_read_as_one_per_code(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let ben = h.add_user("ben@example.com", None).await;
    let owner = &h.owner;
    // Four codes with expiries and limits of their own, one that never expires; the first switched off alone.
    // The expiries' fractions of a second read as whole seconds, milliseconds and microseconds.
    let mut ids = Vec::new();
    for (i, name) in ["BK-A", "BK-B", "BK-C", "BK-D"].into_iter().enumerate() {
        let fraction = Duration::microseconds([0, 250_000, 123_456, 5][i]);
        let expiration = Some(Expiration::At(t0() + Duration::days(i as i64 + 1) + fraction));
        ids.push(
            h.create(name, CodeInput { max_uses: Some(5 + i as i64), expiration, ..CodeInput::default() }).await.id,
        );
    }
    ids.push(h.forever_code("BK-E", 9).await.id);
    let all = Selection::Ids(ids.clone());
    let off = CodeChanges { active: Some(false), ..CodeChanges::default() };
    owner.update_code(&read(owner, &ids[..1]).await[0], &off).await.unwrap();

    // Activated and extended: each code its own new expiry (the one that never expires stays so: no change).
    let before = read(owner, &ids).await;
    owner.reactivate(&all, Duration::days(7)).await.unwrap();
    let after = read(owner, &ids).await;
    assert_eq!(changed(&before, &after)[4].1, json!({}), "BK-E never expires");
    check_bulk(owner, "bulk_updated", &changed(&before, &after)).await;
    // Each kind of value a bulk action sets, some codes holding it already.
    let steps: [(&str, Selection); 5] = [
        ("beneficiary", all.clone()),
        ("max_uses", all.clone()),
        ("status", all.clone()),
        ("expiry", all.clone()),
        ("description", all.clone()),
    ];
    for (what, selection) in steps {
        let before = read(owner, &ids).await;
        let kind = match what {
            "beneficiary" => owner.set_beneficiary(&selection, Some(ben.id)).await.map(|_| "bulk_updated"),
            "max_uses" => owner.set_max_uses(&selection, 7).await.map(|_| "bulk_updated"),
            "status" => owner.set_status(&selection, false).await.map(|_| "bulk_status_changed"),
            "expiry" => owner.set_expiry(&selection, None).await.map(|_| "bulk_updated"),
            _ => owner.set_description(&selection, "Bulk").await.map(|_| "bulk_updated"),
        }
        .unwrap();
        let after = read(owner, &ids).await;
        check_bulk(owner, kind, &changed(&before, &after)).await;
    }
    // Generated: each new code's fields.
    let template = CodeInput {
        description: "Made".into(),
        beneficiary: Some(ben.id),
        expiration: Some(Expiration::At(t0() + Duration::days(30) + Duration::microseconds(123_456))),
        ..CodeInput::default()
    };
    let input = GenerateInput { count: 3, prefix: "BK-GEN-".into(), length: None, template };
    let made = owner.generate_codes(&input).await.unwrap();
    let fields: Vec<_> = made.iter().map(|c| (c, audit::fields(c))).collect();
    check_bulk(owner, "generated", &fields).await;
    // Imported: each new code's fields, as a generate's, and an existing code's changes, under one bulk id.
    let before = read(owner, &ids[..1]).await;
    let csv = b"code,description,max_uses,expires,beneficiary\nBK-IMP-1,From a file,3,2030-01-02,ben@example.com\n\
                BK-IMP-2,Another,4,,\nBK-A,Renamed,8,,\n";
    let plan = owner.check_import(csv, OnConflict::Update).await.unwrap();
    owner.apply_import(&plan).await.unwrap();
    let after = read(owner, &ids[..1]).await;
    let mut imported = changed(&before, &after);
    assert_eq!(imported[0].1["description"], json!({"old": "Bulk", "new": "Renamed"}));
    let new = [owner.find_code("BK-IMP-1").await.unwrap(), owner.find_code("BK-IMP-2").await.unwrap()];
    assert_eq!(new[0].beneficiary, Some(ben.id));
    imported.extend(new.iter().map(|c| (c, audit::fields(c))));
    check_bulk(owner, "imported", &imported).await;
    // Deleted: each code's last state, with its uses and usage records.
    owner.set_status(&all, true).await.unwrap();
    owner.use_code("BK-B", ben.id).await.unwrap();
    if db.shape().is_some() {
        // As a single-shot install between V74 and V164 has it: no foreign key from usage records to codes.
        db.execute(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT conname FROM pg_constraint WHERE contype = 'f' AND \
             conrelid = 'phoenix_kit_referral_code_usage'::regclass LOOP EXECUTE \
             format('ALTER TABLE phoenix_kit_referral_code_usage DROP CONSTRAINT %I', r.conname); END LOOP; END $$",
        )
        .await;
    }
    let before = read(owner, &ids).await;
    owner.delete_codes(&all).await.unwrap();
    let gone: Vec<_> = before.iter().map(|c| (c, audit::last_state(c, i64::from(c.code == "BK-B")))).collect();
    check_bulk(owner, "bulk_deleted", &gone).await;
    // Its usage record went with it, though some PhoenixKit databases have no cascade to take it.
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_referral_code_usage").await, 0);

    // A deleted code's history by its name: every event, newest first.
    let of_c = filtered(owner, HistoryFilter { code: Some("bk-c".into()), ..HistoryFilter::default() }).await;
    assert_eq!(
        kinds(&of_c),
        [
            "bulk_deleted",
            "bulk_status_changed",
            "bulk_updated",
            "bulk_updated",
            "bulk_status_changed",
            "bulk_updated",
            "bulk_updated",
            "bulk_updated",
            "created"
        ]
    );
    // Pages of 2 and 3 cut through the bulk actions' events: the same events as one page.
    let all_events = events(owner).await;
    for size in [2, 3] {
        let mut paged = Vec::new();
        let mut next = None;
        loop {
            let page = owner.history(&HistoryFilter::default(), next, size).await.unwrap();
            paged.extend(page.events);
            match page.next {
                Some(cursor) => next = Some(cursor),
                None => break,
            }
        }
        assert_eq!(paged, all_events, "pages of {size}");
    }
    let of_name = HistoryFilter { code: Some("BK-C".into()), ..HistoryFilter::default() };
    let first = owner.history(&of_name, None, 4).await.unwrap();
    let rest = owner.history(&of_name, first.next, 100).await.unwrap();
    assert_eq!([first.events, rest.events].concat(), of_c, "a code's history in pages");
}

pk_shapes!(
    a_large_bulk_action_brings_the_logs_statistics_up_to_date,
    check_a_large_bulk_action_brings_the_logs_statistics_up_to_date
);
async fn check_a_large_bulk_action_brings_the_logs_statistics_up_to_date(db: &TestDb) {
    let h = db.harness().await;
    // Before: PhoenixKit's statistics know none of refcodes' actions, so its planner would sort a whole bulk
    // action's rows to list their first page.
    let known = "SELECT count(*) FROM pg_stats WHERE tablename = 'phoenix_kit_audit_logs' AND attname = 'action' \
                 AND CAST(most_common_vals AS text) LIKE '%referral_code.generated%'";
    assert_eq!(db.count(known).await, 0);
    let input = GenerateInput {
        count: 10_000,
        prefix: "MANY-".into(),
        length: Some(8),
        template: CodeInput { description: "Many".into(), ..CodeInput::default() },
    };
    h.owner.generate_codes(&input).await.unwrap();
    assert_eq!(db.count(known).await, 1, "analysed in the action's transaction");
    let page = h.owner.history(&HistoryFilter::default(), None, 100).await.unwrap();
    assert_eq!(page.events.len(), 100);
}
