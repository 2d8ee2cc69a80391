//! `update()` of marking and of actions on codes: marks, ranges, mark-all, activate, deactivate, toggle, extend and
//! delete, each counted by the service before the question and confirmed by the user.

mod tui_common;
use tui_common as common;

use chrono::Duration;
use common::*;
use refcodes::domain::{CodeFilter, CodeId, CodeStatus, ErrorKind, ReferralCode, Selection};
use refcodes::service::Tally;
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{BulkAction, ConfirmState, Confirmed, Failure, Level, Marks, Model};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::update;
use std::collections::BTreeSet;

/// The codes marked one by one.
fn marks(m: &Model) -> Vec<i64> {
    match &m.list.marks {
        Marks::Ids(ids) => ids.iter().map(|id| id.0.int().expect("integer ids here")).collect(),
        all => panic!("codes marked one by one, not {all:?}"),
    }
}

fn selection(from: i64, to: i64) -> Selection {
    Selection::Ids(ids(from, to))
}

fn described(action: BulkAction, selection: Selection, codes: i64, usage_records: i64, hidden: i64) -> Msg {
    Msg::Described { action, selection, result: Ok((Tally { codes, usage_records }, hidden)) }
}

fn bulk(action: BulkAction, selection: Selection) -> Cmd {
    Cmd::Bulk { action, selection }
}

/// What `BulkDone` and other changes reload on an unfiltered list of 1000 codes at the top.
fn reload_all(generation: u64) -> Vec<Cmd> {
    vec![Cmd::LoadHeader, load_count(generation), load_page(generation, 0), load_page(generation, 1)]
}

#[test]
fn space_marks_the_row_and_moves_down() {
    let mut m = loaded(1000);
    assert_eq!(press(&mut m, "space"), vec![]);
    assert_eq!((marks(&m), m.list.cursor), (vec![1], 1));
    press(&mut m, "space");
    assert_eq!((marks(&m), m.list.cursor), (vec![1, 2], 2));
    press(&mut m, "k");
    press(&mut m, "space");
    assert_eq!((marks(&m), m.list.cursor), (vec![1], 2), "space on a marked row unmarks it");
}

#[test]
fn v_at_both_ends_marks_the_rows_between() {
    let mut m = loaded(1000);
    press(&mut m, "j");
    assert_eq!(press(&mut m, "V"), vec![]);
    assert_eq!(m.list.range_anchor, Some(1));
    assert_eq!(status_text(&m), Some("Range starts here: move to its end and press V again (Esc cancels)"));
    presses(&mut m, &["j", "j", "j"]);
    assert_eq!(press(&mut m, "V"), vec![]);
    assert_eq!(marks(&m), [2, 3, 4, 5]);
    assert_eq!(m.list.range_anchor, None);
    assert_eq!(status_text(&m), Some("Marked 4 codes"));

    // Upwards works the same.
    presses(&mut m, &["j", "j", "j", "j", "j", "j"]);
    assert_eq!(m.list.cursor, 10);
    press(&mut m, "V");
    presses(&mut m, &["k", "k", "k"]);
    press(&mut m, "V");
    assert_eq!(marks(&m), [2, 3, 4, 5, 8, 9, 10, 11]);
}

#[test]
fn esc_cancels_a_range_then_clears_the_marks() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space", "V"]);
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert_eq!(m.list.range_anchor, None);
    assert_eq!(status_text(&m), Some("Range cancelled"));
    assert_eq!(marks(&m), [1, 2]);
    assert_eq!(press(&mut m, "esc"), vec![]);
    assert!(m.list.marks.is_empty());
}

