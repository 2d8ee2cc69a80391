//! The effects runner: each command runs on its own task against the service and answers with a message.
//! Nothing here waits in the input path; `update` drops answers that a newer request made stale.

use super::model::{BulkAction, Described, DetailData, Failure, StatsData};
use super::msg::{Cmd, Msg};
use crate::domain::audit::HistoryFilter;
use crate::domain::import::OnConflict;
use crate::domain::window::Since;
use crate::domain::{CodeFilter, CodeQuery, ErrorKind, QuickCount, Selection, SortField};
use crate::service::{ImportPlan, Service};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc::UnboundedSender;

/// Top codes and top beneficiaries the stats screen shows.
const STATS_ROWS: i64 = 50;

#[derive(Clone)]
pub struct Effects {
    service: Service,
    tx: UnboundedSender<Msg>,
    counted: Arc<Mutex<Counted>>,
    /// Whether the dashboard draws on this process's terminal (stdout), where copies go; not in tests and
    /// benchmarks, which draw on a `TestBackend`.
    terminal: bool,
}

/// The last count of codes the database gave, so pages of the same filter can be read from the nearer end of the
/// list (see [`Service::page_with_known_total`]). Writes of this dashboard forget it, from when they start until a
/// count that began after they ended; other writers' changes show in the next refresh's count, as in the list's.
#[derive(Debug, Default)]
struct Counted {
    /// Bumped when a write starts and when it ends.
    writes: u64,
    last: Option<(CodeFilter, i64)>,
}

impl Counted {
    fn lock(counted: &Mutex<Counted>) -> MutexGuard<'_, Counted> {
        counted.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn forget(counted: &Mutex<Counted>) {
        let mut c = Counted::lock(counted);
        c.writes += 1;
        c.last = None;
    }
}

/// Commands that change codes, and so their count.
fn writes_codes(cmd: &Cmd) -> bool {
    matches!(cmd, Cmd::Create { .. } | Cmd::Update { .. } | Cmd::Bulk { .. } | Cmd::ApplyImport { .. })
}

fn failure(err: crate::Error) -> Failure {
    Failure::from(&err)
}

impl Effects {
    pub fn new(service: Service, tx: UnboundedSender<Msg>) -> Effects {
        Effects { service, tx, counted: Arc::default(), terminal: false }
    }

    /// Copies go to this process's terminal from now on.
    pub fn on_terminal(&mut self) {
        self.terminal = true;
    }

    /// Starts a command; its answer arrives later on the channel.
    pub fn run(&self, cmd: Cmd) {
        if let Cmd::Copy { text } = cmd {
            // Written here, on the loop's thread between two frames, so the sequence never lands inside a frame.
            let result = self.copy(&text);
            let _ = self.tx.send(Msg::Copied { text, result });
            return;
        }
        let service = self.service.clone();
        let tx = self.tx.clone();
        let counted = Arc::clone(&self.counted);
        let writes = writes_codes(&cmd);
        if writes {
            Counted::forget(&counted);
        }
        let writes_at_start = Counted::lock(&counted).writes;
        tokio::spawn(async move {
            let msg = perform(&service, &counted, writes_at_start, &tx, cmd).await;
            if writes {
                Counted::forget(&counted);
            }
            // The dashboard may have quit meanwhile; then nobody needs the answer.
            let _ = tx.send(msg);
        });
    }
}

impl Effects {
    fn copy(&self, text: &str) -> Result<(), Failure> {
        if !self.terminal {
            return Err(Failure { kind: None, message: "No terminal to copy to".into(), fields: Vec::new() });
        }
        crossterm::execute!(std::io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text))
            .map_err(|e| Failure { kind: None, message: format!("Can't copy: {e}"), fields: Vec::new() })
    }
}

