//! `refcodes codes import FILE.csv [--dry-run] [--on-conflict fail|skip|update]`: every row checked with the rules
//! of `codes create` before anything is written, every problem told with its line, then all rows written in one
//! transaction or none. On SQLite always; on PostgreSQL when `REFCODES_TEST_POSTGRES_URL` is set.

mod cli_common;
use cli_common as common;

use common::{DEFAULT_OPERATOR, Env, Out, PgDatabase, block_on, csv_records};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;

/// Runs `codes import` on `text` written to a file, with `args` after the file name.
fn import(env: &Env, text: &str, args: &[&str]) -> Out {
    let file = env.write_file("import.csv", text);
    let file = file.to_str().unwrap();
    env.run(&[&["codes", "import", file][..], args].concat())
}

fn import_json(env: &Env, text: &str, args: &[&str]) -> Out {
    let file = env.write_file("import.csv", text);
    let file = file.to_str().unwrap();
    env.run(&[&["--json", "codes", "import", file][..], args].concat())
}

/// Every code, by code, as `export codes` gives them.
fn codes(env: &Env) -> HashMap<String, HashMap<String, String>> {
    csv_records(&env.ok(&["export", "codes"]).stdout).into_iter().map(|r| (r["code"].clone(), r)).collect()
}

/// (line, column) of each problem in a report.
fn problems(doc: &Value) -> Vec<(u64, String)> {
    doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["column"].as_str().unwrap().to_string()))
        .collect()
}

