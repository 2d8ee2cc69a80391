//! Queries on users and their roles. On a PhoenixKit database these are the application's and are only read.

use crate::domain::UserId;
use crate::domain::user::{Role, User, UserWithRole};
use crate::store::sql::{Arg, MAX_CONTAINS};
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};

// citext emails and usernames of PhoenixKit databases are read as text.
const USER_COLUMNS: &str = "u.{user_key} AS id, CAST(u.email AS TEXT) AS email, CAST(u.username AS TEXT) AS username, \
     u.first_name, u.last_name, u.is_active, u.inserted_at{tz} AS inserted_at";

/// The same columns unqualified, for `RETURNING`.
const RETURNING: &str = " RETURNING {user_key} AS id, CAST(email AS TEXT) AS email, CAST(username AS TEXT) AS username, \
     first_name, last_name, is_active, inserted_at{tz} AS inserted_at";

/// The strongest role of `u`, by name, as PhoenixKit names them.
const ROLE_OF_U: &str = "(SELECT r.name FROM {assignments} a JOIN {roles} r ON r.{role_key} = a.{a_role} \
     WHERE a.{a_user} = u.{user_key} ORDER BY CASE r.name WHEN 'Owner' THEN 0 WHEN 'Admin' THEN 1 \
     WHEN 'SupportAgent' THEN 2 ELSE 3 END LIMIT 1)";

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

fn select_users(exec: &Exec<'_>) -> Sql {
    let mut sql = exec.sql("SELECT ");
    sql.push(USER_COLUMNS).push(" FROM {users} u");
    sql
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub username: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub inserted_at: DateTime<Utc>,
}

/// Adds a user to refcodes' own schema (never to a PhoenixKit database: the service refuses before).
pub async fn insert(exec: Exec<'_>, new: &NewUser<'_>) -> Result<User, sqlx::Error> {
    let sql = exec
        .sql("INSERT INTO {users} (email, username, first_name, last_name, inserted_at) VALUES (")
        .and("", new.email)
        .and(", ", opt_text(new.username))
        .and(", ", opt_text(new.first_name))
        .and(", ", opt_text(new.last_name))
        .and(", ", new.inserted_at)
        .then(")")
        .then(RETURNING);
    exec.fetch_one(&sql).await
}

fn opt_text(v: Option<&str>) -> Arg {
    Arg::OptText(v.map(str::to_string))
}

pub async fn get(exec: Exec<'_>, id: UserId) -> Result<Option<User>, sqlx::Error> {
    let sql = select_users(&exec).and(" WHERE u.{user_key} = ", id);
    exec.fetch_optional(&sql).await
}

/// By email, compared as the database compares them: PhoenixKit's citext (with its unique index), else without
/// case (SQLite's lower() folds ASCII only, so callers pass emails lower-cased as they are stored).
pub async fn find_by_email(exec: Exec<'_>, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = if exec.layout().email_type.is_some() {
        select_users(&exec).and(" WHERE u.email = CAST(", email).then(" AS {citext})")
    } else {
        select_users(&exec).and(" WHERE lower(CAST(u.email AS TEXT)) = lower(", email).then(")")
    };
    exec.fetch_optional(&sql).await
}

/// The users of these emails (lower-cased as refcodes stores them), compared without case, in one query.
pub async fn by_emails(exec: Exec<'_>, emails: &[String]) -> Result<Vec<User>, sqlx::Error> {
    let mut sql = select_users(&exec).then(" WHERE ");
    sql.push_in("lower(CAST(u.email AS TEXT))", emails);
    exec.fetch_all(&sql).await
}

