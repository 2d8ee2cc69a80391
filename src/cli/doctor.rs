//! `doctor`: what the database is and what is odd in its data; `--fix counters`; `--indexes`.

use super::confirm;
use super::output::{Out, Outcome};
use crate::domain::doctor::{Diagnosis, FindingKind};
use crate::service::Service;

pub async fn doctor(service: &Service, out: &mut Out, fix: bool, yes: bool, json: bool) -> Outcome {
    let diagnosis = service.diagnose().await?;
    if !fix {
        if json {
            out.json(&diagnosis)?;
        } else {
            print_diagnosis(out, service, &diagnosis)?;
        }
        return Ok(());
    }
    let Some(mismatch) = diagnosis.findings.iter().find(|f| f.kind == FindingKind::CounterMismatch) else {
        if json {
            out.json(&serde_json::json!({"fixed": "counters", "codes": 0}))?;
        } else {
            out.line("Every code's number_of_uses equals its usage records: nothing to fix.")?;
        }
        return Ok(());
    };
    if !yes && service.can_administer() {
        let mut question =
            format!("Set number_of_uses of {} codes to the count of their usage records, for example:", mismatch.count);
        for example in &mismatch.examples {
            question.push_str(&format!("\n  {example}"));
        }
        question.push_str("\nRecount them?");
        let asked = confirm::ask(&question, || {
            format!("recounting {} codes needs --yes when no terminal can ask", mismatch.count)
        })?;
        if !asked {
            super::output::note("Nothing changed.");
            return Ok(());
        }
    }
    let changed = service.fix_counters().await?;
    if json {
        out.json(&serde_json::json!({"fixed": "counters", "codes": changed}))?;
    } else {
        out.line(format_args!("Recounted number_of_uses of {changed} codes from their usage records."))?;
    }
    Ok(())
}

fn print_diagnosis(out: &mut Out, service: &Service, diagnosis: &Diagnosis) -> std::io::Result<()> {
    out.line(format_args!("{} ({})", service.attached(), service.database_label()))?;
    if diagnosis.findings.is_empty() {
        return out.line("Nothing odd in the data.");
    }
    for finding in &diagnosis.findings {
        out.line(format_args!("{} {}: {}", finding.count, finding.kind.as_str(), finding.kind.describe()))?;
        for example in &finding.examples {
            out.line(format_args!("    {example}"))?;
        }
    }
    if diagnosis.findings.iter().any(|f| f.kind == FindingKind::CounterMismatch) {
        out.line("`refcodes doctor --fix counters` recounts number_of_uses from the usage records.")?;
    }
    Ok(())
}

pub async fn indexes(service: &Service, out: &mut Out, json: bool) -> Outcome {
    let suggested = service.suggested_indexes().await?;
    if json {
        out.json(&suggested)?;
        return Ok(());
    }
    if !service.is_phoenix_kit() {
        out.line("refcodes' own schema has the indexes it needs: nothing to suggest.")?;
        return Ok(());
    }
    let missing: Vec<_> = suggested.iter().filter(|s| !s.exists).collect();
    if missing.is_empty() {
        out.line(format_args!("-- {}: every suggested index exists.", service.attached()))?;
        return Ok(());
    }
    out.line(format_args!(
        "-- {}: indexes that make refcodes' list, sorts and lookups fast. refcodes never creates them; run \
         these as the database's owner (CONCURRENTLY: one at a time, outside a transaction, without blocking writes).",
        service.attached()
    ))?;
    for index in missing {
        out.line(&index.statement)?;
    }
    Ok(())
}
