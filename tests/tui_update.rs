//! `update()` of the codes list: paging the window through the database, resizing, refreshing, filtering, sorting.
//! Keys go in as a terminal sends them; the answers are the ones the effects runner would send.

mod tui_common;
use tui_common as common;

use common::*;
use refcodes::domain::{CodeFilter, CodeQuery, CodeStatus, SortField, UsesWindow};
use refcodes::tui::keymap::Mode;
use refcodes::tui::model::{Marks, PAGE_SIZE};
use refcodes::tui::msg::{Cmd, Msg, Wake};
use refcodes::tui::update;

#[test]
fn the_first_load_asks_for_header_count_and_the_first_page_then_prefetches_the_next() {
    let mut m = model();
    assert_eq!(update::start(&mut m), vec![Cmd::LoadHeader, load_count(0), load_page(0, 0)]);
    assert_eq!(m.in_flight, 3);

    assert_eq!(send(&mut m, Msg::Count { generation: 0, result: Ok(1000) }), vec![load_page(0, 1)]);
    assert_eq!(m.list.total, Some(1000));
    assert_eq!(send(&mut m, Msg::Page { generation: 0, page: 0, result: Ok(page_rows(0, 1000)) }), vec![]);
    assert_eq!(current_id(&m), Some(1));
    assert_eq!(m.in_flight, 2, "the header and page 1 are still under way");
}

#[test]
fn an_estimate_of_the_count_shows_until_the_count_comes_and_never_over_one() {
    let mut m = model();
    update::start(&mut m);
    let waiting = m.in_flight;
    // Not an answer: the count it stands for still is.
    assert_eq!(send(&mut m, Msg::CountEstimate { generation: 0, about: 12_300 }), vec![]);
    assert_eq!((m.list.estimate, m.list.total, m.in_flight), (Some(12_300), None, waiting));
    let asked = send(&mut m, Msg::Count { generation: 0, result: Ok(12_345) }).len() as u32;
    assert_eq!((m.list.estimate, m.list.total, m.in_flight), (None, Some(12_345), waiting - 1 + asked));
    // A reload's estimate under the same generation doesn't come back over the count it has.
    send(&mut m, Msg::CountEstimate { generation: 0, about: 99 });
    assert_eq!((m.list.estimate, m.list.total), (None, Some(12_345)));
    // A new query forgets both; an old query's estimate is dropped.
    press(&mut m, "/");
    type_text(&mut m, "ab");
    press(&mut m, "enter");
    assert_eq!((m.list.estimate, m.list.total), (None, None));
    send(&mut m, Msg::CountEstimate { generation: 0, about: 7 });
    assert_eq!(m.list.estimate, None);
}

#[test]
fn moving_asks_only_for_the_pages_the_window_lacks() {
    let mut m = loaded(1000);
    assert_eq!(m.visible_rows(), 17);

    assert_eq!(press(&mut m, "j"), vec![]);
    assert_eq!((m.list.cursor, current_id(&m)), (1, Some(2)));
    assert_eq!(press(&mut m, "down"), vec![]);
    assert_eq!(presses(&mut m, &["k", "up", "k"]), vec![]);
    assert_eq!(m.list.cursor, 0, "up stops at the top");

    // PgDn moves a window's height; pages 0 and 1 cover the first 128 rows.
    for (cursor, offset) in [(17, 1), (34, 18), (51, 35)] {
        assert_eq!(press(&mut m, "pagedown"), vec![]);
        assert_eq!((m.list.cursor, m.list.offset), (cursor, offset));
    }
    // The window reaches page 1, so page 2 is fetched ahead.
    assert_eq!(press(&mut m, "pagedown"), vec![load_page(0, 2)]);
    assert_eq!((m.list.cursor, m.list.offset), (68, 52));
    assert_eq!(press(&mut m, "pagedown"), vec![], "page 2 is already asked for");
    assert!(serve(&mut m, vec![load_page(0, 2)], 1000).is_empty());

    assert_eq!(press(&mut m, "pageup"), vec![]);
    assert_eq!((m.list.cursor, m.list.offset), (68, 68));
    assert_eq!(press(&mut m, "ctrl-d"), vec![]);
    assert_eq!(m.list.cursor, 76, "half a page is 8 rows");
    assert_eq!(press(&mut m, "ctrl-u"), vec![]);
    assert_eq!(m.list.cursor, 68);
    assert_eq!(current_id(&m), Some(69));

    let cmds = press(&mut m, "G");
    assert_eq!(cmds, vec![load_page(0, 14), load_page(0, 15)]);
    assert_eq!((m.list.cursor, m.list.offset), (999, 983));
    assert_eq!(current_id(&m), None, "the last page is not here yet");
    serve(&mut m, cmds, 1000);
    assert_eq!(current_id(&m), Some(1000));
    assert!(!m.list.pages.contains_key(&0), "pages far from the window are forgotten");

    let cmds = press(&mut m, "g");
    assert_eq!(cmds, vec![load_page(0, 0), load_page(0, 1)]);
    assert_eq!((m.list.cursor, m.list.offset), (0, 0));
    serve(&mut m, cmds, 1000);
    assert_eq!(current_id(&m), Some(1));

    assert_eq!(press(&mut m, "end"), vec![load_page(0, 14), load_page(0, 15)]);
    assert_eq!(press(&mut m, "home"), vec![load_page(0, 0), load_page(0, 1)], "pages left far behind come again");
    assert_eq!(m.list.cursor, 0);
}

