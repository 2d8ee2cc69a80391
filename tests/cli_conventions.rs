//! What a well-kept command line has: completions for every shell, a manual page, progress on a terminal only, and
//! Ctrl-C that leaves nothing half-written.

mod cli_common;
use cli_common as common;

use common::{Env, Out, csv_records};

/// The subcommands `refcodes --help` lists.
fn subcommands(env: &Env) -> Vec<String> {
    let help = Out::of(env.bare_command().arg("--help").output().unwrap(), &["--help"]).success();
    let listed: Vec<String> = help
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    assert!(listed.len() >= 15, "{listed:?}");
    listed
}

/// Where the binary keeps its database when none is named.
fn default_database(env: &Env) -> std::path::PathBuf {
    env.path().join("home/.local/share/refcodes/refcodes.db")
}

#[test]
fn completions_name_the_real_subcommands_in_every_shell() {
    let env = Env::empty();
    let subcommands = subcommands(&env);
    for needed in ["codes", "export", "completions", "man", "doctor"] {
        assert!(subcommands.iter().any(|s| s == needed), "{needed} in {subcommands:?}");
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Out::of(env.bare_command().args(["completions", shell]).output().unwrap(), &[shell]).success();
        for sub in &subcommands {
            assert!(out.stdout.contains(sub.as_str()), "{shell}'s completions lack {sub}");
        }
        // Nested commands and their options too.
        for word in ["import", "on-conflict", "dry-run"] {
            assert!(out.stdout.contains(word), "{shell}'s completions lack {word}");
        }
        if shell == "bash" {
            let script = env.write_file("refcodes.bash", &out.stdout);
            let checked = std::process::Command::new("bash").arg("-n").arg(&script).status().unwrap();
            assert!(checked.success(), "bash can parse the script");
        }
    }
    Out::of(env.bare_command().args(["completions", "cmd"]).output().unwrap(), &["cmd"]).status(2);
    assert!(!default_database(&env).exists(), "no database was opened");
}

#[test]
fn man_prints_a_roff_page() {
    let env = Env::empty();
    let out = Out::of(env.bare_command().arg("man").output().unwrap(), &["man"]).success();
    assert!(out.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq") || out.stdout.contains(".TH refcodes"), "{}", out.stdout);
    assert!(out.stdout.contains(".TH refcodes"), "a title line");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(out.stdout.contains(section), "{section}");
    }
    for sub in subcommands(&env) {
        assert!(out.stdout.contains(&format!("refcodes\\-{sub}(1)")), "the page names {sub}");
    }
    // Every page, for installing: the pages the main one refers to exist.
    let dir = env.path().join("man1");
    std::fs::create_dir(&dir).unwrap();
    let dir_arg = dir.to_str().unwrap();
    Out::of(env.bare_command().args(["man", "--out-dir", dir_arg]).output().unwrap(), &["man"]).success();
    for page in ["refcodes.1", "refcodes-codes.1", "refcodes-codes-import.1", "refcodes-export.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH refcodes"), "{page}");
    }
    let import = std::fs::read_to_string(dir.join("refcodes-codes-import.1")).unwrap();
    assert!(import.contains("on\\-conflict") && import.contains("dry\\-run"), "{import}");
    assert!(!default_database(&env).exists(), "no database was opened");
}

