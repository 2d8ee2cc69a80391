//! Who may do what: the first Owner (`init`), `--as`, `--read-only`, and operators who are not admins.

mod cli_common;
use cli_common as common;

use common::{DEFAULT_OPERATOR, Env};

/// Every write of the command line, on a database where `CODE` exists and user `bob@example.com` too.
const WRITES: &[&[&str]] = &[
    &["settings", "enable"],
    &["settings", "disable"],
    &["settings", "require", "on"],
    &["settings", "set", "max_number_of_uses_per_code", "50"],
    &["users", "add", "new@example.com"],
    &["codes", "create", "--description", "not allowed"],
    &["codes", "update", "CODE", "--inactive"],
    &["codes", "delete", "CODE", "--yes"],
    &["codes", "generate", "3", "--description", "not allowed"],
    &["demo", "--users", "2", "--codes", "2"],
];

/// Every read, on the same database.
const READS: &[&[&str]] = &[
    &["settings", "show"],
    &["users", "list"],
    &["codes", "list"],
    &["codes", "show", "CODE"],
    &["stats"],
    &["export", "codes", "--format", "json"],
    &["export", "usage", "--format", "json"],
];

fn prepared() -> Env {
    let env = Env::new().enabled();
    env.add_user("bob@example.com", "user");
    env.create_code("CODE", &["--max-uses", "5"]);
    env.json(&["use", "CODE", "--user", "bob@example.com"]);
    env
}

/// What the writes could change, to compare before and after.
fn snapshot(env: &Env) -> String {
    let show = env.show("CODE");
    format!(
        "{}\n{}\n{}\n{}",
        env.json(&["settings", "show"]),
        env.json(&["users", "list"]),
        env.json(&["export", "codes", "--format", "json"]),
        show["usage"]
    )
}

/// Users and role assignments, to show a command wrote none.
fn people(env: &Env) -> (i64, i64) {
    let count = |table: &str| {
        let url = env.url().to_string();
        let sql = format!("SELECT count(*) FROM {table}");
        common::block_on(async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
            let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("count");
            n
        })
    };
    (count("phoenix_kit_users"), count("phoenix_kit_user_role_assignments"))
}

