//! Test harness for the service layer: a fresh database per test (SQLite always; PostgreSQL and the PhoenixKit
//! shapes when `REFCODES_TEST_POSTGRES_URL` is set), services acting as an Owner, an Admin or a plain user on a
//! fixed clock, [`both!`] to run one test body on refcodes' own schema on both backends, and [`every!`] to run it
//! on those and on every PhoenixKit shape too.
//!
//! Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod phoenix_kit;

pub use phoenix_kit::{Shape, database_url};

use chrono::{DateTime, TimeZone, Utc};
use refcodes::domain::draft::CodeInput;
use refcodes::domain::expiry::Expiration;
use refcodes::domain::settings::SystemConfig;
use refcodes::domain::stats::{SystemStats, UsageRecord};
use refcodes::domain::user::{Role, User, UserWithRole};
use refcodes::domain::{CodeId, ErrorKind, Key, ReferralCode, Refusal, UserId};
use refcodes::service::{ManualClock, NewUserInput, ServiceOptions};
use refcodes::{Error, Service};
use sqlx::{AssertSqlSafe, Connection};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::Duration;
use tempfile::TempDir;

/// The environment variable naming a PostgreSQL server (any database on it) the tests may create databases on.
pub const POSTGRES_ENV: &str = "REFCODES_TEST_POSTGRES_URL";

pub const OWNER_EMAIL: &str = "owner@example.com";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PLAIN_EMAIL: &str = "user@example.com";

/// The instant every test's clock starts at.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

/// Runs `$body(&TestDb)` as two tests, `$name::sqlite` and `$name::postgres`. The PostgreSQL one prints a skip
/// line and passes when no server is configured. Test files say `#[macro_use] mod common;`.
#[allow(unused_macros)]
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite().await;
                super::$body(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::common::TestDb::postgres().await else {
                    eprintln!("skipped {}::postgres: {} is not set", stringify!($name), $crate::common::POSTGRES_ENV);
                    return;
                };
                super::$body(&db).await;
            }
        }
    };
}

/// Runs `$body(&TestDb)` as [`both!`] does and on every PhoenixKit [`Shape`] (`$name::pk_v39`, ...), each a fresh
/// copy of its fixture whose referral data, settings and users other than the Owner are cleared first (see
/// [`TestDb::harness`]).
#[allow(unused_macros)]
macro_rules! every {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite().await;
                super::$body(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::common::TestDb::postgres().await else {
                    eprintln!("skipped {}::postgres: {} is not set", stringify!($name), $crate::common::POSTGRES_ENV);
                    return;
                };
                super::$body(&db).await;
            }

            $crate::common::every!(@pk $body, pk_v39, V39);
            $crate::common::every!(@pk $body, pk_v60, V60);
            $crate::common::every!(@pk $body, pk_v60_single_shot, V60SingleShot);
            $crate::common::every!(@pk $body, pk_v180, V180);
            $crate::common::every!(@pk $body, pk_v180_auth, V180Auth);
        }
    };
    (@pk $body:ident, $test:ident, $shape:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            let Some(db) = $crate::common::TestDb::phoenix_kit($crate::common::Shape::$shape).await else {
                eprintln!("skipped {}: {} is not set", stringify!($test), $crate::common::POSTGRES_ENV);
                return;
            };
            super::$body(&db).await;
        }
    };
}
#[allow(unused_imports)]
pub(crate) use every;

/// Runs `$body(&TestDb)` on every PhoenixKit [`Shape`] alone, each a fresh copy of its fixture with its data as
/// the fixture has it.
#[allow(unused_macros)]
macro_rules! pk_shapes {
    ($name:ident, $body:ident) => {
        mod $name {
            $crate::common::every!(@pk $body, v39, V39);
            $crate::common::every!(@pk $body, v60, V60);
            $crate::common::every!(@pk $body, v60_single_shot, V60SingleShot);
            $crate::common::every!(@pk $body, v180, V180);
            $crate::common::every!(@pk $body, v180_auth, V180Auth);
        }
    };
}
#[allow(unused_imports)]
pub(crate) use pk_shapes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    PhoenixKit(Shape),
}

