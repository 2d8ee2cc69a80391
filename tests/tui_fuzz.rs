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
/// highlighted row was another one.
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
