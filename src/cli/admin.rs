//! `migrate`, `settings`, `users` and `demo`.

use super::args::{SettingsCommand, UsersCommand};
use super::output::{print_json, print_table};
use crate::domain::settings::{SettingKey, SystemConfig};
use crate::domain::user::Role;
use crate::error::Result;
use crate::service::{DemoInput, Service};

pub fn migrate(service: &Service, json: bool) -> Result<()> {
    // Opening the service applied the migrations.
    if json {
        print_json(&serde_json::json!({"migrated": true, "database": service.database_label()}));
    } else {
        println!("The schema of {} is up to date.", service.database_label());
    }
    Ok(())
}

pub async fn settings(service: &Service, cmd: &SettingsCommand, json: bool) -> Result<()> {
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
        print_json(&config);
    } else {
        print_config(&config);
    }
    Ok(())
}

fn print_config(config: &SystemConfig) {
    let rows: Vec<Vec<String>> =
        SettingKey::ALL.iter().map(|key| vec![key.key().to_string(), config.value(*key).to_string()]).collect();
    print_table(&["SETTING", "VALUE"], &rows);
}

pub async fn users(service: &Service, cmd: &UsersCommand, json: bool) -> Result<()> {
    match cmd {
        UsersCommand::Add { email, role, names } => {
            let role = role.as_deref().map(str::parse::<Role>).transpose().map_err(|m| super::bad_value("role", m))?;
            let input = super::user_input(email, names, role);
            let added = service.add_user(&input).await?;
            if json {
                print_json(&added);
            } else {
                let role = added.role.map_or(String::new(), |r| format!(" as {}", r.name()));
                println!("Added user {} (id {}){role}.", added.user.email, added.user.id);
            }
        }
        UsersCommand::List { filter, limit } => {
            let users = service.search_users(filter, *limit).await?;
            if json {
                print_json(&users);
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
                print_table(&["ID", "EMAIL", "USERNAME", "NAME", "ROLE"], &rows);
            }
        }
    }
    Ok(())
}

pub async fn demo(service: &Service, users: usize, codes: usize, days: i64, json: bool) -> Result<()> {
    let outcome = service.demo(&DemoInput { users, codes, days }).await?;
    if json {
        print_json(&outcome);
    } else {
        println!(
            "Wrote {} users, {} codes and {} usage records over the last {days} days, and enabled the system.",
            outcome.users, outcome.codes, outcome.usage_records
        );
    }
    Ok(())
}
