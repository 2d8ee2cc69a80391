//! A `refcodes` process killed with SIGKILL in the middle of bulk work leaves all of it or none of it.

mod cli_common;
use cli_common as common;

use common::{Env, PgDatabase};
use std::time::Duration;

const BIG: usize = 100_000;

/// Starts `codes generate 100000`, kills it (-9) part way, and checks the codes are all there or none are.
fn a_killed_generate_leaves_all_or_nothing(env: &Env) {
    env.create_code("BEFORE", &[]);
    let mut child =
        env.spawn(&["--json", "codes", "generate", &BIG.to_string(), "--description", "bulk", "--length", "12"]);
    // Not a measurement: only a moment for the process to be inside its transaction (if it finished by then, the
    // all-of-it branch below checks that instead).
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let total = env.json(&["codes", "list", "--limit", "1"])["total"].as_u64().expect("total");
    eprintln!("after the kill: {total} codes");
    assert!(total == 1 || total == 1 + BIG as u64, "{total} codes: a killed generate left part of its work");
    // And the database is usable: a write goes through.
    env.create_code("AFTER", &[]);
}

#[test]
fn sqlite_a_killed_generate_leaves_all_or_nothing() {
    a_killed_generate_leaves_all_or_nothing(&Env::new());
}

#[test]
fn postgres_a_killed_generate_leaves_all_or_nothing() {
    let Some(db) = PgDatabase::create("postgres_a_killed_generate_leaves_all_or_nothing") else { return };
    a_killed_generate_leaves_all_or_nothing(&Env::with_url(&db.url).owned());
}
