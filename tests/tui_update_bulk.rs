//! `update()` of marking and of actions on codes: marks, ranges, mark-all, activate, deactivate, toggle, extend and
//! delete, each counted by the service before the question and confirmed by the user.

mod tui_common;
use tui_common as common;

use chrono::Duration;
use common::*;
use refcodes::domain::{CodeFilter, CodeId, CodeStatus, ErrorKind, ReferralCode, Selection};
use refcodes::service::Tally;
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{BulkAction, ConfirmState, Confirmed, Described, Failure, Level, Marks, Model};
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

/// The answer to the first count (token 1) of a model: the selection's first codes named as the made-up table
/// names them.
fn described(action: BulkAction, selection: Selection, codes: i64, usage_records: i64, hidden: i64) -> Msg {
    described_for(1, action, selection, codes, usage_records, hidden)
}

fn described_for(
    token: u64,
    action: BulkAction,
    selection: Selection,
    codes: i64,
    usage_records: i64,
    hidden: i64,
) -> Msg {
    let first = match &selection {
        Selection::Ids(ids) => ids.iter().take(3).map(|id| format!("CODE{:04}", id.0.int().unwrap())).collect(),
        Selection::Matching(_) => vec!["CODE0001".into(), "CODE0002".into(), "CODE0003".into()],
    };
    let tally = Tally { codes, usage_records };
    Msg::Described { token, action, selection, result: Ok(Described { tally, hidden, first, expired: 0 }) }
}

/// The answer to the first count of an activation, `expired` of whose codes have expired.
fn described_expired(selection: Selection, codes: i64, expired: i64) -> Msg {
    let Msg::Described { token, action, selection, result: Ok(found) } =
        described(BulkAction::Activate, selection, codes, 0, 0)
    else {
        unreachable!("built just above")
    };
    Msg::Described { token, action, selection, result: Ok(Described { expired, ..found }) }
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
        vec![Cmd::Describe {
            token: 1,
            action: BulkAction::Deactivate,
            selection: all.clone(),
            visible: Box::new(ab.clone())
        }]
    );
    assert_eq!(send(&mut m, described(BulkAction::Deactivate, all.clone(), 38, 0, 0)), vec![]);
    let confirm = m.confirm.clone().expect("a question");
    assert_eq!(
        confirm.message, "Deactivate 38 marked codes (CODE0001, CODE0002, CODE0003 and 35 more)?",
        "the count of the moment, one code more by now"
    );
    assert_eq!(
        confirm.then,
        Confirmed::Bulk { action: BulkAction::Deactivate, selection: Box::new(all.clone()), codes: 38 }
    );
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Deactivate, all.clone())]);
    send(&mut m, Msg::BulkDone { action: BulkAction::Deactivate, selection: all.clone(), result: Ok(38) });
    assert!(m.list.marks.is_empty(), "the filter may match other codes now");
    assert_eq!(status_text(&m), Some("Deactivated 38 codes; marks cleared, as the filter may match other codes now"));
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
        vec![Cmd::Describe { token: 1, action: BulkAction::Delete, selection: all.clone(), visible: Box::new(active) }]
    );
    send(&mut m, described(BulkAction::Delete, all, 1000, 12, 400));
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(
        message.starts_with(
            "Delete 1,000 marked codes (CODE0001, CODE0002, CODE0003 and 997 more) and their 12 usage records, 400 \
             of them hidden"
        ),
        "{message}"
    );
    assert_eq!(m.confirm.as_ref().unwrap().must_type, Some(1000), "over 100 codes: the number is typed");
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
        vec![Cmd::Describe {
            token: 1,
            action: BulkAction::Deactivate,
            selection: selection(1, 12),
            visible: Box::new(active.clone())
        }]
    );
    assert!(m.confirm.is_none(), "no question before the count");
    assert_eq!(send(&mut m, described(BulkAction::Deactivate, selection(1, 12), 12, 30, 3)), vec![]);
    assert_eq!(
        m.confirm,
        Some(ConfirmState {
            title: "Deactivate".into(),
            message:
                "Deactivate 12 marked codes (CODE0001, CODE0002, CODE0003 and 9 more), 3 of them hidden by the filter?"
                    .into(),
            confirm_label: "Deactivate".into(),
            on_confirm: false,
            then: Confirmed::Bulk { action: BulkAction::Deactivate, selection: Box::new(selection(1, 12)), codes: 12 },
            alternative: None,
            must_type: None,
            typed: String::new(),
        })
    );

    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Deactivate, selection(1, 12))]);
    assert!(m.confirm.is_none());
    let done = Msg::BulkDone { action: BulkAction::Deactivate, selection: selection(1, 12), result: Ok(12) };
    let cmds = send(&mut m, done);
    assert_eq!(
        cmds,
        vec![
            Cmd::LoadHeader,
            Cmd::LoadCount { generation: 1, filter: active.clone() },
            load_page_of(1, 0, active.clone(), refcodes::domain::SortField::Created, true),
            load_page_of(1, 1, active, refcodes::domain::SortField::Created, true),
        ]
    );
    assert_eq!(m.list.marks.count(), 12, "the marks stay on the changed codes");
    assert_eq!(status_text(&m), Some("Deactivated 12 codes (u marks them again)"));
}