fn creates_codes_from_columns_in_any_order(env: &Env) {
    env.add_user("ada@example.com", "user");
    // Excel's "CSV UTF-8": a byte order mark and CRLF; a description with a comma and quotes.
    let file = "\u{feff}status,Beneficiary,description,code,expires,max_uses\r\n\
                ,ada@example.com,\"Partners, \"\"gold\"\" tier\",gold-1,never,5\r\n\
                inactive,,Plain,SILVER-1,2030-01-31,\r\n\
                ,,A random one,,,\r\n\
                ,,,,,\r\n";
    let report = import_json(env, file, &[]).success().json();
    assert_eq!(report["applied"], true, "{report}");
    assert_eq!(report["rows"], 3, "the empty row is left out: {report}");
    assert_eq!(report["random"], 1);
    let created: Vec<&str> = report["created"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(created.len(), 3, "{report}");
    assert_eq!(&created[..2], ["GOLD-1", "SILVER-1"]);

    let all = codes(env);
    assert_eq!(all.len(), 3);
    let gold = &all["GOLD-1"];
    assert_eq!(gold["description"], "Partners, \"gold\" tier", "quotes and comma survive");
    assert_eq!(gold["beneficiary_email"], "ada@example.com");
    assert_eq!(gold["max_uses"], "5");
    assert_eq!(gold["expiration_date"], "");
    assert_eq!(gold["created_by_email"], DEFAULT_OPERATOR);
    let silver = &all["SILVER-1"];
    assert_eq!(silver["state"], "inactive");
    assert!(silver["expiration_date"].starts_with("2030-01-31T00:00:00"), "{silver:?}");
    assert_eq!(silver["max_uses"], "100", "an empty max_uses takes the default, as create does");
    let random = all.values().find(|c| c["description"] == "A random one").expect("the random code");
    assert_eq!(random["code"].len(), 5, "the configured length: {random:?}");
    assert_eq!(random["code"], created[2]);

    let human = import(env, "code,description\nNEXT-1,Next\n", &[]).success();
    assert_eq!(
        human.lines()[0],
        "Imported 1 rows: created 1 codes (0 random), updated 0, left 0 unchanged, skipped 0."
    );
}

fn every_bad_row_is_reported_with_its_line(env: &Env) {
    env.add_user("ada@example.com", "user");
    env.add_user("gone@example.com", "user");
    env.sql("UPDATE phoenix_kit_users SET is_active = false WHERE email = 'gone@example.com'");
    env.create_code("TAKEN", &[]);
    let before = codes(env);
    let file = "code,description,max_uses,expires,beneficiary,status\n\
                GOOD-1,Fine,10,7d,ada@example.com,active\n\
                AB,Too short,,,,\n\
                NUMBER,Bad number,lots,,,\n\
                ZERO,Zero uses,0,,,\n\
                HUGE,Over the setting,100000,,,\n\
                WHEN,Bad time,,soon,,\n\
                PAST,Past,,2020-01-01,,\n\
                NOBODY,No such user,,,nobody@example.com,\n\
                SHAPE,Not an email,,,not-an-email,\n\
                GONE,Inactive user,,,gone@example.com,\n\
                STATE,Bad status,,,,maybe\n\
                EMPTY,,,,,\n\
                TAKEN,Exists,,,,\n\
                GOOD-1,Twice,,,,\n\
                SHORT,Too few cells\n\
                AB,,0,soon,,\n\
                NEWLINE,\"Two\r\nlines\",,,,\n\
                X,After a quoted line break,,,,\n";
    let out = import_json(env, file, &[]);
    let doc = out.refused();
    assert_eq!(doc["error"], "validation");
    assert_eq!(doc["applied"], false);
    assert_eq!(doc["created"], serde_json::json!(["GOOD-1"]), "rows with problems are not counted as created");
    assert_eq!(
        problems(&doc),
        [
            (3, "code".to_string()),
            (4, "max_uses".into()),
            (5, "max_uses".into()),
            (6, "max_uses".into()),
            (7, "expires".into()),
            (8, "expires".into()),
            (9, "beneficiary".into()),
            (10, "beneficiary".into()),
            (11, "beneficiary".into()),
            (12, "status".into()),
            (13, "description".into()),
            (14, "code".into()),
            (15, "code".into()),
            (16, "row".into()),
            // Every problem of a row, not only its first.
            (17, "expires".into()),
            (17, "code".into()),
            (17, "description".into()),
            (17, "max_uses".into()),
            // A quoted line break is read as part of the cell (and a description may not hold one), and the lines
            // after it are counted right.
            (18, "description".into()),
            (20, "code".into()),
        ],
        "{doc:#}"
    );
    let message = |line: u64| -> String {
        doc["problems"].as_array().unwrap().iter().find(|p| p["line"] == line).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message(6).contains("max_number_of_uses_per_code"), "the rule of create: {}", message(6));
    assert!(message(11).contains("inactive"), "{}", message(11));
    assert!(message(14).contains("exists already") && message(14).contains("--on-conflict"), "{}", message(14));
    assert!(message(15).contains("line 2"), "{}", message(15));
    assert_eq!(codes(env), before, "nothing was written");

    // For people: each problem on a line of stderr, then one sentence; nothing on stdout.
    let out = import(env, file, &[]).status(1);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 21, "{}", out.stderr);
    assert!(lines[0].starts_with("line 3: code: "), "{}", lines[0]);
    assert_eq!(lines[20], "refcodes: 20 problems in 17 of 18 rows; nothing was imported");
    assert_eq!(codes(env), before);
}

fn the_header_names_known_columns_only(env: &Env) {
    let out = import_json(env, "code,description,colour,Size\nA-1,x,red,9\n", &[]);
    let doc = out.refused();
    let message = doc["message"].as_str().unwrap();
    assert!(message.contains("\"colour\", \"size\""), "names the unknown columns: {message}");
    assert!(
        message.contains("code, description, max_uses, expires, beneficiary, status"),
        "lists the known: {message}"
    );
    assert_eq!(env.refusal(&["codes", "import", env.write_file("e.csv", "").to_str().unwrap()])["error"], "validation");
    assert!(codes(env).is_empty());
}

