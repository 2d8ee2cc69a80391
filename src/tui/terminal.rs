//! The real terminal: setup and restore (also on panic, SIGTERM and SIGHUP), Ctrl-Z, an end when the terminal
//! goes away, and the event loop that coalesces answers into one synchronized frame.

use super::App;
use super::frame_output::FrameOutput;
use super::model::{Level, Message};
use super::msg::Msg;
use crate::config::DashboardConfig;
use crate::service::{Service, SignIn};
use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

type Screen = App<CrosstermBackend<FrameOutput<std::io::Stdout>>>;

/// Frames are at most this often (about 60 a second).
const FRAME: Duration = Duration::from_millis(16);
/// The clock of spinners, fading messages and auto refresh.
pub const TICK: Duration = Duration::from_millis(250);
/// How long the input reader waits for a key before it looks whether it was asked to stop.
const INPUT_POLL: Duration = Duration::from_millis(50);

/// Why the dashboard can't run here, if it can't: no terminal on stdin or stdout, or one that can't draw.
pub fn refusal() -> Option<String> {
    let term = std::env::var("TERM").unwrap_or_default();
    refusal_for(&term, std::io::stdin().is_terminal() && std::io::stdout().is_terminal())
}

fn refusal_for(term: &str, terminal: bool) -> Option<String> {
    let why = if !terminal {
        "stdin and stdout are not a terminal".to_string()
    } else if term == "dumb" {
        "TERM=dumb can't draw it".to_string()
    } else {
        return None;
    };
    Some(format!(
        "the dashboard needs a terminal ({why}); use the command line instead, e.g. `refcodes codes list` \
         (`refcodes --help` lists every command)"
    ))
}

/// Opens the dashboard on the terminal and runs it until the user quits or a signal ends it.
pub async fn run(service: Service, config: &DashboardConfig, signed: &SignIn) -> color_eyre::Result<()> {
    service.keep_memory_low().await?;
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
            at: model.now,
            until: model.now + chrono::Duration::seconds(30),
        });
    }
    // ratatui's init installs a panic hook that restores the terminal before the report is printed, and takes
    // the terminal; its frames go out through our own writer.
    drop(ratatui::try_init()?);
    let terminal = Terminal::new(CrosstermBackend::new(FrameOutput::new(std::io::stdout())))?;
    let mut app = App::new(terminal, model, service);
    app.on_terminal();
    let outcome = event_loop(&mut app).await;
    if terminal_gone() {
        // Nothing is left to restore or to tell (the SSH connection or the terminal window closed).
        return Ok(());
    }
    ratatui::restore();
    outcome
}

/// Whether the terminal hung up (its other end closed): asked of stdin without reading it, so no key is taken.
/// crossterm's reader doesn't notice: on a terminal that went away it retries its read at full speed, forever
/// (crossterm issue #793), and a process that the hangup signal doesn't reach (one started by a shell that ignores
/// it) would be left running on a core.
fn terminal_gone() -> bool {
    let mut fd = libc::pollfd { fd: libc::STDIN_FILENO, events: 0, revents: 0 };
    // SAFETY: one valid pollfd, no timeout; poll only writes its revents.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// The terminal's events, read on a thread of its own so that it can be stopped for good before the process
/// suspends: while the shell has the terminal nothing here reads it, and after `fg` nothing races the restore.
struct Input {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Input {
    fn start(tx: UnboundedSender<std::io::Result<Event>>) -> Input {
        let stop = Arc::new(AtomicBool::new(false));
        let asked = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !asked.load(Ordering::Relaxed) {
                match crossterm::event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(err) => {
                        let _ = tx.send(Err(err));
                        break;
                    }
                }
                let event = crossterm::event::read();
                // After Ctrl-Z nothing more is read: the loop suspends, and starts a new reader after `fg`.
                let last = event.as_ref().map_or(true, |e| matches!(e, Event::Key(k) if is_suspend(k)));
                if tx.send(event).is_err() || last {
                    break;
                }
            }
        });
        Input { stop, thread: Some(thread) }
    }

    /// Stops the reader and waits until it has ended (at most one poll): before a suspend, while the terminal is
    /// there. When the dashboard ends the reader is only asked to stop, not awaited: on a terminal that went away
    /// it never returns from crossterm (see [`terminal_gone`]), and the process's exit ends it.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

async fn event_loop(app: &mut Screen) -> color_eyre::Result<()> {
    let (tx, mut events): (_, UnboundedReceiver<std::io::Result<Event>>) = unbounded_channel();
    let mut input = Input::start(tx.clone());
    let mut tick = tokio::time::interval(TICK);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    app.start();
    draw_app(app)?;
    let mut last_frame = Instant::now();
    loop {
        let frame_due = tokio::time::sleep_until((last_frame + FRAME).into());
        tokio::select! {
            event = events.recv() => match event {
                Some(Ok(Event::Key(key))) if is_suspend(&key) => {
                    input.stop();
                    suspend(app)?;
                    input = Input::start(tx.clone());
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
            _ = tick.tick() => {
                if terminal_gone() {
                    break;
                }
                app.tick();
            }
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
    app.draw()?;
    app.terminal.backend_mut().writer_mut().end_frame()?;
    Ok(())
}

fn is_suspend(key: &crossterm::event::KeyEvent) -> bool {
    key.kind == KeyEventKind::Press && key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('z')
}

/// Ctrl-Z, with the input reader stopped: give the terminal back, stop like any job, and take it again on `fg`.
fn suspend(app: &mut Screen) -> std::io::Result<()> {
    ratatui::restore();
    crossterm::execute!(std::io::stdout(), crossterm::cursor::Show)?;
    // SAFETY: raising a signal on our own process has no memory effects; SIGTSTP stops it until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    app.terminal.backend_mut().writer_mut().forget();
    // The size may have changed meanwhile. A resize clears the screen for a whole new frame without asking the
    // terminal where its cursor is, as `Terminal::clear` would: an answer that nobody reads in time crashed here
    // and was left in the shell as `;1R`.
    let (width, height) = crossterm::terminal::size()?;
    app.terminal.resize(Rect::new(0, 0, width, height))?;
    app.handle(Msg::Resize(width, height));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::refusal_for;

    #[test]
    fn only_a_terminal_that_draws_opens_the_dashboard() {
        assert!(refusal_for("xterm-256color", true).is_none());
        assert!(refusal_for("", true).is_none());
        assert!(refusal_for("dumb", true).is_some_and(|m| m.contains("TERM=dumb") && m.contains("codes list")));
        assert!(refusal_for("xterm", false).is_some_and(|m| m.contains("not a terminal")));
    }
}
