//! The create/edit form: typing (each field checked as it changes, see `checks`), and saving.

use super::checks::{check, check_all, parse_expiration};
use super::notify::{fail, info, online};
use super::open;
use super::refresh::refresh;
use crate::domain::draft::{CodeChanges, CodeInput};
use crate::domain::error::shown;
use crate::domain::text::date_time_or_never;
use crate::domain::{CodeRow, ErrorKind, ReferralCode, validate};
use crate::tui::keymap::Action;
use crate::tui::model::{ConfirmState, Confirmed, Failure, Field, Model};
use crate::tui::msg::Cmd;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::{EventHandler, to_input_request};

pub fn key(model: &mut Model, action: Option<Action>, key: &KeyEvent) -> Vec<Cmd> {
    let Some(state) = model.form.as_mut() else { return Vec::new() };
    match action {
        Some(Action::NextField) => state.focus_on(step(state.focus, 1)),
        Some(Action::PrevField) => state.focus_on(step(state.focus, Field::ALL.len() - 1)),
        Some(Action::Save) => return save(model),
        Some(Action::Cancel) => {
            if state.is_dirty() {
                return open::discard_form(model);
            }
            model.form = None;
        }
        Some(Action::RandomCode) => {
            state.focus = Field::Code;
            state.selected = false;
            return vec![Cmd::RandomCode];
        }
        Some(Action::ClearBeneficiary) => {
            state.beneficiary = None;
        }
        Some(Action::Pick) => match state.focus {
            Field::Beneficiary => return open::open_picker(model),
            Field::Active => state.active = !state.active,
            // Enter in a text field moves on, as in most forms.
            _ => state.focus_on(step(state.focus, 1)),
        },
        _ => {
            let field = state.focus;
            let event = Event::Key(*key);
            let replace = std::mem::take(&mut state.selected) && replaces_selection(&event);
            if let Some(input) = state.input_mut(field) {
                let before = input.value().len();
                if replace {
                    // The selection goes; a character then lands in the emptied field.
                    input.reset();
                }
                let typed = input.handle_event(&event).is_some_and(|c| c.value);
                if !(typed || replace && before > 0) {
                    return Vec::new();
                }
                state.failure = None;
                check(model, field);
            }
        }
    }
    Vec::new()
}

/// Whether a key replaces a field's selected text: a character or a deletion does, as in every form toolkit; any
/// other key (a movement) leaves the text to the key, unselected.
fn replaces_selection(event: &Event) -> bool {
    use tui_input::InputRequest::*;
    matches!(
        to_input_request(event),
        Some(
            InsertChar(_)
                | DeletePrevChar
                | DeleteNextChar
                | DeletePrevWord
                | DeleteNextWord
                | DeleteLine
                | DeleteTillEnd
        )
    )
}

fn step(field: Field, by: usize) -> Field {
    let i = Field::ALL.iter().position(|f| *f == field).unwrap_or(0);
    Field::ALL[(i + by) % Field::ALL.len()]
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

/// Save number `save` found the code changed by another write since the form opened (`theirs` is how it is now):
/// the dialog shows each changed field as it is now and as typed, and offers to reload or to save over it.
pub fn conflict(model: &mut Model, save: u64, theirs: CodeRow) -> Vec<Cmd> {
    let Some(state) = model.form.as_mut().filter(|f| f.saving == Some(save)) else {
        let text = format!("Not saved: another write changed code {} meanwhile", theirs.code.code);
        fail(model, &Failure { kind: Some(ErrorKind::Conflict), message: text, fields: Vec::new() });
        return Vec::new();
    };
    state.saving = None;
    let Some(opened) = &state.editing else { return Vec::new() };
    let mine = state.values();
    let my_beneficiary = state.beneficiary.as_ref().map_or("none".to_string(), |(_, email)| email.clone());
    let lines: Vec<String> = opened
        .changed_in(&theirs.code)
        .into_iter()
        .map(|(name, _, _)| {
            let c = &theirs.code;
            let (label, now, typed) = match name {
                "code" => ("Code", shown(&c.code), shown(&mine.code)),
                "description" => ("Description", shown(&c.description), shown(&mine.description)),
                "status" => ("Active", yes_no(c.status), yes_no(mine.active)),
                "max_uses" => ("Max uses", c.max_uses.to_string(), mine.max_uses.clone()),
                "expiration" => ("Expires", date_time_or_never(c.expiration_date), mine.expiration.clone()),
                _ => (
                    "Beneficiary",
                    theirs.beneficiary_email.clone().unwrap_or_else(|| "none".into()),
                    my_beneficiary.clone(),
                ),
            };
            format!("{label}: now {now}, yours {typed}")
        })
        .collect();
    let code = &theirs.code.code;
    state.failure = Some(format!("Not saved: another write changed code {code} since this form opened"));
    let message = format!(
        "Another write changed code {code} since this form opened:\n{}\nReload it (what you typed is lost) or \
             save yours over it?",
        lines.join("\n")
    );
    let overwrite = Confirmed::OverwriteForm { theirs: theirs.clone() };
    model.confirm = Some(ConfirmState {
        alternative: Some(("Reload".into(), Confirmed::ReloadForm { theirs })),
        ..ConfirmState::new("Changed meanwhile", message, "Overwrite", overwrite)
    });
    Vec::new()
}

fn yes_no(active: bool) -> String {
    if active { "yes" } else { "no" }.into()
}

/// Saves the form over the code as `theirs` left it: the fields typed in the form are written, the others keep
/// their values, and a further change meanwhile is asked about again.
pub fn overwrite(model: &mut Model, theirs: CodeRow) -> Vec<Cmd> {
    let Some(state) = model.form.as_mut() else { return Vec::new() };
    state.editing = Some(theirs.code);
    save(model)
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