fn dry_run_writes_nothing(env: &Env) {
    env.create_code("OLD-1", &["--max-uses", "5"]);
    env.create_code("OLD-2", &[]);
    let before = codes(env);
    let file = "code,description,max_uses\nNEW-1,New,\n,Random,\nOLD-1,Old,50\nold-2,Test code,\n";
    let report = import_json(env, file, &["--dry-run", "--on-conflict", "update"]).success().json();
    assert_eq!(report["applied"], false);
    assert_eq!(report["created"], serde_json::json!(["NEW-1"]));
    assert_eq!(report["random"], 1);
    assert_eq!(report["updated"], serde_json::json!(["OLD-1"]));
    assert_eq!(report["unchanged"], serde_json::json!(["OLD-2"]), "the same description changes nothing");
    assert_eq!(report["problems"], serde_json::json!([]));
    assert_eq!(codes(env), before, "a dry run writes nothing");

    let out = import(env, file, &["--dry-run", "--on-conflict", "skip"]).success();
    assert_eq!(
        out.lines(),
        [
            "Dry run, nothing written. Of 4 rows, it would create 2 codes (1 random), update 0, leave 0 unchanged and \
             skip 2.",
            "  create     NEW-1, 1 random",
            "  skip       OLD-1, OLD-2",
        ]
    );
    // A dry run with problems reports them as an import would, and exits 1.
    let doc = import_json(env, "code,description\nX,\n", &["--dry-run"]).refused();
    assert_eq!(problems(&doc), [(2, "code".to_string()), (2, "description".into())]);
    assert_eq!(codes(env), before);
}

fn each_conflict_mode(env: &Env) {
    env.add_user("ada@example.com", "user");
    env.create_code("KEEP", &["--max-uses", "5", "--expires", "never"]);
    let file =
        "code,description,max_uses,beneficiary,status\nkeep,Renamed,7,ada@example.com,inactive\nFRESH,Fresh,,,\n";

    // fail (the default): the existing code is a problem, and FRESH is not created either.
    let doc = import_json(env, file, &[]).refused();
    assert_eq!(problems(&doc), [(2, "code".to_string())]);
    assert!(!codes(env).contains_key("FRESH"));
    assert_eq!(import_json(env, file, &["--on-conflict", "fail"]).refused()["problems"], doc["problems"]);

    // skip: KEEP stays as it is, FRESH is created.
    let report = import_json(env, file, &["--on-conflict", "skip"]).success().json();
    assert_eq!(report["skipped"], serde_json::json!(["KEEP"]));
    assert_eq!(report["created"], serde_json::json!(["FRESH"]));
    let keep = &codes(env)["KEEP"];
    assert_eq!((keep["description"].as_str(), keep["max_uses"].as_str()), ("Test code", "5"));

    // update: the row's cells change KEEP; empty cells (expires) leave the field as it is. FRESH exists now too.
    let report = import_json(env, file, &["--on-conflict", "update"]).success().json();
    assert_eq!(report["updated"], serde_json::json!(["KEEP"]), "{report}");
    assert_eq!(report["unchanged"], serde_json::json!(["FRESH"]), "its one cell is as stored: {report}");
    let all = codes(env);
    let keep = &all["KEEP"];
    assert_eq!(keep["description"], "Renamed");
    assert_eq!(keep["max_uses"], "7");
    assert_eq!(keep["beneficiary_email"], "ada@example.com");
    assert_eq!(keep["state"], "inactive");
    assert_eq!(keep["expiration_date"], "", "still never expires");
    assert_eq!(all.len(), 2);
    // The same file again changes nothing.
    let report = import_json(env, file, &["--on-conflict", "update"]).success().json();
    assert_eq!(report["unchanged"], serde_json::json!(["KEEP", "FRESH"]), "{report}");
    // An update is checked with the rules of `codes update`.
    let doc = import_json(env, "code,max_uses\nKEEP,0\n", &["--on-conflict", "update"]).refused();
    assert_eq!(problems(&doc), [(2, "max_uses".to_string())]);
}

