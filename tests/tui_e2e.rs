//! The real `refcodes` binary in a pseudo-terminal: it opens the dashboard on a seeded SQLite database, filters,
//! creates a code through the form, quits, and leaves the terminal as it found it; the code is then in the
//! database.
//!
//! Every wait is for something on the screen (polled every 50 ms, with generous time limits, so a loaded machine
//! only makes it slower); nothing asserts how long a step took.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_refcodes");
const COLS: u16 = 100;
const ROWS: u16 = 30;
/// How long any one thing may take to show up. Far above what it needs, for a busy two-core machine.
const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);
const OPERATOR: &str = "e2e.admin@example.com";

/// A temporary home: the database, and HOME and XDG directories, so no user file or data of this machine is read.
struct Place {
    dir: tempfile::TempDir,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for sub in ["home", "config", "data", "cache", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("a directory in the temporary one");
        }
        Place { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.path("e2e.db").display())
    }

    /// The environment the binary runs in: nothing of the caller's but PATH; no REFCODES_* variable.
    fn env(&self) -> Vec<(String, String)> {
        let path = |name: &str| self.path(name).display().to_string();
        vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())),
            ("HOME".into(), path("home")),
            ("XDG_CONFIG_HOME".into(), path("config")),
            ("XDG_DATA_HOME".into(), path("data")),
            ("XDG_CACHE_HOME".into(), path("cache")),
            ("XDG_STATE_HOME".into(), path("state")),
            ("USER".into(), "e2e".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("TERM".into(), "xterm-256color".into()),
        ]
    }

    /// Runs a CLI command to its end; panics with its output unless it succeeds.
    fn cli(&self, args: &[&str]) -> String {
        let mut command = Command::new(BIN);
        command.env_clear().envs(self.env()).current_dir(self.dir.path());
        command.args(["--database-url", &self.database_url(), "--as", OPERATOR]).args(args);
        let output = command.output().expect("refcodes runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "refcodes {args:?} failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.cli(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("refcodes {args:?} printed no JSON ({e}):\n{out}"))
    }
}

/// What the pty has shown: the screen as a terminal would draw it, and every byte, for the escape sequences.
struct Seen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The reader hit the end: the program closed the terminal.
    closed: bool,
}

/// The dashboard running in a pseudo-terminal.
struct Dashboard {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    seen: Arc<Mutex<Seen>>,
    reader: Option<JoinHandle<()>>,
    _master: Box<dyn MasterPty + Send>,
}

impl Dashboard {
    fn open(place: &Place) -> Dashboard {
        let url = place.database_url();
        Dashboard::spawn(place, BIN, &["--database-url", &url, "--as", OPERATOR], &[])
    }

