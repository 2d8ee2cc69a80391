//! What recording the audit trail costs a bulk action: N codes generated, deactivated and deleted, by a service
//! that records an event per code and by one with recording switched off (a bench-only switch), side by side on
//! the same database, alternating, each round on codes of its own. Prints each step's seconds for both and their
//! ratio (recording / not).
//!
//! ```text
//! cargo run --release --example bench_audit -- --database-url sqlite:///tmp/audit.db
//! cargo run --release --example bench_audit -- --database-url postgres://postgres@127.0.0.1:5432/refcodes_bench_audit
//! ```

use clap::Parser;
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::{CodeFilter, Selection};
use refcodes::service::{GenerateInput, ServiceOptions};
use refcodes::{Error, Service};
use std::time::{Duration, Instant};

const OPERATOR: &str = "bench@localhost";
const STEPS: [&str; 3] = ["generate", "deactivate", "delete"];

#[derive(Debug, Parser)]
#[command(about = "Bulk actions with and without the audit trail, side by side")]
struct Args {
    /// sqlite://PATH or postgres://USER@HOST/DB (refcodes' own schema; made when empty).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Codes each bulk action touches.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Rounds; each runs both services once, in turns (which goes first alternates).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let base = Service::open(&args.database_url, 2, Duration::from_secs(30), ServiceOptions::default()).await?;
    let signed = base.sign_in_or_make_first_owner(OPERATOR).await?;
    let recording = base.with_operator(signed.operator);
    let silent = recording.clone().without_audit();
    println!("database={} codes={} rounds={}", recording.attached(), args.count, args.rounds);
    // Seconds per step: [recording, silent].
    let mut took: Vec<[Vec<f64>; 2]> = STEPS.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    for round in 0..args.rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let service = if which == 0 { &recording } else { &silent };
            let description = format!("bench audit {round} {which} {}", chrono::Utc::now().timestamp_millis());
            for (step, seconds) in run(service, &description, args.count).await?.into_iter().enumerate() {
                took[step][which].push(seconds);
            }
        }
    }
    for (step, [with, without]) in STEPS.iter().zip(&took) {
        let (with, without) = (median(with), median(without));
        println!(
            "{step}: recording_secs={with:.2} silent_secs={without:.2} ratio={:.2}x (median of {})",
            with / without,
            args.rounds
        );
    }
    recording.close().await;
    Ok(())
}

/// Generates `count` codes described `description`, deactivates them all, deletes them all: seconds of each.
async fn run(service: &Service, description: &str, count: usize) -> Result<[f64; 3], Error> {
    let input = GenerateInput {
        count,
        prefix: "AUD-".into(),
        length: Some(10),
        template: CodeInput {
            code: None,
            description: description.into(),
            max_uses: Some(10),
            expiration: Some(Expiration::Never),
            beneficiary: None,
            inactive: false,
        },
    };
    let selection = Selection::Matching(CodeFilter { text: description.into(), ..CodeFilter::default() });
    let started = Instant::now();
    service.generate_codes(&input).await?;
    let generate = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let changed = service.set_status(&selection, false).await?;
    let deactivate = started.elapsed().as_secs_f64();
    assert_eq!(changed.codes, count as u64, "the deactivation touches exactly the generated codes");
    let started = Instant::now();
    let deleted = service.delete_codes(&selection).await?;
    let delete = started.elapsed().as_secs_f64();
    assert_eq!(deleted.codes, count as i64, "the delete removes exactly the generated codes");
    Ok([generate, deactivate, delete])
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
