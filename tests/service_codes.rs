//! Code management through the service: create, read, update, delete, generate, list/page/filter/sort, the
//! bulk actions, the per-user code limit and `list_valid_codes`.

#[macro_use]
mod common;

use chrono::Duration;
use common::*;
use refcodes::domain::caseless;
use refcodes::domain::draft::{CodeChanges, CodeInput, CodeUpdate};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::generate::ALPHABET;
use refcodes::domain::import::OnConflict;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{
    CodeFilter, CodeQuery, CodeStatus, Compare, ErrorKind, QuickCount, ReferralCode, Selection, SortField, UsesWindow,
};
use refcodes::service::{Deleted, GenerateInput, Tally};
use std::collections::HashSet;

fn in_alphabet(text: &str) -> bool {
    text.bytes().all(|b| ALPHABET.contains(&b))
}

fn codes_of(rows: &[refcodes::domain::CodeRow]) -> Vec<String> {
    rows.iter().map(|r| r.code.code.clone()).collect()
}

every!(create_code_applies_the_defaults, check_create_code_applies_the_defaults);
async fn check_create_code_applies_the_defaults(db: &TestDb) {
    let h = db.harness().await;
    let input = CodeInput {
        code: Some("  spring-2026 ".into()),
        description: "  Spring campaign ".into(),
        ..CodeInput::default()
    };
    let code = h.owner.create_code(&input).await.unwrap();
    assert_eq!(code.code, "SPRING-2026", "codes are trimmed and upper-cased");
    assert_eq!(code.description, "Spring campaign");
    assert!(code.status, "new codes are active");
    assert_eq!((code.number_of_uses, code.max_uses), (0, 100));
    assert_eq!(code.created_by, Some(h.owner_user.id), "created_by is the operator");
    assert_eq!(code.beneficiary, None);
    assert_eq!(code.date_created, t0());
    assert_eq!(code.expiration_date, Some(t0() + Duration::days(7)));
    assert_eq!(code.status_at(t0()), CodeStatus::Active);
    assert_eq!(h.owner.get_code(code.id).await.unwrap(), code, "what was stored reads back the same");

    let ben = h.add_user("ben@example.com", None).await;
    let input = CodeInput {
        code: Some("quiet".into()),
        description: "Quiet one".into(),
        max_uses: Some(7),
        expiration: Some(Expiration::Never),
        beneficiary: Some(ben.id),
        inactive: true,
    };
    let quiet = h.owner.create_code(&input).await.unwrap();
    assert_eq!(
        (quiet.code.as_str(), quiet.status, quiet.max_uses, quiet.expiration_date, quiet.beneficiary),
        ("QUIET", false, 7, None, Some(ben.id))
    );
    assert_eq!(h.owner.get_code(quiet.id).await.unwrap(), quiet);
}

every!(create_code_without_a_code_draws_one, check_create_code_without_a_code_draws_one);
async fn check_create_code_without_a_code_draws_one(db: &TestDb) {
    let h = db.harness().await;
    let mut seen = HashSet::new();
    for _ in 0..5 {
        let input = CodeInput { description: "Random".into(), ..CodeInput::default() };
        let code = h.owner.create_code(&input).await.unwrap();
        assert_eq!(code.code.len(), 5, "{}", code.code);
        assert!(in_alphabet(&code.code), "{}", code.code);
        assert!(seen.insert(code.code.clone()), "drawn codes are unused");
    }
    assert_eq!(h.owner.list_codes().await.unwrap().len(), 5);
}

every!(codes_are_found_by_id_and_by_text_without_case, check_codes_are_found_by_id_and_by_text_without_case);
async fn check_codes_are_found_by_id_and_by_text_without_case(db: &TestDb) {
    let h = db.harness().await;
    let ben = h.add_user("ben@example.com", None).await;
    let code = h.create("GET-ME", CodeInput { beneficiary: Some(ben.id), ..CodeInput::default() }).await;

    assert_eq!(h.owner.get_code_by_string(" get-me ").await.unwrap(), Some(code.clone()));
    assert_eq!(h.owner.get_code_by_string("GET-ME-2").await.unwrap(), None);
    assert_eq!(h.owner.find_code("Get-Me").await.unwrap(), code);
    refused(h.owner.find_code("NOPE").await, ErrorKind::CodeNotFound, "find_code");
    refused(h.owner.get_code(absent(code.id)).await, ErrorKind::CodeNotFound, "get_code");
    refused(h.owner.get_code_row(absent(code.id)).await, ErrorKind::CodeNotFound, "get_code_row");

    let row = h.owner.get_code_row(code.id).await.unwrap();
    assert_eq!(row.code, code);
    assert_eq!(row.created_by_email.as_deref(), Some(OWNER_EMAIL));
    assert_eq!(row.beneficiary_email.as_deref(), Some("ben@example.com"));

    // Reading needs no admin.
    let plain = h.plain().await;
    assert_eq!(plain.get_code(code.id).await.unwrap(), code);
    assert_eq!(h.base.find_code("get-me").await.unwrap(), code);
}

every!(update_code_changes_only_what_it_is_given, check_update_code_changes_only_what_it_is_given);
async fn check_update_code_changes_only_what_it_is_given(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("EDIT-ME", 10).await;
    let user = h.add_user("used@example.com", None).await;
    h.base.use_code("EDIT-ME", user.id).await.unwrap();
    let code = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(code.number_of_uses, 1);

    let ben = h.add_user("ben@example.com", None).await;
    let changes = CodeChanges {
        code: Some(" edited ".into()),
        description: Some("New words".into()),
        max_uses: Some(20),
        expiration: Some(Expiration::Never),
        beneficiary: Some(Some(ben.id)),
        active: Some(false),
    };
    let updated = h.owner.update_code(&code, &changes).await.unwrap();
    let expected = ReferralCode {
        code: "EDITED".into(),
        description: "New words".into(),
        max_uses: 20,
        expiration_date: None,
        beneficiary: Some(ben.id),
        status: false,
        ..code.clone()
    };
    assert_eq!(updated, expected, "number_of_uses, created_by and date_created are kept");
    assert_eq!(h.owner.get_code(code.id).await.unwrap(), expected);
    assert_eq!(h.owner.get_code_by_string("EDIT-ME").await.unwrap(), None, "the old code is gone");
    assert!(h.owner.user_used_code(user.id, code.id).await.unwrap(), "usage follows the code, not its text");

    let cleared =
        h.owner.update_code(&updated, &CodeChanges { beneficiary: Some(None), ..CodeChanges::default() }).await;
    assert_eq!(cleared.unwrap().beneficiary, None);

    let current = h.owner.get_code(code.id).await.unwrap();
    assert_eq!(h.owner.update_code(&current, &CodeChanges::default()).await.unwrap(), current, "no changes, no write");
}

every!(an_expired_code_can_still_be_retired, check_an_expired_code_can_still_be_retired);
async fn check_an_expired_code_can_still_be_retired(db: &TestDb) {
    let h = db.harness().await;
    let code = h.code("OLD", 10).await;
    h.clock.advance(Duration::days(8));
    assert_eq!(code.status_at(h.owner.now()), CodeStatus::Expired);

    // The unchanged past expiration is sent along, as a form would: its rule does not apply.
    let changes = CodeChanges {
        description: Some("Retired".into()),
        active: Some(false),
        expiration: code.expiration_date.map(Expiration::At),
        max_uses: Some(10),
        ..CodeChanges::default()
    };
    let retired = h.owner.update_code(&code, &changes).await.unwrap();
    assert_eq!((retired.description.as_str(), retired.status), ("Retired", false));
    assert_eq!(retired.expiration_date, code.expiration_date);

    // A new past expiration is refused; a future one revives the code.
    let past =
        CodeChanges { expiration: Some(Expiration::At(h.owner.now() - Duration::hours(1))), ..CodeChanges::default() };
    let refusal = refused(h.owner.update_code(&retired, &past).await, ErrorKind::Validation, "past expiration");
    assert_eq!(refusal.fields.len(), 1);
    assert_eq!(refusal.fields[0].field, "expiration");
    assert!(refusal.fields[0].message.contains("future"), "{}", refusal.fields[0].message);
    assert_eq!(h.owner.get_code(code.id).await.unwrap(), retired);

    let future = h.owner.now() + Duration::days(3);
    let revive = CodeChanges { expiration: Some(Expiration::At(future)), active: Some(true), ..CodeChanges::default() };
    let revived = h.owner.update_code(&retired, &revive).await.unwrap();
    assert_eq!(revived.expiration_date, Some(future));
    assert_eq!(revived.status_at(h.owner.now()), CodeStatus::Active);
}

