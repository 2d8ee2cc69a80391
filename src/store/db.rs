//! Opening the database named by a URL, migrating it, and write transactions.

use crate::error::{Error, Result};
use crate::store::{Exec, Sql};
use sqlx::postgres::PgRow;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqliteRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Connection, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Case-insensitive LIKE.
    pub fn ilike(self) -> &'static str {
        match self {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        }
    }

    /// The UTC day (`YYYY-MM-DD` text) of a timestamp column.
    pub fn day_of(self, column: &str) -> String {
        match self {
            Backend::Sqlite => format!("substr({column}, 1, 10)"),
            Backend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        }
    }

    /// `column IN (...)` over one JSON array bound at `param` (`$n`), so a list of any length is one argument and
    /// a bulk action one statement. `ints` says the items are ids.
    pub fn in_json_array(self, column: &str, param: &str, ints: bool) -> String {
        match self {
            Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each({param}))"),
            Backend::Postgres => {
                let items = format!("jsonb_array_elements_text(CAST({param} AS jsonb))");
                if ints {
                    format!("{column} IN (SELECT ({items})::bigint)")
                } else {
                    format!("{column} IN (SELECT {items})")
                }
            }
        }
    }

    /// The later of `column` and the time at `now_param`, plus `seconds_param` seconds, at most the last instant of
    /// the year 9999 (the latest expiration allowed); NULL stays NULL.
    pub fn extend_time(self, column: &str, now_param: &str, seconds_param: &str) -> String {
        match self {
            // strftime gives NULL past 9999, which would read as "never expires".
            Backend::Sqlite => format!(
                "CASE WHEN {column} IS NULL THEN NULL ELSE COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', \
                 max({column}, {now_param}), '+' || {seconds_param} || ' seconds'), '9999-12-31T23:59:59.999Z') END"
            ),
            // GREATEST skips NULLs, so a code that never expires must be kept out explicitly.
            Backend::Postgres => format!(
                "CASE WHEN {column} IS NULL THEN NULL \
                 ELSE LEAST(GREATEST({column}, {now_param}) + make_interval(secs => {seconds_param}), \
                 TIMESTAMPTZ '9999-12-31 23:59:59.999+00') END"
            ),
        }
    }
}

/// A PostgreSQL connection idle this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout: Duration,
    /// Open sessions that refuse writes, a second wall behind the service's own checks.
    pub read_only: bool,
}

/// An open database.
#[derive(Debug, Clone)]
pub enum Db {
    /// Reads share `pool`; write transactions take turns on `writer`, its one connection (see
    /// [`Db::begin_write`]).
    Sqlite {
        pool: SqlitePool,
        writer: SqlitePool,
    },
    Postgres(PgPool),
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(tx) => Exec::SqliteConn(tx),
            Tx::Postgres(tx) => Exec::PgConn(tx),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// SQLite: lets this connection keep up to `kib` KiB of pages in memory, for bulk writes whose indexes outgrow
    /// the default 2 MB (`None`: back to the default). PostgreSQL: nothing to do.
    pub async fn set_page_cache(&mut self, kib: Option<u32>) -> Result<()> {
        if let Tx::Sqlite(tx) = self {
            let pages = kib.map_or(-2000, |k| -i64::from(k));
            sqlx::raw_sql(AssertSqlSafe(format!("PRAGMA cache_size = {pages}"))).execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    pub async fn connect(options: &ConnectOptions) -> Result<Db> {
        let url = options.url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| Error::Config(format!("bad database URL: {e}")))?;
            let connect =
                if options.read_only { connect.options([("default_transaction_read_only", "on")]) } else { connect };
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                // The pool's own check pings every connection before handing it out: one more round trip to the
                // server per transaction. Connections die while they sit idle (server restarts, idle timeouts,
                // middleboxes), so only those idle for a while are pinged; a broken one is closed and replaced
                // as before.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_IF_IDLE_FOR {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect.application_name("refcodes"))
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::Config(format!("bad database URL: {e}")))?
                .create_if_missing(!options.read_only)
                .read_only(options.read_only)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(options.busy_timeout);
            // The pool pings a connection before handing it out, to catch one the server dropped. A SQLite
            // connection lives in this process and can't be dropped like that, and the ping is a round trip to its
            // worker thread, paid by every query and transaction.
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .test_before_acquire(false)
                .acquire_timeout(options.busy_timeout.max(Duration::from_secs(10)))
                .connect_with(connect.clone())
                .await?;
            // SQLite lets one transaction write at a time. Writers of this process that each hold a connection
            // wait for the lock in SQLite's busy handler, which sleeps and retries: CPU spent on polling and, under
            // load, waits of a second or more for one redemption. On one connection they queue in order instead,
            // and only writers of other processes meet the busy timeout. Waiting for it longer than the busy
            // timeout fails the same way as waiting for the lock would.
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(options.busy_timeout)
                .connect_lazy_with(connect);
            Ok(Db::Sqlite { pool, writer })
        } else {
            Err(Error::Config(format!(
                "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DB",
                mask_url(url)
            )))
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn exec(&self) -> Exec<'_> {
        match self {
            Db::Sqlite { pool, .. } => Exec::SqlitePool(pool),
            Db::Postgres(pool) => Exec::PgPool(pool),
        }
    }

