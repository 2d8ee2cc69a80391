//! `doctor`: what the database is and what is odd in its data; the counters recounted; the indexes that would
//! make a PhoenixKit database fast.

use super::Service;
use crate::domain::audit::{Action, NewEvent};
use crate::domain::doctor::{Diagnosis, FindingKind};
use crate::error::Result;
use crate::store::doctor;
use crate::store::layout::{Backend, Mode};
use serde::Serialize;

/// An index `doctor --indexes` suggests, for the database's owner to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedIndex {
    pub name: String,
    /// The statement, with a comment line saying what it speeds up.
    pub statement: String,
    pub exists: bool,
}

impl Service {
    /// What the database is (mode, PhoenixKit version and generation, schema) and what is odd in its data. Reads
    /// only.
    pub async fn diagnose(&self) -> Result<Diagnosis> {
        let layout = self.db.layout();
        let (mode, phoenixkit_version, generation) = match layout.mode {
            Mode::Standalone => ("standalone", None, None),
            Mode::PhoenixKit { version, generation } => ("phoenixkit", Some(version), Some(generation.as_str())),
        };
        let schema = (layout.backend == Backend::Postgres).then(|| layout.schema.to_string());
        // In the order of `FindingKind::ALL`; each is a scan of a table, so each is a step of the progress.
        let progress = self.progress();
        progress.start("checking the data", Some(FindingKind::ALL.len() as u64));
        let mut findings = Vec::new();
        for kind in FindingKind::ALL {
            findings.extend(doctor::finding(self.db.exec(), kind).await?);
            progress.advance(1);
        }
        progress.finish();
        Ok(Diagnosis { mode, phoenixkit_version, generation, schema, findings })
    }

    /// Sets every code's `number_of_uses` to the count of its usage records, in one transaction; returns how many
    /// codes changed. Admins only.
    pub async fn fix_counters(&self) -> Result<u64> {
        let (mut tx, operator) = self.begin_admin_write().await?;
        let changed = doctor::recount_all(tx.exec()).await?;
        if changed > 0 {
            let event = NewEvent::of_module(Action::CountersFixed, serde_json::json!({"codes": changed}));
            self.record(&mut tx, &operator, &[event]).await?;
        }
        tx.commit().await?;
        tracing::info!(codes = changed, by = %operator.user.email, "recounted number_of_uses");
        Ok(changed)
    }

    /// The indexes that would make the dashboard fast on a PhoenixKit database, and which exist already. refcodes'
    /// own schema has its indexes: none to suggest.
    pub async fn suggested_indexes(&self) -> Result<Vec<SuggestedIndex>> {
        if !self.is_phoenix_kit() {
            return Ok(Vec::new());
        }
        let suggested = doctor::suggested_indexes(self.db.layout());
        let names: Vec<String> = suggested.iter().map(|(name, _)| name.clone()).collect();
        let existing = doctor::existing_indexes(self.db.exec(), &names).await?;
        Ok(suggested
            .into_iter()
            .map(|(name, statement)| SuggestedIndex { exists: existing.contains(&name), name, statement })
            .collect())
    }
}
