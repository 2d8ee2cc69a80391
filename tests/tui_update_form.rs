//! `update()` of the create/edit form and its beneficiary picker: typing into fields, live checks, saving, refusals,
//! discarding, and the debounced user search.

mod tui_common;
use tui_common as common;

use chrono::Duration;
use common::*;
use refcodes::domain::draft::{CodeChanges, CodeInput};
use refcodes::domain::expiry::Expiration;
use refcodes::domain::user::{Role, User, UserWithRole};
use refcodes::domain::{CodeRow, ErrorKind, FieldError, ReferralCode, UserId};
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{BulkAction, ConfirmState, Confirmed, Failure, Field, Level, Model};
use refcodes::tui::msg::{Cmd, Msg, Wake};

/// The list with these rows on its first page.
fn with_rows(rows: Vec<CodeRow>) -> Model {
    let mut m = loaded(rows.len() as u64);
    assert_eq!(send(&mut m, Msg::Page { generation: 0, page: 0, result: Ok(rows) }), vec![]);
    m
}

/// Code 1, whose beneficiary is bob (user 7).
fn bobs_row() -> CodeRow {
    let mut row = row_of(ReferralCode { beneficiary: Some(UserId::from(7)), ..code(1) });
    row.beneficiary_email = Some("bob@example.com".into());
    row
}

fn form(m: &Model) -> &refcodes::tui::model::FormState {
    m.form.as_ref().expect("the form is open")
}

fn error(m: &Model, field: Field) -> Option<&str> {
    form(m).errors.get(&field).map(String::as_str)
}

fn value(m: &Model, field: Field) -> &str {
    form(m).input(field).expect("a text field").value()
}

/// Clears the focused field (Ctrl-u) and types `text` into it.
fn retype(m: &mut Model, text: &str) {
    press(m, "ctrl-u");
    type_text(m, text);
}

fn in_a_week() -> Expiration {
    Expiration::At(now() + Duration::days(7))
}

fn user(id: i64, email: &str) -> UserWithRole {
    UserWithRole {
        user: User {
            id: UserId::from(id),
            email: email.into(),
            username: None,
            first_name: None,
            last_name: None,
            is_active: true,
            inserted_at: now(),
        },
        role: Some(Role::User),
    }
}

#[test]
fn n_opens_a_new_code_with_the_defaults() {
    let mut m = loaded(3);
    assert_eq!(press(&mut m, "n"), vec![]);
    assert_eq!(m.mode(), Mode::Form);
    let f = form(&m);
    assert!(f.editing.is_none());
    assert_eq!(f.focus, Field::Code);
    assert_eq!((value(&m, Field::Code), value(&m, Field::Description)), ("", ""));
    assert_eq!((value(&m, Field::MaxUses), value(&m, Field::Expiration)), ("100", "7d"));
    assert!(f.active);
    assert_eq!(f.beneficiary, None);
    assert!(f.errors.is_empty(), "nothing is checked before typing: {:?}", f.errors);
    assert_eq!(f.expiration_hint.as_deref(), Some("→ 2026-05-08 12:00 UTC"));
    assert!(!f.is_dirty());
}

#[test]
fn tab_and_shift_tab_walk_the_fields_and_wrap() {
    let mut m = loaded(3);
    press(&mut m, "n");
    let order = [Field::Description, Field::MaxUses, Field::Expiration, Field::Active, Field::Beneficiary, Field::Code];
    for field in order {
        assert_eq!(press(&mut m, "tab"), vec![]);
        assert_eq!(form(&m).focus, field);
    }
    for field in order.iter().rev().skip(1) {
        press(&mut m, "shift-tab");
        assert_eq!(form(&m).focus, *field);
    }
    press(&mut m, "shift-tab");
    assert_eq!(form(&m).focus, Field::Code);
    press(&mut m, "shift-tab");
    assert_eq!(form(&m).focus, Field::Beneficiary, "Shift-Tab wraps to the last field");
    presses(&mut m, &["down", "down"]);
    assert_eq!(form(&m).focus, Field::Description);
    press(&mut m, "up");
    assert_eq!(form(&m).focus, Field::Code);
    press(&mut m, "enter");
    assert_eq!(form(&m).focus, Field::Description, "Enter in a text field moves on");
}