#[test]
fn activating_marked_codes_asks_and_enter_starts_on_cancel() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    assert_eq!(
        press(&mut m, "a"),
        vec![Cmd::Describe {
            token: 1,
            action: BulkAction::Activate,
            selection: selection(1, 2),
            visible: Box::new(CodeFilter::default())
        }]
    );
    send(&mut m, described(BulkAction::Activate, selection(1, 2), 2, 0, 0));
    assert_eq!(m.confirm.as_ref().map(|c| c.message.as_str()), Some("Activate 2 marked codes (CODE0001, CODE0002)?"));
    assert_eq!(press(&mut m, "enter"), vec![]);
    assert!(m.confirm.is_none());
    assert_eq!(marks(&m), [1, 2], "cancelling keeps the marks");
}

#[test]
fn activate_or_deactivate_one_unmarked_row_goes_without_a_question() {
    let mut m = loaded(1000);
    press(&mut m, "j");
    for (token, (key, action)) in [(1, ("a", BulkAction::Activate)), (2, ("x", BulkAction::Deactivate))] {
        assert_eq!(
            press(&mut m, key),
            vec![Cmd::Describe {
                token,
                action: action.clone(),
                selection: selection(2, 2),
                visible: Box::new(CodeFilter::default())
            }]
        );
        let answer = described_for(token, action.clone(), selection(2, 2), 1, 0, 0);
        assert_eq!(send(&mut m, answer), vec![bulk(action.clone(), selection(2, 2))]);
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
    let describe = Cmd::Describe {
        token: 1,
        action: BulkAction::Delete,
        selection: selection(1, 3),
        visible: Box::new(CodeFilter::default()),
    };
    assert_eq!(press(&mut m, "d"), vec![describe]);

    let ask = |m: &mut Model| {
        assert_eq!(send(m, described(BulkAction::Delete, selection(1, 3), 3, 41, 0)), vec![]);
        assert_eq!(m.mode(), Mode::Confirm);
    };
    ask(&mut m);
    let confirm = m.confirm.clone().unwrap();
    assert_eq!(
        confirm.message,
        "Delete 3 marked codes (CODE0001, CODE0002, CODE0003) and their 41 usage records? This can't be undone; \
         deactivating keeps the history."
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

    let done = Msg::BulkDone { action: BulkAction::Delete, selection: selection(1, 3), result: Ok(3) };
    assert_eq!(send(&mut m, done), reload_all(0));
    assert!(m.list.marks.is_empty());
    assert_eq!(status_text(&m), Some("Deleted 3 codes"));
}

#[test]
fn deleting_the_unmarked_row_still_asks() {
    let mut m = loaded(1000);
    assert_eq!(
        press(&mut m, "d"),
        vec![Cmd::Describe {
            token: 1,
            action: BulkAction::Delete,
            selection: selection(1, 1),
            visible: Box::new(CodeFilter::default())
        }]
    );
    assert_eq!(send(&mut m, described(BulkAction::Delete, selection(1, 1), 1, 5, 0)), vec![]);
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(message.starts_with("Delete code CODE0001 and its 5 usage records?"), "{message}");
}

#[test]
fn one_marked_code_is_named_in_the_singular() {
    let mut m = loaded(1000);
    press(&mut m, "space");
    press(&mut m, "d");
    send(&mut m, described(BulkAction::Delete, selection(1, 1), 1, 2, 1));
    let message = &m.confirm.as_ref().expect("a question").message;
    assert!(
        message.starts_with("Delete the marked code CODE0001 and its 2 usage records, hidden by the filter?"),
        "{message}"
    );
}

#[test]
fn extend_asks_for_the_span_starting_with_the_days_of_the_configuration() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    assert_eq!(press(&mut m, "+"), vec![]);
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("extend 7d"), "the value to change or take");
    assert_eq!(
        press(&mut m, "enter"),
        vec![Cmd::Describe {
            token: 1,
            action: BulkAction::Extend { seconds: 7 * 86_400 },
            selection: selection(1, 2),
            visible: Box::new(CodeFilter::default())
        }]
    );
    send(&mut m, described(BulkAction::Extend { seconds: 7 * 86_400 }, selection(1, 2), 2, 0, 0));
    assert_eq!(
        m.confirm.as_ref().map(|c| c.message.as_str()),
        Some(
            "Extend the expiry of 2 marked codes (CODE0001, CODE0002) by 7 days (expired ones: from now)? Codes that never expire stay so."
        )
    );
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Extend { seconds: 7 * 86_400 }, selection(1, 2))]);
}