/// Runs one command to its answer; `early` takes what comes before it (an estimate before a count).
/// `writes_at_start` is [`Counted::writes`] when the command started: a count is kept only if no write of this
/// dashboard started or ended meanwhile.
async fn perform(
    service: &Service,
    counted: &Mutex<Counted>,
    writes_at_start: u64,
    early: &UnboundedSender<Msg>,
    cmd: Cmd,
) -> Msg {
    match cmd {
        Cmd::LoadPage { generation, page, query } => {
            let known = Counted::lock(counted).last.clone().filter(|(f, _)| *f == query.filter);
            let result = match known {
                Some((_, total)) => service.page_with_known_total(&query, total).await,
                None => service.page(&query).await,
            };
            Msg::Page { generation, page, result: result.map_err(failure) }
        }
        Cmd::LoadCount { generation, filter } => {
            let result = match service.count_quickly(&filter).await {
                Ok(QuickCount::Exact(total)) => Ok(total),
                Ok(QuickCount::About(about)) => {
                    let _ = early.send(Msg::CountEstimate { generation, about });
                    service.count_every(&filter).await
                }
                Err(e) => Err(e),
            };
            if let Ok(total) = result {
                let mut c = Counted::lock(counted);
                if c.writes == writes_at_start {
                    c.last = Some((filter, total));
                }
            }
            Msg::Count { generation, result: result.map_err(failure) }
        }
        Cmd::LoadHeader => Msg::Header(
            tokio::try_join!(service.get_config(), service.get_system_stats(), service.operator_is_admin())
                .map_err(failure),
        ),
        Cmd::Probe => Msg::Probed(service.change_mark().await.map_err(failure)),
        Cmd::LoadDetail { id, usage_limit, history_limit } => Msg::Detail {
            id,
            result: async {
                let row = service.get_code_row(id).await?;
                // The code's events by its name now (and its id, which outlives a rename).
                let filter = HistoryFilter { code: Some(row.code.code.clone()), ..HistoryFilter::default() };
                let (stats, usage, history) = tokio::try_join!(
                    service.get_usage_stats(id),
                    service.list_usage_for_code(id, 0, usage_limit),
                    service.history(&filter, None, history_limit)
                )?;
                Ok::<_, crate::Error>(DetailData { row, stats, usage, history })
            }
            .await
            .map_err(failure),
        },
        Cmd::LoadHistory { generation, filter, before } => Msg::History {
            generation,
            appended: before.is_some(),
            result: service.history(&filter, before, super::update::HISTORY_PAGE).await.map_err(failure),
        },
        Cmd::LoadStats { window } => Msg::Stats(
            async {
                let since = match window.since() {
                    Some(since) => since,
                    None => Since::Date(service.first_use_day().await?),
                };
                service.window_stats(since, STATS_ROWS).await
            }
            .await
            .map(|stats| StatsData { window, stats })
            .map_err(failure),
        ),
        Cmd::SearchUsers { generation, text } => Msg::Users {
            generation,
            result: service.search_users(&text, super::update::PICKER_RESULTS).await.map_err(failure),
        },
        Cmd::RandomCode => Msg::RandomCode(service.generate_unique_code().await.map_err(failure)),
        Cmd::Create { save, input } => Msg::Saved { save, result: service.create_code(&input).await.map_err(failure) },
        Cmd::Update { save, current, changes } => {
            match service.update_code_if_unchanged(&current, &changes).await {
                Err(err) if err.kind() == Some(ErrorKind::Conflict) => match service.get_code_row(current.id).await {
                    // The code is no longer as the form opened it: the form asks what to do.
                    Ok(theirs) if !current.changed_in(&theirs.code).is_empty() => Msg::SaveConflict { save, theirs },
                    _ => Msg::Saved { save, result: Err(failure(err)) },
                },
                result => Msg::Saved { save, result: result.map_err(failure) },
            }
        }
        Cmd::MarkRange { generation, query, total } => {
            let result = service.page_with_known_total(&query, total).await;
            Msg::RangeIds {
                generation,
                result: result.map(|rows| rows.into_iter().map(|r| r.code.id).collect()).map_err(failure),
            }
        }
        Cmd::Describe { token, action, selection, visible } => {
            let result = describe(service, &action, &selection, &visible).await.map_err(failure);
            Msg::Described { token, action, selection, result }
        }
        Cmd::Bulk { action, selection } => {
            let result = match action {
                BulkAction::Activate => service.set_status(&selection, true).await.map(|o| o.codes as i64),
                BulkAction::Deactivate => service.set_status(&selection, false).await.map(|o| o.codes as i64),
                BulkAction::Extend { seconds } => {
                    service.extend_expiry(&selection, chrono::Duration::seconds(seconds)).await.map(|o| o.codes as i64)
                }
                BulkAction::SetExpiry { at } => service.set_expiry(&selection, at).await.map(|o| o.codes as i64),
                BulkAction::SetMaxUses { max } => service.set_max_uses(&selection, max).await.map(|o| o.codes as i64),
                BulkAction::SetBeneficiary { ref user } => {
                    service.set_beneficiary(&selection, user.as_ref().map(|(id, _)| *id)).await.map(|o| o.codes as i64)
                }
                BulkAction::SetDescription { ref text } => {
                    service.set_description(&selection, text).await.map(|o| o.codes as i64)
                }
                BulkAction::Reactivate { seconds } => {
                    service.reactivate(&selection, chrono::Duration::seconds(seconds)).await.map(|o| o.codes as i64)
                }
                BulkAction::Delete => service.delete_codes(&selection).await.map(|d| d.codes),
            };
            Msg::BulkDone { action, selection, result: result.map_err(failure) }
        }
        Cmd::SetSetting { key, value } => Msg::SettingSaved(service.set_setting(key, &value).await.map_err(failure)),
        Cmd::CheckImport { token, path, on_conflict } => {
            let result = check_import(service, &path, on_conflict).await.map(|plan| plan.report);
            Msg::ImportChecked { token, path, on_conflict, result }
        }
        Cmd::ApplyImport { path, on_conflict, expected } => {
            let result = match check_import(service, &path, on_conflict).await {
                // What was confirmed is what is written; apply_import checks the rows once more as it writes.
                Ok(plan) if plan.report == *expected => service.apply_import(&plan).await.map_err(failure),
                Ok(plan) => Ok(plan.report),
                Err(failure) => Err(failure),
            };
            Msg::Imported { path, on_conflict, result }
        }
        Cmd::WakeAfter { after, wake } => {
            tokio::time::sleep(after).await;
            Msg::Wake(wake)
        }
        Cmd::Copy { .. } => unreachable!("Effects::run writes copies itself"),
    }
}