#[test]
fn init_makes_the_first_owner_of_a_database_without_users_and_nothing_else_does() {
    let env = Env::empty();
    // A read on the empty database makes nobody, and says how to make the Owner.
    let out = env.ok(&["--as", "Boss@Example.com", "stats"]);
    assert!(out.stderr.contains("no user boss@example.com: this database has no users yet"), "{}", out.stderr);
    assert!(out.stderr.contains("refcodes init --owner EMAIL"), "{}", out.stderr);
    assert_eq!(people(&env), (0, 0));
    // So does a write, which is refused.
    let msg = env.refused_as("not_authorized", &["codes", "create", "--description", "x"]);
    assert!(msg.contains("refcodes init --owner EMAIL"), "{msg}");
    assert_eq!(people(&env), (0, 0));
    let msg = env.refused_as("not_authorized", &["--read-only", "init", "--owner", "boss@example.com"]);
    assert!(msg.contains("read-only"), "{msg}");
    assert_eq!(people(&env), (0, 0));

    let out = env.ok(&["init", "--owner", "Boss@Example.com"]);
    assert!(out.stdout.contains("boss@example.com (id 1) is now the Owner"), "{}", out.stdout);
    let users = env.json(&["--as", "boss@example.com", "users", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["email"], "boss@example.com");
    assert_eq!(users[0]["role"], "Owner");
    // Once only: the database has users now.
    let msg = env.refused_as("conflict", &["init", "--owner", "other@example.com"]);
    assert!(msg.contains("has users already"), "{msg}");
    assert_eq!(people(&env), (1, 1));
    // The Owner's writes work.
    let created = env.json(&["--as", "boss@example.com", "codes", "create", "--description", "by the owner"]);
    assert_eq!(created["created_by_email"], "boss@example.com");
}

#[test]
fn a_read_on_a_database_without_an_admin_makes_nobody_owner() {
    let env = Env::new();
    env.add_user("bob@example.com", "user");
    env.create_code("CODE", &[]);
    // The admin goes: users and codes stay, nobody holds Owner or Admin.
    env.sql("DELETE FROM phoenix_kit_user_role_assignments WHERE user_id = 1");
    let before = people(&env);
    for read in [&["codes", "list"][..], &["stats"], &["settings", "show"]] {
        let out = env.ok(&[&["--as", "ghost@example.com"], read].concat());
        assert!(
            out.stderr.contains(
                "no user ghost@example.com: an Owner or Admin adds one with `refcodes users add ghost@example.com`"
            ),
            "{read:?}: {}",
            out.stderr
        );
        assert_eq!(people(&env), before, "{read:?} wrote users or roles");
    }
    // Nor does the plain user become anything by reading.
    env.ok(&["--as", "bob@example.com", "stats"]);
    assert_eq!(people(&env), before);
    let msg = env.refused_as("not_authorized", &["--as", "ghost@example.com", "settings", "enable"]);
    assert!(msg.starts_with("no user ghost@example.com"), "{msg}");
    env.refused_as("conflict", &["init", "--owner", "ghost@example.com"]);
    assert_eq!(people(&env), before);
}

#[test]
fn the_operator_can_be_named_with_as_or_the_configuration() {
    // From a config file (--config FILE), and from REFCODES_OPERATOR over it.
    let mut env = Env::empty();
    env.ok(&["init", "--owner", "ops@example.com"]);
    let config = env.write_file("config.toml", "[operator]\nemail = \"ops@example.com\"\n");
    let config = config.to_str().unwrap();
    let created = env.json(&["--config", config, "codes", "create", "--description", "by ops"]);
    assert_eq!(created["created_by_email"], "ops@example.com");
    env.set_var("REFCODES_OPERATOR", "bob@example.com");
    env.json(&["--config", config, "--as", "ops@example.com", "users", "add", "bob@example.com"]);
    let msg = env.refused_as("not_authorized", &["--config", config, "codes", "create", "--description", "x"]);
    assert!(msg.contains("bob@example.com"), "REFCODES_OPERATOR wins over the file: {msg}");
}

#[test]
fn read_only_refuses_every_write_and_changes_nothing() {
    let env = prepared();
    let before = snapshot(&env);
    for write in WRITES {
        let args = [&["--read-only"], *write].concat();
        let doc = env.refusal(&args);
        assert_eq!(doc["error"], "not_authorized", "{args:?}: {doc}");
        assert!(doc["message"].as_str().unwrap().contains("read-only"), "{doc}");
    }
    // Redemption and registration are writes too.
    env.refused_as("not_authorized", &["--read-only", "use", "CODE", "--user", DEFAULT_OPERATOR]);
    env.refused_as("not_authorized", &["--read-only", "register", "new@example.com", "--code", "CODE"]);
    assert_eq!(snapshot(&env), before, "--read-only wrote something");

    let line = env.run(&["--read-only", "settings", "enable"]).human_refusal();
    assert!(line.contains("read-only"), "{line}");
}

#[test]
fn read_only_reads_work() {
    let env = prepared();
    for read in READS {
        let args = [&["--read-only"], *read].concat();
        env.json(&args);
        env.ok(&args);
    }
    assert_eq!(env.json(&["--read-only", "codes", "show", "CODE"])["code"]["number_of_uses"], 1);
    assert_eq!(env.json(&["--read-only", "stats"])["total_usage"], 1);
    // Even as the Owner.
    env.json(&["--read-only", "--as", DEFAULT_OPERATOR, "codes", "list"]);
}

#[test]
fn a_user_without_an_admin_role_may_read_but_not_write() {
    let env = prepared();
    let before = snapshot(&env);
    for write in WRITES {
        let args = [&["--as", "bob@example.com"], *write].concat();
        let doc = env.refusal(&args);
        assert_eq!(doc["error"], "not_authorized", "{args:?}: {doc}");
        assert!(doc["message"].as_str().unwrap().contains("bob@example.com is not an admin"), "{doc}");
    }
    assert_eq!(snapshot(&env), before, "a plain user wrote something");
    for read in READS {
        env.json(&[&["--as", "bob@example.com"], *read].concat());
    }
    let line = env.run(&["--as", "bob@example.com", "codes", "delete", "CODE", "--yes"]).human_refusal();
    assert!(line.contains("not an admin"), "{line}");
    assert!(line.contains("--role admin"), "says how to grant it: {line}");

    // An operator who is no user at all may not write either.
    let doc = env.refusal(&["--as", "stranger@example.com", "codes", "create", "--description", "x"]);
    assert_eq!(doc["error"], "not_authorized");
    // And an operator email that is not an email is refused as such.
    assert_eq!(env.refusal(&["--as", "not an email", "stats"])["error"], "validation");
}

#[test]
fn an_admin_may_write() {
    let env = prepared();
    env.add_user("admin@example.com", "admin");
    let as_admin = |args: &[&'static str]| [&["--as", "admin@example.com"], args].concat();
    env.json(&as_admin(&["settings", "require", "on"]));
    env.json(&as_admin(&["users", "add", "carol@example.com", "--role", "user"]));
    let created = env.json(&as_admin(&["codes", "create", "--code", "ADMINS", "--description", "by an admin"]));
    assert_eq!(created["created_by_email"], "admin@example.com");
    env.json(&as_admin(&["codes", "update", "ADMINS", "--inactive"]));
    env.json(&as_admin(&["codes", "delete", "ADMINS", "--yes"]));
    assert_eq!(env.json(&["settings", "show"])["required"], true);
}
