//! `migrate`, `settings`, `users` and `demo`.

use super::args::{SettingsCommand, UsersCommand};
use super::confirm;
use super::output::{Out, Outcome, note};
use crate::domain::settings::{SettingKey, SystemConfig};
use crate::domain::user::Role;
use crate::error::Result;
use crate::service::{DemoInput, Service};

pub async fn init(service: &Service, out: &mut Out, owner: &str, json: bool) -> Outcome {
    let owner = service.make_first_owner(owner).await?;
    if json {
        out.json(&serde_json::json!({"id": owner.user.id, "email": owner.user.email, "role": Role::Owner.name()}))?;
    } else {
        out.line(format_args!(
            "{} (id {}) is now the Owner of {}.",
            owner.user.email,
            owner.user.id,
            service.database_label()
        ))?;
    }
    Ok(())
}

pub fn migrate(service: &Service, out: &mut Out, json: bool) -> Outcome {
    // Opening the service applied the migrations to refcodes' own schema; a PhoenixKit database is left as it is.
    let phoenix_kit = service.is_phoenix_kit();
    if json {
        out.json(&serde_json::json!({
            "migrated": !phoenix_kit,
            "database": service.database_label(),
            "attached": service.attached(),
        }))?;
    } else if phoenix_kit {
        out.line(format_args!(
            "{}: nothing to do (refcodes never changes a PhoenixKit database's structure).",
            service.attached()
        ))?;
    } else {
        out.line(format_args!("The schema of {} is up to date.", service.database_label()))?;
    }
    Ok(())
}

pub async fn settings(service: &Service, out: &mut Out, cmd: &SettingsCommand, json: bool) -> Outcome {
    let config = match cmd {
        SettingsCommand::Show => service.get_config().await?,
        SettingsCommand::Enable => service.enable_system().await?,
        SettingsCommand::Disable => service.disable_system().await?,
        SettingsCommand::Require { state } => service.set_required(state == "on").await?,
        SettingsCommand::Set { key, value } => {
            let key = SettingKey::parse_key(key).map_err(|m| super::bad_value("key", m))?;
            service.set_setting(key, value).await?
        }
    };
    if json {
        out.json(&config)?;
    } else {
        print_config(out, &config)?;
    }
    Ok(())
}

fn print_config(out: &mut Out, config: &SystemConfig) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> =
        SettingKey::ALL.iter().map(|key| vec![key.key().to_string(), config.value(*key).to_string()]).collect();
    out.table(&["SETTING", "VALUE"], &rows)
}

pub async fn users(service: &Service, out: &mut Out, cmd: &UsersCommand, json: bool) -> Outcome {
    match cmd {
        UsersCommand::Add { email, role, names } => {
            let role = role.as_deref().map(str::parse::<Role>).transpose().map_err(|m| super::bad_value("role", m))?;
            let input = super::user_input(email, names, role);
            let added = service.add_user(&input).await?;
            if json {
                out.json(&added)?;
            } else {
                let role = added.role.map_or(String::new(), |r| format!(" as {}", r.name()));
                out.line(format_args!("Added user {} (id {}){role}.", added.user.email, added.user.id))?;
            }
        }
        UsersCommand::List { filter, limit } => {
            let users = service.search_users(filter, *limit).await?;
            if json {
                out.json(&users)?;
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.user.id.to_string(),
                            u.user.email.clone(),
                            u.user.username.clone().map(|n| format!("@{n}")).unwrap_or_default(),
                            u.user.full_name(),
                            u.role.map_or("", Role::name).to_string(),
                        ]
                    })
                    .collect();
                out.table(&["ID", "EMAIL", "USERNAME", "NAME", "ROLE"], &rows)?;
            }
        }
    }
    Ok(())
}

/// Writes sample data, after asking when the database holds data already: the demo's users and codes mix with
/// the real ones, and it enables the system.
pub async fn demo(service: &Service, out: &mut Out, input: &DemoInput, yes: bool, json: bool) -> Outcome {
    // Only an operator who may write is asked; anyone else hears why not from the service.
    if !yes
        && service.can_administer()
        && let Some(held) = held_data(service).await?
    {
        let DemoInput { users, codes, .. } = input;
        let label = service.database_label();
        let question = format!(
            "{label} holds {held} already. Add {users} sample users and {codes} sample codes with their usage to \
             it, and enable the referral code system?"
        );
        let needs_yes = || {
            format!(
                "{label} holds {held} already: adding sample data to it (which also enables the referral code \
                 system) needs --yes when no terminal can ask"
            )
        };
        if !confirm::ask(&question, needs_yes)? {
            note("No sample data written.");
            return Ok(());
        }
    }
    let outcome = service.demo(input).await?;
    if json {
        out.json(&outcome)?;
    } else {
        out.line(format_args!(
            "Wrote {} users, {} codes and {} usage records over the last {} days, and enabled the system.",
            outcome.users, outcome.codes, outcome.usage_records, input.days
        ))?;
    }
    Ok(())
}

/// What the database holds besides the operator, said for people; `None` when it holds nothing.
async fn held_data(service: &Service) -> Result<Option<String>> {
    let stats = service.get_system_stats().await?;
    let operator = service.operator().map(|o| o.user.id);
    // Two users at most: the operator, and one more is enough to know.
    let others = service.search_users("", 2).await?.iter().any(|u| Some(u.user.id) != operator);
    Ok(match (stats.total_codes, others) {
        (0, false) => None,
        (0, true) => Some("users".to_string()),
        (codes, _) => Some(format!("{codes} codes and {} usage records", stats.total_usage)),
    })
}
