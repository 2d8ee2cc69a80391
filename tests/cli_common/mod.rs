//! Helpers for the end-to-end tests of the command line: each test runs the real `refcodes` binary against its own
//! fresh database, with HOME and the XDG directories inside a temporary directory and every `REFCODES_*` variable
//! of the caller's environment removed, so no user configuration, data directory or operator leaks in.

// Each `tests/cli_*.rs` file is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use tempfile::TempDir;

/// The login the binary sees, so the default operator is `tester@localhost`.
pub const LOGIN: &str = "tester";
pub const DEFAULT_OPERATOR: &str = "tester@localhost";

/// A sandbox: a temporary home and one database.
pub struct Env {
    dir: TempDir,
    url: String,
    /// Extra environment variables for every run (set deliberately by a test).
    vars: Vec<(String, String)>,
}

impl Env {
    /// A sandbox on a fresh SQLite file whose first Owner is the default operator (`refcodes init`).
    pub fn new() -> Env {
        Env::empty().owned()
    }

    /// A sandbox on a SQLite file the binary has not made yet (made on first run, with no users).
    pub fn empty() -> Env {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("refcodes.db").display());
        Env { dir, url, vars: Vec::new() }
    }

    /// Makes the default operator (`tester@localhost`) the database's first Owner.
    pub fn owned(self) -> Env {
        self.ok(&["init", "--owner", DEFAULT_OPERATOR]);
        self
    }

    /// A sandbox whose database is `url` (a PostgreSQL test database), as it is: [`Env::owned`] makes its Owner.
    pub fn with_url(url: &str) -> Env {
        let dir = tempfile::tempdir().expect("temporary directory");
        Env { dir, url: url.to_string(), vars: Vec::new() }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// Sets an environment variable for every later run.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.push((name.to_string(), value.to_string()));
    }

    /// Writes a file inside the sandbox and returns its path.
    pub fn write_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// The binary with a clean environment and no database URL: nothing from the caller's setup reaches it.
    pub fn bare_command(&self) -> Command {
        let home = self.dir.path().join("home");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_refcodes"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("REFCODES") {
                cmd.env_remove(&name);
            }
        }
        cmd.env_remove("RUST_LOG")
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("USER", LOGIN)
            .env("LOGNAME", LOGIN)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.vars {
            cmd.env(name, value);
        }
        cmd
    }

    /// The binary on this sandbox's database.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.bare_command();
        cmd.arg("--database-url").arg(&self.url).args(args);
        cmd
    }

    /// Runs `refcodes --database-url URL ARGS...` and waits for it.
    pub fn run(&self, args: &[&str]) -> Out {
        Out::of(self.command(args).output().expect("run refcodes"), args)
    }

    /// Starts `refcodes --database-url URL ARGS...` without waiting.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("spawn refcodes")
    }

    /// Runs with `--json`, expects success, and returns the one JSON document printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all).success().json()
    }

    /// Runs with `--json`, expects a refusal by the rules (exit 1), and returns the error document.
    pub fn refusal(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.run(&all).refused()
    }

    /// Runs with `--json`, expects a refusal of `kind`, and returns its message.
    pub fn refused_as(&self, kind: &str, args: &[&str]) -> String {
        let doc = self.refusal(args);
        assert_eq!(doc["error"], kind, "refcodes {args:?} refused with another kind: {doc}");
        doc["message"].as_str().expect("message").to_string()
    }

    /// Runs and expects success (for setup steps).
    pub fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success()
    }

    /// Enables the system, acting as the first Owner (`tester@localhost`).
    pub fn enabled(self) -> Env {
        self.ok(&["settings", "enable"]);
        self
    }

    /// Adds a user with a role and returns their id.
    pub fn add_user(&self, email: &str, role: &str) -> i64 {
        self.json(&["users", "add", email, "--role", role])["id"].as_i64().expect("user id")
    }

    /// Creates a code and returns its JSON.
    pub fn create_code(&self, code: &str, extra: &[&str]) -> Value {
        let mut args = vec!["codes", "create", "--code", code, "--description", "Test code"];
        args.extend_from_slice(extra);
        self.json(&args)
    }

    /// The `codes show CODE --json` document.
    pub fn show(&self, code: &str) -> Value {
        self.json(&["codes", "show", code, "--limit", "1000"])
    }

    /// `stats --json`.
    pub fn stats(&self) -> Value {
        self.json(&["stats"])
    }

    /// Runs SQL on the database directly: only for states the rules never let the CLI make (an expiry in the past).
    pub fn sql(&self, statement: &str) {
        let url = self.url.clone();
        let statement = statement.to_string();
        block_on(async move {
            use sqlx::Connection;
            let sql = sqlx::AssertSqlSafe(statement);
            if url.starts_with("postgres") {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect("run SQL");
                conn.close().await.expect("close");
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect("run SQL");
                conn.close().await.expect("close");
            }
        });
    }

    /// Moves a code's expiration into the past, so it is Expired.
    pub fn expire(&self, code: &str) {
        let past = if self.is_postgres() { "'2020-01-01T00:00:00Z'" } else { "'2020-01-01T00:00:00.000Z'" };
        self.sql(&format!("UPDATE phoenix_kit_referral_codes SET expiration_date = {past} WHERE code = '{code}'"));
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn of(output: Output, args: &[&str]) -> Out {
        Out {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code().expect("refcodes ended by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    fn describe(&self) -> String {
        format!(
            "refcodes {:?} exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit status.
    pub fn status(self, code: i32) -> Out {
        assert_eq!(self.code, code, "unexpected exit status: {}", self.describe());
        self
    }

    pub fn success(self) -> Out {
        self.status(0)
    }

    /// Parses stdout as exactly one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.describe()))
    }

    /// Asserts exit 1 with a JSON error document of the contract's shape, and returns it.
    pub fn refused(self) -> Value {
        let out = self.status(1);
        let doc = out.json();
        assert!(doc["error"].as_str().is_some_and(|k| !k.is_empty()), "no error kind: {doc}");
        assert!(doc["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {doc}");
        doc
    }

    /// Asserts a human refusal: exit 1, nothing on stdout, one sentence on stderr; returns that sentence.
    pub fn human_refusal(self) -> String {
        let out = self.status(1);
        assert_eq!(out.stdout, "", "a refusal printed on stdout: {}", out.describe());
        let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "a refusal is one line on stderr: {}", out.describe());
        assert!(lines[0].starts_with("refcodes: "), "{}", out.describe());
        lines[0].to_string()
    }

    /// The lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The whitespace-separated cells of the stdout line that starts with `first` (a table row).
    pub fn row(&self, first: &str) -> Vec<String> {
        self.stdout
            .lines()
            .find(|l| l.starts_with(first))
            .unwrap_or_else(|| panic!("no line starts with {first:?}: {}", self.describe()))
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Runs a future on a small runtime of its own (the tests are synchronous).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(future)
}

/// CSV (RFC 4180: quoted fields, doubled quotes, commas and line breaks inside quotes) as records keyed by the
/// header's names; every row must have as many fields as the header (the csv crate refuses any other).
pub fn csv_records(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a CSV header").clone();
    reader
        .records()
        .map(|row| header.iter().map(str::to_string).zip(row.expect("a CSV row").iter().map(str::to_string)).collect())
        .collect()
}

/// A fresh PostgreSQL database for one test, dropped (`WITH (FORCE)`) when the guard goes.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// `None` (after printing a skip line) when `REFCODES_TEST_POSTGRES_URL` is not set.
    pub fn create(test: &str) -> Option<PgDatabase> {
        let admin_url = match std::env::var("REFCODES_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => {
                eprintln!(
                    "skipping {test}: set REFCODES_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run it on PostgreSQL"
                );
                return None;
            }
        };
        let name = format!("refcodes_cli_{}_{}", std::process::id(), random_suffix());
        let url = with_database(&admin_url, &name);
        let create = format!("CREATE DATABASE {name}");
        let tune = format!("ALTER DATABASE {name} SET synchronous_commit = off");
        let admin = admin_url.clone();
        block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to REFCODES_TEST_POSTGRES_URL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&mut conn).await.expect("CREATE DATABASE");
            // Commits return before their WAL flush: these tests are about answers, not power cuts.
            sqlx::raw_sql(sqlx::AssertSqlSafe(tune)).execute(&mut conn).await.expect("ALTER DATABASE");
            conn.close().await.expect("close");
        });
        Some(PgDatabase { admin_url, name, url })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        block_on(async move {
            use sqlx::Connection;
            match sqlx::PgConnection::connect(&admin).await {
                Ok(mut conn) => {
                    if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await {
                        eprintln!("could not drop the test database: {e}");
                    }
                    let _ = conn.close().await;
                }
                Err(e) => eprintln!("could not connect to drop the test database: {e}"),
            }
        });
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut out = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:016x}", hasher.finish())
}

/// Parses an RFC 3339 time from a JSON string.
pub fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).with_timezone(&chrono::Utc)
}

/// The current time, truncated to milliseconds like the times refcodes writes.
pub fn now_ms() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(3)
}
