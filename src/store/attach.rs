//! Recognising a PhoenixKit database and checking, before anything is read or written, that it has every column
//! refcodes needs in the shape its generation promises.

use crate::error::{Error, Result};
use crate::store::doctor::TEXT_INDEX;
use crate::store::layout::{
    AuditShape, AuditSink, Backend, Generation, Layout, Mode, PK_AUDIT_TABLE, SchemaName, Table,
};
use sqlx::PgPool;

/// The newest PhoenixKit schema version refcodes was checked against.
pub const KNOWN_VERSION: i32 = 180;

/// What `schema` of this PostgreSQL database holds: PhoenixKit's tables when `<schema>.phoenix_kit` exists (its
/// version is that table's comment), else refcodes' own.
pub async fn detect(pool: &PgPool, schema: SchemaName) -> Result<Layout> {
    let marker: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = 'phoenix_kit' AND c.relkind IN ('r', 'p')",
    )
    .bind(schema.as_str())
    .fetch_optional(pool)
    .await?;
    let Some((comment,)) = marker else {
        return Ok(Layout::new(Backend::Postgres, schema, Mode::Standalone));
    };
    let version = parse_version(comment.as_deref()).map_err(|why| {
        Error::Schema(format!(
            "{schema}.phoenix_kit marks a PhoenixKit database, but {why}; PhoenixKit's own migrations stamp it \
             (COMMENT ON TABLE {schema}.phoenix_kit IS '<version>'), so refcodes changed nothing"
        ))
    })?;
    let generation = Generation::of_version(version);
    let mut layout = Layout::new(Backend::Postgres, schema, Mode::PhoenixKit { version, generation });
    let columns = read_columns(pool, &layout).await?;
    check(&layout, version, &columns)?;
    let type_of = |table: Table, column: &str| {
        columns.iter().find(|c| c.table == table.name() && c.column == column).map(|c| (&c.type_schema, &c.type_name))
    };
    layout.naive_times = type_of(Table::Codes, "date_created").is_some_and(|(_, t)| t == "timestamp");
    layout.settings_uuid = type_of(Table::Settings, "uuid").is_some();
    layout.email_type = type_of(Table::Users, "email")
        .filter(|(_, t)| *t == "citext")
        .and_then(|(s, t)| Some(format!("{}.\"{t}\"", SchemaName::parse(s).ok()?.quoted())));
    let (text_index,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2)")
            .bind(layout.schema.as_str())
            .bind(TEXT_INDEX)
            .fetch_one(pool)
            .await?;
    layout.text_index = text_index;
    layout.audit = audit_sink(pool, &layout).await?;
    Ok(layout)
}

/// Where refcodes' events go on this PhoenixKit database: its `phoenix_kit_audit_logs` when that has a shape of a
/// known generation (section 12 of SCHEMAS.md) whose required columns refcodes can all fill, else the log file.
/// Read once, here; the table's structure is never changed.
async fn audit_sink(pool: &PgPool, layout: &Layout) -> Result<AuditSink> {
    let columns: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT a.attname::text, t.typname::text, a.attnotnull, a.atthasdef \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid \
         WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(layout.schema.as_str())
    .bind(PK_AUDIT_TABLE)
    .fetch_all(pool)
    .await?;
    Ok(audit_shape(layout.uuid_keys(), &columns).map_or_else(AuditSink::LogOnly, AuditSink::PhoenixKit))
}

