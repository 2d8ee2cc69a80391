//! Users, roles and the operator who acts through refcodes.

use super::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// PhoenixKit's `is_active`: an inactive user can't sign in, nor be chosen as a beneficiary.
    pub is_active: bool,
    pub inserted_at: DateTime<Utc>,
}

impl User {
    pub fn full_name(&self) -> String {
        [self.first_name.as_deref(), self.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// PhoenixKit's seeded roles. Owner and Admin may administer codes; the others read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Role {
    Owner,
    Admin,
    /// Seeded by PhoenixKit from V35.
    SupportAgent,
    User,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::SupportAgent, Role::User];
    /// The roles refcodes' own schema has, and so can give (`users add --role`).
    pub const GRANTABLE: [Role; 3] = [Role::Owner, Role::Admin, Role::User];

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::SupportAgent => "SupportAgent",
            Role::User => "User",
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The command-line spelling.
    pub fn as_arg(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::SupportAgent => "supportagent",
            Role::User => "user",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_arg() == wanted)
            .ok_or_else(|| format!("unknown role {wanted:?}: use owner, admin or user"))
    }
}

/// A user with the strongest role assigned to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserWithRole {
    #[serde(flatten)]
    pub user: User,
    pub role: Option<Role>,
}

/// Who is acting, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub user: User,
    pub role: Option<Role>,
}

impl Operator {
    /// An Owner or Admin who may still sign in.
    pub fn is_admin(&self) -> bool {
        self.user.is_active && self.role.is_some_and(Role::is_admin)
    }
}
