//! Hostile input never panics, never reaches SQL as SQL, and never writes half: empty and 1 MB strings, non-ASCII,
//! control characters, SQL-looking text, LIKE wildcards, extreme numbers and past or far dates, for every call that
//! takes them. After each refusal the data is unchanged.

#[macro_use]
mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::*;
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{CodeFilter, CodeId, CodeQuery, ErrorKind, Selection, UserId};
use refcodes::service::{NewUserInput, Registration};

const MB: usize = 1 << 20;

/// Strings that have broken services before.
fn nasty() -> Vec<String> {
    let mut all: Vec<String> = [
        "",
        " ",
        "\t\n",
        "ÜBER-ÇODE",
        "日本語コード",
        "emoji 🎉",
        "\0",
        "a\0b",
        "\u{7}\u{1b}[31m",
        "line\nbreak",
        "'; DROP TABLE phoenix_kit_referral_codes; --",
        "Robert'); DROP TABLE phoenix_kit_users;--",
        "\" OR 1=1 --",
        "%",
        "_",
        "\\",
        "%_%",
        "$1",
        "?",
        "\u{202e}rtl",
        "\u{feff}BOM",
    ]
    .map(String::from)
    .to_vec();
    all.push("x".repeat(MB));
    all.push("é".repeat(MB / 2));
    all
}

/// Short enough to print in a failure message.
fn shown(text: &str) -> String {
    if text.len() > 40 {
        format!("{:?}… ({} bytes)", &text[..text.floor_char_boundary(40)], text.len())
    } else {
        format!("{text:?}")
    }
}