/// The shape of the audit table from its columns (name, type, NOT NULL, has a default), or why refcodes can't
/// write it.
fn audit_shape(uuid_keys: bool, columns: &[(String, String, bool, bool)]) -> std::result::Result<AuditShape, String> {
    if columns.is_empty() {
        return Err(format!("this PhoenixKit database has no {PK_AUDIT_TABLE} table"));
    }
    let type_of = |name: &str| columns.iter().find(|c| c.0 == name).map(|c| c.1.as_str());
    let pair = |a: &str, b: &str, ty: &[&str]| {
        type_of(a).is_some_and(|t| ty.contains(&t)) && type_of(b).is_some_and(|t| ty.contains(&t))
    };
    let shape = AuditShape {
        int_users: pair("target_user_id", "admin_user_id", &["int4", "int8"]),
        uuid_users: pair("target_user_uuid", "admin_user_uuid", &["uuid"]),
        int_key: type_of("id").is_some_and(|t| t == "int8" || t == "int4"),
        naive_time: type_of("inserted_at") == Some("timestamp"),
    };
    let unexpected = |why: &str| Err(format!("its {PK_AUDIT_TABLE} table is not of a shape refcodes knows ({why})"));
    if type_of("action") != Some("varchar") && type_of("action") != Some("text") {
        return unexpected("no text column action");
    }
    if type_of("metadata") != Some("jsonb") {
        return unexpected("no jsonb column metadata");
    }
    if !matches!(type_of("inserted_at"), Some("timestamp" | "timestamptz")) {
        return unexpected("no timestamp column inserted_at");
    }
    // Users are named by the key the database gives them: integers without UUID columns, UUIDs otherwise.
    if (uuid_keys && !shape.uuid_users) || (!uuid_keys && (!shape.int_users || shape.uuid_users)) {
        return unexpected("its user columns don't match how the database keys users");
    }
    if !shape.int_key && type_of("uuid") != Some("uuid") {
        return unexpected("no id or uuid key");
    }
    let mut filled = vec!["action", "metadata", "inserted_at"];
    if shape.int_users {
        filled.extend(["target_user_id", "admin_user_id"]);
    }
    if shape.uuid_users {
        filled.extend(["target_user_uuid", "admin_user_uuid"]);
    }
    if let Some(c) = columns.iter().find(|c| c.2 && !c.3 && !filled.contains(&c.0.as_str())) {
        return Err(format!("its {PK_AUDIT_TABLE} table requires a column refcodes can't fill ({})", c.0));
    }
    Ok(shape)
}

/// A bare decimal number, as PhoenixKit writes and reads it (`String.to_integer(String.trim(v))`).
fn parse_version(comment: Option<&str>) -> std::result::Result<i32, String> {
    let text = comment.map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err("that table has no version comment".into());
    }
    text.parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("its version comment {} is not a version number", crate::domain::error::shown(text)))
}

#[derive(Debug, sqlx::FromRow)]
struct Column {
    table: String,
    column: String,
    type_name: String,
    type_schema: String,
}