/// No progress bar drawing (carriage returns, escape sequences) on a stderr that is not a terminal, as in a test or
/// a script's log.
#[test]
fn progress_is_hidden_when_stderr_is_not_a_terminal() {
    let env = Env::new();
    let drawn = |out: &Out| out.stderr.contains('\r') || out.stderr.contains('\u{1b}');
    let runs = [
        &["demo", "--users", "30", "--codes", "1500", "--days", "2", "--yes"][..],
        &["codes", "generate", "1200", "--description", "Bulk"],
        &["export", "codes"],
        &["export", "usage", "--format", "ndjson"],
        &["doctor"],
    ];
    for args in runs {
        let out = env.ok(args);
        assert!(!drawn(&out), "{args:?} drew progress: {:?}", out.stderr);
    }
    let mut file = String::from("code,description\n");
    for i in 0..1500 {
        file.push_str(&format!("IMP-{i},Imported\n"));
    }
    let path = env.write_file("many.csv", &file);
    let out = env.ok(&["codes", "import", path.to_str().unwrap()]);
    assert!(!drawn(&out), "import drew progress: {:?}", out.stderr);
    assert_eq!(csv_records(&env.ok(&["export", "codes"]).stdout).len(), 1500 + 1200 + 1500);
}

/// On a terminal, long work draws its bar on stderr: the stage, the count and the rate.
#[test]
fn progress_is_drawn_when_stderr_is_a_terminal() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    use std::io::Read;
    let env = Env::new();
    let pair = native_pty_system()
        .openpty(PtySize { rows: 24, cols: 100, pixel_width: 0, pixel_height: 0 })
        .expect("a pseudo-terminal");
    let plain = env.command(&[]);
    let mut command = CommandBuilder::new(plain.get_program());
    command.env_clear();
    for (key, value) in plain.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    // A terminal that says what it is: indicatif draws nothing on one without TERM (a dumb terminal).
    command.env("TERM", "xterm");
    command.args(plain.get_args());
    command.args(["demo", "--users", "2000", "--codes", "3000", "--days", "2", "--yes"]);
    let mut child = pair.slave.spawn_command(command).expect("refcodes starts in the pty");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("a reader on the pty");
    let mut seen = Vec::new();
    // Linux answers EIO once the last holder of the terminal's end is gone: the end of the output.
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = reader.read(&mut buf) {
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(child.wait().expect("refcodes ends").success());
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.contains("writing sample users"), "{seen}");
    assert!(seen.contains("writing sample codes"), "{seen}");
    assert!(seen.contains("/2,000") && seen.contains("/s"), "a count and a rate: {seen}");
}

/// Ctrl-C (SIGINT) in the middle of an import: the process ends with 130 and the transaction rolls back, or the
/// import had finished already; never some of the rows.
#[test]
fn ctrl_c_leaves_nothing_half_written() {
    let env = Env::new();
    let mut file = String::from("code,description\n");
    for i in 0..60_000 {
        file.push_str(&format!("SIG-{i:05},Interrupted\n"));
    }
    let path = env.write_file("big.csv", &file);
    for delay_ms in [150, 400, 900] {
        let child = env.spawn(&["codes", "import", path.to_str().unwrap(), "--on-conflict", "skip"]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // SAFETY: kill() sends a signal to our own child process; it touches no memory of ours.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let written = env.json(&["codes", "list", "--filter", "SIG-", "--limit", "1"])["total"].as_u64().unwrap();
        match output.status.code() {
            Some(130) => {
                assert!(stderr.contains("interrupted"), "{stderr}");
                assert_eq!(written, 0, "an interrupted import wrote nothing");
            }
            Some(0) => assert_eq!(written, 60_000, "a finished import wrote every row"),
            // Ended by the signal itself before it set up its handler: it had not begun writing.
            None => assert_eq!(written, 0),
            Some(other) => panic!("neither finished nor interrupted ({other}): {stderr}"),
        }
        if written == 60_000 {
            break;
        }
    }
}

/// A metrics server is stopped with Ctrl-C as its way to end: exit 0, not 130.
#[test]
fn ctrl_c_ends_a_metrics_server_with_success() {
    use std::io::BufRead;
    let env = Env::new();
    let mut child = env.spawn(&["metrics", "--listen", "127.0.0.1:0"]);
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("serving metrics"), "{line}");
    // The line is written just before the server waits for connections and Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(1000));
    // SAFETY: kill() sends a signal to our own child process; it touches no memory of ours.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