/// A fresh, empty database that lives as long as this value.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<TempDir>,
    pg: Option<PgDatabase>,
}

/// Connections the services of one process's tests may hold on the PostgreSQL server at once: the largest pool a
/// test asks for (64 clients), below the usual `max_connections = 100` with room for what is not counted here: each
/// running test's own connections for checks, and the connections that create and drop databases.
static PG_CONNECTIONS: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| Arc::new(tokio::sync::Semaphore::new(64)));

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new().prefix("refcodes-test-").tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("refcodes.db").display());
        TestDb { url, backend: Backend::Sqlite, _dir: Some(dir), pg: None }
    }

    /// A new database on the server of `REFCODES_TEST_POSTGRES_URL`, dropped with this value; `None` without it.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.trim().is_empty())?;
        let pg = PgDatabase::create(admin_url.trim(), None).await;
        Some(TestDb { url: pg.url.clone(), backend: Backend::Postgres, _dir: None, pg: Some(pg) })
    }

    /// A fresh copy of a PhoenixKit fixture on that server, with its data as the fixture has it; `None` without it.
    pub async fn phoenix_kit(shape: Shape) -> Option<TestDb> {
        let admin_url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.trim().is_empty())?;
        let pg = PgDatabase::create(admin_url.trim(), Some(shape)).await;
        Some(TestDb { url: pg.url.clone(), backend: Backend::PhoenixKit(shape), _dir: None, pg: Some(pg) })
    }

    pub fn shape(&self) -> Option<Shape> {
        match self.backend {
            Backend::PhoenixKit(shape) => Some(shape),
            _ => None,
        }
    }

    /// The schema refcodes must be told to use (`None`: its default).
    pub fn schema(&self) -> Option<&'static str> {
        self.shape().map(Shape::schema).filter(|s| *s != "public")
    }

    /// Test SQL with the key columns of this database's generation: `{code_key}`, `{code_ref}`, `{used_by}`,
    /// `{user_key}`, `{role_key}`, `{a_user}`, `{a_role}`, `{created_by}`, `{beneficiary}` become `id`, `code_id`, ... or `uuid`, `code_uuid`, ...
    pub fn sql(&self, text: &str) -> String {
        let uuid = self.shape().is_some_and(Shape::uuid_keys);
        let pick = |int: &'static str, uuid_name: &'static str| if uuid { uuid_name } else { int };
        text.replace("{code_key}", pick("id", "uuid"))
            .replace("{user_key}", pick("id", "uuid"))
            .replace("{role_key}", pick("id", "uuid"))
            .replace("{a_user}", pick("user_id", "user_uuid"))
            .replace("{a_role}", pick("role_id", "role_uuid"))
            .replace("{code_ref}", pick("code_id", "code_uuid"))
            .replace("{used_by}", pick("used_by", "used_by_uuid"))
            .replace("{created_by}", pick("created_by", "created_by_uuid"))
            .replace("{beneficiary}", pick("beneficiary", "beneficiary_uuid"))
    }

    /// A connection of its own to a PostgreSQL database, its search path on the tables' schema.
    async fn pg_connection(&self) -> sqlx::PgConnection {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("postgres connect");
        if let Some(schema) = self.schema() {
            sqlx::raw_sql(AssertSqlSafe(format!("SET search_path TO {schema}, public")))
                .execute(&mut conn)
                .await
                .expect("search path");
        }
        conn
    }

    /// A service with no operator, `max_connections` connections, a 30 s busy timeout and a clock at [`t0`].
    pub async fn open_with(&self, max_connections: u32, options: ServiceOptions) -> (Service, Arc<ManualClock>) {
        if let Some(pg) = &self.pg {
            // Tests run eight at a time, some with many connections: each holds a share of the server's as large as
            // its largest pool. Its services' pools open connections as they need them, so pools of one test share
            // the share; a test never holds some while waiting for more, so none waits forever.
            let held = pg.connections.lock().unwrap_or_else(|e| e.into_inner()).take();
            let have = held.as_ref().map_or(0, |p| p.num_permits() as u32);
            let permit = match held {
                Some(held) if have >= max_connections => held,
                held => {
                    drop(held);
                    Arc::clone(&PG_CONNECTIONS).acquire_many_owned(max_connections).await.expect("never closed")
                }
            };
            *pg.connections.lock().unwrap_or_else(|e| e.into_inner()) = Some(permit);
        }
        let clock = Arc::new(ManualClock::new(t0()));
        let options = ServiceOptions { schema: self.schema().map(str::to_string), ..options };
        let service = Service::open(&self.url, max_connections, Duration::from_secs(30), options)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.url))
            .with_clock(clock.clone());
        (service, clock)
    }

    /// The usual start of a test: `owner@example.com` signed in as the Owner, no codes, no usage, the settings
    /// at their defaults and no other user. refcodes' own schema is migrated and gets its first Owner; a
    /// PhoenixKit fixture (whose Owner that is already) has its codes, usage, referral settings and other users
    /// cleared first, as the application's data.
    pub async fn harness(&self) -> Harness {
        self.harness_with(4).await
    }

    /// [`TestDb::harness`] with a pool of `max_connections`.
    pub async fn harness_with(&self, max_connections: u32) -> Harness {
        if self.shape().is_some() {
            self.execute(
                "DELETE FROM phoenix_kit_referral_code_usage; DELETE FROM phoenix_kit_referral_codes; \
                 DELETE FROM phoenix_kit_settings WHERE module = 'referral_codes'; \
                 DELETE FROM phoenix_kit_users WHERE email <> 'owner@example.com'",
            )
            .await;
        }
        let (base, clock) = self.open_with(max_connections, ServiceOptions::default()).await;
        let operator = if self.shape().is_some() {
            base.sign_in(OWNER_EMAIL).await.expect("owner signs in").operator.expect("the fixture's Owner")
        } else {
            base.make_first_owner(OWNER_EMAIL).await.expect("the first Owner")
        };
        assert_eq!(operator.role, Some(Role::Owner));
        let owner_user = operator.user.clone();
        let owner = base.clone().with_operator(Some(operator));
        let raw = RawAccess { url: self.url.clone(), schema: self.schema(), shape: self.shape() };
        Harness { clock, base, owner, owner_user, raw }
    }

    /// A read-only service on this (already migrated) database, acting as `email` when that user exists.
    pub async fn read_only(&self, email: &str) -> Service {
        let options = ServiceOptions { read_only: true, ..ServiceOptions::default() };
        let (service, _) = self.open_with(2, options).await;
        let sign_in = service.sign_in(email).await.expect("sign in read-only");
        service.with_operator(sign_in.operator)
    }

    /// Runs statements on a separate connection, behind the service's back (`{code_key}`-style names as
    /// [`TestDb::sql`] expands them).
    pub async fn execute(&self, sql: &str) {
        let sql = self.sql(sql);
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("sqlite connect");
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                conn.close().await.ok();
            }
            Backend::Postgres | Backend::PhoenixKit(_) => {
                let mut conn = self.pg_connection().await;
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                conn.close().await.ok();
            }
        }
    }

    /// One `count(*)`-like integer, read on a separate connection.
    pub async fn count(&self, sql: &str) -> i64 {
        let sql = self.sql(sql);
        let (n,): (i64,) = match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("sqlite connect");
                let row = sqlx::query_as(AssertSqlSafe(sql.clone())).fetch_one(&mut conn).await;
                conn.close().await.ok();
                row
            }
            Backend::Postgres | Backend::PhoenixKit(_) => {
                let mut conn = self.pg_connection().await;
                let row = sqlx::query_as(AssertSqlSafe(sql.clone())).fetch_one(&mut conn).await;
                conn.close().await.ok();
                row
            }
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        n
    }

    /// Rows of the usage table, counted directly.
    pub async fn usage_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM phoenix_kit_referral_code_usage").await
    }

    /// Users, counted directly.
    pub async fn user_rows(&self) -> i64 {
        self.count("SELECT count(*) FROM phoenix_kit_users").await
    }

    /// Codes whose `number_of_uses` (or, on refcodes' own schema, `last_used`) differs from their usage rows, plus
    /// usage rows without a code. Zero when the counters are honest.
    pub async fn counter_mismatches(&self) -> i64 {
        let last_uses = if self.shape().is_some() {
            ""
        } else {
            " + (SELECT count(*) FROM phoenix_kit_referral_codes c WHERE c.last_used IS DISTINCT FROM \
             (SELECT max(u.date_used) FROM phoenix_kit_referral_code_usage u WHERE u.{code_ref} = c.{code_key}))"
        };
        self.count(&format!(
            "SELECT (SELECT count(*) FROM phoenix_kit_referral_codes c WHERE c.number_of_uses <> \
             (SELECT count(*) FROM phoenix_kit_referral_code_usage u WHERE u.{{code_ref}} = c.{{code_key}})) + \
             (SELECT count(*) FROM phoenix_kit_referral_code_usage u WHERE NOT EXISTS \
             (SELECT 1 FROM phoenix_kit_referral_codes c WHERE c.{{code_key}} = u.{{code_ref}})){last_uses}"
        ))
        .await
    }

    /// Pairs of (code, user) with more than one usage record. Zero when each user used each code at most once.
    pub async fn double_uses(&self) -> i64 {
        self.count(
            "SELECT count(*) FROM (SELECT 1 FROM phoenix_kit_referral_code_usage \
             GROUP BY {code_ref}, {used_by} HAVING count(*) > 1) d",
        )
        .await
    }
}

