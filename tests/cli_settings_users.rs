//! `refcodes migrate`, `settings show | enable | disable | require | set` and `users add | list`.

mod cli_common;
use cli_common as common;

use common::{DEFAULT_OPERATOR, Env};
use serde_json::Value;

#[test]
fn migrate_makes_the_schema_and_says_so() {
    let env = Env::new();
    let out = env.ok(&["migrate"]);
    assert!(out.stdout.contains("is up to date"), "{}", out.stdout);
    assert!(out.stdout.contains(env.url()), "names the database: {}", out.stdout);
    assert!(env.path().join("refcodes.db").exists(), "the SQLite file was made");

    let doc = env.json(&["migrate"]);
    assert_eq!(doc["migrated"], true);
    assert_eq!(doc["database"], env.url());
    // Migrating again changes nothing and fails nothing.
    env.ok(&["migrate"]);
    assert_eq!(env.stats()["total_codes"], 0);
}

#[test]
fn settings_start_at_the_defaults() {
    let env = Env::new();
    let doc = env.json(&["settings", "show"]);
    assert_eq!(doc["enabled"], false);
    assert_eq!(doc["required"], false);
    assert_eq!(doc["max_number_of_uses_per_code"], 100);
    assert_eq!(doc["max_number_of_codes_per_user"], 10);

    let out = env.ok(&["settings", "show"]);
    assert_eq!(out.row("SETTING"), ["SETTING", "VALUE"]);
    assert_eq!(out.row("referral_codes_enabled"), ["referral_codes_enabled", "off"]);
    assert_eq!(out.row("referral_codes_required"), ["referral_codes_required", "off"]);
    assert_eq!(out.row("max_number_of_uses_per_code"), ["max_number_of_uses_per_code", "100"]);
    assert_eq!(out.row("max_number_of_codes_per_user"), ["max_number_of_codes_per_user", "10"]);
}

#[test]
fn settings_are_written_as_absolute_values_and_read_back() {
    let env = Env::new();
    assert_eq!(env.json(&["settings", "enable"])["enabled"], true);
    assert_eq!(env.json(&["settings", "enable"])["enabled"], true, "enabling twice stays enabled");
    assert_eq!(env.json(&["settings", "show"])["enabled"], true);
    let out = env.ok(&["settings", "disable"]);
    assert_eq!(out.row("referral_codes_enabled"), ["referral_codes_enabled", "off"]);
    assert_eq!(env.json(&["settings", "show"])["enabled"], false);

    assert_eq!(env.json(&["settings", "require", "on"])["required"], true);
    assert_eq!(env.json(&["settings", "show"])["required"], true);
    assert_eq!(env.json(&["settings", "require", "off"])["required"], false);

    let doc = env.json(&["settings", "set", "max_number_of_uses_per_code", "2500"]);
    assert_eq!(doc["max_number_of_uses_per_code"], 2500);
    let doc = env.json(&["settings", "set", "max_number_of_codes_per_user", " 40 "]);
    assert_eq!(doc["max_number_of_codes_per_user"], 40);
    let doc = env.json(&["settings", "set", "referral_codes_enabled", "yes"]);
    assert_eq!(doc["enabled"], true);
    let doc = env.json(&["settings", "set", "referral_codes_required", "true"]);
    assert_eq!(doc["required"], true);

    let shown = env.json(&["settings", "show"]);
    assert_eq!(
        shown,
        serde_json::json!({
            "enabled": true,
            "required": true,
            "max_number_of_uses_per_code": 2500,
            "max_number_of_codes_per_user": 40,
        })
    );
}

#[test]
fn settings_refuse_unknown_keys_and_bad_values() {
    let env = Env::new();
    let doc = env.refusal(&["settings", "set", "no_such_setting", "1"]);
    assert_eq!(doc["error"], "validation");
    assert_eq!(doc["fields"][0]["field"], "key");
    assert!(doc["message"].as_str().unwrap().contains("max_number_of_uses_per_code"), "lists the keys: {doc}");

    for (key, value) in [
        ("max_number_of_uses_per_code", "0"),
        ("max_number_of_uses_per_code", "10001"),
        ("max_number_of_codes_per_user", "many"),
        ("referral_codes_enabled", "maybe"),
    ] {
        let doc = env.refusal(&["settings", "set", key, value]);
        assert_eq!(doc["error"], "validation", "{key}={value}: {doc}");
        assert_eq!(doc["fields"][0]["field"], "value");
        assert!(doc["message"].as_str().unwrap().contains(key), "{doc}");
    }
    // A human refusal is one sentence on stderr.
    let line = env.run(&["settings", "set", "max_number_of_uses_per_code", "0"]).human_refusal();
    assert!(line.contains("1 to 10000"), "{line}");

    assert_eq!(
        env.json(&["settings", "show"]),
        serde_json::json!({
            "enabled": false,
            "required": false,
            "max_number_of_uses_per_code": 100,
            "max_number_of_codes_per_user": 10,
        }),
        "refused settings wrote nothing"
    );
    // `require` takes on or off only: a bad command line.
    env.run(&["settings", "require", "maybe"]).status(2);
}

