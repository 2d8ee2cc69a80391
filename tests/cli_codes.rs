//! `refcodes codes list | show | create | update | delete | generate`, run as the real binary.

mod cli_common;
use cli_common as common;

use chrono::Duration;
use common::{Env, csv_records, now_ms, time};
use serde_json::Value;
use std::collections::HashSet;

const ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn codes_of(list: &Value) -> Vec<String> {
    list["codes"].as_array().expect("codes array").iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn create_with_every_option_prints_the_code_as_json() {
    let env = Env::new().enabled();
    let bob = env.add_user("bob@example.com", "user");
    let created = env.json(&[
        "codes",
        "create",
        "--code",
        "  spring-2026 ",
        "--description",
        "Spring campaign",
        "--max-uses",
        "5",
        "--expires",
        "2031-02-03T04:05:06Z",
        "--beneficiary",
        "BOB@example.com",
        "--inactive",
    ]);
    for field in ["id", "code", "description", "status", "number_of_uses", "max_uses", "expiration_date", "beneficiary"]
    {
        assert!(created.get(field).is_some(), "`codes create --json` lacks {field}: {created}");
    }
    assert!(created["id"].as_i64().is_some_and(|id| id > 0));
    assert_eq!(created["code"], "SPRING-2026", "codes are trimmed and upper-cased");
    assert_eq!(created["description"], "Spring campaign");
    assert_eq!(created["status"], false);
    assert_eq!(created["state"], "inactive");
    assert_eq!(created["number_of_uses"], 0);
    assert_eq!(created["max_uses"], 5);
    assert_eq!(time(&created["expiration_date"]), time(&"2031-02-03T04:05:06Z".into()));
    assert_eq!(created["beneficiary"], bob);
    assert_eq!(created["beneficiary_email"], "bob@example.com");
    assert_eq!(created["created_by_email"], common::DEFAULT_OPERATOR);

    // What was printed is what was stored.
    let shown = env.show("spring-2026");
    assert_eq!(shown["code"]["id"], created["id"]);
    assert_eq!(shown["code"]["status"], false);
    assert_eq!(shown["code"]["beneficiary_email"], "bob@example.com");
    assert_eq!(shown["code"]["created_by_email"], common::DEFAULT_OPERATOR);
}

#[test]
fn create_without_options_takes_the_defaults_and_a_random_code() {
    let env = Env::new().enabled();
    let before = now_ms();
    let created = env.json(&["codes", "create", "--description", "Defaults"]);
    let after = now_ms();
    let code = created["code"].as_str().unwrap();
    assert_eq!(code.len(), 5, "codes.length is 5 by default: {code}");
    assert!(code.chars().all(|c| ALPHABET.contains(c)), "{code} is outside the alphabet");
    assert_eq!(created["status"], true);
    assert_eq!(created["state"], "active");
    assert_eq!(created["max_uses"], 100);
    assert_eq!(created["number_of_uses"], 0);
    assert_eq!(created["beneficiary"], Value::Null);
    let expires = time(&created["expiration_date"]);
    assert!(
        expires >= before + Duration::days(7) && expires <= after + Duration::days(7),
        "default expiry is a week after creation: {expires}"
    );
}

#[test]
fn create_reads_expiry_spans_and_never() {
    let env = Env::new().enabled();
    let before = now_ms();
    let in_12h = env.create_code("HALF-DAY", &["--expires", "12h"]);
    let after = now_ms();
    let at = time(&in_12h["expiration_date"]);
    assert!(at >= before + Duration::hours(12) && at <= after + Duration::hours(12), "{at}");

    let never = env.create_code("FOREVER", &["--expires", "never"]);
    assert_eq!(never["expiration_date"], Value::Null);
    assert_eq!(env.show("FOREVER")["code"]["expiration_date"], Value::Null);

    let week = env.create_code("A-WEEK", &["--expires", "7d"]);
    assert!(time(&week["expiration_date"]) >= before + Duration::days(7));
}

#[test]
fn create_prints_one_sentence_for_people() {
    let env = Env::new().enabled();
    let out = env.ok(&[
        "codes",
        "create",
        "--code",
        "HUMAN-1",
        "--description",
        "x",
        "--max-uses",
        "5",
        "--expires",
        "never",
    ]);
    assert_eq!(out.stdout.trim(), "Created code HUMAN-1 (5 uses, expires never).");
}

#[test]
fn create_refuses_every_bad_field_at_once_and_writes_nothing() {
    let env = Env::new().enabled();
    let doc = env.refusal(&[
        "codes",
        "create",
        "--code",
        "a b",
        "--description",
        "   ",
        "--max-uses",
        "0",
        "--expires",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(doc["error"], "validation");
    let fields: Vec<&str> = doc["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["code", "description", "max_uses", "expiration"], "{doc}");
    for f in doc["fields"].as_array().unwrap() {
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
    }
    assert_eq!(env.json(&["codes", "list"])["total"], 0);

    // Above the max_number_of_uses_per_code setting, and the message says how to raise it.
    let doc = env.refusal(&["codes", "create", "--code", "BIG", "--description", "x", "--max-uses", "101"]);
    assert_eq!(doc["error"], "validation");
    assert_eq!(doc["fields"][0]["field"], "max_uses");
    assert!(doc["message"].as_str().unwrap().contains("max_number_of_uses_per_code"), "{doc}");
    env.ok(&["settings", "set", "max_number_of_uses_per_code", "500"]);
    assert_eq!(env.create_code("BIG", &["--max-uses", "500"])["max_uses"], 500);

    // A description of 256 characters is one too many.
    let long = "x".repeat(256);
    let doc = env.refusal(&["codes", "create", "--code", "LONG", "--description", &long]);
    assert_eq!(doc["fields"][0]["field"], "description");
    // Nonsense expiry.
    let doc = env.refusal(&["codes", "create", "--code", "WHEN", "--description", "x", "--expires", "soon"]);
    assert_eq!(doc["fields"][0]["field"], "expiration");
    assert_eq!(env.json(&["codes", "list"])["total"], 1);
}

#[test]
fn the_default_max_uses_is_capped_by_the_setting() {
    let env = Env::new().enabled();
    env.ok(&["settings", "set", "max_number_of_uses_per_code", "50"]);
    assert_eq!(env.json(&["codes", "create", "--description", "x"])["max_uses"], 50, "not the default 100");
    let made = env.json(&["codes", "generate", "3", "--description", "y"]);
    assert!(made.as_array().unwrap().iter().all(|c| c["max_uses"] == 50), "{made}");
    // Typed by the user, a value over the setting is still refused.
    env.refused_as("validation", &["codes", "create", "--description", "x", "--max-uses", "51"]);
}

#[test]
fn a_max_uses_hint_proposes_only_what_the_setting_accepts() {
    let env = Env::new().enabled();
    let doc = env.refusal(&["codes", "create", "--description", "x", "--max-uses", "2147483648"]);
    let message = doc["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("`refcodes settings set max_number_of_uses_per_code 10000`"), "{message}");
    assert!(!message.contains("2147483648"), "{message}");
    env.ok(&["settings", "set", "max_number_of_uses_per_code", "10000"]);
    let doc = env.refusal(&["codes", "create", "--description", "x", "--max-uses", "10001"]);
    assert!(!doc["fields"][0]["message"].as_str().unwrap().contains("settings set"), "{doc}");
}

#[test]
fn a_leap_second_is_refused_not_stored() {
    let env = Env::new().enabled();
    for leap in ["2030-01-31 18:00:60", "2030-01-31T18:00:60Z"] {
        let doc = env.refusal(&["codes", "create", "--code", "LEAP", "--description", "x", "--expires", leap]);
        assert_eq!(doc["fields"][0]["field"], "expiration", "{doc}");
        assert!(doc["message"].as_str().unwrap().contains("second 60"), "{doc}");
    }
    assert_eq!(env.json(&["codes", "list"])["total"], 0);
}

#[test]
fn create_refuses_a_taken_code_and_an_unknown_beneficiary() {
    let env = Env::new().enabled();
    env.create_code("TAKEN", &[]);
    let doc = env.refusal(&["codes", "create", "--code", "taken", "--description", "again"]);
    assert_eq!(doc["error"], "conflict", "codes are unique without case: {doc}");
    assert_eq!(doc["fields"][0]["field"], "code");

    let msg = env.refused_as(
        "user_not_found",
        &["codes", "create", "--code", "NEW-ONE", "--description", "x", "--beneficiary", "ghost@example.com"],
    );
    assert!(msg.contains("ghost@example.com"), "{msg}");
    assert_eq!(env.json(&["codes", "list"])["total"], 1);
}

#[test]
fn list_filters_sorts_and_windows() {
    let env = Env::new().enabled();
    env.create_code("ALPHA_1", &["--max-uses", "3"]);
    env.create_code("BRAVO-2", &["--max-uses", "1"]);
    env.create_code("CHARLIE-3", &["--inactive"]);
    env.create_code("DELTA-4", &[]);
    let user = env.add_user("user@example.com", "user");
    env.json(&["use", "BRAVO-2", "--user", &user.to_string()]);
    env.json(&["use", "ALPHA_1", "--user", &user.to_string()]);
    env.expire("DELTA-4");

    let all = env.json(&["codes", "list"]);
    assert_eq!(all["total"], 4);
    assert_eq!(all["offset"], 0);
    assert_eq!(codes_of(&all), ["ALPHA_1", "BRAVO-2", "CHARLIE-3", "DELTA-4"], "oldest first by default");
    assert_eq!(codes_of(&env.json(&["codes", "list", "--desc"])), ["DELTA-4", "CHARLIE-3", "BRAVO-2", "ALPHA_1"]);

    let state = |status: &str| codes_of(&env.json(&["codes", "list", "--status", status]));
    assert_eq!(state("active"), ["ALPHA_1"]);
    assert_eq!(state("inactive"), ["CHARLIE-3"]);
    assert_eq!(state("expired"), ["DELTA-4"]);
    assert_eq!(state("limit-reached"), ["BRAVO-2"]);
    let listed = env.json(&["codes", "list", "--status", "limit-reached"]);
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["codes"][0]["state"], "limit_reached");
    assert_eq!(listed["codes"][0]["number_of_uses"], 1);

    // The filter matches inside the code without case, and `_` is a character, not a wildcard.
    assert_eq!(codes_of(&env.json(&["codes", "list", "--filter", "rav"])), ["BRAVO-2"]);
    assert_eq!(codes_of(&env.json(&["codes", "list", "--filter", "_"])), ["ALPHA_1"]);
    // ... and in the creator's email.
    assert_eq!(env.json(&["codes", "list", "--filter", "tester@"])["total"], 4);
    assert_eq!(env.json(&["codes", "list", "--filter", "nothing-like-this"])["total"], 0);
    // The dashboard's field-scoped language: each field looks in its own place, all must hold.
    let query = |q: &str| codes_of(&env.json(&["codes", "list", "--filter", q]));
    assert_eq!(query("code:a uses:>=1"), ["ALPHA_1", "BRAVO-2"]);
    assert_eq!(query("creator:tester@ status:limit"), ["BRAVO-2"]);
    assert_eq!(query("used:<1h"), ["ALPHA_1", "BRAVO-2"]);
    assert_eq!(query("limit:>=100%"), ["BRAVO-2"]);
    assert_eq!(query("\"code:a\""), Vec::<String>::new(), "quoted, a field-like text is searched as it is");
    // An option stands for its field of the query.
    let both = env.json(&["codes", "list", "--filter", "status:active", "--status", "inactive"]);
    assert_eq!(codes_of(&both), ["CHARLIE-3"]);

    let by_uses = env.json(&["codes", "list", "--sort", "uses", "--desc", "--limit", "2"]);
    assert_eq!(by_uses["total"], 4, "the total counts the whole filtered set, not the window");
    let window = codes_of(&by_uses);
    assert_eq!(window.len(), 2);
    assert!(window.iter().all(|c| c == "ALPHA_1" || c == "BRAVO-2"), "{window:?}");
    assert_eq!(codes_of(&env.json(&["codes", "list", "--sort", "code", "--desc", "--limit", "1"])), ["DELTA-4"]);
    assert_eq!(codes_of(&env.json(&["codes", "list", "--sort", "code", "--limit", "1", "--offset", "1"])), ["BRAVO-2"]);

    // By use: ALPHA_1 was used last; codes never used come last, newest first; equal uses in the window follow
    // the key. Each row says when it was last used and how often in --window.
    let sorted = |args: &[&str]| codes_of(&env.json(&[&["codes", "list", "--desc"], args].concat()));
    assert_eq!(sorted(&["--sort", "last-used"]), ["ALPHA_1", "BRAVO-2", "DELTA-4", "CHARLIE-3"]);
    assert_eq!(sorted(&["--sort", "window-uses"]), ["BRAVO-2", "ALPHA_1", "DELTA-4", "CHARLIE-3"]);
    assert_eq!(sorted(&["--sort", "window-uses", "--window", "24h", "--limit", "2"]), ["BRAVO-2", "ALPHA_1"]);
    let listed = env.json(&["codes", "list", "--sort", "last-used", "--window", "30d"]);
    assert_eq!(codes_of(&listed), ["CHARLIE-3", "DELTA-4", "BRAVO-2", "ALPHA_1"], "ascending: never used first");
    assert_eq!(listed["window"], "30d");
    assert_eq!(listed["codes"][3]["window_uses"], 1);
    assert!(listed["codes"][3]["last_used"].is_string(), "{}", listed["codes"][3]);
    assert!(listed["codes"][0]["last_used"].is_null());

    let people = env.ok(&["codes", "list", "--sort", "code"]);
    assert_eq!(people.row("CODE"), ["CODE", "DESCRIPTION", "USES", "EXPIRES", "STATUS", "CREATED BY", "BENEFICIARY"]);
    let bravo = people.row("BRAVO-2");
    assert_eq!(bravo[2], "1/1");
    assert_eq!(bravo[4], "Limit reached");
    assert_eq!(people.row("DELTA-4")[4], "Expired");
    assert_eq!(people.row("CHARLIE-3")[4], "Inactive");
    assert_eq!(people.lines().last().unwrap().trim(), "1-4 of 4 codes");
    let none = env.ok(&["codes", "list", "--filter", "zzz"]);
    assert_eq!(none.lines().last().unwrap().trim(), "0-0 of 0 codes");
}

#[test]
fn show_gives_the_code_its_stats_and_its_usage() {
    let env = Env::new().enabled();
    let ada = env.add_user("ada@example.com", "user");
    let alan = env.add_user("alan@example.com", "user");
    env.create_code("SHOWN", &["--max-uses", "5", "--expires", "never"]);
    env.json(&["use", "SHOWN", "--user", "ada@example.com"]);
    env.json(&["use", "SHOWN", "--user", &alan.to_string()]);

    let shown = env.json(&["codes", "show", "shown"]);
    assert_eq!(shown["code"]["code"], "SHOWN");
    assert_eq!(shown["code"]["number_of_uses"], 2);
    assert_eq!(shown["code"]["state"], "active");
    assert_eq!(shown["stats"]["total_uses"], 2);
    assert_eq!(shown["stats"]["unique_users"], 2);
    assert_eq!(shown["stats"]["remaining_uses"], 3);
    assert_eq!(shown["stats"]["status"], "active");
    assert!(shown["stats"]["last_used"].is_string());
    let usage = shown["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 2);
    let users: HashSet<i64> = usage.iter().map(|u| u["used_by"].as_i64().unwrap()).collect();
    assert_eq!(users, HashSet::from([ada, alan]));
    assert!(usage.iter().all(|u| u["code"] == "SHOWN" && u["code_id"] == shown["code"]["id"]));
    let emails: HashSet<&str> = usage.iter().map(|u| u["user_email"].as_str().unwrap()).collect();
    assert_eq!(emails, HashSet::from(["ada@example.com", "alan@example.com"]));

    assert_eq!(env.json(&["codes", "show", "SHOWN", "--limit", "1"])["usage"].as_array().unwrap().len(), 1);

    let people = env.ok(&["codes", "show", "SHOWN", "--limit", "1"]);
    assert_eq!(people.row("uses"), ["uses", "2/5 (3 left)"]);
    assert_eq!(people.row("status"), ["status", "Active"]);
    assert_eq!(people.row("unique users"), ["unique users", "2"]);
    assert_eq!(people.row("expires"), ["expires", "never"]);
    assert_eq!(people.row("created by"), ["created by", common::DEFAULT_OPERATOR]);
    assert_eq!(people.row("beneficiary"), ["beneficiary", "none"]);
    assert!(people.stdout.contains("(1 more; --limit N shows more)"), "{}", people.stdout);

    let msg = env.refused_as("code_not_found", &["codes", "show", "NOPE"]);
    assert!(msg.contains("NOPE"), "{msg}");
}

#[test]
fn update_changes_only_the_named_fields() {
    let env = Env::new().enabled();
    let bob = env.add_user("bob@example.com", "user");
    let created = env.create_code("OLD-NAME", &["--max-uses", "10", "--expires", "never"]);

    let updated = env.json(&[
        "codes",
        "update",
        "old-name",
        "--code",
        "new-name",
        "--description",
        "Renamed",
        "--max-uses",
        "20",
        "--expires",
        "2032-01-01T00:00:00Z",
        "--beneficiary",
        "bob@example.com",
        "--inactive",
    ]);
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["code"], "NEW-NAME");
    assert_eq!(updated["description"], "Renamed");
    assert_eq!(updated["max_uses"], 20);
    assert_eq!(time(&updated["expiration_date"]), time(&"2032-01-01T00:00:00Z".into()));
    assert_eq!(updated["beneficiary"], bob);
    assert_eq!(updated["beneficiary_email"], "bob@example.com");
    assert_eq!(updated["status"], false);
    assert_eq!(updated["state"], "inactive");
    env.refused_as("code_not_found", &["codes", "show", "OLD-NAME"]);

    // Only --active: everything else stays.
    let again = env.json(&["codes", "update", "NEW-NAME", "--active", "--beneficiary", "none"]);
    assert_eq!(again["status"], true);
    assert_eq!(again["beneficiary"], Value::Null);
    assert_eq!(again["description"], "Renamed");
    assert_eq!(again["max_uses"], 20);
    assert_eq!(again["expiration_date"], updated["expiration_date"]);

    let out = env.ok(&["codes", "update", "NEW-NAME", "--inactive"]);
    assert_eq!(out.stdout.trim(), "Updated code NEW-NAME (Inactive).");
    let out = env.ok(&["codes", "update", "NEW-NAME", "--expires", "never", "--active"]);
    assert_eq!(out.stdout.trim(), "Updated code NEW-NAME (Active).");
    assert_eq!(env.show("NEW-NAME")["code"]["expiration_date"], Value::Null);
}

#[test]
fn update_refuses_bad_changes_and_keeps_the_code() {
    let env = Env::new().enabled();
    env.create_code("KEEP", &["--max-uses", "10"]);
    env.create_code("OTHER", &[]);

    let doc = env.refusal(&["codes", "update", "KEEP", "--max-uses", "0", "--expires", "2020-01-01"]);
    assert_eq!(doc["error"], "validation");
    let fields: Vec<&str> = doc["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["max_uses", "expiration"]);
    let doc = env.refusal(&["codes", "update", "KEEP", "--code", "other"]);
    assert_eq!(doc["error"], "conflict");
    env.refused_as("user_not_found", &["codes", "update", "KEEP", "--beneficiary", "ghost@example.com"]);
    env.refused_as("code_not_found", &["codes", "update", "MISSING", "--inactive"]);

    let kept = env.show("KEEP")["code"].clone();
    assert_eq!(kept["max_uses"], 10);
    assert_eq!(kept["status"], true);
    assert_eq!(kept["beneficiary"], Value::Null);

    // An expired code can still be deactivated and described anew: rules apply to changed fields only.
    env.expire("KEEP");
    let updated = env.json(&["codes", "update", "KEEP", "--inactive", "--description", "Retired", "--max-uses", "10"]);
    assert_eq!(updated["status"], false);
    assert_eq!(updated["description"], "Retired");
}

#[test]
fn delete_needs_yes_without_a_terminal_and_then_removes_the_usage_too() {
    let env = Env::new().enabled();
    env.add_user("ada@example.com", "user");
    env.add_user("alan@example.com", "user");
    env.create_code("DOOMED", &[]);
    env.create_code("STAYS", &[]);
    env.json(&["use", "DOOMED", "--user", "ada@example.com"]);
    env.json(&["use", "DOOMED", "--user", "alan@example.com"]);
    env.json(&["use", "STAYS", "--user", "ada@example.com"]);

    // No terminal (stdin is /dev/null) and no --yes: refused with a clear message, nothing deleted.
    let out = env.run(&["codes", "delete", "DOOMED"]);
    assert_ne!(out.code, 0, "deleted without --yes: {out:?}");
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--yes"), "the message names --yes: {}", out.stderr);
    assert!(out.stderr.contains("2 usage records"), "the message says what would go: {}", out.stderr);
    assert_eq!(out.stdout, "");
    let out = env.run(&["--json", "codes", "delete", "DOOMED"]).status(2);
    assert!(out.json()["message"].as_str().unwrap().contains("--yes"));
    assert_eq!(env.show("DOOMED")["stats"]["total_uses"], 2, "nothing was deleted");

    let deleted = env.json(&["codes", "delete", "doomed", "--yes"]);
    assert_eq!(deleted["codes"], 1);
    assert_eq!(deleted["usage_records"], 2);
    env.refused_as("code_not_found", &["codes", "show", "DOOMED"]);
    env.refused_as("code_not_found", &["codes", "delete", "DOOMED", "--yes"]);
    let usage = csv_records(&env.ok(&["export", "usage"]).stdout);
    assert_eq!(usage.len(), 1, "the usage of the deleted code went with it");
    assert_eq!(usage[0]["code"], "STAYS");

    let out = env.ok(&["codes", "delete", "STAYS", "--yes"]);
    assert_eq!(out.stdout.trim(), "Deleted code STAYS and its 1 usage records.");
    assert_eq!(env.stats()["total_codes"], 0);
    assert_eq!(env.stats()["total_usage"], 0);
}

#[test]
fn generate_fifty_prefixed_codes_as_csv() {
    let env = Env::new().enabled();
    let out = env.ok(&["codes", "generate", "50", "--prefix", "VIP-", "--description", "VIP customers", "--csv"]);
    let records = csv_records(&out.stdout);
    assert_eq!(out.stdout.lines().next(), Some("code,description,max_uses,expiration_date"));
    assert_eq!(records.len(), 50);
    let codes: HashSet<&str> = records.iter().map(|r| r["code"].as_str()).collect();
    assert_eq!(codes.len(), 50, "the codes are unique");
    for record in &records {
        let code = &record["code"];
        let random = code.strip_prefix("VIP-").unwrap_or_else(|| panic!("{code} lacks the prefix"));
        assert_eq!(random.len(), 5, "{code}");
        assert!(random.chars().all(|c| ALPHABET.contains(c)), "{code}");
        assert_eq!(record["description"], "VIP customers");
        assert_eq!(record["max_uses"], "100");
        assert!(chrono::DateTime::parse_from_rfc3339(&record["expiration_date"]).is_ok(), "{record:?}");
    }
    // They were stored.
    let listed = env.json(&["codes", "list", "--filter", "VIP-", "--limit", "100"]);
    assert_eq!(listed["total"], 50);
    assert_eq!(codes_of(&listed).iter().map(String::as_str).collect::<HashSet<_>>(), codes);
}

#[test]
fn generate_as_json_and_for_people() {
    let env = Env::new().enabled();
    let made = env.json(&[
        "codes",
        "generate",
        "3",
        "--description",
        "Long ones",
        "--length",
        "8",
        "--max-uses",
        "7",
        "--expires",
        "never",
    ]);
    let made = made.as_array().expect("an array of codes");
    assert_eq!(made.len(), 3);
    for code in made {
        assert_eq!(code["code"].as_str().unwrap().len(), 8, "{code}");
        assert_eq!(code["max_uses"], 7);
        assert_eq!(code["expiration_date"], Value::Null);
        assert_eq!(code["description"], "Long ones");
        assert_eq!(code["state"], "active");
        assert_eq!(code["created_by_email"], common::DEFAULT_OPERATOR);
        assert_eq!(code["beneficiary_email"], Value::Null);
    }

    let out = env.ok(&["codes", "generate", "4", "--prefix", "p-", "--description", "People"]);
    let printed: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(printed.len(), 4, "one code a line: {}", out.stdout);
    assert!(printed.iter().all(|c| c.starts_with("P-") && c.len() == 7), "{printed:?}");
    assert_eq!(out.stderr.trim(), "Created 4 codes.");
    assert_eq!(env.stats()["total_codes"], 7);

    let doc = env.refusal(&["codes", "generate", "0", "--description", "none"]);
    assert_eq!(doc["error"], "validation");
    assert_eq!(doc["fields"][0]["field"], "count");
    let doc = env.refusal(&["codes", "generate", "2", "--description", "x", "--prefix", "BAD PREFIX"]);
    assert_eq!(doc["fields"][0]["field"], "prefix");
    let doc = env.refusal(&["codes", "generate", "2", "--description", "x", "--length", "2"]);
    assert_eq!(doc["fields"][0]["field"], "length");
    let doc = env.refusal(&["codes", "generate", "2", "--description", "x", "--max-uses", "101"]);
    assert_eq!(doc["fields"][0]["field"], "max_uses");
    assert_eq!(env.stats()["total_codes"], 7, "refused generations wrote nothing");
}

#[test]
fn an_admin_is_held_to_max_number_of_codes_per_user_and_an_owner_is_not() {
    let env = Env::new().enabled();
    env.add_user("admin@example.com", "admin");
    env.ok(&["settings", "set", "max_number_of_codes_per_user", "3"]);
    let admin = |args: &[&'static str]| [&["--as", "admin@example.com"], args].concat();

    env.json(&admin(&["codes", "generate", "2", "--description", "mine"]));
    let msg = env.refused_as("not_authorized", &admin(&["codes", "generate", "2", "--description", "too many"]));
    assert!(msg.contains("max_number_of_codes_per_user"), "{msg}");
    let third = env.json(&admin(&["codes", "create", "--description", "third"]));
    assert_eq!(third["created_by_email"], "admin@example.com");
    env.refused_as("not_authorized", &admin(&["codes", "create", "--description", "fourth"]));
    assert_eq!(env.json(&["codes", "list", "--filter", "admin@example.com"])["total"], 3);

    // The Owner (the first operator) is not limited.
    env.json(&["codes", "generate", "5", "--description", "owner's"]);
    assert_eq!(env.stats()["total_codes"], 8);
}

#[test]
fn update_with_expect_version_refuses_a_code_changed_since_it_was_shown() {
    let env = Env::new().enabled();
    env.create_code("TWICE", &["--max-uses", "5"]);
    let read = env.json(&["codes", "show", "TWICE"])["version"].as_str().expect("show gives the version").to_string();
    assert_eq!(read.len(), 16, "{read}");
    assert!(env.ok(&["codes", "show", "TWICE"]).stdout.contains(&read), "the table shows it too");

    // Another admin's edit comes first.
    env.json(&["codes", "update", "TWICE", "--description", "Theirs"]);
    let message =
        env.refused_as("conflict", &["codes", "update", "TWICE", "--description", "Mine", "--expect-version", &read]);
    assert!(message.contains("changed since version") && message.contains("--expect-version"), "{message}");
    assert_eq!(env.json(&["codes", "show", "TWICE"])["code"]["description"], "Theirs", "nothing was written");

    // With the version read now, the edit goes through; and a redemption changes no version.
    let now = env.json(&["codes", "show", "TWICE"])["version"].as_str().unwrap().to_string();
    assert_ne!(now, read);
    env.add_user("ada@example.com", "user");
    env.json(&["use", "TWICE", "--user", "ada@example.com"]);
    let updated = env.json(&["codes", "update", "TWICE", "--description", "Mine", "--expect-version", &now]);
    assert_eq!(updated["description"], "Mine");
}