#[test]
fn ctrl_a_marks_every_matching_code_without_fetching_one() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "ab");
    let cmds = press(&mut m, "enter");
    serve(&mut m, cmds, 37);
    let ab = text_filter("ab");

    assert_eq!(press(&mut m, "ctrl-a"), vec![], "the count the list has is enough; no ids travel");
    assert_eq!(m.list.marks, Marks::Matching { filter: ab.clone(), count: 37 });
    assert_eq!(m.list.marks.count(), 37, "what the status bar says");
    assert!(m.list.is_marked(CodeId::from(5)) && m.list.is_marked(CodeId::from(37)), "every row shown matches");
    assert_eq!(status_text(&m), Some("Marked all 37 codes that match"));

    // The action and its question go to the database as "all that match", counted there.
    let all = Selection::Matching(ab.clone());
    assert_eq!(
        press(&mut m, "x"),
        vec![Cmd::Describe { action: BulkAction::Deactivate, selection: all.clone(), visible: ab.clone() }]
    );
    assert_eq!(send(&mut m, described(BulkAction::Deactivate, all.clone(), 38, 0, 0)), vec![]);
    let confirm = m.confirm.clone().expect("a question");
    assert_eq!(confirm.message, "Deactivate 38 marked codes?", "the count of the moment, one code more by now");
    assert_eq!(
        confirm.then,
        Confirmed::Bulk { action: BulkAction::Deactivate, selection: Box::new(all.clone()), codes: 38 }
    );
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Deactivate, all)]);
    send(&mut m, Msg::BulkDone { action: BulkAction::Deactivate, result: Ok(38) });
    assert!(m.list.marks.is_empty());
}

#[test]
fn every_matching_code_stays_marked_under_a_new_filter_which_the_question_counts() {
    let mut m = loaded(1000);
    press(&mut m, "ctrl-a");
    assert_eq!(m.list.marks, Marks::Matching { filter: CodeFilter::default(), count: 1000 });
    let cmds = press(&mut m, "f");
    serve(&mut m, cmds, 600);
    let active = CodeFilter { text: String::new(), status: Some(CodeStatus::Active), ..Default::default() };
    assert_eq!(m.list.marks.count(), 1000);
    assert!(!m.list.is_marked(CodeId::from(1)), "rows of another filter can't tell; the status bar's count does");

    let all = Selection::Matching(CodeFilter::default());
    assert_eq!(
        press(&mut m, "d"),
        vec![Cmd::Describe { action: BulkAction::Delete, selection: all.clone(), visible: active }]
    );
    send(&mut m, described(BulkAction::Delete, all, 1000, 12, 400));
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(
        message.starts_with("Delete 1000 marked codes and their 12 usage records, 400 of them hidden"),
        "{message}"
    );
}

#[test]
fn with_every_matching_code_marked_single_marks_wait_for_esc() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    press(&mut m, "ctrl-a");
    assert_eq!(status_text(&m), Some("Marked all 1000 codes that match (the earlier marks are replaced)"));
    for key in ["space", "V"] {
        assert_eq!(press(&mut m, key), vec![]);
        assert_eq!(
            status_text(&m),
            Some("Every code that matches is marked; Esc clears the marks to pick codes one by one"),
            "{key}"
        );
        assert_eq!((m.list.cursor, m.list.range_anchor), (2, None), "{key}");
        assert_eq!(m.list.marks.count(), 1000, "{key}");
    }
    press(&mut m, "esc");
    assert!(m.list.marks.is_empty());
    press(&mut m, "space");
    assert_eq!(marks(&m), [3]);
}

#[test]
fn ctrl_a_waits_for_the_count_and_marks_nothing_when_nothing_matches() {
    let mut m = model();
    update::start(&mut m);
    assert_eq!(press(&mut m, "ctrl-a"), vec![]);
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("The codes are still being counted; press Ctrl-a again in a moment"));

    let mut m = loaded(0);
    press(&mut m, "ctrl-a");
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("No code matches, so none is marked"));
}

