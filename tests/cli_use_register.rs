//! `refcodes use CODE --user ID|EMAIL` and `refcodes register EMAIL [--code CODE]`.

mod cli_common;
use cli_common as common;

use common::{Env, now_ms, time};
use serde_json::Value;

#[test]
fn use_by_id_or_email_records_one_use() {
    let env = Env::new().enabled();
    let ada = env.add_user("ada@example.com", "user");
    let alan = env.add_user("alan@example.com", "user");
    let code = env.create_code("WELCOME", &["--max-uses", "3"]);

    let before = now_ms();
    let used = env.json(&["use", "welcome", "--user", &ada.to_string()]);
    assert!(used["id"].as_i64().is_some_and(|id| id > 0), "{used}");
    assert_eq!(used["code_id"], code["id"]);
    assert_eq!(used["code"], "WELCOME");
    assert_eq!(used["used_by"], ada);
    assert!(time(&used["date_used"]) >= before);

    let out = env.ok(&["use", "WELCOME", "--user", "ALAN@example.com"]);
    assert_eq!(out.stdout.trim(), format!("Code WELCOME used by alan@example.com (id {alan})."));

    let shown = env.show("WELCOME");
    assert_eq!(shown["code"]["number_of_uses"], 2);
    assert_eq!(shown["usage"].as_array().unwrap().len(), 2);
}

#[test]
fn use_refuses_with_the_precise_kind_and_counts_nothing() {
    let env = Env::new();
    let ada = env.add_user("ada@example.com", "user");
    let bob = env.add_user("bob@example.com", "user");
    env.add_user("carol@example.com", "user");
    env.create_code("LIVE", &["--max-uses", "2"]);
    env.create_code("OFF", &["--inactive"]);
    env.create_code("OLD", &[]);
    env.expire("OLD");

    // The system starts disabled.
    let msg = env.refused_as("system_disabled", &["use", "LIVE", "--user", "ada@example.com"]);
    assert!(msg.contains("refcodes settings enable"), "{msg}");
    env.ok(&["settings", "enable"]);

    env.refused_as("code_not_found", &["use", "NOPE", "--user", "ada@example.com"]);
    env.refused_as("code_inactive", &["use", "OFF", "--user", "ada@example.com"]);
    env.refused_as("code_expired", &["use", "OLD", "--user", "ada@example.com"]);
    env.refused_as("user_not_found", &["use", "LIVE", "--user", "ghost@example.com"]);
    env.refused_as("user_not_found", &["use", "LIVE", "--user", "99999"]);

    env.json(&["use", "LIVE", "--user", &ada.to_string()]);
    env.refused_as("already_used", &["use", "LIVE", "--user", &ada.to_string()]);
    env.json(&["use", "LIVE", "--user", &bob.to_string()]);
    let msg = env.refused_as("usage_limit_reached", &["use", "LIVE", "--user", "carol@example.com"]);
    assert!(msg.contains("--max-uses"), "says how to raise it: {msg}");

    // A refusal for people: one sentence on stderr, nothing on stdout.
    let line = env.run(&["use", "LIVE", "--user", "carol@example.com"]).human_refusal();
    assert!(line.contains("LIVE") && line.contains("limit"), "{line}");

    for code in ["LIVE", "OFF", "OLD"] {
        let shown = env.show(code);
        let uses = if code == "LIVE" { 2 } else { 0 };
        assert_eq!(shown["code"]["number_of_uses"], uses, "{code}: {shown}");
        assert_eq!(shown["usage"].as_array().unwrap().len(), uses as usize, "{code}");
    }
    // Raising the limit lets carol in.
    env.json(&["codes", "update", "LIVE", "--max-uses", "3"]);
    env.json(&["use", "LIVE", "--user", "carol@example.com"]);
    assert_eq!(env.show("LIVE")["code"]["number_of_uses"], 3);
}

