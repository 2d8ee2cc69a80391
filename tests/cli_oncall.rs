//! The on-call commands through the real binary: `check`'s exit statuses and status line, `metrics` read back by
//! a Prometheus parser and by the format's own rules, the `/metrics` listener answering HTTP, `stats --since`'s
//! JSON and `codes list --near-limit / --expiring`.

mod cli_common;

use cli_common::Env;
use regex::Regex;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

/// Sets a code's uses directly: only the database can make a code used without users to use it.
fn set_uses(env: &Env, code: &str, uses: i64) {
    env.sql(&format!("UPDATE phoenix_kit_referral_codes SET number_of_uses = {uses} WHERE code = '{code}'"));
}

/// Runs `check ARGS` and returns its exit status and stdout's lines, checking the status line's shape.
fn check(env: &Env, args: &[&str]) -> (i32, Vec<String>) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    let first = lines.first().unwrap_or_else(|| panic!("check {args:?} printed nothing: {}", out.stderr));
    let state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][out.code as usize];
    assert!(first.starts_with(&format!("REFCODES {state} - ")), "check {args:?} exit {}: {first}", out.code);
    (out.code, lines)
}

#[test]
fn check_exits_by_each_threshold() {
    let env = Env::new().enabled();
    env.create_code("NEAR", &["--max-uses", "10"]);
    env.create_code("FULL", &["--max-uses", "10"]);

    let (code, lines) = check(&env, &[]);
    assert_eq!(code, 0, "no threshold: the database answered");
    assert!(lines[0].contains("database reachable"), "{lines:?}");

    let (code, lines) = check(&env, &["--near-limit", "90%"]);
    assert_eq!(code, 0);
    assert_eq!(lines[0], "REFCODES OK - no code at 90% of its limit | near_limit=0;0;;0; used_up=0;;0;0;");

    set_uses(&env, "NEAR", 9);
    let (code, lines) = check(&env, &["--near-limit", "90%"]);
    assert_eq!(code, 1, "{lines:?}");
    assert!(lines[0].starts_with("REFCODES WARNING - 1 code at 90% of the limit or more | near_limit=1;"), "{lines:?}");
    assert_eq!(lines[1..], ["  NEAR 9/10 uses"]);

    set_uses(&env, "FULL", 10);
    let (code, lines) = check(&env, &["--near-limit", "90%"]);
    assert_eq!(code, 2, "{lines:?}");
    assert!(lines[0].starts_with("REFCODES CRITICAL - 1 code used up | "), "{lines:?}");
    assert_eq!(lines[1..], ["  FULL 10/10 uses (used up)", "  NEAR 9/10 uses"]);
    // Switched off, a used-up code no longer pages.
    env.ok(&["codes", "update", "FULL", "--inactive"]);
    assert_eq!(check(&env, &["--near-limit", "90%"]).0, 1);

    assert_eq!(check(&env, &["--expiring", "24h"]).0, 0, "the codes expire in 7 days");
    env.create_code("SOON", &["--expires", "12h"]);
    let (code, lines) = check(&env, &["--expiring", "24h"]);
    assert_eq!(code, 1, "{lines:?}");
    assert!(lines[0].starts_with("REFCODES WARNING - 1 code expiring within 24h | expiring=1;0;;0;"), "{lines:?}");
    assert!(lines[1].starts_with("  SOON expires "), "{lines:?}");

    let (code, lines) = check(&env, &["--min-redemptions", "1", "--window", "1h"]);
    assert_eq!(code, 2, "{lines:?}");
    assert_eq!(lines[0], "REFCODES CRITICAL - 0 redemptions in the last 1h (minimum 1) | redemptions_1h=0;;1:;0;");
    env.add_user("ann@example.com", "user");
    env.ok(&["use", "SOON", "--user", "ann@example.com"]);
    assert_eq!(check(&env, &["--min-redemptions", "1"]).0, 0, "the window is 1h by default");

    // The worst finding sets the status, and comes first on the line.
    let (code, lines) = check(&env, &["--min-redemptions", "5", "--near-limit", "90%", "--expiring", "24h"]);
    assert_eq!(code, 2);
    assert!(lines[0].starts_with("REFCODES CRITICAL - 1 redemptions in the last 1h (minimum 5); "), "{lines:?}");
    assert_eq!(lines[0].matches(" | ").count(), 1, "{lines:?}");
}