/// Reads the file at `path` and checks it as an import, writing nothing.
async fn check_import(service: &Service, path: &str, on_conflict: OnConflict) -> Result<ImportPlan, Failure> {
    let data = tokio::fs::read(path).await.map_err(|e| Failure {
        // The operator's input, not the database: the dashboard stays online.
        kind: Some(ErrorKind::Validation),
        message: format!("Can't read {path}: {e}"),
        fields: Vec::new(),
    })?;
    service.check_import(&data, on_conflict).await.map_err(failure)
}

/// Codes a question names before "and N more".
const NAMED: usize = 3;

/// A selection counted, with its first few codes to name.
async fn describe(
    service: &Service,
    action: &BulkAction,
    selection: &Selection,
    visible: &CodeFilter,
) -> crate::Result<Described> {
    let (tally, hidden) = service.describe_selection(selection, visible).await?;
    // Every selected code, loaded in the list or not: an activation warns of those it would leave Expired.
    let expired = if *action == BulkAction::Activate { service.count_expired(selection).await? } else { 0 };
    let first = match selection {
        Selection::Ids(ids) => {
            let mut names = Vec::new();
            for id in ids.iter().take(NAMED) {
                match service.get_code(*id).await {
                    Ok(code) => names.push(code.code),
                    // Deleted meanwhile: the count says so already.
                    Err(e) if e.kind() == Some(ErrorKind::CodeNotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            names
        }
        Selection::Matching(filter) => {
            let query = CodeQuery {
                filter: filter.clone(),
                sort: SortField::Code,
                descending: false,
                offset: 0,
                limit: NAMED as u64,
                ..CodeQuery::default()
            };
            service.page(&query).await?.into_iter().map(|row| row.code.code).collect()
        }
    };
    Ok(Described { tally, hidden, first, expired })
}
