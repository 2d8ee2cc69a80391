//! The dashboard: the Elm architecture over ratatui. One [`model::Model`], changed only by [`update::update`],
//! drawn only by [`view::view`]; every database call is a [`msg::Cmd`] the [`effects::Effects`] runner performs
//! off the input loop.

pub mod effects;
mod frame_output;
pub mod keymap;
pub mod layout;
mod memory;
pub mod model;
pub mod msg;
mod terminal;
pub mod theme;
pub mod update;
pub mod view;

use crate::config::DashboardConfig;
use crate::service::Service;
use chrono::{SubsecRound, Utc};
use effects::Effects;
use model::{Model, Options, Session};
use msg::Msg;
use ratatui::Terminal;
use ratatui::backend::Backend;
use theme::Theme;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

pub use memory::keep_memory_low;
pub use terminal::{TICK, refusal, run};

/// The model for a service and the dashboard's configuration, before the first load.
pub fn initial_model(service: &Service, config: &DashboardConfig, size: (u16, u16), no_color: bool) -> Model {
    let (operator, role) = match service.operator() {
        Some(op) => (op.user.email.clone(), op.role.map_or("no role", |r| r.name()).to_string()),
        None => ("nobody".to_string(), "not a user".to_string()),
    };
    let session = Session {
        operator,
        role,
        database: service.attached_short().unwrap_or_else(|| service.database_label()),
        phoenix_kit: service.is_phoenix_kit(),
        read_only: service.is_read_only(),
        can_administer: service.can_administer(),
        revoked: false,
        audit_log_only: service.audit_unavailable().map(str::to_string),
    };
    let options = Options {
        refresh: config.refresh,
        debounce: config.debounce,
        defaults: service.defaults(),
        theme: if no_color { Theme::plain() } else { config.theme },
        type_to_delete_over: config.type_to_delete_over,
    };
    Model::new(session, options, config.keymap.clone(), service.now(), size)
}

/// The running dashboard on any backend: the real terminal, or a `TestBackend` in tests and benchmarks.
pub struct App<B: Backend> {
    pub terminal: Terminal<B>,
    pub model: Model,
    effects: Effects,
    answers: UnboundedReceiver<Msg>,
    dirty: bool,
}

impl<B: Backend> App<B> {
    pub fn new(terminal: Terminal<B>, model: Model, service: Service) -> App<B> {
        let (tx, answers) = unbounded_channel();
        App { terminal, model, effects: Effects::new(service, tx), answers, dirty: true }
    }

    /// The terminal drawn on is this process's: copies (OSC 52) go to it.
    fn on_terminal(&mut self) {
        self.effects.on_terminal();
    }

    /// The first load.
    pub fn start(&mut self) {
        let cmds = update::start(&mut self.model);
        self.run(cmds);
    }

    /// Feeds one message through `update` and starts what it asks for.
    pub fn handle(&mut self, msg: Msg) {
        let cmds = update::update(&mut self.model, msg);
        self.run(cmds);
        self.dirty = true;
    }

    fn run(&mut self, cmds: Vec<msg::Cmd>) {
        for cmd in cmds {
            self.effects.run(cmd);
        }
    }

    /// Handles every answer already waiting, without blocking.
    pub fn drain(&mut self) {
        while let Ok(msg) = self.answers.try_recv() {
            self.handle(msg);
        }
    }

    /// Waits for the next answer of the effects runner.
    pub async fn next_answer(&mut self) -> Option<Msg> {
        self.answers.recv().await
    }

    /// Moves the model's clock to now.
    pub fn tick(&mut self) {
        self.handle(Msg::Tick(Utc::now().trunc_subsecs(3)));
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn draw(&mut self) -> Result<(), B::Error> {
        let model = &self.model;
        self.terminal.draw(|frame| view::view(model, frame))?;
        self.dirty = false;
        Ok(())
    }
}