#[test]
fn a_check_that_can_not_decide_is_unknown() {
    let env = Env::new().enabled();
    for bad in [
        &["--near-limit", "200%"][..],
        &["--expiring", "soon"],
        &["--min-redemptions", "0"],
        &["--window", "1h"],
        &["--bogus"],
    ] {
        let (code, lines) = check(&env, bad);
        assert_eq!(code, 3, "{bad:?}: {lines:?}");
        assert!(lines[0].starts_with("REFCODES UNKNOWN - bad command line: "), "{lines:?}");
    }
    let gone = Env::with_url("sqlite:///nonexistent-directory/refcodes.db");
    let (code, lines) = check(&gone, &["--near-limit", "90%"]);
    assert_eq!(code, 3, "{lines:?}");
    // Other commands keep their own usage status.
    assert_eq!(env.run(&["codes", "list", "--near-limit", "200%"]).code, 2);
}

/// Reads metrics text by the format's rules: every sample belongs to the family declared last (TYPE and HELP
/// before its samples, each family once), names and labels are well formed, and `# EOF` ends it.
fn strict_openmetrics(text: &str) {
    let name = r"[a-zA-Z_:][a-zA-Z0-9_:]*";
    let sample = Regex::new(&format!(
        r#"^({name})(\{{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\}})? (-?[0-9]+(?:\.[0-9]+)?)$"#
    ))
    .unwrap();
    let meta = Regex::new(&format!(r"^# (TYPE|HELP) ({name}) (.+)$")).unwrap();
    assert!(text.ends_with("# EOF\n"), "ends with # EOF and a newline");
    let lines: Vec<&str> = text.lines().collect();
    let (mut family, mut seen, mut typed) = (String::new(), HashSet::new(), HashSet::new());
    for line in &lines[..lines.len() - 1] {
        if let Some(m) = meta.captures(line) {
            if m[2] != family {
                assert!(seen.insert(m[2].to_string()), "family {} declared twice", &m[2]);
                family = m[2].to_string();
            }
            if &m[1] == "TYPE" {
                assert_eq!(&m[3], "gauge", "{line}");
                typed.insert(family.clone());
            }
            continue;
        }
        let m = sample.captures(line).unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        assert_eq!(m[1], family, "a sample of another family than the one declared last: {line}");
        assert!(typed.contains(&family), "{family} has no TYPE");
    }
}

fn scrape(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text")
}

fn value(scrape: &prometheus_parse::Scrape, metric: &str, label: Option<(&str, &str)>) -> f64 {
    let found = scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no {metric} {label:?}"));
    match found.value {
        prometheus_parse::Value::Gauge(v) => v,
        ref other => panic!("{metric} is not a gauge: {other:?}"),
    }
}

fn prepared_for_metrics() -> Env {
    let env = Env::new().enabled();
    env.create_code("BUSY", &["--max-uses", "10"]);
    env.create_code("IDLE", &["--max-uses", "10"]);
    env.create_code("OFF", &["--inactive"]);
    env.add_user("ann@example.com", "user");
    env.ok(&["use", "BUSY", "--user", "ann@example.com"]);
    set_uses(&env, "BUSY", 9);
    env
}