#[test]
fn a_failed_bulk_action_keeps_the_marks() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    let failure =
        Failure { kind: Some(ErrorKind::NotAuthorized), message: "only admins may delete".into(), fields: vec![] };
    let done = Msg::BulkDone { action: BulkAction::Delete, selection: selection(1, 2), result: Err(failure) };
    assert_eq!(send(&mut m, done), vec![]);
    assert_eq!(marks(&m), [1, 2]);
    assert_eq!((status_text(&m), status_level(&m)), (Some("only admins may delete"), Some(Level::Error)));
}

#[test]
fn codes_gone_before_the_question_are_not_asked_about() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space", "d"]);
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

/// Ctrl-a on 1000 codes, then `d` answered: the question of a large delete.
fn large_delete() -> (Model, Selection) {
    let mut m = loaded(1000);
    press(&mut m, "ctrl-a");
    let all = Selection::Matching(CodeFilter::default());
    press(&mut m, "d");
    send(&mut m, described(BulkAction::Delete, all.clone(), 1000, 12, 0));
    (m, all)
}

#[test]
fn a_delete_of_more_than_100_codes_runs_only_once_their_number_is_typed() {
    let (mut m, all) = large_delete();
    let question = m.confirm.clone().expect("a question");
    assert_eq!((question.must_type, question.typed.as_str()), (Some(1000), ""));
    assert_eq!(press(&mut m, "y"), vec![], "not typed yet");
    assert!(m.confirm.is_some());
    assert_eq!(status_text(&m), Some("Type 1,000, the number of codes, to confirm"));
    type_text(&mut m, "999");
    assert_eq!(press(&mut m, "enter"), vec![], "the wrong number");
    assert!(m.confirm.is_some());
    presses(&mut m, &["backspace", "backspace", "backspace"]);
    type_text(&mut m, "1,000");
    assert_eq!(m.confirm.as_ref().unwrap().typed, "1,000");
    assert_eq!(press(&mut m, "enter"), vec![bulk(BulkAction::Delete, all)], "with or without separators");
    assert!(m.confirm.is_none());
}

#[test]
fn a_small_delete_asks_no_number() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space", "d"]);
    send(&mut m, described(BulkAction::Delete, selection(1, 2), 2, 0, 0));
    assert_eq!(m.confirm.as_ref().unwrap().must_type, None);
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Delete, selection(1, 2))]);
}

#[test]
fn the_delete_question_offers_to_deactivate_instead() {
    let (mut m, all) = large_delete();
    let question = m.confirm.as_ref().unwrap();
    assert_eq!(question.alternative.as_ref().map(|(label, _)| label.as_str()), Some("Deactivate instead"));
    assert_eq!(press(&mut m, "a"), vec![bulk(BulkAction::Deactivate, all)], "no number needed to keep the history");
    assert!(m.confirm.is_none());
}

