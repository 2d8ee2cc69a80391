//! What recording the audit trail costs a bulk action: N codes generated, deactivated and deleted, by a service
//! that records an event per code and by one with recording switched off (a bench-only switch that also skips the
//! reads of old values only events need: the action as it would be without a trail), side by side on
//! the same database, alternating, each round on codes of its own. Prints each step's seconds for both and their
//! ratio (recording / not).
//!
//! Then the reading side: the History screen's and `history`'s queries (the newest page, a page 10,000 events deep,
//! and each filter) timed on the few thousand events of a warm-up and again on the events every round recorded
//! (rounds x 3 x count: 900,000 with the defaults), in milliseconds, with their ratio (many / few). A page read by
//! its key costs the same at any size, so the ratios should stay near 1.
//!
//! ```text
//! cargo run --release --example bench_audit -- --database-url sqlite:///tmp/audit.db
//! cargo run --release --example bench_audit -- --database-url postgres://postgres@127.0.0.1:5432/refcodes_bench_audit
//! # a PhoenixKit database, as its Owner (tests/fixtures/phoenixkit/latest_uuid.sql loaded into a new database)
//! cargo run --release --example bench_audit -- --operator owner@example.com --database-url postgres://...
//! ```

use clap::Parser;
use refcodes::domain::audit::{Action, HistoryFilter};
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::window::Since;
use refcodes::domain::{CodeFilter, Selection};
use refcodes::service::{GenerateInput, ServiceOptions};
use refcodes::{Error, Service};
use std::time::{Duration, Instant};

const STEPS: [&str; 3] = ["generate", "deactivate", "delete"];
/// Codes of the warm-up, whose events the history is first read on.
const WARM_UP: usize = 1000;
/// Events a page holds, as on the History screen.
const PAGE: u64 = 100;

#[derive(Debug, Parser)]
#[command(about = "Bulk actions with and without the audit trail, side by side")]
struct Args {
    /// sqlite://PATH or postgres://USER@HOST/DB (refcodes' own schema; made when empty).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Codes each bulk action touches.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Who runs the actions: made the first owner of a new database; on a PhoenixKit database, one of its owners.
    #[arg(long, default_value = "bench@localhost")]
    operator: String,
    /// Rounds; each runs both services once, in turns (which goes first alternates).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let base = Service::open(&args.database_url, 2, Duration::from_secs(30), ServiceOptions::default()).await?;
    let signed = base.sign_in_or_make_first_owner(&args.operator).await?;
    let recording = base.with_operator(signed.operator);
    let silent = recording.clone().without_audit();
    println!("database={} codes={} rounds={}", recording.attached(), args.count, args.rounds);
    run(&recording, &format!("bench audit warm-up {}", chrono::Utc::now().timestamp_millis()), WARM_UP).await?;
    let few = read_history(&recording, &args.operator).await?;
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
    let many = read_history(&recording, &args.operator).await?;
    let events = WARM_UP * 3 + args.rounds * 3 * args.count;
    println!("history, {} events then about {events}:", WARM_UP * 3);
    for ((query, few), (_, many)) in few.iter().zip(&many) {
        println!("  {query}: few_ms={few:.2} many_ms={many:.2} ratio={:.2}x", many / few);
    }
    recording.close().await;
    Ok(())
}

/// Milliseconds of each history query (median of 5), as the History screen and `history` ask them.
async fn read_history(service: &Service, operator: &str) -> Result<Vec<(&'static str, f64)>, Error> {
    let newest = service.history(&HistoryFilter::default(), None, PAGE).await?;
    let last = newest.events.iter().find(|e| e.code.is_some()).expect("events of codes");
    let code = last.code.clone();
    let bulk_id = newest.events.iter().find_map(|e| e.bulk_id.clone());
    let filters: [(&'static str, HistoryFilter); 6] = [
        ("newest", HistoryFilter::default()),
        ("code", HistoryFilter { code, ..HistoryFilter::default() }),
        ("operator", HistoryFilter { operator: Some(operator.into()), ..HistoryFilter::default() }),
        ("action", HistoryFilter { action: Some(Action::Generated.as_str()), ..HistoryFilter::default() }),
        ("bulk", HistoryFilter { bulk_id, ..HistoryFilter::default() }),
        ("since_7d", HistoryFilter { since: Some(Since::Span(chrono::Duration::days(7))), ..HistoryFilter::default() }),
    ];
    let mut took = Vec::new();
    for (name, filter) in &filters {
        let mut samples = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            service.history(filter, None, PAGE).await?;
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        took.push((*name, median(&samples)));
    }
    // The page after 10,000 events (or after the last, on few): 100 pages walked by their keys, each timed.
    let mut before = None;
    let mut samples = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        let page = service.history(&HistoryFilter::default(), before, PAGE).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    took.push(("each_next_page", median(&samples)));
    Ok(took)
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
