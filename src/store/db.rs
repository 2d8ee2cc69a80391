//! Opening the database named by a URL, learning what it is ([`Layout`]), and write transactions.

use crate::error::{Error, Result};
use crate::store::job_lock::{self, JobLock};
use crate::store::layout::{Backend, Layout, SchemaName};
use crate::store::waiting_writers;
use crate::store::{Exec, Sql, attach, nodelay};
use sqlx::postgres::PgRow;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqliteRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection, FromRow, PgConnection, PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long to wait for PostgreSQL to accept a first connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

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
    /// The PostgreSQL schema that holds the tables (`public` unless set).
    pub schema: Option<String>,
}

/// The connections of an open database.
#[derive(Debug, Clone)]
enum Pools {
    /// Reads share `pool`; write transactions take turns on `writer`, its one connection (see
    /// [`Db::begin_write`]).
    Sqlite {
        pool: SqlitePool,
        writer: SqlitePool,
        /// The lock file of bulk jobs (see [`job_lock`]).
        jobs: PathBuf,
        /// The file where writers say they wait (see [`waiting_writers`]).
        writers: PathBuf,
        /// One connection that only asks whether others wrote (see [`Db::change_mark`]).
        watcher: SqlitePool,
    },
    Postgres(PgPool),
}

/// An open database and what it holds.
#[derive(Debug, Clone)]
pub struct Db {
    layout: Arc<Layout>,
    pools: Pools,
    /// Opened read-only: asked for, or the URL says so (SQLite's `?mode=ro`).
    read_only: bool,
}