#[test]
fn the_cursor_stays_on_the_list() {
    let mut m = loaded(20);
    assert_eq!(press(&mut m, "G"), vec![]);
    assert_eq!((m.list.cursor, m.list.offset), (19, 3));
    assert_eq!(presses(&mut m, &["j", "pagedown", "ctrl-d"]), vec![]);
    assert_eq!(m.list.cursor, 19);

    press(&mut m, "g");
    press(&mut m, "pagedown");
    assert_eq!(m.list.cursor, 17);
    press(&mut m, "pagedown");
    assert_eq!(m.list.cursor, 19);
    press(&mut m, "pageup");
    assert_eq!(m.list.cursor, 2);
    press(&mut m, "pageup");
    assert_eq!(m.list.cursor, 0);

    let mut empty = loaded(0);
    assert_eq!(presses(&mut empty, &["j", "G", "pagedown"]), vec![]);
    assert_eq!((empty.list.cursor, empty.list.offset), (0, 0));
}

#[test]
fn a_taller_terminal_fetches_what_the_bigger_window_shows() {
    let mut m = loaded(1000);
    for _ in 0..60 {
        assert_eq!(press(&mut m, "j"), vec![]);
    }
    assert_eq!((m.list.cursor, m.list.offset), (60, 44));

    assert_eq!(send(&mut m, Msg::Resize(80, 120)), vec![load_page(0, 2), load_page(0, 3)]);
    assert_eq!(m.size, (80, 120));
    assert_eq!(m.visible_rows(), 113);
    assert_eq!((m.list.cursor, m.list.offset), (60, 44));

    assert_eq!(send(&mut m, Msg::Resize(80, 24)), vec![]);
    assert_eq!((m.list.cursor, m.list.offset), (60, 44));
}

#[test]
fn a_shorter_terminal_scrolls_to_keep_the_cursor_in_view() {
    let mut m = loaded(1000);
    send(&mut m, Msg::Resize(100, 60));
    assert_eq!(m.visible_rows(), 53);
    for _ in 0..50 {
        press(&mut m, "j");
    }
    assert_eq!((m.list.cursor, m.list.offset), (50, 0));
    assert_eq!(send(&mut m, Msg::Resize(80, 24)), vec![]);
    assert_eq!((m.list.cursor, m.list.offset), (50, 34));
}

#[test]
fn r_reloads_what_is_shown_and_keeps_marks_and_cursor() {
    let mut m = loaded(1000);
    presses(&mut m, &["space", "j"]);
    assert_eq!(m.list.cursor, 2);

    let cmds = press(&mut m, "r");
    assert_eq!(cmds, vec![Cmd::LoadHeader, load_count(0), load_page(0, 0), load_page(0, 1)]);
    assert_eq!(m.list.generation, 0, "a refresh is the same query");
    assert_eq!(current_id(&m), Some(3), "rows stay shown while they reload");
    assert_eq!(serve(&mut m, cmds, 1000), vec![]);

    assert_eq!(m.list.cursor, 2);
    assert_eq!(m.list.marks, Marks::Ids(ids(1, 1).into_iter().collect()));
    assert_eq!(m.in_flight, 0);
}

