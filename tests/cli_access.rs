//! Who may do what: the first Owner, `--as`, `--read-only`, and operators who are not admins.

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

#[test]
fn the_first_run_makes_the_operator_owner_and_says_so_once() {
    let env = Env::new();
    let out = env.ok(&["settings", "show"]);
    assert!(
        out.stderr.contains(&format!("this database had no admin, so {DEFAULT_OPERATOR} is now its Owner")),
        "the first run says who became Owner: {}",
        out.stderr
    );
    let again = env.ok(&["settings", "show"]);
    assert!(!again.stderr.contains("Owner"), "only the first run says so: {}", again.stderr);
    let users = env.json(&["users", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["email"], DEFAULT_OPERATOR);
    assert_eq!(users[0]["role"], "Owner");
    // The Owner's writes work.
    env.json(&["codes", "create", "--description", "by the owner"]);
}

#[test]
fn the_first_owner_can_be_named_with_as_or_the_configuration() {
    let env = Env::new();
    let out = env.ok(&["--as", "Boss@Example.com", "stats"]);
    assert!(out.stderr.contains("boss@example.com is now its Owner"), "{}", out.stderr);
    // The next operator is not made anything: the database has an admin now.
    let out = env.run(&["--as", "someone@example.com", "--json", "codes", "create", "--description", "x"]);
    assert!(!out.stderr.contains("Owner"), "{}", out.stderr);
    assert_eq!(out.refused()["error"], "not_authorized");
    let users = env.json(&["users", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 1, "an unknown operator is not added: {users}");
    assert_eq!(users[0]["email"], "boss@example.com");
    assert_eq!(users[0]["role"], "Owner");

    // From a config file (--config FILE), and from REFCODES_OPERATOR over it.
    let mut env = Env::new();
    let config = env.write_file("config.toml", "[operator]\nemail = \"ops@example.com\"\n");
    let config = config.to_str().unwrap();
    let out = env.ok(&["--config", config, "stats"]);
    assert!(out.stderr.contains("ops@example.com is now its Owner"), "{}", out.stderr);
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
