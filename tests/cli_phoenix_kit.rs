//! The real binary on PhoenixKit databases of every shape: a session of every write the CLI can make (and its
//! reads) leaves the database's structure exactly as it was, catalog compared before and after; the same session
//! works as a database role holding only the grants README lists; users, registration and demo are refused.
//! PostgreSQL only: skipped without `REFCODES_TEST_POSTGRES_URL`.

mod cli_common;
#[allow(dead_code)]
#[path = "common/phoenix_kit.rs"]
mod phoenix_kit;

use cli_common::{Env, block_on};
use phoenix_kit::Shape;
use serde_json::Value;

/// A copy of a fixture, dropped (with the role made for it) when the guard goes.
struct Fixture {
    admin_url: String,
    name: String,
    shape: Shape,
    role: Option<String>,
}

impl Fixture {
    fn create(shape: Shape) -> Option<Fixture> {
        let admin_url = std::env::var("REFCODES_TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty())?;
        let name = format!("refcodes_clipk_{:016x}", rand::random::<u64>());
        block_on(phoenix_kit::create_database(&admin_url, shape, &name)).expect("the fixture's database");
        Some(Fixture { admin_url, name, shape, role: None })
    }

    fn url(&self) -> String {
        phoenix_kit::database_url(&self.admin_url, &self.name)
    }

    /// The binary on this database as `user` (the URL's, or another role), acting as the fixture's Owner.
    fn env(&self, user: Option<&str>) -> Env {
        let url = self.url();
        let url = match user {
            None => url,
            Some(role) => {
                let (scheme, rest) = url.split_once("://").expect("a URL");
                let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                format!("{scheme}://{role}@{host}")
            }
        };
        let mut env = Env::with_url(&url);
        env.set_var("REFCODES_OPERATOR", "owner@example.com");
        if self.shape.schema() != "public" {
            env.set_var("REFCODES_DATABASE_SCHEMA", self.shape.schema());
        }
        env
    }

    /// A login role with exactly the grants README lists for a PhoenixKit database.
    fn least_privileged_role(&mut self) -> String {
        let role = format!("refcodes_lp_{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let s = self.shape.schema();
        let mut grants = format!(
            "CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {s} TO {role}; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON {s}.phoenix_kit_referral_codes, \
             {s}.phoenix_kit_referral_code_usage TO {role}; \
             GRANT SELECT ON {s}.phoenix_kit_users, {s}.phoenix_kit_user_roles, \
             {s}.phoenix_kit_user_role_assignments TO {role}; \
             GRANT SELECT, INSERT, UPDATE ON {s}.phoenix_kit_settings TO {role}; \
             GRANT SELECT, INSERT ON {s}.phoenix_kit_audit_logs TO {role};"
        );
        if !self.shape.uuid_keys() || self.shape.dual() {
            // Rows still get integer ids from these sequences before V74.
            grants.push_str(&format!(
                "GRANT USAGE ON SEQUENCE {s}.phoenix_kit_referral_codes_id_seq, \
                 {s}.phoenix_kit_referral_code_usage_id_seq, {s}.phoenix_kit_settings_id_seq, \
                 {s}.phoenix_kit_audit_logs_id_seq TO {role};"
            ));
        }
        execute(&self.url(), &grants);
        self.role = Some(role.clone());
        role
    }
}

impl Drop for Fixture {
    /// Never panics: a leftover is named on stderr (`refcodes_clipk_*`, `refcodes_lp_*`).
    fn drop(&mut self) {
        let mut drops = vec![format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)];
        if let Some(role) = &self.role {
            drops.push(format!("DROP ROLE IF EXISTS {role}"));
        }
        for drop in drops {
            if let Err(e) = try_execute(&self.admin_url, &drop) {
                eprintln!("warning: {drop}: {e}");
            }
        }
    }
}

fn try_execute(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let (url, sql) = (url.to_string(), sql.to_string());
    block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
        conn.close().await.ok();
        result.map(drop)
    })
}

fn execute(url: &str, sql: &str) {
    try_execute(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The database's structure, one line per object: schemas, relations (with their comments), columns (type,
/// nullability, position, default, comment), indexes, constraints, functions (with a digest of their bodies),
/// triggers and extensions, in every schema but the system's.
fn catalog(url: &str) -> String {
    let url = url.to_string();
    block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
        let (text,): (String,) = sqlx::query_as(
            "WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', \
             'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%') \
             SELECT string_agg(line, E'\\n' ORDER BY line) FROM ( \
             SELECT 'schema ' || nspname AS line FROM ns \
             UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || CAST(c.relkind AS TEXT) || ' ' || \
               COALESCE(obj_description(c.oid, 'pg_class'), '') FROM pg_class c JOIN ns n ON n.oid = c.relnamespace \
             UNION ALL SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || \
               format_type(a.atttypid, a.atttypmod) || ' ' || CAST(a.attnotnull AS TEXT) || ' ' || CAST(a.attnum AS TEXT) || ' ' || \
               COALESCE(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || COALESCE(col_description(c.oid, a.attnum), '') \
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns n ON n.oid = c.relnamespace \
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
               WHERE a.attnum > 0 AND NOT a.attisdropped \
             UNION ALL SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i \
               JOIN pg_class c ON c.oid = i.indexrelid JOIN ns n ON n.oid = c.relnamespace \
             UNION ALL SELECT 'constraint ' || n.nspname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid) \
               || ' ' || CAST(co.convalidated AS TEXT) FROM pg_constraint co JOIN ns n ON n.oid = co.connamespace \
             UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname || '(' || \
               pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc) FROM pg_proc p \
               JOIN ns n ON n.oid = p.pronamespace \
             UNION ALL SELECT 'trigger ' || t.tgname || ' ' || t.tgrelid::regclass::text FROM pg_trigger t \
               WHERE NOT t.tgisinternal \
             UNION ALL SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension) lines",
        )
        .fetch_one(&mut conn)
        .await
        .expect("the catalog");
        conn.close().await.ok();
        text
    })
}

