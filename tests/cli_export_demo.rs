//! `refcodes export codes|usage [--format csv|json|ndjson] [--since] [filters]`, `refcodes stats` and `refcodes demo`.

mod cli_common;
use cli_common as common;

use common::{Env, csv_records};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const CODE_COLUMNS: [&str; 13] = [
    "id",
    "code",
    "description",
    "status",
    "state",
    "number_of_uses",
    "max_uses",
    "created_by",
    "created_by_email",
    "beneficiary",
    "beneficiary_email",
    "date_created",
    "expiration_date",
];
const USAGE_COLUMNS: [&str; 6] = ["id", "code_id", "code", "used_by", "user_email", "date_used"];

/// Three codes (one with a description that needs CSV quoting), three uses.
fn small() -> Env {
    small_on(Env::new())
}

/// [`small`] on a database of the caller's.
fn small_on(env: Env) -> Env {
    let env = env.enabled();
    let ada = env.add_user("ada@example.com", "user");
    env.add_user("alan@example.com", "user");
    env.json(&[
        "codes",
        "create",
        "--code",
        "QUOTED",
        "--description",
        "Say \"hi\", friends",
        "--beneficiary",
        "ada@example.com",
        "--expires",
        "never",
    ]);
    env.create_code("PLAIN", &["--max-uses", "2"]);
    env.create_code("UNUSED", &["--inactive"]);
    env.json(&["use", "QUOTED", "--user", &ada.to_string()]);
    env.json(&["use", "QUOTED", "--user", "alan@example.com"]);
    env.json(&["use", "PLAIN", "--user", "alan@example.com"]);
    env
}

#[test]
fn export_codes_as_csv_parses_back() {
    let env = small();
    let out = env.ok(&["export", "codes"]);
    assert_eq!(out.stdout.lines().next().unwrap().split(',').collect::<Vec<_>>(), CODE_COLUMNS);
    let rows = csv_records(&out.stdout);
    assert_eq!(rows.len(), 3);
    let by_code: HashMap<&str, &HashMap<String, String>> = rows.iter().map(|r| (r["code"].as_str(), r)).collect();
    let quoted = by_code["QUOTED"];
    assert_eq!(quoted["description"], "Say \"hi\", friends", "quotes and commas survive the round trip");
    assert_eq!(quoted["number_of_uses"], "2");
    assert_eq!(quoted["state"], "active");
    assert_eq!(quoted["status"], "true");
    assert_eq!(quoted["beneficiary_email"], "ada@example.com");
    assert_eq!(quoted["created_by_email"], common::DEFAULT_OPERATOR);
    assert_eq!(quoted["expiration_date"], "", "never expires: empty");
    assert!(chrono::DateTime::parse_from_rfc3339(&quoted["date_created"]).is_ok());
    assert_eq!(by_code["PLAIN"]["number_of_uses"], "1");
    assert_eq!(by_code["PLAIN"]["max_uses"], "2");
    assert!(chrono::DateTime::parse_from_rfc3339(&by_code["PLAIN"]["expiration_date"]).is_ok());
    assert_eq!(by_code["UNUSED"]["state"], "inactive");
    assert_eq!(by_code["UNUSED"]["status"], "false");
    assert_eq!(by_code["UNUSED"]["beneficiary"], "");
    assert_eq!(out.stdout, env.ok(&["export", "codes", "--format", "csv"]).stdout, "csv is the default");
}

#[test]
fn export_usage_as_csv_parses_back() {
    let env = small();
    let out = env.ok(&["export", "usage", "--format", "csv"]);
    assert_eq!(out.stdout.lines().next().unwrap().split(',').collect::<Vec<_>>(), USAGE_COLUMNS);
    let rows = csv_records(&out.stdout);
    assert_eq!(rows.len(), 3);
    let pairs: HashSet<(&str, &str)> = rows.iter().map(|r| (r["code"].as_str(), r["user_email"].as_str())).collect();
    assert_eq!(
        pairs,
        HashSet::from([("QUOTED", "ada@example.com"), ("QUOTED", "alan@example.com"), ("PLAIN", "alan@example.com")])
    );
    for row in &rows {
        assert!(chrono::DateTime::parse_from_rfc3339(&row["date_used"]).is_ok(), "{row:?}");
    }
}

