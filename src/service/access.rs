//! Who is acting: finding the operator (which never writes), and the first Owner of a database that has no users.

use super::Service;
use crate::domain::user::{Operator, Role};
use crate::domain::validate;
use crate::domain::{ErrorKind, Refusal};
use crate::error::{Error, Result};
use crate::store::users::{self, NewUser};

/// The outcome of signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub email: String,
    /// `None` when no user has that email: such an operator can only read.
    pub operator: Option<Operator>,
    /// The database had no users, so this operator was made its first Owner.
    pub made_first_owner: bool,
    /// The database has no users at all (only ever true when `operator` is `None`).
    pub no_users: bool,
}

impl SignIn {
    /// What to tell the operator when signing in made them the database's first Owner.
    pub fn notice(&self) -> Option<String> {
        self.made_first_owner.then(|| format!("this database had no users, so {} is now its Owner", self.email))
    }

    /// Why this operator can't write, when no user has their email; the way out in the same sentence.
    pub fn unknown_operator(&self, phoenix_kit: bool) -> Option<String> {
        if self.operator.is_some() {
            return None;
        }
        let email = &self.email;
        Some(if phoenix_kit {
            format!("no user {email} in this PhoenixKit database: users sign up through your PhoenixKit application")
        } else if self.no_users {
            format!(
                "no user {email}: this database has no users yet; make its first Owner with `refcodes init --owner EMAIL`"
            )
        } else {
            format!("no user {email}: an Owner or Admin adds one with `refcodes users add {email}`")
        })
    }
}

impl Service {
    /// Finds the operator by email. Only reads: an unknown email signs in as nobody, who can only read.
    pub async fn sign_in(&self, email: &str) -> Result<SignIn> {
        let email = operator_email(email)?;
        let exec = || self.db.exec();
        let operator = match users::find_by_email(exec(), &email).await? {
            Some(user) => users::with_role(exec(), user.id).await?.map(|u| Operator { user: u.user, role: u.role }),
            None => None,
        };
        let no_users = operator.is_none() && users::count(exec()).await? == 0;
        Ok(SignIn { email, operator, made_first_owner: false, no_users })
    }

    /// Makes `email` the first user and Owner of refcodes' own database, which must have no users at all (a
    /// database whose users have no admin gets none this way: anyone could claim it). Never on a PhoenixKit
    /// database, whose users and roles are the application's, nor read-only.
    pub async fn make_first_owner(&self, email: &str) -> Result<Operator> {
        let email = operator_email(email)?;
        self.require_writable()?;
        self.refuse_on_phoenix_kit("Making a first Owner")?;
        let mut tx = self.db.begin_write().await?;
        // Counted under the write lock, so two first starts make one Owner.
        users::lock(tx.exec(), None).await?;
        if users::count(tx.exec()).await? > 0 {
            return Err(Refusal::new(
                ErrorKind::Conflict,
                "this database has users already, so it gets no first Owner: an Owner or Admin gives roles with \
                 `refcodes users add EMAIL --role admin`",
            )
            .into());
        }
        let new = NewUser { email: &email, username: None, first_name: None, last_name: None, inserted_at: self.now() };
        let user = users::insert(tx.exec(), &new).await?;
        users::assign_role(tx.exec(), user.id, Role::Owner).await?;
        tx.commit().await?;
        Ok(Operator { user, role: Some(Role::Owner) })
    }

    /// The dashboard's first start: signs in, and on a writable database of refcodes' own with no users at all
    /// makes the operator its first Owner.
    pub async fn sign_in_or_make_first_owner(&self, email: &str) -> Result<SignIn> {
        let signed = self.sign_in(email).await?;
        if !signed.no_users || self.options.read_only || self.is_phoenix_kit() {
            return Ok(signed);
        }
        match self.make_first_owner(email).await {
            // Another first start won the race: sign in under its Owner.
            Err(Error::Refused(r)) if r.kind == ErrorKind::Conflict => self.sign_in(email).await,
            made => Ok(SignIn { operator: Some(made?), made_first_owner: true, no_users: false, ..signed }),
        }
    }

    /// Whether the signed-in operator holds Owner or Admin now (the dashboard asks at each refresh).
    pub async fn operator_is_admin(&self) -> Result<bool> {
        let Some(signed_in) = &self.operator else { return Ok(false) };
        let now = users::with_role(self.db.exec(), signed_in.user.id).await?;
        Ok(now.is_some_and(|u| Operator { user: u.user, role: u.role }.is_admin()))
    }
}

fn operator_email(email: &str) -> Result<String> {
    validate::email(email)
        .map_err(|m| Refusal::new(ErrorKind::Validation, format!("operator email {m} (use --as EMAIL)")).into())
}

/// The operator's email when none is configured: `<login>@localhost`.
pub fn default_operator_email() -> String {
    let login = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "admin".into());
    let login: String = login.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    format!("{}@localhost", if login.is_empty() { "admin" } else { &login })
}
