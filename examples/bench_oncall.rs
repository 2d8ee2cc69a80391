//! On-call answers at scale: seeds a SQLite file with 1,000,000 codes, 100,000 users and 8,000,000 usage records
//! spread over the last 365 days (bulk `INSERT ... SELECT` from recursive CTEs, a few minutes), then times each
//! on-call answer as the CLI computes it, as a ratio to a baseline in the same process on the same database: a
//! plain `SELECT count(*)` of the usage table. Each figure is the median of `--rounds` runs. A window's top lists
//! are timed three ways: from every record (no window sums), the first writable ask that makes the sums, and
//! from the sums (the rest of the run, read-only as on-call staff run it).
//!
//! ```text
//! cargo run --release --example bench_oncall -- --db /tmp/oncall.db   # seeds once, then reuses the file
//! ```

use chrono::{Duration, Utc};
use clap::Parser;
use refcodes::Service;
use refcodes::domain::window::{Share, Since};
use refcodes::domain::{CodeFilter, CodeQuery, SortField};
use refcodes::service::{CheckThresholds, ServiceOptions};
use sqlx::{AssertSqlSafe, SqlitePool};
use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
struct Args {
    /// The SQLite file: seeded when it does not exist, reused when it does.
    #[arg(long)]
    db: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    codes: i64,
    /// Usage records per code.
    #[arg(long, default_value_t = 8)]
    uses_per_code: i64,
    #[arg(long, default_value_t = 100_000)]
    users: i64,
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// Seeds the tables refcodes' migrations made. Every code is used `per` times by distinct users; its limit is
/// `per + i % 100`, so 1 code in 100 is used up; expiries run from 30 days ago to a year ahead. Each code's counter
/// and last use agree with its records, as refcodes' own redemptions keep them.
fn seed_sql(args: &Args) -> String {
    let (codes, per, users) = (args.codes, args.uses_per_code, args.users);
    let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    format!(
        "PRAGMA synchronous = OFF;
         BEGIN;
         INSERT INTO phoenix_kit_users (email, inserted_at)
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users})
           SELECT 'user' || i || '@bench.test', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * 7 % 365) || ' days')
           FROM n;
         INSERT INTO phoenix_kit_referral_codes
           (code, description, status, number_of_uses, max_uses, created_by, beneficiary, date_created, expiration_date)
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {codes})
           SELECT 'B' || i, 'bench code', 1, {per}, {per} + i % 100, 1, 1 + i % {users},
             strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i % 365) || ' days', '-' || (i % 86400) || ' seconds'),
             strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ((i * 13) % 395 - 30) || ' days')
           FROM n;
         INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used)
           WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {codes} * {per} - 1)
           SELECT i / {per} + 1, (i / {per} + (i % {per}) * 12347) % {users} + 1,
             strftime('%Y-%m-%dT%H:%M:%fZ', {now}, '-' || ((i * 7919) % 31536000) || ' seconds')
           FROM n;
         UPDATE phoenix_kit_referral_codes SET last_used = (SELECT max(u.date_used)
           FROM phoenix_kit_referral_code_usage u WHERE u.code_id = phoenix_kit_referral_codes.id);
         COMMIT;
         ANALYZE;"
    )
}

/// The median time of `rounds` runs of `f`, in milliseconds.
async fn median<F, Fut, T>(rounds: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        std::hint::black_box(f().await);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn urgent(filter: CodeFilter) -> CodeQuery {
    CodeQuery { filter, sort: SortField::Urgency, descending: false, offset: 0, limit: 50, ..CodeQuery::default() }
}

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    let args = Args::parse();
    let url = format!("sqlite://{}", args.db.display());
    let fresh = !args.db.exists();
    // Opening it writable once creates and migrates the file.
    let service = Service::open(&url, 4, std::time::Duration::from_secs(5), ServiceOptions::default()).await?;
    service.close().await;
    if fresh {
        let start = Instant::now();
        let pool = SqlitePool::connect(&url).await?;
        sqlx::raw_sql(AssertSqlSafe(seed_sql(&args))).execute(&pool).await?;
        pool.close().await;
        println!("seeded in {:.0} s", start.elapsed().as_secs_f64());
    }
    // Each run starts without the window sums, to time both ways of answering a window's top lists.
    let writer = SqlitePool::connect(&url).await?;
    sqlx::raw_sql("DELETE FROM refcodes_stats_window; DELETE FROM refcodes_stats_uses").execute(&writer).await?;
    writer.close().await;
    let options = ServiceOptions { read_only: true, ..ServiceOptions::default() };
    // One connection, as a command opens (its independent reads take turns).
    let service = Service::open(&url, 1, std::time::Duration::from_secs(5), options).await?;
    let pool = SqlitePool::connect(&format!("{url}?mode=ro")).await?;
    let rounds = args.rounds.max(1);

    let baseline = median(rounds, || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM phoenix_kit_referral_code_usage").fetch_one(&pool).await
    })
    .await;
    println!("baseline: SELECT count(*) of the usage table  {baseline:8.1} ms");
    let show = |what: &str, ms: f64| println!("{what:<58} {ms:8.1} ms  {:6.2}x baseline", ms / baseline);

    let share = Share::parse("90%").map_err(color_eyre::eyre::Report::msg)?;
    let since = |s: &str| Since::parse(s).map_err(color_eyre::eyre::Report::msg);
    let check = CheckThresholds {
        min_redemptions: Some(1),
        window: Duration::hours(1),
        near_limit: Some(share),
        expiring: Some(Duration::hours(24)),
    };
    let near = urgent(CodeFilter { near_limit: Some(share), ..CodeFilter::default() });
    let expiring = urgent(CodeFilter { expiring_within: Some(Duration::days(7)), ..CodeFilter::default() });
    let (s24, s7, s30) = (since("24h")?, since("7d")?, since("30d")?);

    // Without sums (a read-only session before any writable one asked, or a PhoenixKit database): every record.
    show("stats --since 7d, no sums: every record", median(rounds, || service.window_stats(s7, 5)).await);
    show("stats --since 30d, no sums: every record", median(rounds, || service.window_stats(s30, 5)).await);
    // The first writable asker of a day brings the sums up to date: here every day of each window, once.
    let writable = Service::open(&url, 4, std::time::Duration::from_secs(5), ServiceOptions::default()).await?;
    for (what, window) in
        [("stats --since 7d, first ask: sums made", s7), ("stats --since 30d, first ask: sums made", s30)]
    {
        let start = Instant::now();
        writable.window_stats(window, 5).await?;
        show(what, start.elapsed().as_secs_f64() * 1000.0);
    }
    writable.close().await;

    let timed: Vec<(&str, f64)> = vec![
        ("stats --since 24h", median(rounds, || service.window_stats(s24, 5)).await),
        ("stats --since 7d", median(rounds, || service.window_stats(s7, 5)).await),
        ("stats --since 30d", median(rounds, || service.window_stats(s30, 5)).await),
        ("codes list --near-limit 90%", median(rounds, || service.page_with_total(&near)).await),
        ("codes list --expiring 7d", median(rounds, || service.page_with_total(&expiring)).await),
        ("check --min-redemptions 1 --near-limit 90% --expiring 24h", median(rounds, || service.check(&check)).await),
        ("metrics --top 20", median(rounds, || service.metrics_text(20, share)).await),
    ];
    for (what, ms) in &timed {
        show(what, *ms);
    }
    println!("at {}", Utc::now().format("%Y-%m-%d %H:%M UTC"));
    service.close().await;
    Ok(())
}
