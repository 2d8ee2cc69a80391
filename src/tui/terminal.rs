//! The real terminal: setup and restore (also on panic, SIGTERM and SIGHUP), Ctrl-Z, and the event loop that
//! coalesces answers into one synchronized frame.

use super::App;
use super::model::{Level, Message};
use super::msg::Msg;
use crate::config::DashboardConfig;
use crate::service::{Service, SignIn};
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};

type Screen = App<ratatui::backend::CrosstermBackend<std::io::Stdout>>;

/// Frames are at most this often (about 60 a second).
const FRAME: Duration = Duration::from_millis(16);
/// The clock of spinners, fading messages and auto refresh.
const TICK: Duration = Duration::from_millis(250);

/// Opens the dashboard on the terminal and runs it until the user quits or a signal ends it.
pub async fn run(service: Service, config: &DashboardConfig, signed: &SignIn) -> color_eyre::Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let size = crossterm::terminal::size()?;
    let mut model = super::initial_model(&service, config, size, no_color);
    if signed.operator.is_none() {
        model.session.operator = signed.email.clone();
    }
    if let Some(notice) = signed.notice() {
        model.messages.push(Message {
            text: notice,
            level: Level::Info,
            until: model.now + chrono::Duration::seconds(30),
        });
    }
    // ratatui's init installs a panic hook that restores the terminal before the report is printed.
    let terminal = ratatui::try_init()?;
    let mut app = App::new(terminal, model, service);
    let outcome = event_loop(&mut app).await;
    ratatui::restore();
    outcome
}

async fn event_loop(app: &mut Screen) -> color_eyre::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    app.start();
    draw_app(app)?;
    let mut last_frame = Instant::now();
    loop {
        let frame_due = tokio::time::sleep_until((last_frame + FRAME).into());
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if is_suspend(&key) => {
                    suspend()?;
                    events = EventStream::new();
                    app.terminal.clear()?;
                }
                Some(Ok(Event::Key(key))) => app.handle(Msg::Key(key)),
                Some(Ok(Event::Resize(width, height))) => {
                    app.terminal.autoresize()?;
                    app.handle(Msg::Resize(width, height));
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err.into()),
                None => break,
            },
            Some(msg) = app.next_answer() => app.handle(msg),
            _ = tick.tick() => app.tick(),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = frame_due, if app.is_dirty() => {}
        }
        app.drain();
        if app.model.quit {
            break;
        }
        if app.is_dirty() && last_frame.elapsed() >= FRAME {
            draw_app(app)?;
            last_frame = Instant::now();
        }
    }
    Ok(())
}

fn draw_app(app: &mut Screen) -> std::io::Result<()> {
    // Synchronized output: the terminal shows the frame whole, without flicker over SSH.
    crossterm::queue!(app.terminal.backend_mut(), BeginSynchronizedUpdate)?;
    app.draw()?;
    crossterm::execute!(app.terminal.backend_mut(), EndSynchronizedUpdate)
}

fn is_suspend(key: &crossterm::event::KeyEvent) -> bool {
    key.kind == KeyEventKind::Press && key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('z')
}

/// Ctrl-Z: give the terminal back, stop like any job, and take it again on `fg`.
fn suspend() -> std::io::Result<()> {
    ratatui::restore();
    // SAFETY: raising a signal on our own process has no memory effects; SIGTSTP stops it until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)
}