every!(change_code_checks_without_saving, check_change_code_checks_without_saving);
async fn check_change_code_checks_without_saving(db: &TestDb) {
    let h = db.harness().await;
    let code = h.code("PREVIEW", 10).await;
    let changes = CodeChanges {
        description: Some("Preview only".into()),
        max_uses: Some(10),
        active: Some(true),
        ..CodeChanges::default()
    };
    let update = h.owner.change_code(&code, &changes).await.unwrap();
    assert_eq!(update, CodeUpdate { description: Some("Preview only".into()), ..CodeUpdate::default() });
    assert_eq!(h.owner.get_code(code.id).await.unwrap(), code, "change_code saves nothing");

    let bad = CodeChanges { code: Some("x".into()), max_uses: Some(0), ..CodeChanges::default() };
    let refusal = refused(h.owner.change_code(&code, &bad).await, ErrorKind::Validation, "bad changes");
    let fields: Vec<_> = refusal.fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, ["code", "max_uses"]);
}

every!(delete_code_takes_its_usage_records_along, check_delete_code_takes_its_usage_records_along);
async fn check_delete_code_takes_its_usage_records_along(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let gone = h.code("GONE", 10).await;
    let keep = h.code("KEEP", 10).await;
    let users = h.add_users("d", 3).await;
    for user in &users {
        h.base.use_code("GONE", user.id).await.unwrap();
    }
    h.base.use_code("KEEP", users[0].id).await.unwrap();

    let selection = Selection::Ids(vec![gone.id]);
    assert_eq!(h.owner.count_selection(&selection).await.unwrap(), Tally { codes: 1, usage_records: 3 });
    assert_eq!(h.owner.delete_code(&gone).await.unwrap(), Deleted { codes: 1, usage_records: 3 });

    refused(h.owner.get_code(gone.id).await, ErrorKind::CodeNotFound, "deleted code");
    assert!(!h.owner.user_used_code(users[0].id, gone.id).await.unwrap());
    assert_eq!(db.usage_rows().await, 1, "only KEEP's record is left");
    assert_eq!(h.owner.get_code(keep.id).await.unwrap().number_of_uses, 1);
    refused(h.owner.delete_code(&gone).await, ErrorKind::CodeNotFound, "delete twice");
    assert_eq!(db.counter_mismatches().await, 0);
}

every!(random_codes_use_the_alphabet, check_random_codes_use_the_alphabet);
async fn check_random_codes_use_the_alphabet(db: &TestDb) {
    let h = db.harness().await;
    for _ in 0..50 {
        let code = h.owner.generate_random_code().unwrap();
        assert_eq!(code.len(), 5);
        assert!(in_alphabet(&code) && !code.contains(['0', 'O', '1', 'I']), "{code}");
    }
    let unique = h.owner.generate_unique_code().await.unwrap();
    assert_eq!(h.owner.get_code_by_string(&unique).await.unwrap(), None);
}

every!(generate_codes_makes_many_unused_codes, check_generate_codes_makes_many_unused_codes);
async fn check_generate_codes_makes_many_unused_codes(db: &TestDb) {
    let h = db.harness().await;
    let template = CodeInput { description: "VIP batch".into(), max_uses: Some(3), ..CodeInput::default() };
    let input = GenerateInput { count: 25, prefix: "vip-".into(), length: Some(6), template: template.clone() };
    let created = h.owner.generate_codes(&input).await.unwrap();
    assert_eq!(created.len(), 25);
    let distinct: HashSet<_> = created.iter().map(|c| c.code.clone()).collect();
    assert_eq!(distinct.len(), 25);
    for code in &created {
        assert!(code.code.starts_with("VIP-") && code.code.len() == 10, "{}", code.code);
        assert!(in_alphabet(&code.code[4..]), "{}", code.code);
        assert_eq!((code.description.as_str(), code.max_uses, code.number_of_uses), ("VIP batch", 3, 0));
        assert_eq!(code.created_by, Some(h.owner_user.id));
        assert_eq!(code.expiration_date, Some(t0() + Duration::days(7)));
        assert_eq!(&h.owner.get_code(code.id).await.unwrap(), code);
    }
    let filter = CodeFilter { text: "VIP-".into(), status: None, ..Default::default() };
    assert_eq!(h.owner.count(&filter).await.unwrap(), 25);

    // Each bad argument is a validation refusal naming its field, and nothing is written.
    let before = h.snapshot().await;
    let cases = [
        (GenerateInput { count: 0, ..input.clone() }, "count"),
        (GenerateInput { count: 100_001, ..input.clone() }, "count"),
        (GenerateInput { length: Some(2), ..input.clone() }, "length"),
        (GenerateInput { length: Some(51), ..input.clone() }, "length"),
        (GenerateInput { prefix: "a b".into(), ..input.clone() }, "prefix"),
        (GenerateInput { prefix: "P".repeat(46), ..input.clone() }, "prefix"),
        (
            GenerateInput { template: CodeInput { description: String::new(), ..template.clone() }, ..input.clone() },
            "description",
        ),
        (GenerateInput { template: CodeInput { max_uses: Some(0), ..template.clone() }, ..input.clone() }, "max_uses"),
    ];
    for (bad, field) in cases {
        let refusal = refused(h.owner.generate_codes(&bad).await, ErrorKind::Validation, field);
        assert_eq!(refusal.fields[0].field, field);
    }
    assert_eq!(h.snapshot().await, before);
}

every!(generate_codes_says_so_when_the_space_is_used_up, check_generate_codes_says_so_when_the_space_is_used_up);
async fn check_generate_codes_says_so_when_the_space_is_used_up(db: &TestDb) {
    let h = db.harness().await;
    // 32^3 = 32,768 codes of three characters exist, so 40,000 can't be found.
    let input = GenerateInput {
        count: 40_000,
        prefix: String::new(),
        length: Some(3),
        template: CodeInput { description: "Too many".into(), ..CodeInput::default() },
    };
    let refusal = refused(h.owner.generate_codes(&input).await, ErrorKind::Conflict, "exhausted");
    assert!(refusal.message.contains("--length"), "{}", refusal.message);
    assert_eq!(h.owner.get_system_stats().await.unwrap().total_codes, 0, "all or nothing");
}

every!(codes_are_unique_without_case, check_codes_are_unique_without_case);
async fn check_codes_are_unique_without_case(db: &TestDb) {
    let h = db.harness().await;
    let dup = h.code("DUP", 5).await;
    let other = h.code("OTHER", 5).await;
    let before = h.snapshot().await;

    let input = CodeInput { code: Some("dup".into()), description: "Again".into(), ..CodeInput::default() };
    let refusal = refused(h.owner.create_code(&input).await, ErrorKind::Conflict, "duplicate create");
    assert_eq!(refusal.fields[0].field, "code");
    assert!(refusal.message.contains("DUP"), "{}", refusal.message);

    let rename = CodeChanges { code: Some(" Dup ".into()), ..CodeChanges::default() };
    refused(h.owner.update_code(&other, &rename).await, ErrorKind::Conflict, "rename onto another code");
    assert_eq!(h.snapshot().await, before);

    // Renaming a code to its own text in another case changes nothing.
    let same = CodeChanges { code: Some("dup".into()), ..CodeChanges::default() };
    assert_eq!(h.owner.update_code(&dup, &same).await.unwrap(), dup);
}