#[test]
fn deactivating_marked_codes_asks_with_the_count_hidden_by_the_filter() {
    let mut m = loaded(1000);
    for _ in 0..12 {
        press(&mut m, "space");
    }
    let cmds = press(&mut m, "f");
    serve(&mut m, cmds, 1000);
    let active = CodeFilter { text: String::new(), status: Some(CodeStatus::Active), ..Default::default() };
    assert_eq!(marks(&m), (1..=12).collect::<Vec<_>>(), "marks survive a new filter");

    assert_eq!(
        press(&mut m, "x"),
        vec![Cmd::Describe { action: BulkAction::Deactivate, selection: selection(1, 12), visible: active.clone() }]
    );
    assert!(m.confirm.is_none(), "no question before the count");
    assert_eq!(send(&mut m, described(BulkAction::Deactivate, selection(1, 12), 12, 30, 3)), vec![]);
    assert_eq!(
        m.confirm,
        Some(ConfirmState {
            title: "Deactivate".into(),
            message: "Deactivate 12 marked codes, 3 of them hidden by the filter?".into(),
            confirm_label: "Deactivate".into(),
            on_confirm: false,
            then: Confirmed::Bulk { action: BulkAction::Deactivate, selection: Box::new(selection(1, 12)), codes: 12 },
        })
    );

    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Deactivate, selection(1, 12))]);
    assert!(m.confirm.is_none());
    let cmds = send(&mut m, Msg::BulkDone { action: BulkAction::Deactivate, result: Ok(12) });
    assert_eq!(
        cmds,
        vec![
            Cmd::LoadHeader,
            Cmd::LoadCount { generation: 1, filter: active.clone() },
            load_page_of(1, 0, active.clone(), refcodes::domain::SortField::Created, true),
            load_page_of(1, 1, active, refcodes::domain::SortField::Created, true),
        ]
    );
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("Deactivated 12 codes"));
}

#[test]
fn activating_marked_codes_asks_and_enter_starts_on_cancel() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    assert_eq!(
        press(&mut m, "a"),
        vec![Cmd::Describe {
            action: BulkAction::Activate,
            selection: selection(1, 2),
            visible: CodeFilter::default()
        }]
    );
    send(&mut m, described(BulkAction::Activate, selection(1, 2), 2, 0, 0));
    assert_eq!(m.confirm.as_ref().map(|c| c.message.as_str()), Some("Activate 2 marked codes?"));
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.confirm.is_none());
    assert_eq!(marks(&m), [1, 2], "cancelling keeps the marks");
}

#[test]
fn activate_or_deactivate_one_unmarked_row_goes_without_a_question() {
    let mut m = loaded(1000);
    press(&mut m, "j");
    for (key, action) in [("a", BulkAction::Activate), ("x", BulkAction::Deactivate)] {
        assert_eq!(
            press(&mut m, key),
            vec![Cmd::Describe { action, selection: selection(2, 2), visible: CodeFilter::default() }]
        );
        assert_eq!(send(&mut m, described(action, selection(2, 2), 1, 0, 0)), vec![bulk(action, selection(2, 2))]);
        assert!(m.confirm.is_none(), "{action:?}");
    }
}

#[test]
fn t_sends_the_opposite_of_the_status_shown_for_one_row() {
    let inactive = ReferralCode { status: false, ..code(2) };
    let expired = ReferralCode { expiration_date: Some(now() - Duration::hours(1)), ..code(3) };
    let mut m = loaded(3);
    send(&mut m, Msg::Page { generation: 0, page: 0, result: Ok(vec![row(1), row_of(inactive), row_of(expired)]) });

    let toggle = |action, id| Cmd::Bulk { action, selection: selection(id, id) };
    assert_eq!(press(&mut m, "t"), vec![toggle(BulkAction::Deactivate, 1)]);
    press(&mut m, "j");
    assert_eq!(press(&mut m, "t"), vec![toggle(BulkAction::Activate, 2)]);
    press(&mut m, "j");
    assert_eq!(press(&mut m, "t"), vec![toggle(BulkAction::Deactivate, 3)], "an expired code is switched off");
    assert!(m.confirm.is_none());
}

#[test]
fn t_with_marks_points_to_a_and_x() {
    let mut m = loaded(1000);
    press(&mut m, "space");
    assert_eq!(press(&mut m, "t"), vec![]);
    assert_eq!(status_text(&m), Some("With codes marked, a activates and x deactivates them"));
}

