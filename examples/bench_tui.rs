//! The dashboard over a big SQLite database, through its real update, effects and view path on a `TestBackend`.
//!
//! ```text
//! cargo run --release --example bench_tui -- --codes 1000000 [--db PATH]
//! cargo run --release --example bench_tui -- --database-url postgres://... [--schema auth] --operator EMAIL
//! ```
//!
//! Without `--db` the database lives in a temporary directory; with it, an existing file is reused (seeded once,
//! by an earlier run). `--database-url` runs on a database that is there already, such as an attached PhoenixKit
//! database seeded by `bench/phoenixkit.sh`; nothing is seeded then. Seeding and migrating run in a child process, so the peak memory printed is the
//! dashboard's alone. Prints on stdout, one a line: `first_frame_ms=`, `move_p50_ms=`, `move_p99_ms=`,
//! `filter_ms=`, `filter_count_shown_ms=`, `field_filter_ms=`, `stats_switch_first_ms=`, `stats_switch_ms=`, `sort_last_used_ms=`,
//! `sort_window_uses_ms=`, `peak_rss_mb=`; details go to stderr.

use clap::Parser;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use refcodes::Service;
use refcodes::config::{Config, Sources};
use refcodes::domain::{CodeFilter, SortField};
use refcodes::service::DemoInput;
use refcodes::tui::model::{Model, PAGE_SIZE, StatsWindow};
use refcodes::tui::msg::Msg;
use refcodes::tui::{self, App};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
const OPERATOR: &str = "bench@example.com";
/// The gap between two keys of the move script, as a held key repeats (about 30 a second): answers that come
/// in it are handled untimed, as the real loop would between keys.
const KEY_GAP: Duration = Duration::from_millis(33);
/// How long the benchmark waits for an answer before it reports what it was waiting for.
const STUCK: Duration = Duration::from_secs(60);
/// The benchmark's configuration over the defaults: no filter debounce, so a keystroke goes straight to the
/// database (the wait the debounce adds is a setting, not work).
const BENCH_CONFIG: &str = "[dashboard]\nfilter_debounce_ms = 0\n";

#[derive(Debug, Parser)]
struct Args {
    /// Codes in the database
    #[arg(long, default_value_t = 1_000_000)]
    codes: usize,
    /// Users in the database (creators, beneficiaries and users of codes)
    #[arg(long, default_value_t = 5000)]
    users: usize,
    /// Days the demo data spreads over
    #[arg(long, default_value_t = 90)]
    days: i64,
    /// A SQLite file to use, seeded first if it does not exist
    #[arg(long)]
    db: Option<PathBuf>,
    /// A database to use as it is (no seeding), instead of a SQLite file
    #[arg(long, conflicts_with = "db")]
    database_url: Option<String>,
    /// Its PostgreSQL schema
    #[arg(long)]
    schema: Option<String>,
    /// Who the dashboard acts as (on a PhoenixKit database: one of its Owners or Admins)
    #[arg(long, default_value = OPERATOR)]
    operator: String,
    /// Rounds of the move script
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Only create, migrate and seed the database, then exit (the benchmark runs this in a child process)
    #[arg(long, hide = true)]
    prepare: bool,
}

fn main() {
    let args = Args::parse();
    // As the binary sets malloc for its dashboard, so the peak memory is the dashboard's.
    tui::keep_memory_low();
    let temp = tempfile::tempdir().expect("a temporary directory");
    let config_path = temp.path().join("bench.toml");
    std::fs::write(&config_path, BENCH_CONFIG).expect("the bench config is written");
    let sources = Sources { file: Some(config_path), ..Sources::default() };
    let mut config = Config::load(&sources).expect("the bench config loads");
    if let Some(schema) = &args.schema {
        config.database.schema = schema.clone();
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    if args.prepare {
        let db = args.db.clone().expect("--prepare needs --db");
        runtime.block_on(prepare(&args, &config, &url(&db)));
        return;
    }
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            let db = args.db.clone().unwrap_or_else(|| temp.path().join("bench.db"));
            run_prepare(&args, &db);
            url(&db)
        }
    };
    runtime.block_on(bench(&args, &config, &url));
}