#[test]
fn ctrl_s_creates_the_code_with_what_was_typed() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "spring-26");
    press(&mut m, "tab");
    type_text(&mut m, "Spring campaign");
    press(&mut m, "tab");
    retype(&mut m, "50");
    press(&mut m, "tab");
    retype(&mut m, "never");
    press(&mut m, "tab");
    assert_eq!(press(&mut m, "space"), vec![]);
    assert!(!form(&m).active, "Space switches the Active box");
    assert!(form(&m).errors.is_empty(), "{:?}", form(&m).errors);

    let expected = CodeInput {
        code: Some("spring-26".into()),
        description: "Spring campaign".into(),
        max_uses: Some(50),
        expiration: Some(Expiration::Never),
        beneficiary: None,
        inactive: true,
    };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Create { save: 1, input: expected }]);
    assert_eq!(form(&m).saving, Some(1));
    assert_eq!(press(&mut m, "ctrl-s"), vec![], "one save at a time");

    let created = ReferralCode { code: "SPRING-26".into(), ..code(4) };
    assert_eq!(
        send(&mut m, Msg::Saved { save: 1, result: Ok(created) }),
        vec![Cmd::LoadHeader, load_count(0), load_page(0, 0)]
    );
    assert!(m.form.is_none());
    assert_eq!(status_text(&m), Some("Created code SPRING-26"));
}

#[test]
fn an_empty_code_asks_the_service_for_a_random_one() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "   ");
    press(&mut m, "tab");
    type_text(&mut m, "Launch");
    assert_eq!(error(&m, Field::Code), None, "an empty code is allowed when creating");
    let expected = CodeInput {
        code: None,
        description: "Launch".into(),
        max_uses: Some(100),
        expiration: Some(in_a_week()),
        beneficiary: None,
        inactive: false,
    };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Create { save: 1, input: expected }]);
}

#[test]
fn ctrl_r_asks_for_a_random_code_and_its_answer_fills_the_field() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "x");
    press(&mut m, "tab");
    assert_eq!(press(&mut m, "ctrl-r"), vec![Cmd::RandomCode]);
    assert_eq!(form(&m).focus, Field::Code);
    assert_eq!(send(&mut m, Msg::RandomCode(Ok("K7XQM".into()))), vec![]);
    assert_eq!(value(&m, Field::Code), "K7XQM");
    assert_eq!(error(&m, Field::Code), None, "the short code's error went with it");

    press(&mut m, "tab");
    type_text(&mut m, "Random");
    match press(&mut m, "ctrl-s").as_slice() {
        [Cmd::Create { input, .. }] => assert_eq!(input.code.as_deref(), Some("K7XQM")),
        other => panic!("expected a create, got {other:?}"),
    }

    // An answer after the form closed changes nothing.
    let mut closed = loaded(3);
    assert_eq!(send(&mut closed, Msg::RandomCode(Ok("ZZZZZ".into()))), vec![]);
    assert!(closed.form.is_none());
}

#[test]
fn the_code_is_checked_as_it_is_typed() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "ab");
    assert_eq!(error(&m, Field::Code), Some("must be 3 to 50 characters, this has 2 (e.g. SPRING-2026)"));
    type_text(&mut m, " c");
    assert_eq!(error(&m, Field::Code), Some("may hold only A-Z, 0-9, - and _, not ' ' (e.g. SPRING-2026)"));
    press(&mut m, "ctrl-u");
    type_text(&mut m, "spring;");
    assert_eq!(error(&m, Field::Code), Some("may hold only A-Z, 0-9, - and _, not ';' (e.g. SPRING-2026)"));
    press(&mut m, "backspace");
    assert_eq!(error(&m, Field::Code), None);
    assert_eq!(error(&m, Field::Description), None, "only the typed field is checked");
}

#[test]
fn an_emptied_description_is_required() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "tab");
    type_text(&mut m, "x");
    assert_eq!(error(&m, Field::Description), None);
    press(&mut m, "backspace");
    assert_eq!(error(&m, Field::Description), Some("is required: 1 to 255 characters (e.g. Spring campaign 2026)"));
}

#[test]
fn max_uses_is_checked_against_the_setting_in_the_header() {
    let mut m = loaded(3);
    let tight = refcodes::domain::settings::SystemConfig { max_number_of_uses_per_code: 50, ..config() };
    send(&mut m, header_msg(tight));
    press(&mut m, "n");
    presses(&mut m, &["tab", "tab"]);
    assert_eq!(form(&m).focus, Field::MaxUses);

    assert_eq!(value(&m, Field::MaxUses), "50", "the default, 100, is capped by the setting");
    type_text(&mut m, "1000");
    assert_eq!(value(&m, Field::MaxUses), "1000", "typing replaced the selected default");
    assert_eq!(
        error(&m, Field::MaxUses),
        Some(
            "must be at most 50, the max_number_of_uses_per_code setting; raise it on the Settings screen (up to \
             10000)"
        ),
        "the dashboard points to its own Settings screen, not to the CLI"
    );
    press(&mut m, "ctrl-u");
    assert_eq!(error(&m, Field::MaxUses), Some("is required: a whole number (e.g. 100)"));
    type_text(&mut m, "6x");
    assert_eq!(error(&m, Field::MaxUses), Some("must be a whole number, not \"6x\" (e.g. 100)"));
    retype(&mut m, "0");
    assert_eq!(error(&m, Field::MaxUses), Some("must be a whole number from 1 to 50, not 0 (e.g. 100)"));
    retype(&mut m, "50");
    assert_eq!(error(&m, Field::MaxUses), None);
    retype(&mut m, "51");
    assert!(error(&m, Field::MaxUses).is_some_and(|e| e.starts_with("must be at most 50")));
}