/// Codes in every state, for the list tests. Returns them in creation order. The codes sort alike under any
/// collation; FOX_TROT and JAXXT tell a literal `_` from a LIKE wildcard.
async fn fixture(h: &Harness) -> Vec<ReferralCode> {
    h.enable_system().await;
    let ben = h.add_user("beneficiary@example.com", None).await;
    let admin = h.admin().await;
    let mut made = Vec::new();
    let specs: [(&str, &str, CodeInput); 9] = [
        ("ALPHA", "Alpha launch", CodeInput { max_uses: Some(5), ..CodeInput::default() }),
        (
            "BRAVO",
            "Partner program",
            CodeInput { expiration: Some(Expiration::Never), beneficiary: Some(ben.id), ..CodeInput::default() },
        ),
        ("CHARLIE", "Switched off", CodeInput { inactive: true, ..CodeInput::default() }),
        (
            "DELTA",
            "Short lived",
            CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() },
        ),
        ("ECHO", "Single use", CodeInput { max_uses: Some(1), ..CodeInput::default() }),
        ("FOX_TROT", "Underscored", CodeInput::default()),
        ("JAXXT", "Doubled", CodeInput::default()),
        ("GOLF", "Take 50% off", CodeInput::default()),
        ("HOTEL", "Take 500 off", CodeInput::default()),
    ];
    for (code, description, input) in specs {
        h.clock.advance(Duration::minutes(1));
        made.push(h.create(code, CodeInput { description: description.into(), ..input }).await);
    }
    h.clock.advance(Duration::minutes(1));
    let india =
        CodeInput { code: Some("INDIA".into()), description: "Made by the admin".into(), ..CodeInput::default() };
    made.push(admin.create_code(&india).await.unwrap());

    let users = h.add_users("fixture", 2).await;
    for user in &users {
        h.base.use_code("ALPHA", user.id).await.unwrap();
    }
    h.base.use_code("ECHO", users[0].id).await.unwrap();
    // DELTA expires.
    h.clock.advance(Duration::hours(2));
    made
}

every!(list_codes_is_every_code_by_code, check_list_codes_is_every_code_by_code);
async fn check_list_codes_is_every_code_by_code(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    let all = h.owner.list_codes().await.unwrap();
    assert_eq!(
        codes_of(&all),
        ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOX_TROT", "GOLF", "HOTEL", "INDIA", "JAXXT"]
    );
    let alpha = all.iter().find(|r| r.code.code == "ALPHA").unwrap();
    assert_eq!(alpha.code.number_of_uses, 2);
    assert_eq!(alpha.created_by_email.as_deref(), Some(OWNER_EMAIL));
    let india = all.iter().find(|r| r.code.code == "INDIA").unwrap();
    assert_eq!(india.created_by_email.as_deref(), Some(ADMIN_EMAIL));
}

every!(page_sorts_by_every_field, check_page_sorts_by_every_field);
async fn check_page_sorts_by_every_field(db: &TestDb) {
    let h = db.harness().await;
    let made = fixture(&h).await;
    let page = |sort, descending| {
        let query = CodeQuery { sort, descending, limit: 100, ..CodeQuery::default() };
        let owner = h.owner.clone();
        async move { codes_of(&owner.page(&query).await.unwrap()) }
    };
    let created: Vec<String> = made.iter().map(|c| c.code.clone()).collect();
    assert_eq!(page(SortField::Created, false).await, created);
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(page(SortField::Created, true).await, newest_first);
    assert_eq!(CodeQuery::default().sort, SortField::Created);

    let mut by_code = created.clone();
    by_code.sort();
    assert_eq!(page(SortField::Code, false).await, by_code);
    by_code.reverse();
    assert_eq!(page(SortField::Code, true).await, by_code);

    // Uses: ALPHA 2, ECHO 1, the rest 0 in id order.
    let uses = page(SortField::Uses, true).await;
    assert_eq!(&uses[..2], ["ALPHA", "ECHO"]);
    let mut zero_uses: Vec<String> =
        created.iter().filter(|c| !["ALPHA", "ECHO"].contains(&c.as_str())).cloned().collect();
    zero_uses.reverse();
    assert_eq!(&uses[2..], zero_uses.as_slice());
    let ascending = page(SortField::Uses, false).await;
    assert_eq!(&ascending[ascending.len() - 2..], ["ECHO", "ALPHA"]);

    // Expires: DELTA first, "never" (BRAVO) latest of all.
    let mut by_expiry = made.clone();
    by_expiry.sort_by_key(|c| (c.expiration_date.is_none(), c.expiration_date, c.id));
    let expected: Vec<String> = by_expiry.iter().map(|c| c.code.clone()).collect();
    let asc = page(SortField::Expires, false).await;
    assert_eq!(asc, expected);
    assert_eq!((asc[0].as_str(), asc[asc.len() - 1].as_str()), ("DELTA", "BRAVO"));
    let mut desc = page(SortField::Expires, true).await;
    assert_eq!(desc[0], "BRAVO");
    desc.reverse();
    assert_eq!(desc, expected);
}

every!(page_sorts_by_last_use_and_uses_in_a_window, check_page_sorts_by_last_use_and_uses_in_a_window);
/// Codes never used are the least recent (last when descending); codes alike (never used, no uses in the window,
/// or used at the same instant) follow their key; ascending is the exact reverse; every page of 3 agrees with the
/// whole list; each row carries its last use and its uses in the query's window.
async fn check_page_sorts_by_last_use_and_uses_in_a_window(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    // The fixture used ALPHA twice and ECHO once at t0 + 10 minutes, two hours ago. Two days later GOLF and HOTEL
    // are used, and an hour after that GOLF again.
    let users = h.add_users("later", 2).await;
    h.clock.advance(Duration::days(2));
    let t1 = h.owner.now();
    h.base.use_code("GOLF", users[0].id).await.unwrap();
    h.base.use_code("HOTEL", users[0].id).await.unwrap();
    h.clock.advance(Duration::hours(1));
    let t2 = h.owner.now();
    h.base.use_code("GOLF", users[1].id).await.unwrap();
    h.clock.advance(Duration::minutes(5));

    let page = |sort, descending, window, offset, limit| {
        let query = CodeQuery { sort, descending, window, offset, limit, ..CodeQuery::default() };
        let owner = h.owner.clone();
        async move { owner.page_with_total(&query).await.unwrap().rows }
    };
    // Created in this order, so keyed in it too (integers, or UUIDv7).
    let never = ["INDIA", "JAXXT", "FOX_TROT", "DELTA", "CHARLIE", "BRAVO"];
    let by_last_use: Vec<&str> = ["GOLF", "HOTEL", "ECHO", "ALPHA"].into_iter().chain(never).collect();
    let day = ["GOLF", "HOTEL", "INDIA", "JAXXT", "FOX_TROT", "ECHO", "DELTA", "CHARLIE", "BRAVO", "ALPHA"];
    let week: Vec<&str> = ["GOLF", "ALPHA", "HOTEL", "ECHO"].into_iter().chain(never).collect();
    let cases: [(SortField, UsesWindow, &[&str]); 4] = [
        (SortField::LastUsed, UsesWindow::Week, &by_last_use),
        (SortField::WindowUses, UsesWindow::Day, &day),
        (SortField::WindowUses, UsesWindow::Week, &week),
        (SortField::WindowUses, UsesWindow::Month, &week),
    ];
    for (sort, window, expected) in cases {
        for descending in [true, false] {
            let mut expected = expected.to_vec();
            if !descending {
                expected.reverse();
            }
            let whole = page(sort, descending, window, 0, 100).await;
            assert_eq!(codes_of(&whole), expected, "{sort:?} {window:?} descending={descending}");
            let mut walked = Vec::new();
            for offset in (0..12).step_by(3) {
                walked.extend(codes_of(&page(sort, descending, window, offset, 3).await));
            }
            assert_eq!(walked, expected, "pages of 3: {sort:?} {window:?} descending={descending}");
        }
    }

    let rows = page(SortField::LastUsed, true, UsesWindow::Week, 0, 100).await;
    let of = |code: &str| rows.iter().find(|r| r.code.code == code).unwrap();
    assert_eq!((of("GOLF").last_used, of("GOLF").window_uses), (Some(t2), 2));
    assert_eq!((of("HOTEL").last_used, of("HOTEL").window_uses), (Some(t1), 1));
    assert_eq!((of("ALPHA").last_used, of("ALPHA").window_uses), (Some(t0() + Duration::minutes(10)), 2));
    assert_eq!((of("BRAVO").last_used, of("BRAVO").window_uses), (None, 0));
    let day_rows = page(SortField::Code, false, UsesWindow::Day, 0, 100).await;
    let uses: Vec<(String, i64)> =
        day_rows.iter().filter(|r| r.window_uses > 0).map(|r| (r.code.code.clone(), r.window_uses)).collect();
    assert_eq!(uses, [("GOLF".to_string(), 2), ("HOTEL".to_string(), 1)]);

    // A filter applies to the sorts by use as to any.
    let filtered = CodeQuery {
        filter: CodeFilter::parse("status:active").unwrap(),
        sort: SortField::LastUsed,
        limit: 3,
        ..CodeQuery::default()
    };
    assert_eq!(codes_of(&h.owner.page(&filtered).await.unwrap()), ["GOLF", "HOTEL", "ALPHA"]);
}