/// Users whose email, username or names contain `text`, by email.
pub async fn search(exec: Exec<'_>, text: &str, limit: i64) -> Result<Vec<UserWithRole>, sqlx::Error> {
    let mut sql = exec.sql("SELECT ");
    sql.push(USER_COLUMNS).push(", ").push(ROLE_OF_U).push(" AS role FROM {users} u");
    let text = text.trim();
    if text.chars().count() > MAX_CONTAINS {
        return Ok(Vec::new());
    }
    if !text.is_empty() {
        sql.push(" WHERE ");
        for (i, column) in [
            "CAST(u.email AS TEXT)",
            "CAST(u.username AS TEXT)",
            "u.first_name",
            "u.last_name",
            // "Ada Lovelace" finds first and last name together.
            "(COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, ''))",
        ]
        .into_iter()
        .enumerate()
        {
            sql.push(if i == 0 { "" } else { " OR " }).push_contains(column, text);
        }
    }
    sql.push(" ORDER BY CAST(u.email AS TEXT) LIMIT ").bind(limit);
    Ok(exec.fetch_all::<UserRoleRow>(&sql).await?.into_iter().map(Into::into).collect())
}

/// The user and their strongest role, read in one statement (inside a write transaction, so that a role revoked
/// before it counts).
pub async fn with_role(exec: Exec<'_>, id: UserId) -> Result<Option<UserWithRole>, sqlx::Error> {
    let mut sql = exec.sql("SELECT ");
    sql.push(USER_COLUMNS).push(", ").push(ROLE_OF_U).push(" AS role FROM {users} u WHERE u.{user_key} = ").bind(id);
    Ok(exec.fetch_optional::<UserRoleRow>(&sql).await?.map(Into::into))
}

/// Gives a user a role in refcodes' own schema.
pub async fn assign_role(exec: Exec<'_>, id: UserId, role: Role) -> Result<(), sqlx::Error> {
    let sql = exec
        .sql("INSERT INTO {assignments} ({a_user}, {a_role}) SELECT ")
        .and("", id)
        .and(", r.{role_key} FROM {roles} r WHERE r.name = ", role.name())
        .then(" ON CONFLICT ({a_user}, {a_role}) DO NOTHING");
    exec.execute(&sql).await?;
    Ok(())
}

/// The highest user id, 0 without users: on refcodes' own schemas (integer keys), where each new user's id is
/// higher than every id there was.
pub async fn max_id(exec: Exec<'_>) -> Result<i64, sqlx::Error> {
    let sql = exec.sql("SELECT COALESCE(max({user_key}), 0) FROM {users}");
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// How many users there are.
pub async fn count(exec: Exec<'_>) -> Result<i64, sqlx::Error> {
    let sql = exec.sql("SELECT count(*) FROM {users}");
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// Serialises writers that act for one user (the first Owner, the codes-per-user limit) until the transaction
/// ends: a transaction-level advisory lock, which needs no write access to the users table. SQLite's `BEGIN
/// IMMEDIATE` already holds the only write lock.
pub async fn lock(exec: Exec<'_>, id: Option<UserId>) -> Result<(), sqlx::Error> {
    if exec.backend() == Backend::Postgres {
        let sql = exec
            .sql("SELECT pg_advisory_xact_lock(hashtext('refcodes.user:' || COALESCE(CAST(")
            .and("", id)
            .then(" AS TEXT), '')))");
        exec.execute(&sql).await?;
    }
    Ok(())
}

/// Inserts many users `(email, username, first_name, last_name, inserted_at)` in one statement; returns their ids.
pub async fn insert_many(
    exec: Exec<'_>,
    rows: &[(String, String, String, String, DateTime<Utc>)],
) -> Result<Vec<UserId>, sqlx::Error> {
    let rows: Vec<Vec<Arg>> = rows
        .iter()
        .map(|(email, username, first, last, at)| {
            vec![
                email.as_str().into(),
                username.as_str().into(),
                first.as_str().into(),
                last.as_str().into(),
                (*at).into(),
            ]
        })
        .collect();
    let mut sql = exec.sql("INSERT INTO {users} (email, username, first_name, last_name, inserted_at) ");
    sql.push_rows(&rows);
    sql.push(" RETURNING {user_key}");
    Ok(exec.fetch_all::<(UserId,)>(&sql).await?.into_iter().map(|(id,)| id).collect())
}