#[test]
fn only_the_latest_count_opens_a_question() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space"]);
    assert!(matches!(press(&mut m, "d").as_slice(), [Cmd::Describe { token: 1, .. }]));
    assert!(matches!(press(&mut m, "x").as_slice(), [Cmd::Describe { token: 2, .. }]));
    // The delete's count comes late: the deactivation was asked for after it.
    assert_eq!(send(&mut m, described_for(1, BulkAction::Delete, selection(1, 2), 2, 9, 0)), vec![]);
    assert!(m.confirm.is_none(), "{:?}", m.confirm);
    send(&mut m, described_for(2, BulkAction::Deactivate, selection(1, 2), 2, 9, 0));
    assert_eq!(m.confirm.as_ref().map(|c| c.title.as_str()), Some("Deactivate"));
}

#[test]
fn a_count_for_a_row_the_cursor_left_is_dropped() {
    let mut m = loaded(1000);
    press(&mut m, "d");
    press(&mut m, "j");
    assert_eq!(send(&mut m, described(BulkAction::Delete, selection(1, 1), 1, 5, 0)), vec![]);
    assert!(m.confirm.is_none(), "no question about code 1 while the cursor is on code 2");
    assert_eq!(status_text(&m), Some("The selection changed while its codes were counted: press the key again"));
}

/// Codes 1 and 2 marked, then `line` typed on the command line and Enter: the count it asks for, if any.
fn command_on_two_marked(line: &str) -> (Model, Vec<Cmd>) {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "space", ":"]);
    type_text(&mut m, line);
    let cmds = press(&mut m, "enter");
    (m, cmds)
}

fn describes(cmds: &[Cmd]) -> Option<BulkAction> {
    match cmds {
        [Cmd::Describe { action, selection: s, .. }] if *s == selection(1, 2) => Some(action.clone()),
        _ => None,
    }
}

#[test]
fn bulk_values_are_read_as_the_form_reads_them() {
    let day = 86_400;
    for (line, action) in [
        ("extend 14d", BulkAction::Extend { seconds: 14 * day }),
        ("extend 2w", BulkAction::Extend { seconds: 14 * day }),
        ("extend 2026-06-01", BulkAction::SetExpiry { at: Some(june()) }),
        ("expire never", BulkAction::SetExpiry { at: None }),
        ("expire 2026-06-01", BulkAction::SetExpiry { at: Some(june()) }),
        ("max-uses 50", BulkAction::SetMaxUses { max: 50 }),
    ] {
        let (_, cmds) = command_on_two_marked(line);
        assert_eq!(describes(&cmds), Some(action), "{line}: {cmds:?}");
    }
}

#[test]
fn a_bad_bulk_value_is_refused_on_the_spot() {
    for (line, why) in [
        ("extend 0d", ":extend 0d: \"0d\" is now"),
        ("extend never", ":extend never: to stop expiring, use :expire never"),
        ("expire 2020-01-01", ":expire 2020-01-01: must be in the future"),
        ("max-uses lots", ":max-uses lots: "),
        ("max-uses 0", ":max-uses 0: must be a whole number from 1"),
        ("max-uses 500", ":max-uses 500: must be at most 100, the max_number_of_uses_per_code setting"),
    ] {
        let (m, cmds) = command_on_two_marked(line);
        assert_eq!(cmds, vec![], "{line}");
        assert!(status_text(&m).is_some_and(|t| t.starts_with(why)), "{line}: {:?}", status_text(&m));
        assert_eq!(status_level(&m), Some(Level::Error));
    }
}

#[test]
fn the_value_questions_state_the_value_and_the_count() {
    let at = Some(june());
    for (action, message) in [
        (BulkAction::SetExpiry { at }, "Set the expiry of 2 marked codes (CODE0001, CODE0002) to 2026-06-01 00:00?"),
        (BulkAction::SetExpiry { at: None }, "Set the expiry of 2 marked codes (CODE0001, CODE0002) to never?"),
        (BulkAction::SetMaxUses { max: 1500 }, "Set the max uses of 2 marked codes (CODE0001, CODE0002) to 1,500?"),
        (
            BulkAction::Extend { seconds: 36 * 3600 },
            "Extend the expiry of 2 marked codes (CODE0001, CODE0002) by 36 hours (expired ones: from now)? Codes \
             that never expire stay so.",
        ),
    ] {
        let mut m = loaded(1000);
        // Any bulk key asks for count 1; its answer carries the action to ask about.
        presses(&mut m, &["space", "space", "x"]);
        send(&mut m, described_for(1, action.clone(), selection(1, 2), 2, 0, 0));
        assert_eq!(m.confirm.as_ref().map(|c| c.message.as_str()), Some(message));
        assert_eq!(press(&mut m, "y"), vec![bulk(action, selection(1, 2))]);
    }
}

