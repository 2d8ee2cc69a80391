//! The `:` command line: typing, completing a command's name from the table in `keymap`, and naming the action to
//! run (the router runs it as its key would).

use super::checks::parse_expiration;
use super::notify::refuse;
use crate::domain::expiry::{self, Expiration};
use crate::domain::validate;
use crate::tui::keymap::{self, Action};
use crate::tui::model::{BulkAction, Model};
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// A command line read on Enter: the command's name, its action, and what its value makes, if it took one.
pub type Run = (String, Action, Option<Valued>);

/// What a command's value makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Valued {
    /// A bulk action on the selection (`:extend 14d`).
    Bulk(BulkAction),
    /// The file to import (`:import PATH`).
    Import(String),
    /// The History screen's filter (`:history SPRING-2026 since:7d`).
    History(String),
}

/// A key on the command line; on Enter, what to run once the line is closed.
pub fn key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Option<Run> {
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
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
            let value = value.trim();
            match keymap::command(name) {
                Some(action) if value.is_empty() => return Some((name.to_string(), action, None)),
                Some(action) => match with_value(model, action, value) {
                    Some(Ok(valued)) => return Some((name.to_string(), action, Some(valued))),
                    Some(Err(why)) => refuse(model, format!(":{name} {value}: {why}")),
                    None => refuse(model, format!(":{name} takes no value: run :{name} alone")),
                },
                None => refuse(model, format!("No command :{name} (Tab completes; ? lists the commands)")),
            }
        }
        _ => {
            input.handle_event(&Event::Key(*key));
        }
    }
    None
}

/// What a command's value makes, read as the form reads its fields; `None` for a command without one.
fn with_value(model: &Model, action: Action, value: &str) -> Option<Result<Valued, String>> {
    match action {
        Action::Import => return Some(Ok(Valued::Import(value.to_string()))),
        Action::HistoryScreen => return Some(Ok(Valued::History(value.to_string()))),
        _ => {}
    }
    bulk_value(model, action, value).map(|r| r.map(Valued::Bulk))
}

fn bulk_value(model: &Model, action: Action, value: &str) -> Option<Result<BulkAction, String>> {
    let now = model.now;
    Some(match action {
        // A span moves each expiry later; a date sets it, as "extend to" means.
        Action::Extend => match expiry::parse_span(value) {
            Some(span) => span.map(|s| BulkAction::Extend { seconds: s.num_seconds() }),
            None => match parse_expiration(value, now) {
                Ok(Expiration::At(at)) => Ok(BulkAction::SetExpiry { at: Some(at) }),
                Ok(Expiration::Never) => Err("to stop expiring, use :expire never".into()),
                Err(why) => Err(why),
            },
        },
        Action::SetExpiry => parse_expiration(value, now).map(|e| BulkAction::SetExpiry { at: e.as_option() }),
        Action::SetDescription => validate::description(value).map(|text| BulkAction::SetDescription { text }),
        Action::SetMaxUses => {
            // Checked against the setting as the header last read it; the service checks again as it writes.
            let limit = model.header.config.as_ref().map_or(i32::MAX, |c| c.max_number_of_uses_per_code);
            validate::whole_number(value)
                .and_then(|n| validate::max_uses(n, limit, validate::Raise::SettingsScreen))
                .map(|max| BulkAction::SetMaxUses { max: i64::from(max) })
        }
        _ => return None,
    })
}