/// A format character (Unicode's category Cf: zero-width and direction marks), told by a crate of its own, not by
/// the rule under test. No text field takes one, wherever it stands.
fn format_char(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

/// The description rule, restated: no format characters; trimmed, 1 to 255 characters, no control characters.
fn valid_description(raw: &str) -> Option<String> {
    let text = raw.trim();
    let n = text.chars().count();
    ((1..=255).contains(&n) && !text.chars().any(char::is_control) && !raw.chars().any(format_char))
        .then(|| text.to_string())
}

/// The name rule, restated: no format characters; blank is none; otherwise trimmed, at most 100 characters, no
/// control characters.
fn valid_name(raw: &str) -> Result<Option<String>, ()> {
    if raw.chars().any(format_char) {
        return Err(());
    }
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > 100 || text.chars().any(char::is_control) { Err(()) } else { Ok(Some(text.to_string())) }
}

async fn tables_intact(db: &TestDb) {
    for table in [
        "phoenix_kit_referral_codes",
        "phoenix_kit_referral_code_usage",
        "phoenix_kit_users",
        "phoenix_kit_settings",
        "phoenix_kit_user_roles",
        "phoenix_kit_user_role_assignments",
    ] {
        db.count(&format!("SELECT count(*) FROM {table}")).await;
    }
    // PhoenixKit seeds SupportAgent too (from V35).
    let roles = if db.shape().is_some() { 4 } else { 3 };
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_user_roles").await, roles);
}

every!(create_code_takes_no_bad_code_text, check_create_code_takes_no_bad_code_text);
async fn check_create_code_takes_no_bad_code_text(db: &TestDb) {
    let h = db.harness().await;
    h.code("EXISTING", 5).await;
    let before = h.snapshot().await;
    for text in nasty() {
        let input = CodeInput { code: Some(text.clone()), description: "Fine".into(), ..CodeInput::default() };
        let refusal = refused(h.owner.create_code(&input).await, ErrorKind::Validation, &shown(&text));
        assert_eq!(refusal.fields.iter().map(|f| f.field).collect::<Vec<_>>(), ["code"], "{}", shown(&text));
        assert!(refusal.message.len() < 1000, "the message does not echo 1 MB back");
    }
    assert_eq!(h.snapshot().await, before);
    tables_intact(db).await;
}

every!(descriptions_are_stored_verbatim_or_refused, check_descriptions_are_stored_verbatim_or_refused);
async fn check_descriptions_are_stored_verbatim_or_refused(db: &TestDb) {
    let h = db.harness().await;
    let mut texts = nasty();
    texts.push("é".repeat(255));
    texts.push("é".repeat(256));
    for (i, text) in texts.iter().enumerate() {
        let before = h.snapshot().await;
        let input = CodeInput { code: Some(format!("D-{i}")), description: text.clone(), ..CodeInput::default() };
        let result = h.owner.create_code(&input).await;
        match valid_description(text) {
            Some(clean) => {
                let code = result.unwrap_or_else(|e| panic!("{}: {e:?}", shown(text)));
                assert_eq!(code.description, clean);
                assert_eq!(h.owner.get_code(code.id).await.unwrap().description, clean, "{}", shown(text));
            }
            None => {
                let refusal = refused(result, ErrorKind::Validation, &shown(text));
                assert_eq!(refusal.fields[0].field, "description");
                assert_eq!(h.snapshot().await, before, "{}", shown(text));
            }
        }
    }
    // SQL in a description is only text.
    let sql = h.owner.find_code("D-10").await.unwrap();
    assert_eq!(sql.description, "'; DROP TABLE phoenix_kit_referral_codes; --");
    let filter = CodeFilter { text: "DROP TABLE".into(), status: None, ..Default::default() };
    assert_eq!(h.owner.count(&filter).await.unwrap(), 2);
    tables_intact(db).await;
}

/// Numbers and dates no code may have.
fn bad_numbers() -> Vec<i64> {
    vec![i64::MIN, -1, 0, 101, i64::from(i32::MAX), i64::from(i32::MAX) + 1, i64::MAX]
}

fn past_dates() -> Vec<DateTime<Utc>> {
    vec![t0() - Duration::milliseconds(1), t0(), t0() - Duration::days(365 * 100), DateTime::<Utc>::MIN_UTC]
}

every!(create_code_takes_no_bad_numbers_or_dates, check_create_code_takes_no_bad_numbers_or_dates);
async fn check_create_code_takes_no_bad_numbers_or_dates(db: &TestDb) {
    let h = db.harness().await;
    let before = h.snapshot().await;
    let base = CodeInput { code: Some("NUMBERS".into()), description: "Numbers".into(), ..CodeInput::default() };
    for n in bad_numbers() {
        let input = CodeInput { max_uses: Some(n), ..base.clone() };
        let refusal = refused(h.owner.create_code(&input).await, ErrorKind::Validation, &n.to_string());
        assert_eq!(refusal.fields[0].field, "max_uses");
    }
    for at in past_dates() {
        let input = CodeInput { expiration: Some(Expiration::At(at)), ..base.clone() };
        let refusal = refused(h.owner.create_code(&input).await, ErrorKind::Validation, &at.to_string());
        assert_eq!(refusal.fields[0].field, "expiration");
    }
    for id in [i64::MIN, -1, 0, i64::MAX] {
        let input = CodeInput { beneficiary: Some(UserId::from(id)), ..base.clone() };
        refused(h.owner.create_code(&input).await, ErrorKind::UserNotFound, &id.to_string());
    }
    assert_eq!(h.snapshot().await, before);

    // The largest limit the setting allows is fine.
    h.owner.set_setting(SettingKey::MaxUsesPerCode, "10000").await.unwrap();
    let input = CodeInput { max_uses: Some(10_000), ..base.clone() };
    assert_eq!(h.owner.create_code(&input).await.unwrap().max_uses, 10_000);
}

every!(far_future_expirations_are_kept_or_refused, check_far_future_expirations_are_kept_or_refused);
async fn check_far_future_expirations_are_kept_or_refused(db: &TestDb) {
    let h = db.harness().await;
    let last_second = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let input = |code: &str, at| CodeInput {
        code: Some(code.into()),
        description: "Far".into(),
        expiration: Some(Expiration::At(at)),
        ..CodeInput::default()
    };
    let far = h.owner.create_code(&input("FAR", last_second)).await.unwrap();
    assert_eq!(h.owner.get_code(far.id).await.unwrap().expiration_date, Some(last_second));
    assert!(h.owner.get_code(far.id).await.unwrap().valid_for_use(h.owner.now()));
    // The database agrees that it is usable, not expired.
    let usable = |code: refcodes::domain::ReferralCode| {
        let owner = h.owner.clone();
        async move {
            let valid = owner.list_valid_codes().await.unwrap().iter().any(|c| c.id == code.id);
            let filter = CodeFilter {
                text: code.code.clone(),
                status: Some(refcodes::domain::CodeStatus::Active),
                ..Default::default()
            };
            valid && owner.count(&filter).await.unwrap() == 1
        }
    };
    assert!(usable(far.clone()).await);

    // Beyond year 9999 an expiration is refused, or stored and read back intact: never a list that breaks.
    let beyond = [Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(), DateTime::<Utc>::MAX_UTC];
    for (i, at) in beyond.into_iter().enumerate() {
        let before = h.snapshot().await;
        match h.owner.create_code(&input(&format!("BEYOND-{i}"), at)).await {
            Ok(code) => {
                let read = h.owner.get_code(code.id).await.unwrap();
                assert_eq!(read.expiration_date, code.expiration_date);
                assert!(read.valid_for_use(h.owner.now()), "{at}: a far expiration is not a past one");
                assert!(usable(read).await, "{at}: the database must not read it as expired");
            }
            Err(e) => {
                assert_eq!(e.kind(), Some(ErrorKind::Validation), "{at}: {e:?}");
                assert_eq!(h.snapshot().await, before);
            }
        }
        h.owner.list_codes().await.expect("the list still reads");
        h.owner.list_valid_codes().await.expect("valid codes still read");
    }
}

every!(update_code_takes_no_bad_input, check_update_code_takes_no_bad_input);
async fn check_update_code_takes_no_bad_input(db: &TestDb) {
    let h = db.harness().await;
    let code = h.code("TARGET", 5).await;
    let before = h.snapshot().await;
    let mut tries: Vec<(String, CodeChanges, &str, ErrorKind)> = Vec::new();
    for text in nasty() {
        tries.push((
            shown(&text),
            CodeChanges { code: Some(text.clone()), ..CodeChanges::default() },
            "code",
            ErrorKind::Validation,
        ));
        if valid_description(&text).is_none() {
            let changes = CodeChanges { description: Some(text.clone()), ..CodeChanges::default() };
            tries.push((shown(&text), changes, "description", ErrorKind::Validation));
        }
    }
    for n in bad_numbers() {
        tries.push((
            n.to_string(),
            CodeChanges { max_uses: Some(n), ..CodeChanges::default() },
            "max_uses",
            ErrorKind::Validation,
        ));
    }
    for at in past_dates() {
        let changes = CodeChanges { expiration: Some(Expiration::At(at)), ..CodeChanges::default() };
        tries.push((at.to_string(), changes, "expiration", ErrorKind::Validation));
    }
    for id in [i64::MIN, -1, 0, i64::MAX] {
        let changes = CodeChanges { beneficiary: Some(Some(UserId::from(id))), ..CodeChanges::default() };
        tries.push((id.to_string(), changes, "beneficiary", ErrorKind::UserNotFound));
    }
    for (what, changes, field, kind) in tries {
        let refusal = refused(h.owner.update_code(&code, &changes).await, kind, &what);
        if kind == ErrorKind::Validation {
            assert_eq!(refusal.fields[0].field, field, "{what}");
        }
    }
    assert_eq!(h.snapshot().await, before);

    // Accepted odd descriptions are stored as given.
    for text in nasty().into_iter().filter(|t| valid_description(t).is_some()) {
        let current = h.owner.get_code(code.id).await.unwrap();
        let changes = CodeChanges { description: Some(text.clone()), ..CodeChanges::default() };
        let updated = h.owner.update_code(&current, &changes).await.unwrap();
        assert_eq!(updated.description, text.trim());
        assert_eq!(h.owner.get_code(code.id).await.unwrap().description, text.trim());
    }
    tables_intact(db).await;
}

both!(add_user_takes_no_bad_input, check_add_user_takes_no_bad_input);
async fn check_add_user_takes_no_bad_input(db: &TestDb) {
    let h = db.harness().await;
    let before = h.snapshot().await;
    let mut bad_emails = nasty();
    bad_emails.extend(["a@", "@b.c", "a@b@c.d", "a b@c.d", "a@.c", "tab\t@x.com", "nul\0@x.com"].map(String::from));
    bad_emails.push(format!("{}@example.com", "x".repeat(MB)));
    for email in &bad_emails {
        let input = NewUserInput { email: email.clone(), ..NewUserInput::default() };
        let refusal = refused(h.owner.add_user(&input).await, ErrorKind::Validation, &shown(email));
        assert_eq!(refusal.fields[0].field, "email");
    }
    assert_eq!(h.snapshot().await, before);

    // Names: refused whole, or stored exactly as the rule says.
    for (i, text) in nasty().iter().enumerate() {
        let before = h.snapshot().await;
        let email = format!("name{i}@example.com");
        let input = NewUserInput {
            email: email.clone(),
            username: Some(text.clone()),
            first_name: Some(text.clone()),
            last_name: Some(text.clone()),
            role: None,
        };
        let result = h.owner.add_user(&input).await;
        match valid_name(text) {
            Ok(clean) => {
                let user = result.unwrap_or_else(|e| panic!("{}: {e:?}", shown(text))).user;
                let read = h.owner.get_user(user.id).await.unwrap().expect("stored");
                assert_eq!(
                    (&read.username, &read.first_name, &read.last_name),
                    (&clean, &clean, &clean),
                    "{}",
                    shown(text)
                );
            }
            Err(()) => {
                let refusal = refused(result, ErrorKind::Validation, &shown(text));
                assert_eq!(
                    refusal.fields.iter().map(|f| f.field).collect::<Vec<_>>(),
                    ["username", "first_name", "last_name"]
                );
                assert_eq!(h.snapshot().await, before, "{}", shown(text));
            }
        }
    }

    // Odd but valid emails are stored literally and found again without case.
    for email in ["o'brien@example.com", "x'--@example.com", "ünïcode@exämple.com", "100%_off@example.com"] {
        let user = h.add_user(email, None).await;
        assert_eq!(user.email, email);
        let upper = email.to_uppercase();
        assert_eq!(h.owner.find_user_by_email(&upper).await.unwrap().map(|u| u.id), Some(user.id), "{upper}");
        assert_eq!(h.owner.resolve_user(&upper).await.unwrap().id, user.id, "{upper}");
        let again = NewUserInput { email: upper.clone(), ..NewUserInput::default() };
        refused(h.owner.add_user(&again).await, ErrorKind::EmailTaken, &upper);
    }
    tables_intact(db).await;
}

both!(register_takes_no_bad_input, check_register_takes_no_bad_input);
async fn check_register_takes_no_bad_input(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("GOOD", 100).await;
    for (i, text) in nasty().iter().enumerate() {
        let before = h.snapshot().await;
        // A bad email never gets as far as the code.
        let bad_user = Registration {
            user: NewUserInput { email: text.clone(), ..NewUserInput::default() },
            code: Some("GOOD".into()),
        };
        refused(h.base.register(&bad_user).await, ErrorKind::Validation, &shown(text));
        assert_eq!(h.snapshot().await, before, "{}", shown(text));

        // A bad code with a good user: blank is no code (optional mode), anything else is not found and leaves no user.
        let email = format!("reg{i}@example.com");
        let good_user = Registration {
            user: NewUserInput { email: email.clone(), ..NewUserInput::default() },
            code: Some(text.clone()),
        };
        let result = h.base.register(&good_user).await;
        if text.trim().is_empty() {
            let registered = result.unwrap_or_else(|e| panic!("{}: {e:?}", shown(text)));
            assert_eq!(registered.usage, None);
        } else {
            refused(result, ErrorKind::CodeNotFound, &shown(text));
            assert_eq!(h.snapshot().await, before, "{}", shown(text));
            assert_eq!(h.owner.find_user_by_email(&email).await.unwrap(), None);
        }
    }
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 0);
    tables_intact(db).await;
}

