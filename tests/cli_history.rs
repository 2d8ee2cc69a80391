//! `refcodes history`: the audit trail on the command line, newest first, its filters, `--json`, and 80 columns.

mod cli_common;
use cli_common as common;

use common::{DEFAULT_OPERATOR, Env, PgDatabase};

/// Codes created, one switched off, one deleted, settings changed, and a second operator's generate.
fn setup(env: &Env) {
    env.ok(&["settings", "enable"]);
    env.create_code("SPRING-2026", &["--max-uses", "10"]);
    env.create_code("SUMMER", &[]);
    env.ok(&["codes", "update", "SPRING-2026", "--inactive"]);
    env.ok(&["codes", "delete", "SUMMER", "--yes"]);
    env.add_user("ada@example.com", "admin");
    env.ok(&["--as", "ada@example.com", "codes", "generate", "3", "--description", "Batch", "--prefix", "B-"]);
}

fn check_history(env: &Env) {
    setup(env);
    let all = env.json(&["history"]);
    let kinds: Vec<&str> = all["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "referral_code.generated",
            "referral_code.generated",
            "referral_code.generated",
            "referral_code.deleted",
            "referral_code.status_changed",
            "referral_code.created",
            "referral_code.created",
            "referral_codes.settings_updated",
        ]
    );
    assert_eq!(all["more"], false);
    assert_eq!(all["log_only"], serde_json::Value::Null);
    let newest = &all["events"][0];
    assert_eq!(newest["operator"], "ada@example.com");
    assert_eq!(newest["face"], "cli", "the command line says it is the command line");
    assert!(newest["bulk_id"].is_string());

    // Who deactivated SPRING-2026, and when?
    let spring = env.json(&["history", "spring-2026"]);
    let events = spring["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["changes"]["status"]["new"], "inactive");
    assert_eq!(events[0]["operator"], DEFAULT_OPERATOR);
    let deleted = env.json(&["history", "SUMMER", "--action", "deleted"]);
    assert_eq!(deleted["events"][0]["changes"]["usage_records"], 0);
    let by_ada = env.json(&["history", "--operator", "ADA@example.com"]);
    assert_eq!(by_ada["events"].as_array().unwrap().len(), 3);
    let bulk = newest["bulk_id"].as_str().unwrap();
    assert_eq!(env.json(&["history", "--bulk", bulk])["events"].as_array().unwrap().len(), 3);
    let one = env.json(&["history", "--limit", "1"]);
    assert_eq!((one["events"].as_array().unwrap().len(), &one["more"]), (1, &serde_json::json!(true)));
    assert_eq!(env.json(&["history", "--since", "24h"])["events"].as_array().unwrap().len(), 8);

    // People's output: two lines an event, within 80 columns.
    let text = env.ok(&["history"]);
    let lines = text.lines();
    assert!(lines[0].starts_with("WHEN (UTC)"), "{lines:?}");
    assert_eq!(lines.len(), 1 + 2 * 8, "{lines:?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 80), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("via cli · status: active → inactive")), "{lines:#?}");

    // Bad filters are refused before anything is read.
    env.run(&["history", "--action", "redeemed"]).status(2);
    env.run(&["history", "--since", "soon"]).status(2);
    env.run(&["history", "--limit", "0"]).status(2);
}

#[test]
fn sqlite_history() {
    check_history(&Env::new());
}

#[test]
fn postgres_history() {
    let Some(db) = PgDatabase::create("postgres_history") else { return };
    check_history(&Env::with_url(&db.url).owned());
}