#[test]
fn users_add_with_every_option() {
    let env = Env::new();
    let added = env.json(&[
        "users",
        "add",
        "  Ada@Example.COM ",
        "--role",
        "admin",
        "--username",
        "ada",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
    ]);
    assert!(added["id"].as_i64().is_some_and(|id| id > 0), "{added}");
    assert_eq!(added["email"], "ada@example.com", "emails are trimmed and lower-cased");
    assert_eq!(added["username"], "ada");
    assert_eq!(added["first_name"], "Ada");
    assert_eq!(added["last_name"], "Lovelace");
    assert_eq!(added["role"], "Admin");
    assert!(added["inserted_at"].is_string());

    let plain = env.json(&["users", "add", "plain@example.com"]);
    assert_eq!(plain["role"], Value::Null);
    assert_eq!(plain["username"], Value::Null);

    let out = env.ok(&["users", "add", "owner2@example.com", "--role", "owner"]);
    let id = env.json(&["users", "list", "--filter", "owner2"])[0]["id"].as_i64().unwrap();
    assert_eq!(out.stdout.trim(), format!("Added user owner2@example.com (id {id}) as Owner."));
    let out = env.ok(&["users", "add", "norole@example.com"]);
    assert!(out.stdout.trim().starts_with("Added user norole@example.com (id "), "{}", out.stdout);
    assert!(out.stdout.trim().ends_with(")."), "no role, no role named: {}", out.stdout);
}

#[test]
fn users_add_refuses_taken_and_bad_emails() {
    let env = Env::new();
    env.json(&["users", "add", "bob@example.com"]);
    let msg = env.refused_as("email_taken", &["users", "add", "BOB@example.com"]);
    assert!(msg.contains("bob@example.com"), "{msg}");
    let doc = env.refusal(&["users", "add", "not-an-email"]);
    assert_eq!(doc["error"], "validation");
    assert_eq!(doc["fields"][0]["field"], "email");
    let long = "x".repeat(101);
    let doc = env.refusal(&["users", "add", "long@example.com", "--username", &long]);
    assert_eq!(doc["fields"][0]["field"], "username");
    env.run(&["users", "add", "role@example.com", "--role", "boss"]).status(2);
    let users = env.json(&["users", "list"]);
    let emails: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["bob@example.com", DEFAULT_OPERATOR], "only bob and the first Owner exist");
}

#[test]
fn users_list_filters_by_email_username_and_name() {
    let env = Env::new();
    env.json(&[
        "users",
        "add",
        "ada@example.com",
        "--username",
        "countess",
        "--first-name",
        "Ada",
        "--last-name",
        "King",
    ]);
    env.json(&["users", "add", "alan@example.org", "--first-name", "Alan", "--last-name", "Turing", "--role", "user"]);
    env.json(&["users", "add", "grace@example.net", "--username", "amazing_grace"]);

    let emails = |filter: &str| -> Vec<String> {
        env.json(&["users", "list", "--filter", filter])
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(emails("example.org"), ["alan@example.org"]);
    assert_eq!(emails("COUNTESS"), ["ada@example.com"], "usernames match without case");
    assert_eq!(emails("turing"), ["alan@example.org"], "names match");
    assert_eq!(emails("ada king"), ["ada@example.com"], "the full name matches");
    assert_eq!(emails("_grace"), ["grace@example.net"], "`_` is a character, not a wildcard");
    assert_eq!(emails("%"), Vec::<String>::new(), "`%` is a character, not a wildcard");
    assert_eq!(emails("").len(), 4, "three users and the first Owner");

    let all = env.json(&["users", "list", "--limit", "2"]);
    assert_eq!(all.as_array().unwrap().len(), 2);

    let out = env.ok(&["users", "list", "--filter", "alan"]);
    assert_eq!(out.row("ID"), ["ID", "EMAIL", "USERNAME", "NAME", "ROLE"]);
    let alan = out.lines()[1].split_whitespace().collect::<Vec<_>>();
    assert_eq!(alan[1..], ["alan@example.org", "Alan", "Turing", "User"]);
    let out = env.ok(&["users", "list", "--filter", "countess"]);
    assert!(out.lines()[1].contains("@countess"), "{}", out.stdout);
}