#[test]
fn export_as_json_has_the_same_rows() {
    let env = small();
    let codes = env.ok(&["export", "codes", "--format", "json"]).json();
    let codes = codes.as_array().expect("an array");
    assert_eq!(codes.len(), 3);
    for code in codes {
        for column in CODE_COLUMNS {
            assert!(code.get(column).is_some(), "{column} missing from {code}");
        }
    }
    let quoted = codes.iter().find(|c| c["code"] == "QUOTED").unwrap();
    assert_eq!(quoted["description"], "Say \"hi\", friends");
    assert_eq!(quoted["number_of_uses"], 2);
    assert_eq!(quoted["expiration_date"], Value::Null);

    let usage = env.ok(&["export", "usage", "--format", "json"]).json();
    let usage = usage.as_array().expect("an array");
    assert_eq!(usage.len(), 3);
    for record in usage {
        for column in USAGE_COLUMNS {
            assert!(record.get(column).is_some(), "{column} missing from {record}");
        }
    }
    // The global --json asks for JSON too: one document on stdout.
    assert_eq!(env.json(&["export", "codes"]).as_array().map(Vec::len), Some(3));
    assert_eq!(env.json(&["export", "usage"]).as_array().map(Vec::len), Some(3));
}

#[test]
fn an_empty_export_is_a_header_or_an_empty_array() {
    let env = Env::new();
    assert_eq!(csv_records(&env.ok(&["export", "codes"]).stdout).len(), 0);
    assert_eq!(env.ok(&["export", "usage"]).stdout.lines().count(), 1, "only the header");
    assert_eq!(env.ok(&["export", "usage", "--format", "json"]).json(), serde_json::json!([]));
    env.run(&["export", "users"]).status(2);
    env.run(&["export", "codes", "--format", "xml"]).status(2);
}

#[test]
fn stats_count_codes_and_usage() {
    let env = small();
    env.create_code("OLD", &[]);
    env.expire("OLD");
    let stats = env.stats();
    assert_eq!(stats["total_codes"], 4);
    assert_eq!(stats["active_codes"], 2, "QUOTED and PLAIN; not UNUSED (inactive) nor OLD (expired)");
    assert_eq!(stats["total_usage"], 3);
    assert_eq!(stats["codes_with_usage"], 2);
    assert_eq!(stats["enabled"], true);
    assert_eq!(stats["required"], false);

    let out = env.ok(&["stats"]);
    assert_eq!(out.row("total codes"), ["total codes", "4"]);
    assert_eq!(out.row("active codes"), ["active codes", "2"]);
    assert_eq!(out.row("total usage"), ["total usage", "3"]);
    assert_eq!(out.row("codes with usage"), ["codes with usage", "2"]);
    assert_eq!(out.row("system enabled"), ["system enabled", "yes"]);
    assert_eq!(out.row("code required"), ["code required", "no"]);
}

#[test]
fn demo_numbers_agree_with_stats_and_exports() {
    let env = Env::new();
    let demo = env.json(&["demo", "--users", "40", "--codes", "60", "--days", "5"]);
    assert_eq!(demo["users"], 40);
    assert_eq!(demo["codes"], 60);
    assert_eq!(demo["system_enabled"], true);
    let usage_records = demo["usage_records"].as_i64().unwrap();
    assert!(usage_records > 0, "the demo makes usage: {demo}");

    let stats = env.stats();
    let codes = csv_records(&env.ok(&["export", "codes"]).stdout);
    let usage = csv_records(&env.ok(&["export", "usage"]).stdout);
    assert_eq!(stats["enabled"], true, "the demo enables the system");
    assert_eq!(stats["total_codes"], 60);
    assert_eq!(codes.len(), 60);
    assert_eq!(stats["total_usage"], usage_records);
    assert_eq!(usage.len() as i64, usage_records, "total_usage equals the usage export's rows");
    let used_codes: HashSet<&str> = usage.iter().map(|u| u["code_id"].as_str()).collect();
    assert_eq!(stats["codes_with_usage"], used_codes.len() as i64);
    let active = codes.iter().filter(|c| c["state"] == "active").count();
    assert_eq!(stats["active_codes"], active as i64);
    let counted: i64 = codes.iter().map(|c| c["number_of_uses"].parse::<i64>().unwrap()).sum();
    assert_eq!(counted, usage_records, "every code's number_of_uses matches its usage records");
    for code in &codes {
        let uses = usage.iter().filter(|u| u["code_id"] == code["id"]).count();
        assert_eq!(code["number_of_uses"], uses.to_string(), "{code:?}");
        assert!(uses <= code["max_uses"].parse().unwrap(), "over the limit: {code:?}");
    }
    let pairs: HashSet<(&str, &str)> = usage.iter().map(|u| (u["code_id"].as_str(), u["used_by"].as_str())).collect();
    assert_eq!(pairs.len(), usage.len(), "no user used a code twice");
    let users = env.json(&["users", "list", "--limit", "1000"]);
    assert_eq!(users.as_array().unwrap().len(), 41, "forty users and the operator");

    let out = env.ok(&["demo", "--users", "3", "--codes", "2", "--days", "1", "--yes"]);
    assert!(out.stdout.starts_with("Wrote 3 users, 2 codes and "), "{}", out.stdout);
    assert!(
        out.stdout.trim().ends_with("usage records over the last 1 days, and enabled the system."),
        "{}",
        out.stdout
    );
    assert_eq!(env.stats()["total_codes"], 62);

    for bad in [["--users", "0"], ["--days", "0"]] {
        let doc = env.refusal(&[&["demo", "--yes"], &bad[..]].concat());
        assert_eq!(doc["error"], "validation", "{bad:?}: {doc}");
    }
    assert_eq!(env.stats()["total_codes"], 62);
}

