//! Redemptions during bulk work: K clients redeem codes through `Service::use_code` while nothing else runs (the
//! baseline), then while `generate_codes` makes N codes, then while `delete_codes` deletes them again (in this
//! process, or with `--bulk-in-child` in a child process). For each phase it prints the redemptions' wait (p50,
//! p99, max) and its ratio to the baseline, and the bulk work's own duration. It ends with the database doing the
//! same by itself: N codes in one INSERT, then one DELETE of them, each timed, and the bulk work's speed against
//! them.
//!
//! ```text
//! cargo run --release --example bench_bulk -- --database-url sqlite:///tmp/bulk.db
//! cargo run --release --example bench_bulk -- --database-url sqlite:///tmp/bulk.db --bulk-in-child
//! cargo run --release --example bench_bulk -- --database-url postgres://postgres@127.0.0.1:5432/bulk
//! ```
//!
//! Setup (kept out of the measurement): the Owner `bench@localhost`, the system enabled, 1,000 codes to redeem and
//! 200 users; each client redeems distinct (user, code) pairs, one every `--pause-ms`, so the baseline is not a
//! queue of its own. The bulk codes have a description of their own, which the delete selects.

use clap::Parser;
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{CodeFilter, Selection, UserId};
use refcodes::service::{GenerateInput, NewUserInput, ServiceOptions};
use refcodes::{Error, Service};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const OPERATOR: &str = "bench@localhost";
const TARGETS: usize = 1000;
const USERS: usize = 200;

#[derive(Debug, Parser)]
#[command(about = "Redemption waits while a large generate and a large delete run, against a baseline")]
struct Args {
    /// sqlite://PATH or postgres://USER@HOST/DB (refcodes' own schema; made when empty).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Concurrent redemption clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Codes the bulk generate makes and the bulk delete deletes.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// How long the baseline phase redeems.
    #[arg(long, default_value_t = 5)]
    baseline_seconds: u64,
    /// Each client's pause between two redemptions.
    #[arg(long, default_value_t = 2)]
    pause_ms: u64,
    /// Run the generate and the delete in a child process (as a `refcodes` command beside an application would)
    /// instead of in this one, which shares its writer connection with the redemptions.
    #[arg(long)]
    bulk_in_child: bool,
    /// In the child: do only this bulk work, on the codes described so.
    #[arg(long, hide = true, requires = "description", value_parser = ["generate", "delete"])]
    child_work: Option<String>,
    #[arg(long, hide = true)]
    description: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let base =
        Service::open(&args.database_url, args.clients as u32 + 2, Duration::from_secs(5), ServiceOptions::default())
            .await?;
    let signed = base.sign_in_or_make_first_owner(OPERATOR).await?;
    let service = base.with_operator(signed.operator);
    if let (Some(work), Some(description)) = (&args.child_work, &args.description) {
        return bulk(&service, work, description, args.count).await;
    }
    let (targets, users) = prepare(&service).await?;
    println!(
        "database={} clients={} bulk_codes={} bulk_in={}",
        service.attached(),
        args.clients,
        args.count,
        if args.bulk_in_child { "a child process" } else { "this process" }
    );
    let pairs = Arc::new(Pairs { targets, users, next: AtomicUsize::new(0) });
    let description = format!("bench bulk {}", chrono::Utc::now().timestamp_millis());

    let baseline = measure(&service, &pairs, &args, async {
        tokio::time::sleep(Duration::from_secs(args.baseline_seconds)).await;
        Ok(())
    })
    .await?;
    report("baseline", &baseline, None);
    let mut took = Vec::new();
    for work in ["generate", "delete"] {
        let phase = measure(&service, &pairs, &args, run_bulk(&service, &args, work, &description)).await?;
        report(work, &phase, Some(&baseline));
        took.push(phase.work);
    }
    service.close().await;
    let (insert, delete) = raw_insert_and_delete(&args.database_url, args.count).await.map_err(Error::from)?;
    println!(
        "raw_insert_secs={:.2} raw_delete_secs={:.2} (the same number of rows in one INSERT, then one DELETE, no \
         redemptions) generate_speed_vs_raw={:.2}x delete_speed_vs_raw={:.2}x",
        insert.as_secs_f64(),
        delete.as_secs_f64(),
        insert.as_secs_f64() / took[0].as_secs_f64(),
        delete.as_secs_f64() / took[1].as_secs_f64()
    );
    Ok(())
}