#[test]
fn a_prefilled_field_is_selected_on_entry_so_typing_replaces_it_and_a_movement_keeps_it() {
    let mut m = loaded(3);
    press(&mut m, "n");
    assert!(!form(&m).selected, "the empty code field has nothing to select");
    presses(&mut m, &["tab", "tab"]);
    assert!(form(&m).selected, "entering max uses selects its 100");
    type_text(&mut m, "25");
    assert_eq!(value(&m, Field::MaxUses), "25");
    assert!(!form(&m).selected);

    press(&mut m, "tab");
    assert_eq!(value(&m, Field::Expiration), "7d");
    press(&mut m, "backspace");
    assert_eq!(value(&m, Field::Expiration), "", "a deletion removes the whole selection");

    press(&mut m, "shift-tab");
    assert!(form(&m).selected);
    press(&mut m, "left");
    assert!(!form(&m).selected, "a movement ends the selection");
    type_text(&mut m, "0");
    assert_eq!(value(&m, Field::MaxUses), "205", "and keeps the text, the cursor where the movement left it");

    press(&mut m, "tab");
    press(&mut m, "end");
    type_text(&mut m, "d");
    assert_eq!(value(&m, Field::Expiration), "d", "a field emptied stays as it was left");
}

#[test]
fn the_edit_form_opens_with_the_description_selected() {
    let mut m = with_rows(vec![row(1)]);
    press(&mut m, "e");
    assert_eq!(form(&m).focus, Field::Description);
    assert!(form(&m).selected);
    type_text(&mut m, "Autumn");
    assert_eq!(value(&m, Field::Description), "Autumn");
}

#[test]
fn ctrl_p_parks_the_form_to_raise_a_limit_in_settings_and_brings_it_back() {
    let mut m = loaded(3);
    send(&mut m, header_msg(refcodes::domain::settings::SystemConfig { max_number_of_uses_per_code: 50, ..config() }));
    press(&mut m, "n");
    type_text(&mut m, "partner-x");
    presses(&mut m, &["tab", "tab"]);
    type_text(&mut m, "500");
    assert!(error(&m, Field::MaxUses).is_some_and(|e| e.contains("Settings screen")));

    assert_eq!(press(&mut m, "ctrl-p"), vec![]);
    assert!(m.form.is_none());
    assert_eq!((m.screen, m.mode()), (refcodes::tui::model::Screen::Settings, Mode::Settings));
    assert_eq!(status_text(&m), Some("Form parked: Ctrl-p brings it back"));
    // The limit is raised on the Settings screen; its answer is the new configuration.
    send(
        &mut m,
        Msg::SettingSaved(Ok(refcodes::domain::settings::SystemConfig {
            max_number_of_uses_per_code: 1000,
            ..config()
        })),
    );

    press(&mut m, "ctrl-p");
    assert_eq!(m.mode(), Mode::Form);
    assert!(m.parked.is_none());
    assert_eq!((value(&m, Field::Code), value(&m, Field::MaxUses)), ("partner-x", "500"));
    assert_eq!(error(&m, Field::MaxUses), None, "checked again against the raised limit");
    assert_eq!(form(&m).focus, Field::MaxUses);
}

#[test]
fn a_parked_form_comes_back_on_n_or_the_form_command_rather_than_being_lost() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "keep-me");
    press(&mut m, "ctrl-p");
    press(&mut m, "1");
    assert_eq!(m.mode(), Mode::List);
    press(&mut m, "n");
    assert_eq!(value(&m, Field::Code), "keep-me", "n brings the parked form back instead of a blank one");

    press(&mut m, "ctrl-p");
    press(&mut m, ":");
    type_text(&mut m, "form");
    press(&mut m, "enter");
    assert_eq!(value(&m, Field::Code), "keep-me");

    press(&mut m, "ctrl-p");
    press(&mut m, "ctrl-p");
    press(&mut m, "esc");
    assert_eq!(m.mode(), Mode::Confirm, "what was typed is still asked about before it is dropped");
    press(&mut m, "y");
    press(&mut m, "ctrl-p");
    assert_eq!(status_text(&m), Some("No form is parked"));
}