/// A PostgreSQL database made for one test and dropped `WITH (FORCE)` afterwards.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
    /// The test's share of the server's connections (see [`TestDb::open_with`]), given back only once the database
    /// is dropped: the test's pools close as its runtime ends, but their server processes may take longer to exit,
    /// and `DROP DATABASE ... WITH (FORCE)` returns when they have. Given back sooner, the next test's 64 clients
    /// met the last one's and passed `max_connections` ("sorry, too many clients already").
    connections: Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

impl PgDatabase {
    /// An empty database, or a copy of a PhoenixKit fixture.
    async fn create(admin_url: &str, shape: Option<Shape>) -> PgDatabase {
        wait_for_drops_at_exit();
        let name = format!("refcodes_t_{:016x}", rand::random::<u64>());
        let url = database_url(admin_url, &name);
        let mut last_error = String::new();
        // CREATE DATABASE can fail transiently when many tests create databases at once; try a few times.
        for attempt in 0..5 {
            let created = match shape {
                None => create_database(admin_url, &name).await,
                Some(shape) => phoenix_kit::create_database(admin_url, shape, &name).await,
            };
            match created {
                Ok(()) => {
                    return PgDatabase { admin_url: admin_url.to_string(), name, url, connections: Mutex::default() };
                }
                Err(e) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
                }
            }
        }
        panic!("could not create test database {name} via {POSTGRES_ENV}: {last_error}");
    }
}