#[test]
fn demo_defaults_to_200_users_and_500_codes() {
    let env = Env::new();
    let demo = env.json(&["demo"]);
    assert_eq!(demo["users"], 200);
    assert_eq!(demo["codes"], 500);
    let stats = env.stats();
    assert_eq!(stats["total_codes"], 500);
    assert_eq!(stats["total_usage"], demo["usage_records"]);
    let active = env.json(&["codes", "list", "--status", "active", "--limit", "1"])["total"].clone();
    assert_eq!(stats["active_codes"], active, "stats and the list agree on what is active");

    // The list's status filter (SQL) and each code's computed state agree, for every state.
    let codes = csv_records(&env.ok(&["export", "codes"]).stdout);
    let mut seen = 0;
    for state in ["active", "inactive", "expired", "limit-reached"] {
        let exported = codes.iter().filter(|c| c["state"] == state).count();
        let listed = env.json(&["codes", "list", "--status", state, "--limit", "1"])["total"].as_u64().unwrap();
        assert_eq!(listed, exported as u64, "{state}");
        seen += exported;
    }
    assert_eq!(seen, 500, "every code is in exactly one state");
}

#[test]
fn a_second_demo_after_users_were_deleted_writes_new_emails() {
    let env = Env::new();
    env.ok(&["demo", "--users", "6", "--codes", "0"]);
    // Users go (say the application deleted accounts): counting those left would number the next run's users
    // from among the first run's.
    let sample: Vec<i64> = env
        .json(&["users", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] != "Owner")
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    let gone: Vec<String> = sample[..3].iter().map(i64::to_string).collect();
    env.sql(&format!("DELETE FROM phoenix_kit_users WHERE id IN ({})", gone.join(", ")));
    let before = env.json(&["users", "list"]).as_array().unwrap().len();
    assert_eq!(before, sample.len() - 3 + 1, "the Owner and three sample users are left");
    env.ok(&["demo", "--users", "6", "--codes", "0", "--yes"]);
    let users = env.json(&["users", "list"]);
    let emails: HashSet<&str> = users.as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), before + 6, "{users}");
}

#[test]
fn demo_asks_before_adding_to_a_database_that_has_data() {
    for (setup, held) in [
        (&["users", "add", "ada@example.com"][..], "holds users"),
        (&["codes", "create", "--description", "x"], "holds 1 codes"),
    ] {
        let env = Env::new();
        env.ok(setup);
        let before = env.stats();
        let users = env.json(&["users", "list"]);
        // No terminal to ask and no --yes: a usage error, and nothing written.
        let out = env.run(&["demo", "--users", "3", "--codes", "2"]).status(2);
        assert!(out.stderr.contains(held), "{}", out.stderr);
        assert!(
            out.stderr.contains("--yes") && out.stderr.contains("enables the referral code system"),
            "{}",
            out.stderr
        );
        let doc = env.run(&["--json", "demo"]).status(2).json();
        assert_eq!(doc["error"], "usage", "{doc}");
        assert_eq!(env.stats(), before);
        assert_eq!(env.json(&["users", "list"]), users);
        // --yes is the script's answer.
        env.ok(&["demo", "--users", "3", "--codes", "2", "--yes"]);
        assert_eq!(env.stats()["enabled"], true);
    }
}