#[test]
fn the_clock_asks_whether_anyone_wrote_and_reloads_only_then() {
    let mut m = loaded(1000);
    press(&mut m, "space");
    let at = |s: i64| now() + chrono::Duration::seconds(s);
    let reload = vec![Cmd::LoadHeader, load_count(0), load_page(0, 0), load_page(0, 1)];

    assert_eq!(send(&mut m, Msg::Tick(at(4))), vec![]);
    assert_eq!(send(&mut m, Msg::Tick(at(5))), vec![Cmd::Probe]);
    assert_eq!(m.in_flight, 0, "a probe shows no loading indicator");
    assert_eq!(send(&mut m, Msg::Tick(at(11))), vec![], "one probe at a time");
    // The first mark reloads: the start's loads may have run before it was read.
    let cmds = send(&mut m, Msg::Probed(Ok("a".into())));
    assert_eq!(cmds, reload);
    assert_eq!(m.last_refresh, at(11));
    serve(&mut m, cmds, 1000);

    // The same mark: nobody wrote, nothing is reloaded, and the screen is known to be current.
    assert_eq!(send(&mut m, Msg::Tick(at(16))), vec![Cmd::Probe]);
    assert_eq!(send(&mut m, Msg::Probed(Ok("a".into()))), vec![]);
    assert_eq!((m.updated, m.last_refresh), (Some(at(16)), at(11)));

    // Another mark: codes went away meanwhile. The cursor follows the count, the marks stay.
    assert_eq!(send(&mut m, Msg::Tick(at(21))), vec![Cmd::Probe]);
    let cmds = send(&mut m, Msg::Probed(Ok("b".into())));
    assert_eq!(cmds, reload);
    serve(&mut m, cmds, 1);
    assert_eq!(m.list.total, Some(1));
    assert_eq!(m.list.cursor, 0);
    assert_eq!(m.list.marks, Marks::Ids(ids(1, 1).into_iter().collect()));
    assert_eq!(current_id(&m), Some(1));

    // A probe that fails reloads, and the loads' answers say what failed.
    assert_eq!(send(&mut m, Msg::Tick(at(26))), vec![Cmd::Probe]);
    let failure = refcodes::tui::model::Failure { kind: None, message: "connection refused".into(), fields: vec![] };
    let cmds = send(&mut m, Msg::Probed(Err(failure.clone())));
    assert!(cmds.contains(&Cmd::LoadHeader));
    send(&mut m, Msg::Header(Err(failure)));
    assert!(m.offline.is_some());
    // Back with nothing written meanwhile: it reloads anyway, to show it is back.
    assert_eq!(send(&mut m, Msg::Tick(at(31))), vec![Cmd::Probe]);
    let cmds = send(&mut m, Msg::Probed(Ok("b".into())));
    assert!(cmds.contains(&Cmd::LoadHeader));
    serve(&mut m, cmds, 1);
    assert_eq!(m.offline, None);

    // Nobody writes for a long while: what time alone changes (expiries) is reloaded anyway.
    let quiet = at(31) + update::UNCHANGED_RELOAD;
    assert_eq!(send(&mut m, Msg::Tick(quiet - chrono::Duration::seconds(1))), vec![Cmd::Probe]);
    assert_eq!(send(&mut m, Msg::Probed(Ok("b".into()))), vec![]);
    assert!(send(&mut m, Msg::Tick(quiet)).contains(&Cmd::LoadHeader));

    // Nobody has pressed a key for a while: nobody is looking, so it reloads far less often, only probing...
    let later = quiet + update::UNCHANGED_RELOAD;
    assert!(later >= now() + update::UNTOUCHED_AFTER, "the last key was at the start");
    assert_eq!(send(&mut m, Msg::Tick(later)), vec![Cmd::Probe]);
    assert_eq!(send(&mut m, Msg::Probed(Ok("b".into()))), vec![]);
    // ... until a key: the next tick reloads the screen it shows, older than the usual quiet reload.
    press(&mut m, "j");
    assert!(send(&mut m, Msg::Tick(later + chrono::Duration::seconds(1))).contains(&Cmd::LoadHeader));
}

