//! Redemption benchmark: K concurrent clients call the library's `Service::use_code` for T seconds, each use by a
//! fresh user, and the last line printed is `redemptions_per_sec=<number>`.
//!
//! ```text
//! cargo run --release --example bench_use -- --database-url URL --clients 8 --seconds 10 --mode spread|hot
//! cargo run --release --example bench_use -- --database-url URL --prepare-only
//! cargo run --release --example bench_use -- --database-url URL [--schema S] --operator owner@example.com  # PhoenixKit
//! ```
//!
//! * `spread`: each use picks one of 100,000 codes (description `bench spread`) at random.
//! * `hot`: every use takes the one code `BENCH-HOT`, whose limit is raised far above any run.
//!
//! Setup is idempotent and kept out of the measurement: it migrates, signs in as the Owner `bench@localhost`,
//! enables the system, raises `max_number_of_uses_per_code` to its maximum, creates the codes once (with
//! `generate_codes`), and then, for every run, inserts fresh users in bulk and hands each client its own disjoint
//! list of them. `bench/compare.sh` runs this next to `pgbench` / the `sqlite3` shell on the same database.
//!
//! On an attached PhoenixKit database (UUID keys, V74 or later) the operator must be one of its Owners or Admins
//! (`--operator`), and the fresh users are written as the application writes them (UUIDv7 keys, a password hash
//! placeholder); `bench/phoenixkit.sh` runs it next to pgbench running PhoenixKit's own redemption transaction.

use chrono::Utc;
use clap::{Parser, ValueEnum};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SettingKey;
use refcodes::domain::{ErrorKind, UserId};
use refcodes::service::{GenerateInput, ServiceOptions};
use refcodes::{Error, Service};
use sqlx::{AssertSqlSafe, PgPool, SqlitePool};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const OPERATOR: &str = "bench@localhost";
const SPREAD_DESCRIPTION: &str = "bench spread";
const SPREAD_PREFIX: &str = "BS-";
const HOT_CODE: &str = "BENCH-HOT";
/// The service caps `max_uses` at the `max_number_of_uses_per_code` setting (at most 10,000), so the hot code's
/// limit is written directly with SQL in this setup, high enough that no run can reach it.
const HOT_MAX_USES: i64 = i32::MAX as i64;
/// Most codes one `generate_codes` call makes.
const GENERATE_MAX: usize = 100_000;
/// Users inserted per statement during setup.
const USER_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Uses spread over the spread codes at random.
    Spread,
    /// Every use on one code.
    Hot,
}

