//! The audit trail: every operator change records its events in its own transaction (so a refused or failed change
//! records nothing), and `history` reads them back newest first, a page at a time.

use super::Service;
use crate::domain::audit::{Action, AuditEvent, Cursor, HistoryFilter, NewEvent, history_limit};
use crate::domain::user::Operator;
use crate::domain::{CodeId, ReferralCode};
use crate::error::Result;
use crate::store::audit::{self, Who};
use crate::store::layout::AuditSink;
use crate::store::{Tx, codes};
use serde::Serialize;
use std::collections::HashMap;

/// One page of the history, newest first, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<Cursor>,
}

impl Service {
    /// Why this database keeps no events (they go to the log file only), if it keeps none.
    pub fn audit_unavailable(&self) -> Option<&str> {
        match &self.db.layout().audit {
            AuditSink::LogOnly(why) => Some(why),
            _ => None,
        }
    }

    /// Records `events` as `operator`'s, from this service's face, in `tx`: the change's own transaction.
    pub(super) async fn record(&self, tx: &mut Tx, operator: &Operator, events: &[NewEvent]) -> Result<()> {
        self.record_as(tx, &self.who(operator), events).await
    }

    /// `operator` changing now from this service's face.
    pub(super) fn who(&self, operator: &Operator) -> Who {
        Who {
            operator_id: operator.user.id,
            operator: operator.user.email.to_lowercase(),
            face: self.options.face.as_str().to_string(),
            at: self.now(),
        }
    }

    /// Whether a bulk action's events are built from its codes in SQL ([`audit::record_bulk`],
    /// [`audit::delete_recorded`]): wherever the database keeps them, so that a hundred thousand events cost less
    /// than the action. Into the log file each event is built here and logged as it is.
    pub(super) fn records_in_bulk(&self) -> bool {
        self.record_audit && self.audit_unavailable().is_none()
    }

    /// Records the creation of the codes `ids` by the bulk action `bulk_id` as `operator`'s, an event per code
    /// holding its fields: built from the codes in SQL where the database keeps the trail
    /// ([`Self::records_in_bulk`]), else here from the codes read back, an event at a time.
    pub(super) async fn record_created(
        &self,
        tx: &mut Tx,
        operator: &Operator,
        (action, bulk_id): (Action, &str),
        ids: &[CodeId],
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        if self.records_in_bulk() {
            let who = self.who(operator);
            let now = who.at;
            audit::record_bulk(tx.exec(), &who, (action, bulk_id), ids, audit::Bulk::Created, now).await?;
            return Ok(());
        }
        if !self.record_audit {
            return Ok(());
        }
        let events: Vec<NewEvent> = codes::get_many(tx.exec(), ids)
            .await?
            .iter()
            .map(|c| NewEvent::of_code(action, c, crate::domain::audit::fields(c), Some(bulk_id)))
            .collect();
        self.record(tx, operator, &events).await
    }

    pub(super) async fn record_as(&self, tx: &mut Tx, who: &Who, events: &[NewEvent]) -> Result<()> {
        if events.is_empty() || !self.record_audit {
            return Ok(());
        }
        if let Some(why) = self.audit_unavailable() {
            // Nowhere in the database: the log file is the trail.
            for event in events {
                tracing::info!(
                    target: "refcodes::audit",
                    action = event.action,
                    code = event.code.as_deref().unwrap_or(""),
                    changes = %event.changes,
                    bulk_id = event.bulk_id.as_deref().unwrap_or(""),
                    by = who.operator,
                    face = who.face,
                    why,
                    "audit event"
                );
            }
            return Ok(());
        }
        audit::record(tx.exec(), who, events).await?;
        Ok(())
    }

    /// Who runs a bulk job and from where, kept with the job (`store::jobs`), so that a job another process
    /// finishes records its events as its owner would have.
    pub(super) fn job_audit(&self, operator: &Operator) -> String {
        serde_json::to_string(&self.who(operator)).expect("plain values serialise")
    }

    /// Deletes `ids` and their usage records in `tx`, recording the deletion as `who`'s (nothing when `who` is
    /// `None` or the service records none); returns how many codes and usage records went. A bulk delete into the
    /// database's trail records each code as it goes ([`audit::delete_recorded`]); otherwise each code's last
    /// state and usage records are read first and recorded once the codes are gone.
    pub(super) async fn delete_recorded(
        &self,
        tx: &mut Tx,
        who: Option<&Who>,
        ids: &[CodeId],
        bulk_id: Option<&str>,
    ) -> Result<(u64, u64)> {
        let Some(who) = who.filter(|_| self.record_audit) else { return Ok(codes::delete(tx.exec(), ids).await?) };
        if let (Some(bulk_id), true) = (bulk_id, self.records_in_bulk()) {
            return Ok(audit::delete_recorded(tx.exec(), who, bulk_id, ids).await?);
        }
        let gone = codes::get_many(tx.exec(), ids).await?;
        let records: HashMap<CodeId, i64> = codes::usage_counts(tx.exec(), ids).await?.into_iter().collect();
        let action = if bulk_id.is_some() { Action::BulkDeleted } else { Action::Deleted };
        let events: Vec<NewEvent> = gone
            .iter()
            .map(|code| {
                let state = crate::domain::audit::last_state(code, records.get(&code.id).copied().unwrap_or(0));
                NewEvent::of_code(action, code, state, bulk_id)
            })
            .collect();
        let deleted = codes::delete(tx.exec(), ids).await?;
        self.record_as(tx, who, &events).await?;
        Ok(deleted)
    }

    /// Events listed newest first: those `filter` picks that are older than `before` (from the newest with
    /// `None`), at most `limit` (1 to 10,000). Fast at millions of events: every filter has its index.
    pub async fn history(&self, filter: &HistoryFilter, before: Option<Cursor>, limit: u64) -> Result<HistoryPage> {
        let limit = history_limit(limit)?;
        let code = match &filter.code {
            Some(name) => {
                let name = super::codes::lookup_form(name);
                let id = self.get_code_by_string(&name).await?.map(|c: ReferralCode| c.id);
                Some((name, id))
            }
            None => None,
        };
        let operator = filter.operator.as_ref().map(|e| e.trim().to_lowercase());
        let actions: Vec<&'static str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        let query = audit::Query {
            code: code.as_ref().map(|(name, id)| (name.as_str(), *id)),
            since: self.window_start(filter.since)?,
            operator: operator.as_deref(),
            action: filter.action,
            actions: &actions,
            bulk_id: filter.bulk_id.as_deref().map(str::trim),
            before,
            // One more than asked tells whether another page follows.
            limit: limit + 1,
        };
        let mut events = audit::page(self.db.exec(), &query).await?;
        let more = events.len() as u64 > limit;
        events.truncate(limit as usize);
        let next = if more { events.last().map(AuditEvent::cursor) } else { None };
        Ok(HistoryPage { events, next })
    }
}

/// A new bulk action's id: a UUID (v7, so ids sort by time).
pub(super) fn new_bulk_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
