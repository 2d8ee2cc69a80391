//! `:import PATH`: the file's dry run first (the service's `check_import`, in the effects runner), its summary and
//! first problems in a question with the choice for codes that exist, then the import itself.

use super::notify::{fail, info, online};
use super::refresh::refresh;
use crate::domain::import::OnConflict;
use crate::domain::text::thousands;
use crate::service::ImportReport;
use crate::tui::model::{ConfirmState, Confirmed, Failure, Model};
use crate::tui::msg::Cmd;

/// Problems a question lists before "and N more".
pub const PROBLEMS_SHOWN: usize = 5;

/// Starts the dry run of the file at `path`.
pub fn check(model: &mut Model, path: String, on_conflict: OnConflict) -> Vec<Cmd> {
    model.import_token += 1;
    info(model, format!("Checking {path}…"));
    vec![Cmd::CheckImport { token: model.import_token, path, on_conflict }]
}

/// The dry run's answer: the question, unless a later dry run was asked for meanwhile.
pub fn checked(
    model: &mut Model,
    token: u64,
    path: String,
    on_conflict: OnConflict,
    result: Result<ImportReport, Failure>,
) -> Vec<Cmd> {
    if token != model.import_token {
        return Vec::new();
    }
    match result {
        Ok(report) => {
            online(model);
            model.confirm = Some(question(path, on_conflict, report, ""));
        }
        Err(failure) => fail(model, &failure),
    }
    Vec::new()
}

/// The import's answer: what it wrote; or, when the file or the database changed since the dry run, what it would
/// do now, asked again.
pub fn imported(
    model: &mut Model,
    path: String,
    on_conflict: OnConflict,
    result: Result<ImportReport, Failure>,
) -> Vec<Cmd> {
    match result {
        Ok(report) if report.applied => {
            online(model);
            let skipped = report.skipped.len() + report.unchanged.len();
            info(
                model,
                format!(
                    "Imported {path}: {} created, {} updated, {} skipped",
                    thousands(report.created.len() as i64),
                    thousands(report.updated.len() as i64),
                    thousands(skipped as i64)
                ),
            );
            refresh(model)
        }
        Ok(report) => {
            online(model);
            let note = "Not imported: the file or the database changed since the check. Now: ";
            model.confirm = Some(question(path, on_conflict, report, note));
            Vec::new()
        }
        Err(failure) => {
            fail(model, &failure);
            Vec::new()
        }
    }
}

/// The question a dry run asks: what the import would do, or its first problems; the choice for existing codes is
/// the third button, which checks again with the next one.
fn question(path: String, on_conflict: OnConflict, report: ImportReport, note: &str) -> ConfirmState {
    let n = |len: usize| thousands(len as i64);
    let existing = match on_conflict {
        OnConflict::Fail => "refused",
        OnConflict::Skip => "skipped",
        OnConflict::Update => "updated",
    };
    let head = format!("{note}{path}: {} rows; codes that exist are {existing}.", n(report.rows));
    let next = match on_conflict {
        OnConflict::Fail => OnConflict::Skip,
        OnConflict::Skip => OnConflict::Update,
        OnConflict::Update => OnConflict::Fail,
    };
    // The button names what it switches to, beside the head that says what is in force.
    let switch = (format!("{} them", name(next)), Confirmed::CheckImport { path: path.clone(), on_conflict: next });
    if report.problems.is_empty() {
        let random = match report.random {
            0 => String::new(),
            r => format!(" ({} with a random code)", n(r)),
        };
        let message = format!(
            "{head}\nImport creates {}{random}, updates {}, leaves {} unchanged and skips {}. All or nothing.",
            n(report.created.len() + report.random),
            n(report.updated.len()),
            n(report.unchanged.len()),
            n(report.skipped.len()),
        );
        let then = Confirmed::Import { path, on_conflict, report: Box::new(report) };
        return ConfirmState { alternative: Some(switch), ..ConfirmState::new("Import", message, "Import", then) };
    }
    let problems = &report.problems;
    let mut lines: Vec<String> =
        problems.iter().take(PROBLEMS_SHOWN).map(|p| format!("line {}, {}: {}", p.line, p.column, p.message)).collect();
    if problems.len() > PROBLEMS_SHOWN {
        lines.push(format!(
            "… and {} more (`refcodes codes import FILE --dry-run` lists them all)",
            n(problems.len() - PROBLEMS_SHOWN)
        ));
    }
    let count = if problems.len() == 1 { "1 problem".to_string() } else { format!("{} problems", n(problems.len())) };
    let message = format!("{head}\n{count}; nothing is imported until every one is fixed:\n{}", lines.join("\n"));
    // Fixed in an editor meanwhile, the file is checked again on the same key.
    let again = Confirmed::CheckImport { path, on_conflict };
    ConfirmState { alternative: Some(switch), ..ConfirmState::new("Import: problems", message, "Recheck", again) }
}

fn name(on_conflict: OnConflict) -> &'static str {
    match on_conflict {
        OnConflict::Fail => "Refuse",
        OnConflict::Skip => "Skip",
        OnConflict::Update => "Update",
    }
}