every!(pages_cover_the_list_without_overlap, check_pages_cover_the_list_without_overlap);
async fn check_pages_cover_the_list_without_overlap(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    for sort in SortField::ALL {
        for descending in [false, true] {
            let whole = CodeQuery { sort, descending, limit: 100, ..CodeQuery::default() };
            let expected = codes_of(&h.owner.page(&whole).await.unwrap());
            let mut walked = Vec::new();
            for offset in (0..12).step_by(3) {
                let window = CodeQuery { offset, limit: 3, ..whole.clone() };
                let page = h.owner.page_with_total(&window).await.unwrap();
                assert_eq!(page.total, 10);
                assert!(page.rows.len() <= 3);
                walked.extend(codes_of(&page.rows));
            }
            assert_eq!(walked, expected, "{sort:?} descending={descending}");
        }
    }
    let beyond = CodeQuery { offset: 50, ..CodeQuery::default() };
    assert!(h.owner.page(&beyond).await.unwrap().is_empty());
    let nothing = CodeQuery { limit: 0, ..CodeQuery::default() };
    assert!(h.owner.page(&nothing).await.unwrap().is_empty());
}

every!(filter_text_matches_codes_descriptions_and_emails, check_filter_text_matches_codes_descriptions_and_emails);
async fn check_filter_text_matches_codes_descriptions_and_emails(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    let find = |text: &str| {
        let query = CodeQuery {
            filter: CodeFilter { text: text.into(), status: None, ..Default::default() },
            sort: SortField::Code,
            descending: false,
            limit: 100,
            ..CodeQuery::default()
        };
        let owner = h.owner.clone();
        async move {
            let rows = codes_of(&owner.page(&query).await.unwrap());
            assert_eq!(owner.count(&query.filter).await.unwrap(), rows.len() as i64, "count agrees with the page");
            rows
        }
    };
    assert_eq!(find("alp").await, ["ALPHA"], "code, without case");
    assert_eq!(find("PARTNER").await, ["BRAVO"], "description, without case");
    assert_eq!(find("beneficiary@").await, ["BRAVO"], "beneficiary email");
    assert_eq!(find("admin@example").await, ["INDIA"], "creator email");
    assert_eq!(find("  ").await.len(), 10, "blank text filters nothing");
    // LIKE wildcards are plain characters.
    assert_eq!(find("X_T").await, ["FOX_TROT"]);
    assert_eq!(find("50%").await, ["GOLF"]);
    assert_eq!(find("%").await, ["GOLF"]);
    assert_eq!(find("_").await, ["FOX_TROT"]);
    assert!(find("ZULU").await.is_empty());
}

every!(field_filters_match_exactly_their_codes, check_field_filters_match_exactly_their_codes);
async fn check_field_filters_match_exactly_their_codes(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    // KILO expires in 40 days and is used now; ALPHA (2 of 5) and ECHO (1 of 1) were used 2 hours ago.
    let now = h.owner.now();
    let kilo = CodeInput { expiration: Some(Expiration::At(now + Duration::days(40))), ..CodeInput::default() };
    h.create("KILO", kilo).await;
    let user = h.add_user("kilo@example.com", None).await;
    h.base.use_code("KILO", user.id).await.unwrap();
    let find = |typed: &str| {
        let filter = CodeFilter::parse(typed).unwrap();
        let query = CodeQuery { filter, sort: SortField::Code, descending: false, limit: 100, ..CodeQuery::default() };
        let owner = h.owner.clone();
        let typed = typed.to_string();
        async move {
            let rows = codes_of(&owner.page(&query).await.unwrap());
            assert_eq!(owner.count(&query.filter).await.unwrap(), rows.len() as i64, "{typed}: count agrees");
            rows
        }
    };
    let all = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOX_TROT", "GOLF", "HOTEL", "INDIA", "JAXXT", "KILO"];
    let but = |left_out: &[&str]| all.iter().filter(|c| !left_out.contains(c)).copied().collect::<Vec<_>>();

    // Text fields: each looks in its own column only (plain "a" would match every example.com email).
    assert_eq!(find("code:a").await, ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "INDIA", "JAXXT"]);
    assert_eq!(find("code:X_T").await, ["FOX_TROT"], "LIKE wildcards are plain characters");
    assert_eq!(find("desc:\"take 50\"").await, ["GOLF", "HOTEL"]);
    assert_eq!(find("desc:\"take 50%\"").await, ["GOLF"]);
    assert_eq!(find("desc:alpha").await, ["ALPHA"]);
    assert_eq!(find("creator:ADMIN@").await, ["INDIA"]);
    assert_eq!(find("creator:owner@").await, but(&["INDIA"]));
    assert_eq!(find("beneficiary:beneficiary@").await, ["BRAVO"]);
    assert!(find("creator:beneficiary@").await.is_empty());
    assert!(find("code:partner").await.is_empty(), "a description is not a code");

    assert_eq!(find("status:limit").await, ["ECHO"]);
    assert_eq!(find("status:inactive").await, ["CHARLIE"]);
    assert_eq!(find("status:expired").await, ["DELTA"]);
    assert_eq!(find("status:active").await, but(&["CHARLIE", "DELTA", "ECHO"]));

    assert_eq!(find("uses:>1").await, ["ALPHA"]);
    assert_eq!(find("uses:>=1").await, ["ALPHA", "ECHO", "KILO"]);
    assert_eq!(find("uses:=1").await, ["ECHO", "KILO"]);
    assert_eq!(find("uses:<=1").await, but(&["ALPHA"]));
    assert_eq!(find("uses:<1").await, but(&["ALPHA", "ECHO", "KILO"]));
    assert_eq!(find("uses:0").await, but(&["ALPHA", "ECHO", "KILO"]));

    // Expiry: the fixture's codes expire 7 days after they were made (under 7 days from now), BRAVO never, DELTA
    // has expired (no comparison matches it).
    let week = but(&["BRAVO", "DELTA", "KILO"]);
    assert_eq!(find("expires:<7d").await, week);
    assert_eq!(find("expires:<=7d").await, week);
    assert_eq!(find("expiring:7d").await, week, "the on-call filter is expires:<=");
    assert!(find("expires:<1d").await.is_empty());
    assert_eq!(find("expires:>30d").await, ["BRAVO", "KILO"]);
    assert_eq!(find("expires:>=7d").await, ["BRAVO", "KILO"]);
    assert_eq!(find("expires:>41d").await, ["BRAVO"], "never is later than any span");

    // Last used: ALPHA and ECHO 2 hours ago, KILO now; a code never used has gone unused longer than any span.
    assert_eq!(find("used:<24h").await, ["ALPHA", "ECHO", "KILO"]);
    assert_eq!(find("used:<=3h").await, ["ALPHA", "ECHO", "KILO"]);
    assert_eq!(find("used:<1h").await, ["KILO"]);
    assert_eq!(find("used:>1h").await, but(&["KILO"]));
    assert_eq!(find("used:>=24h").await, but(&["ALPHA", "ECHO", "KILO"]));

    assert_eq!(find("limit:>=40%").await, ["ALPHA", "ECHO"]);
    assert_eq!(find("limit:>=50%").await, ["ECHO"]);

    // Combined, every term must hold; plain words still look everywhere.
    assert_eq!(find("code:a uses:>=1").await, ["ALPHA"]);
    assert_eq!(find("partner status:active").await, ["BRAVO"]);
    assert_eq!(find("example expires:>30d used:<1h").await, ["KILO"]);
    assert!(find("code:alpha status:limit").await.is_empty());
    // A field value longer than any text could be matches nothing, as a plain text does.
    assert!(find(&format!("code:{}", "A".repeat(1001))).await.is_empty());
}

