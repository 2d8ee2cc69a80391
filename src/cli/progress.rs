//! A progress bar with rate and ETA on stderr, for long work on a terminal (indicatif).

use crate::service::Progress;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// A bar for people watching a terminal; none for scripts (`--json`, or stderr not a terminal), whose stderr
/// stays free of drawing.
pub fn on_terminal(json: bool) -> Option<Arc<dyn Progress>> {
    (!json && std::io::stderr().is_terminal()).then(|| Arc::new(Bar::default()) as Arc<dyn Progress>)
}

/// The bar of the stage in progress.
#[derive(Debug, Default)]
struct Bar(Mutex<Option<ProgressBar>>);

impl Progress for Bar {
    fn start(&self, what: &str, total: Option<u64>) {
        let (bar, template) = match total {
            Some(total) => (ProgressBar::new(total), "{msg} [{wide_bar}] {human_pos}/{human_len} {rate} ETA {eta}"),
            None => (ProgressBar::new_spinner(), "{spinner} {msg}: {human_pos} {rate}"),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            // indicatif's own {per_sec} shows four decimals; whole steps a second are enough.
            let rate = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            };
            bar.set_style(style.progress_chars("=> ").with_key("rate", rate));
        }
        bar.set_message(what.to_string());
        if let Some(old) = self.0.lock().unwrap_or_else(|e| e.into_inner()).replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, steps: u64) {
        if let Some(bar) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(steps);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}
