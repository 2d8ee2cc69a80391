//! Random input for the dashboard's `update()` and `view()` (see `tests/tui_random/mod.rs`): a few hundred sequences
//! here; `cargo run --release --example tui_fuzz` sends a million messages.

mod tui_common;
mod tui_random;

use proptest::test_runner::{Config, TestRunner};

#[test]
fn random_input_keeps_the_dashboard_sound() {
    let config = Config { cases: 200, failure_persistence: None, ..Config::default() };
    let strategy = (tui_random::session(), proptest::collection::vec(tui_random::event(), 1..200));
    let result = TestRunner::new(config).run(&strategy, |(session, events)| {
        tui_random::play(session, &events).map(drop).map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A count answered after the cursor moved opened a dialog to delete the code the cursor had left, while the
/// highlighted row was another one: the question is withdrawn.
#[test]
fn a_late_count_opens_no_dialog_about_another_row() {
    use tui_random::Event::{Answer, Key};
    let events = [
        Answer { pick: 12329245247861158, again: false },
        Answer { pick: 506684456695220341, again: false },
        Key(11),
        Key(26),
        Answer { pick: 138982511229290053, again: false },
    ];
    tui_random::play(0, &events).unwrap();
}

/// An earlier deactivation's answer cleared the marks under an open dialog about them: the dialog still asked about
/// the marked code while the list showed no marks and the cursor on another row. The question is withdrawn.
#[test]
fn a_dialog_goes_when_an_earlier_answer_clears_its_marks() {
    use tui_random::Event::{Answer, Key, Resize, Table, Tick};
    let events = [
        Key(0),
        Key(22),
        Table(65),
        Answer { pick: 0, again: false },
        Answer { pick: 0, again: false },
        Resize(80, 24),
        Answer { pick: 0, again: false },
        Answer { pick: 0, again: true },
        Key(12),
        Answer { pick: 340505024082688777, again: true },
        Tick(9237),
        Tick(10886),
        Key(35),
        Key(4),
        Answer { pick: 9464709197440613114, again: false },
        Key(5),
        Key(13),
        Answer { pick: 11329006032373597073, again: false },
        Answer { pick: 14538900414317688040, again: false },
        Answer { pick: 1102435281415853053, again: false },
        Key(12),
        Answer { pick: 337853262557276755, again: false },
        Answer { pick: 17968600501972548938, again: false },
        Answer { pick: 10900613057585878107, again: false },
        Answer { pick: 17641418912931257400, again: false },
    ];
    tui_random::play(0, &events).unwrap();
}