pub async fn create_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let mut result = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await;
    if result.is_ok() {
        result = phoenix_kit::without_waiting_for_flushes(&mut conn, name).await;
    }
    conn.close().await.ok();
    result.map(|_| ())
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let result = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    result.map(|_| ())
}

impl Drop for PgDatabase {
    /// Drop can't await, and the test's runtime may be the one running it: the database is dropped from a thread
    /// with a runtime of its own, retrying, never panicking. The test doesn't wait for it (PostgreSQL checkpoints on
    /// every DROP DATABASE, and concurrent drops share checkpoints), but the process does, at exit: see
    /// [`finish_pending_drops`]. The test's share of connections goes back when the drop is done. A leftover
    /// database would be named `refcodes_t_*`.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let connections = self.connections.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        let worker = std::thread::spawn(move || {
            let _given_back_when_dropped = connections;
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return eprintln!("warning: could not drop test database {name}: no runtime: {e}"),
            };
            let result = runtime.block_on(async {
                let mut last_error = String::new();
                for attempt in 0..5u64 {
                    match tokio::time::timeout(Duration::from_secs(10), drop_database(&admin_url, &name)).await {
                        Ok(Ok(())) => return Ok(()),
                        Ok(Err(e)) => last_error = e.to_string(),
                        Err(_) => last_error = "timed out".into(),
                    }
                    tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
                }
                Err(last_error)
            });
            if let Err(e) = result {
                eprintln!("warning: could not drop test database {name}: {e}");
            }
        });
        let mut pending = PENDING_DROPS.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|handle| !handle.is_finished());
        pending.push(worker);
    }
}

