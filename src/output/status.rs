//! The case listing of `duewatch status` and `duewatch case list` (one line, or one JSON object,
//! per case with its current stage, deadline and level), streamed from the source to a writer;
//! also `GET /api/v1/status` of the console, which must answer exactly the bytes of
//! `status --json` (docs/reference.md), so both call [`list`].
//!
//! What a case that cannot be listed means is said through `problem` (the command line prints it
//! on stderr, the console leaves it to `status`), and counted in [`Counts`]; exit codes and
//! summaries are the caller's.

use std::io::Write;

use chrono::NaiveDate;
use serde_json::json;

use crate::calendar::Calendar;
use crate::config::Config;
use crate::domain::case::text::escaped;
use crate::domain::case::{Case, SectionCode};
use crate::domain::deadline::{self, CaseStatus, State};
use crate::source::Source;

/// What is listed.
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    /// Open cases only (`status`, `case list --open`).
    pub open_only: bool,
    /// One section's cases only.
    pub section: Option<&'a SectionCode>,
    /// The day the deadlines are as of.
    pub today: NaiveDate,
    /// A JSON array instead of text lines.
    pub as_json: bool,
}

/// How a listing went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases listed.
    pub shown: u64,
    /// Cases that could not be read or evaluated (left out, each told to `problem`).
    pub bad: u64,
    /// Open cases naming a section the config does not have (listed; told to `problem`).
    pub unconfigured: u64,
}

/// Streams one line (or one JSON object) per case, in reference order, as the store reads them:
/// memory stays bounded however many cases there are. A case that cannot be evaluated is told to
/// `problem` (one message, values of a case system escaped for a terminal) and left out; the
/// others are listed.
///
/// # Errors
/// A database failure or a write failure.
pub async fn list<W, P>(
    out: &mut W,
    source: &Source,
    cal: &Calendar,
    config: &Config,
    listing: &Listing<'_>,
    mut problem: P,
) -> anyhow::Result<Counts>
where
    W: Write + ?Sized,
    P: FnMut(String),
{
    let mut counts = Counts::default();
    if listing.as_json {
        write!(out, "[")?;
    }
    source
        .scan(listing.open_only, |case| {
            let case = match case {
                Ok(case) => case,
                Err(e) => {
                    counts.bad += 1;
                    // A case system's values are quoted in the message: escaped for the terminal.
                    problem(escaped(&e.to_string(), true).into_owned());
                    return Ok(());
                }
            };
            if listing.section.is_some() && case.section.as_ref() != listing.section {
                return Ok(());
            }
            let status = match deadline::evaluate(&case, &config.rules, cal, listing.today) {
                Ok(s) => s,
                Err(e) => {
                    // One bad case does not hide the others.
                    counts.bad += 1;
                    problem(format!(
                        "case {}: its deadlines cannot be counted: {}\n  help: {}; until then the \
                         case is not watched",
                        case.reference,
                        escaped(&e.to_string(), true),
                        if config.cases.source == crate::config::CaseSource::Builtin {
                            crate::domain::casework::how_to_fix(&case.reference)
                        } else {
                            "correct the date in the case system".to_owned()
                        }
                    ));
                    return Ok(());
                }
            };
            if let Some(code) = &case.section
                && status.current.is_some()
                && config.section(code).is_none()
            {
                // Listed all the same (its deadline stands); its mail goes to the office.
                counts.unconfigured += 1;
                problem(format!(
                    "case {}: section \"{code}\" is not configured; the case's mail goes to the \
                     office\n  help: add a [[sections]] entry with code = \"{code}\" back to the \
                     config (a section renamed keeps its code)",
                    case.reference
                ));
            }
            let row = row_json(&case, &status);
            if listing.as_json {
                writeln!(out, "{}", if counts.shown == 0 { "" } else { "," })?;
                serde_json::to_writer(&mut *out, &row)?;
            } else {
                write_row(out, &row)?;
            }
            counts.shown += 1;
            Ok(())
        })
        .await?;
    if listing.as_json {
        writeln!(out, "{}]", if counts.shown == 0 { "" } else { "\n" })?;
    }
    Ok(counts)
}

fn write_row<W: Write + ?Sized>(out: &mut W, r: &serde_json::Value) -> std::io::Result<()> {
    let s = |k: &str| {
        r[k].as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let n = |k: &str| r[k].as_u64().map_or("-".to_owned(), |v| v.to_string());
    let flag = |k: &str, text: &'static str| if r[k] == true { text } else { "" };
    writeln!(
        out,
        "{:<12} {:<8} {:<8} due {:<10} remaining {:<3} overdue_by {:<3} {:<9} law {:<10}{}{}{}{}{}",
        s("reference"),
        s("stage"),
        s("responsible"),
        s("due"),
        n("remaining"),
        n("overdue_by"),
        s("level"),
        s("statutory_due"),
        flag("suspended", " suspended"),
        flag("provisional", " provisional"),
        flag("late_extension", " late extension"),
        flag("late_suspension", " late suspension"),
        if n("statutory_faults") == "0" || n("statutory_faults") == "-" {
            ""
        } else {
            " statutory fault"
        },
    )
}

/// The JSON object of one case in `status --json` (docs/reference.md): its current stage, or
/// its last when none is current.
pub fn row_json(case: &Case, status: &CaseStatus) -> serde_json::Value {
    let stage = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
        .or_else(|| status.stages.last());
    let Some(stage) = stage else {
        return json!({ "reference": case.reference, "stage": null, "responsible": null, "due": null,
            "remaining": null, "overdue_by": null, "level": null, "provisional": false,
            "suspended": false, "closed": case.closed_on.is_some(), "statutory_due": null,
            "statutory_overdue_by": null, "statutory_faults": 0 });
    };
    json!({
        "reference": case.reference,
        "stage": stage.stage.as_str(),
        "responsible": stage.responsible.as_str(),
        "due": stage.due.map(|d| d.to_string()),
        "remaining": stage.remaining,
        "overdue_by": stage.overdue_by,
        "level": stage.level.map(|l| l.as_str()),
        "provisional": stage.provisional,
        "suspended": matches!(stage.state, State::Suspended { .. }),
        "late_extension": !stage.late_extensions.is_empty(),
        "late_suspension": !stage.late_suspensions.is_empty(),
        "notices_missing": status.notices.iter().filter(|n| n.missing).count(),
        // Regulations art. 33: the law's own deadline, and what it finds wrong.
        "statutory_due": status.statutory.as_ref().and_then(|l| l.due).map(|d| d.to_string()),
        "statutory_overdue_by": status.statutory.as_ref().and_then(|l| l.overdue_by),
        "statutory_faults": status.statutory.as_ref().map_or(0, |l| l.faults.len()),
    })
}
