//! Exit statuses (0 done, 1 refused, 2 bad command line, 3 database or system), error documents, and database
//! URLs whose passwords must never be printed.

mod cli_common;
use cli_common as common;

use common::{Env, Out, PgDatabase};
use std::path::Path;

const KINDS: [&str; 12] = [
    "code_not_found",
    "code_inactive",
    "code_expired",
    "usage_limit_reached",
    "already_used",
    "system_disabled",
    "user_not_found",
    "code_required",
    "email_taken",
    "validation",
    "not_authorized",
    "conflict",
];

const PASSWORD: &str = "hunter2-Secret-pw";

/// Every file under `dir` that holds `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle)) {
            found.push(path.display().to_string());
        }
    }
    found
}

fn assert_no_password(env: &Env, out: &Out) {
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD), "the password was printed: {out:?}");
    assert_eq!(files_containing(env.path(), PASSWORD), Vec::<String>::new(), "the password was written to a file");
}

#[test]
fn help_and_version_exit_zero() {
    let env = Env::new();
    let out = env.run(&["--help"]).success();
    assert!(out.stdout.contains("Exit status: 0 done, 1"), "{}", out.stdout);
    for command in ["migrate", "settings", "users", "codes", "use", "register", "stats", "export", "demo"] {
        assert!(out.stdout.contains(command), "--help lists {command}");
    }
    let out = env.run(&["codes", "create", "--help"]).success();
    for option in ["--code", "--description", "--max-uses", "--expires", "--beneficiary", "--inactive"] {
        assert!(out.stdout.contains(option), "codes create --help lists {option}");
    }
    let out = env.run(&["--version"]).success();
    assert!(out.stdout.starts_with("refcodes "), "{}", out.stdout);
}

#[test]
fn a_bad_command_line_exits_two_and_says_why() {
    let env = Env::new().enabled();
    env.create_code("THERE", &[]);
    let cases: &[(&[&str], &str)] = &[
        (&["codes", "bogus"], "bogus"),
        (&["frobnicate"], "frobnicate"),
        (&["codes", "create"], "--description"),
        (&["codes", "list", "--status", "gone"], "gone"),
        (&["codes", "list", "--sort", "colour"], "colour"),
        (&["codes", "list", "--window", "90d"], "90d"),
        (&["codes", "list", "--filter", "uses:>many"], "uses: expects a number after >, <, >=, <= or ="),
        (&["codes", "list", "--filter", "staus:active"], "staus: is not a field"),
        (&["codes", "list", "--limit", "many"], "many"),
        (&["codes", "generate", "lots", "--description", "x"], "lots"),
        (&["codes", "update", "THERE", "--active", "--inactive"], "--inactive"),
        (&["use", "THERE"], "--user"),
        (&["users", "add", "x@example.com", "--role", "king"], "king"),
        (&["settings", "require", "sometimes"], "sometimes"),
        (&["export", "everything"], "everything"),
        (&["--no-such-option", "stats"], "--no-such-option"),
        // Limits and offsets are counts within what the databases take (a signed 64-bit integer).
        (&["users", "list", "--limit=-5"], "-5"),
        (&["codes", "list", "--limit=-1"], "-1"),
        (&["codes", "list", "--offset", "18446744073709551615"], "18446744073709551615"),
        (&["codes", "list", "--limit", "9223372036854775808"], "9223372036854775808"),
        (&["codes", "show", "THERE", "--limit=-1"], "-1"),
    ];
    for (args, named) in cases {
        let out = env.run(args).status(2);
        assert!(out.stderr.contains(named), "{args:?}: stderr names {named}: {}", out.stderr);
        // With --json, scripts get the contract's error document instead.
        let all = [&["--json"], *args].concat();
        let out = env.run(&all).status(2);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{all:?}: {e}"));
        assert_eq!(doc["error"], "usage", "{all:?}");
        let message = doc["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(named) && !message.contains('\u{1b}'),
            "{all:?}: the message names {named}: {message}"
        );
    }
    // Nothing was changed by any of them.
    let there = env.show("THERE");
    assert_eq!(there["code"]["status"], true);
    assert_eq!(env.stats()["total_codes"], 1);
}