    /// Runs `program` in a new pseudo-terminal, in the place's environment with `env` added.
    fn spawn(place: &Place, program: &str, args: &[&str], env: &[(&str, &str)]) -> Dashboard {
        let pair = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(program);
        command.env_clear();
        for (key, value) in place.env() {
            command.env(key, value);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        command.cwd(place.dir.path());
        for arg in args {
            command.arg(arg);
        }
        let child = pair.slave.spawn_command(command).expect("refcodes starts in the pty");
        // Only the child holds the terminal's end now, so the reader sees the end when it exits.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("a reader on the pty");
        let writer = pair.master.take_writer().expect("a writer on the pty");
        let rows = NonZeroU16::new(ROWS).expect("rows");
        let cols = NonZeroU16::new(COLS).expect("cols");
        let seen =
            Arc::new(Mutex::new(Seen { parser: vt100::Parser::new(rows, cols, 0), raw: Vec::new(), closed: false }));
        let sink = Arc::clone(&seen);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    // Linux answers EIO once the last holder of the terminal's end is gone.
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut seen = sink.lock().unwrap_or_else(|e| e.into_inner());
                        seen.parser.process(&buf[..n]);
                        seen.raw.extend_from_slice(&buf[..n]);
                    }
                }
            }
            sink.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        });
        Dashboard { child, writer, seen, reader: Some(reader), _master: pair.master }
    }

    fn contents(&self) -> String {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).parser.screen().contents()
    }

    /// Whether the terminal shows its alternate screen (the dashboard's) rather than the shell's.
    fn on_alternate_screen(&self) -> bool {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).parser.screen().alternate_screen()
    }

    /// How often `text` occurs in everything shown so far.
    fn count(&self, text: &[u8]) -> usize {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).raw.windows(text.len()).filter(|w| *w == text).count()
    }

    fn raw(&self) -> Vec<u8> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).raw.clone()
    }

    /// Types bytes as a terminal would send them for keys.
    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("the pty takes input");
        self.writer.flush().expect("the pty takes input");
    }

    /// Waits until the screen shows what `ok` looks for, or fails with the screen and `what` was awaited.
    fn wait_for(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.contents();
            if ok(&screen) {
                return screen;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // One last look: the final frame may have come with the exit.
                let screen = self.contents();
                if ok(&screen) {
                    return screen;
                }
                panic!("refcodes exited ({status:?}) while waiting for {what}; the screen:\n{screen}");
            }
            if start.elapsed() > PATIENCE {
                panic!("waited {PATIENCE:?} for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the program to exit and its output to end.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the child's state") {
                break status;
            }
            if start.elapsed() > PATIENCE {
                let screen = self.contents();
                let _ = self.child.kill();
                panic!("refcodes did not exit within {PATIENCE:?} of quitting; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        };
        let start = Instant::now();
        while !self.seen.lock().unwrap_or_else(|e| e.into_inner()).closed && start.elapsed() < PATIENCE {
            std::thread::sleep(POLL);
        }
        if let Some(reader) = self.reader.take()
            && self.seen.lock().unwrap_or_else(|e| e.into_inner()).closed
        {
            reader.join().expect("the reader thread ends cleanly");
        }
        status
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        // A failed test must not leave the dashboard running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `Codes (N)` title of the table.
fn title(total: u64) -> String {
    format!("Codes ({total})")
}

/// The line of the status bar, where the mode and messages are.
fn status_line(screen: &str) -> &str {
    screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("")
}

#[test]
fn the_dashboard_filters_creates_a_code_and_quits_cleanly() {
    let place = Place::new();
    place.cli(&["init", "--owner", OPERATOR]);
    let demo = place.cli_json(&["demo", "--users", "50", "--codes", "200"]);
    assert_eq!(demo["codes"], 200, "demo output: {demo}");
    place.cli(&["users", "add", "e2e.friend@example.com"]);

    // A code deep in the list (among the oldest; the dashboard shows the newest first) and short enough for the
    // list to show whole at this width, and what its random part matches.
    let oldest = place.cli_json(&["codes", "list", "--sort", "created", "--limit", "50"]);
    let known = oldest["codes"]
        .as_array()
        .expect("codes in the list")
        .iter()
        .filter_map(|code| code["code"].as_str())
        .find(|code| code.len() <= 14 && code.contains('-'))
        .expect("a short campaign code among the oldest")
        .to_string();
    let part = known.rsplit('-').next().expect("a random part").to_string();
    let matching = place.cli_json(&["codes", "list", "--filter", &part, "--limit", "1"]);
    let narrowed = matching["total"].as_u64().expect("a total");
    assert!((1..200).contains(&narrowed), "{part} should match some codes, not all: {narrowed}");

    let mut app = Dashboard::open(&place);

    // It opens: the list is loaded, the cursor on its first row, the header has its figures.
    app.wait_for("the codes list", |s| {
        s.contains(&title(200)) && s.contains("row 1 of 200") && s.contains("system enabled")
    });

    // Filter: `/`, part of a known code; the list narrows as the filter is typed, and Enter keeps it.
    app.send(b"/");
    app.wait_for("the filter mode", |s| status_line(s).contains("FILTER"));
    app.send(part.as_bytes());
    let screen =
        app.wait_for("the list to narrow to the filter", |s| s.contains(&title(narrowed)) && s.contains(&known));
    assert!(!screen.contains(&title(200)));
    app.send(b"\r");
    app.wait_for("the list mode with the filter kept", |s| {
        status_line(s).contains("LIST") && s.contains(&format!("Filter: {part}")) && s.contains(&title(narrowed))
    });

    // Esc clears the filter: the whole list again, the new code will show at its top.
    app.send(b"\x1b");
    app.wait_for("the whole list again", |s| s.contains(&title(200)) && s.contains("(/ to filter)"));

    // Create a code through the form.
    app.send(b"n");
    app.wait_for("the new code form", |s| s.contains("New code") && status_line(s).contains("FORM"));
    app.send(b"E2E-CODE-1");
    app.wait_for("the code typed", |s| s.contains("E2E-CODE-1"));
    app.send(b"\t");
    app.send(b"Made by the e2e test");
    app.wait_for("the description typed", |s| s.contains("Made by the e2e test"));
    app.send(b"\t");
    // Ctrl-u clears the default max uses; then the new value.
    app.send(b"\x15");
    app.send(b"42");
    app.wait_for("the max uses typed", |s| {
        s.lines().any(|l| l.contains("Max uses") && l.contains("42") && !l.contains("100"))
    });
    app.send(b"\x13");
    app.wait_for("the code created", |s| {
        !s.contains("New code")
            && (s.contains("Created code E2E-CODE-1")
                || s.lines().any(|l| l.contains("E2E-CODE-1") && l.contains("Made by")))
    });
    app.wait_for("the new row in the list", |s| s.contains(&title(201)) && s.contains("E2E-CODE-1"));

    // Quit: the process ends well and gives the terminal back.
    app.send(b"q");
    let status = app.wait_exit();
    assert!(status.success(), "refcodes exited with {status:?}; the screen:\n{}", app.contents());
    let raw = app.raw();
    let leave = b"\x1b[?1049l";
    let left_at = raw.windows(leave.len()).rposition(|w| w == leave);
    assert!(left_at.is_some(), "the output never left the alternate screen");
    let enter = b"\x1b[?1049h";
    let entered_at = raw.windows(enter.len()).position(|w| w == enter);
    assert!(entered_at < left_at, "the alternate screen is left after it was entered");

    // The code is in the database, as typed.
    let shown = place.cli_json(&["codes", "show", "E2E-CODE-1"]);
    let code = &shown["code"];
    assert_eq!(code["code"], "E2E-CODE-1", "{shown}");
    assert_eq!(code["description"], "Made by the e2e test", "{shown}");
    assert_eq!(code["max_uses"], 42, "{shown}");
    assert_eq!(code["status"], true, "{shown}");
    assert_eq!(code["created_by_email"], OPERATOR, "{shown}");
}

/// The frames sent, each synchronized update's bytes.
fn frames(raw: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"\x1b[?2026h";
    const END: &[u8] = b"\x1b[?2026l";
    let mut frames = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.windows(BEGIN.len()).position(|w| w == BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let Some(len) = body.windows(END.len()).position(|w| w == END) else { break };
        frames.push(&body[..len]);
        rest = &body[len + END.len()..];
    }
    frames
}

#[test]
fn an_idle_dashboard_sends_no_frame_that_changes_nothing() {
    let place = Place::new();
    place.cli(&["init", "--owner", OPERATOR]);
    place.cli(&["codes", "create", "--code", "IDLE-1", "--description", "Idle"]);
    let mut app = Dashboard::open(&place);
    app.wait_for("the list", |s| s.contains(&title(1)));
    // Idle for a few ticks (four a second): only the header's "updated Ns ago" changes, once a second.
    std::thread::sleep(Duration::from_secs(3));
    let raw = app.raw();
    let frames = frames(&raw);
    assert!(frames.len() >= 2, "the first frames were sent: {}", frames.len());
    // A frame whose bytes repeat the one before draws nothing new (ratatui writes a cursor command and colour
    // resets even when no cell changed): it must not be sent.
    let repeats = frames.windows(2).filter(|pair| pair[0] == pair[1]).count();
    assert_eq!(repeats, 0, "of {} frames, {repeats} repeated the one before", frames.len());
    app.send(b"q");
    assert!(app.wait_exit().success());
}

/// On-call's first question, asked in the dashboard: who changed this code, and when? Changes made with the CLI
/// show on the History screen, its filter narrows them, and a code's details list its own events.
#[test]
fn the_history_screen_answers_who_changed_a_code() {
    let place = Place::new();
    place.cli(&["init", "--owner", OPERATOR]);
    place.cli(&["codes", "create", "--code", "SPRING-E2E", "--description", "Spring"]);
    place.cli(&["codes", "create", "--code", "OTHER-E2E", "--description", "Other"]);
    place.cli(&["codes", "update", "SPRING-E2E", "--description", "Spring sale"]);
    place.cli(&["codes", "update", "SPRING-E2E", "--inactive"]);

    let mut app = Dashboard::open(&place);
    app.wait_for("the codes list", |s| s.contains(&title(2)));
    app.send(b"4");
    let screen = app.wait_for("the history", |s| s.contains("History (4)") && status_line(s).contains("HISTORY"));
    let events: Vec<&str> = screen.lines().filter(|l| l.contains(OPERATOR)).collect();
    assert!(events[0].contains("status_changed") && events[0].contains("SPRING-E2E"), "newest first:\n{screen}");
    assert!(screen.contains("description: Spring → Spring sale"), "{screen}");
    assert!(screen.contains("via cli"), "{screen}");

    // The filter narrows them to one code's creation.
    app.send(b"/");
    app.send(b"SPRING-E2E action:created");
    app.send(b"\r");
    let screen =
        app.wait_for("the filtered history", |s| s.contains("History (1)") && status_line(s).contains("HISTORY"));
    assert!(screen.contains("created") && !screen.contains("OTHER-E2E"), "{screen}");

    // Enter opens the code; `h` shows its history there.
    app.send(b"\r");
    app.wait_for("the code's details", |s| s.contains("Spring sale") && s.contains("Usage records"));
    app.send(b"h");
    let screen = app.wait_for("the code's history", |s| s.contains("History: 3 events"));
    assert!(screen.contains("status_changed by") && screen.contains("created by"), "{screen}");

    // `q` closes the details (a lone Esc followed at once by `q` would read as Alt-q), then quits.
    app.send(b"q");
    app.wait_for("the history screen again", |s| status_line(s).contains("HISTORY"));
    app.send(b"q");
    let status = app.wait_exit();
    assert!(status.success(), "refcodes exited with {status:?}; the screen:\n{}", app.contents());
}

/// Whether `text` holds a cursor position report (`ESC [ row ; col R`, or what is left of it once the shell ate the
/// escape: `;1R`).
fn has_position_report(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| {
        bytes[i] == b';' && {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            digits > 0 && bytes.get(i + 1 + digits) == Some(&b'R')
        }
    })
}

/// Ctrl-Z and `fg` twenty times under a shell with job control, as an admin does over SSH: each time the shell gets
/// its screen back and says the job stopped, and after `fg` the dashboard draws again and answers keys. It never
/// asks the terminal for the cursor's position (the pty answers no such question, so a dashboard that asked would
/// wait, fail and crash), and no `;1R` is left on either screen.
#[test]
fn ctrl_z_and_fg_twenty_times() {
    let place = Place::new();
    place.cli(&["init", "--owner", OPERATOR]);
    place.cli_json(&["demo", "--users", "5", "--codes", "30"]);
    let mut shell = Dashboard::spawn(&place, "bash", &["--norc", "--noprofile", "-i"], &[("PS1", "shell$ ")]);
    shell.wait_for("the shell's prompt", |s| s.contains("shell$"));
    let command = format!("{BIN} --database-url {} --as {OPERATOR}\r", place.database_url());
    shell.send(command.as_bytes());
    shell.wait_for("the codes list", |s| s.contains(&title(30)) && s.contains("row 1 of 30"));

    for round in 1..=20 {
        shell.send(b"\x1a");
        // The shell says so once a round (counted in all output: its screen scrolls) and prompts again.
        let start = Instant::now();
        while shell.count(b"Stopped") < round || shell.count(b"shell$ ") < round + 1 || shell.on_alternate_screen() {
            let screen = shell.contents();
            assert!(start.elapsed() < PATIENCE, "round {round}: the job did not stop; the screen:\n{screen}");
            std::thread::sleep(POLL);
        }
        shell.send(b"fg\r");
        // Down on odd rounds, up on even ones: the cursor row says the keys arrive.
        let (key, row) = if round % 2 == 1 { (b"j", "row 2 of 30") } else { (b"k", "row 1 of 30") };
        let before = if round % 2 == 1 { "row 1 of 30" } else { "row 2 of 30" };
        shell.wait_for("the dashboard drawn again", |s| s.contains(&title(30)) && s.contains(before));
        shell.send(key);
        let screen = shell.wait_for("the dashboard to answer a key", |s| s.contains(row));
        assert!(!has_position_report(&screen), "round {round}: a position report on the dashboard:\n{screen}");
    }

    shell.send(b"q");
    shell.wait_for("the shell again", |s| s.contains("shell$") && !s.contains(&title(30)));
    shell.send(b"echo \"exit=$?\"\r");
    let screen = shell.wait_for("the dashboard's exit status", |s| s.lines().any(|l| l.starts_with("exit=")));
    assert!(screen.lines().any(|l| l == "exit=0"), "the dashboard exited with an error:\n{screen}");
    assert!(!has_position_report(&screen), "a position report was left in the shell:\n{screen}");
    assert!(!screen.contains("cursor position"), "the dashboard failed:\n{screen}");
    let raw = shell.raw();
    let ask = b"\x1b[6n";
    assert!(!raw.windows(ask.len()).any(|w| w == ask), "the dashboard asked the terminal for the cursor's position");
    shell.send(b"exit\r");
    shell.wait_exit();
}

/// TERM=dumb, or no terminal at all: the dashboard refuses, points to the command line, exits 2, and opens no
/// database (none is made).
#[test]
fn no_dashboard_without_a_terminal_that_draws() {
    let place = Place::new();
    let url = place.database_url();

    let mut dumb = Dashboard::spawn(&place, BIN, &["--database-url", &url, "--as", OPERATOR], &[("TERM", "dumb")]);
    let status = dumb.wait_exit();
    let screen = dumb.contents();
    assert_eq!(status.exit_code(), 2, "{screen}");
    assert!(screen.contains("TERM=dumb") && screen.contains("refcodes codes list"), "{screen}");
    assert!(!dumb.raw().windows(8).any(|w| w == b"\x1b[?1049h"), "it never took the screen");

    let output = Command::new(BIN)
        .env_clear()
        .envs(place.env())
        .current_dir(place.dir.path())
        .args(["--database-url", &url, "--as", OPERATOR])
        .output()
        .expect("refcodes runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a terminal") && stderr.contains("refcodes codes list"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(!place.path("e2e.db").exists(), "no database was made");
}

/// The terminal goes away while the dashboard runs (an SSH connection drops, a tmux pane or terminal window
/// closes): the dashboard ends, whether the hangup signal reaches it or not. Before, its input reader was left retrying a read on the dead terminal at full speed, and the dashboard
/// waited for it forever on a whole core.
#[test]
fn the_dashboard_ends_when_its_terminal_goes_away() {
    let place = Place::new();
    place.cli(&["init", "--owner", OPERATOR]);
    let url = place.database_url();
    let direct = [BIN, "--database-url", &url, "--as", OPERATOR];
    // In a session of its own (as a process manager or `setsid` starts it), under a shell that ignores the
    // hangup: no hangup signal reaches the dashboard, only its terminal's end.
    let shielded =
        ["sh", "-c", "trap '' HUP; setsid -w \"$0\" \"$@\"; :", BIN, "--database-url", &url, "--as", OPERATOR];
    // As tmux closes a pane: the hangup signal first, the terminal's end a moment later, while the dashboard ends.
    for (argv, signal_first) in [(&direct[..], false), (&shielded[..], false), (&direct[..], true)] {
        let ended = hang_up_after_the_first_frame(&place, argv, signal_first);
        assert!(
            ended,
            "{argv:?} (signalled first: {signal_first}) still ran {PATIENCE:?} after its terminal went away"
        );
    }
}

/// Runs `argv` in a pseudo-terminal until the (empty) codes list shows, closes every handle on the terminal's
/// other end (after sending the program the hangup signal, if `signal_first`), and says whether the program then
/// ended (else kills its process group).
fn hang_up_after_the_first_frame(place: &Place, argv: &[&str], signal_first: bool) -> bool {
    let pair = native_pty_system()
        .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
        .expect("a pseudo-terminal");
    let mut command = CommandBuilder::new(argv[0]);
    command.env_clear();
    for (key, value) in place.env() {
        command.env(key, value);
    }
    command.cwd(place.dir.path());
    command.args(&argv[1..]);
    let mut child = pair.slave.spawn_command(command).expect("the program starts in the pty");
    drop(pair.slave);
    // Read without blocking, on this thread: a reader thread blocked in a read would keep the terminal open.
    let fd = pair.master.as_raw_fd().expect("a pty of this system");
    // SAFETY: flags of the pty's own descriptor, read then set.
    unsafe { libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK) };
    let mut reader = pair.master.try_clone_reader().expect("a reader on the pty");
    let (mut shown, mut buf, start) = (Vec::new(), [0u8; 8192], Instant::now());
    while !String::from_utf8_lossy(&shown).contains("No codes yet") {
        match reader.read(&mut buf) {
            Ok(n) if n > 0 => shown.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL),
            other => panic!("the pty closed before the first frame ({other:?}): {}", String::from_utf8_lossy(&shown)),
        }
        assert!(start.elapsed() < PATIENCE, "no first frame: {}", String::from_utf8_lossy(&shown));
    }
    if let (true, Some(pid)) = (signal_first, child.process_id()) {
        // SAFETY: a signal to the test's own child.
        unsafe { libc::kill(pid as i32, libc::SIGHUP) };
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(reader);
    drop(pair.master);
    let start = Instant::now();
    while start.elapsed() < PATIENCE {
        if child.try_wait().expect("the child's state").is_some() {
            return true;
        }
        std::thread::sleep(POLL);
    }
    // The child leads its own session and process group: the dashboard under the shell goes too.
    if let Some(pid) = child.process_id() {
        // SAFETY: a signal to the test's own child's process group.
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
    }
    let _ = child.wait();
    false
}