#[test]
fn e_and_m_ask_for_their_value_on_the_command_line() {
    let mut m = loaded(1000);
    press(&mut m, "E");
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("expire "));
    press(&mut m, "esc");
    press(&mut m, "M");
    assert_eq!(m.command.as_ref().map(|c| c.value()), Some("max-uses "));
    type_text(&mut m, "3");
    assert!(
        matches!(press(&mut m, "enter").as_slice(),
            [Cmd::Describe { action: BulkAction::SetMaxUses { max: 3 }, selection: s, .. }] if *s == selection(1, 1)),
        "the cursor's code"
    );
}

/// 2026-06-01, the start of the day in UTC.
fn june() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

#[test]
fn u_marks_again_the_codes_the_last_bulk_action_changed() {
    let mut m = loaded(1000);
    assert_eq!(press(&mut m, "u"), vec![]);
    assert_eq!(status_text(&m), Some("No codes changed by a bulk action yet (a delete leaves none to mark)"));

    presses(&mut m, &["space", "space", "x"]);
    send(&mut m, described(BulkAction::Deactivate, selection(1, 2), 2, 0, 0));
    press(&mut m, "y");
    send(&mut m, Msg::BulkDone { action: BulkAction::Deactivate, selection: selection(1, 2), result: Ok(2) });
    assert_eq!(marks(&m), [1, 2], "the marks stay after the action");
    press(&mut m, "esc");
    assert!(m.list.marks.is_empty(), "Esc clears them");
    press(&mut m, "space");
    assert_eq!(press(&mut m, "u"), vec![]);
    assert_eq!(marks(&m), [1, 2], "u puts the changed codes' marks back, in place of others");
    assert_eq!(status_text(&m), Some("Marked the 2 codes the last bulk action changed"));

    // The command does the same; a delete leaves nothing to recall.
    presses(&mut m, &["esc", ":"]);
    type_text(&mut m, "last");
    press(&mut m, "enter");
    assert_eq!(marks(&m), [1, 2]);
    send(&mut m, Msg::BulkDone { action: BulkAction::Delete, selection: selection(1, 2), result: Ok(2) });
    assert!(m.list.marks.is_empty() && m.last_changed.is_none());
}

#[test]
fn every_matching_code_changed_is_not_recalled() {
    let mut m = loaded(1000);
    presses(&mut m, &["space"]);
    let all = Selection::Matching(CodeFilter::default());
    send(&mut m, Msg::BulkDone { action: BulkAction::Activate, selection: all, result: Ok(1000) });
    assert!(m.list.marks.is_empty() && m.last_changed.is_none());
    press(&mut m, "u");
    assert!(m.list.marks.is_empty());
}

#[test]
fn v_marks_a_range_across_pages_not_loaded_by_asking_the_database() {
    let mut m = loaded(1000);
    press(&mut m, "V");
    press(&mut m, "G");
    let cmds = press(&mut m, "V");
    let [Cmd::MarkRange { generation: 0, query, total: 1000 }] = cmds.as_slice() else {
        panic!("the ids are asked for: {cmds:?}")
    };
    assert_eq!((query.offset, query.limit), (0, 1000), "the whole range, in the list's order");
    assert_eq!(query.filter, CodeFilter::default());
    assert_eq!(status_text(&m), Some("Marking 1,000 codes…"));
    let ids: Vec<CodeId> = (1..=1000).map(CodeId::from).collect();
    assert_eq!(send(&mut m, Msg::RangeIds { generation: 0, result: Ok(ids) }), vec![]);
    assert_eq!(m.list.marks.count(), 1000);
    assert_eq!(status_text(&m), Some("Marked 1,000 codes"));
}