    /// Begins a transaction that will write. On SQLite it runs on the one writer connection and takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so two writers of other processes queue on the busy timeout instead of
    /// failing when one upgrades a read lock.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { writer, .. } => {
                Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await.map_err(|e| busy(e, writer))?)
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs `script` as one write transaction and returns its rows. On SQLite, whose queries may hold several
    /// statements that by themselves write all or nothing, in one round trip to the writer connection: each round
    /// trip to a SQLite connection's thread is a hand-off and a wake-up both ways, which cost a redemption sent as
    /// BEGIN, two statements and COMMIT most of its time on the writer. PostgreSQL takes one statement.
    ///
    /// Run it to the end (the redeemer does, in a task of its own): on SQLite the transaction is the script's own,
    /// so a future dropped part way could leave it open on the writer connection until the next write's ROLLBACK.
    pub async fn write_at_once<T>(&self, script: &Sql) -> Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let Db::Sqlite { writer, .. } = self else {
            let mut tx = self.begin_write().await?;
            let rows = tx.exec().fetch_all(script).await?;
            tx.commit().await?;
            return Ok(rows);
        };
        let mut conn = writer.acquire().await.map_err(|e| busy(e, writer))?;
        let script = script.framed("BEGIN IMMEDIATE; ", "; COMMIT");
        match Exec::SqliteConn(&mut conn).fetch_all(&script).await {
            Ok(rows) => Ok(rows),
            Err(e) => {
                let e = busy(e, writer);
                // Stopped part way: end the transaction, if it began, before the connection serves another write.
                // ROLLBACK fails when none is open (BEGIN itself failed); as that can't be told from a broken
                // connection, the connection is then closed and the pool opens another.
                if sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.is_err() {
                    conn.close_on_drop();
                }
                Err(e)
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { pool, writer } => {
                writer.close().await;
                pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// A wait for the writer connection past the busy timeout, and SQLite's own wait for its write lock past it
/// (`SQLITE_BUSY`, held by another process), mean the same: other writes kept the database busy.
fn busy(e: sqlx::Error, writer: &SqlitePool) -> Error {
    let timed_out = match &e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5),
        _ => false,
    };
    if timed_out { Error::Busy(writer.options().get_acquire_timeout().as_millis() as u64) } else { e.into() }
}

/// The URL with any password replaced by `****`, for showing to people and logs.
pub fn mask_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            let user = userinfo.split_once(':').map_or(userinfo.to_string(), |(user, _)| format!("{user}:****"));
            out = format!("{scheme}://{user}@{host}{tail}");
        }
    }
    // A password can also come as a query parameter.
    if let Some(i) = out.find("password=") {
        let start = i + "password=".len();
        let end = out[start..].find('&').map_or(out.len(), |j| start + j);
        out.replace_range(start..end, "****");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_url;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(mask_url("postgres://bob:s3cr%40t@db:5432/app"), "postgres://bob:****@db:5432/app");
        assert_eq!(mask_url("postgres://bob@db/app"), "postgres://bob@db/app");
        assert_eq!(
            mask_url("postgres://db/app?user=x&password=hunter2&ssl=1"),
            "postgres://db/app?user=x&password=****&ssl=1"
        );
        assert_eq!(mask_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
        assert_eq!(mask_url("postgres://a:b@c@host/db"), "postgres://a:****@host/db");
    }
}