every!(a_filter_finds_every_case_of_its_letters, check_a_filter_finds_every_case_of_its_letters);
/// "Without case" is one rule on every backend (`domain::caseless`): letters are the same when Unicode's simple
/// lower-case mapping makes them so. SQLite looks a text up in its trigram index, which folds case by an older
/// Unicode, so this also checks that the index finds every spelling the rule does, for each letter it is asked
/// about (Latin, Greek and Cyrillic), and that letters it does not know are found without it.
async fn check_a_filter_finds_every_case_of_its_letters(db: &TestDb) {
    let h = db.harness().await;
    let letters: Vec<char> = ('A'..='\u{4ff}')
        .chain(['\u{1e9e}', '\u{2126}', '\u{212a}', '\u{212b}', '\u{10a0}', '\u{1c90}', '\u{2c00}', '\u{a640}'])
        .filter(|&c| c.is_alphabetic() && caseless::same_letter(c).len() > 1)
        .collect();
    // One code a letter, described by it between two `q`s, so that a filter for it finds just its class.
    let mut csv = String::from("code,description\n");
    for (n, c) in letters.iter().enumerate() {
        csv.push_str(&format!("C{n:04},q{c}q\n"));
    }
    let plan = h.owner.check_import(csv.as_bytes(), OnConflict::Fail).await.unwrap();
    h.owner.apply_import(&plan).await.unwrap();
    let described = |c: char| {
        let mut codes: Vec<String> = caseless::same_letter(c)
            .iter()
            .filter_map(|case| letters.iter().position(|l| l == case))
            .map(|n| format!("C{n:04}"))
            .collect();
        codes.sort();
        codes
    };
    let mut missed = Vec::new();
    for &c in &letters {
        let filter = CodeFilter { text: format!("q{c}q"), status: None, ..Default::default() };
        let query = CodeQuery { filter, sort: SortField::Code, descending: false, limit: 100, ..CodeQuery::default() };
        let found = codes_of(&h.owner.page(&query).await.unwrap());
        if found != described(c) {
            missed.push(format!("{c} (U+{:04X}) found {found:?}, not {:?}", c as u32, described(c)));
        }
    }
    assert!(missed.is_empty(), "a filter for each letter finds the codes of its every case:\n{}", missed.join("\n"));
}

both!(a_quick_count_is_exact_or_a_fair_estimate, check_a_quick_count_is_exact_or_a_fair_estimate);
/// A dashboard asks `count_quickly` first: past a few thousand codes a text most codes match is estimated from a
/// sample (on SQLite, where its exact count reads every code), a rare one is counted exactly. `count` is always
/// exact.
async fn check_a_quick_count_is_exact_or_a_fair_estimate(db: &TestDb) {
    let h = db.harness().await;
    let template = CodeInput { description: "spring campaign".into(), ..CodeInput::default() };
    let input = GenerateInput { count: 6000, prefix: "SP-".into(), length: Some(8), template };
    h.owner.generate_codes(&input).await.unwrap();
    h.create("AUTUMN-1", CodeInput { description: "autumn".into(), ..CodeInput::default() }).await;
    h.create("AUTUMN-2", CodeInput { description: "autumn".into(), ..CodeInput::default() }).await;
    // A text only an email holds: its codes are found through their beneficiary.
    let partner = h.add_user("quokka.partner@example.org", None).await;
    h.create("WINTER-1", CodeInput { beneficiary: Some(partner.id), ..CodeInput::default() }).await;
    let text = |t: &str| CodeFilter { text: t.into(), status: None, ..Default::default() };
    let cases =
        [(text("spring"), 6000), (text("sp-"), 6000), (text("autumn"), 2), (text("tumn-2"), 1), (text("quokka"), 1)];
    counted_as(&h.owner, db, &cases, 10).await;
    // A common text is estimated on SQLite; a field filter without text is counted.
    let common = h.owner.count_quickly(&text("spring")).await.unwrap();
    assert_eq!(matches!(common, QuickCount::About(_)), db.backend == Backend::Sqlite, "{common:?}");
    let field = CodeFilter { uses: Some((Compare::AtLeast, 0)), status: None, ..Default::default() };
    assert_eq!(h.owner.count_quickly(&field).await.unwrap(), QuickCount::Exact(6003));
}

both!(a_recent_use_filter_is_counted_from_its_records, check_a_recent_use_filter_is_counted_from_its_records);
/// `used:<24h` that few of many codes pass is counted exactly, on SQLite from the codes of the records since then
/// (the filter's other tests still apply); a span most codes pass is estimated there, like a common text.
async fn check_a_recent_use_filter_is_counted_from_its_records(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let template = CodeInput { description: "recent".into(), max_uses: Some(10), ..CodeInput::default() };
    let input = GenerateInput { count: 6000, prefix: "R-".into(), length: Some(8), template };
    let made = h.owner.generate_codes(&input).await.unwrap();
    let users = h.add_users("r", 2).await;
    // Two codes used an hour ago, one of them since switched off; one used ten days ago; 3,000 used 40 days ago.
    let at = |ago: Duration| h.clock.set(t0() - ago);
    at(Duration::days(40));
    for code in &made[3000..] {
        h.base.use_code(&code.code, users[1].id).await.unwrap();
    }
    at(Duration::days(10));
    h.base.use_code(&made[2].code, users[0].id).await.unwrap();
    at(Duration::hours(1));
    h.base.use_code(&made[0].code, users[0].id).await.unwrap();
    h.base.use_code(&made[1].code, users[0].id).await.unwrap();
    h.clock.set(t0());
    h.owner.set_status(&Selection::Ids(vec![made[1].id]), false).await.unwrap();
    let used = |span: Duration, status: Option<CodeStatus>| CodeFilter {
        used: Some((Compare::Less, span)),
        status,
        ..Default::default()
    };
    let cases = [
        (used(Duration::hours(24), None), 2),
        (used(Duration::hours(24), Some(CodeStatus::Active)), 1),
        (used(Duration::days(30), None), 3),
        (used(Duration::days(60), None), 3003),
    ];
    counted_as(&h.owner, db, &cases, 5).await;
}

/// Each filter's `count` and `count_every` are its exact count, and `count_quickly` is too, or (only on SQLite, for
/// more than 1,000 matches) within 1/`within` of it.
async fn counted_as(service: &refcodes::Service, db: &TestDb, cases: &[(CodeFilter, i64)], within: i64) {
    for (filter, exact) in cases {
        let exact = *exact;
        assert_eq!(service.count(filter).await.unwrap(), exact, "{filter}");
        assert_eq!(service.count_every(filter).await.unwrap(), exact, "{filter}");
        match service.count_quickly(filter).await.unwrap() {
            QuickCount::Exact(n) => assert_eq!(n, exact, "{filter}"),
            QuickCount::About(n) => {
                assert!(db.backend == Backend::Sqlite && exact > 1000, "{filter}: estimated, about {n}");
                assert!((n - exact).abs() <= exact / within, "{filter}: about {n}, not {exact}");
            }
        }
    }
}

every!(dotted_capital_i_is_the_letter_i, check_dotted_capital_i_is_the_letter_i);
/// Found by the differential runner: PostgreSQL's ILIKE lowered `İ` to `i` and counted a code holding `I`, which
/// SQLite and the model did not. `İ`, `I` and `i` are now one letter everywhere.
async fn check_dotted_capital_i_is_the_letter_i(db: &TestDb) {
    let h = db.harness().await;
    h.create("ABCI12", CodeInput::default()).await;
    h.create("TURKEY", CodeInput { description: "İstanbul office".into(), ..CodeInput::default() }).await;
    for (text, expected) in [("İ", 2), ("i", 2), ("CI1", 1), ("Cİ1", 1), ("istanbul", 1), ("İST", 1), ("ı", 0)] {
        let filter = CodeFilter { text: text.into(), status: None, ..Default::default() };
        assert_eq!(h.owner.count(&filter).await.unwrap(), expected, "count of {text}");
        let query = CodeQuery { filter, limit: 100, ..CodeQuery::default() };
        assert_eq!(h.owner.page(&query).await.unwrap().len() as i64, expected, "page of {text}");
    }
}