#[test]
fn the_filter_waits_for_the_last_key_before_asking() {
    let mut m = loaded(1000);
    assert_eq!(press(&mut m, "/"), vec![]);
    assert_eq!(m.mode(), Mode::Filter);

    let typed = type_text(&mut m, "sp");
    let wake = |seq| vec![Cmd::WakeAfter { after: DEBOUNCE, wake: Wake::Filter(seq) }];
    assert_eq!(typed, vec![wake(1), wake(2)]);
    assert_eq!(m.list.filter_input.value(), "sp");
    assert_eq!(m.list.generation, 0, "typing alone asks the database nothing");

    assert_eq!(send(&mut m, Msg::Wake(Wake::Filter(1))), vec![], "a key came after this wake");
    let filter = text_filter("sp");
    assert_eq!(
        send(&mut m, Msg::Wake(Wake::Filter(2))),
        vec![
            Cmd::LoadCount { generation: 1, filter: filter.clone() },
            load_page_of(1, 0, filter.clone(), SortField::Created, true)
        ]
    );
    assert_eq!((m.list.total, m.list.cursor), (None, 0));

    // Answers of the old query arrive late: dropped.
    assert_eq!(send(&mut m, Msg::Page { generation: 0, page: 0, result: Ok(page_rows(0, 1000)) }), vec![]);
    assert_eq!(send(&mut m, Msg::Count { generation: 0, result: Ok(1000) }), vec![]);
    assert!(m.list.pages.is_empty());
    assert_eq!(m.list.total, None);

    assert_eq!(send(&mut m, Msg::Count { generation: 1, result: Ok(3) }), vec![]);
    assert_eq!(send(&mut m, Msg::Page { generation: 1, page: 0, result: Ok(page_rows(0, 3)) }), vec![]);
    assert_eq!(m.list.total, Some(3));
    assert_eq!(current_id(&m), Some(1));

    assert_eq!(press(&mut m, "enter"), vec![], "Enter on the filter already applied asks nothing");
    assert_eq!(m.mode(), Mode::List);
    assert_eq!(m.list.filter(), filter);
}

#[test]
fn enter_applies_the_filter_at_once_and_the_pending_wake_then_asks_nothing() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "ab");
    let filter = text_filter("ab");
    assert_eq!(
        press(&mut m, "enter"),
        vec![
            Cmd::LoadCount { generation: 1, filter: filter.clone() },
            load_page_of(1, 0, filter.clone(), SortField::Created, true)
        ]
    );
    assert_eq!(m.mode(), Mode::List);
    // The debounce of the last key still fires; the query it would ask is under way already.
    assert_eq!(send(&mut m, Msg::Wake(Wake::Filter(2))), vec![]);
    assert_eq!(m.list.generation, 1);
    assert_eq!(send(&mut m, Msg::Count { generation: 1, result: Ok(2) }), vec![]);
    assert_eq!(m.list.total, Some(2));
}

#[test]
fn a_wake_for_text_that_ends_as_it_was_asks_nothing() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "a");
    press(&mut m, "backspace");
    assert_eq!(m.list.filter_seq, 2);
    assert_eq!(send(&mut m, Msg::Wake(Wake::Filter(2))), vec![]);
    assert_eq!(m.list.generation, 0);
}

#[test]
fn esc_in_the_filter_clears_it_and_asks_for_everything_again() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "ab");
    let cmds = send(&mut m, Msg::Wake(Wake::Filter(2)));
    serve(&mut m, cmds, 2);
    assert_eq!(m.list.applied_filter.text, "ab");

    assert_eq!(press(&mut m, "esc"), vec![load_count(2), load_page(2, 0)]);
    assert_eq!(m.mode(), Mode::List);
    assert_eq!(m.list.filter_input.value(), "");
    assert_eq!(m.list.filter(), CodeFilter::default());
}

#[test]
fn esc_in_the_list_clears_a_text_filter() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "ab");
    let cmds = press(&mut m, "enter");
    serve(&mut m, cmds, 2);

    assert_eq!(press(&mut m, "esc"), vec![load_count(2), load_page(2, 0)]);
    assert_eq!(m.list.filter(), CodeFilter::default());
}

