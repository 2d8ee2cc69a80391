//! PhoenixKit databases for tests (a module of its own, so the CLI tests include it too): the fixtures of `tests/fixtures/phoenixkit/` loaded (without psql) into template
//! databases once per server, and a fresh copy of one for each test.

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::hash::{Hash, Hasher};

/// The shapes of PhoenixKit database the suites run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// V39: integer keys, times without time zone.
    V39,
    /// V60: integer and UUID keys, NOT NULL UUID references and their foreign keys (V56 and V57 run apart).
    V60,
    /// V60 as installs whose V56 and V57 ran in one migrator run left it: NULLable UUID references, no `fk_*`.
    V60SingleShot,
    /// V180 (UUID keys) in schema `public`.
    V180,
    /// V180 with PhoenixKit's prefix `auth`: every table in schema `auth`.
    V180Auth,
}

impl Shape {
    pub const ALL: [Shape; 5] = [Shape::V39, Shape::V60, Shape::V60SingleShot, Shape::V180, Shape::V180Auth];

    pub fn schema(self) -> &'static str {
        if self == Shape::V180Auth { "auth" } else { "public" }
    }

    pub fn version(self) -> i32 {
        match self {
            Shape::V39 => 39,
            Shape::V60 | Shape::V60SingleShot => 60,
            Shape::V180 | Shape::V180Auth => 180,
        }
    }

    /// Rows are keyed by UUID (V40 and later).
    pub fn uuid_keys(self) -> bool {
        self != Shape::V39
    }

    pub fn dual(self) -> bool {
        matches!(self, Shape::V60 | Shape::V60SingleShot)
    }

    fn name(self) -> &'static str {
        match self {
            Shape::V39 => "v39",
            Shape::V60 => "v60",
            Shape::V60SingleShot => "v60single",
            Shape::V180 => "v180",
            Shape::V180Auth => "v180auth",
        }
    }

    /// The fixture's SQL as psql would run it: `\set` lines dropped, the `\if :{?singleshot}` block resolved, and
    /// for [`Shape::V180Auth`] every PhoenixKit object moved into schema `auth` (extensions stay in `public`).
    pub fn sql(self) -> String {
        let file = match self {
            Shape::V39 => include_str!("../fixtures/phoenixkit/v39_integer.sql"),
            Shape::V60 | Shape::V60SingleShot => include_str!("../fixtures/phoenixkit/v60_dual.sql"),
            Shape::V180 | Shape::V180Auth => include_str!("../fixtures/phoenixkit/latest_uuid.sql"),
        };
        let mut out = String::with_capacity(file.len());
        // Which branch of an \if block is being read: None outside one.
        let mut branch: Option<bool> = None;
        let mut keep = true;
        for line in file.lines() {
            let meta = line.trim_start();
            if meta.starts_with("\\if ") {
                branch = Some(true);
                keep = self == Shape::V60SingleShot;
                continue;
            }
            if meta.starts_with("\\else") {
                branch = Some(false);
                keep = self != Shape::V60SingleShot;
                continue;
            }
            if meta.starts_with("\\endif") {
                branch = None;
                keep = true;
                continue;
            }
            if meta.starts_with('\\') {
                continue;
            }
            if branch.is_none() || keep {
                out.push_str(line);
                out.push('\n');
            }
        }
        if self == Shape::V180Auth {
            out = out
                .replace("public.phoenix_kit", "auth.phoenix_kit")
                .replace("public.uuid_generate_v7", "auth.uuid_generate_v7")
                .replacen("BEGIN;", "BEGIN;\nCREATE SCHEMA auth;", 1);
        }
        out
    }

    /// A name for the template of this fixture's current text.
    fn template(self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.sql().hash(&mut hasher);
        format!("refcodes_tpl_{}_{:012x}", self.name(), hasher.finish() & 0xffff_ffff_ffff)
    }
}