#[test]
fn the_expiration_shows_the_resolved_time_or_what_is_wrong() {
    let mut m = loaded(3);
    press(&mut m, "n");
    presses(&mut m, &["tab", "tab", "tab"]);
    assert_eq!(form(&m).focus, Field::Expiration);
    let hint = |m: &Model| form(m).expiration_hint.clone();

    retype(&mut m, "7d");
    assert_eq!((error(&m, Field::Expiration), hint(&m).as_deref()), (None, Some("→ 2026-05-08 12:00 UTC")));
    retype(&mut m, "12h");
    assert_eq!((error(&m, Field::Expiration), hint(&m).as_deref()), (None, Some("→ 2026-05-02 00:00 UTC")));
    retype(&mut m, "never");
    assert_eq!((error(&m, Field::Expiration), hint(&m).as_deref()), (None, Some("never expires")));

    retype(&mut m, "2020-01-01");
    assert_eq!(
        error(&m, Field::Expiration),
        Some("must be in the future, 2020-01-01 00:00 UTC is past (e.g. 7d, 12h, never or 2030-01-31T00:00:00Z)")
    );
    assert_eq!(hint(&m).as_deref(), Some("→ 2020-01-01 00:00 UTC"), "the hint shows which past time it read");

    retype(&mut m, "soon");
    assert_eq!(
        error(&m, Field::Expiration),
        Some(
            "\"soon\" is not a time: use 7d, 12h, 30m, 2w, never, 2030-01-31, 2030-01-31 18:00 or \
             2030-01-31T18:00:00Z"
        )
    );
    assert_eq!(hint(&m), None);

    press(&mut m, "ctrl-u");
    assert!(error(&m, Field::Expiration).is_some_and(|e| e.starts_with("is empty")));
    type_text(&mut m, "2026-06-01 09:30");
    assert_eq!((error(&m, Field::Expiration), hint(&m).as_deref()), (None, Some("→ 2026-06-01 09:30 UTC")));
}

#[test]
fn saving_with_a_field_to_fix_sends_nothing_and_says_why() {
    let mut m = loaded(3);
    press(&mut m, "n");
    presses(&mut m, &["tab", "tab", "tab"]);
    retype(&mut m, "soon");
    assert_eq!(press(&mut m, "ctrl-s"), vec![]);
    let f = form(&m);
    assert_eq!(f.saving, None);
    assert_eq!(f.failure.as_deref(), Some("Some fields need a fix before saving (see below each field)"));
    let mut fields: Vec<Field> = f.errors.keys().copied().collect();
    fields.sort();
    assert_eq!(fields, [Field::Description, Field::Expiration], "saving checks every field");
    assert_eq!(value(&m, Field::Expiration), "soon");
}

#[test]
fn a_refused_save_keeps_what_was_typed_and_shows_the_refusal_under_its_field() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "taken");
    press(&mut m, "tab");
    type_text(&mut m, "Promo");
    let cmds = press(&mut m, "ctrl-s");
    assert_eq!(
        cmds,
        vec![Cmd::Create {
            save: 1,
            input: CodeInput {
                code: Some("taken".into()),
                description: "Promo".into(),
                max_uses: Some(100),
                expiration: Some(in_a_week()),
                beneficiary: None,
                inactive: false,
            }
        }]
    );

    let refusal = Failure {
        kind: Some(ErrorKind::Conflict),
        message: "code TAKEN exists already; choose another (e.g. TAKEN-2)".into(),
        fields: vec![FieldError { field: "code", message: "TAKEN exists already; choose another".into() }],
    };
    assert_eq!(send(&mut m, Msg::Saved { save: 1, result: Err(refusal) }), vec![]);
    assert_eq!(m.mode(), Mode::Form);
    let f = form(&m);
    assert_eq!(f.saving, None);
    assert_eq!((value(&m, Field::Code), value(&m, Field::Description)), ("taken", "Promo"));
    assert_eq!(error(&m, Field::Code), Some("TAKEN exists already; choose another"));
    assert_eq!(f.failure.as_deref(), Some("code TAKEN exists already; choose another (e.g. TAKEN-2)"));
    assert_eq!(status_level(&m), Some(Level::Error));
    assert_eq!(m.offline, None, "a refusal is not an outage");

    // Typing in the field (after End, which keeps its selected text) replaces the refusal with the live check; the
    // next save goes out.
    presses(&mut m, &["shift-tab", "end"]);
    type_text(&mut m, "-2");
    assert_eq!((error(&m, Field::Code), form(&m).failure.as_deref()), (None, None));
    match press(&mut m, "ctrl-s").as_slice() {
        [Cmd::Create { input, .. }] => assert_eq!(input.code.as_deref(), Some("taken-2")),
        other => panic!("expected a create, got {other:?}"),
    }
}