#[test]
fn s_cycles_the_sort_field_and_capital_s_reverses_each_a_new_query() {
    let mut m = loaded(1000);
    presses(&mut m, &["j", "j"]);
    for (generation, sort) in [
        (1, SortField::Expires),
        (2, SortField::Uses),
        (3, SortField::LastUsed),
        (4, SortField::WindowUses),
        (5, SortField::Code),
        (6, SortField::Created),
    ] {
        let cmds = press(&mut m, "s");
        assert_eq!(
            cmds,
            vec![load_count(generation), load_page_of(generation, 0, CodeFilter::default(), sort, true)],
            "{sort:?}"
        );
        assert_eq!((m.list.sort, m.list.cursor), (sort, 0));
        serve(&mut m, cmds, 1000);
    }
    assert_eq!(
        press(&mut m, "S"),
        vec![load_count(7), load_page_of(7, 0, CodeFilter::default(), SortField::Created, false)]
    );
    assert!(!m.list.descending);
}

/// The list's query with its window of uses, as the list asks for page 0.
fn load_window(generation: u64, sort: SortField, window: UsesWindow) -> Cmd {
    Cmd::LoadPage { generation, page: 0, query: CodeQuery { sort, window, limit: PAGE_SIZE, ..CodeQuery::default() } }
}

#[test]
fn w_and_capital_w_switch_the_window_of_uses_round_each_a_new_query_from_the_top() {
    let mut m = loaded(1000);
    assert_eq!(m.list.window, UsesWindow::Week, "7d until switched");
    presses(&mut m, &["j", "j"]);
    for (generation, window) in [(1, UsesWindow::Month), (2, UsesWindow::Day), (3, UsesWindow::Week)] {
        let cmds = press(&mut m, "w");
        assert_eq!(cmds, vec![load_count(generation), load_window(generation, SortField::Created, window)]);
        assert_eq!((m.list.window, m.list.cursor), (window, 0));
        assert_eq!(m.message().map(|msg| msg.text.clone()), Some(format!("Uses counted over {}", window.label())));
        serve(&mut m, cmds, 1000);
    }
    let cmds = press(&mut m, "W");
    assert_eq!(cmds, vec![load_count(4), load_window(4, SortField::Created, UsesWindow::Day)]);
    serve(&mut m, cmds, 1000);
    // Sorted by the window's uses, the switch reorders by the new window's.
    presses(&mut m, &["s", "s", "s", "s"]);
    assert_eq!(m.list.sort, SortField::WindowUses);
    let generation = m.list.generation;
    assert_eq!(
        press(&mut m, "w"),
        vec![load_count(generation + 1), load_window(generation + 1, SortField::WindowUses, UsesWindow::Week)]
    );
}

#[test]
fn the_window_command_switches_the_lists_window_too() {
    let mut m = loaded(1000);
    press(&mut m, ":");
    type_text(&mut m, "window");
    let cmds = press(&mut m, "enter");
    assert_eq!(cmds, vec![load_count(1), load_window(1, SortField::Created, UsesWindow::Month)]);
    assert_eq!(m.list.window, UsesWindow::Month);
}

#[test]
fn f_cycles_the_status_filter_through_every_status_then_all() {
    let mut m = loaded(1000);
    let statuses = [
        Some(CodeStatus::Active),
        Some(CodeStatus::Inactive),
        Some(CodeStatus::Expired),
        Some(CodeStatus::LimitReached),
        None,
    ];
    for (generation, status) in (1..).zip(statuses) {
        let filter = CodeFilter { text: String::new(), status, ..Default::default() };
        let cmds = press(&mut m, "f");
        assert_eq!(
            cmds,
            vec![
                Cmd::LoadCount { generation, filter: filter.clone() },
                load_page_of(generation, 0, filter, SortField::Created, true)
            ],
            "{status:?}"
        );
        assert_eq!(m.list.status, status);
        serve(&mut m, cmds, 10);
    }
}