/// Times the database inserting `count` random codes by itself, in one statement and transaction, then deleting
/// them (found by their description, as the bulk delete finds its codes) in another.
async fn raw_insert_and_delete(url: &str, count: usize) -> Result<(Duration, Duration), sqlx::Error> {
    use sqlx::{AssertSqlSafe, Connection};
    let started = Instant::now();
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let insert = format!(
            "INSERT INTO phoenix_kit_referral_codes (code, description, max_uses, date_created) \
             SELECT 'RAW-' || upper(substr(md5(random()::text), 1, 12)), 'bench raw', 10000, now() \
             FROM generate_series(1, {count})"
        );
        sqlx::raw_sql(AssertSqlSafe(insert)).execute(&mut conn).await?;
        let inserted = started.elapsed();
        sqlx::raw_sql("DELETE FROM phoenix_kit_referral_codes WHERE description = 'bench raw'")
            .execute(&mut conn)
            .await?;
        Ok((inserted, started.elapsed() - inserted))
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let insert = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
             INSERT INTO phoenix_kit_referral_codes (code, description, max_uses, date_created) \
             SELECT 'RAW-' || hex(randomblob(6)), 'bench raw', 10000, strftime('%Y-%m-%dT%H:%M:%fZ') FROM n"
        );
        sqlx::raw_sql(AssertSqlSafe(insert)).execute(&mut conn).await?;
        let inserted = started.elapsed();
        sqlx::raw_sql("DELETE FROM phoenix_kit_referral_codes WHERE description = 'bench raw'")
            .execute(&mut conn)
            .await?;
        Ok((inserted, started.elapsed() - inserted))
    }
}

/// The bulk work of a phase, here or in a child process.
async fn run_bulk(service: &Service, args: &Args, work: &str, description: &str) -> Result<(), Error> {
    if !args.bulk_in_child {
        return bulk(service, work, description, args.count).await;
    }
    let exe = std::env::current_exe().map_err(|e| Error::Config(format!("this bench's path: {e}")))?;
    let status = tokio::process::Command::new(exe)
        .args(["--database-url", &args.database_url, "--count", &args.count.to_string()])
        .args(["--child-work", work, "--description", description])
        .status()
        .await
        .map_err(|e| Error::Config(format!("the child process: {e}")))?;
    if !status.success() {
        return Err(Error::Config(format!("the child's {work} failed: {status}")));
    }
    Ok(())
}

/// Generates `count` codes described `description`, or deletes them (all of them, exactly).
async fn bulk(service: &Service, work: &str, description: &str, count: usize) -> Result<(), Error> {
    if work == "generate" {
        let input = GenerateInput {
            count,
            prefix: "BULK-".into(),
            length: Some(10),
            template: CodeInput { description: description.into(), ..template() },
        };
        service.generate_codes(&input).await?;
    } else {
        let selection = Selection::Matching(CodeFilter { text: description.into(), ..CodeFilter::default() });
        let deleted = service.delete_codes(&selection).await?;
        assert_eq!(deleted.codes, count as i64, "the delete removes exactly the generated codes");
    }
    Ok(())
}

/// What one phase saw.
struct Phase {
    /// Redemption waits, in microseconds, sorted.
    waits: Vec<u64>,
    failed: usize,
    /// How long the phase's own work took.
    work: Duration,
}

/// Distinct (user, code) pairs, handed out in turn.
struct Pairs {
    targets: Vec<String>,
    users: Vec<UserId>,
    next: AtomicUsize,
}