#[test]
fn a_range_answer_for_another_query_is_dropped() {
    let mut m = loaded(1000);
    presses(&mut m, &["V", "G", "V", "s"]);
    assert_eq!(send(&mut m, Msg::RangeIds { generation: 0, result: Ok(vec![CodeId::from(5)]) }), vec![]);
    assert!(m.list.marks.is_empty(), "the rows between the ends are others now");
}

#[test]
fn a_range_within_loaded_pages_is_marked_at_once() {
    let mut m = loaded(1000);
    presses(&mut m, &["j", "V", "j", "j"]);
    assert_eq!(press(&mut m, "V"), vec![]);
    assert_eq!(marks(&m), [2, 3, 4]);
}

#[test]
fn a_range_too_long_for_v_points_to_ctrl_a() {
    let mut m = loaded(200_000);
    presses(&mut m, &["V", "G"]);
    assert_eq!(press(&mut m, "V"), vec![]);
    assert!(status_text(&m).unwrap().starts_with("A range of 200,000 codes is more than V marks (100,000)"));
    assert!(m.list.marks.is_empty());
}

/// The list with code 1 expired yesterday and inactive, code 2 as usual.
fn with_an_expired_code() -> Model {
    let mut m = loaded(2);
    let lapsed = ReferralCode { status: false, expiration_date: Some(now() - Duration::days(1)), ..code(1) };
    let rows = vec![row_of(lapsed), row(2)];
    send(&mut m, Msg::Page { generation: 0, page: 0, result: Ok(rows) });
    m
}

#[test]
fn activating_an_expired_code_warns_and_offers_to_extend_it_too() {
    let mut m = with_an_expired_code();
    assert!(matches!(press(&mut m, "a").as_slice(), [Cmd::Describe { action: BulkAction::Activate, .. }]));
    // One code, so no question as a rule: but alone it would stay Expired.
    assert_eq!(send(&mut m, described_expired(selection(1, 1), 1, 1)), vec![]);
    let question = m.confirm.clone().expect("a question");
    assert_eq!(
        question.message,
        "Activate code CODE0001? It has expired, so it stays Expired until its expiry is extended."
    );
    assert_eq!(question.alternative.as_ref().map(|(label, _)| label.as_str()), Some("Also extend 7 days"));
    let both = BulkAction::Reactivate { seconds: 7 * 86_400 };
    assert_eq!(press(&mut m, "a"), vec![bulk(both.clone(), selection(1, 1))]);
    let done = Msg::BulkDone { action: both, selection: selection(1, 1), result: Ok(1) };
    send(&mut m, done);
    assert_eq!(status_text(&m), Some("Activated and extended 1 code (u marks it again)"));
}

#[test]
fn activating_marked_codes_says_how_many_have_expired_and_y_activates_only() {
    let mut m = with_an_expired_code();
    presses(&mut m, &["space", "space", "a"]);
    send(&mut m, described_expired(selection(1, 2), 2, 1));
    let question = m.confirm.clone().expect("a question");
    assert!(question.message.ends_with("1 of them has expired and stays Expired until its expiry is extended."));
    assert_eq!(press(&mut m, "y"), vec![bulk(BulkAction::Activate, selection(1, 2))]);
}

#[test]
fn the_expired_warning_counts_marked_codes_on_pages_not_loaded_as_the_service_answers() {
    // A thousand codes, the marked ones far beyond the loaded pages: the list knows nothing of their expiry.
    let mut m = loaded(1000);
    presses(&mut m, &["ctrl-a", "a"]);
    let all = Selection::Matching(CodeFilter::default());
    send(&mut m, described_expired(all.clone(), 1000, 250));
    let question = m.confirm.clone().expect("a question");
    assert!(
        question.message.ends_with("250 of them have expired and stay Expired until extended."),
        "{}",
        question.message
    );
    assert!(question.alternative.is_some(), "and offers to extend them too");
}

#[test]
fn activating_a_code_that_has_not_expired_goes_without_a_question() {
    let mut m = with_an_expired_code();
    press(&mut m, "j");
    press(&mut m, "a");
    assert_eq!(
        send(&mut m, described(BulkAction::Activate, selection(2, 2), 1, 0, 0)),
        vec![bulk(BulkAction::Activate, selection(2, 2))]
    );
}

