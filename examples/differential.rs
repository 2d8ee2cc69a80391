//! The differential run of `tests/model_differential.rs`, long: random sequences of 50 to 500 operations on the
//! reference model and on each backend chosen, until `--cases` ran clean on each or one disagrees (printed as a
//! test to paste, exit code 1).
//!
//! ```text
//! cargo run --release --example differential -- --cases 100000 --backend all [--seed N]
//! ```
//!
//! `postgres` and `phoenixkit` (every fixture shape) need `REFCODES_TEST_POSTGRES_URL`.

#[path = "../tests/common/mod.rs"]
#[macro_use]
mod common;
#[path = "../tests/differential/mod.rs"]
mod differential;
#[path = "../tests/model/mod.rs"]
mod model;

use clap::{Parser, ValueEnum};
use common::{Shape, TestDb};
use differential::{Plan, Sut};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Sqlite,
    Postgres,
    Phoenixkit,
    All,
}

#[derive(Parser, Debug)]
struct Args {
    /// Sequences to run clean on each backend (each PhoenixKit shape counts as one).
    #[arg(long, default_value_t = 1000)]
    cases: u32,
    #[arg(long, value_enum, default_value_t = Which::Sqlite)]
    backend: Which,
    /// Seed of the first batch (each batch of 100 cases takes the next); a fresh one when not given.
    #[arg(long)]
    seed: Option<u64>,
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

/// Runs `cases` on one database, in batches of 100 so that progress shows; the first failure ends it.
fn run_on(rt: &tokio::runtime::Runtime, db: TestDb, cases: u32, seed: u64) -> Result<(), String> {
    let started = Instant::now();
    let mut done = 0;
    let mut batch = seed;
    let mut sut = rt.block_on(Sut::new(&db));
    while done < cases {
        let n = (cases - done).min(100);
        let plan = Plan { cases: n, len: 50..501, seed: Some(seed_bytes(batch)), max_shrink_iters: 500 };
        differential::run(rt, &mut sut, &plan).map_err(|e| format!("{:?}, batch seed {batch}: {e}", db.backend))?;
        done += n;
        batch += 1;
        eprintln!("{:?}: {done}/{cases} clean ({:.0?})", db.backend, started.elapsed());
    }
    println!("{:?}: {cases} cases clean in {:.0?} (seeds {seed}..{batch})", db.backend, started.elapsed());
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(rand::random);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // `None` is refcodes' own schema on PostgreSQL; `Some(shape)` a PhoenixKit database.
    let mut backends: Vec<Option<Option<Shape>>> = Vec::new();
    if matches!(args.backend, Which::Sqlite | Which::All) {
        backends.push(None);
    }
    if matches!(args.backend, Which::Postgres | Which::All) {
        backends.push(Some(None));
    }
    if matches!(args.backend, Which::Phoenixkit | Which::All) {
        backends.extend(Shape::ALL.map(|shape| Some(Some(shape))));
    }
    for backend in backends {
        let db = rt.block_on(async {
            match backend {
                None => Some(TestDb::sqlite().await),
                Some(None) => TestDb::postgres().await,
                Some(Some(shape)) => TestDb::phoenix_kit(shape).await,
            }
        });
        let Some(db) = db else {
            eprintln!("{} is not set: PostgreSQL and PhoenixKit need it", common::POSTGRES_ENV);
            return ExitCode::FAILURE;
        };
        if let Err(failure) = run_on(&rt, db, args.cases, seed) {
            println!("{failure}");
            return ExitCode::FAILURE;
        }
    }
    common::finish_pending_drops();
    ExitCode::SUCCESS
}