every!(use_code_takes_no_bad_input, check_use_code_takes_no_bad_input);
async fn check_use_code_takes_no_bad_input(db: &TestDb) {
    let h = db.harness().await;
    let code = h.code("GOOD", 100).await;
    let user = h.add_user("user@example.com", None).await;
    let before = h.snapshot().await;
    for text in nasty() {
        refused(h.base.use_code(&text, user.id).await, ErrorKind::SystemDisabled, &shown(&text));
    }
    h.enable_system().await;
    let before_enabled = h.snapshot().await;
    for text in nasty() {
        let refusal = refused(h.base.use_code(&text, user.id).await, ErrorKind::CodeNotFound, &shown(&text));
        assert!(refusal.message.len() < 200 && !refusal.message.contains('\n'), "one short line: {}", refusal.message);
        assert_eq!(h.owner.get_code_by_string(&text).await.unwrap(), None, "{}", shown(&text));
        refused(h.owner.find_code(&text).await, ErrorKind::CodeNotFound, &shown(&text));
    }
    for id in [i64::MIN, -1, 0, i64::MAX] {
        refused(h.base.use_code("GOOD", UserId::from(id)).await, ErrorKind::UserNotFound, &id.to_string());
        assert!(!h.owner.user_used_code(UserId::from(id), code.id).await.unwrap());
    }
    assert_eq!(h.snapshot().await, before_enabled);
    assert_eq!(before_enabled.codes, before.codes);
    assert_eq!(h.owner.get_code(code.id).await.unwrap().number_of_uses, 0);
    tables_intact(db).await;
}