#[test]
fn the_beneficiary_and_description_questions_state_the_value() {
    let ben = Some((refcodes::domain::UserId::from(7), "bob@example.com".to_string()));
    for (action, message) in [
        (
            BulkAction::SetBeneficiary { user: ben },
            "Set the beneficiary of 2 marked codes (CODE0001, CODE0002) to bob@example.com?",
        ),
        (BulkAction::SetBeneficiary { user: None }, "Clear the beneficiary of 2 marked codes (CODE0001, CODE0002)?"),
        (
            BulkAction::SetDescription { text: "Autumn push".into() },
            "Set the description of 2 marked codes (CODE0001, CODE0002) to \"Autumn push\"?",
        ),
    ] {
        let mut m = loaded(1000);
        // Any bulk key asks for count 1; its answer carries the action to ask about.
        presses(&mut m, &["space", "space", "x"]);
        send(&mut m, described_for(1, action.clone(), selection(1, 2), 2, 0, 0));
        assert_eq!(m.confirm.as_ref().map(|c| c.message.as_str()), Some(message));
        assert_eq!(press(&mut m, "y"), vec![bulk(action, selection(1, 2))]);
    }
}

mod import {
    use super::*;
    use refcodes::domain::import::{OnConflict, RowProblem};
    use refcodes::service::ImportReport;

    fn report() -> ImportReport {
        ImportReport {
            rows: 4,
            created: vec!["PARTNER-1".into(), "PARTNER-2".into()],
            random: 1,
            skipped: vec!["SPRING".into()],
            ..ImportReport::default()
        }
    }

    fn checked(token: u64, on_conflict: OnConflict, result: Result<ImportReport, Failure>) -> Msg {
        Msg::ImportChecked { token, path: "partners.csv".into(), on_conflict, result }
    }

    fn command(m: &mut Model, line: &str) -> Vec<Cmd> {
        press(m, ":");
        type_text(m, line);
        press(m, "enter")
    }

    #[test]
    fn import_checks_the_file_first_then_asks_with_the_summary_and_applies_what_was_confirmed() {
        let mut m = loaded(3);
        let cmds = command(&mut m, "import partners.csv");
        assert_eq!(
            cmds,
            vec![Cmd::CheckImport { token: 1, path: "partners.csv".into(), on_conflict: OnConflict::Fail }]
        );
        assert!(m.confirm.is_none(), "nothing is asked before the dry run answers");

        assert_eq!(send(&mut m, checked(1, OnConflict::Skip, Ok(report()))), vec![]);
        let confirm = m.confirm.clone().expect("the summary asks");
        assert_eq!(confirm.title, "Import");
        assert_eq!(
            confirm.message,
            "partners.csv: 4 rows; codes that exist are skipped.\nImport creates 3 (1 with a random code), updates 0, \
             leaves 0 unchanged and skips 1. All or nothing."
        );
        assert!(!confirm.on_confirm, "it starts on cancel");
        let (label, _) = confirm.alternative.clone().expect("the choice for existing codes");
        assert_eq!(label, "Update them");

        let cmds = press(&mut m, "y");
        assert_eq!(
            cmds,
            vec![Cmd::ApplyImport {
                path: "partners.csv".into(),
                on_conflict: OnConflict::Skip,
                expected: Box::new(report()),
            }]
        );
        let done = ImportReport {
            applied: true,
            created: vec!["PARTNER-1".into(), "PARTNER-2".into(), "KX7QP".into()],
            ..report()
        };
        let msg = Msg::Imported { path: "partners.csv".into(), on_conflict: OnConflict::Skip, result: Ok(done) };
        let cmds = send(&mut m, msg);
        assert_eq!(status_text(&m), Some("Imported partners.csv: 3 created, 0 updated, 1 skipped"));
        assert!(cmds.contains(&Cmd::LoadHeader), "the list reloads: {cmds:?}");
    }