#[test]
fn a_bad_configuration_exits_two() {
    let env = Env::new();
    let missing = env.path().join("missing.toml");
    let out = env.run(&["--config", missing.to_str().unwrap(), "stats"]).status(2);
    assert!(out.stderr.contains("can't read config file"), "{}", out.stderr);

    let broken = env.write_file("broken.toml", "[codes\nlength = 8\n");
    let out = env.run(&["--config", broken.to_str().unwrap(), "stats"]).status(2);
    assert!(out.stderr.contains("not valid TOML"), "{}", out.stderr);

    let typo = env.write_file("typo.toml", "[codes]\nlenght = 8\n");
    let out = env.run(&["--json", "--config", typo.to_str().unwrap(), "stats"]).status(2);
    let doc = out.json();
    assert_eq!(doc["error"], "config");
    assert!(doc["message"].as_str().unwrap().contains("lenght"), "names the unknown key: {doc}");

    let mut env = Env::new();
    env.set_var("REFCODES__CODES__LENGTH", "2");
    let out = env.run(&["stats"]).status(2);
    assert!(out.stderr.contains("codes.length"), "{}", out.stderr);

    let env = Env::new();
    let out = env.bare_command().args(["--json", "--database-url", "mysql://db/app", "stats"]).output().unwrap();
    let out = Out::of(out, &["mysql"]).status(2);
    assert_eq!(out.json()["error"], "config");
}

#[test]
fn the_dashboards_sections_are_checked_before_any_command_opens_the_database() {
    let env = Env::empty();
    let db = env.path().join("refcodes.db");
    let keys = env.write_file("keys.toml", "[keys.list]\n\"x\" = \"explode\"\n");
    let out = env.run(&["--json", "--config", keys.to_str().unwrap(), "stats"]).status(2);
    let doc = out.json();
    assert_eq!(doc["error"], "config");
    let message = doc["message"].as_str().unwrap();
    assert!(message.contains("explode") && message.contains("keys.toml"), "names the entry and its file: {doc}");

    let theme = env.write_file("theme.toml", "[theme]\naccent = \"glitter\"\n");
    let out = env.run(&["--config", theme.to_str().unwrap(), "codes", "list"]).status(2);
    assert!(out.stderr.contains("[theme] accent = \"glitter\" is not a colour"), "{}", out.stderr);
    assert!(!db.exists(), "no database was opened, so none was made");
}

#[test]
fn environment_variables_not_ours_may_hold_any_bytes_and_ours_must_be_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let mut cmd = env.command(&["--json", "stats"]);
    cmd.env("FOO", OsStr::from_bytes(b"\xff"));
    let stats = Out::of(cmd.output().unwrap(), &["stats"]).success().json();
    assert_eq!(stats["total_codes"], 0);

    let env = Env::empty();
    let mut cmd = env.command(&["--json", "stats"]);
    cmd.env("REFCODES_OPERATOR", OsStr::from_bytes(b"ops\xff@example.com"));
    let out = Out::of(cmd.output().unwrap(), &["stats"]).status(2);
    let doc = out.json();
    assert_eq!(doc["error"], "config");
    assert!(doc["message"].as_str().unwrap().contains("REFCODES_OPERATOR is not valid UTF-8"), "{doc}");
    assert!(!env.path().join("refcodes.db").exists());
}

#[test]
fn a_configuration_file_is_read() {
    let env = Env::empty();
    let db = env.path().join("from-config.db");
    let config = env.write_file(
        "config.toml",
        &format!("[database]\nurl = \"sqlite://{}\"\n\n[codes]\nlength = 9\nmax_uses = 42\n", db.display()),
    );
    // No --database-url: the file names the database.
    let mut init = env.bare_command();
    init.args(["--config", config.to_str().unwrap(), "init", "--owner", common::DEFAULT_OPERATOR]);
    Out::of(init.output().unwrap(), &["init"]).success();
    let mut cmd = env.bare_command();
    cmd.args(["--json", "--config", config.to_str().unwrap(), "codes", "create", "--description", "x"]);
    let created = Out::of(cmd.output().unwrap(), &["codes", "create"]).success().json();
    assert_eq!(created["code"].as_str().unwrap().len(), 9, "codes.length = 9: {created}");
    assert_eq!(created["max_uses"], 42);
    assert!(db.exists(), "the configured database was used");
    assert!(!env.path().join("refcodes.db").exists());
}