#[test]
fn metrics_read_back_as_openmetrics() {
    let env = prepared_for_metrics();
    let text = env.ok(&["metrics", "--top", "1"]).stdout;
    strict_openmetrics(&text);
    let scraped = scrape(&text);
    assert_eq!(value(&scraped, "refcodes_codes", Some(("status", "active"))), 2.0);
    assert_eq!(value(&scraped, "refcodes_codes", Some(("status", "inactive"))), 1.0);
    assert_eq!(value(&scraped, "refcodes_codes", Some(("status", "limit-reached"))), 0.0);
    assert_eq!(value(&scraped, "refcodes_code_uses", Some(("code", "BUSY"))), 9.0);
    assert_eq!(scraped.samples.iter().filter(|s| s.metric == "refcodes_code_uses").count(), 1, "--top 1");
    assert_eq!(value(&scraped, "refcodes_redemptions_last_5m", None), 1.0);
    assert_eq!(value(&scraped, "refcodes_codes_near_limit", Some(("threshold", "0.9"))), 1.0);
    assert!(scraped.docs.contains_key("refcodes_codes"), "HELP text is read");
}

#[test]
fn the_listener_serves_metrics_over_http() {
    let env = prepared_for_metrics();
    let mut child = env.command(&["metrics", "--listen", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("refcodes: serving metrics on http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address announced: {line:?}"))
        .to_string();
    let get = |path: &str| {
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let metrics = get("/metrics");
    let _ = child.kill();
    let _ = child.wait();
    let (head, body) = metrics.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/openmetrics-text; version=1.0.0"), "{head}");
    strict_openmetrics(body);
    assert_eq!(value(&scrape(body), "refcodes_code_uses", Some(("code", "BUSY"))), 9.0);
}

#[test]
fn the_listener_answers_404_off_its_path() {
    let env = prepared_for_metrics();
    let mut child = env.command(&["metrics", "--listen", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().trim_start_matches("refcodes: serving metrics on http://").trim_end_matches("/metrics");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 404 Not Found"), "{response}");
}

#[test]
fn stats_since_keeps_its_field_names() {
    let env = prepared_for_metrics();
    let doc = env.json(&["stats", "--since", "7d"]);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&doc),
        ["active_codes", "attached", "codes_with_usage", "enabled", "required", "total_codes", "total_usage", "window"]
    );
    let window = &doc["window"];
    assert_eq!(
        keys(window),
        [
            "bucket",
            "codes_created",
            "codes_deactivated",
            "end",
            "redemptions",
            "series",
            "signups_with_code",
            "start",
            "top_beneficiaries",
            "top_codes"
        ]
    );
    assert_eq!(window["bucket"], "day");
    assert_eq!(window["series"].as_array().unwrap().len(), 7);
    assert_eq!(keys(&window["series"][0]), ["redemptions", "signups_with_code", "start"]);
    assert_eq!((window["redemptions"].as_i64(), window["codes_created"].as_i64()), (Some(1), Some(3)));
    assert_eq!(keys(&window["top_codes"][0]), ["code", "id", "uses"]);
    assert_eq!(window["top_codes"][0]["code"], "BUSY");
    assert_eq!(env.json(&["stats"])["window"]["bucket"], "hour", "24h by default");

    // For people: in 80 columns, with a sparkline.
    let out = env.ok(&["stats", "--since", "48h"]).stdout;
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
    assert!(out.lines().any(|l| l.starts_with("  redemptions") && l.contains('█')), "{out}");
    assert_eq!(env.run(&["stats", "--since", "yesterday"]).code, 2);
}

#[test]
fn codes_list_near_limit_and_expiring_are_most_urgent_first() {
    let env = Env::new().enabled();
    for (code, max, uses) in [("HALF", "10", 5), ("NINETY", "10", 9), ("ALMOST", "20", 19)] {
        env.create_code(code, &["--max-uses", max]);
        set_uses(&env, code, uses);
    }
    env.create_code("LATER", &["--expires", "3d"]);
    env.create_code("SOONER", &["--expires", "1d"]);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["codes", "list"];
        all.extend_from_slice(args);
        let doc = env.json(&all);
        doc["codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(codes(&["--near-limit", "90%"]), ["ALMOST", "NINETY"]);
    assert_eq!(codes(&["--near-limit", "50"]), ["ALMOST", "NINETY", "HALF"]);
    assert_eq!(codes(&["--expiring", "4d"]), ["SOONER", "LATER"]);
    assert_eq!(codes(&["--expiring", "4d", "--sort", "code"]), ["LATER", "SOONER"]);
}