#[test]
fn exported_cells_never_start_a_spreadsheet_formula() {
    let env = Env::new().enabled();
    // Anyone can register an email like this one.
    env.json(&["register", "=2+3@example.com"]);
    env.json(&[
        "codes",
        "create",
        "--code",
        "SUM",
        "--description",
        "@SUM(A1:A9)",
        "--beneficiary",
        "=2+3@example.com",
    ]);
    env.json(&["use", "SUM", "--user", "=2+3@example.com"]);
    let codes = csv_records(&env.ok(&["export", "codes"]).stdout);
    assert_eq!(codes[0]["description"], "'@SUM(A1:A9)");
    assert_eq!(codes[0]["beneficiary_email"], "'=2+3@example.com");
    let usage = csv_records(&env.ok(&["export", "usage"]).stdout);
    assert_eq!(usage[0]["user_email"], "'=2+3@example.com");
    // JSON is for programs, not spreadsheets: the values are as they are.
    assert_eq!(env.json(&["export", "codes"])[0]["description"], "@SUM(A1:A9)");

    let generated = env.ok(&["codes", "generate", "2", "--description=-1 day sale", "--csv"]);
    let rows = csv_records(&generated.stdout);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["description"] == "'-1 day sale"), "{rows:?}");
}

#[test]
fn export_as_ndjson_is_one_object_a_line() {
    let env = small();
    for (what, columns, rows) in [("codes", &CODE_COLUMNS[..], 3), ("usage", &USAGE_COLUMNS[..], 3)] {
        let out = env.ok(&["export", what, "--format", "ndjson"]);
        let lines = out.lines();
        assert_eq!(lines.len(), rows, "{}", out.stdout);
        for line in lines {
            let item: Value = serde_json::from_str(line).expect("each line is a JSON document");
            for column in columns {
                assert!(item.get(*column).is_some(), "{column} missing from {item}");
            }
        }
    }
    assert_eq!(env.ok(&["export", "usage", "--format", "ndjson", "--filter", "nothing-matches"]).stdout, "");
}

#[test]
fn export_takes_the_filters_of_codes_list_and_since() {
    the_filters_of_codes_list_and_since(&small());
}

#[test]
fn postgres_export_takes_the_filters_of_codes_list_and_since() {
    let Some(db) = common::PgDatabase::create("postgres_export_takes_the_filters_of_codes_list_and_since") else {
        return;
    };
    the_filters_of_codes_list_and_since(&small_on(Env::with_url(&db.url).owned()));
}

fn the_filters_of_codes_list_and_since(env: &Env) {
    let codes_of = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["export", "codes"];
        all.extend_from_slice(args);
        let mut codes: Vec<String> = csv_records(&env.ok(&all).stdout).into_iter().map(|r| r["code"].clone()).collect();
        codes.sort();
        codes
    };
    assert_eq!(codes_of(&["--status", "inactive"]), ["UNUSED"]);
    assert_eq!(codes_of(&["--status", "active"]), ["PLAIN", "QUOTED"]);
    assert_eq!(codes_of(&["--filter", "friends"]), ["QUOTED"], "the description matches");
    assert_eq!(codes_of(&["--filter", "ada@"]), ["QUOTED"], "the beneficiary's email matches");
    assert_eq!(codes_of(&["--near-limit", "50%"]), ["PLAIN"], "1 of 2 uses");
    assert_eq!(codes_of(&["--expiring", "30d"]), ["PLAIN", "UNUSED"], "QUOTED never expires");
    // The same filters pick the same codes as `codes list`.
    let listed = env.json(&["codes", "list", "--status", "active", "--filter", "a"]);
    let mut listed: Vec<String> =
        listed["codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect();
    listed.sort();
    assert_eq!(codes_of(&["--status", "active", "--filter", "a"]), listed);

    // Usage records of the codes the filter picks.
    let usage = csv_records(&env.ok(&["export", "usage", "--filter", "quoted"]).stdout);
    assert_eq!(usage.len(), 2);
    assert!(usage.iter().all(|u| u["code"] == "QUOTED"));
    let json = env.json(&["export", "usage", "--status", "active", "--near-limit", "50%"]);
    assert_eq!(json.as_array().unwrap().len(), 1, "PLAIN's one use: {json}");

    // --since: codes created, and records made, in the window (as `stats --since` counts it).
    let past = if env.is_postgres() { "'2026-01-01T00:00:00Z'" } else { "'2026-01-01T00:00:00.000Z'" };
    env.sql(&format!("UPDATE phoenix_kit_referral_codes SET date_created = {past} WHERE code = 'PLAIN'"));
    env.sql(&format!(
        "UPDATE phoenix_kit_referral_code_usage SET date_used = {past} WHERE code_id = \
         (SELECT id FROM phoenix_kit_referral_codes WHERE code = 'PLAIN')"
    ));
    assert_eq!(codes_of(&["--since", "24h"]), ["QUOTED", "UNUSED"]);
    assert_eq!(codes_of(&["--since", "2025-12-31"]), ["PLAIN", "QUOTED", "UNUSED"]);
    let recent = csv_records(&env.ok(&["export", "usage", "--since", "7d"]).stdout);
    assert_eq!(recent.len(), 2, "PLAIN's use is older: {recent:?}");
    let doc = env.refusal(&["export", "codes", "--since", "2999-01-01"]);
    assert_eq!(doc["error"], "validation", "a window that starts in the future: {doc}");
    env.run(&["export", "codes", "--since", "soon"]).status(2);
    env.run(&["export", "codes", "--status", "gone"]).status(2);
}