#[derive(Debug, Parser)]
#[command(about = "Redeems referral codes with concurrent clients through Service::use_code and reports the rate")]
struct Args {
    /// sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The PostgreSQL schema of the tables.
    #[arg(long)]
    schema: Option<String>,
    /// Who sets up the codes; on refcodes' own database it becomes the first Owner.
    #[arg(long, default_value = OPERATOR)]
    operator: String,
    /// Concurrent clients (tasks), each with its own connection of the pool.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// How long to measure.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, value_enum, default_value_t = Mode::Spread)]
    mode: Mode,
    /// Codes of the spread mode (created once; reused by later runs).
    #[arg(long, default_value_t = 100_000)]
    codes: usize,
    /// Fresh users made for each client before the run; a client that runs out stops, and the run fails.
    /// Default: enough for 4,000 redemptions per second per client over the warm-up and the run.
    #[arg(long)]
    users_per_client: Option<usize>,
    /// Redeem this long before measuring (opens the pool's connections, fills caches). Not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup_seconds: f64,
    /// Pool size; default: one connection per client.
    #[arg(long)]
    pool: Option<u32>,
    /// SQLite busy timeout in milliseconds (as the configuration's `busy_timeout_ms`).
    #[arg(long, default_value_t = 5000)]
    busy_timeout_ms: u64,
    /// Only set the database up (codes, settings), then stop.
    #[arg(long)]
    prepare_only: bool,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    /// Refusals by the rules, by kind.
    refused: BTreeMap<&'static str, u64>,
    /// Failures of the system (database errors and the like), by a short description.
    failed: BTreeMap<String, u64>,
    /// Microseconds per successful redemption.
    latencies: Vec<u32>,
    /// The client used all its users before the time was up.
    exhausted: bool,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        for (k, v) in other.refused {
            *self.refused.entry(k).or_default() += v;
        }
        for (k, v) in other.failed {
            *self.failed.entry(k).or_default() += v;
        }
        self.latencies.extend(other.latencies);
        self.exhausted |= other.exhausted;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench_use: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<ExitCode, Error> {
    if args.clients == 0 || args.seconds == 0 {
        return Err(Error::Config("--clients and --seconds must be at least 1".into()));
    }
    let setup_started = Instant::now();
    let pool = args.pool.unwrap_or(args.clients as u32).max(1);
    let busy_timeout = Duration::from_millis(args.busy_timeout_ms);
    let options = ServiceOptions { schema: args.schema.clone(), ..ServiceOptions::default() };
    let base = Service::open(&args.database_url, pool, busy_timeout, options).await?;
    let signed = base.sign_in_or_make_first_owner(&args.operator).await?;
    let Some(operator) = signed.operator.filter(|op| op.is_admin()) else {
        return Err(Error::Config(format!("{} is not an admin of this database; use a fresh database", args.operator)));
    };
    let service = base.with_operator(Some(operator));
    let phoenix_kit = service.is_phoenix_kit();
    if phoenix_kit && !service.attached().contains("UUID keys") {
        return Err(Error::Config(format!(
            "bench_use needs UUID keys on PhoenixKit (V74 or later): {}",
            service.attached()
        )));
    }
    // A second, small pool for the setup's own SQL (bulk users, the hot code's limit, reading codes back).
    let db = Raw::connect(&args.database_url, args.schema.as_deref(), phoenix_kit).await?;

    let codes = prepare_codes(&service, &db, args.codes).await?;
    println!(
        "backend={} ({}) version={} spread_codes={} hot_code={HOT_CODE} setup_codes_secs={:.1}",
        db.backend(),
        service.attached(),
        version(&db).await?,
        codes.len(),
        setup_started.elapsed().as_secs_f64()
    );
    if args.prepare_only {
        return Ok(ExitCode::SUCCESS);
    }

    let warmup = Duration::from_secs_f64(args.warmup_seconds.max(0.0));
    let per_client = args
        .users_per_client
        .unwrap_or_else(|| (4000.0 * (args.seconds as f64 + warmup.as_secs_f64())).ceil() as usize);
    let users_started = Instant::now();
    let users = make_users(&db, args.clients * per_client).await?;
    let (first_user, last_user) = (users[0], users[users.len() - 1]);
    println!(
        "fresh_users={} (ids {first_user}..={last_user}, {per_client} per client) setup_users_secs={:.1}",
        users.len(),
        users_started.elapsed().as_secs_f64()
    );
    let before = usage_rows(&db, first_user, last_user).await?;

    let codes = std::sync::Arc::new(codes);
    let started = Instant::now();
    let measure_from = started + warmup;
    let until = measure_from + Duration::from_secs(args.seconds);
    let mut handles = Vec::with_capacity(args.clients);
    for (client, mine) in users.chunks(per_client).enumerate() {
        let (service, codes, mine, mode) = (service.clone(), codes.clone(), mine.to_vec(), args.mode);
        handles.push(tokio::spawn(async move {
            client_loop(client as u64, &service, &codes, mode, mine, measure_from, until).await
        }));
    }
    // This process's CPU time over the measured seconds (the database's too, on SQLite).
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_before = cpu_seconds();
    tokio::time::sleep_until(until.into()).await;
    let cpu_used = cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let mut total = Tally::default();
    let mut warm = Tally::default();
    for handle in handles {
        let (warm_part, part) = handle.await.map_err(|e| Error::Config(format!("a client panicked: {e}")))?;
        warm.merge(warm_part);
        total.merge(part);
    }
    let elapsed = until.saturating_duration_since(measure_from).as_secs_f64();
    let after = usage_rows(&db, first_user, last_user).await?;

    total.latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if total.latencies.is_empty() {
            return 0.0;
        }
        let i = ((total.latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(total.latencies[i]) / 1000.0
    };
    println!(
        "mode={:?} clients={} pool={pool} seconds={} warmup_redemptions={}",
        args.mode, args.clients, args.seconds, warm.ok
    );
    println!("redemptions={} refused={:?} failed={:?}", total.ok, total.refused, total.failed);
    println!("latency_ms p50={:.2} p90={:.2} p99={:.2} max={:.2}", pct(0.5), pct(0.9), pct(0.99), pct(1.0));
    if let Some(cpu) = cpu_used.filter(|_| total.ok > 0) {
        println!("cpu_secs={cpu:.2} cpu_us_per_redemption={:.0}", cpu * 1e6 / total.ok as f64);
    }
    // Every success must have left exactly one usage row of a user of this run.
    let recorded = after - before;
    let expected = (total.ok + warm.ok) as i64;
    println!("usage_rows_written={recorded} (expected {expected})");

    let mut healthy = true;
    if recorded != expected {
        eprintln!("bench_use: {recorded} usage rows were written for {expected} successful redemptions");
        healthy = false;
    }
    let unexpected: u64 = warm.failed.values().chain(total.failed.values()).sum::<u64>()
        + warm.refused.values().chain(total.refused.values()).sum::<u64>();
    if unexpected > 0 {
        // Fresh users and limits far above the run: no refusal is expected, so every one is reported as an error.
        eprintln!(
            "bench_use: {unexpected} redemptions failed (warm-up refused={:?} failed={:?}); see the counts above",
            warm.refused, warm.failed
        );
        healthy = false;
    }
    if total.exhausted || warm.exhausted {
        eprintln!("bench_use: a client ran out of fresh users before the time was up; raise --users-per-client");
        healthy = false;
    }
    println!("redemptions_per_sec={:.1}", total.ok as f64 / elapsed);
    service.close().await;
    db.close().await;
    Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Redeems until `until`; returns what happened before `measure_from` (warm-up) and after it, apart.
async fn client_loop(
    client: u64,
    service: &Service,
    codes: &[String],
    mode: Mode,
    users: Vec<UserId>,
    measure_from: Instant,
    until: Instant,
) -> (Tally, Tally) {
    let mut rng = SmallRng::seed_from_u64(0x5eed_0000 + client);
    let (mut warm, mut measured) = (Tally::default(), Tally::default());
    let mut users = users.into_iter();
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let tally = if start < measure_from { &mut warm } else { &mut measured };
        let Some(user) = users.next() else {
            tally.exhausted = true;
            break;
        };
        let code = match mode {
            Mode::Spread => codes[rng.random_range(0..codes.len())].as_str(),
            Mode::Hot => HOT_CODE,
        };
        let result = service.use_code(code, user).await;
        // A use that began during the warm-up counts there, even if it ends after it.
        match result {
            Ok(_) => {
                tally.ok += 1;
                tally.latencies.push(start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Err(e) => match e.kind() {
                Some(kind) => *tally.refused.entry(kind_name(kind)).or_default() += 1,
                None => *tally.failed.entry(failure_name(&e)).or_default() += 1,
            },
        }
    }
    (warm, measured)
}

fn kind_name(kind: ErrorKind) -> &'static str {
    kind.as_str()
}

/// A short, stable description of a failure, to count alike ones together.
fn failure_name(e: &Error) -> String {
    match e {
        Error::Database(sqlx::Error::Database(db)) => {
            format!("database {}: {}", db.code().unwrap_or_default(), db.message())
        }
        Error::Database(other) => format!("database: {other}"),
        other => other.to_string(),
    }
}

/// Settings, the spread codes and the hot code, made once and read back after.
async fn prepare_codes(service: &Service, db: &Raw, want: usize) -> Result<Vec<String>, Error> {
    service.enable_system().await?;
    service.set_setting(SettingKey::MaxUsesPerCode, "10000").await?;
    let mut codes = spread_codes(db).await?;
    while codes.len() < want {
        // generate_codes makes at most 100,000 per call; the Owner is exempt from the per-user limit.
        let count = (want - codes.len()).min(GENERATE_MAX);
        let input = GenerateInput {
            count,
            prefix: SPREAD_PREFIX.into(),
            length: Some(8),
            template: CodeInput {
                code: None,
                description: SPREAD_DESCRIPTION.into(),
                max_uses: Some(10_000),
                expiration: Some(Expiration::Never),
                beneficiary: None,
                inactive: false,
            },
        };
        service.generate_codes(&input).await?;
        codes = spread_codes(db).await?;
    }
    codes.truncate(want);
    if service.get_code_by_string(HOT_CODE).await?.is_none() {
        let input = CodeInput {
            code: Some(HOT_CODE.into()),
            description: "bench hot".into(),
            max_uses: Some(10_000),
            expiration: Some(Expiration::Never),
            beneficiary: None,
            inactive: false,
        };
        service.create_code(&input).await?;
    }
    // See HOT_MAX_USES: the service would refuse this value, so the setup writes it itself.
    db.execute(&format!("UPDATE phoenix_kit_referral_codes SET max_uses = {HOT_MAX_USES} WHERE code = '{HOT_CODE}'"))
        .await?;
    Ok(codes)
}

async fn spread_codes(db: &Raw) -> Result<Vec<String>, Error> {
    let sql =
        format!("SELECT code FROM phoenix_kit_referral_codes WHERE description = '{SPREAD_DESCRIPTION}' ORDER BY code");
    Ok(db.strings(&sql).await?)
}

/// Inserts `n` users that have used nothing, with plain multi-row INSERTs; returns their ids in order. On
/// PhoenixKit they get what its application writes: a UUIDv7 key, a password hash (a placeholder), both times.
async fn make_users(db: &Raw, n: usize) -> Result<Vec<UserId>, Error> {
    let now = Utc::now();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let run = format!("{}-{}", now.timestamp_millis(), std::process::id());
    let mut ids = Vec::with_capacity(n);
    for start in (0..n).step_by(USER_BATCH) {
        let emails = (start..(start + USER_BATCH).min(n)).map(|i| format!("'bench-{run}-{i}@bench.invalid'"));
        if db.phoenix_kit() {
            let rows: Vec<String> =
                emails.map(|email| format!("(uuid_generate_v7(), {email}, 'x', '{at}', '{at}')")).collect();
            let sql = format!(
                "INSERT INTO phoenix_kit_users (uuid, email, hashed_password, inserted_at, updated_at) VALUES {} \
                 RETURNING uuid::text",
                rows.join(", ")
            );
            for uuid in db.strings(&sql).await? {
                let uuid = uuid::Uuid::parse_str(&uuid).map_err(|e| Error::Config(format!("a user's uuid: {e}")))?;
                ids.push(UserId::from(uuid));
            }
        } else {
            let rows: Vec<String> = emails.map(|email| format!("({email}, '{at}')")).collect();
            let sql =
                format!("INSERT INTO phoenix_kit_users (email, inserted_at) VALUES {} RETURNING id", rows.join(", "));
            ids.extend(db.ints(&sql).await?.into_iter().map(UserId::from));
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The database's version, as the driver sees it (SQLite is compiled into the binary).
async fn version(db: &Raw) -> Result<String, Error> {
    let sql = match db {
        Raw::Sqlite(_) => "SELECT sqlite_version()",
        Raw::Postgres(..) => "SHOW server_version",
    };
    Ok(db.strings(sql).await?.remove(0))
}

/// The setup's own SQL, on a small pool of its own (the library keeps its store to itself). The text is the
/// bench's, with no outside input in it.
enum Raw {
    Sqlite(SqlitePool),
    /// With whether it is a PhoenixKit database.
    Postgres(PgPool, bool),
}

impl Raw {
    async fn connect(url: &str, schema: Option<&str>, phoenix_kit: bool) -> Result<Raw, sqlx::Error> {
        Ok(if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(url).await?)
        } else {
            let mut options: sqlx::postgres::PgConnectOptions = url.parse()?;
            if let Some(schema) = schema {
                options = options.options([("search_path", schema)]);
            }
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_with(options).await?;
            Raw::Postgres(pool, phoenix_kit)
        })
    }

    fn phoenix_kit(&self) -> bool {
        matches!(self, Raw::Postgres(_, true))
    }

    fn backend(&self) -> &'static str {
        match self {
            Raw::Sqlite(_) => "Sqlite",
            Raw::Postgres(..) => "Postgres",
        }
    }

    async fn execute(&self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_string());
        match self {
            Raw::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Raw::Postgres(pool, _) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
    }

    async fn strings(&self, sql: &str) -> Result<Vec<String>, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_string());
        let rows: Vec<(String,)> = match self {
            Raw::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
            Raw::Postgres(pool, _) => sqlx::query_as(sql).fetch_all(pool).await?,
        };
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }

    async fn ints(&self, sql: &str) -> Result<Vec<i64>, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_string());
        let rows: Vec<(i64,)> = match self {
            Raw::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await?,
            Raw::Postgres(pool, _) => sqlx::query_as(sql).fetch_all(pool).await?,
        };
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    async fn close(&self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool, _) => pool.close().await,
        }
    }
}

/// User and system CPU time of this process so far, from `/proc/self/stat` (Linux; 100 ticks a second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Usage rows of the users with ids in `first..=last`.
async fn usage_rows(db: &Raw, first: UserId, last: UserId) -> Result<i64, Error> {
    let sql = if db.phoenix_kit() {
        format!(
            "SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE used_by_uuid BETWEEN '{first}' AND '{last}'"
        )
    } else {
        format!("SELECT count(*) FROM phoenix_kit_referral_code_usage WHERE used_by >= {first} AND used_by <= {last}")
    };
    Ok(db.ints(&sql).await?[0])
}
