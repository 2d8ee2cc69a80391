//! `codes list | show | create | update | delete | generate`.

use super::args::{CodeFields, CodesCommand};
use super::bad_value;
use super::output::{CODE_HEADER, CodeView, code_table_row, csv_line, print_json, print_table};
use crate::domain::draft::{CodeChanges, CodeInput};
use crate::domain::expiry::{self, Expiration};
use crate::domain::text::date_time_or_never as time;
use crate::domain::{CodeFilter, CodeQuery, UserId};
use crate::error::{Error, Result};
use crate::service::{GenerateInput, Service};
use std::io::{BufRead, IsTerminal, Write};

pub async fn run(service: &Service, cmd: &CodesCommand, json: bool) -> Result<()> {
    let now = service.now();
    match cmd {
        CodesCommand::List { filter, status, sort, desc, limit, offset } => {
            let query = CodeQuery {
                filter: CodeFilter {
                    text: filter.clone(),
                    status: status.as_deref().map(str::parse).transpose().map_err(|m| bad_value("status", m))?,
                },
                sort: sort.parse().map_err(|m| bad_value("sort", m))?,
                descending: *desc,
                offset: *offset,
                limit: *limit,
            };
            let page = service.page_with_total(&query).await?;
            if json {
                let rows: Vec<_> = page.rows.iter().map(|r| CodeView::of(r, now)).collect();
                print_json(&serde_json::json!({"total": page.total, "offset": offset, "codes": rows}));
            } else {
                let rows: Vec<Vec<String>> = page.rows.iter().map(|r| code_table_row(r, now)).collect();
                print_table(&CODE_HEADER, &rows);
                let first = if rows.is_empty() { 0 } else { offset + 1 };
                println!("{first}-{} of {} codes", offset + rows.len() as u64, page.total);
            }
        }
        CodesCommand::Show { code, limit } => {
            let found = service.find_code(code).await?;
            let row = service.get_code_row(found.id).await?;
            let stats = service.get_usage_stats(found.id).await?;
            let records = service.list_usage_for_code(found.id, 0, *limit).await?;
            if json {
                print_json(&serde_json::json!({"code": CodeView::of(&row, now), "stats": stats, "usage": records}));
            } else {
                let c = &row.code;
                print_table(
                    &["FIELD", "VALUE"],
                    &[
                        vec!["code".into(), c.code.clone()],
                        vec!["description".into(), c.description.clone()],
                        vec!["status".into(), stats.status.label().into()],
                        vec![
                            "uses".into(),
                            format!("{}/{} ({} left)", c.number_of_uses, c.max_uses, stats.remaining_uses),
                        ],
                        vec!["unique users".into(), stats.unique_users.to_string()],
                        vec!["last used".into(), stats.last_used.map_or("never".into(), |t| time(Some(t)))],
                        vec!["expires".into(), time(c.expiration_date)],
                        vec!["created".into(), time(Some(c.date_created))],
                        vec!["created by".into(), row.created_by_email.clone().unwrap_or_else(|| "unknown".into())],
                        vec!["beneficiary".into(), row.beneficiary_email.clone().unwrap_or_else(|| "none".into())],
                    ],
                );
                println!();
                let rows: Vec<Vec<String>> = records.iter().map(|u| vec![time(Some(u.date_used)), u.who()]).collect();
                print_table(&["USED", "BY"], &rows);
                if stats.total_uses > records.len() as i64 {
                    println!("({} more; --limit N shows more)", stats.total_uses - records.len() as i64);
                }
            }
        }
        CodesCommand::Create { code, description, fields, beneficiary, inactive } => {
            let input = CodeInput {
                code: code.clone(),
                description: description.clone(),
                max_uses: fields.max_uses,
                expiration: expiration(fields, service)?,
                beneficiary: match beneficiary {
                    Some(email) => Some(service.resolve_user(email).await?.id),
                    None => None,
                },
                inactive: *inactive,
            };
            let created = service.create_code(&input).await?;
            if json {
                // Read back with the creator's and beneficiary's emails, which the bare record lacks.
                print_json(&CodeView::of(&service.get_code_row(created.id).await?, now));
            } else {
                println!(
                    "Created code {} ({} uses, expires {}).",
                    created.code,
                    created.max_uses,
                    time(created.expiration_date)
                );
            }
        }
        CodesCommand::Update { code, new_code, description, fields, beneficiary, active, inactive } => {
            let current = service.find_code(code).await?;
            let changes = CodeChanges {
                code: new_code.clone(),
                description: description.clone(),
                max_uses: fields.max_uses,
                expiration: expiration(fields, service)?,
                beneficiary: match beneficiary.as_deref().map(str::trim) {
                    None => None,
                    Some(none) if none.eq_ignore_ascii_case("none") => Some(None),
                    Some(email) => Some(Some(service.resolve_user(email).await?.id)),
                },
                active: if *active {
                    Some(true)
                } else if *inactive {
                    Some(false)
                } else {
                    None
                },
            };
            let updated = service.update_code(&current, &changes).await?;
            if json {
                print_json(&CodeView::of(&service.get_code_row(updated.id).await?, now));
            } else {
                println!("Updated code {} ({}).", updated.code, updated.status_at(now).label());
            }
        }
        CodesCommand::Delete { code, yes } => {
            let found = service.find_code(code).await?;
            let stats = service.get_usage_stats(found.id).await?;
            if !yes && !confirm_delete(&found.code, stats.total_uses)? {
                eprintln!("Not deleted.");
                return Ok(());
            }
            let deleted = service.delete_code(&found).await?;
            if json {
                print_json(&deleted);
            } else {
                println!("Deleted code {} and its {} usage records.", found.code, deleted.usage_records);
            }
        }
        CodesCommand::Generate { count, description, prefix, length, fields, csv } => {
            let input = GenerateInput {
                count: *count,
                prefix: prefix.clone(),
                length: *length,
                template: CodeInput {
                    code: None,
                    description: description.clone(),
                    max_uses: fields.max_uses,
                    expiration: expiration(fields, service)?,
                    beneficiary: None::<UserId>,
                    inactive: false,
                },
            };
            let created = service.generate_codes(&input).await?;
            if json {
                // Generated codes have no beneficiary, and the operator created them.
                let by = service.operator().map(|o| o.user.email.as_str());
                let views: Vec<_> =
                    created.iter().map(|c| CodeView { created_by_email: by, ..CodeView::bare(c, now) }).collect();
                print_json(&views);
            } else if *csv {
                println!("code,description,max_uses,expiration_date");
                for c in &created {
                    let expires = c.expiration_date.map(|t| t.to_rfc3339()).unwrap_or_default();
                    println!("{}", csv_line(&[c.code.clone(), c.description.clone(), c.max_uses.to_string(), expires]));
                }
            } else {
                for c in &created {
                    println!("{}", c.code);
                }
                eprintln!("Created {} codes.", created.len());
            }
        }
    }
    Ok(())
}

fn expiration(fields: &CodeFields, service: &Service) -> Result<Option<Expiration>> {
    fields
        .expires
        .as_deref()
        .map(|raw| expiry::parse(raw, service.now()).map_err(|m| bad_value("expiration", m)))
        .transpose()
}

/// Asks on the terminal (the default is no); without one, `--yes` is needed.
fn confirm_delete(code: &str, uses: i64) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "deleting {code} needs --yes when no terminal can ask (it removes {uses} usage records too)"
        )));
    }
    eprint!(
        "Delete code {code} and its {uses} usage records? To keep the history, deactivate it instead \
         (`refcodes codes update {code} --inactive`). [y/N] "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Error::Usage(format!("can't read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