fn id_kind(value: &Value, shape: Shape) {
    if shape.uuid_keys() {
        let text = value.as_str().unwrap_or_else(|| panic!("a UUID string, not {value}"));
        assert!(uuid::Uuid::try_parse(text).is_ok(), "{text}");
    } else {
        assert!(value.as_i64().is_some(), "a number, not {value}");
    }
}

/// Every write the CLI can make, and its reads, as the fixture's Owner. `tag` keeps two sessions' codes apart, and
/// `user` redeems the fixture's K7M3Q.
fn session(env: &Env, shape: Shape, tag: &str, user: &str) {
    let migrate = env.ok(&["migrate"]);
    assert!(migrate.stdout.contains("nothing to do"), "{}", migrate.stdout);
    assert!(migrate.stdout.contains(&format!("PhoenixKit V{}", shape.version())), "{}", migrate.stdout);
    env.ok(&["settings", "enable"]);
    env.ok(&["settings", "require", "on"]);
    env.ok(&["settings", "require", "off"]);
    env.ok(&["settings", "set", "max_number_of_uses_per_code", "500"]);
    assert_eq!(env.json(&["settings", "show"])["max_number_of_uses_per_code"], 500);

    let code = format!("S1-{tag}");
    let created = env.json(&[
        "codes",
        "create",
        "--code",
        &code,
        "--description",
        "Session",
        "--max-uses",
        "5",
        "--expires",
        "30d",
        "--beneficiary",
        "alice@example.com",
    ]);
    id_kind(&created["id"], shape);
    id_kind(&created["created_by"], shape);
    assert_eq!(created["beneficiary_email"], "alice@example.com");
    let random = env.json(&["codes", "create", "--description", "Random"])["code"].as_str().unwrap().to_string();
    env.ok(&["codes", "update", &code, "--max-uses", "10", "--expires", "never", "--beneficiary", "none"]);
    env.ok(&["codes", "update", &code, "--description", "Changed", "--inactive"]);
    env.ok(&["codes", "update", &code, "--active"]);
    let renamed = format!("S2-{tag}");
    env.ok(&["codes", "update", &code, "--code", &renamed]);
    let batch = env.ok(&["codes", "generate", "5", "--description", "Batch", "--prefix", &format!("G{tag}-"), "--csv"]);
    assert_eq!(batch.lines().len(), 6, "a header and five codes: {}", batch.stdout);

    let used = env.json(&["use", &renamed.to_lowercase(), "--user", "bob@example.com"]);
    id_kind(&used["used_by"], shape);
    env.refused_as("already_used", &["use", &renamed, "--user", "bob@example.com"]);
    // By id too: a UUID or a number, as the database keys its users.
    let bob = env.json(&["users", "list", "--filter", "bob"]);
    id_kind(&bob[0]["id"], shape);
    let bob_id = bob[0]["id"].as_str().map_or_else(|| bob[0]["id"].to_string(), str::to_string);
    env.refused_as("already_used", &["use", &renamed, "--user", &bob_id]);
    env.ok(&["use", "K7M3Q", "--user", user]);
    env.ok(&["codes", "delete", &random, "--yes"]);
    env.ok(&["doctor", "--fix", "counters", "--yes"]);

    let show = env.show(&renamed);
    assert_eq!(show["stats"]["total_uses"], 1);
    assert_eq!(show["usage"][0]["user_email"], "bob@example.com");
    assert!(env.json(&["codes", "list", "--limit", "100"])["total"].as_i64().unwrap() >= 12);
    env.ok(&["codes", "show", "summer25"]);
    let stats = env.stats();
    assert!(stats["attached"].as_str().unwrap().starts_with(&format!("PhoenixKit V{}", shape.version())), "{stats}");
    env.ok(&["export", "codes"]);
    env.ok(&["export", "usage", "--format", "json"]);
    env.ok(&["doctor"]);
    env.ok(&["doctor", "--indexes"]);
    assert_eq!(env.json(&["doctor"])["mode"], "phoenixkit");

    let message = env.refused_as("not_authorized", &["users", "add", "new@example.com", "--role", "admin"]);
    assert!(message.contains("users sign up through your PhoenixKit application"), "{message}");
    env.refused_as("not_authorized", &["register", "new@example.com", "--code", &renamed]);
    env.refused_as("not_authorized", &["demo", "--yes"]);
}

fn check(shape: Shape) {
    let Some(mut fixture) = Fixture::create(shape) else {
        return eprintln!("skipped {shape:?}: REFCODES_TEST_POSTGRES_URL is not set");
    };
    let before = catalog(&fixture.url());
    assert!(!before.contains("_sqlx_migrations"));
    session(&fixture.env(None), shape, "A", "carol@example.com");
    assert_eq!(catalog(&fixture.url()), before, "the structure is byte-for-byte what it was");

    let role = fixture.least_privileged_role();
    let grants = catalog(&fixture.url());
    session(&fixture.env(Some(&role)), shape, "B", "alice@example.com");
    assert_eq!(catalog(&fixture.url()), grants, "the least-privileged session changed no structure either");
}

#[test]
fn v39_integer() {
    check(Shape::V39);
}

#[test]
fn v60_dual() {
    check(Shape::V60);
}

#[test]
fn v60_dual_single_shot() {
    check(Shape::V60SingleShot);
}

#[test]
fn v180_uuid() {
    check(Shape::V180);
}

#[test]
fn v180_uuid_in_schema_auth() {
    check(Shape::V180Auth);
}