#[test]
fn without_a_database_url_the_data_directory_is_used() {
    let env = Env::new();
    let mut cmd = env.bare_command();
    cmd.args(["--json", "stats"]);
    let stats = Out::of(cmd.output().unwrap(), &["stats"]).success().json();
    assert_eq!(stats["total_codes"], 0);
    let db = env.path().join("home/.local/share/refcodes/refcodes.db");
    assert!(db.exists(), "the default database is in the sandbox's data directory");
}

#[test]
fn every_refusal_exits_one_with_a_kind_a_message_and_fields() {
    let env = Env::new();
    env.add_user("bob@example.com", "user");
    env.create_code("LIMITED", &["--max-uses", "1"]);
    env.create_code("ROOMY", &["--max-uses", "5"]);
    env.create_code("OFF", &["--inactive"]);
    env.create_code("OLD", &[]);
    env.expire("OLD");
    let check = |kind: &str, args: &[&str]| {
        assert!(KINDS.contains(&kind));
        let doc = env.refusal(args);
        assert_eq!(doc["error"], kind, "{args:?}: {doc}");
        assert!(doc["fields"].is_array(), "{doc}");
        if kind == "validation" {
            let fields = doc["fields"].as_array().unwrap();
            assert!(!fields.is_empty(), "validation names its fields: {doc}");
            assert!(fields.iter().all(|f| f["field"].is_string() && f["message"].is_string()), "{doc}");
        }
        // Without --json: one sentence on stderr and nothing on stdout.
        let line = env.run(args).human_refusal();
        assert!(line.len() > "refcodes: ".len() + 10, "{line}");
        assert!(!line.contains('{'), "a sentence, not JSON: {line}");
    };
    check("system_disabled", &["use", "ROOMY", "--user", "bob@example.com"]);
    check("code_not_found", &["codes", "show", "NOPE"]);
    check("validation", &["codes", "create", "--description", ""]);
    check("not_authorized", &["--as", "bob@example.com", "settings", "enable"]);
    check("email_taken", &["users", "add", "bob@example.com"]);
    check("conflict", &["codes", "create", "--code", "OFF", "--description", "x"]);
    check("user_not_found", &["codes", "create", "--description", "x", "--beneficiary", "ghost@example.com"]);

    env.ok(&["settings", "enable"]);
    check("code_inactive", &["use", "OFF", "--user", "bob@example.com"]);
    check("code_expired", &["use", "OLD", "--user", "bob@example.com"]);
    env.json(&["use", "ROOMY", "--user", "bob@example.com"]);
    check("already_used", &["use", "ROOMY", "--user", "bob@example.com"]);
    env.json(&["use", "LIMITED", "--user", "bob@example.com"]);
    check("usage_limit_reached", &["use", "LIMITED", "--user", common::DEFAULT_OPERATOR]);
    env.ok(&["settings", "require", "on"]);
    check("code_required", &["register", "someone@example.com"]);
}

#[test]
fn an_error_the_database_answered_does_not_blame_the_url() {
    let env = Env::new();
    // Say a DBA froze the codes table with a trigger: the database was reached and said no.
    env.sql(
        "CREATE TRIGGER frozen BEFORE INSERT ON phoenix_kit_referral_codes \
         BEGIN SELECT RAISE(ABORT, 'codes are frozen for the audit'); END",
    );
    let out = env.run(&["codes", "create", "--code", "NEWONE", "--description", "x"]).status(3);
    assert!(out.stderr.contains("codes are frozen for the audit"), "{}", out.stderr);
    assert!(!out.stderr.contains("--database-url"), "the URL is not the problem: {}", out.stderr);
}