#[test]
fn a_database_failure_on_save_keeps_the_form_for_another_try() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "tab");
    type_text(&mut m, "Kept");
    let first = match press(&mut m, "ctrl-s").as_slice() {
        [Cmd::Create { save: 1, input }] => input.clone(),
        other => panic!("expected the first create, got {other:?}"),
    };

    let outage = Failure { kind: None, message: "database is locked".into(), fields: vec![] };
    assert_eq!(send(&mut m, Msg::Saved { save: 1, result: Err(outage) }), vec![]);
    let f = form(&m);
    assert_eq!(f.saving, None);
    assert_eq!(value(&m, Field::Description), "Kept");
    assert_eq!(f.failure.as_deref(), Some("database is locked"));
    assert_eq!(m.offline.as_deref(), Some("database is locked"));
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Create { save: 2, input: first }], "the same create, sent again");
}

#[test]
fn e_edits_the_row_and_sends_only_the_changed_fields() {
    let mut m = with_rows(vec![bobs_row(), row(2)]);
    assert_eq!(press(&mut m, "e"), vec![]);
    let f = form(&m);
    assert_eq!(f.editing.as_ref(), Some(&bobs_row().code));
    assert_eq!(f.focus, Field::Description);
    assert_eq!(value(&m, Field::Code), "CODE0001");
    assert_eq!(value(&m, Field::Description), "Code 1");
    assert_eq!(value(&m, Field::MaxUses), "100");
    assert_eq!(value(&m, Field::Expiration), "2026-05-08 12:00");
    assert_eq!(f.beneficiary, Some((UserId::from(7), "bob@example.com".into())));

    retype(&mut m, "Renamed");
    press(&mut m, "tab");
    retype(&mut m, "40");
    let changes = CodeChanges { description: Some("Renamed".into()), max_uses: Some(40), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 1, current: bobs_row().code, changes }]);

    let saved = ReferralCode { description: "Renamed".into(), max_uses: 40, ..bobs_row().code };
    assert_eq!(
        send(&mut m, Msg::Saved { save: 1, result: Ok(saved) }),
        vec![Cmd::LoadHeader, load_count(0), load_page(0, 0)]
    );
    assert!(m.form.is_none());
    assert_eq!(status_text(&m), Some("Saved code CODE0001"));
}

#[test]
fn editing_active_and_the_beneficiary_sends_just_those() {
    let mut m = with_rows(vec![bobs_row()]);
    press(&mut m, "e");
    presses(&mut m, &["tab", "tab", "tab"]);
    assert_eq!(form(&m).focus, Field::Active);
    press(&mut m, "enter");
    press(&mut m, "tab");
    assert_eq!(form(&m).focus, Field::Beneficiary);
    assert_eq!(press(&mut m, "ctrl-x"), vec![]);
    assert_eq!(form(&m).beneficiary, None);
    let changes = CodeChanges { active: Some(false), beneficiary: Some(None), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 1, current: bobs_row().code, changes }]);
}

#[test]
fn saving_an_edit_with_nothing_changed_just_closes() {
    let mut m = with_rows(vec![bobs_row()]);
    press(&mut m, "e");
    assert_eq!(press(&mut m, "ctrl-s"), vec![]);
    assert!(m.form.is_none());
    assert_eq!(status_text(&m), Some("Nothing changed"));

    // Typed and typed back is no change either.
    presses(&mut m, &["e", "end"]);
    type_text(&mut m, "x");
    press(&mut m, "backspace");
    assert_eq!(press(&mut m, "ctrl-s"), vec![]);
    assert!(m.form.is_none());
}

#[test]
fn an_expired_code_over_the_limit_is_edited_without_checking_the_fields_left_alone() {
    let old = ReferralCode { max_uses: 500, expiration_date: Some(now() - Duration::days(1)), ..code(1) };
    let mut m = with_rows(vec![row_of(old.clone())]);
    press(&mut m, "e");
    assert!(form(&m).errors.is_empty(), "{:?}", form(&m).errors);
    assert_eq!(form(&m).expiration_hint.as_deref(), Some("→ 2026-04-30 12:00 UTC"));
    retype(&mut m, "Archived");
    let changes = CodeChanges { description: Some("Archived".into()), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 1, current: old, changes }]);
}

