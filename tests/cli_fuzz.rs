//! Random command lines through the real binary on a SQLite file: valid commands with random values, and garbage
//! (unicode, huge strings, NUL-free binary, numbers at and past every bound, dates at and past the calendar's
//! edges). Every run must exit 0, 1, 2 or 3 without a panic, and a refused one must change nothing. 2,000
//! here; `REFCODES_CLI_FUZZ_CASES=100000 cargo test --release --test cli_fuzz` runs long.

mod cli_common;

use cli_common::{Env, block_on};
use sqlx::{Connection, SqliteConnection};

/// Values at the edges of every rule, and garbage.
const VALUES: [&str; 53] = [
    "SPRING-2026",
    "spring-2026",
    "ab",
    "maß",
    "ÜBER",
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "100",
    "101",
    "10000",
    "10001",
    "1000",
    "1001",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "7d",
    "0d",
    "never",
    "12h",
    "99999999999999999999d",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:60Z",
    "10000-01-01",
    "0000-01-01",
    "1970-01-01",
    "2030-02-30",
    "2030-01-31 24:00",
    "ada@example.com",
    "owner@localhost",
    "not-an-email",
    "none",
    "on",
    "off",
    "limit-reached",
    "☃\u{202e}x",
    "--",
    "90%",
    "0%",
    "100%",
    "101%",
    "1h",
    "48h",
    "49h",
    "2w",
    "counters",
];

// Not `demo` (a random size could seed billions of rows), `metrics --listen` (it serves until stopped) or
// `man --out-dir` (it writes where it is told).
const SUBCOMMANDS: [&[&str]; 28] = [
    &["codes", "list"],
    &["codes", "show"],
    &["codes", "create"],
    &["codes", "update"],
    &["codes", "delete"],
    &["codes", "generate"],
    &["use"],
    &["register"],
    &["settings", "show"],
    &["settings", "set"],
    &["settings", "enable"],
    &["settings", "require"],
    &["users", "add"],
    &["users", "list"],
    &["stats"],
    &["export", "codes"],
    &["export", "usage"],
    &["migrate"],
    &["init"],
    &["settings", "disable"],
    &["users", "list"],
    &["check"],
    &["metrics"],
    &["doctor"],
    &["codes", "list", "--near-limit"],
    &["codes", "import"],
    &["completions"],
    &["man"],
];

const FLAGS: [&str; 38] = [
    "--code",
    "--description",
    "--max-uses",
    "--expires",
    "--beneficiary",
    "--inactive",
    "--active",
    "--user",
    "--filter",
    "--status",
    "--sort",
    "--limit",
    "--offset",
    "--count",
    "--prefix",
    "--length",
    "--yes",
    "--json",
    "--as",
    "--read-only",
    "--role",
    "--format",
    "--desc",
    "--email",
    "--owner",
    "--since",
    "--top",
    "--near-limit",
    "--expiring",
    "--min-redemptions",
    "--window",
    "--fix",
    "--indexes",
    "--usage",
    "--username",
    "--first-name",
    "--dry-run",
    "--on-conflict",
];

/// A small seeded generator: the same seed gives the same command line, to reproduce a failure.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn value(&mut self) -> String {
        match self.below(10) {
            0 => "x".repeat([255, 256, 1000, 100_000][self.below(4)]),
            // Bytes that are no UTF-8 can't pass through `Command::arg` as text portably; any other code point can.
            1 => (0..self.below(30))
                .map(|_| char::from_u32(1 + self.below(0x2FFFF) as u32).unwrap_or('\u{fffd}'))
                .collect(),
            _ => VALUES[self.below(VALUES.len())].to_string(),
        }
    }

    fn argv(&mut self) -> Vec<String> {
        let mut argv: Vec<String> = SUBCOMMANDS[self.below(SUBCOMMANDS.len())].iter().map(|s| s.to_string()).collect();
        for _ in 0..self.below(3) {
            argv.push(self.value());
        }
        for _ in 0..self.below(6) {
            argv.push(FLAGS[self.below(FLAGS.len())].to_string());
            if self.below(4) != 0 {
                argv.push(self.value());
            }
        }
        argv
    }
}

/// Everything the database holds, as text.
async fn snapshot(url: &str) -> String {
    let mut conn = SqliteConnection::connect(url).await.expect("open the database");
    let mut all = String::new();
    for table in [
        "phoenix_kit_referral_codes",
        "phoenix_kit_referral_code_usage",
        "phoenix_kit_settings",
        "phoenix_kit_users",
        "phoenix_kit_user_role_assignments",
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("read");
        all.push_str(&format!("{table}: {} rows\n", rows.len()));
        for row in rows {
            use sqlx::Row;
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| format!("{:?}", row.try_get::<Option<i64>, _>(i).ok().flatten()))
                })
                .collect();
            all.push_str(&cells.join("|"));
            all.push('\n');
        }
    }
    conn.close().await.ok();
    all
}

/// Cases run on this many databases at once: each case is a short process, mostly waiting on its start.
const WORKERS: u64 = 4;

#[test]
fn random_command_lines_exit_cleanly_and_refusals_change_nothing() {
    let cases: u64 = std::env::var("REFCODES_CLI_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let seed: u64 = std::env::var("REFCODES_CLI_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0xC11);
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| std::thread::spawn(move || run_cases(seed, (worker..cases).step_by(WORKERS as usize))))
        .collect();
    for worker in workers {
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Runs `cases` on a database of their own: the Owner, a code, a user, the system on.
fn run_cases(seed: u64, cases: impl Iterator<Item = u64>) {
    let env = Env::new();
    env.ok(&["settings", "enable"]);
    env.create_code("SPRING-2026", &["--max-uses", "2"]);
    env.add_user("ada@example.com", "user");
    for case in cases {
        let mut rng = Rng(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let argv = rng.argv();
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let before = block_on(snapshot(env.url()));
        let out = env.run(&args);
        let shown = format!("case {case} (seed {seed}): refcodes {args:?}\n{}", out.stderr);
        assert!(matches!(out.code, 0..=3), "exit {}: {shown}", out.code);
        assert!(!out.stderr.contains("panicked"), "a panic: {shown}");
        if out.code != 0 {
            assert_eq!(block_on(snapshot(env.url())), before, "a refused command changed the database: {shown}");
        }
    }
}
