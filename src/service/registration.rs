//! The registration flow: a code checked under the enabled/required settings, and a new user who redeems it in
//! the same transaction. Errors carry the precise kind; `Refusal::public_message` is what the public sees.

use super::Service;
use super::codes::{lookup_form, not_found};
use super::usage::redeem;
use super::users::{NewUserInput, check_user, insert_checked};
use crate::domain::stats::Usage;
use crate::domain::user::User;
use crate::domain::{CodeStatus, ErrorKind, ReferralCode, Refusal};
use crate::error::Result;
use crate::store::{codes, settings};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    pub user: NewUserInput,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    pub user: User,
    pub usage: Option<Usage>,
    /// A code was given while the system is disabled, so it was not used.
    pub code_ignored: bool,
}

fn given(code: Option<&str>) -> Option<&str> {
    code.map(str::trim).filter(|c| !c.is_empty())
}

impl Service {
    /// Checks a registration code without using it: `None` when no code is needed or the system is disabled.
    pub async fn check_registration_code(&self, code: Option<&str>) -> Result<Option<ReferralCode>> {
        let config = settings::read(self.db.exec()).await?;
        if !config.enabled {
            return Ok(None);
        }
        let Some(code) = given(code) else {
            return if config.required {
                Err(Refusal::new(ErrorKind::CodeRequired, "a referral code is required to register").into())
            } else {
                Ok(None)
            };
        };
        let found = codes::get_by_code(self.db.exec(), &lookup_form(code)).await?.ok_or_else(|| not_found(code))?;
        let kind = match found.status_at(self.now()) {
            CodeStatus::Active => return Ok(Some(found)),
            CodeStatus::Inactive => ErrorKind::CodeInactive,
            CodeStatus::Expired => ErrorKind::CodeExpired,
            CodeStatus::LimitReached => ErrorKind::UsageLimitReached,
        };
        Err(Refusal::new(kind, format!("code {} can't be used: {}", found.code, kind)).into())
    }

    /// Registers a user, using the code when the system is enabled; all or nothing.
    pub async fn register(&self, registration: &Registration) -> Result<Registered> {
        self.require_writable()?;
        self.refuse_on_phoenix_kit("registering a user")?;
        let mut input = registration.user.clone();
        input.role = None;
        let checked = check_user(&input)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let config = settings::read(tx.exec()).await?;
        let code = given(registration.code.as_deref());
        if config.enabled && config.required && code.is_none() {
            return Err(Refusal::new(ErrorKind::CodeRequired, "a referral code is required to register").into());
        }
        let user = insert_checked(&mut tx, &checked, now).await?;
        let usage = match code {
            Some(code) if config.enabled => Some(redeem(&mut tx, &lookup_form(code), user.id, now).await?),
            _ => None,
        };
        tx.commit().await?;
        Ok(Registered { user, usage, code_ignored: code.is_some() && !config.enabled })
    }
}
