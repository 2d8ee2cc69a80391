//! Confirmation before anything destructive or bulk: count first, say exactly what will happen, default to no.
//! The count is asked for in `open::describe`.

use super::notify::{fail, info, online};
use super::refresh::refresh;
use crate::domain::Selection;
use crate::service::Tally;
use crate::tui::keymap::Action;
use crate::tui::model::{BulkAction, ConfirmState, Confirmed, Failure, Model};
use crate::tui::msg::Cmd;

pub fn described(
    model: &mut Model,
    action: BulkAction,
    selection: Selection,
    result: Result<(Tally, i64), Failure>,
) -> Vec<Cmd> {
    let (counted, hidden) = match result {
        Ok(found) => {
            online(model);
            found
        }
        Err(failure) => {
            fail(model, &failure);
            return Vec::new();
        }
    };
    let n = counted.codes;
    if n == 0 {
        info(model, "Those codes are gone already");
        model.list.marks.clear();
        return refresh(model);
    }
    let single = matches!(&selection, Selection::Ids(ids) if ids.len() == 1) && model.list.marks.is_empty();
    // One code, not deleted: nothing to lose, so no question.
    if single && action != BulkAction::Delete {
        return vec![Cmd::Bulk { action, selection }];
    }
    let codes = if n == 1 { "1 code".to_string() } else { format!("{n} codes") };
    let which = match (model.list.marks.is_empty(), n) {
        (true, _) => codes.clone(),
        (false, 1) => "1 marked code".to_string(),
        (false, _) => format!("{n} marked codes"),
    };
    let hidden_note = match hidden {
        0 => String::new(),
        1 => ", 1 of them hidden by the filter".to_string(),
        h => format!(", {h} of them hidden by the filter"),
    };
    let (title, message, label) = match action {
        BulkAction::Delete => (
            "Delete",
            format!(
                "Delete {which} and their {} usage records{hidden_note}? This can't be undone; deactivating keeps the history.",
                counted.usage_records
            ),
            "Delete",
        ),
        BulkAction::Activate => ("Activate", format!("Activate {which}{hidden_note}?"), "Activate"),
        BulkAction::Deactivate => ("Deactivate", format!("Deactivate {which}{hidden_note}?"), "Deactivate"),
        BulkAction::Extend { days } => (
            "Extend",
            format!(
                "Extend the expiry of {which}{hidden_note} by {days} days (expired ones: from now)? Codes that never expire stay so."
            ),
            "Extend",
        ),
    };
    model.confirm = Some(ConfirmState {
        title: title.to_string(),
        message,
        confirm_label: label.to_string(),
        on_confirm: false,
        then: Confirmed::Bulk { action, selection: Box::new(selection), codes: n },
    });
    Vec::new()
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

pub fn key(model: &mut Model, action: Option<Action>) -> Vec<Cmd> {
    let Some(state) = model.confirm.as_mut() else { return Vec::new() };
    let go = match action {
        Some(Action::Yes) => true,
        Some(Action::No) => false,
        Some(Action::Accept) => state.on_confirm,
        Some(Action::SwitchChoice) => {
            state.on_confirm = !state.on_confirm;
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    let Some(state) = model.confirm.take() else { return Vec::new() };
    if !go {
        return Vec::new();
    }
    match state.then {
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
    }
}

pub fn bulk_done(model: &mut Model, action: BulkAction, result: Result<i64, Failure>) -> Vec<Cmd> {
    match result {
        Ok(n) => {
            online(model);
            let verb = match action {
                BulkAction::Activate => "Activated",
                BulkAction::Deactivate => "Deactivated",
                BulkAction::Delete => "Deleted",
                BulkAction::Extend { .. } => "Extended",
            };
            let codes = if n == 1 { "1 code".to_string() } else { format!("{n} codes") };
            info(model, format!("{verb} {codes}"));
            model.list.marks.clear();
            if action == BulkAction::Delete {
                model.detail = None;
            }
            refresh(model)
        }
        Err(failure) => {
            fail(model, &failure);
            Vec::new()
        }
    }
}