/// Every table, index and trigger of a SQLite file, as SQLite stores them.
fn schema(env: &Env) -> Vec<(String, String, Option<String>)> {
    let url = env.url().to_string();
    common::block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        let rows = sqlx::query_as("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .fetch_all(&mut conn)
            .await
            .expect("read the schema");
        conn.close().await.expect("close");
        rows
    })
}

/// One number from the SQLite file.
fn count(env: &Env, query: &'static str) -> i64 {
    let url = env.url().to_string();
    common::block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
        let (n,): (i64,) = sqlx::query_as(query).fetch_one(&mut conn).await.expect("count");
        conn.close().await.expect("close");
        n
    })
}

/// Into a file without codes, demo writes its sample in one transaction with the indexes that check nothing and
/// the search index's trigger set aside, and makes them again at the end: the schema after it is the one before,
/// the search index holds every code, and a second demo (in batches, as the file has codes now) keeps it so.
#[test]
fn a_demo_into_a_new_file_leaves_its_indexes_and_search_index_whole() {
    let env = Env::new();
    let before = schema(&env);
    env.json(&["demo", "--users", "30", "--codes", "400", "--days", "5"]);
    assert_eq!(schema(&env), before, "every index and trigger is there again");
    env.json(&["demo", "--users", "5", "--codes", "50", "--days", "2", "--yes"]);
    assert_eq!(schema(&env), before);
    // FTS5's own check compares its index with the codes it indexes (an error if they differ).
    env.sql("INSERT INTO refcodes_code_search (refcodes_code_search) VALUES ('integrity-check')");
    let matched = count(&env, "SELECT count(*) FROM refcodes_code_search WHERE refcodes_code_search MATCH '\"REF\"'");
    let holding = count(
        &env,
        "SELECT count(*) FROM phoenix_kit_referral_codes WHERE code LIKE '%REF%' OR description LIKE '%REF%'",
    );
    assert!(holding > 0);
    assert_eq!(matched, holding, "the search index finds every code holding REF");
    let off = count(
        &env,
        "SELECT count(*) FROM phoenix_kit_referral_codes c WHERE c.number_of_uses <> \
         (SELECT count(*) FROM phoenix_kit_referral_code_usage u WHERE u.code_id = c.id)",
    );
    assert_eq!(off, 0, "every code's count matches its usage records");
}

/// Ctrl-C while demo fills a new file: the one transaction rolls back, indexes and all.
#[test]
fn ctrl_c_during_a_demo_into_a_new_file_leaves_it_as_it_was() {
    let env = Env::new();
    let before = schema(&env);
    let child = env.spawn(&["demo", "--users", "20", "--codes", "200000", "--days", "5"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: kill() sends a signal to our own child process; it touches no memory of ours.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(env.stats()["total_codes"], 0, "no code of the sample stays");
    assert_eq!(schema(&env), before, "the indexes set aside are there again");
}
