//! Writing many rows into tables that hold none yet (`demo` on a new SQLite file): the indexes that check nothing
//! and the search index's insert trigger are set aside first and made again at the end, in the same transaction.
//! Kept, every insert lands at a random place in each of them (a million codes, six million usage records: most of
//! the time); made at the end, each is one sort. Unique indexes stay, as they check the rows on the way in.

use crate::store::Exec;
use crate::store::layout::Backend;
use crate::store::sql::Sql;

/// What [`set_aside`] dropped: the statements that make it again.
#[derive(Debug, Default)]
pub struct Aside {
    statements: Vec<String>,
    search: bool,
}

/// Drops, on SQLite, the non-unique indexes of the codes and usage tables and the trigger that keeps the codes'
/// search index in step on insert. PostgreSQL keeps everything (nothing is set aside).
pub async fn set_aside(mut exec: Exec<'_>) -> Result<Aside, sqlx::Error> {
    if exec.backend() != Backend::Sqlite {
        return Ok(Aside::default());
    }
    let list = exec.sql(
        "SELECT m.name, m.sql FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL \
         AND m.tbl_name IN ('{codes_table}', '{usage_table}') \
         AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.tbl_name) l WHERE l.name = m.name AND l.\"unique\")",
    );
    let found: Vec<(String, String)> = exec.reborrow().fetch_all(&list).await?;
    for (name, _) in &found {
        let mut drop = exec.sql("DROP INDEX ");
        drop.push_ident(name);
        exec.reborrow().execute(&drop).await?;
    }
    let mut statements: Vec<String> = found.into_iter().map(|(_, sql)| sql).collect();
    let trigger =
        exec.sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'refcodes_code_search_insert'");
    let search: Option<(String,)> = exec.reborrow().fetch_optional(&trigger).await?;
    if let Some((definition,)) = &search {
        let drop = exec.sql("DROP TRIGGER refcodes_code_search_insert");
        exec.reborrow().execute(&drop).await?;
        statements.push(definition.clone());
    }
    Ok(Aside { statements, search: search.is_some() })
}

/// Makes again what [`set_aside`] dropped, and fills the search index from the codes.
pub async fn restore(mut exec: Exec<'_>, aside: &Aside) -> Result<(), sqlx::Error> {
    for statement in &aside.statements {
        let sql = Sql::stored(exec.layout(), statement.clone());
        exec.reborrow().execute(&sql).await?;
    }
    if aside.search {
        let rebuild = exec.sql("INSERT INTO refcodes_code_search (refcodes_code_search) VALUES ('rebuild')");
        exec.execute(&rebuild).await?;
    }
    Ok(())
}