async fn read_columns(pool: &PgPool, layout: &Layout) -> Result<Vec<Column>> {
    let tables: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    Ok(sqlx::query_as(
        "SELECT c.relname::text AS table, a.attname::text AS column, t.typname::text AS type_name, \
         tn.nspname::text AS type_schema \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace \
         WHERE n.nspname = $1 AND c.relname = ANY($2) AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(layout.schema.as_str())
    .bind(tables)
    .fetch_all(pool)
    .await?)
}

/// Every table and column the generation needs is there, keys of the generation's type.
fn check(layout: &Layout, version: i32, columns: &[Column]) -> Result<()> {
    let generation = layout.generation();
    let refuse = |what: String| {
        Error::Schema(format!(
            "this is PhoenixKit V{version} ({}, schema {}), but {what}, which refcodes needs (it knows PhoenixKit \
             up to V{KNOWN_VERSION}); refcodes changed nothing. A newer refcodes may know this version",
            generation.label(),
            layout.schema
        ))
    };
    for table in Table::ALL {
        let of_table: Vec<&Column> = columns.iter().filter(|c| c.table == table.name()).collect();
        if of_table.is_empty() {
            return Err(refuse(format!("it has no table {}", table.name())));
        }
        for needed in table.needs(generation) {
            let Some(found) = of_table.iter().find(|c| c.column == needed) else {
                return Err(refuse(format!("its table {} has no column {needed}", table.name())));
            };
            let key_like = needed == "id" || needed == "uuid" || needed.ends_with("_id") || needed.ends_with("_uuid");
            let key_like = key_like || matches!(needed, "created_by" | "beneficiary" | "used_by");
            let wanted: &[&str] = if needed == "uuid" || needed.ends_with("_uuid") {
                &["uuid"]
            } else if key_like {
                &["int2", "int4", "int8"]
            } else {
                continue;
            };
            if !wanted.contains(&found.type_name.as_str()) {
                return Err(refuse(format!(
                    "its column {}.{needed} is of type {}, not {}",
                    table.name(),
                    found.type_name,
                    wanted.join(" or ")
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{audit_shape, parse_version};

    fn columns(list: &[(&str, &str, bool, bool)]) -> Vec<(String, String, bool, bool)> {
        list.iter().map(|(n, t, nn, d)| (n.to_string(), t.to_string(), *nn, *d)).collect()
    }

    const COMMON: [(&str, &str, bool, bool); 5] = [
        ("action", "varchar", true, false),
        ("ip_address", "varchar", false, false),
        ("user_agent", "text", false, false),
        ("metadata", "jsonb", false, true),
        ("uuid", "uuid", true, true),
    ];

    #[test]
    fn audit_tables_of_each_generation_are_known() {
        let v39 = columns(&[
            ("id", "int8", true, true),
            ("target_user_id", "int4", true, false),
            ("admin_user_id", "int4", true, false),
            ("action", "varchar", true, false),
            ("metadata", "jsonb", false, true),
            ("inserted_at", "timestamp", true, false),
        ]);
        let shape = audit_shape(false, &v39).unwrap();
        assert!(shape.int_users && !shape.uuid_users && shape.int_key && shape.naive_time);
        let mut v60 = columns(&COMMON);
        v60.extend(columns(&[
            ("id", "int8", true, true),
            ("target_user_id", "int4", true, false),
            ("admin_user_id", "int4", true, false),
            ("target_user_uuid", "uuid", true, false),
            ("admin_user_uuid", "uuid", true, false),
            ("inserted_at", "timestamptz", true, false),
        ]));
        let shape = audit_shape(true, &v60).unwrap();
        assert!(shape.int_users && shape.uuid_users && shape.int_key && !shape.naive_time);
        let mut v180 = columns(&COMMON);
        v180.extend(columns(&[
            ("target_user_uuid", "uuid", true, false),
            ("admin_user_uuid", "uuid", true, false),
            ("inserted_at", "timestamptz", true, false),
        ]));
        let shape = audit_shape(true, &v180).unwrap();
        assert!(!shape.int_users && shape.uuid_users && !shape.int_key);
    }

    #[test]
    fn other_audit_tables_leave_events_to_the_log() {
        assert!(audit_shape(true, &[]).unwrap_err().contains("no phoenix_kit_audit_logs"));
        let mut required = columns(&COMMON);
        required.extend(columns(&[
            ("target_user_uuid", "uuid", true, false),
            ("admin_user_uuid", "uuid", true, false),
            ("inserted_at", "timestamptz", true, false),
            ("tenant_id", "int8", true, false),
        ]));
        assert!(audit_shape(true, &required).unwrap_err().contains("tenant_id"));
        let no_users = columns(&[("action", "text", true, false), ("metadata", "jsonb", false, true)]);
        assert!(audit_shape(true, &no_users).is_err());
        let mut text_metadata = columns(&COMMON);
        text_metadata[3].1 = "text".into();
        assert!(audit_shape(true, &text_metadata).unwrap_err().contains("metadata"));
    }

    #[test]
    fn versions_are_bare_numbers() {
        assert_eq!(parse_version(Some(" 180 ")), Ok(180));
        assert!(parse_version(None).is_err());
        assert!(parse_version(Some("V180")).is_err());
        assert!(parse_version(Some("")).is_err());
    }
}