every!(status_filter_follows_the_computed_status, check_status_filter_follows_the_computed_status);
async fn check_status_filter_follows_the_computed_status(db: &TestDb) {
    let h = db.harness().await;
    let made = fixture(&h).await;
    let now = h.owner.now();
    for status in CodeStatus::ALL {
        let filter = CodeFilter { text: String::new(), status: Some(status), ..Default::default() };
        let query = CodeQuery {
            filter: filter.clone(),
            sort: SortField::Code,
            descending: false,
            limit: 100,
            ..CodeQuery::default()
        };
        let rows = h.owner.page(&query).await.unwrap();
        let mut expected: Vec<String> = Vec::new();
        for code in &made {
            let current = h.owner.get_code(code.id).await.unwrap();
            if current.status_at(now) == status {
                expected.push(current.code);
            }
        }
        expected.sort();
        assert_eq!(codes_of(&rows), expected, "{status:?}");
        assert_eq!(h.owner.count(&filter).await.unwrap(), expected.len() as i64, "{status:?}");
        assert!(rows.iter().all(|r| r.code.status_at(now) == status));
    }
    let expired = CodeFilter { text: String::new(), status: Some(CodeStatus::Expired), ..Default::default() };
    assert_eq!(
        codes_of(&h.owner.page(&CodeQuery { filter: expired, ..CodeQuery::default() }).await.unwrap()),
        ["DELTA"]
    );
    let limit = CodeFilter { text: String::new(), status: Some(CodeStatus::LimitReached), ..Default::default() };
    assert_eq!(h.owner.count(&limit).await.unwrap(), 1, "ECHO");
    let inactive_text = CodeFilter { text: "charl".into(), status: Some(CodeStatus::Inactive), ..Default::default() };
    assert_eq!(h.owner.count(&inactive_text).await.unwrap(), 1, "text and status together");
    let active_text = CodeFilter { text: "charl".into(), status: Some(CodeStatus::Active), ..Default::default() };
    assert_eq!(h.owner.count(&active_text).await.unwrap(), 0);
}

every!(set_status_applies_to_a_selection, check_set_status_applies_to_a_selection);
async fn check_set_status_applies_to_a_selection(db: &TestDb) {
    let h = db.harness().await;
    let a = h.code("BULK-A", 5).await;
    let b = h.code("BULK-B", 5).await;
    let c = h.code("BULK-C", 5).await;
    let other = h.code("OTHER", 5).await;
    let status = |id| {
        let owner = h.owner.clone();
        async move { owner.get_code(id).await.unwrap().status }
    };

    let outcome = h.owner.set_status(&Selection::Ids(vec![a.id, b.id]), false).await.unwrap();
    assert_eq!(outcome.codes, 2);
    assert_eq!((status(a.id).await, status(b.id).await, status(c.id).await), (false, false, true));

    let inactive = CodeFilter { text: String::new(), status: Some(CodeStatus::Inactive), ..Default::default() };
    assert_eq!(h.owner.set_status(&Selection::Matching(inactive), true).await.unwrap().codes, 2);
    assert!(status(a.id).await && status(b.id).await);

    let bulk = CodeFilter { text: "bulk-".into(), status: None, ..Default::default() };
    assert_eq!(h.owner.set_status(&Selection::Matching(bulk), false).await.unwrap().codes, 3);
    assert_eq!(
        (status(a.id).await, status(b.id).await, status(c.id).await, status(other.id).await),
        (false, false, false, true)
    );

    assert_eq!(h.owner.set_status(&Selection::Ids(vec![]), true).await.unwrap().codes, 0);
    assert_eq!(h.owner.set_status(&Selection::Ids(vec![absent(other.id)]), false).await.unwrap().codes, 0);
    assert!(status(other.id).await);
}

every!(extend_expiry_counts_from_now_for_expired_codes, check_extend_expiry_counts_from_now_for_expired_codes);
async fn check_extend_expiry_counts_from_now_for_expired_codes(db: &TestDb) {
    let h = db.harness().await;
    let week = h.code("WEEK", 5).await;
    let never = h.forever_code("NEVER", 5).await;
    let hour = h
        .create(
            "HOUR",
            CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() },
        )
        .await;
    let untouched = h.code("UNTOUCHED", 5).await;
    h.clock.advance(Duration::hours(2));

    let selection = Selection::Ids(vec![week.id, never.id, hour.id]);
    h.owner.extend_expiry(&selection, Duration::days(1)).await.unwrap();
    let expiry = |id| {
        let owner = h.owner.clone();
        async move { owner.get_code(id).await.unwrap().expiration_date }
    };
    assert_eq!(expiry(week.id).await, Some(t0() + Duration::days(8)), "a future expiry moves on from itself");
    assert_eq!(expiry(never.id).await, None, "never stays never");
    assert_eq!(expiry(hour.id).await, Some(t0() + Duration::hours(2) + Duration::days(1)), "an expired one from now");
    assert_eq!(expiry(untouched.id).await, untouched.expiration_date);
    assert_eq!(h.owner.get_code(hour.id).await.unwrap().status_at(h.owner.now()), CodeStatus::Active);

    let matching = Selection::Matching(CodeFilter { text: "untouched".into(), status: None, ..Default::default() });
    assert_eq!(h.owner.extend_expiry(&matching, Duration::hours(1)).await.unwrap().codes, 1);
    assert_eq!(expiry(untouched.id).await, Some(t0() + Duration::days(7) + Duration::hours(1)));

    let before = h.snapshot().await;
    for by in [Duration::zero(), Duration::seconds(-1), Duration::days(-30)] {
        let refusal = refused(h.owner.extend_expiry(&selection, by).await, ErrorKind::Validation, "non-positive");
        assert_eq!(refusal.fields[0].field, "expiration");
    }
    assert_eq!(h.snapshot().await, before);
}

every!(delete_codes_reports_the_usage_records_it_removes, check_delete_codes_reports_the_usage_records_it_removes);
async fn check_delete_codes_reports_the_usage_records_it_removes(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    h.code("DEL-1", 10).await;
    h.code("DEL-2", 10).await;
    h.code("DEL-3", 10).await;
    let keep = h.code("KEEP-1", 10).await;
    let users = h.add_users("del", 2).await;
    for (code, user) in [("DEL-1", 0), ("DEL-1", 1), ("DEL-2", 0), ("KEEP-1", 1)] {
        h.base.use_code(code, users[user].id).await.unwrap();
    }
    let selection = Selection::Matching(CodeFilter { text: "del-".into(), status: None, ..Default::default() });
    assert_eq!(h.owner.count_selection(&selection).await.unwrap(), Tally { codes: 3, usage_records: 3 });
    assert_eq!(h.owner.delete_codes(&selection).await.unwrap(), Deleted { codes: 3, usage_records: 3 });
    assert_eq!(codes_of(&h.owner.list_codes().await.unwrap()), ["KEEP-1"]);
    assert_eq!(db.usage_rows().await, 1);
    assert_eq!(h.owner.get_code(keep.id).await.unwrap().number_of_uses, 1);
    assert_eq!(db.counter_mismatches().await, 0);
    assert_eq!(h.owner.delete_codes(&selection).await.unwrap(), Deleted { codes: 0, usage_records: 0 });
    let stats = h.owner.get_system_stats().await.unwrap();
    assert_eq!((stats.total_codes, stats.total_usage, stats.codes_with_usage), (1, 1, 1));
}

every!(admins_are_held_to_the_code_limit_owners_are_not, check_admins_are_held_to_the_code_limit_owners_are_not);
async fn check_admins_are_held_to_the_code_limit_owners_are_not(db: &TestDb) {
    let h = db.harness().await;
    let admin = h.admin().await;
    let limit = h.owner.get_config().await.unwrap().max_number_of_codes_per_user;
    assert_eq!(limit, 10);
    for i in 0..limit {
        let input =
            CodeInput { code: Some(format!("ADM-{i}")), description: "Admin code".into(), ..CodeInput::default() };
        admin.create_code(&input).await.unwrap();
    }
    let before = h.snapshot().await;
    let eleventh = CodeInput { code: Some("ADM-X".into()), description: "One too many".into(), ..CodeInput::default() };
    let refusal = refused(admin.create_code(&eleventh).await, ErrorKind::NotAuthorized, "11th code");
    assert!(refusal.message.contains("max_number_of_codes_per_user"), "{}", refusal.message);
    let generate = GenerateInput { count: 1, prefix: String::new(), length: None, template: eleventh.clone() };
    refused(admin.generate_codes(&generate).await, ErrorKind::NotAuthorized, "generate past the limit");
    assert_eq!(h.snapshot().await, before);

    // The Owner is not limited.
    for i in 0..limit + 5 {
        h.code(&format!("OWN-{i}"), 5).await;
    }
    let owner_gen = GenerateInput { count: 5, prefix: "OG-".into(), length: None, template: eleventh.clone() };
    assert_eq!(h.owner.generate_codes(&owner_gen).await.unwrap().len(), 5);

    // Raising the setting lets the admin make exactly that many; a batch that would pass it is refused whole.
    h.owner.set_setting(SettingKey::MaxCodesPerUser, "13").await.unwrap();
    let batch = GenerateInput { count: 4, prefix: "AG-".into(), length: None, template: eleventh.clone() };
    refused(admin.generate_codes(&batch).await, ErrorKind::NotAuthorized, "batch past the limit");
    let batch = GenerateInput { count: 3, ..batch };
    assert_eq!(admin.generate_codes(&batch).await.unwrap().len(), 3);
    refused(admin.create_code(&eleventh).await, ErrorKind::NotAuthorized, "at the raised limit");
    let mine = CodeFilter { text: ADMIN_EMAIL.into(), status: None, ..Default::default() };
    assert_eq!(h.owner.count(&mine).await.unwrap(), 13);
}

