//! Output that can't be written: a reader that closed the pipe early ends a read quietly, a full disk is exit 3,
//! and a command that created codes says what it created and how to list it again. And the log file.

mod cli_common;
use cli_common as common;

use common::{Env, Out};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

/// A pipe whose reader has gone already, as after `| head` has read what it wanted.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer.into()
}

/// A file every write to fails, as to a full disk.
fn full_disk() -> Stdio {
    std::fs::File::options().write(true).open("/dev/full").expect("/dev/full").into()
}

fn run_into(env: &Env, args: &[&str], stdout: Stdio) -> Out {
    Out::of(env.command(args).stdout(stdout).output().expect("run refcodes"), args)
}

/// A database with a code, a use and a second user.
fn some_data() -> Env {
    let env = Env::new().enabled();
    env.add_user("ada@example.com", "user");
    env.create_code("SPRING", &[]);
    env.json(&["use", "SPRING", "--user", "ada@example.com"]);
    env
}

const READS: [&[&str]; 10] = [
    &["codes", "list"],
    &["--json", "codes", "list"],
    &["codes", "show", "SPRING"],
    &["stats"],
    &["--json", "stats"],
    &["users", "list"],
    &["settings", "show"],
    &["export", "codes"],
    &["export", "usage", "--format", "json"],
    &["--json", "export", "codes"],
];

#[test]
fn a_read_whose_reader_went_away_ends_quietly() {
    let env = some_data();
    for args in READS {
        let out = run_into(&env, args, closed_pipe()).success();
        assert_eq!(out.stderr, "", "{args:?}: a closed pipe is no error");
    }
}

#[test]
fn a_read_that_cannot_write_is_a_system_failure() {
    let env = some_data();
    for args in READS {
        let out = run_into(&env, args, full_disk()).status(3);
        assert!(out.stderr.starts_with("refcodes: can't write the output: "), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("No space left on device"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_generation_whose_output_is_lost_says_how_to_list_it_again() {
    let env = Env::new();
    let batch = ["codes", "generate", "300", "--description", "Spring batch", "--csv"];
    let closed = run_into(&env, &batch, closed_pipe()).success();
    let again = "`refcodes codes list --filter='Spring batch' --sort created --desc --limit 300`";
    assert!(closed.stderr.contains("300 codes were created at "), "{}", closed.stderr);
    assert!(closed.stderr.contains(again), "{}", closed.stderr);

    let full = run_into(&env, &batch, full_disk()).status(3);
    assert!(full.stderr.contains("No space left on device"), "{}", full.stderr);
    assert!(full.stderr.contains("300 codes were created at "), "{}", full.stderr);
    assert!(full.stderr.contains(again), "{}", full.stderr);
    for json in [&["--json"][..], &[]] {
        let out = run_into(&env, &[json, &batch[..5]].concat(), full_disk()).status(3);
        assert!(out.stderr.contains("300 codes were created at "), "{}", out.stderr);
    }

    // The command it gives lists the codes of the last batch (the others share the description).
    let listed = env.json(&["codes", "list", "--filter=Spring batch", "--sort", "created", "--desc", "--limit", "300"]);
    assert_eq!(listed["total"], 1200, "every batch was committed");
    assert_eq!(listed["codes"].as_array().map(Vec::len), Some(300));
}

#[test]
fn a_create_whose_output_is_lost_names_the_code() {
    let env = Env::new();
    for (code, json) in [("LOST-1", false), ("LOST-2", true)] {
        let mut args = vec!["codes", "create", "--code", code, "--description", "x"];
        if json {
            args.insert(0, "--json");
        }
        let out = run_into(&env, &args, full_disk()).status(3);
        let said = format!("Code {code} was created; see it with `refcodes codes list --filter={code}`.");
        assert!(out.stderr.contains(&said), "{}", out.stderr);
        assert_eq!(out.stdout, "", "the error goes to stderr, since stdout failed");
        assert_eq!(env.show(code)["code"]["code"], code);
    }
    let out = run_into(&env, &["codes", "create", "--code", "LOST-3", "--description", "x"], closed_pipe()).success();
    assert!(out.stderr.contains("Code LOST-3 was created"), "{}", out.stderr);
}

#[test]
fn the_log_is_private_and_names_the_database() {
    let env = Env::new();
    env.create_code("LOGGED", &[]);
    let log = env.path().join("home/.local/share/refcodes/refcodes.log");
    let mode = std::fs::metadata(&log).expect("a log file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the log holds emails and codes");
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text.lines().find(|l| l.contains("created code") && l.contains("LOGGED")).expect("the create is logged");
    assert!(line.ends_with(&format!(" database={}", env.url())), "{line}");
}
