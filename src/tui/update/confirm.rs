//! Confirmation before anything destructive or bulk: count first, say exactly what will happen, default to no.
//! The count is asked for in `open::describe`.

use super::notify::{fail, info, online};
use super::refresh::refresh;
use super::{form, import, open};
use crate::domain::Selection;
use crate::domain::error::shown;
use crate::domain::text::{date_time_or_never, thousands};
use crate::tui::keymap::Action;
use crate::tui::model::{BulkAction, ConfirmState, Confirmed, Described, Failure, Model};
use crate::tui::msg::Cmd;
use crossterm::event::{KeyCode, KeyEvent};

pub fn described(
    model: &mut Model,
    token: u64,
    action: BulkAction,
    selection: Selection,
    result: Result<Described, Failure>,
) -> Vec<Cmd> {
    // A later key asked again (the answer to that one opens the question), or the cursor left the row (or the
    // marks changed) while the codes were counted: this answer is about codes no longer highlighted.
    if token != model.describe_token {
        return Vec::new();
    }
    if model.list.selection().as_ref() != Some(&selection) {
        info(model, "The selection changed while its codes were counted: press the key again");
        return Vec::new();
    }
    let found = match result {
        Ok(found) => {
            online(model);
            found
        }
        Err(failure) => {
            fail(model, &failure);
            return Vec::new();
        }
    };
    let n = found.tally.codes;
    if n == 0 {
        info(model, "Those codes are gone already");
        model.list.marks.clear();
        return refresh(model);
    }
    let single = matches!(&selection, Selection::Ids(ids) if ids.len() == 1) && model.list.marks.is_empty();
    let expired = if action == BulkAction::Activate { found.expired } else { 0 };
    // One code, not deleted: nothing to lose, so no question; unless activating it alone would leave it Expired.
    if single && action != BulkAction::Delete && expired == 0 {
        return vec![Cmd::Bulk { action, selection }];
    }
    let which = which(&found.first, n, !model.list.marks.is_empty());
    let hidden_note = match found.hidden {
        0 => String::new(),
        _ if n == 1 => ", hidden by the filter".to_string(),
        h => format!(", {} of them hidden by the filter", thousands(h)),
    };
    let records = found.tally.usage_records;
    let (title, message, label) = match action.clone() {
        BulkAction::Delete => (
            "Delete",
            format!(
                "Delete {which} and {} {} usage record{}{hidden_note}? This can't be undone; deactivating keeps the \
                 history.",
                if n == 1 { "its" } else { "their" },
                thousands(records),
                if records == 1 { "" } else { "s" },
            ),
            "Delete",
        ),
        BulkAction::Activate if expired > 0 => {
            let note = match (n, expired) {
                (1, _) => "It has expired, so it stays Expired until its expiry is extended.".to_string(),
                (_, 1) => "1 of them has expired and stays Expired until its expiry is extended.".to_string(),
                (_, e) => format!("{} of them have expired and stay Expired until extended.", thousands(e)),
            };
            ("Activate", format!("Activate {which}{hidden_note}? {note}"), "Activate")
        }
        BulkAction::Activate => ("Activate", format!("Activate {which}{hidden_note}?"), "Activate"),
        BulkAction::SetBeneficiary { user: Some((_, email)) } => {
            ("Set beneficiary", format!("Set the beneficiary of {which}{hidden_note} to {email}?"), "Set beneficiary")
        }
        BulkAction::SetBeneficiary { user: None } => {
            ("Clear beneficiary", format!("Clear the beneficiary of {which}{hidden_note}?"), "Clear")
        }
        BulkAction::SetDescription { text } => (
            "Set description",
            format!("Set the description of {which}{hidden_note} to {}?", shown(&text)),
            "Set description",
        ),
        BulkAction::Reactivate { seconds } => (
            "Activate and extend",
            format!(
                "Activate {which}{hidden_note} and extend their expiry by {} (expired ones: from now)?",
                span(seconds)
            ),
            "Activate and extend",
        ),
        BulkAction::Deactivate => ("Deactivate", format!("Deactivate {which}{hidden_note}?"), "Deactivate"),
        BulkAction::Extend { seconds } => (
            "Extend",
            format!(
                "Extend the expiry of {which}{hidden_note} by {} (expired ones: from now)? Codes that never expire \
                 stay so.",
                span(seconds)
            ),
            "Extend",
        ),
        BulkAction::SetExpiry { at } => (
            "Set expiry",
            format!("Set the expiry of {which}{hidden_note} to {}?", date_time_or_never(at)),
            "Set expiry",
        ),
        BulkAction::SetMaxUses { max } => {
            ("Set max uses", format!("Set the max uses of {which}{hidden_note} to {}?", thousands(max)), "Set max uses")
        }
    };
    let delete = action == BulkAction::Delete;
    let mut question =
        ConfirmState::new(title, message, label, Confirmed::Bulk { action, selection: Box::new(selection), codes: n });
    if expired > 0 {
        let Confirmed::Bulk { selection, .. } = &question.then else { unreachable!("built just above") };
        let seconds = model.options.defaults.expiry_days * 86_400;
        let both =
            Confirmed::Bulk { action: BulkAction::Reactivate { seconds }, selection: selection.clone(), codes: n };
        question.alternative = Some((format!("Also extend {}", span(seconds)), both));
    }
    if delete {
        let Confirmed::Bulk { selection, .. } = &question.then else { unreachable!("built just above") };
        let instead = Confirmed::Bulk { action: BulkAction::Deactivate, selection: selection.clone(), codes: n };
        question.alternative = Some(("Deactivate instead".into(), instead));
        if n > model.options.type_to_delete_over {
            question.must_type = Some(n);
        }
    }
    model.confirm = Some(question);
    Vec::new()
}