#[test]
fn an_unreachable_database_exits_three_without_printing_the_password() {
    let env = Env::new();
    let url = format!("postgres://alice:{PASSWORD}@127.0.0.1:1/refcodes");
    // Both at once: each waits for the connection to time out.
    let human = env.bare_command().args(["--database-url", &url, "stats"]).spawn().unwrap();
    let mut json = env.bare_command();
    json.env("REFCODES_DATABASE_URL", &url).args(["--json", "codes", "list"]);
    let json = json.spawn().unwrap();

    let out = Out::of(human.wait_with_output().unwrap(), &["stats"]).status(3);
    assert!(out.stderr.starts_with("refcodes: database error"), "{}", out.stderr);
    // What the system said, not the pool's "timed out" after retrying it.
    assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
    assert!(!out.stderr.contains("pool timed out"), "{}", out.stderr);
    assert!(out.stderr.contains("--database-url"), "says what to check: {}", out.stderr);
    assert_no_password(&env, &out);

    let out = Out::of(json.wait_with_output().unwrap(), &["--json", "codes", "list"]).status(3);
    let doc = out.json();
    assert_eq!(doc["error"], "system");
    assert!(doc["message"].as_str().unwrap().contains("database"), "{doc}");
    assert_no_password(&env, &out);

    // A URL that does not parse: a bad command line, still without the password.
    let bad = format!("postgres://alice:{PASSWORD}@127.0.0.1:notaport/refcodes");
    let out = Out::of(env.bare_command().args(["--database-url", &bad, "stats"]).output().unwrap(), &["bad"]);
    let out = out.status(2);
    assert!(out.stderr.contains("bad database URL"), "{}", out.stderr);
    assert_no_password(&env, &out);
}

#[test]
fn a_database_that_cannot_be_opened_exits_three() {
    let env = Env::empty();
    let nowhere = format!("sqlite://{}", env.path().join("no/such/dir/x.db").display());
    let out = Out::of(env.bare_command().args(["--database-url", &nowhere, "stats"]).output().unwrap(), &["x"]);
    out.status(3);

    // --read-only never creates the file it is pointed at.
    let out = env.run(&["--read-only", "stats"]).status(3);
    assert!(out.stderr.contains("database"), "{}", out.stderr);
    assert!(!env.path().join("refcodes.db").exists(), "--read-only made a database");

    let garbage = env.write_file("garbage.db", &"this is not a database\n".repeat(200));
    let url = format!("sqlite://{}", garbage.display());
    let out = env.bare_command().args(["--json", "--database-url", &url, "stats"]).output().unwrap();
    let out = Out::of(out, &["garbage"]).status(3);
    assert_eq!(out.json()["error"], "system");
}

#[test]
fn postgres_migrate_masks_the_password() {
    let Some(db) = PgDatabase::create("postgres_migrate_masks_the_password") else { return };
    // The test server may ignore passwords (trust); what matters is that none is printed.
    let url = with_password(&db.url, PASSWORD);
    let env = Env::with_url(&url);
    let out = env.run(&["migrate"]).success();
    assert!(out.stdout.contains(":****@"), "{}", out.stdout);
    assert_no_password(&env, &out);
    let out = env.run(&["--json", "migrate"]).success();
    assert_eq!(out.json()["database"], with_password(&db.url, "****"));
    assert_no_password(&env, &out);
}

/// `url` with its user's password set to `password` (the user is `postgres` when the URL names none).
fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (userinfo.split(':').next().unwrap().to_string(), host),
        None => ("postgres".to_string(), authority),
    };
    format!("{scheme}://{user}:{password}@{host}{tail}")
}

/// The tables of a SQLite file and its bytes, to show a command left it as it was.
fn sqlite_file_state(path: &Path) -> (Vec<String>, Vec<u8>) {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let tables = common::block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("tables");
        conn.close().await.expect("close");
        rows.into_iter().map(|(t,)| t).collect()
    });
    (tables, std::fs::read(path).expect("read the file"))
}

/// Makes a SQLite file at `path` with `sql` run in it (in SQLite's default journal mode, as other programs do).
fn sqlite_file(path: &Path, sql: &str) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let sql = sql.to_string();
    common::block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.expect("run SQL");
        conn.close().await.expect("close");
    });
}