#[test]
fn esc_with_typed_changes_asks_before_discarding_and_starts_on_cancel() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "draft");
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert_eq!(
        m.confirm,
        Some(ConfirmState {
            title: "Discard".into(),
            message: "Close the form and lose what was typed?".into(),
            confirm_label: "Discard".into(),
            on_confirm: false,
            then: Confirmed::DiscardForm,
            alternative: None,
            must_type: None,
            typed: String::new(),
        })
    );
    assert_eq!(m.mode(), Mode::Confirm);

    assert_eq!(press(&mut m, "enter"), vec![], "Enter takes the highlighted choice: cancel");
    assert!(m.confirm.is_none());
    assert_eq!(value(&m, Field::Code), "draft");

    press(&mut m, "esc");
    press(&mut m, "n");
    assert!(m.confirm.is_none());
    assert_eq!(value(&m, Field::Code), "draft");

    press(&mut m, "esc");
    press(&mut m, "esc");
    assert!(m.confirm.is_none() && m.form.is_some(), "Esc in the question keeps the form");

    press(&mut m, "esc");
    assert_eq!(press(&mut m, "y"), vec![]);
    assert!(m.form.is_none());
    assert_eq!(m.mode(), Mode::List);

    // Switching to the other choice and Enter discards too.
    press(&mut m, "n");
    type_text(&mut m, "again");
    presses(&mut m, &["esc", "tab", "enter"]);
    assert!(m.form.is_none() && m.confirm.is_none());
}

#[test]
fn esc_on_an_untouched_form_closes_it_without_asking() {
    let mut m = loaded(3);
    press(&mut m, "n");
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.form.is_none() && m.confirm.is_none());

    press(&mut m, "e");
    press(&mut m, "esc");
    assert!(m.form.is_none() && m.confirm.is_none());
}

#[test]
fn the_picker_searches_after_the_last_key_and_enter_picks() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "shift-tab");
    assert_eq!(form(&m).focus, Field::Beneficiary);
    assert_eq!(press(&mut m, "enter"), vec![Cmd::SearchUsers { generation: 1, text: String::new() }]);
    assert_eq!(m.mode(), Mode::Picker);
    assert!(m.picker.as_ref().unwrap().loading);

    let wake = |generation| vec![Cmd::WakeAfter { after: DEBOUNCE, wake: Wake::Picker(generation) }];
    assert_eq!(type_text(&mut m, "ad"), vec![wake(2), wake(3)]);
    assert_eq!(send(&mut m, Msg::Wake(Wake::Picker(2))), vec![], "a key came after this wake");
    assert_eq!(send(&mut m, Msg::Wake(Wake::Picker(3))), vec![Cmd::SearchUsers { generation: 3, text: "ad".into() }]);

    // The first search, for no text, answers late: dropped.
    assert_eq!(send(&mut m, Msg::Users { generation: 1, result: Ok(vec![user(99, "zed@example.com")]) }), vec![]);
    assert!(m.picker.as_ref().unwrap().results.is_empty());

    let found = vec![user(11, "ada@example.com"), user(12, "adam@example.com")];
    assert_eq!(send(&mut m, Msg::Users { generation: 3, result: Ok(found.clone()) }), vec![]);
    let picker = m.picker.as_ref().unwrap();
    assert_eq!((picker.results.clone(), picker.loading), (found, false));

    press(&mut m, "down");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.picker.is_none());
    assert_eq!(m.mode(), Mode::Form);
    assert_eq!(form(&m).beneficiary, Some((UserId::from(12), "adam@example.com".into())));

    presses(&mut m, &["tab", "tab"]);
    type_text(&mut m, "Launch");
    let expected = CodeInput {
        code: None,
        description: "Launch".into(),
        max_uses: Some(100),
        expiration: Some(in_a_week()),
        beneficiary: Some(UserId::from(12)),
        inactive: false,
    };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Create { save: 1, input: expected }]);
}

#[test]
fn an_inactive_user_shows_in_the_picker_but_can_not_be_picked() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "shift-tab");
    press(&mut m, "enter");
    let mut gone = user(13, "gone@example.com");
    gone.user.is_active = false;
    send(&mut m, Msg::Users { generation: 1, result: Ok(vec![gone, user(14, "here@example.com")]) });
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.picker.is_some(), "the picker stays open");
    assert_eq!(form(&m).beneficiary, None);
    assert!(status_text(&m).is_some_and(|t| t.contains("gone@example.com is inactive")), "{:?}", status_text(&m));
    press(&mut m, "down");
    press(&mut m, "enter");
    assert_eq!(form(&m).beneficiary, Some((UserId::from(14), "here@example.com".into())));
}

#[test]
fn the_picker_takes_j_and_k_as_text_and_enter_without_results_picks_nothing() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "shift-tab");
    press(&mut m, "enter");
    type_text(&mut m, "jk");
    assert_eq!(m.picker.as_ref().unwrap().search.value(), "jk");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.picker.is_some(), "nothing to pick yet");
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.picker.is_none());
    assert_eq!(form(&m).beneficiary, None);
}

