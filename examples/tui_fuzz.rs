//! Random input for the dashboard, long: `--messages` messages (default 1,000,000) in sequences of up to 1,000
//! through `update()` and `view()`, checked as `tests/tui_fuzz.rs` checks them; a failure prints proptest's minimal
//! sequence and exits 1.
//!
//! ```text
//! cargo run --release --example tui_fuzz -- --messages 1000000
//! ```

#[path = "../tests/tui_common/mod.rs"]
mod tui_common;
#[path = "../tests/tui_random/mod.rs"]
mod tui_random;

use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut messages: u64 = 1_000_000;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--messages", Some(n)) => messages = n,
            _ => {
                eprintln!("usage: tui_fuzz [--messages N]");
                return ExitCode::from(2);
            }
        }
    }
    let started = Instant::now();
    let sent = AtomicU64::new(0);
    let mut sequences = 0;
    // A batch of sequences at a time, so that progress shows.
    while sent.load(Ordering::Relaxed) < messages {
        let batch = 200;
        let config = Config { cases: batch, failure_persistence: None, ..Config::default() };
        let strategy = (tui_random::session(), proptest::collection::vec(tui_random::event(), 1..1000));
        let result = TestRunner::new(config).run(&strategy, |(session, events)| {
            let n = tui_random::play(session, &events).map_err(TestCaseError::fail)?;
            sent.fetch_add(n, Ordering::Relaxed);
            Ok(())
        });
        if let Err(e) = result {
            println!("{e}");
            return ExitCode::FAILURE;
        }
        sequences += batch;
        eprintln!("{} messages clean ({:.0?})", sent.load(Ordering::Relaxed), started.elapsed());
    }
    println!("{} messages in {sequences} sequences clean in {:.0?}", sent.load(Ordering::Relaxed), started.elapsed());
    ExitCode::SUCCESS
}