every!(max_uses_is_bounded_by_the_setting, check_max_uses_is_bounded_by_the_setting);
async fn check_max_uses_is_bounded_by_the_setting(db: &TestDb) {
    let h = db.harness().await;
    let input = |code: &str, max_uses| CodeInput {
        code: Some(code.into()),
        description: "Big".into(),
        max_uses: Some(max_uses),
        ..CodeInput::default()
    };
    assert_eq!(h.owner.create_code(&input("HUNDRED", 100)).await.unwrap().max_uses, 100);
    let refusal = refused(h.owner.create_code(&input("BIG", 101)).await, ErrorKind::Validation, "101");
    assert_eq!(refusal.fields[0].field, "max_uses");
    assert!(refusal.fields[0].message.contains("max_number_of_uses_per_code"), "{}", refusal.fields[0].message);

    h.owner.set_setting(SettingKey::MaxUsesPerCode, "500").await.unwrap();
    assert_eq!(h.owner.create_code(&input("BIG", 500)).await.unwrap().max_uses, 500);
    refused(h.owner.create_code(&input("BIGGER", 501)).await, ErrorKind::Validation, "501");

    // Lowering the setting leaves existing codes alone; an edit that keeps max_uses passes.
    h.owner.set_setting(SettingKey::MaxUsesPerCode, "50").await.unwrap();
    let big = h.owner.find_code("BIG").await.unwrap();
    assert_eq!(big.max_uses, 500);
    let keep = CodeChanges { max_uses: Some(500), description: Some("Still big".into()), ..CodeChanges::default() };
    assert_eq!(h.owner.update_code(&big, &keep).await.unwrap().description, "Still big");
    let raise = CodeChanges { max_uses: Some(501), ..CodeChanges::default() };
    refused(h.owner.update_code(&big, &raise).await, ErrorKind::Validation, "raise past the setting");
}

every!(list_valid_codes_includes_never_expiring_ones, check_list_valid_codes_includes_never_expiring_ones);
async fn check_list_valid_codes_includes_never_expiring_ones(db: &TestDb) {
    let h = db.harness().await;
    fixture(&h).await;
    let valid: Vec<String> = h.owner.list_valid_codes().await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(valid, ["ALPHA", "BRAVO", "FOX_TROT", "GOLF", "HOTEL", "INDIA", "JAXXT"]);
    let now = h.owner.now();
    for code in h.owner.list_valid_codes().await.unwrap() {
        assert!(code.valid_for_use(now), "{}", code.code);
    }
    // Past the default week only the never-expiring code is left.
    h.clock.advance(Duration::days(30));
    let valid: Vec<String> = h.owner.list_valid_codes().await.unwrap().into_iter().map(|c| c.code).collect();
    assert_eq!(valid, ["BRAVO"]);
}

both!(bulk_work_is_all_or_nothing_for_readers, check_bulk_work_is_all_or_nothing_for_readers);
/// A generate and a delete large enough to run as jobs of short transactions on SQLite: a reader counting all the
/// while sees none of their codes or all, never part; the delete counts exactly what it removed.
async fn check_bulk_work_is_all_or_nothing_for_readers(db: &TestDb) {
    const BULK: usize = 5000;
    let h = db.harness().await;
    h.enable_system().await;
    h.code("KEEP", 5).await;
    let ada = h.add_user("ada@example.com", None).await;
    let template = CodeInput { description: "bulk".into(), ..CodeInput::default() };
    let input = GenerateInput { count: BULK, prefix: "BULK-".into(), length: Some(8), template };
    let reading = counting(&h.owner);
    let created = h.owner.generate_codes(&input).await.unwrap();
    let seen = reading.stop().await;
    assert!(seen.iter().all(|n| [1, 1 + BULK as i64].contains(n)), "counts seen during the generate: {seen:?}");
    assert_eq!(h.owner.count(&CodeFilter::default()).await.unwrap(), 1 + BULK as i64);

    h.base.use_code("KEEP", ada.id).await.unwrap();
    h.base.use_code(&created[7].code, ada.id).await.unwrap();
    let selection = Selection::Matching(CodeFilter { text: "bulk".into(), ..CodeFilter::default() });
    let reading = counting(&h.owner);
    let deleted = h.owner.delete_codes(&selection).await.unwrap();
    let seen = reading.stop().await;
    assert_eq!(deleted, Deleted { codes: BULK as i64, usage_records: 1 });
    assert!(seen.iter().all(|n| [1, 1 + BULK as i64].contains(n)), "counts seen during the delete: {seen:?}");
    let stats = h.owner.get_system_stats().await.unwrap();
    assert_eq!((stats.total_codes, stats.total_usage), (1, 1));
}

/// A reader counting every code over and over until stopped; returns the distinct counts it saw.
fn counting(service: &refcodes::Service) -> Counting {
    let (service, stop) = (service.clone(), std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let mut seen = std::collections::BTreeSet::new();
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            seen.insert(service.count(&CodeFilter::default()).await.unwrap());
        }
        seen
    });
    Counting { stop, task }
}

struct Counting {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<std::collections::BTreeSet<i64>>,
}

impl Counting {
    async fn stop(self) -> std::collections::BTreeSet<i64> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.task.await.unwrap()
    }
}

every!(an_edit_of_a_changed_code_is_a_conflict, check_an_edit_of_a_changed_code_is_a_conflict);
async fn check_an_edit_of_a_changed_code_is_a_conflict(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let opened = h.code("SHARED", 10).await;
    // Two admins open the same code; the first saves.
    let first = CodeChanges { description: Some("First admin".into()), ..CodeChanges::default() };
    let saved = h.owner.update_code_if_unchanged(&opened, &first).await.unwrap();
    assert_eq!(saved.description, "First admin");
    assert_ne!(saved.version(), opened.version(), "an edit makes another version");

    let second = CodeChanges { description: Some("Second admin".into()), ..CodeChanges::default() };
    let refusal =
        refused(h.owner.update_code_if_unchanged(&opened, &second).await, ErrorKind::Conflict, "a stale edit");
    assert_eq!(refusal.fields.len(), 1, "{refusal:?}");
    assert_eq!(refusal.fields[0].field, "description");
    assert!(
        refusal.fields[0].message.contains("\"First admin\"")
            && refusal.fields[0].message.contains("\"Test code SHARED\""),
        "both values: {refusal:?}"
    );
    assert_eq!(h.owner.get_code(opened.id).await.unwrap().description, "First admin", "nothing was written");

    // A redemption is no edit: the code read before it still saves.
    let fresh = h.owner.get_code(opened.id).await.unwrap();
    let user = h.add_user("user@example.com", None).await;
    h.base.use_code("SHARED", user.id).await.unwrap();
    let third = CodeChanges { max_uses: Some(20), ..CodeChanges::default() };
    let saved = h.owner.update_code_if_unchanged(&fresh, &third).await.unwrap();
    assert_eq!((saved.max_uses, saved.number_of_uses), (20, 1));
    assert_eq!(saved.version(), h.owner.get_code(opened.id).await.unwrap().version(), "read back, the same version");

    // Overwriting is saving over the code as it is now.
    let now = h.owner.get_code(opened.id).await.unwrap();
    assert_eq!(h.owner.update_code_if_unchanged(&now, &second).await.unwrap().description, "Second admin");

    // The plain update still lets the last write win.
    assert_eq!(h.owner.update_code(&opened, &first).await.unwrap().description, "First admin");
}

