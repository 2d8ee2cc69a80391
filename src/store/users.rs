//! Queries on users and their roles.

use crate::domain::UserId;
use crate::domain::user::{Role, User, UserWithRole};
use crate::store::sql::Arg;
use crate::store::sql::{MAX_CONTAINS, contains_pattern};
use crate::store::{Exec, Sql};
use chrono::{DateTime, Utc};

// citext emails of real PhoenixKit databases are read as text.
const USER_COLUMNS: &str = "u.id, CAST(u.email AS TEXT) AS email, CAST(u.username AS TEXT) AS username, u.first_name, \
                            u.last_name, u.inserted_at";

/// The strongest role of `u`, by name, as PhoenixKit names them.
const ROLE_OF_U: &str = "(SELECT r.name FROM phoenix_kit_user_role_assignments a \
                         JOIN phoenix_kit_user_roles r ON r.id = a.role_id WHERE a.user_id = u.id \
                         ORDER BY CASE r.name WHEN 'Owner' THEN 0 WHEN 'Admin' THEN 1 ELSE 2 END LIMIT 1)";

#[derive(sqlx::FromRow)]
struct UserRoleRow {
    #[sqlx(flatten)]
    user: User,
    role: Option<String>,
}

impl From<UserRoleRow> for UserWithRole {
    fn from(row: UserRoleRow) -> Self {
        UserWithRole { user: row.user, role: row.role.and_then(|r| r.parse().ok()) }
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub username: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub inserted_at: DateTime<Utc>,
}

pub async fn insert(exec: Exec<'_>, new: &NewUser<'_>) -> Result<User, sqlx::Error> {
    let sql = Sql::new("INSERT INTO phoenix_kit_users (email, username, first_name, last_name, inserted_at) VALUES (")
        .and("", new.email)
        .and(", ", opt_text(new.username))
        .and(", ", opt_text(new.first_name))
        .and(", ", opt_text(new.last_name))
        .and(", ", new.inserted_at)
        .then(") RETURNING id, CAST(email AS TEXT) AS email, CAST(username AS TEXT) AS username, first_name, last_name, inserted_at");
    exec.fetch_one(&sql).await
}

fn opt_text(v: Option<&str>) -> Arg {
    Arg::OptText(v.map(str::to_string))
}

pub async fn get(exec: Exec<'_>, id: UserId) -> Result<Option<User>, sqlx::Error> {
    exec.fetch_optional(&Sql::new(format!("SELECT {USER_COLUMNS} FROM phoenix_kit_users u WHERE u.id = ")).and("", id))
        .await
}

/// By email, without case.
pub async fn find_by_email(exec: Exec<'_>, email: &str) -> Result<Option<User>, sqlx::Error> {
    exec.fetch_optional(
        &Sql::new(format!(
            "SELECT {USER_COLUMNS} FROM phoenix_kit_users u WHERE lower(CAST(u.email AS TEXT)) = lower("
        ))
        .and("", email)
        .then(")"),
    )
    .await
}

/// Users whose email, username or names contain `text`, by email.
pub async fn search(exec: Exec<'_>, text: &str, limit: i64) -> Result<Vec<UserWithRole>, sqlx::Error> {
    let like = exec.backend().ilike();
    let mut sql = Sql::new(format!("SELECT {USER_COLUMNS}, {ROLE_OF_U} AS role FROM phoenix_kit_users u"));
    let text = text.trim();
    if text.chars().count() > MAX_CONTAINS {
        return Ok(Vec::new());
    }
    if !text.is_empty() {
        let pattern = contains_pattern(text);
        sql.push(" WHERE ");
        for (i, column) in
            ["CAST(u.email AS TEXT)", "CAST(u.username AS TEXT)", "u.first_name", "u.last_name"].iter().enumerate()
        {
            let or = if i == 0 { "" } else { " OR " };
            sql.push(&format!("{or}{column} {like} ")).bind(pattern.clone()).push(" ESCAPE '\\'");
        }
        // "Ada Lovelace" finds first and last name together.
        sql.push(&format!(" OR (COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, '')) {like} "))
            .bind(pattern)
            .push(" ESCAPE '\\'");
    }
    sql.push(" ORDER BY u.email LIMIT ").bind(limit);
    Ok(exec.fetch_all::<UserRoleRow>(&sql).await?.into_iter().map(Into::into).collect())
}

pub async fn role_of(exec: Exec<'_>, id: UserId) -> Result<Option<Role>, sqlx::Error> {
    let sql = Sql::new(format!("SELECT {ROLE_OF_U} FROM phoenix_kit_users u WHERE u.id = ")).and("", id);
    let row: Option<(Option<String>,)> = exec.fetch_optional(&sql).await?;
    Ok(row.and_then(|(r,)| r).and_then(|r| r.parse().ok()))
}

pub async fn assign_role(exec: Exec<'_>, id: UserId, role: Role) -> Result<(), sqlx::Error> {
    let sql = Sql::new("INSERT INTO phoenix_kit_user_role_assignments (user_id, role_id) SELECT ")
        .and("", id)
        .and(", r.id FROM phoenix_kit_user_roles r WHERE r.name = ", role.name())
        .then(" ON CONFLICT (user_id, role_id) DO NOTHING");
    exec.execute(&sql).await?;
    Ok(())
}

/// How many users hold Owner or Admin.
pub async fn count_admins(exec: Exec<'_>) -> Result<i64, sqlx::Error> {
    let sql = Sql::new(
        "SELECT count(DISTINCT a.user_id) FROM phoenix_kit_user_role_assignments a \
         JOIN phoenix_kit_user_roles r ON r.id = a.role_id WHERE r.name IN ('Owner', 'Admin')",
    );
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// Serialises first-Owner checks until the transaction ends. SQLite's `BEGIN IMMEDIATE` already holds the only
/// write lock; PostgreSQL takes a transaction-level advisory lock.
pub async fn lock_first_owner(exec: Exec<'_>) -> Result<(), sqlx::Error> {
    if exec.backend() == crate::store::Backend::Postgres {
        exec.execute(&Sql::new("SELECT pg_advisory_xact_lock(hashtext('refcodes.first_owner'))")).await?;
    }
    Ok(())
}

/// How many users there are.
pub async fn count(exec: Exec<'_>) -> Result<i64, sqlx::Error> {
    Ok(exec.fetch_one::<(i64,)>(&Sql::new("SELECT count(*) FROM phoenix_kit_users")).await?.0)
}

/// Serialises writers that act for one user (such as the codes-per-user limit) until the transaction ends.
/// SQLite's `BEGIN IMMEDIATE` already holds the only write lock.
pub async fn lock(exec: Exec<'_>, id: UserId) -> Result<(), sqlx::Error> {
    if exec.backend() == crate::store::Backend::Postgres {
        exec.fetch_optional::<(i64,)>(
            &Sql::new("SELECT id FROM phoenix_kit_users WHERE id = ").and("", id).then(" FOR UPDATE"),
        )
        .await?;
    }
    Ok(())
}

/// Inserts many users `(email, username, first_name, last_name, inserted_at)` in one statement; returns their ids.
pub async fn insert_many(
    exec: Exec<'_>,
    rows: &[(String, String, String, String, DateTime<Utc>)],
) -> Result<Vec<UserId>, sqlx::Error> {
    let mut sql =
        Sql::new("INSERT INTO phoenix_kit_users (email, username, first_name, last_name, inserted_at) VALUES ");
    for (i, (email, username, first, last, at)) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(email.as_str()).push(", ").bind(username.as_str()).push(", ").bind(first.as_str());
        sql.push(", ").bind(last.as_str()).push(", ").bind(*at).push(")");
    }
    sql.push(" RETURNING id");
    Ok(exec.fetch_all::<(UserId,)>(&sql).await?.into_iter().map(|(id,)| id).collect())
}
