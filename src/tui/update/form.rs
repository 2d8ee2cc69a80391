//! The create/edit form: fields checked as they are typed with the service's own rules, and saving.

use super::{confirm, fail, info, online, overlays, refresh};
use crate::domain::draft::{CodeChanges, CodeInput};
use crate::domain::expiry::{self, Expiration};
use crate::domain::{CodeRow, ReferralCode, validate};
use crate::tui::keymap::Action;
use crate::tui::model::{Failure, Field, FormState, FormValues, Model};
use crate::tui::msg::Cmd;
use crossterm::event::{Event, KeyEvent};
use std::collections::HashMap;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// How an expiration is written back into the field.
fn expiration_text(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn form(
    editing: Option<ReferralCode>,
    values: FormValues,
    beneficiary: Option<(crate::domain::UserId, String)>,
) -> FormState {
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
        expiration: expiration_text(c.expiration_date),
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

pub fn key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let Some(state) = model.form.as_mut() else { return Vec::new() };
    match action {
        Some(Action::NextField) => state.focus = step(state.focus, 1),
        Some(Action::PrevField) => state.focus = step(state.focus, Field::ALL.len() - 1),
        Some(Action::Save) => return save(model),
        Some(Action::Cancel) => {
            if state.is_dirty() {
                return confirm::discard_form(model);
            }
            model.form = None;
        }
        Some(Action::RandomCode) => {
            state.focus = Field::Code;
            return vec![Cmd::RandomCode];
        }
        Some(Action::ClearBeneficiary) => {
            state.beneficiary = None;
        }
        Some(Action::Pick) => match state.focus {
            Field::Beneficiary => return overlays::open_picker(model),
            Field::Active => state.active = !state.active,
            // Enter in a text field moves on, as in most forms.
            _ => state.focus = step(state.focus, 1),
        },
        _ => {
            let field = state.focus;
            if let Some(input) = state.input_mut(field)
                && input.handle_event(&Event::Key(*key)).is_some_and(|c| c.value)
            {
                state.failure = None;
                check(model, field);
            }
        }
    }
    Vec::new()
}

fn step(field: Field, by: usize) -> Field {
    let i = Field::ALL.iter().position(|f| *f == field).unwrap_or(0);
    Field::ALL[(i + by) % Field::ALL.len()]
}

/// Checks every field, as before saving.
fn check_all(model: &mut Model) {
    for field in Field::ALL {
        check(model, field);
    }
}

/// Checks one field with the service's rules; on edit, a field left as it was is not checked.
fn check(model: &mut Model, field: Field) {
    let limit = model.header.config.map_or(100, |c| c.max_number_of_uses_per_code);
    let now = model.now;
    let Some(state) = model.form.as_mut() else { return };
    let editing = state.editing.is_some();
    let values = state.values();
    let unchanged = editing
        && match field {
            Field::Code => values.code == state.initial.code,
            Field::Description => values.description == state.initial.description,
            Field::MaxUses => values.max_uses == state.initial.max_uses,
            Field::Expiration => values.expiration == state.initial.expiration,
            Field::Active | Field::Beneficiary => true,
        };
    let result: Result<(), String> = if unchanged {
        Ok(())
    } else {
        match field {
            Field::Code if !editing && values.code.trim().is_empty() => Ok(()),
            Field::Code => validate::code(&values.code).map(drop),
            Field::Description => validate::description(&values.description).map(drop),
            Field::MaxUses => {
                validate::whole_number(&values.max_uses).and_then(|n| validate::max_uses(n, limit)).map(drop)
            }
            Field::Expiration => parse_expiration(&values.expiration, now).map(drop),
            Field::Active | Field::Beneficiary => Ok(()),
        }
    };
    if field == Field::Expiration {
        state.expiration_hint = match expiry::parse(&values.expiration, now) {
            Ok(Expiration::Never) => Some("never expires".to_string()),
            Ok(Expiration::At(at)) => Some(format!("→ {} UTC", at.format("%Y-%m-%d %H:%M"))),
            Err(_) => None,
        };
    }
    match result {
        Ok(()) => state.errors.remove(&field),
        Err(message) => state.errors.insert(field, message),
    };
}

fn parse_expiration(text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Expiration, String> {
    let expiration = expiry::parse(text, now)?;
    if let Expiration::At(at) = expiration {
        validate::expiration(at, now)?;
    }
    Ok(expiration)
}

fn save(model: &mut Model) -> Vec<Cmd> {
    check_all(model);
    let now = model.now;
    let save = model.saves + 1;
    let Some(state) = model.form.as_mut() else { return Vec::new() };
    if state.saving.is_some() {
        return Vec::new();
    }
    if !state.errors.is_empty() {
        state.failure = Some("Some fields need a fix before saving (see below each field)".into());
        return Vec::new();
    }
    let values = state.values();
    // The checks passed, so these parse; a failure here would only repeat the field's message.
    let max_uses = validate::whole_number(&values.max_uses).ok();
    let expiration = parse_expiration(&values.expiration, now).ok();
    let cmd = match &state.editing {
        None => Cmd::Create {
            save,
            input: CodeInput {
                code: Some(values.code.trim().to_string()).filter(|c| !c.is_empty()),
                description: values.description.clone(),
                max_uses,
                expiration,
                beneficiary: values.beneficiary,
                inactive: !values.active,
            },
        },
        Some(current) => {
            let initial = &state.initial;
            let changes = CodeChanges {
                code: (values.code != initial.code).then(|| values.code.clone()),
                description: (values.description != initial.description).then(|| values.description.clone()),
                max_uses: if values.max_uses != initial.max_uses { max_uses } else { None },
                expiration: if values.expiration != initial.expiration { expiration } else { None },
                beneficiary: (values.beneficiary != initial.beneficiary).then_some(values.beneficiary),
                active: (values.active != initial.active).then_some(values.active),
            };
            if changes == CodeChanges::default() {
                model.form = None;
                info(model, "Nothing changed");
                return Vec::new();
            }
            Cmd::Update { save, current: current.clone(), changes }
        }
    };
    state.saving = Some(save);
    state.failure = None;
    model.saves = save;
    vec![cmd]
}

pub fn random_code(model: &mut Model, result: Result<String, Failure>) -> Vec<Cmd> {
    match (result, model.form.as_mut()) {
        (Ok(code), Some(state)) => {
            state.code = Input::new(code);
            check(model, Field::Code);
        }
        (Err(failure), _) => fail(model, &failure),
        (Ok(_), None) => {}
    }
    Vec::new()
}

/// The answer to save number `save`. When its form was closed while saving, the answer is only reported: the form
/// open now, if any, is another one.
pub fn saved(model: &mut Model, save: u64, result: Result<ReferralCode, Failure>) -> Vec<Cmd> {
    match result {
        Ok(code) => {
            online(model);
            let form = model.form.take_if(|f| f.saving == Some(save));
            let verb = if form.is_some_and(|f| f.editing.is_none()) { "Created" } else { "Saved" };
            info(model, format!("{verb} code {}", code.code));
            refresh(model)
        }
        Err(failure) => {
            // Everything typed stays; the refusal stands under its fields.
            if let Some(state) = model.form.as_mut().filter(|f| f.saving == Some(save)) {
                state.saving = None;
                for f in &failure.fields {
                    if let Some(field) = Field::from_service(f.field) {
                        state.errors.insert(field, f.message.clone());
                    }
                }
                state.failure = Some(failure.message.clone());
            }
            fail(model, &failure);
            Vec::new()
        }
    }
}
