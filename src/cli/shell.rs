//! `completions SHELL` and `man [--out-dir DIR]`: the command line described for shells and for `man`, from clap's own model of it.

use super::args::{Cli, Command};
use super::output::Out;
use clap::CommandFactory;
use std::io::{self, Write};

/// Prints what `command` asks for, if it is one of these; `None` for any other command.
pub fn print(command: &Command) -> Option<io::Result<()>> {
    let mut out = Out::stdout();
    let written = match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "refcodes", &mut out);
            Ok(())
        }
        Command::Man { out_dir: None } => clap_mangen::Man::new(Cli::command()).render(&mut out),
        Command::Man { out_dir: Some(dir) } => clap_mangen::generate_to(Cli::command(), dir)
            .and_then(|()| writeln!(out, "Wrote the manual pages into {}.", dir.display())),
        _ => return None,
    };
    Some(written.and_then(|()| out.flush()))
}