#[test]
fn register_follows_the_enabled_and_required_settings() {
    let env = Env::new();
    env.create_code("JOIN", &["--max-uses", "10"]);

    // Disabled: a code is ignored, and said to be.
    let doc = env.json(&["register", "early@example.com", "--code", "JOIN"]);
    assert_eq!(doc["user"]["email"], "early@example.com");
    assert_eq!(doc["usage"], Value::Null);
    assert_eq!(doc["code_ignored"], true);
    let out = env.ok(&["register", "early2@example.com", "--code", "JOIN"]);
    assert!(out.stdout.contains("the code was not used: the referral system is disabled"), "{}", out.stdout);
    assert_eq!(env.show("JOIN")["code"]["number_of_uses"], 0);

    // Enabled, not required: with or without a code.
    env.ok(&["settings", "enable"]);
    let doc = env.json(&["register", "nocode@example.com"]);
    assert_eq!(doc["usage"], Value::Null);
    assert_eq!(doc["code_ignored"], false);
    let doc = env.json(&[
        "register",
        "Coded@Example.com",
        "--code",
        "join",
        "--username",
        "coded",
        "--first-name",
        "Co",
        "--last-name",
        "Ded",
    ]);
    let user = &doc["user"];
    assert_eq!(user["email"], "coded@example.com");
    assert_eq!(user["username"], "coded");
    assert_eq!(user["first_name"], "Co");
    assert_eq!(user["last_name"], "Ded");
    assert_eq!(doc["usage"]["code"], "JOIN");
    assert_eq!(doc["usage"]["used_by"], user["id"]);
    assert_eq!(doc["code_ignored"], false);
    let out = env.ok(&["register", "people@example.com", "--code", "JOIN"]);
    let id = env.json(&["users", "list", "--filter", "people@"])[0]["id"].clone();
    assert_eq!(out.stdout.trim(), format!("Registered people@example.com (id {id}) with code JOIN."));
    assert_eq!(env.show("JOIN")["code"]["number_of_uses"], 2);

    // Required: no code, no registration.
    env.ok(&["settings", "require", "on"]);
    env.refused_as("code_required", &["register", "lazy@example.com"]);
    env.refused_as("code_required", &["register", "lazy@example.com", "--code", "  "]);
    env.json(&["register", "keen@example.com", "--code", "JOIN"]);
    assert_eq!(env.show("JOIN")["code"]["number_of_uses"], 3);
    let out = env.ok(&["register", "keen2@example.com", "--code", "JOIN"]);
    assert!(out.stdout.contains("with code JOIN"), "{}", out.stdout);

    // Disabled again: required no longer applies.
    env.ok(&["settings", "disable"]);
    env.json(&["register", "late@example.com"]);
}

#[test]
fn a_refused_registration_adds_no_user() {
    let env = Env::new().enabled();
    env.create_code("ONCE", &["--max-uses", "1"]);
    env.create_code("OFF", &["--inactive"]);
    let users_before = env.json(&["users", "list"]).as_array().unwrap().len();

    env.refused_as("code_not_found", &["register", "a@example.com", "--code", "MISSING"]);
    env.refused_as("code_inactive", &["register", "a@example.com", "--code", "OFF"]);
    env.json(&["register", "first@example.com", "--code", "ONCE"]);
    env.refused_as("usage_limit_reached", &["register", "a@example.com", "--code", "ONCE"]);
    env.refused_as("email_taken", &["register", "FIRST@example.com"]);
    assert_eq!(env.refusal(&["register", "not-an-email"])["error"], "validation");

    let users = env.json(&["users", "list", "--filter", "a@example.com"]);
    assert_eq!(users, serde_json::json!([]), "the refused user was not created");
    assert_eq!(env.json(&["users", "list"]).as_array().unwrap().len(), users_before + 1);
    assert_eq!(env.show("ONCE")["code"]["number_of_uses"], 1);
}

#[test]
fn hidden_characters_are_refused_with_their_position() {
    let env = Env::new().enabled();
    env.create_code("SPRING", &[]);
    let cases: &[(&[&str], &str, &str)] = &[
        // Looks exactly like the Owner's address in the dashboard.
        (&["register", "tester\u{200b}@localhost"], "email", "U+200B at character 7"),
        (&["users", "add", "ada@example.com\u{2060}"], "email", "U+2060 at character 16"),
        (
            &["users", "add", "ada@example.com", "--first-name", "Ada\u{202e}ecalevol"],
            "first_name",
            "U+202E at character 4",
        ),
        (&["register", "bob@example.com", "--username", "\u{feff}bob"], "username", "U+FEFF at character 1"),
        (&["codes", "create", "--description", "Spring \u{2066}sale"], "description", "U+2066 at character 8"),
        (&["codes", "update", "SPRING", "--description", "\u{061c}x"], "description", "U+061C at character 1"),
    ];
    for (args, field, said) in cases {
        let doc = env.refusal(args);
        assert_eq!(doc["error"], "validation", "{args:?}: {doc}");
        assert_eq!(doc["fields"][0]["field"], *field, "{args:?}: {doc}");
        assert!(doc["fields"][0]["message"].as_str().unwrap().contains(said), "{args:?}: {doc}");
    }
    assert_eq!(env.json(&["users", "list"]).as_array().unwrap().len(), 1, "only the operator");
    assert_eq!(env.show("SPRING")["code"]["description"], "Test code");
    assert_eq!(env.json(&["codes", "list"])["total"], 1);
}