every!(bulk_values_set_expiry_and_max_uses_in_one_go, check_bulk_values_set_expiry_and_max_uses_in_one_go);
async fn check_bulk_values_set_expiry_and_max_uses_in_one_go(db: &TestDb) {
    let h = db.harness().await;
    let a = h.code("VALUE-A", 10).await;
    let b = h.forever_code("VALUE-B", 10).await;
    let other = h.code("OTHER", 10).await;
    let both = Selection::Ids(vec![a.id, b.id]);

    let at = t0() + Duration::days(30);
    assert_eq!(h.owner.set_expiry(&both, Some(at)).await.unwrap().codes, 2);
    for id in [a.id, b.id] {
        assert_eq!(h.owner.get_code(id).await.unwrap().expiration_date, Some(at), "never-expiring ones too");
    }
    assert_eq!(h.owner.get_code(other.id).await.unwrap(), other, "only the selection");
    assert_eq!(h.owner.set_expiry(&both, None).await.unwrap().codes, 2);
    assert_eq!(h.owner.get_code(a.id).await.unwrap().expiration_date, None, "never");
    let past = refused(h.owner.set_expiry(&both, Some(t0())).await, ErrorKind::Validation, "a past expiry");
    assert_eq!(past.fields[0].field, "expiration");

    assert_eq!(h.owner.set_max_uses(&both, 50).await.unwrap().codes, 2);
    assert_eq!(h.owner.get_code(b.id).await.unwrap().max_uses, 50);
    let over = refused(h.owner.set_max_uses(&both, 101).await, ErrorKind::Validation, "past the setting (100)");
    assert_eq!(over.fields[0].field, "max_uses");
    refused(h.owner.set_max_uses(&both, 0).await, ErrorKind::Validation, "zero uses");
    assert_eq!(h.owner.get_code(a.id).await.unwrap().max_uses, 50, "a refusal writes nothing");
}

every!(reactivate_activates_and_extends_the_same_codes, check_reactivate_activates_and_extends_the_same_codes);
async fn check_reactivate_activates_and_extends_the_same_codes(db: &TestDb) {
    let h = db.harness().await;
    let hour = CodeInput {
        expiration: Some(Expiration::At(t0() + Duration::hours(1))),
        inactive: true,
        ..CodeInput::default()
    };
    let lapsed = h.create("LAPSED", hour.clone()).await;
    let other = h.create("OTHER-LAPSED", hour).await;
    h.clock.advance(Duration::hours(2));
    let now = h.owner.now();
    assert_eq!(lapsed.status_at(now), CodeStatus::Inactive);

    let one = Selection::Ids(vec![lapsed.id]);
    assert_eq!(h.owner.reactivate(&one, Duration::days(7)).await.unwrap().codes, 1);
    let back = h.owner.get_code(lapsed.id).await.unwrap();
    assert_eq!((back.status_at(now), back.expiration_date), (CodeStatus::Active, Some(now + Duration::days(7))));

    // Selected by a filter the first change leaves (inactive): the second still changes the same codes.
    let inactive = Selection::Matching(CodeFilter { status: Some(CodeStatus::Inactive), ..CodeFilter::default() });
    assert_eq!(h.owner.reactivate(&inactive, Duration::days(1)).await.unwrap().codes, 1);
    let other = h.owner.get_code(other.id).await.unwrap();
    assert_eq!((other.status, other.expiration_date), (true, Some(now + Duration::days(1))));
    refused(h.owner.reactivate(&one, Duration::zero()).await, ErrorKind::Validation, "a zero extension");
}

every!(bulk_values_set_beneficiary_and_description, check_bulk_values_set_beneficiary_and_description);
async fn check_bulk_values_set_beneficiary_and_description(db: &TestDb) {
    let h = db.harness().await;
    let a = h.code("BEN-A", 10).await;
    let b = h.code("BEN-B", 10).await;
    let other = h.code("BEN-OTHER", 10).await;
    let both = Selection::Ids(vec![a.id, b.id]);
    let ben = h.add_user("ben@example.com", None).await;

    assert_eq!(h.owner.set_beneficiary(&both, Some(ben.id)).await.unwrap().codes, 2);
    let rows = h.owner.list_codes().await.unwrap();
    let email = |code: &str| rows.iter().find(|r| r.code.code == code).unwrap().beneficiary_email.clone();
    assert_eq!(email("BEN-A").as_deref(), Some("ben@example.com"), "read back through the users table");
    assert_eq!(email("BEN-B").as_deref(), Some("ben@example.com"));
    assert_eq!(email("BEN-OTHER"), None);
    assert_eq!(h.owner.set_beneficiary(&both, None).await.unwrap().codes, 2);
    assert_eq!(h.owner.get_code(a.id).await.unwrap().beneficiary, None);
    let missing = refcodes::domain::UserId::from(999_999);
    refused(h.owner.set_beneficiary(&both, Some(missing)).await, ErrorKind::UserNotFound, "no such user");

    assert_eq!(h.owner.set_description(&both, "  Autumn push ").await.unwrap().codes, 2);
    assert_eq!(h.owner.get_code(b.id).await.unwrap().description, "Autumn push", "trimmed as the form does");
    assert_eq!(h.owner.get_code(other.id).await.unwrap(), other);
    let bad = refused(h.owner.set_description(&both, "a\u{7}b").await, ErrorKind::Validation, "a control char");
    assert_eq!(bad.fields[0].field, "description");
}

every!(an_expiry_filter_reads_the_same_windows_from_the_first_codes, check_an_expiry_filter_reads_the_same_windows);
async fn check_an_expiry_filter_reads_the_same_windows(db: &TestDb) {
    let h = db.harness().await;
    let now = h.owner.now();
    // Every other code expires within the week: windows of the filter are found among the first codes of the
    // sort's order on SQLite (a probe), and must be the very windows of the whole sorted list.
    let mut soon = Vec::new();
    for i in 0..30 {
        let days = if i % 2 == 0 { 3 } else { 40 };
        let code = format!("EXP{i:02}");
        let input = CodeInput { expiration: Some(Expiration::At(now + Duration::days(days))), ..CodeInput::default() };
        h.create(&code, input).await;
        if days == 3 {
            soon.push(code);
        }
    }
    let filter = CodeFilter::parse("expires:<7d").unwrap();
    let mut read = Vec::new();
    for offset in (0..20).step_by(5) {
        let query = CodeQuery {
            filter: filter.clone(),
            sort: SortField::Code,
            descending: true,
            limit: 5,
            offset,
            ..CodeQuery::default()
        };
        read.extend(codes_of(&h.owner.page(&query).await.unwrap()));
    }
    soon.reverse();
    assert_eq!(read, soon, "windows in order, none skipped or repeated, nothing past the last");
}

every!(count_expired_counts_every_selected_code_past_its_expiry, check_count_expired_counts_every_selected_code);
async fn check_count_expired_counts_every_selected_code(db: &TestDb) {
    let h = db.harness().await;
    let hour = h
        .create(
            "HOUR",
            CodeInput { expiration: Some(Expiration::At(t0() + Duration::hours(1))), ..CodeInput::default() },
        )
        .await;
    let off = h
        .create(
            "OFF",
            CodeInput {
                expiration: Some(Expiration::At(t0() + Duration::hours(1))),
                inactive: true,
                ..CodeInput::default()
            },
        )
        .await;
    let week = h.code("WEEK", 5).await;
    let never = h.forever_code("NEVER", 5).await;
    h.clock.advance(Duration::hours(2));

    let all = Selection::Ids(vec![hour.id, off.id, week.id, never.id]);
    assert_eq!(h.owner.count_expired(&all).await.unwrap(), 2, "an inactive code past its expiry counts too");
    assert_eq!(h.owner.count_expired(&Selection::Ids(vec![week.id, never.id])).await.unwrap(), 0);
    let matching = Selection::Matching(CodeFilter { text: "o".into(), ..Default::default() });
    assert_eq!(h.owner.count_expired(&matching).await.unwrap(), 2, "HOUR and OFF of HOUR, OFF, NEVER");
}