fn stdin_is_read_for_a_dash(env: &Env) {
    let mut child =
        env.command(&["--json", "codes", "import", "-"]).stdin(Stdio::piped()).spawn().expect("spawn refcodes");
    child.stdin.take().unwrap().write_all(b"code,description\r\nPIPED-1,From stdin\r\n").unwrap();
    let out = Out::of(child.wait_with_output().unwrap(), &["codes", "import", "-"]).success();
    assert_eq!(out.json()["created"], serde_json::json!(["PIPED-1"]));
    assert_eq!(codes(env)["PIPED-1"]["description"], "From stdin");
}

fn only_admins_import(env: &Env) {
    env.add_user("reader@example.com", "user");
    let file = env.write_file("a.csv", "code,description\nA-1,x\n");
    for args in [&["--dry-run"][..], &[]] {
        let all = [&["--as", "reader@example.com", "codes", "import", file.to_str().unwrap()][..], args].concat();
        assert_eq!(env.refusal(&all)["error"], "not_authorized");
    }
    assert!(codes(env).is_empty());
}

/// A row that fails while the rows are written, after the first thousand were inserted: all of them roll back.
fn a_failure_while_writing_rolls_everything_back(env: &Env) {
    if env.is_postgres() {
        env.sql(
            "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             RAISE EXCEPTION 'boom'; END $$; \
             CREATE TRIGGER boom BEFORE INSERT ON phoenix_kit_referral_codes FOR EACH ROW \
             WHEN (NEW.code = 'BOOM') EXECUTE FUNCTION refuse_boom();",
        );
    } else {
        env.sql(
            "CREATE TRIGGER boom BEFORE INSERT ON phoenix_kit_referral_codes WHEN NEW.code = 'BOOM' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END;",
        );
    }
    let mut file = String::from("code,description\n");
    for i in 0..1500 {
        file.push_str(&format!("ROW-{i:04},Bulk\n"));
    }
    file.push_str("BOOM,Fails in the database\n");
    let doc = import_json(env, &file, &[]).status(3).json();
    assert_eq!(doc["error"], "system", "{doc}");
    assert!(codes(env).is_empty(), "the 1,500 rows before BOOM were rolled back");
}

/// A code that another client creates between the check and the write is a conflict found inside the write's
/// transaction: nothing is written, and the report names its line.
fn a_code_created_meanwhile_is_a_conflict(env: &Env) {
    let service = block_on(async {
        let service = refcodes::service::Service::open(
            env.url(),
            1,
            std::time::Duration::from_secs(5),
            refcodes::service::ServiceOptions::default(),
        )
        .await
        .expect("open");
        let signed = service.sign_in(DEFAULT_OPERATOR).await.expect("sign in");
        service.signed_in(&signed)
    });
    let file = b"code,description\nFIRST,One\nLATE,Two\n";
    let plan = block_on(service.check_import(file, Default::default())).expect("check");
    assert_eq!(plan.report.problems, []);
    env.create_code("LATE", &[]);
    let report = block_on(service.apply_import(&plan)).expect("apply");
    assert!(!report.applied);
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert_eq!((report.problems[0].line, report.problems[0].column), (3, "code"));
    block_on(service.close());
    let all = codes(env);
    assert!(all.contains_key("LATE") && !all.contains_key("FIRST"), "FIRST was not written: {all:?}");
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&super::Env::new()); })*
        }
        mod postgres {
            $(#[test] fn $name() {
                let Some(db) = super::PgDatabase::create(stringify!($name)) else { return };
                super::$name(&super::Env::with_url(&db.url).owned());
            })*
        }
    };
}

on_both!(
    creates_codes_from_columns_in_any_order,
    every_bad_row_is_reported_with_its_line,
    the_header_names_known_columns_only,
    dry_run_writes_nothing,
    each_conflict_mode,
    stdin_is_read_for_a_dash,
    only_admins_import,
    a_failure_while_writing_rolls_everything_back,
    a_code_created_meanwhile_is_a_conflict,
);
