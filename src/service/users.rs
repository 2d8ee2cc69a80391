//! Users: adding, finding, and the search behind the beneficiary picker.

use super::{Service, is_unique_violation};
use crate::domain::user::{Role, User, UserWithRole};
use crate::domain::{ErrorKind, FieldError, Refusal, UserId, validate};
use crate::error::{Result, refuse};
use crate::store::Tx;
use crate::store::users::{self, NewUser};
use chrono::{DateTime, Utc};

/// A user to add, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUserInput {
    pub email: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<Role>,
}

/// Checks the fields of a new user; the clean email and names, or every problem.
pub(super) fn check_user(input: &NewUserInput) -> std::result::Result<(String, [Option<String>; 3]), Refusal> {
    let mut errors = Vec::new();
    let mut field = |name: &'static str, r: std::result::Result<Option<String>, String>| {
        r.map_err(|message| errors.push(FieldError { field: name, message })).ok().flatten()
    };
    let email = field("email", validate::email(&input.email).map(Some));
    let names = [
        field("username", validate::optional_name(input.username.as_deref())),
        field("first_name", validate::optional_name(input.first_name.as_deref())),
        field("last_name", validate::optional_name(input.last_name.as_deref())),
    ];
    match email {
        Some(email) if errors.is_empty() => Ok((email, names)),
        _ => Err(Refusal::validation(errors)),
    }
}

fn email_taken(email: &str) -> crate::Error {
    Refusal::new(ErrorKind::EmailTaken, format!("a user with email {email} exists already")).into()
}

/// Inserts a user whose fields [`check_user`] passed, in `tx`; `email_taken` when the email is someone's, also
/// when another transaction inserted it since the check (the unique index says so).
pub(super) async fn insert_checked(
    tx: &mut Tx,
    (email, [username, first_name, last_name]): &(String, [Option<String>; 3]),
    now: DateTime<Utc>,
) -> Result<User> {
    if users::find_by_email(tx.exec(), email).await?.is_some() {
        return Err(email_taken(email));
    }
    let new = NewUser {
        email,
        username: username.as_deref(),
        first_name: first_name.as_deref(),
        last_name: last_name.as_deref(),
        inserted_at: now,
    };
    users::insert(tx.exec(), &new).await.map_err(|e| {
        let e = crate::Error::from(e);
        if is_unique_violation(&e) { email_taken(email) } else { e }
    })
}

impl Service {
    /// Adds a user, with a role when one is given. Admins only.
    pub async fn add_user(&self, input: &NewUserInput) -> Result<UserWithRole> {
        self.require_admin()?;
        self.refuse_on_phoenix_kit("adding a user")?;
        let checked = check_user(input)?;
        let (mut tx, _) = self.begin_admin_write().await?;
        let user = insert_checked(&mut tx, &checked, self.now()).await?;
        if let Some(role) = input.role {
            users::assign_role(tx.exec(), user.id, role).await?;
        }
        tx.commit().await?;
        Ok(UserWithRole { user, role: input.role })
    }

    /// Users whose email, username or names contain `text` (LIKE wildcards in it are taken literally).
    pub async fn search_users(&self, text: &str, limit: i64) -> Result<Vec<UserWithRole>> {
        Ok(users::search(self.db.exec(), text, limit.max(0)).await?)
    }

    pub async fn get_user(&self, id: UserId) -> Result<Option<User>> {
        Ok(users::get(self.db.exec(), id).await?)
    }

    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        // Lower-cased here as refcodes stores emails (SQLite's lower() folds ASCII only); citext compares as it will.
        Ok(users::find_by_email(self.db.exec(), &email.trim().to_lowercase()).await?)
    }

    /// A user named by id (a number or a UUID, as the database keys users) or email, as people type it;
    /// `user_not_found` when there is none.
    pub async fn resolve_user(&self, id_or_email: &str) -> Result<User> {
        let text = id_or_email.trim();
        let found = match text.parse::<UserId>() {
            Ok(id) if self.db.layout().uuid_keys() == matches!(id.0, crate::domain::Key::Uuid(_)) => {
                self.get_user(id).await?
            }
            // An id of the other kind names nobody here.
            Ok(_) => None,
            Err(_) => self.find_user_by_email(text).await?,
        };
        match found {
            Some(user) => Ok(user),
            None => refuse(ErrorKind::UserNotFound, format!("no user {text:?}; `refcodes users list` shows users")),
        }
    }
}
