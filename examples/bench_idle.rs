//! The dashboard at rest: what a dashboard left open costs while nobody touches it and nobody writes. Each screen
//! (the codes list, the list filtered, Stats, History) is opened, loaded, then left running on a real clock for
//! `--seconds`, through the real update, effects and view path on a `TestBackend` (ticks every
//! `tui::TICK`, frames drawn when dirty). Prints, per idle minute, the CPU time of this process (the dashboard)
//! and, on a PostgreSQL server on this machine, of every server process (exited backends included, through the
//! postmaster's children's times) minus what the server spent in a first stretch of the same length with the
//! dashboard open but not running (the baseline).
//!
//! ```text
//! cargo run --release --example bench_idle -- --database-url sqlite:///tmp/bench.db
//! cargo run --release --example bench_idle -- --database-url postgres://postgres@127.0.0.1:5432/DB --seconds 60
//! ```
//!
//! Seed the database first, such as with `bench_tui --db PATH --codes 1000000` or `refcodes demo`.

use clap::Parser;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use refcodes::Service;
use refcodes::config::Config;
use refcodes::tui::{self, App};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// sqlite://PATH or postgres://USER@HOST/DB, seeded already.
    #[arg(long)]
    database_url: String,
    /// Its PostgreSQL schema.
    #[arg(long)]
    schema: Option<String>,
    /// Who the dashboard acts as (on a PhoenixKit database: one of its Owners or Admins).
    #[arg(long, default_value = "bench@example.com")]
    operator: String,
    /// How long each screen is left open.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Only this screen (codes, codes_filtered, stats, history); all by default.
    #[arg(long)]
    only: Option<String>,
}

type Bench = App<TestBackend>;

/// CPU seconds (user and system) of `/proc/PID/stat`, with its waited-for children's when `children`.
fn cpu_of(stat: &str, children: bool) -> Option<f64> {
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime, stime, cutime, cstime are fields 14 to 17 of the line, 12 to 15 after the name.
    let ticks: Vec<f64> = fields.get(11..15)?.iter().filter_map(|f| f.parse().ok()).collect();
    let sum = if children { ticks.iter().sum::<f64>() } else { ticks[0] + ticks[1] };
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(sum / hz)
}

fn own_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat").ok().and_then(|s| cpu_of(&s, false)).unwrap_or(0.0)
}

/// Every `postgres` process's CPU seconds with its children's (the postmaster's children are the backends that
/// exited).
fn server_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .filter_map(|stat| cpu_of(&stat, true))
        .sum()
}

/// Handles answers until nothing is under way.
async fn settle(app: &mut Bench) {
    while app.model.in_flight > 0 {
        match tokio::time::timeout(Duration::from_secs(120), app.next_answer()).await {
            Ok(Some(msg)) => app.handle(msg),
            _ => panic!("no answer within 120 s"),
        }
        app.drain();
    }
    app.draw().expect("TestBackend draws");
}

/// Runs the dashboard as the terminal's loop does, without keys, for `length`.
async fn run_idle(app: &mut Bench, length: Duration) {
    let deadline = tokio::time::Instant::now() + length;
    let mut tick = tokio::time::interval(tui::TICK);
    loop {
        tokio::select! {
            Some(msg) = app.next_answer() => app.handle(msg),
            _ = tick.tick() => app.tick(),
            _ = tokio::time::sleep_until(deadline) => break,
        }
        app.drain();
        if app.is_dirty() {
            app.draw().expect("TestBackend draws");
        }
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut config = Config::defaults();
    if let Some(schema) = &args.schema {
        config.database.schema = schema.clone();
    }
    let service = Service::from_config(&config, &args.database_url, false).await.expect("the database opens");
    let signed = service.sign_in_or_make_first_owner(&args.operator).await.expect("the operator signs in");
    let service = service.with_operator(signed.operator);
    let model = tui::initial_model(&service, &config.dashboard, (160, 48), false);
    let terminal = Terminal::new(TestBackend::new(160, 48)).expect("a TestBackend terminal");
    let mut app = App::new(terminal, model, service.clone());
    app.start();
    settle(&mut app).await;
    let total = app.model.list.total.unwrap_or(0);
    println!("database={} codes={total} seconds={}", service.attached(), args.seconds);
    let postgres = args.database_url.starts_with("postgres");
    let length = Duration::from_secs(args.seconds);
    let per_minute = |cpu: f64| cpu * 60.0 / length.as_secs_f64();

    let baseline = if postgres {
        let before = server_cpu();
        tokio::time::sleep(length).await;
        let idle = server_cpu() - before;
        println!(
            "baseline: server_cpu_s_per_min={:.3} (the server with the dashboard open, not running)",
            per_minute(idle)
        );
        idle
    } else {
        0.0
    };

    // Each screen as an admin leaves it: the keys that open it.
    let screens: [(&str, Vec<KeyEvent>); 4] = [
        ("codes", vec![]),
        ("codes_filtered", "/a".chars().map(key).chain([KeyEvent::from(KeyCode::Enter)]).collect()),
        ("stats", vec![key('2')]),
        ("history", vec![key('4')]),
    ];
    for (name, keys) in screens {
        if args.only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        for k in keys {
            app.handle(tui::msg::Msg::Key(k));
            // The filter waits for its debounce before it asks.
            tokio::time::sleep(config.dashboard.debounce + Duration::from_millis(50)).await;
            app.drain();
            settle(&mut app).await;
        }
        run_idle(&mut app, Duration::from_secs(6)).await;
        let started = Instant::now();
        let (own, server) = (own_cpu(), server_cpu());
        run_idle(&mut app, length).await;
        let (own, server) = (own_cpu() - own, server_cpu() - server);
        let took = started.elapsed().as_secs_f64();
        print!("{name}: dashboard_cpu_s_per_min={:.3}", per_minute(own));
        if postgres {
            print!(" server_cpu_s_per_min={:.3}", per_minute(server - baseline));
        }
        println!(" (over {took:.0} s)");
    }
    service.close().await;
}
