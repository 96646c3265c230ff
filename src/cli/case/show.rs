//! `duewatch case show`: one case, its deadlines with their explanation (the rulebook's stages
//! and the Regulations' own clock, with its warnings), its returns and its history, as text or
//! JSON. Text that may hold anything (history written before text was checked at input,
//! the explanations' quoted values) is escaped for the terminal.

use std::io::Write;
use std::process::ExitCode;

use super::View;
use crate::calendar::load;
use crate::config::Config;
use crate::domain::case::text::escaped;
use crate::domain::case::{Case, Reference};
use crate::domain::deadline::{self, CaseStatus, State};
use crate::source::Source;
use crate::store::HistoryLine;

/// `duewatch case show REFERENCE`.
///
/// # Errors
/// The calendar cannot be loaded, the case does not exist or cannot be evaluated, the source
/// fails.
pub(super) async fn run(
    out: &mut dyn Write,
    source: &Source,
    store: &crate::store::Store,
    config: &Config,
    reference: &Reference,
    view: &View,
) -> anyhow::Result<ExitCode> {
    let cal = load::load(&config.calendar.dir)?.calendar;
    let today = view.as_of.unwrap_or_else(|| config.timezone.today());
    let Some((case, history)) = source.get(reference).await? else {
        anyhow::bail!(
            "case {reference} does not exist\n  help: `duewatch case list` shows the references"
        );
    };
    let status = deadline::evaluate(&case, &config.rules, &cal, today)?;
    // Every notification of the case and its delivery (issue 17), by mail or channel.
    let told = store.told(reference.as_str(), RECORD_MAX).await?;
    let record = crate::output::record::notifications(&told, config.timezone.tz());
    if view.json {
        crate::output::case::json_with_record(out, &case, &status, &history, &record)?;
    } else {
        show(out, &case, &status, &history, false)?;
        crate::output::record::text(out, &record)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The most notifications listed (newest first).
const RECORD_MAX: i64 = 10_000;

fn show(
    out: &mut dyn Write,
    case: &Case,
    status: &CaseStatus,
    history: &[HistoryLine],
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return crate::output::case::json(out, case, status, history);
    }
    writeln!(
        out,
        "case {}  {}",
        case.reference,
        case.subject.as_deref().unwrap_or("")
    )?;
    // The annual report's categories (Regulations art. 50): an outcome is owed once finished.
    match case.outcome {
        Some(o) => writeln!(out, "outcome: {} ({})", o.full_name(), o.code())?,
        None if case.finished_on().is_some() => writeln!(
            out,
            "outcome: not recorded (the annual report needs it: `duewatch case outcome {} \
             --outcome CATEGORY`)",
            case.reference
        )?,
        None => {}
    }
    match case.applicant {
        Some(a) => writeln!(out, "applicant: {} ({})", a.full_name(), a.code())?,
        None => writeln!(out, "applicant: not recorded")?,
    }
    for s in &status.stages {
        let state = match s.state {
            State::Running => "running".to_owned(),
            State::Suspended {
                since,
                working_days,
            } => {
                format!("suspended since {since} ({working_days} working days)")
            }
            State::DoneOnTime => "done on time".to_owned(),
            State::DoneLate { by } => format!("done late by {by} working days"),
        };
        writeln!(
            out,
            "{} ({}): {}{}{}{}",
            s.stage.as_str(),
            s.responsible.as_str(),
            state,
            s.due.map(|d| format!(", due {d}")).unwrap_or_default(),
            s.level
                .map(|l| format!(", {}", l.as_str()))
                .unwrap_or_default(),
            if s.provisional { ", provisional" } else { "" }
        )?;
        if !s.late_extensions.is_empty() {
            writeln!(
                out,
                "  late extension: approved after the deadline it extends (art. 20)"
            )?;
        }
        if !s.late_suspensions.is_empty() {
            writeln!(
                out,
                "  late suspension: began after the deadline had passed; the clock was not \
                 stopped (art. 21)"
            )?;
        }
        for line in &s.explanation {
            writeln!(out, "  {}", escaped(&line.to_string(), false))?;
        }
    }
    // Regulations art. 33: the law's own clock beside the rulebook's.
    if let Some(law) = &status.statutory {
        writeln!(out, "statutory: {}", law.summary())?;
        for fault in &law.faults {
            writeln!(out, "  WARNING: {fault}")?;
        }
        for reminder in &law.reminders {
            writeln!(out, "  {reminder}")?;
        }
    }
    for r in &case.returns {
        writeln!(
            out,
            "returned {} by {} (forwarded to it {}): {}",
            r.returned_on,
            r.section,
            r.forwarded_on,
            escaped(&r.reason, false)
        )?;
    }
    for n in &status.notices {
        writeln!(
            out,
            "written notice of the {} of {}: {} (due {})",
            n.kind,
            n.event_on,
            if n.missing { "MISSING" } else { "pending" },
            n.due
        )?;
    }
    writeln!(out, "history:")?;
    // History written before text was checked at input may hold anything: escaped.
    for h in history {
        writeln!(
            out,
            "  {}  {}: {}{}",
            escaped(&h.at, false),
            escaped(&h.command, false),
            escaped(&h.change, false),
            h.actor
                .as_deref()
                .map(|a| format!(" by {}", escaped(a, false)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
