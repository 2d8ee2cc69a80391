//! How long work tells how far it got: the CLI draws a bar on a terminal; a library caller may listen too.

/// A listener for the stages of long work. Each stage is [`Progress::start`]ed, advanced, and
/// [`Progress::finish`]ed; a stage of unknown length has no total.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// A stage of `total` steps (`None`: not known) begins, named for people ("writing codes").
    fn start(&self, what: &str, total: Option<u64>);
    /// `steps` more steps are done.
    fn advance(&self, steps: u64);
    /// The stage is over.
    fn finish(&self);
}

/// Nobody listens.
#[derive(Debug)]
pub(super) struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
