//! Moving between layers: opening the form (new or edit), a code's details and the beneficiary picker, asking
//! before a form is discarded, and counting a bulk action's codes before its question. Every handler that starts
//! one of these comes here, so the handlers never call each other.

use super::checks::check;
use super::notify::info;
use crate::domain::text::date_time_or_never;
use crate::domain::{CodeId, CodeRow, ReferralCode, UserId};
use crate::tui::keymap::Action;
use crate::tui::model::{
    BulkAction, ConfirmState, Confirmed, DetailState, Field, FormState, FormValues, Model, PickerState, Screen,
};
use crate::tui::msg::Cmd;
use std::collections::HashMap;
use tui_input::Input;

/// Usage records a detail view loads, newest first.
pub const DETAIL_USAGE: i64 = 500;
/// Events of its history a detail view loads, newest first; the History screen (`:history CODE`) has them all.
pub const DETAIL_HISTORY: u64 = 200;

fn form(
    editing: Option<ReferralCode>,
    values: FormValues,
    beneficiary: Option<(UserId, String)>,
    focus: Field,
) -> FormState {
    let mut state = FormState {
        editing,
        code: Input::new(values.code.clone()),
        description: Input::new(values.description.clone()),
        max_uses: Input::new(values.max_uses.clone()),
        expiration: Input::new(values.expiration.clone()),
        active: values.active,
        beneficiary,
        initial: values,
        focus,
        selected: false,
        errors: HashMap::new(),
        expiration_hint: None,
        failure: None,
        saving: None,
    };
    state.focus_on(focus);
    state
}

pub fn open_new(model: &mut Model) -> Vec<Cmd> {
    if unpark(model) {
        return Vec::new();
    }
    let defaults = model.options.defaults;
    // The configured default is a wish within the setting, as the service reads it: the setting caps it.
    let limit = model.header.config.map_or(defaults.max_uses, |c| c.max_number_of_uses_per_code);
    let values = FormValues {
        code: String::new(),
        description: String::new(),
        max_uses: defaults.max_uses.min(limit).to_string(),
        expiration: format!("{}d", defaults.expiry_days),
        active: true,
        beneficiary: None,
    };
    model.form = Some(form(None, values, None, Field::Code));
    // Only the expiration's resolved time shows at first; other checks wait for typing or saving.
    check(model, Field::Expiration);
    Vec::new()
}

pub fn open_edit(model: &mut Model, row: &CodeRow) -> Vec<Cmd> {
    if unpark(model) {
        return Vec::new();
    }
    let c = &row.code;
    let values = FormValues {
        code: c.code.clone(),
        description: c.description.clone(),
        max_uses: c.max_uses.to_string(),
        // `never` and the minute both read back as the expiry field takes them.
        expiration: date_time_or_never(c.expiration_date),
        active: c.status,
        beneficiary: c.beneficiary,
    };
    let beneficiary =
        c.beneficiary.map(|id| (id, row.beneficiary_email.clone().unwrap_or_else(|| format!("user {id}"))));
    model.form = Some(form(Some(c.clone()), values, beneficiary, Field::Description));
    check(model, Field::Expiration);
    Vec::new()
}

/// Sets the open form aside and shows the Settings screen, where a limit the form ran into is raised.
pub fn park(model: &mut Model) -> Vec<Cmd> {
    if model.form.as_ref().is_some_and(|f| f.saving.is_some()) {
        // Its answer closes or marks the form it was sent from; a parked one would miss it.
        info(model, "Saving: the form can be parked once the save is answered");
        return Vec::new();
    }
    model.parked = model.form.take();
    model.picker = None;
    model.detail = None;
    model.screen = Screen::Settings;
    let key = model.keymap.global_key(Action::ParkForm).map_or_else(|| ":form".to_string(), |k| k.to_string());
    info(model, format!("Form parked: {key} brings it back"));
    Vec::new()
}

/// Brings a parked form back, checking again the fields it had refused (a setting may have changed meanwhile);
/// false when none is parked.
pub fn unpark(model: &mut Model) -> bool {
    let Some(state) = model.parked.take() else { return false };
    let refused: Vec<Field> = state.errors.keys().copied().collect();
    model.form = Some(state);
    for field in refused {
        check(model, field);
    }
    info(model, "The parked form is back");
    true
}

pub fn load_detail(id: CodeId) -> Cmd {
    Cmd::LoadDetail { id, usage_limit: DETAIL_USAGE, history_limit: DETAIL_HISTORY }
}

pub fn open_detail(model: &mut Model, id: CodeId) -> Vec<Cmd> {
    model.detail = Some(DetailState {
        id,
        row: None,
        stats: None,
        usage: Vec::new(),
        history: Vec::new(),
        more_history: false,
        showing_history: false,
        scroll: 0,
        loading: true,
        error: None,
    });
    vec![load_detail(id)]
}

pub fn open_picker(model: &mut Model) -> Vec<Cmd> {
    model.picker_generation += 1;
    let generation = model.picker_generation;
    let picker = PickerState { generation, loading: true, ..PickerState::default() };
    model.picker = Some(picker);
    vec![Cmd::SearchUsers { generation, text: String::new() }]
}

/// Asks before a form with typed changes is closed.
pub fn discard_form(model: &mut Model) -> Vec<Cmd> {
    let message = "Close the form and lose what was typed?".to_string();
    model.confirm = Some(ConfirmState::new("Discard", message, "Discard", Confirmed::DiscardForm));
    Vec::new()
}

/// Opens the command line on `line`, a command that wants its value typed (or changed) before Enter.
pub fn ask_value(model: &mut Model, line: &str) -> Vec<Cmd> {
    if model.list.selection().is_none() {
        info(model, "No code here to act on");
        return Vec::new();
    }
    prompt(model, line)
}

/// Opens the command line on `line`, for its value to be typed.
pub fn prompt(model: &mut Model, line: &str) -> Vec<Cmd> {
    model.command = Some(Input::new(line.to_string()));
    Vec::new()
}

/// Starts a bulk action: counts its codes (and usage records) before asking.
pub fn describe(model: &mut Model, action: BulkAction) -> Vec<Cmd> {
    let Some(selection) = model.list.selection() else {
        info(model, "No code here to act on");
        return Vec::new();
    };
    model.describe_token += 1;
    vec![Cmd::Describe { token: model.describe_token, action, selection, visible: Box::new(model.list.filter()) }]
}