/// How long a read waits for a connection of SQLite's read pool: in effect, as long as this process's reads ahead of
/// it take (see `Db::connect`).
const READS_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// An open write transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    layout: Arc<Layout>,
    inner: TxInner,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn exec(&mut self) -> Exec<'_> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => Exec::SqliteConn(&self.layout, tx),
            TxInner::Postgres(tx) => Exec::PgConn(&self.layout, tx),
        }
    }

    /// SQLite: lets this connection keep up to `kib` KiB of pages in memory, for bulk writes whose indexes outgrow
    /// the default 2 MB (`None`: back to the default). PostgreSQL: nothing to do.
    pub async fn set_page_cache(&mut self, kib: Option<u32>) -> Result<()> {
        if let TxInner::Sqlite(_) = self.inner {
            let pages = kib.map_or(-2000, |k| -i64::from(k));
            let mut sql = Sql::new(&self.layout, "PRAGMA cache_size = ");
            sql.push_int(pages);
            self.exec().execute(&sql).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    /// Connects and learns what the database holds: a PhoenixKit database (PostgreSQL with
    /// `<schema>.phoenix_kit`), checked for every column refcodes needs, or refcodes' own schema.
    pub async fn connect(options: &ConnectOptions) -> Result<Db> {
        let url = options.url.trim();
        let schema = match &options.schema {
            Some(raw) => SchemaName::parse(raw).map_err(Error::Config)?,
            None => SchemaName::default(),
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect =
                PgConnectOptions::from_str(url).map_err(|e| Error::Config(format!("bad database URL: {e}")))?;
            let connect =
                if options.read_only { connect.options([("default_transaction_read_only", "on")]) } else { connect };
            let connect = connect.application_name("refcodes");
            // The pool retries a refused connection and "too many clients" until its acquire timeout, then says
            // only "pool timed out". One connection first, under a short timeout, lets the server's own words
            // through at once.
            let probe =
                tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&connect)).await.map_err(|_| {
                    Error::Database(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no answer from the server within {} s", CONNECT_TIMEOUT.as_secs()),
                    )))
                })??;
            probe.close().await?;
            let port = connect.get_port();
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .after_connect(move |_, _| {
                    Box::pin(async move {
                        nodelay::to_port(port);
                        Ok(())
                    })
                })
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
                .connect_with(connect)
                .await?;
            let mut layout = attach::detect(&pool, schema).await?;
            if layout.stats_cache && options.read_only {
                // Not migrated by this reader: the window sums' tables are there only if a writer made them.
                let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
                    .bind(layout.token("stats_window"))
                    .fetch_one(&pool)
                    .await?;
                layout.stats_cache = exists;
            }
            Ok(Db { layout: Arc::new(layout), pools: Pools::Postgres(pool), read_only: options.read_only })
        } else if url.starts_with("sqlite:") {
            if options.schema.as_deref().is_some_and(|s| s.trim() != SchemaName::DEFAULT) {
                return Err(Error::Config(
                    "a schema (--schema, REFCODES_DATABASE_SCHEMA or database.schema) applies to PostgreSQL only; \
                     SQLite has none"
                        .into(),
                ));
            }
            let parsed =
                SqliteConnectOptions::from_str(url).map_err(|e| Error::Config(format!("bad database URL: {e}")))?;
            if parsed.get_filename().as_os_str().is_empty() {
                // SQLite would open a private temporary database, and everything written would vanish.
                return Err(Error::Config(format!(
                    "the database URL {url} names no file: use sqlite://PATH, such as sqlite:///var/lib/refcodes.db"
                )));
            }
            // `?mode=ro` (or `immutable=1`) in the URL is read-only as much as --read-only is.
            let lossy = parsed.to_url_lossy();
            let url_read_only = lossy.query_pairs().any(|(k, v)| (k == "mode" && v == "ro") || k == "immutable");
            let read_only = options.read_only || url_read_only;
            let connect = parsed
                .create_if_missing(!read_only)
                .read_only(read_only)
                .foreign_keys(true)
                // For filters without case beyond A-Z (see `Sql::push_contains`).
                .with_regexp()
                .busy_timeout(options.busy_timeout);
            if !read_only && connect.get_filename().exists() {
                // Before anything writes to the file (even the switch to WAL): another application's file is left
                // exactly as it was.
                let mut probe = connect.clone().read_only(true).connect().await?;
                let ours = crate::store::migrate::ensure_sqlite_is_ours(&mut probe).await;
                probe.close().await?;
                ours?;
            }
            let connect = if read_only {
                // Setting the journal mode is a write, so a reader leaves it as the file has it. A WAL file can't
                // be read where its `-shm` can't be created (a directory the reader may not write): then it is
                // opened immutable, which reads without locks or shared memory, at the price of not noticing
                // writes that other processes make while it is open.
                let writable = directory_writable(connect.get_filename());
                connect.immutable(!writable)
            } else {
                connect.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal)
            };
            // The pool pings a connection before handing it out, to catch one the server dropped. A SQLite
            // connection lives in this process and can't be dropped like that, and the ping is a round trip to its
            // worker thread, paid by every query and transaction.
            //
            // A read connection is waited for only by this process's other reads (readers don't lock each other
            // out, and a file that can't be opened fails at once), so a read waits its turn however long the one
            // before takes: a command has one connection, and `stats` of a year at 8 million records, its queries
            // side by side, ended with "pool timed out" behind a 9-second one.
            let pool = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .test_before_acquire(false)
                .acquire_timeout(READS_WAIT)
                .connect_with(connect.clone())
                .await?;
            // SQLite lets one transaction write at a time. Writers of this process that each hold a connection
            // wait for the lock in SQLite's busy handler, which sleeps and retries: CPU spent on polling and, under
            // load, waits of a second or more for one redemption. On one connection they queue in order instead,
            // and only writers of other processes meet the busy timeout. Waiting for it longer than the busy
            // timeout fails the same way as waiting for the lock would.
            let (jobs, writers) =
                (job_lock::path_for(connect.get_filename()), waiting_writers::path_for(connect.get_filename()));
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(options.busy_timeout)
                .connect_lazy_with(connect.clone());
            // SQLite counts other connections' commits per connection, so the watcher is one connection kept
            // open for as long as the database is.
            let watcher = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with(connect);
            let mut layout = Layout::new(Backend::Sqlite, schema, crate::store::layout::Mode::Standalone);
            if read_only {
                // Not migrated by this reader: the jobs' tables, the window sums' and the audit trail's (its
                // newest table, that of bulk actions' codes) are there only if a writer made them.
                let (has_jobs, sums, audited): (bool, bool, bool) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refcodes_jobs'), \
                     EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refcodes_stats_window'), \
                     EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refcodes_audit_codes')",
                )
                .fetch_one(&pool)
                .await?;
                (layout.bulk_jobs, layout.stats_cache) = (has_jobs, sums);
                if !audited {
                    layout.audit = crate::store::layout::AuditSink::LogOnly(
                        "this file was made by an older refcodes and opened read-only, so its audit trail is not in the \
                         shape this one reads; open it writable once to bring it up to date"
                            .into(),
                    );
                }
            }
            Ok(Db {
                layout: Arc::new(layout),
                pools: Pools::Sqlite { pool, writer, jobs, writers, watcher },
                read_only,
            })
        } else {
            Err(Error::Config(format!(
                "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DB",
                mask_url(url)
            )))
        }
    }

    /// Creates or updates refcodes' own schema. A PhoenixKit database is never changed in structure: nothing to do.
    pub async fn migrate(&self) -> Result<()> {
        if self.layout.is_phoenix_kit() {
            return Ok(());
        }
        match &self.pools {
            Pools::Sqlite { pool, .. } => crate::store::migrate::sqlite(pool).await,
            Pools::Postgres(pool) => crate::store::migrate::postgres(pool, &self.layout.schema).await,
        }
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    pub fn exec(&self) -> Exec<'_> {
        match &self.pools {
            Pools::Sqlite { pool, .. } => Exec::SqlitePool(&self.layout, pool),
            Pools::Postgres(pool) => Exec::PgPool(&self.layout, pool),
        }
    }

    /// Begins a transaction that will write. On SQLite it runs on the one writer connection and takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so two writers of other processes queue on the busy timeout instead of
    /// failing when one upgrades a read lock.
    pub async fn begin_write(&self) -> Result<Tx> {
        let inner = match &self.pools {
            Pools::Sqlite { writer, writers, .. } => {
                let _waiting = waiting_writers::announce(writers);
                TxInner::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await.map_err(|e| busy(e, writer))?)
            }
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx { layout: Arc::clone(&self.layout), inner })
    }

    /// SQLite only: runs `script` as one write transaction and returns its rows, in one round trip to the writer
    /// connection (its statements, each writing all or nothing, under one `BEGIN IMMEDIATE ... COMMIT`). Each
    /// round trip to a SQLite connection's thread is a hand-off and a wake-up both ways, which cost a redemption
    /// sent as BEGIN, two statements and COMMIT most of its time on the writer.
    ///
    /// A future dropped part way (its task cancelled) closes the connection instead of returning it to the pool:
    /// the script's transaction may be open on it, and closing makes SQLite roll it back and release the lock.
    pub async fn write_script<T>(&self, script: &Sql) -> Result<Vec<T>>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let Pools::Sqlite { writer, writers, .. } = &self.pools else {
            unreachable!("scripts of several statements are written on SQLite only");
        };
        let _waiting = waiting_writers::announce(writers);
        let mut guard = Unfinished { conn: writer.acquire().await.map_err(|e| busy(e, writer))?, finished: false };
        let script = script.framed("BEGIN IMMEDIATE; ", "; COMMIT");
        let result = Exec::SqliteConn(&self.layout, &mut guard.conn).fetch_all(&script).await;
        guard.finished = true;
        match result {
            Ok(rows) => Ok(rows),
            Err(e) => {
                let e = busy(e, writer);
                // Stopped part way: end the transaction, if it began, before the connection serves another write.
                // ROLLBACK fails when none is open (BEGIN itself failed); as that can't be told from a broken
                // connection, the connection is then closed and the pool opens another.
                if sqlx::raw_sql("ROLLBACK").execute(&mut *guard.conn).await.is_err() {
                    guard.conn.close_on_drop();
                }
                Err(e)
            }
        }
    }

    /// SQLite: the bulk job lock if no one holds it (`None` on PostgreSQL, which runs no jobs).
    pub fn try_job_lock(&self) -> Result<Option<JobLock>> {
        match &self.pools {
            Pools::Sqlite { jobs, .. } => job_lock::try_lock(jobs),
            Pools::Postgres(_) => Ok(None),
        }
    }

    /// SQLite: whether a writer of any process waits for the write lock (see [`waiting_writers`]).
    pub fn writers_waiting(&self) -> bool {
        match &self.pools {
            Pools::Sqlite { writers, .. } => waiting_writers::any(writers),
            Pools::Postgres(_) => false,
        }
    }

    /// SQLite: the bulk job lock, waiting for a running job as long as for the write lock.
    pub async fn job_lock(&self) -> Result<JobLock> {
        let Pools::Sqlite { writer, jobs, .. } = &self.pools else {
            unreachable!("bulk jobs run on SQLite only");
        };
        job_lock::lock(jobs, writer.options().get_acquire_timeout()).await
    }

    /// A mark that differs from an earlier one when the data refcodes shows may have changed in between, by any
    /// writer: for watching a database at the cost of one tiny query instead of reloading it (the dashboard at
    /// rest). SQLite: the watcher connection's `data_version`, which counts every other connection's commits (a
    /// file opened immutable, read-only in a directory it can't write, never moves it). PostgreSQL: see
    /// [`crate::store::changes::mark`].
    pub async fn change_mark(&self) -> Result<String> {
        match &self.pools {
            Pools::Sqlite { watcher, .. } => {
                let (version,): (i64,) = sqlx::query_as("PRAGMA data_version").fetch_one(watcher).await?;
                Ok(version.to_string())
            }
            Pools::Postgres(_) => Ok(crate::store::changes::mark(self.exec()).await?),
        }
    }

    /// SQLite: keeps the page caches of every connection in this process within `bytes` together, recycling the
    /// least recently used pages past it (`PRAGMA soft_heap_limit`, which is process-wide). Each connection would
    /// otherwise fill its own 2 MB as it reads a large file, and the dashboard keeps ten. And each read connection
    /// opened from now on keeps at most `statements` prepared statements instead of sqlx's 100. PostgreSQL:
    /// nothing to do (its caches are the server's).
    pub async fn keep_memory_low(&self, bytes: u64, statements: usize) -> Result<()> {
        if let Pools::Sqlite { pool, .. } = &self.pools {
            let mut sql = Sql::new(&self.layout, "PRAGMA soft_heap_limit = ");
            sql.push_int(i64::try_from(bytes).unwrap_or(i64::MAX));
            Exec::SqlitePool(&self.layout, pool).execute(&sql).await?;
            pool.set_connect_options((*pool.connect_options()).clone().statement_cache_capacity(statements));
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { pool, writer, watcher, .. } => {
                watcher.close().await;
                writer.close().await;
                pool.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

/// The writer connection while a script runs on it; see [`Db::write_script`].
struct Unfinished {
    conn: sqlx::pool::PoolConnection<Sqlite>,
    finished: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.close_on_drop();
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

/// Whether this process may create files (SQLite's `-shm` and `-wal`) next to the database file.
fn directory_writable(file: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let Ok(dir) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: `dir` is a NUL-terminated path that outlives the call; access() only reads it.
    unsafe { libc::access(dir.as_ptr(), libc::W_OK) == 0 }
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
    use super::*;

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

    /// Every connection to PostgreSQL has Nagle's algorithm off (see `nodelay`).
    #[tokio::test]
    async fn postgres_connections_send_at_once() {
        let Ok(url) = std::env::var("REFCODES_TEST_POSTGRES_URL") else { return };
        let options = ConnectOptions {
            url: url.clone(),
            max_connections: 3,
            busy_timeout: Duration::from_secs(5),
            read_only: true,
            schema: None,
        };
        let db = Db::connect(&options).await.unwrap();
        let Pools::Postgres(pool) = &db.pools else { unreachable!("a PostgreSQL URL") };
        let mut held = Vec::new();
        for _ in 0..options.max_connections {
            held.push(pool.acquire().await.unwrap());
        }
        let port = PgConnectOptions::from_str(&url).unwrap().get_port();
        let sockets = nodelay::connected_to(port);
        assert!(sockets.len() >= 3, "the pool's three connections at least: {sockets:?}");
        assert!(sockets.iter().all(|(_, on)| *on), "{sockets:?}");
    }

    /// The cap is SQLite's process-wide limit, seen from any connection, and reads go on under it; a read
    /// connection opened after it keeps no more prepared statements than asked.
    #[tokio::test]
    async fn keeping_memory_low_caps_the_page_caches_and_the_statements_kept() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cap.db").display());
        let options = ConnectOptions {
            url: url.clone(),
            max_connections: 4,
            busy_timeout: Duration::from_secs(5),
            read_only: false,
            schema: None,
        };
        let db = Db::connect(&options).await.unwrap();
        db.migrate().await.unwrap();
        db.keep_memory_low(3 << 20, 4).await.unwrap();
        let Pools::Sqlite { pool, .. } = &db.pools else { unreachable!("a SQLite file") };
        // Those opened by the migration keep sqlx's default; in which order the pool hands them out is its own.
        let opened_before = pool.size() as usize;
        assert!(opened_before < options.max_connections as usize, "room for new connections");
        let mut other = SqliteConnectOptions::from_str(&url).unwrap().connect().await.unwrap();
        let (limit,): (i64,) = sqlx::query_as("PRAGMA soft_heap_limit").fetch_one(&mut other).await.unwrap();
        assert_eq!(limit, 3 << 20);
        let sql = Sql::new(db.layout(), "SELECT count(*) FROM {codes}");
        let (codes,): (i64,) = db.exec().fetch_one(&sql).await.unwrap();
        assert_eq!(codes, 0);
        // Every connection the pool may open, so some of them are new.
        let mut held = Vec::new();
        for _ in 0..options.max_connections {
            held.push(pool.acquire().await.unwrap());
        }
        let mut kept = Vec::new();
        for conn in &mut held {
            for n in 0..10 {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {n}"))).fetch_one(&mut **conn).await.unwrap();
            }
            kept.push(conn.cached_statements_size());
        }
        let capped = kept.iter().filter(|k| **k == 4).count();
        assert_eq!(
            capped,
            options.max_connections as usize - opened_before,
            "each new connection keeps four of the ten statements it ran: {kept:?}"
        );
    }
}