    #[test]
    fn the_third_choice_checks_again_with_the_next_way_to_treat_existing_codes() {
        let mut m = loaded(3);
        command(&mut m, "import partners.csv");
        send(&mut m, checked(1, OnConflict::Fail, Ok(report())));
        let cmds = press(&mut m, "a");
        assert_eq!(
            cmds,
            vec![Cmd::CheckImport { token: 2, path: "partners.csv".into(), on_conflict: OnConflict::Skip }]
        );
        assert!(m.confirm.is_none());
        assert_eq!(send(&mut m, checked(1, OnConflict::Fail, Ok(report()))), vec![], "the older check is stale");
        assert!(m.confirm.is_none());
        send(&mut m, checked(2, OnConflict::Skip, Ok(report())));
        assert!(m.confirm.as_ref().is_some_and(|c| c.message.contains("codes that exist are skipped")));
    }

    #[test]
    fn problems_are_listed_by_line_the_first_five_and_only_a_recheck_is_offered() {
        let mut m = loaded(3);
        command(&mut m, "import bad.csv");
        let problems: Vec<RowProblem> = (2..=8)
            .map(|line| RowProblem { line, column: "max_uses", message: "must be a whole number, not \"x\"".into() })
            .collect();
        let bad = ImportReport { rows: 7, problems, ..ImportReport::default() };
        let msg =
            Msg::ImportChecked { token: 1, path: "bad.csv".into(), on_conflict: OnConflict::Fail, result: Ok(bad) };
        send(&mut m, msg);
        let confirm = m.confirm.clone().expect("the problems are shown");
        assert_eq!(confirm.title, "Import: problems");
        assert_eq!(confirm.confirm_label, "Recheck");
        let lines: Vec<&str> = confirm.message.lines().collect();
        assert_eq!(lines[1], "7 problems; nothing is imported until every one is fixed:");
        assert_eq!(lines[2], "line 2, max_uses: must be a whole number, not \"x\"");
        assert_eq!(lines.len(), 2 + 5 + 1);
        assert!(lines[7].starts_with("… and 2 more"));
        let cmds = press(&mut m, "y");
        assert_eq!(cmds, vec![Cmd::CheckImport { token: 2, path: "bad.csv".into(), on_conflict: OnConflict::Fail }]);
    }

    #[test]
    fn an_unreadable_file_is_said_and_leaves_the_dashboard_online() {
        let mut m = loaded(3);
        command(&mut m, "import nowhere.csv");
        let failure = Failure {
            kind: Some(ErrorKind::Validation),
            message: "Can't read nowhere.csv: No such file or directory (os error 2)".into(),
            fields: Vec::new(),
        };
        send(
            &mut m,
            Msg::ImportChecked {
                token: 1,
                path: "nowhere.csv".into(),
                on_conflict: OnConflict::Fail,
                result: Err(failure),
            },
        );
        assert!(m.confirm.is_none());
        assert_eq!(status_level(&m), Some(Level::Error));
        assert!(m.offline.is_none());
    }

    #[test]
    fn a_changed_file_or_database_is_asked_about_again_instead_of_imported() {
        let mut m = loaded(3);
        command(&mut m, "import partners.csv");
        send(&mut m, checked(1, OnConflict::Skip, Ok(report())));
        press(&mut m, "y");
        let now = ImportReport {
            skipped: vec!["SPRING".into(), "PARTNER-1".into()],
            created: vec!["PARTNER-2".into()],
            ..report()
        };
        let msg = Msg::Imported { path: "partners.csv".into(), on_conflict: OnConflict::Skip, result: Ok(now) };
        assert_eq!(send(&mut m, msg), vec![]);
        let confirm = m.confirm.clone().expect("asked again");
        assert!(confirm.message.starts_with("Not imported: the file or the database changed since the check."));
        assert!(confirm.message.contains("creates 2 (1 with a random code)"), "{}", confirm.message);
    }

    #[test]
    fn i_opens_the_command_line_on_import_and_read_only_operators_cannot_import() {
        let mut m = loaded(3);
        press(&mut m, "I");
        assert_eq!(m.command.as_ref().map(|c| c.value()), Some("import "));
        assert_eq!(press(&mut m, "enter"), vec![]);
        assert_eq!(m.command.as_ref().map(|c| c.value()), Some("import "), "without a path it asks again");

        let mut ro = loaded_for(read_only(), 3);
        assert_eq!(command(&mut ro, "import partners.csv"), vec![]);
        assert!(ro.command.is_none() && ro.confirm.is_none());
        assert_eq!(press(&mut ro, "I"), vec![]);
        assert!(ro.command.is_none(), "the key is refused, not opened");
    }
}
