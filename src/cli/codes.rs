//! `codes list | show | create | update | delete | generate`.

use super::args::{CodeFields, CodesCommand};
use super::output::{CODE_HEADER, CodeView, Failure, Out, Outcome, code_table_row, note};
use super::{bad_value, confirm};
use crate::domain::draft::{CodeChanges, CodeInput};
use crate::domain::error::shown;
use crate::domain::expiry::{self, Expiration};
use crate::domain::text::date_time_or_never as time;
use crate::domain::{CodeQuery, ErrorKind, ReferralCode, Refusal, SortField, UserId};
use crate::error::Result;
use crate::service::{GenerateInput, Service};
use chrono::{DateTime, Utc};
use std::io::Write;

pub async fn run(service: &Service, out: &mut Out, cmd: &CodesCommand, json: bool) -> Outcome {
    match cmd {
        CodesCommand::List { filter, sort, desc, limit, offset, window } => {
            let sort = match sort {
                Some(sort) => *sort,
                None if filter.urgent() => SortField::Urgency,
                None => SortField::default(),
            };
            let query = CodeQuery {
                filter: filter.filter(),
                sort,
                descending: *desc,
                offset: *offset,
                limit: *limit,
                window: *window,
            };
            list(service, out, &query, json).await
        }
        CodesCommand::Show { code, limit } => show(service, out, code, *limit, json).await,
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
            create(service, out, &input, json).await
        }
        CodesCommand::Update { code, new_code, description, fields, beneficiary, active, inactive, expect_version } => {
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
            update(service, out, code, &changes, expect_version.as_deref(), json).await
        }
        CodesCommand::Delete { code, yes } => delete(service, out, code, *yes, json).await,
        CodesCommand::Import { file, dry_run, on_conflict } => {
            super::import::import(service, out, file, *dry_run, *on_conflict, json).await
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
            generate(service, out, &input, *csv, json).await
        }
    }
}

async fn list(service: &Service, out: &mut Out, query: &CodeQuery, json: bool) -> Outcome {
    let now = service.now();
    let page = service.page_with_total(query).await?;
    if json {
        let rows: Vec<_> = page.rows.iter().map(|r| ListedCode::of(r, now)).collect();
        let window = query.window.label();
        out.json(&serde_json::json!({"total": page.total, "offset": query.offset, "window": window, "codes": rows}))?;
    } else {
        let rows: Vec<Vec<String>> = page.rows.iter().map(|r| code_table_row(r, now)).collect();
        out.table(&CODE_HEADER, &rows)?;
        // An empty window (a filter that matches nothing, or an offset past the end) is 0-0.
        let (first, last) = match rows.len() as u64 {
            0 => (0, 0),
            n => (query.offset + 1, query.offset + n),
        };
        out.line(format_args!("{first}-{last} of {} codes", page.total))?;
    }
    Ok(())
}

/// A row of `codes list --json`: the code, its last use and its uses in the list's window.
#[derive(serde::Serialize)]
struct ListedCode<'a> {
    #[serde(flatten)]
    view: CodeView<'a>,
    last_used: Option<DateTime<Utc>>,
    window_uses: i64,
}

