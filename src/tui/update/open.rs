//! Moving between layers: opening the form (new or edit), a code's details and the beneficiary picker, asking
//! before a form is discarded, and counting a bulk action's codes before its question. Every handler that starts
//! one of these comes here, so the handlers never call each other.

use super::checks::check;
use super::notify::info;
use crate::domain::text::date_time_or_never;
use crate::domain::{CodeId, CodeRow, ReferralCode, UserId};
use crate::tui::model::{
    BulkAction, ConfirmState, Confirmed, DetailState, Field, FormState, FormValues, Model, PickerState,
};
use crate::tui::msg::Cmd;
use std::collections::HashMap;
use tui_input::Input;

/// Usage records a detail view loads, newest first.
pub const DETAIL_USAGE: i64 = 500;

fn form(editing: Option<ReferralCode>, values: FormValues, beneficiary: Option<(UserId, String)>) -> FormState {
    FormState {
        editing,
        code: Input::new(values.code.clone()),
        description: Input::new(values.description.clone()),
        max_uses: Input::new(values.max_uses.clone()),
        expiration: Input::new(values.expiration.clone()),
        active: values.active,
        beneficiary,
        initial: values,
        focus: Field::Code,
        errors: HashMap::new(),
        expiration_hint: None,
        failure: None,
        saving: None,
    }
}

pub fn open_new(model: &mut Model) -> Vec<Cmd> {
    let defaults = model.options.defaults;
    let values = FormValues {
        code: String::new(),
        description: String::new(),
        max_uses: defaults.max_uses.to_string(),
        expiration: format!("{}d", defaults.expiry_days),
        active: true,
        beneficiary: None,
    };
    model.form = Some(form(None, values, None));
    // Only the expiration's resolved time shows at first; other checks wait for typing or saving.
    check(model, Field::Expiration);
    Vec::new()
}

pub fn open_edit(model: &mut Model, row: &CodeRow) -> Vec<Cmd> {
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
    let mut state = form(Some(c.clone()), values, beneficiary);
    state.focus = Field::Description;
    model.form = Some(state);
    check(model, Field::Expiration);
    Vec::new()
}

pub fn load_detail(id: CodeId) -> Cmd {
    Cmd::LoadDetail { id, usage_limit: DETAIL_USAGE }
}

pub fn open_detail(model: &mut Model, id: CodeId) -> Vec<Cmd> {
    model.detail =
        Some(DetailState { id, row: None, stats: None, usage: Vec::new(), scroll: 0, loading: true, error: None });
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