/// A span as people say it: `14 days`, `1 day`, `12 hours`, `90 minutes`.
pub fn span(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s => (s / 60, "minute"),
    };
    format!("{} {unit}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// The codes a question is about: `code SPRING25` for one, `12 marked codes (A, B, C and 9 more)` for several.
fn which(first: &[String], n: i64, marked: bool) -> String {
    let marked = if marked { "marked " } else { "" };
    match first {
        [only] if n == 1 && marked.is_empty() => format!("code {only}"),
        [only] if n == 1 => format!("the marked code {only}"),
        [] => format!("{} {marked}code{}", thousands(n), if n == 1 { "" } else { "s" }),
        names => {
            let more = n - names.len() as i64;
            let names = names.join(", ");
            let more = if more > 0 { format!(" and {} more", thousands(more)) } else { String::new() };
            format!("{} {marked}codes ({names}{more})", thousands(n))
        }
    }
}

/// Withdraws a bulk question whose selection is no longer the list's (the cursor moved while the codes were
/// counted, or an earlier action's answer cleared the marks under it): confirming it would act on codes other than
/// those highlighted.
pub fn withdraw_if_stale(model: &mut Model) {
    if let Some(ConfirmState { then: Confirmed::Bulk { selection, .. }, .. }) = &model.confirm
        && model.list.selection().as_ref() != Some(&**selection)
    {
        model.confirm = None;
        info(model, "The selection changed, so the question was withdrawn: press the key again");
    }
}

pub fn key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let Some(state) = model.confirm.as_mut() else { return Vec::new() };
    let choice = match action {
        Some(Action::Yes) => Choice::Confirm,
        Some(Action::No) => Choice::Cancel,
        Some(Action::Accept) if state.on_confirm || state.must_type.is_some() && !state.typed.is_empty() => {
            Choice::Confirm
        }
        Some(Action::Accept) => Choice::Cancel,
        Some(Action::Alternative) if state.alternative.is_some() => Choice::Alternative,
        Some(Action::SwitchChoice) => {
            state.on_confirm = !state.on_confirm;
            return Vec::new();
        }
        None if state.must_type.is_some() => {
            match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() || c == ',' => state.typed.push(c),
                KeyCode::Backspace => {
                    state.typed.pop();
                }
                _ => {}
            }
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    if choice == Choice::Confirm && !state.typed_enough() {
        let n = thousands(state.must_type.unwrap_or_default());
        info(model, format!("Type {n}, the number of codes, to confirm"));
        return Vec::new();
    }
    let Some(state) = model.confirm.take() else { return Vec::new() };
    let then = match (choice, state.alternative) {
        (Choice::Cancel, _) => return Vec::new(),
        (Choice::Confirm, _) => state.then,
        (Choice::Alternative, Some((_, then))) => then,
        (Choice::Alternative, None) => return Vec::new(),
    };
    match then {
        Confirmed::Bulk { action, selection, .. } => vec![Cmd::Bulk { action, selection: *selection }],
        Confirmed::DiscardForm => {
            model.form = None;
            model.picker = None;
            Vec::new()
        }
        Confirmed::Setting { key, value } => {
            model.settings.saving = true;
            vec![Cmd::SetSetting { key, value }]
        }
        Confirmed::Import { path, on_conflict, report } => {
            info(model, format!("Importing {path}…"));
            vec![Cmd::ApplyImport { path, on_conflict, expected: report }]
        }
        Confirmed::CheckImport { path, on_conflict } => import::check(model, path, on_conflict),
        Confirmed::OverwriteForm { theirs } => form::overwrite(model, theirs),
        Confirmed::ReloadForm { theirs } => {
            model.picker = None;
            open::open_edit(model, &theirs)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    Cancel,
    Confirm,
    Alternative,
}

/// A bulk action's answer. The marks stay on the changed codes (Esc clears them), and `u` marks them again later;
/// deleted codes are gone, so their marks go too, and so do marks of every code a filter matches.
pub fn bulk_done(
    model: &mut Model,
    action: BulkAction,
    selection: Selection,
    result: Result<i64, Failure>,
) -> Vec<Cmd> {
    match result {
        Ok(n) => {
            online(model);
            let verb = match action {
                BulkAction::Activate => "Activated",
                BulkAction::Deactivate => "Deactivated",
                BulkAction::Delete => "Deleted",
                BulkAction::Extend { .. } => "Extended",
                BulkAction::SetExpiry { .. } => "Set the expiry of",
                BulkAction::SetMaxUses { .. } => "Set the max uses of",
                BulkAction::Reactivate { .. } => "Activated and extended",
                BulkAction::SetBeneficiary { .. } => "Set the beneficiary of",
                BulkAction::SetDescription { .. } => "Set the description of",
            };
            let codes = if n == 1 { "1 code".to_string() } else { format!("{} codes", thousands(n)) };
            if action == BulkAction::Delete {
                info(model, format!("{verb} {codes}"));
                model.list.marks.clear();
                model.last_changed = None;
                model.detail = None;
            } else if matches!(selection, Selection::Matching(_)) {
                // Marked as "every code the filter matches": after the change the filter may match other codes (a
                // deactivation of every active code), so neither the marks nor `u` could name the changed ones.
                info(model, format!("{verb} {codes}; marks cleared, as the filter may match other codes now"));
                model.list.marks.clear();
                model.last_changed = None;
            } else {
                let them = if n == 1 { "it" } else { "them" };
                info(model, format!("{verb} {codes} (u marks {them} again)"));
                model.last_changed = Some((selection, n));
            }
            refresh(model)
        }
        Err(failure) => {
            fail(model, &failure);
            Vec::new()
        }
    }
}
