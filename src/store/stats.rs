//! System-wide figures.

use crate::domain::stats::{SystemStats, TopCode};
use crate::store::Exec;
use chrono::{DateTime, Utc};

pub async fn system(exec: Exec<'_>, now: DateTime<Utc>) -> Result<SystemStats, sqlx::Error> {
    let sql = exec
        .sql(
            "SELECT count(*), COALESCE(sum(CASE WHEN status AND number_of_uses < max_uses \
             AND (expiration_date IS NULL OR expiration_date > ",
        )
        .and("", now)
        .then(
            ") THEN 1 ELSE 0 END), 0), COALESCE(sum(number_of_uses), 0), \
             COALESCE(sum(CASE WHEN number_of_uses > 0 THEN 1 ELSE 0 END), 0) FROM {codes}",
        );
    let (total_codes, active_codes, total_usage, codes_with_usage): (i64, i64, i64, i64) = exec.fetch_one(&sql).await?;
    Ok(SystemStats { total_codes, active_codes, total_usage, codes_with_usage })
}

/// The most used codes.
pub async fn top_codes(exec: Exec<'_>, limit: i64) -> Result<Vec<TopCode>, sqlx::Error> {
    let sql = exec
        .sql(
            "SELECT {code_key} AS id, code, description, number_of_uses, max_uses FROM {codes} \
             WHERE number_of_uses > 0 ORDER BY number_of_uses DESC, {code_key} LIMIT ",
        )
        .and("", limit);
    exec.fetch_all(&sql).await
}