/// Test databases being dropped in the background.
static PENDING_DROPS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());
static WAIT_AT_EXIT: Once = Once::new();

unsafe extern "C" {
    /// C's atexit(3): `callback` runs when the process exits normally, which includes a test run with failures.
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn finish_pending_drops_at_exit() {
    // Never unwind into C.
    let _ = std::panic::catch_unwind(finish_pending_drops);
}

/// Makes the process wait for pending drops when it exits.
fn wait_for_drops_at_exit() {
    WAIT_AT_EXIT.call_once(|| {
        // SAFETY: atexit is given a function that lives as long as the program and never unwinds.
        if unsafe { atexit(finish_pending_drops_at_exit) } != 0 {
            eprintln!("warning: atexit failed; test databases may be left behind");
        }
    });
}

/// Waits until every test database dropped so far is gone from the server.
pub fn finish_pending_drops() {
    let handles = std::mem::take(&mut *PENDING_DROPS.lock().unwrap_or_else(|e| e.into_inner()));
    for handle in handles {
        let _ = handle.join();
    }
}

/// A migrated database with its first Owner, and the clock all services of it read.
pub struct Harness {
    pub clock: Arc<ManualClock>,
    /// No operator: what the application's registration flow uses.
    pub base: Service,
    /// Acting as `owner@example.com`, the first Owner.
    pub owner: Service,
    pub owner_user: User,
    raw: RawAccess,
}

/// Where the harness writes what the application, not refcodes, writes on a PhoenixKit database.
struct RawAccess {
    url: String,
    schema: Option<&'static str>,
    shape: Option<Shape>,
}

impl Harness {
    /// Adds a user: as the Owner through refcodes on its own schema; on a PhoenixKit database as the application
    /// does, since refcodes adds no users there.
    pub async fn add_user(&self, email: &str, role: Option<Role>) -> User {
        self.add_all(&[(email.to_string(), role)]).await.remove(0)
    }

    /// `n` plain users `{prefix}{i}@example.com`, in order.
    pub async fn add_users(&self, prefix: &str, n: usize) -> Vec<User> {
        self.add_all(&(0..n).map(|i| (format!("{prefix}{i}@example.com"), None)).collect::<Vec<_>>()).await
    }

    async fn add_all(&self, users: &[(String, Option<Role>)]) -> Vec<User> {
        let Some(shape) = self.raw.shape else {
            let mut added = Vec::with_capacity(users.len());
            for (email, role) in users {
                let input = NewUserInput { email: email.clone(), role: *role, ..NewUserInput::default() };
                added.push(self.owner.add_user(&input).await.unwrap_or_else(|e| panic!("add user {email}: {e}")).user);
            }
            return added;
        };
        let mut conn = sqlx::PgConnection::connect(&self.raw.url).await.expect("postgres connect");
        if let Some(schema) = self.raw.schema {
            sqlx::raw_sql(AssertSqlSafe(format!("SET search_path TO {schema}, public")))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for (email, role) in users {
            phoenix_kit::insert_user(&mut conn, shape, email, role.map(Role::name))
                .await
                .unwrap_or_else(|e| panic!("add user {email}: {e}"));
        }
        conn.close().await.ok();
        let mut added = Vec::with_capacity(users.len());
        for (email, _) in users {
            added.push(
                self.base.find_user_by_email(email).await.unwrap().unwrap_or_else(|| panic!("{email} was added")),
            );
        }
        added
    }

    /// A service acting as `email` (who must exist).
    pub async fn acting_as(&self, email: &str) -> Service {
        let sign_in = self.base.sign_in(email).await.expect("sign in");
        assert!(sign_in.operator.is_some(), "{email} should exist");
        self.base.clone().with_operator(sign_in.operator)
    }

    /// Adds `admin@example.com` with the Admin role and acts as them.
    pub async fn admin(&self) -> Service {
        self.add_user(ADMIN_EMAIL, Some(Role::Admin)).await;
        self.acting_as(ADMIN_EMAIL).await
    }

    /// Adds `user@example.com` with the User role and acts as them.
    pub async fn plain(&self) -> Service {
        self.add_user(PLAIN_EMAIL, Some(Role::User)).await;
        self.acting_as(PLAIN_EMAIL).await
    }

    pub async fn enable_system(&self) {
        let config = self.owner.enable_system().await.expect("enable the system");
        assert!(config.enabled);
    }

    /// Creates an active code as the Owner: `max_uses` uses, the default expiry.
    pub async fn code(&self, code: &str, max_uses: i64) -> ReferralCode {
        self.create(code, CodeInput { max_uses: Some(max_uses), ..CodeInput::default() }).await
    }

    /// Creates a code as the Owner from `input`, with `code` and a description filled in.
    pub async fn create(&self, code: &str, input: CodeInput) -> ReferralCode {
        let description = if input.description.is_empty() { format!("Test code {code}") } else { input.description };
        let input = CodeInput { code: Some(code.into()), description, ..input };
        self.owner.create_code(&input).await.unwrap_or_else(|e| panic!("create {code}: {e}"))
    }

    /// A code that never expires.
    pub async fn forever_code(&self, code: &str, max_uses: i64) -> ReferralCode {
        self.create(
            code,
            CodeInput { max_uses: Some(max_uses), expiration: Some(Expiration::Never), ..CodeInput::default() },
        )
        .await
    }

    /// Everything a caller can see, to show that a refused call changed nothing.
    pub async fn snapshot(&self) -> Snapshot {
        let s = &self.owner;
        Snapshot {
            stats: s.get_system_stats().await.expect("stats"),
            codes: s.list_codes().await.expect("codes").into_iter().map(|row| row.code).collect(),
            usage: s.usage_after(None, i64::MAX).await.expect("usage"),
            users: s.search_users("", i64::MAX).await.expect("users"),
            config: s.get_config().await.expect("config"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub stats: SystemStats,
    pub codes: Vec<ReferralCode>,
    pub usage: Vec<UsageRecord>,
    pub users: Vec<UserWithRole>,
    pub config: SystemConfig,
}

/// The refusal of a call that must be refused with `kind`; panics (naming `what`) otherwise.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind, what: &str) -> Refusal {
    match result {
        Ok(value) => panic!("{what}: expected {kind}, got Ok({value:?})"),
        Err(e) => match e.kind() {
            Some(k) if k == kind => e.refusal().expect("a refusal").clone(),
            _ => panic!("{what}: expected {kind}, got {e:?}"),
        },
    }
}

/// The kind of a refusal; panics on success or on a failure that is not a refusal (a database error).
#[track_caller]
pub fn kind_of<T: std::fmt::Debug>(result: &Result<T, Error>) -> ErrorKind {
    match result {
        Ok(value) => panic!("expected a refusal, got Ok({value:?})"),
        Err(e) => e.kind().unwrap_or_else(|| panic!("expected a refusal, got a failure: {e:?}")),
    }
}

/// An id of the same kind as `id` that names no code.
pub fn absent(id: CodeId) -> CodeId {
    match id.0 {
        Key::Int(n) => CodeId::from(n + 1_000_000),
        Key::Uuid(_) => CodeId::from(uuid::Uuid::now_v7()),
    }
}

pub fn user_ids(users: &[User]) -> Vec<UserId> {
    users.iter().map(|u| u.id).collect()
}