#[test]
fn a_sqlite_file_of_another_application_is_refused_and_left_unchanged() {
    let env = Env::empty();
    for (name, sql, table) in [
        (
            "notes.db",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi')",
            "notes",
        ),
        (
            "same_name.db",
            "CREATE TABLE phoenix_kit_referral_codes (id INTEGER PRIMARY KEY, title TEXT)",
            "phoenix_kit_referral_codes",
        ),
    ] {
        let path = env.path().join(name);
        sqlite_file(&path, sql);
        let before = sqlite_file_state(&path);
        let url = format!("sqlite://{}", path.display());
        for args in [&["codes", "list"][..], &["--json", "stats"], &["init", "--owner", "a@example.com"]] {
            let out = env.bare_command().arg("--database-url").arg(&url).args(args).output().unwrap();
            let out = Out::of(out, args).status(3);
            let said = format!("{}{}", out.stdout, out.stderr);
            assert!(said.contains(&format!("another application ({table})")), "{name} {args:?}: {said}");
            assert_eq!(sqlite_file_state(&path), before, "{name} changed by {args:?}");
        }
        let files: Vec<_> = std::fs::read_dir(env.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(!files.iter().any(|f| f.to_string_lossy().starts_with(&format!("{name}-"))), "{files:?}");
    }
}

#[test]
fn postgres_a_database_with_a_same_named_table_is_refused_and_gets_no_migrations_table() {
    let Some(db) = PgDatabase::create("postgres_a_database_with_a_same_named_table") else { return };
    let env = Env::with_url(&db.url);
    env.sql("CREATE TABLE phoenix_kit_referral_codes (id serial PRIMARY KEY, title text)");
    let tables = || {
        let url = db.url.clone();
        common::block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            )
            .fetch_all(&mut conn)
            .await
            .expect("tables");
            conn.close().await.expect("close");
            rows.into_iter().map(|(t,)| t).collect::<Vec<_>>()
        })
    };
    for args in [&["codes", "list"][..], &["init", "--owner", "a@example.com"], &["migrate"]] {
        let out = env.run(args).status(3);
        assert!(out.stderr.contains("another application (phoenix_kit_referral_codes)"), "{args:?}: {}", out.stderr);
        assert_eq!(tables(), vec!["public.phoenix_kit_referral_codes".to_string()], "{args:?} created tables");
    }
}

#[test]
fn mode_ro_in_a_sqlite_url_is_read_only() {
    let env = Env::new();
    env.create_code("KEPT", &[]);
    let path = env.url().trim_start_matches("sqlite://").to_string();
    let ro = format!("{}?mode=ro", env.url());
    let run = |args: &[&str]| {
        let out = env.bare_command().arg("--database-url").arg(&ro).args(args).output().unwrap();
        Out::of(out, args)
    };
    let doc = run(&["--json", "codes", "delete", "KEPT", "--yes"]).refused();
    assert_eq!(doc["error"], "not_authorized");
    assert!(doc["message"].as_str().unwrap().contains("read-only"), "{doc}");
    let doc = run(&["--json", "codes", "list"]).success().json();
    assert_eq!(doc["total"], 1, "{doc}");
    assert_eq!(env.json(&["codes", "list"])["total"], 1, "the code is still there");
    assert!(Path::new(&path).exists());
}

#[test]
fn read_only_reads_a_database_in_a_directory_it_may_not_write() {
    let env = Env::new();
    env.create_code("KEPT", &[]);
    let path = env.url().trim_start_matches("sqlite://").to_string();
    let dir = Path::new(&path).parent().unwrap().to_path_buf();
    use std::os::unix::fs::PermissionsExt;
    // Root writes anywhere: then the reader runs as `nobody` (who may read the file but not write the directory).
    let root = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let nobody = Path::new("/usr/bin/setpriv").exists();
    if root && !nobody {
        eprintln!("skipping: running as root without setpriv, a read-only directory can't be made");
        return;
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let args = ["--read-only", "--json", "codes", "list"];
    let mut cmd = if root {
        let mut cmd = std::process::Command::new("/usr/bin/setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_refcodes")]);
        let inner = env.bare_command();
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.current_dir("/").stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        cmd
    } else {
        env.bare_command()
    };
    let out = cmd.arg("--database-url").arg(env.url()).args(args).output().unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Out::of(out, &args).success();
    assert_eq!(out.json()["codes"][0]["code"], "KEPT", "{}", out.stdout);
}

#[test]
fn a_sqlite_url_without_a_file_says_so() {
    let env = Env::empty();
    for url in ["sqlite:", "sqlite://"] {
        let out = env.bare_command().args(["--database-url", url, "stats"]).output().unwrap();
        let out = Out::of(out, &[url]).status(2);
        assert!(out.stderr.contains(&format!("the database URL {url} names no file")), "{}", out.stderr);
    }
}