#[test]
fn ctrl_x_clears_the_beneficiary_in_the_picker_and_in_the_form() {
    let mut m = with_rows(vec![bobs_row()]);
    press(&mut m, "e");
    presses(&mut m, &["tab", "tab", "tab", "tab"]);
    assert_eq!(form(&m).focus, Field::Beneficiary);
    press(&mut m, "enter");
    send(&mut m, Msg::Users { generation: 1, result: Ok(vec![user(7, "bob@example.com")]) });
    assert_eq!(press(&mut m, "ctrl-x"), vec![]);
    assert!(m.picker.is_none());
    assert_eq!(form(&m).beneficiary, None);
    let changes = CodeChanges { beneficiary: Some(None), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 1, current: bobs_row().code, changes }]);

    // Esc in the picker keeps the beneficiary.
    let mut m = with_rows(vec![bobs_row()]);
    press(&mut m, "e");
    presses(&mut m, &["shift-tab", "shift-tab"]);
    assert_eq!(form(&m).focus, Field::Beneficiary);
    press(&mut m, "enter");
    press(&mut m, "esc");
    assert_eq!(form(&m).beneficiary, Some((UserId::from(7), "bob@example.com".into())));
}

#[test]
fn a_reopened_picker_ignores_the_late_answer_of_the_one_before() {
    let mut m = loaded(3);
    press(&mut m, "n");
    press(&mut m, "shift-tab");
    press(&mut m, "enter");
    type_text(&mut m, "ad");
    let first = send(&mut m, Msg::Wake(Wake::Picker(3)));
    let Some(Cmd::SearchUsers { generation: old, .. }) = first.first().cloned() else { panic!("{first:?}") };
    press(&mut m, "esc");

    // Opened again at once, and typed into before the first search answers.
    let cmds = press(&mut m, "enter");
    let Some(Cmd::SearchUsers { generation: reopened, .. }) = cmds.first().cloned() else { panic!("{cmds:?}") };
    assert_ne!(reopened, old);
    type_text(&mut m, "bo");
    let searching = m.picker.as_ref().unwrap().generation;

    // The first picker's search for "ad" answers now: not for this picker.
    send(&mut m, Msg::Users { generation: old, result: Ok(vec![user(11, "ada@example.com")]) });
    assert!(m.picker.as_ref().unwrap().results.is_empty(), "results for \"ad\" under \"bo\"");
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert_eq!(form(&m).beneficiary, None, "Enter must not pick a user of the old search");

    let cmds = send(&mut m, Msg::Wake(Wake::Picker(searching)));
    assert_eq!(cmds, vec![Cmd::SearchUsers { generation: searching, text: "bo".into() }]);
    send(&mut m, Msg::Users { generation: searching, result: Ok(vec![user(7, "bob@example.com")]) });
    press(&mut m, "enter");
    assert_eq!(form(&m).beneficiary, Some((UserId::from(7), "bob@example.com".into())));
}

#[test]
fn the_answer_to_a_form_closed_while_saving_leaves_the_next_form_open() {
    let mut m = loaded(3);
    press(&mut m, "n");
    type_text(&mut m, "first");
    press(&mut m, "tab");
    type_text(&mut m, "First");
    assert!(matches!(press(&mut m, "ctrl-s").as_slice(), [Cmd::Create { save: 1, .. }]));
    press(&mut m, "esc");
    assert_eq!(press(&mut m, "y"), vec![], "the form is discarded while its save is under way");
    assert!(m.form.is_none());

    press(&mut m, "n");
    press(&mut m, "tab");
    type_text(&mut m, "Second, typed meanwhile");
    let created = ReferralCode { code: "FIRST".into(), ..code(4) };
    assert_eq!(
        send(&mut m, Msg::Saved { save: 1, result: Ok(created) }),
        vec![Cmd::LoadHeader, load_count(0), load_page(0, 0)],
        "the list shows the new code"
    );
    assert_eq!(m.mode(), Mode::Form, "the new form stays open");
    assert_eq!(value(&m, Field::Description), "Second, typed meanwhile");
    assert_eq!(status_text(&m), Some("Saved code FIRST"));

    let refusal = Failure { kind: None, message: "database is locked".into(), fields: vec![] };
    send(&mut m, Msg::Saved { save: 1, result: Err(refusal) });
    let f = form(&m);
    assert_eq!((f.failure.as_deref(), f.saving), (None, None), "another form's failure is not this form's");
    assert_eq!(status_text(&m), Some("database is locked"));

    assert!(matches!(press(&mut m, "ctrl-s").as_slice(), [Cmd::Create { save: 2, .. }]));
}