fn url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

async fn open(args: &Args, config: &Config, url: &str) -> Service {
    let service = Service::from_config(config, url, false).await.expect("the database opens");
    let signed = service.sign_in_or_make_first_owner(&args.operator).await.expect("the operator signs in");
    eprintln!("bench: {} as {}", service.attached(), args.operator);
    service.with_operator(signed.operator)
}

/// Runs this program with `--prepare` and waits for it.
fn run_prepare(args: &Args, db: &Path) {
    let exe = std::env::current_exe().expect("the path of this program");
    let status = std::process::Command::new(exe)
        .args(["--prepare", "--db"])
        .arg(db)
        .args(["--codes", &args.codes.to_string(), "--users", &args.users.to_string()])
        .args(["--days", &args.days.to_string()])
        .status()
        .expect("the prepare step runs");
    assert!(status.success(), "the prepare step failed: {status}");
}

/// Opens (and so migrates) the database, and seeds it through the service when it has no codes.
async fn prepare(args: &Args, config: &Config, url: &str) {
    let started = Instant::now();
    let service = open(args, config, url).await;
    eprintln!("bench: opened and migrated {url} in {:.1} s", started.elapsed().as_secs_f64());
    let have = service.get_system_stats().await.expect("stats").total_codes;
    if have == 0 {
        let started = Instant::now();
        let input = DemoInput { users: args.users, codes: args.codes, days: args.days };
        let outcome = service.demo(&input).await.expect("the demo data is written");
        eprintln!(
            "bench: seeded {} users, {} codes, {} usage records in {:.1} s",
            outcome.users,
            outcome.codes,
            outcome.usage_records,
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!("bench: reusing {url} with {have} codes");
    }
    service.close().await;
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Whether every row of the window is loaded (the rows a frame would show).
fn window_loaded(model: &Model) -> bool {
    let list = &model.list;
    if list.total == Some(0) {
        return true;
    }
    let height = model.visible_rows();
    let end = list.total.map_or(list.offset + height, |t| (list.offset + height).min(t.max(0) as u64));
    let (first, last) = (list.offset / PAGE_SIZE, end.saturating_sub(1).max(list.offset) / PAGE_SIZE);
    (first..=last).all(|p| list.pages.contains_key(&p))
}

/// Whether the typed filter is the one the list shows rows for (text that doesn't parse asks for nothing: a field
/// typed up to its colon).
fn filter_applied(model: &Model) -> bool {
    match CodeFilter::parse(model.list.filter_input.value()) {
        Ok(typed) => model.list.applied_filter == typed,
        Err(_) => model.list.filter_error.is_some(),
    }
}

type Bench = App<TestBackend>;

/// Handles answers until `done` holds.
async fn until(app: &mut Bench, done: impl Fn(&Model) -> bool) {
    while !done(&app.model) {
        if let Some(error) = &app.model.list.error {
            panic!("the list failed to load: {error}");
        }
        match tokio::time::timeout(STUCK, app.next_answer()).await {
            Ok(Some(msg)) => app.handle(msg),
            Ok(None) => panic!("the effects runner stopped"),
            Err(_) => {
                let list = &app.model.list;
                panic!(
                    "no answer for {STUCK:?}: filter {:?} (applied {:?}), total {:?}, cursor {}, offset {}, pages {:?}, \
                     requested {:?}, in flight {}",
                    list.filter_input.value(),
                    list.applied_filter,
                    list.total,
                    list.cursor,
                    list.offset,
                    list.pages.keys().collect::<Vec<_>>(),
                    list.requested,
                    app.model.in_flight
                )
            }
        }
        app.drain();
    }
}

/// Handles answers for at most `gap`, untimed (what arrives between two keys).
async fn idle(app: &mut Bench, gap: Duration) {
    let deadline = tokio::time::Instant::now() + gap;
    while app.model.in_flight > 0 {
        match tokio::time::timeout_at(deadline, app.next_answer()).await {
            Ok(Some(msg)) => {
                app.handle(msg);
                app.drain();
            }
            Ok(None) | Err(_) => break,
        }
    }
    if app.is_dirty() {
        app.draw().expect("TestBackend draws");
    }
}

/// One key, from its event to the frame that shows its rows.
async fn press(app: &mut Bench, key: KeyEvent) -> Duration {
    let started = Instant::now();
    app.handle(Msg::Key(key));
    until(app, |m| window_loaded(m) && filter_applied(m)).await;
    app.draw().expect("TestBackend draws");
    started.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The peak resident memory so far, to tell which part of the run raised it (printed after each).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

async fn bench(args: &Args, config: &Config, url: &str) {
    let service = open(args, config, url).await;
    // As `tui::run` does.
    service.keep_memory_low().await.expect("the page caches are capped");
    let model = tui::initial_model(&service, &config.dashboard, (WIDTH, HEIGHT), false);
    let terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a TestBackend terminal");
    let mut app = App::new(terminal, model, service.clone());

    // First frame: from start to the first frame that shows the window's rows.
    let started = Instant::now();
    app.start();
    until(&mut app, window_loaded).await;
    app.draw().expect("TestBackend draws");
    let first_frame = started.elapsed();
    until(&mut app, |m| m.list.total.is_some()).await;
    app.draw().expect("TestBackend draws");
    let first_total = started.elapsed();
    eprintln!("bench: peak RSS after the first frame: {:.1} MB", peak_rss_mb());
    until(&mut app, |m| m.in_flight == 0).await;
    let total = app.model.list.total.unwrap_or(0);
    eprintln!(
        "bench: {total} codes; first frame with rows {:.1} ms, with the count {:.1} ms, all first answers {:.1} ms",
        ms(first_frame),
        ms(first_total),
        ms(started.elapsed())
    );

    // Moves: a script of keys, repeated; each sample is one key from its event to its frame.
    let round: Vec<(&str, KeyEvent, usize)> = vec![
        ("j", key(KeyCode::Char('j')), 20),
        ("k", key(KeyCode::Char('k')), 10),
        ("PgDn", key(KeyCode::PageDown), 10),
        ("PgUp", key(KeyCode::PageUp), 5),
        ("Ctrl-d", ctrl('d'), 10),
        ("G", key(KeyCode::Char('G')), 1),
        ("k", key(KeyCode::Char('k')), 5),
        ("PgUp", key(KeyCode::PageUp), 5),
        ("g", key(KeyCode::Char('g')), 1),
    ];
    let mut samples: Vec<(&str, f64)> = Vec::new();
    for _ in 0..args.rounds {
        for (name, event, times) in &round {
            for _ in 0..*times {
                let took = press(&mut app, *event).await;
                samples.push((name, ms(took)));
                idle(&mut app, KEY_GAP).await;
            }
        }
    }
    eprintln!("bench: peak RSS after moves: {:.1} MB", peak_rss_mb());
    let mut moves: Vec<f64> = samples.iter().map(|(_, t)| *t).collect();
    moves.sort_by(f64::total_cmp);
    let mut names: Vec<&str> = samples.iter().map(|(n, _)| *n).collect();
    names.sort();
    names.dedup();
    for name in names {
        let mut these: Vec<f64> = samples.iter().filter(|(n, _)| *n == name).map(|(_, t)| *t).collect();
        these.sort_by(f64::total_cmp);
        eprintln!(
            "bench: {name:>6}: {} samples, p50 {:.2} ms, max {:.2} ms",
            these.len(),
            percentile(&these, 50.0),
            these[these.len() - 1]
        );
    }

    // Sorts by use: `s` to each, then its other end (G), back (g), reversed (S) and back; for the window uses each
    // window too (w). Each sample runs from the key to the frame with the rows (the count is the filter's, known).
    until(&mut app, |m| m.in_flight == 0).await;
    let mut by_use: Vec<(String, f64)> = Vec::new();
    for sort in [SortField::LastUsed, SortField::WindowUses] {
        let mut keys = vec![key(KeyCode::Char('s'))];
        keys.extend([key(KeyCode::Char('G')), key(KeyCode::Char('g')), key(KeyCode::Char('S'))]);
        keys.extend([key(KeyCode::Char('G')), key(KeyCode::Char('g')), key(KeyCode::Char('S'))]);
        if sort == SortField::WindowUses {
            keys.extend([key(KeyCode::Char('w')); 3]);
        }
        while app.model.list.sort.next() != sort {
            press(&mut app, key(KeyCode::Char('s'))).await;
            until(&mut app, |m| m.in_flight == 0).await;
        }
        for event in keys {
            let took = press(&mut app, event).await;
            let list = &app.model.list;
            let name = format!(
                "{} {} {}{}",
                sort.label(),
                list.window.label(),
                if list.descending { "desc" } else { "asc" },
                if list.cursor > 0 { " end" } else { "" }
            );
            eprintln!("bench: sort {name:<24} ({}): {:.1} ms", event.code, ms(took));
            by_use.push((name, ms(took)));
            until(&mut app, |m| m.in_flight == 0).await;
        }
    }
    while app.model.list.sort != SortField::Created {
        press(&mut app, key(KeyCode::Char('s'))).await;
        until(&mut app, |m| m.in_flight == 0).await;
    }
    eprintln!("bench: peak RSS after sorts by use: {:.1} MB", peak_rss_mb());
    let worst = |label: &str| by_use.iter().filter(|(n, _)| n.starts_with(label)).map(|(_, t)| *t).fold(0.0, f64::max);
    let (last_used_worst, window_uses_worst) = (worst("last-used"), worst("window-uses"));

    // Filter: type part of a real code, one keystroke at a time on a quiet dashboard; each sample runs from the
    // keystroke to the frame with the filtered rows (the count may come later).
    until(&mut app, |m| m.in_flight == 0).await;
    let code = app.model.list.row(app.model.list.cursor).map(|r| r.code.code.clone()).expect("a row under the cursor");
    let text: String = code.rsplit('-').next().unwrap_or(&code).to_string();
    press(&mut app, key(KeyCode::Char('/'))).await;
    let mut filters = Vec::new();
    let mut count_shown: f64 = 0.0;
    for c in text.chars() {
        let started = Instant::now();
        let took = press(&mut app, key(KeyCode::Char(c))).await;
        // A common text's count comes as an estimate first (see `Service::count_quickly`).
        until(&mut app, |m| m.list.total.is_some() || m.list.estimate.is_some()).await;
        let (shown, about) = (started.elapsed(), app.model.list.estimate);
        until(&mut app, |m| m.list.total.is_some()).await;
        let counted = started.elapsed();
        until(&mut app, |m| m.in_flight == 0).await;
        let estimate = about.map_or(String::new(), |n| format!(", first about {n}"));
        eprintln!(
            "bench: filter {:?}: rows drawn {:.1} ms, count shown {:.1} ms, exact {:.1} ms ({} match{estimate})",
            app.model.list.filter_input.value(),
            ms(took),
            ms(shown),
            ms(counted),
            app.model.list.total.unwrap_or(0)
        );
        filters.push(ms(took));
        count_shown = count_shown.max(ms(shown));
    }
    eprintln!("bench: peak RSS after the text filter: {:.1} MB", peak_rss_mb());
    let filter_worst = filters.iter().copied().fold(0.0, f64::max);

    // Field filters: each typed whole, from an empty filter; the last keystroke is timed to the frame with the
    // filtered rows. Those before it run untimed, each answered before the next: with the debounce at 0, keys
    // sent at once would run every prefix's rows and count side by side, a load no typist makes through the
    // dashboard's debounce (it took the peak RSS from 42 to 121 MB at a million codes).
    let queries = [
        format!("code:{text}"),
        "desc:a uses:>0".to_string(),
        "uses:>=3".to_string(),
        "status:active expires:<7d".to_string(),
        "used:<24h".to_string(),
        "limit:>=90%".to_string(),
    ];
    let mut fields = Vec::new();
    for query in &queries {
        press(&mut app, key(KeyCode::Esc)).await;
        until(&mut app, |m| m.in_flight == 0).await;
        press(&mut app, key(KeyCode::Char('/'))).await;
        let (last, typed) = query.char_indices().last().map(|(i, c)| (c, &query[..i])).expect("a query");
        for c in typed.chars() {
            press(&mut app, key(KeyCode::Char(c))).await;
            until(&mut app, |m| m.in_flight == 0).await;
        }
        until(&mut app, |m| m.in_flight == 0).await;
        let took = press(&mut app, key(KeyCode::Char(last))).await;
        until(&mut app, |m| m.in_flight == 0).await;
        eprintln!(
            "bench: field filter {query:?}: rows drawn {:.1} ms ({} match)",
            ms(took),
            app.model.list.total.unwrap_or(0)
        );
        fields.push(ms(took));
    }
    eprintln!("bench: peak RSS after field filters: {:.1} MB", peak_rss_mb());
    let field_worst = fields.iter().copied().fold(0.0, f64::max);

    // Stats window switch: the stats screen, then `w` through every window, twice; each sample runs from the key
    // to the frame with that window's figures. A writable dashboard sums a window's closed days the first time
    // it is asked for (see `Service::window_stats`), so the first round says what that costs once a day.
    press(&mut app, key(KeyCode::Esc)).await;
    until(&mut app, |m| m.in_flight == 0).await;
    let stats_shown = |m: &Model| m.stats.data.as_ref().is_some_and(|d| d.window == m.stats.window);
    app.handle(Msg::Key(key(KeyCode::Char('2'))));
    until(&mut app, |m| stats_shown(m) && m.in_flight == 0).await;
    let mut switches = [Vec::new(), Vec::new()];
    for round in &mut switches {
        for _ in StatsWindow::ALL {
            let started = Instant::now();
            app.handle(Msg::Key(key(KeyCode::Char('w'))));
            until(&mut app, stats_shown).await;
            app.draw().expect("TestBackend draws");
            let took = ms(started.elapsed());
            until(&mut app, |m| m.in_flight == 0).await;
            eprintln!(
                "bench: stats window {}: {took:.1} ms (peak RSS {:.1} MB)",
                app.model.stats.window.label(),
                peak_rss_mb()
            );
            round.push(took);
        }
    }
    eprintln!("bench: peak RSS after stats windows: {:.1} MB", peak_rss_mb());
    let [first_switch, switch] = switches.map(|r| r.iter().copied().fold(0.0, f64::max));
    service.close().await;

    println!("first_frame_ms={:.1}", ms(first_frame));
    println!("move_p50_ms={:.2}", percentile(&moves, 50.0));
    println!("move_p99_ms={:.2}", percentile(&moves, 99.0));
    println!("filter_ms={filter_worst:.1}");
    println!("filter_count_shown_ms={count_shown:.1}");
    println!("field_filter_ms={field_worst:.1}");
    println!("stats_switch_first_ms={first_switch:.1}");
    println!("stats_switch_ms={switch:.1}");
    println!("sort_last_used_ms={last_used_worst:.1}");
    println!("sort_window_uses_ms={window_uses_worst:.1}");
    println!("peak_rss_mb={:.1}", peak_rss_mb());
}