impl<'a> ListedCode<'a> {
    fn of(row: &'a crate::domain::CodeRow, now: DateTime<Utc>) -> ListedCode<'a> {
        ListedCode { view: CodeView::of(row, now), last_used: row.last_used, window_uses: row.window_uses }
    }
}

async fn show(service: &Service, out: &mut Out, code: &str, limit: i64, json: bool) -> Outcome {
    let now = service.now();
    let found = service.find_code(code).await?;
    let row = service.get_code_row(found.id).await?;
    let stats = service.get_usage_stats(found.id).await?;
    let records = service.list_usage_for_code(found.id, 0, limit).await?;
    if json {
        let version = row.code.version();
        return Ok(out.json(
            &serde_json::json!({"code": CodeView::of(&row, now), "version": version, "stats": stats, "usage": records}),
        )?);
    }
    let c = &row.code;
    out.table(
        &["FIELD", "VALUE"],
        &[
            vec!["code".into(), c.code.clone()],
            vec!["description".into(), c.description.clone()],
            vec!["status".into(), stats.status.label().into()],
            vec!["uses".into(), format!("{}/{} ({} left)", c.number_of_uses, c.max_uses, stats.remaining_uses)],
            vec!["unique users".into(), stats.unique_users.to_string()],
            vec!["last used".into(), stats.last_used.map_or("never".into(), |t| time(Some(t)))],
            vec!["expires".into(), time(c.expiration_date)],
            vec!["created".into(), time(Some(c.date_created))],
            vec!["created by".into(), row.created_by_email.clone().unwrap_or_else(|| "unknown".into())],
            vec!["beneficiary".into(), row.beneficiary_email.clone().unwrap_or_else(|| "none".into())],
            vec!["version".into(), c.version()],
        ],
    )?;
    out.line("")?;
    let rows: Vec<Vec<String>> = records.iter().map(|u| vec![time(Some(u.date_used)), u.who()]).collect();
    out.table(&["USED", "BY"], &rows)?;
    if stats.total_uses > records.len() as i64 {
        out.line(format_args!("({} more; --limit N shows more)", stats.total_uses - records.len() as i64))?;
    }
    Ok(())
}

async fn create(service: &Service, out: &mut Out, input: &CodeInput, json: bool) -> Outcome {
    let created = service.create_code(input).await?;
    let written = if json {
        // Read back with the creator's and beneficiary's emails, which the bare record lacks.
        let row = service.get_code_row(created.id).await?;
        out.json(&CodeView::of(&row, service.now()))
    } else {
        out.line(format_args!(
            "Created code {} ({} uses, expires {}).",
            created.code,
            created.max_uses,
            time(created.expiration_date)
        ))
    };
    written.and_then(|()| out.flush()).map_err(|err| {
        let again = format!("refcodes codes list --filter={}", created.code);
        Failure::after_commit(err, format!("Code {} was created; see it with `{again}`.", created.code))
    })
}

async fn update(
    service: &Service,
    out: &mut Out,
    code: &str,
    changes: &CodeChanges,
    expect_version: Option<&str>,
    json: bool,
) -> Outcome {
    let current = service.find_code(code).await?;
    let updated = match expect_version {
        None => service.update_code(&current, changes).await?,
        // The version is checked against this read, and the service checks in its transaction that the code is
        // still as read: together, that it is still at the expected version when written.
        Some(expected) if expected.trim().eq_ignore_ascii_case(&current.version()) => {
            service.update_code_if_unchanged(&current, changes).await?
        }
        Some(expected) => {
            let message = format!(
                "code {code} changed since version {} was read (it is at version {} now); `refcodes codes show \
                 {code}` shows it, or update without --expect-version to overwrite",
                shown(expected),
                current.version(),
                code = current.code,
            );
            return Err(crate::Error::from(Refusal::new(ErrorKind::Conflict, message)).into());
        }
    };
    if json {
        out.json(&CodeView::of(&service.get_code_row(updated.id).await?, service.now()))?;
    } else {
        out.line(format_args!("Updated code {} ({}).", updated.code, updated.status_at(service.now()).label()))?;
    }
    Ok(())
}

async fn delete(service: &Service, out: &mut Out, code: &str, yes: bool, json: bool) -> Outcome {
    let found = service.find_code(code).await?;
    let uses = service.get_usage_stats(found.id).await?.total_uses;
    let code = &found.code;
    let question = format!(
        "Delete code {code} and its {uses} usage records? To keep the history, deactivate it instead \
         (`refcodes codes update {code} --inactive`)."
    );
    let needs_yes =
        || format!("deleting {code} needs --yes when no terminal can ask (it removes {uses} usage records too)");
    // Only an operator who may delete is asked; anyone else hears why not from the service.
    if !yes && service.can_administer() && !confirm::ask(&question, needs_yes)? {
        note("Not deleted.");
        return Ok(());
    }
    let deleted = service.delete_code(&found).await?;
    if json {
        out.json(&deleted)?;
    } else {
        out.line(format_args!("Deleted code {code} and its {} usage records.", deleted.usage_records))?;
    }
    Ok(())
}

async fn generate(service: &Service, out: &mut Out, input: &GenerateInput, csv: bool, json: bool) -> Outcome {
    let now = service.now();
    let created = service.generate_codes(input).await?;
    let written = if json {
        // Generated codes have no beneficiary, and the operator created them.
        let by = service.operator().map(|o| o.user.email.as_str());
        let views: Vec<_> =
            created.iter().map(|c| CodeView { created_by_email: by, ..CodeView::bare(c, now) }).collect();
        out.json(&views)
    } else if csv {
        write_csv(out, &created)
    } else {
        created.iter().try_for_each(|c| out.line(&c.code))
    };
    written.and_then(|()| out.flush()).map_err(|err| Failure::after_commit(err, generated(&created)))?;
    if !json && !csv {
        note(&format!("Created {} codes.", created.len()));
    }
    Ok(())
}

fn write_csv(out: &mut Out, created: &[ReferralCode]) -> std::io::Result<()> {
    let mut csv = out.csv();
    csv.row(["code", "description", "max_uses", "expiration_date"])?;
    for c in created {
        let expires = c.expiration_date.map(|t| t.to_rfc3339()).unwrap_or_default();
        csv.row([c.code.as_str(), &c.description, &c.max_uses.to_string(), &expires])?;
    }
    csv.finish()
}

/// What a generation saved, and the command that lists it again when its output was lost.
fn generated(created: &[ReferralCode]) -> String {
    let Some(first) = created.first() else { return "No codes were created.".into() };
    let at: DateTime<Utc> = first.date_created;
    format!(
        "{} codes were created at {} with the description {:?}; list them with \
         `refcodes codes list --filter={} --sort created --desc --limit {}`.",
        created.len(),
        at.format("%Y-%m-%d %H:%M:%S UTC"),
        first.description,
        shell_word(&first.description),
        created.len()
    )
}

/// `text` as one shell word: as it is when it holds nothing the shell reads specially, else in single quotes.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "-_.,:/@%+=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn expiration(fields: &CodeFields, service: &Service) -> Result<Option<Expiration>> {
    fields
        .expires
        .as_deref()
        .map(|raw| expiry::parse(raw, service.now()).map_err(|m| bad_value("expiration", m)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn shell_words_quote_what_the_shell_would_read() {
        assert_eq!(shell_word("Spring-2026"), "Spring-2026");
        assert_eq!(shell_word("Spring sale"), "'Spring sale'");
        assert_eq!(shell_word("Bob's $5 `deal`"), r"'Bob'\''s $5 `deal`'");
    }
}