impl Pairs {
    fn next(&self) -> (&str, UserId) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % (self.targets.len() * self.users.len());
        (&self.targets[i % self.targets.len()], self.users[i / self.targets.len()])
    }
}

/// Runs the clients while `work` runs.
async fn measure(
    service: &Service,
    pairs: &Arc<Pairs>,
    args: &Args,
    work: impl std::future::Future<Output = Result<(), Error>>,
) -> Result<Phase, Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..args.clients)
        .map(|_| {
            let (service, pairs, stop, pause) =
                (service.clone(), pairs.clone(), stop.clone(), Duration::from_millis(args.pause_ms));
            tokio::spawn(async move {
                let (mut waits, mut failed) = (Vec::new(), 0);
                while !stop.load(Ordering::Relaxed) {
                    let (code, user) = pairs.next();
                    let start = Instant::now();
                    match service.use_code(code, user).await {
                        Ok(_) => waits.push(start.elapsed().as_micros() as u64),
                        Err(_) => failed += 1,
                    }
                    tokio::time::sleep(pause).await;
                }
                (waits, failed)
            })
        })
        .collect();
    let started = Instant::now();
    work.await?;
    let work_took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase { waits: Vec::new(), failed: 0, work: work_took };
    for client in clients {
        let (waits, failed) = client.await.expect("a client panicked");
        phase.waits.extend(waits);
        phase.failed += failed;
    }
    phase.waits.sort_unstable();
    Ok(phase)
}

fn pct(waits: &[u64], p: f64) -> f64 {
    if waits.is_empty() {
        return 0.0;
    }
    waits[((waits.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

fn report(name: &str, phase: &Phase, baseline: Option<&Phase>) {
    let (p50, p99, max) = (pct(&phase.waits, 0.5), pct(&phase.waits, 0.99), pct(&phase.waits, 1.0));
    let ratio = |v: f64, b: f64| if b > 0.0 { format!("{:.1}x", v / b) } else { "-".into() };
    let ratios = baseline.map_or(String::new(), |b| {
        format!(
            " (vs baseline: p50 {} p99 {} max {})",
            ratio(p50, pct(&b.waits, 0.5)),
            ratio(p99, pct(&b.waits, 0.99)),
            ratio(max, pct(&b.waits, 1.0))
        )
    });
    println!(
        "{name}: work_secs={:.2} redemptions={} failed={} wait_ms p50={p50:.2} p99={p99:.2} max={max:.2}{ratios}",
        phase.work.as_secs_f64(),
        phase.waits.len(),
        phase.failed
    );
}

fn template() -> CodeInput {
    CodeInput {
        code: None,
        description: String::new(),
        max_uses: Some(10_000),
        expiration: Some(Expiration::Never),
        beneficiary: None,
        inactive: false,
    }
}

/// The codes to redeem and the users who redeem them, made once.
async fn prepare(service: &Service) -> Result<(Vec<String>, Vec<UserId>), Error> {
    service.enable_system().await?;
    service.set_setting(SettingKey::MaxUsesPerCode, "10000").await?;
    let filter = CodeFilter { text: "bench redeem".into(), ..CodeFilter::default() };
    if service.count(&filter).await? == 0 {
        let input = GenerateInput {
            count: TARGETS,
            prefix: "BR-".into(),
            length: Some(8),
            template: CodeInput { description: "bench redeem".into(), ..template() },
        };
        service.generate_codes(&input).await?;
    }
    let query = refcodes::domain::CodeQuery { filter, limit: TARGETS as u64, ..Default::default() };
    let targets = service.page(&query).await?.into_iter().map(|row| row.code.code).collect();
    let run = chrono::Utc::now().timestamp_millis();
    let mut users = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let input = NewUserInput {
            email: format!("bulk-{run}-{i}@bench.invalid"),
            username: None,
            first_name: None,
            last_name: None,
            role: None,
        };
        users.push(service.add_user(&input).await?.user.id);
    }
    Ok((targets, users))
}