#[test]
fn esc_in_the_list_clears_the_status_filter_and_asks_again() {
    let mut m = loaded(1000);
    let cmds = press(&mut m, "f");
    serve(&mut m, cmds, 10);
    assert_eq!(m.list.status, Some(CodeStatus::Active));

    assert_eq!(press(&mut m, "esc"), vec![load_count(2), load_page(2, 0)]);
    assert_eq!(m.list.status, None);
    assert_eq!(m.list.filter(), CodeFilter::default());
}

#[test]
fn a_failed_page_shows_the_error_and_marks_the_dashboard_offline() {
    let mut m = model();
    update::start(&mut m);
    let failure = refcodes::tui::model::Failure { kind: None, message: "connection refused".into(), fields: vec![] };
    assert_eq!(send(&mut m, Msg::Page { generation: 0, page: 0, result: Err(failure) }), vec![]);
    assert_eq!(m.list.error.as_deref(), Some("connection refused"));
    assert_eq!(m.offline.as_deref(), Some("connection refused"));
    assert_eq!(status_text(&m), Some("connection refused"));

    // The next good answer brings it back.
    send(&mut m, Msg::Count { generation: 0, result: Ok(3) });
    assert_eq!(m.offline, None);
}

#[test]
fn a_field_filter_asks_for_the_parsed_filter() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "code:SPR uses:>10 \"spring sale\"");
    let filter = CodeFilter::parse("code:SPR uses:>10 \"spring sale\"").unwrap();
    assert_eq!(filter.code.as_deref(), Some("SPR"));
    assert_eq!(
        press(&mut m, "enter"),
        vec![
            Cmd::LoadCount { generation: 1, filter: filter.clone() },
            load_page_of(1, 0, filter.clone(), SortField::Created, true)
        ]
    );
    assert_eq!(m.list.filter(), filter);
    assert_eq!(m.list.filter_error, None);
}

#[test]
fn a_filter_that_does_not_parse_keeps_the_last_good_one_and_says_why() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "ab");
    let cmds = press(&mut m, "enter");
    serve(&mut m, cmds, 2);
    let good = m.list.filter();

    press(&mut m, "/");
    type_text(&mut m, " uses:>");
    let seq = m.list.filter_seq;
    assert_eq!(send(&mut m, Msg::Wake(Wake::Filter(seq))), vec![], "the debounce asks nothing");
    assert_eq!(m.list.filter_error.as_deref(), Some("uses: expects a number after >, <, >=, <= or ="));
    assert_eq!(press(&mut m, "enter"), vec![], "nor does Enter: never a silent match-all");
    assert_eq!(m.mode(), Mode::List);
    assert_eq!((m.list.filter(), m.list.generation, m.list.total), (good.clone(), 1, Some(2)));
    assert_eq!(m.list.filter_input.value(), "ab uses:>", "the text stays to be corrected");

    // Corrected, it runs and the error goes.
    press(&mut m, "/");
    type_text(&mut m, "3");
    let fixed = CodeFilter::parse("ab uses:>3").unwrap();
    assert_eq!(press(&mut m, "enter")[0], Cmd::LoadCount { generation: 2, filter: fixed });
    assert_eq!(m.list.filter_error, None);

    // Esc clears an error with the text.
    press(&mut m, "/");
    type_text(&mut m, " staus:x");
    press(&mut m, "enter");
    assert!(m.list.filter_error.as_deref().is_some_and(|e| e.starts_with("staus: is not a field")));
    press(&mut m, "/");
    press(&mut m, "esc");
    assert_eq!((m.list.filter_error.clone(), m.list.filter()), (None, CodeFilter::default()));
}

#[test]
fn the_status_key_stands_for_a_typed_status() {
    let mut m = loaded(1000);
    press(&mut m, "/");
    type_text(&mut m, "status:expired uses:0");
    let cmds = press(&mut m, "enter");
    serve(&mut m, cmds, 2);
    assert_eq!(m.list.filter().status, Some(CodeStatus::Expired));
    press(&mut m, "f");
    assert_eq!(m.list.status, Some(CodeStatus::Active));
    assert_eq!(m.list.filter().status, Some(CodeStatus::Active), "the key's status wins");
    assert_eq!(m.list.filter().uses, Some((refcodes::domain::Compare::Equal, 0)), "the rest stays");
}
