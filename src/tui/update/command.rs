//! The `:` command line: typing, completing a command's name from the table in `keymap`, and naming the action to
//! run (the router runs it as its key would).

use super::notify::refuse;
use crate::tui::keymap::{self, Action};
use crate::tui::model::Model;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// A key on the command line; on Enter, the command's name and action, to run once the line is closed.
pub fn key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Option<(String, Action)> {
    let input = model.command.as_mut()?;
    match action {
        Some(Action::Cancel) => model.command = None,
        Some(Action::Complete) => {
            let typed = input.value().trim().to_string();
            let names = keymap::completions(&typed);
            // As far as every name that fits agrees; the view lists them when several do.
            let common = names.iter().skip(1).fold(names.first().copied().unwrap_or(""), |common, name| {
                let same = common.chars().zip(name.chars()).take_while(|(a, b)| a == b).count();
                &common[..common.char_indices().nth(same).map_or(common.len(), |(i, _)| i)]
            });
            if common.len() > typed.len() {
                *input = Input::new(common.to_string());
            }
        }
        Some(Action::Accept) => {
            let line = input.value().trim().to_string();
            model.command = None;
            let mut words = line.split_whitespace();
            let name = words.next()?;
            match (keymap::command(name), words.next()) {
                (Some(action), None) => return Some((name.to_string(), action)),
                // Values (`:extend 14d`) are asked for by the dialogs; a command runs as its key does.
                (Some(_), Some(_)) => refuse(model, format!(":{name} takes no value here: run :{name} alone")),
                (None, _) => refuse(model, format!("No command :{name} (Tab completes; ? lists the commands)")),
            }
        }
        _ => {
            input.handle_event(&Event::Key(*key));
        }
    }
    None
}
