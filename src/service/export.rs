//! Exports: every code or usage record a filter picks, as a stream that an export writes as it reads.

use super::Service;
use crate::domain::stats::UsageRecord;
use crate::domain::window::{Since, Window};
use crate::domain::{CodeFilter, CodeRow, Refusal};
use crate::error::{Error, Result};
use crate::store::{codes, usage};
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};

impl Service {
    /// The codes `filter` matches, created in the window `since` names (as `stats --since` counts it), by key.
    pub fn export_codes(&self, filter: &CodeFilter, since: Option<Since>) -> Result<BoxStream<'_, Result<CodeRow>>> {
        let start = self.window_start(since)?;
        Ok(codes::stream_rows(self.db.exec(), filter, start, self.now()).map(|r| r.map_err(Error::from)).boxed())
    }

    /// The usage records of the codes `filter` matches, made in the window `since` names, by key.
    pub fn export_usage(
        &self,
        filter: &CodeFilter,
        since: Option<Since>,
    ) -> Result<BoxStream<'_, Result<UsageRecord>>> {
        let start = self.window_start(since)?;
        Ok(usage::stream_records(self.db.exec(), filter, start, self.now()).map(|r| r.map_err(Error::from)).boxed())
    }

    pub(super) fn window_start(&self, since: Option<Since>) -> Result<Option<DateTime<Utc>>> {
        since
            .map(|since| Window::new(since, self.now()).map(|w| w.start).map_err(|m| Refusal::field("since", m).into()))
            .transpose()
    }
}
