//! refcodes' own schema: created on an empty database, brought up to date on one that is already refcodes', and
//! never laid over another application's tables.

use crate::error::{Error, Result};
use crate::store::layout::SchemaName;
use sqlx::{AssertSqlSafe, PgPool, SqliteConnection, SqlitePool};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The table in which sqlx records the migrations it applied: its presence marks a refcodes database.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Refuses a SQLite file that holds another application's tables. Run on a connection that changes nothing
/// (read-only, journal mode as the file has it) before the pool that switches the file to WAL opens it.
pub async fn ensure_sqlite_is_ours(conn: &mut SqliteConnection) -> Result<()> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(conn)
    .await?;
    ensure_ours(tables.into_iter().map(|(t,)| t).collect(), "this SQLite file")
}

/// Migrates a SQLite file that [`ensure_sqlite_is_ours`] accepted.
pub async fn sqlite(pool: &SqlitePool) -> Result<()> {
    SQLITE_MIGRATIONS.run(pool).await?;
    Ok(())
}

/// Migrates the tables in `schema` (created when missing). The migrations name their tables without a schema, so
/// they run on a connection whose search path is that schema alone; the connection is closed afterwards.
pub async fn postgres(pool: &PgPool, schema: &SchemaName) -> Result<()> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1",
    )
    .bind(schema.as_str())
    .fetch_all(pool)
    .await?;
    ensure_ours(tables.into_iter().map(|(t,)| t).collect(), &format!("schema {schema}"))?;
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    let quoted = schema.quoted();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {quoted}; SET search_path TO {quoted}")))
        .execute(&mut *conn)
        .await?;
    POSTGRES_MIGRATIONS.run(&mut *conn).await?;
    Ok(())
}

/// Migrating is only for an empty database or one whose tables refcodes made.
fn ensure_ours(tables: Vec<String>, place: &str) -> Result<()> {
    if tables.is_empty() || tables.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Ok(());
    }
    let shown: Vec<&str> = tables.iter().take(3).map(String::as_str).collect();
    Err(Error::Schema(format!(
        "{place} holds tables of another application ({}{}) and no refcodes schema, so refcodes changed nothing; \
         point it at an empty database{}",
        shown.join(", "),
        if tables.len() > shown.len() { ", ..." } else { "" },
        if place.starts_with("schema") { " or another schema (--schema NAME)" } else { " or a new file" },
    )))
}