both!(search_users_takes_wildcards_literally, check_search_users_takes_wildcards_literally);
async fn check_search_users_takes_wildcards_literally(db: &TestDb) {
    let h = db.harness().await;
    for email in
        ["percent%sign@example.com", "under_score@example.com", "back\\slash@example.com", "o'brien@example.com"]
    {
        h.add_user(email, None).await;
    }
    let plain = NewUserInput {
        email: "plain@example.com".into(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        username: Some("ünïcode".into()),
        role: None,
    };
    h.owner.add_user(&plain).await.unwrap();
    let search = |text: &str, limit: i64| {
        let owner = h.owner.clone();
        let text = text.to_string();
        async move {
            let found = owner.search_users(&text, limit).await.unwrap_or_else(|e| panic!("{}: {e:?}", shown(&text)));
            found.into_iter().map(|u| u.user.email).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("%", 50).await, ["percent%sign@example.com"]);
    assert_eq!(search("_", 50).await, ["under_score@example.com"]);
    assert_eq!(search("\\", 50).await, ["back\\slash@example.com"]);
    assert_eq!(search("'", 50).await, ["o'brien@example.com"]);
    assert_eq!(search("t%s", 50).await, ["percent%sign@example.com"]);
    assert!(search("%_%", 50).await.is_empty());
    assert!(search("r_x", 50).await.is_empty(), "_ is not any one character");
    assert_eq!(search("ada love", 50).await, ["plain@example.com"], "first and last name together");
    assert_eq!(search("ünï", 50).await, ["plain@example.com"], "non-ASCII text");
    assert_eq!(search("PERCENT", 50).await, ["percent%sign@example.com"], "without case");
    assert_eq!(search("", 50).await.len(), 6, "blank searches everyone");
    assert_eq!(search("example", 2).await.len(), 2);
    assert!(search("example", 0).await.is_empty());
    assert!(search("example", -1).await.is_empty(), "a negative limit is no rows");
    assert_eq!(search("example", i64::MAX).await.len(), 6);
    // Nothing else matches any of the hostile strings, and none of them fails.
    for text in nasty() {
        let found = search(&text, 50).await;
        if text.trim().is_empty() {
            assert_eq!(found.len(), 6);
        } else {
            let expected: Vec<&str> = match text.as_str() {
                "%" => vec!["percent%sign@example.com"],
                "_" => vec!["under_score@example.com"],
                "\\" => vec!["back\\slash@example.com"],
                _ => vec![],
            };
            assert_eq!(found, expected, "{}", shown(&text));
        }
    }
    tables_intact(db).await;
}

every!(set_setting_takes_no_bad_values, check_set_setting_takes_no_bad_values);
async fn check_set_setting_takes_no_bad_values(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let before = h.snapshot().await;
    let mut values = nasty();
    values.extend(["-1", "10001", "9223372036854775807", "-9223372036854775808", "1e9", "0x10"].map(String::from));
    for key in SettingKey::ALL {
        // "0" is off for a switch, and below the range of a number.
        let zero = key.range().map(|_| "0".to_string());
        for value in values.iter().chain(&zero) {
            let refusal = refused(h.owner.set_setting(key, value).await, ErrorKind::Validation, &shown(value));
            assert_eq!(refusal.fields[0].field, "value");
        }
    }
    assert_eq!(h.snapshot().await, before);
    assert_eq!(db.count("SELECT count(*) FROM phoenix_kit_settings WHERE module = 'referral_codes'").await, 1);
    tables_intact(db).await;
}

every!(list_queries_take_any_text_and_number, check_list_queries_take_any_text_and_number);
async fn check_list_queries_take_any_text_and_number(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("LISTED", 5).await;
    h.base.use_code("LISTED", h.owner_user.id).await.unwrap();
    for text in nasty() {
        let filter = CodeFilter { text: text.clone(), status: None, ..Default::default() };
        let query = CodeQuery { filter: filter.clone(), limit: 100, ..CodeQuery::default() };
        let rows = h.owner.page(&query).await.unwrap_or_else(|e| panic!("{}: {e:?}", shown(&text)));
        let count = h.owner.count(&filter).await.unwrap();
        assert_eq!(count, rows.len() as i64, "{}", shown(&text));
        assert_eq!(count, if text.trim().is_empty() { 1 } else { 0 }, "{}", shown(&text));
        let selection = Selection::Matching(filter);
        assert_eq!(h.owner.count_selection(&selection).await.unwrap().codes, count);
        refused(h.owner.resolve_user(&text).await, ErrorKind::UserNotFound, &shown(&text));
    }
    let everything = CodeQuery { offset: 0, limit: u64::MAX, ..CodeQuery::default() };
    assert_eq!(h.owner.page(&everything).await.unwrap().len(), 1);
    let past_the_end = CodeQuery { offset: u64::MAX, limit: u64::MAX, ..CodeQuery::default() };
    assert!(h.owner.page(&past_the_end).await.unwrap().is_empty());
    for id in [i64::MIN, -1, 0, i64::MAX] {
        refused(h.owner.get_code(CodeId::from(id)).await, ErrorKind::CodeNotFound, &id.to_string());
        assert!(h.owner.list_usage_for_code(CodeId::from(id), 0, 10).await.unwrap().is_empty());
    }
    for (offset, limit) in [(i64::MIN, i64::MAX), (i64::MAX, i64::MAX), (0, i64::MIN)] {
        let records = h.owner.list_usage_for_code(code.id, offset, limit).await.unwrap();
        assert!(records.len() <= 1);
    }
    assert_eq!(h.owner.top_codes(i64::MAX).await.unwrap().len(), 1);
    assert_eq!(h.owner.recent_usage(i64::MAX).await.unwrap().len(), 1);
    assert!(h.owner.recent_usage(i64::MIN).await.unwrap().is_empty());
}

every!(extreme_spans_and_days_are_refused_or_harmless, check_extreme_spans_and_days_are_refused_or_harmless);
async fn check_extreme_spans_and_days_are_refused_or_harmless(db: &TestDb) {
    let h = db.harness().await;
    let week = h.code("WEEK", 5).await;
    let never = h.forever_code("NEVER", 5).await;
    let selection = Selection::Ids(vec![week.id, never.id]);
    for by in [Duration::MAX, Duration::days(365 * 1_000_000), Duration::days(365 * 10_000)] {
        let before = h.snapshot().await;
        match h.owner.extend_expiry(&selection, by).await {
            Err(e) => {
                assert_eq!(e.kind(), Some(ErrorKind::Validation), "{by}: {e:?}");
                assert_eq!(h.snapshot().await, before, "{by}");
            }
            Ok(_) => {
                let extended = h.owner.get_code(week.id).await.unwrap();
                let at = extended.expiration_date.expect("an expiring code still expires");
                assert!(at > week.expiration_date.unwrap(), "{by}: later, not earlier: {at}");
                assert_eq!(h.owner.get_code(never.id).await.unwrap().expiration_date, None);
            }
        }
        h.owner.list_codes().await.expect("the list still reads");
    }
    // An extension never passes the last instant of 9999, the latest expiration there may be.
    let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + Duration::milliseconds(999);
    let late = h
        .create(
            "LATE",
            CodeInput { expiration: Some(Expiration::At(last - Duration::days(30))), ..CodeInput::default() },
        )
        .await;
    h.owner.extend_expiry(&Selection::Ids(vec![late.id, never.id]), Duration::days(365)).await.unwrap();
    assert_eq!(h.owner.get_code(late.id).await.unwrap().expiration_date, Some(last), "kept at the end of 9999");
    assert_eq!(h.owner.get_code(never.id).await.unwrap().expiration_date, None);
    assert_eq!(h.owner.list_valid_codes().await.unwrap().len(), 3);

    // Days: an empty range, a single far day, and a range reaching the calendar's ends never panic.
    let min = NaiveDate::MIN;
    let max = NaiveDate::MAX;
    for (first, last) in [(max, min), (max, max), (min, min), (NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(), max)] {
        match h.owner.usage_per_day(first, last).await {
            Ok(days) => assert!(days.len() <= 1_000_000, "{first}..{last}: {} days", days.len()),
            Err(e) => assert_eq!(e.kind(), Some(ErrorKind::Validation), "{first}..{last}: {e:?}"),
        }
    }
}