/// The list on code 1, its form open with "Mine" typed as the description and saved: save 1 is under way.
fn saving_mine() -> Model {
    let mut m = with_rows(vec![row(1)]);
    press(&mut m, "e");
    retype(&mut m, "Mine");
    let changes = CodeChanges { description: Some("Mine".into()), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 1, current: code(1), changes }]);
    m
}

/// Code 1 as another admin left it: another description and limit.
fn theirs() -> CodeRow {
    row_of(ReferralCode { description: "Theirs".into(), max_uses: 50, ..code(1) })
}

#[test]
fn a_save_over_another_admins_change_shows_both_values_and_asks() {
    let mut m = saving_mine();
    assert_eq!(send(&mut m, Msg::SaveConflict { save: 1, theirs: theirs() }), vec![]);
    let question = m.confirm.clone().expect("a question");
    assert_eq!(question.title, "Changed meanwhile");
    assert!(question.message.contains("Description: now \"Theirs\", yours \"Mine\""), "{}", question.message);
    assert!(question.message.contains("Max uses: now 50, yours 100"), "{}", question.message);
    assert!(!question.message.contains("Code:"), "only changed fields: {}", question.message);
    assert_eq!((question.confirm_label.as_str(), question.on_confirm), ("Overwrite", false), "starts on cancel");
    assert_eq!(question.alternative.as_ref().map(|(label, _)| label.as_str()), Some("Reload"));
    assert_eq!(form(&m).saving, None);
    assert_eq!(value(&m, Field::Description), "Mine", "what was typed stays");

    // Cancel: back in the form, and saving again asks the database again about the code as first read.
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.confirm.is_none());
    let changes = CodeChanges { description: Some("Mine".into()), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "ctrl-s"), vec![Cmd::Update { save: 2, current: code(1), changes }]);
}

#[test]
fn overwrite_saves_the_typed_fields_over_the_code_as_it_is_now() {
    let mut m = saving_mine();
    send(&mut m, Msg::SaveConflict { save: 1, theirs: theirs() });
    // Only the description was typed: their limit stays.
    let changes = CodeChanges { description: Some("Mine".into()), ..CodeChanges::default() };
    assert_eq!(press(&mut m, "y"), vec![Cmd::Update { save: 2, current: theirs().code, changes }]);
    assert!(m.confirm.is_none());
    assert_eq!(form(&m).saving, Some(2));
}

#[test]
fn reload_opens_the_form_on_the_code_as_it_is_now() {
    let mut m = saving_mine();
    send(&mut m, Msg::SaveConflict { save: 1, theirs: theirs() });
    assert_eq!(press(&mut m, "a"), vec![]);
    assert!(m.confirm.is_none());
    assert_eq!(form(&m).editing.as_ref(), Some(&theirs().code));
    assert_eq!((value(&m, Field::Description), value(&m, Field::MaxUses)), ("Theirs", "50"));
    assert!(!form(&m).is_dirty());
}

#[test]
fn a_conflict_for_a_form_closed_meanwhile_is_only_reported() {
    let mut m = saving_mine();
    presses(&mut m, &["esc", "y"]);
    assert!(m.form.is_none(), "discarded while saving");
    assert_eq!(send(&mut m, Msg::SaveConflict { save: 1, theirs: theirs() }), vec![]);
    assert!(m.confirm.is_none());
    assert_eq!(status_level(&m), Some(Level::Error));
    assert!(status_text(&m).unwrap().contains("another write changed code CODE0001"), "{:?}", status_text(&m));
}

#[test]
fn b_on_the_list_picks_a_beneficiary_for_the_marked_codes() {
    let mut m = with_rows(vec![row(1), row(2)]);
    press(&mut m, "space");
    press(&mut m, "space");
    assert_eq!(press(&mut m, "B"), vec![Cmd::SearchUsers { generation: 1, text: String::new() }]);
    assert_eq!(m.mode(), Mode::Picker);
    send(&mut m, Msg::Users { generation: 1, result: Ok(vec![user(7, "bob@example.com")]) });
    let cmds = press(&mut m, "enter");
    let chosen = Some((UserId::from(7), "bob@example.com".to_string()));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Describe { action: BulkAction::SetBeneficiary { user }, .. }] if *user == chosen),
        "{cmds:?}"
    );
    assert!(m.picker.is_none() && m.form.is_none());
}

#[test]
fn d_asks_for_a_description_for_the_code_checked_as_the_form_checks_it() {
    let mut m = with_rows(vec![row(1)]);
    press(&mut m, "D");
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("describe "));
    type_text(&mut m, "Autumn push");
    let cmds = press(&mut m, "enter");
    let text = "Autumn push".to_string();
    assert!(
        matches!(cmds.as_slice(), [Cmd::Describe { action: BulkAction::SetDescription { text: t }, .. }] if *t == text),
        "{cmds:?}"
    );
}
