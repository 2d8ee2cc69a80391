//! Recognising a PhoenixKit database and checking, before anything is read or written, that it has every column
//! refcodes needs in the shape its generation promises.

use crate::error::{Error, Result};
use crate::store::doctor::TEXT_INDEX;
use crate::store::layout::{Backend, Generation, Layout, Mode, SchemaName, Table};
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
    Ok(layout)
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
    use super::parse_version;

    #[test]
    fn versions_are_bare_numbers() {
        assert_eq!(parse_version(Some(" 180 ")), Ok(180));
        assert!(parse_version(None).is_err());
        assert!(parse_version(Some("V180")).is_err());
        assert!(parse_version(Some("")).is_err());
    }
}
