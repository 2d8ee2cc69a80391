//! Who is acting: finding the operator, and the first Owner of a database that has no admin yet.

use super::Service;
use crate::domain::user::{Operator, Role};
use crate::domain::validate;
use crate::domain::{ErrorKind, Refusal};
use crate::error::Result;
use crate::store::users::{self, NewUser};

/// The outcome of signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub email: String,
    /// `None` when no user has that email: such an operator can only read.
    pub operator: Option<Operator>,
    /// The database had no admin, so this operator was made its first Owner.
    pub made_first_owner: bool,
}

impl SignIn {
    /// What to tell the operator when signing in made them the database's first Owner.
    pub fn notice(&self) -> Option<String> {
        self.made_first_owner.then(|| format!("this database had no admin, so {} is now its Owner", self.email))
    }
}

impl Service {
    /// Finds the operator by email. refcodes' own database with no admin at all gets its first Owner here
    /// (created as a user when needed), unless the service is read-only. A PhoenixKit database's users and roles
    /// are the application's: its operator must be one of its Owners or Admins already.
    pub async fn sign_in(&self, email: &str) -> Result<SignIn> {
        let email = validate::email(email)
            .map_err(|m| Refusal::new(ErrorKind::Validation, format!("operator email {m} (use --as EMAIL)")))?;
        let exec = || self.db.exec();
        let mut made_first_owner = false;
        if !self.options.read_only && !self.is_phoenix_kit() && users::count_admins(exec()).await? == 0 {
            let mut tx = self.db.begin_write().await?;
            // Checked again under the write lock, so two first runs make one Owner.
            users::lock(tx.exec(), None).await?;
            if users::count_admins(tx.exec()).await? == 0 {
                let user = match users::find_by_email(tx.exec(), &email).await? {
                    Some(user) => user,
                    None => {
                        let new = NewUser {
                            email: &email,
                            username: None,
                            first_name: None,
                            last_name: None,
                            inserted_at: self.now(),
                        };
                        users::insert(tx.exec(), &new).await?
                    }
                };
                users::assign_role(tx.exec(), user.id, Role::Owner).await?;
                made_first_owner = true;
            }
            tx.commit().await?;
        }
        let operator = match users::find_by_email(exec(), &email).await? {
            Some(user) => users::with_role(exec(), user.id).await?.map(|u| Operator { user: u.user, role: u.role }),
            None => None,
        };
        Ok(SignIn { email, operator, made_first_owner })
    }
}

/// The operator's email when none is configured: `<login>@localhost`.
pub fn default_operator_email() -> String {
    let login = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "admin".into());
    let login: String = login.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    format!("{}@localhost", if login.is_empty() { "admin" } else { &login })
}