/// Creates database `name` as a copy of `shape`'s fixture, building the fixture's template first when the server
/// has none (once: an advisory lock keeps other test processes waiting meanwhile).
pub async fn create_database(admin_url: &str, shape: Shape, name: &str) -> Result<(), sqlx::Error> {
    let template = shape.template();
    let mut admin = PgConnection::connect(admin_url).await?;
    sqlx::query("SELECT pg_advisory_lock(hashtext('refcodes-test-templates'))").execute(&mut admin).await?;
    let built = build_template(&mut admin, admin_url, shape, &template).await;
    sqlx::query("SELECT pg_advisory_unlock(hashtext('refcodes-test-templates'))").execute(&mut admin).await?;
    built?;
    let mut result = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")))
        .execute(&mut admin)
        .await;
    if result.is_ok() {
        result = without_waiting_for_flushes(&mut admin, name).await;
    }
    admin.close().await.ok();
    result.map(drop)
}

async fn build_template(
    admin: &mut PgConnection,
    admin_url: &str,
    shape: Shape,
    template: &str,
) -> Result<(), sqlx::Error> {
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(template)
        .fetch_optional(&mut *admin)
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    // Built under another name and renamed when complete, so a half-built template is never used.
    let building = format!("{template}_building");
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")))
        .execute(&mut *admin)
        .await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{building}\""))).execute(&mut *admin).await?;
    let mut conn = PgConnection::connect(&database_url(admin_url, &building)).await?;
    sqlx::raw_sql(AssertSqlSafe(shape.sql())).execute(&mut conn).await?;
    conn.close().await?;
    sqlx::raw_sql(AssertSqlSafe(format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"")))
        .execute(&mut *admin)
        .await?;
    Ok(())
}

/// Adds a user the way the PhoenixKit application would (refcodes never adds users there), with `role` assigned.
pub async fn insert_user(
    conn: &mut PgConnection,
    shape: Shape,
    email: &str,
    role: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO phoenix_kit_users (email, hashed_password, inserted_at, updated_at) \
         VALUES ($1, '$2b$12$not.a.real.hash', now(), now())",
    )
    .bind(email)
    .execute(&mut *conn)
    .await?;
    let Some(role) = role else { return Ok(()) };
    let assign = match shape {
        Shape::V39 => {
            "INSERT INTO phoenix_kit_user_role_assignments (user_id, role_id, assigned_at, inserted_at) \
             SELECT u.id, r.id, now(), now() FROM phoenix_kit_users u, phoenix_kit_user_roles r \
             WHERE u.email = $1 AND r.name = $2"
        }
        Shape::V60 | Shape::V60SingleShot => {
            "INSERT INTO phoenix_kit_user_role_assignments (user_id, role_id, user_uuid, role_uuid, assigned_at, \
             inserted_at) SELECT u.id, r.id, u.uuid, r.uuid, now(), now() FROM phoenix_kit_users u, \
             phoenix_kit_user_roles r WHERE u.email = $1 AND r.name = $2"
        }
        Shape::V180 | Shape::V180Auth => {
            "INSERT INTO phoenix_kit_user_role_assignments (user_uuid, role_uuid, inserted_at) \
             SELECT u.uuid, r.uuid, now() FROM phoenix_kit_users u, phoenix_kit_user_roles r \
             WHERE u.email = $1 AND r.name = $2"
        }
    };
    sqlx::query(AssertSqlSafe(assign)).bind(email).bind(role).execute(&mut *conn).await?;
    Ok(())
}

/// `admin_url` with its database replaced by `name` (query parameters kept).
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// A test database's commits return before the WAL reaches the disk: the tests check what concurrent clients see,
/// not what survives a power cut, and waiting for every commit's flush was much of the suite's time.
pub async fn without_waiting_for_flushes(
    admin: &mut PgConnection,
    name: &str,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!("ALTER DATABASE \"{name}\" SET synchronous_commit = off"))).execute(admin).await
}