#[test]
fn delete_counts_codes_and_usage_records_then_asks_starting_on_cancel() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space", "space"]);
    let describe =
        Cmd::Describe { action: BulkAction::Delete, selection: selection(1, 3), visible: CodeFilter::default() };
    assert_eq!(press(&mut m, "d"), vec![describe]);

    let ask = |m: &mut Model| {
        assert_eq!(send(m, described(BulkAction::Delete, selection(1, 3), 3, 41, 0)), vec![]);
        assert_eq!(m.mode(), Mode::Confirm);
    };
    ask(&mut m);
    let confirm = m.confirm.clone().unwrap();
    assert_eq!(
        confirm.message,
        "Delete 3 marked codes and their 41 usage records? This can't be undone; deactivating keeps the history."
    );
    assert_eq!(
        (confirm.title.as_str(), confirm.confirm_label.as_str(), confirm.on_confirm),
        ("Delete", "Delete", false)
    );

    for no in ["n", "esc", "enter"] {
        if m.confirm.is_none() {
            ask(&mut m);
        }
        assert_eq!(press(&mut m, no), vec![], "{no} cancels");
        assert!(m.confirm.is_none(), "{no}");
        assert_eq!(marks(&m), [1, 2, 3]);
    }

    ask(&mut m);
    press(&mut m, "right");
    assert!(m.confirm.as_ref().unwrap().on_confirm);
    press(&mut m, "left");
    assert!(!m.confirm.as_ref().unwrap().on_confirm);
    press(&mut m, "tab");
    assert_eq!(press(&mut m, "enter"), vec![bulk(BulkAction::Delete, selection(1, 3))]);

    ask(&mut m);
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Delete, selection(1, 3))]);
    assert!(m.confirm.is_none());

    assert_eq!(send(&mut m, Msg::BulkDone { action: BulkAction::Delete, result: Ok(3) }), reload_all(0));
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("Deleted 3 codes"));
}

#[test]
fn deleting_the_unmarked_row_still_asks() {
    let mut m = loaded(1000);
    assert_eq!(
        press(&mut m, "d"),
        vec![Cmd::Describe { action: BulkAction::Delete, selection: selection(1, 1), visible: CodeFilter::default() }]
    );
    assert_eq!(send(&mut m, described(BulkAction::Delete, selection(1, 1), 1, 5, 0)), vec![]);
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(message.starts_with("Delete 1 code and their 5 usage records?"), "{message}");
}

#[test]
fn one_marked_code_is_named_in_the_singular() {
    let mut m = loaded(1000);
    press(&mut m, "space");
    press(&mut m, "d");
    send(&mut m, described(BulkAction::Delete, selection(1, 1), 1, 2, 1));
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(
        message.starts_with("Delete 1 marked code and their 2 usage records, 1 of them hidden by the filter?"),
        "{message}"
    );
}

#[test]
fn extend_asks_with_the_days_of_the_configuration() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    assert_eq!(
        press(&mut m, "+"),
        vec![Cmd::Describe {
            action: BulkAction::Extend { days: 7 },
            selection: selection(1, 2),
            visible: CodeFilter::default()
        }]
    );
    send(&mut m, described(BulkAction::Extend { days: 7 }, selection(1, 2), 2, 0, 0));
    assert_eq!(
        m.confirm.as_ref().map(|c| c.message.as_str()),
        Some(
            "Extend the expiry of 2 marked codes by 7 days (expired ones: from now)? Codes that never expire stay so."
        )
    );
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Extend { days: 7 }, selection(1, 2))]);
}

#[test]
fn a_failed_bulk_action_keeps_the_marks() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    let failure =
        Failure { kind: Some(ErrorKind::NotAuthorized), message: "only admins may delete".into(), fields: vec![] };
    assert_eq!(send(&mut m, Msg::BulkDone { action: BulkAction::Delete, result: Err(failure) }), vec![]);
    assert_eq!(marks(&m), [1, 2]);
    assert_eq!((status_text(&m), status_level(&m)), (Some("only admins may delete"), Some(Level::Error)));
}

#[test]
fn codes_gone_before_the_question_are_not_asked_about() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    let cmds = send(&mut m, described(BulkAction::Delete, selection(1, 2), 0, 0, 0));
    assert_eq!(cmds, reload_all(0));
    assert!(m.confirm.is_none());
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("Those codes are gone already"));
}

#[test]
fn marks_are_a_set_of_ids_not_rows() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    let cmds = press(&mut m, "S");
    serve(&mut m, cmds, 1000);
    assert_eq!(m.list.marks, Marks::Ids([CodeId::from(1), CodeId::from(2)].into_iter().collect::<BTreeSet<_>>()));
}
