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
            let row = row(&case, &status);
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

fn write_row<W: Write + ?Sized>(out: &mut W, r: &Row<'_>) -> std::io::Result<()> {
    let s = |v: Option<&str>| v.unwrap_or("-").to_owned();
    let day = |d: Option<Day>| d.map_or("-".to_owned(), |d| d.0.to_string());
    let n = |v: Option<u32>| v.map_or("-".to_owned(), |v| v.to_string());
    let flag = |on: Option<bool>, text: &'static str| if on == Some(true) { text } else { "" };
    writeln!(
        out,
        "{:<12} {:<8} {:<8} due {:<10} remaining {:<3} overdue_by {:<3} {:<9} law {:<10}{}{}{}{}{}",
        r.reference,
        s(r.stage),
        s(r.responsible),
        day(r.due),
        n(r.remaining),
        n(r.overdue_by),
        s(r.level),
        day(r.statutory_due),
        flag(Some(r.suspended), " suspended"),
        flag(Some(r.provisional), " provisional"),
        flag(r.late_extension, " late extension"),
        flag(r.late_suspension, " late suspension"),
        if r.statutory_faults == 0 {
            ""
        } else {
            " statutory fault"
        },
    )
}

/// A day in a row: written as `YYYY-MM-DD` straight into the output, without a string of its
/// own.
#[derive(Debug, Clone, Copy)]
struct Day(NaiveDate);

impl serde::Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// One case in `status` and `status --json` (docs/reference.md): its current stage, or its last
/// when none is current. Serialised straight to the output (100,000 open cases make 23 MB of
/// JSON; building a `serde_json::Value` for each was a quarter of `status --json`), with the
/// keys in the order a `serde_json::Value` object wrote them (sorted) and the same keys: the
/// console's `GET /api/v1/status` and the scripts reading either get the same bytes as before.
/// A case with no stage has `closed` and lacks the three keys about a stage's notices.
#[derive(Debug, serde::Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    closed: Option<bool>,
    due: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    late_extension: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    late_suspension: Option<bool>,
    level: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notices_missing: Option<usize>,
    overdue_by: Option<u32>,
    provisional: bool,
    reference: &'a str,
    remaining: Option<u32>,
    responsible: Option<&'a str>,
    stage: Option<&'a str>,
    // Regulations art. 33: the law's own deadline, and what it finds wrong.
    statutory_due: Option<Day>,
    statutory_faults: usize,
    statutory_overdue_by: Option<u32>,
    suspended: bool,
}

/// The row of one case ([`Row`]).
fn row<'a>(case: &'a Case, status: &'a CaseStatus) -> Row<'a> {
    let stage = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
        .or_else(|| status.stages.last());
    let Some(stage) = stage else {
        return Row {
            closed: Some(case.closed_on.is_some()),
            due: None,
            late_extension: None,
            late_suspension: None,
            level: None,
            notices_missing: None,
            overdue_by: None,
            provisional: false,
            reference: case.reference.as_str(),
            remaining: None,
            responsible: None,
            stage: None,
            statutory_due: None,
            statutory_faults: 0,
            statutory_overdue_by: None,
            suspended: false,
        };
    };
    let statutory = status.statutory.as_ref();
    Row {
        closed: None,
        due: stage.due.map(Day),
        late_extension: Some(!stage.late_extensions.is_empty()),
        late_suspension: Some(!stage.late_suspensions.is_empty()),
        level: stage.level.map(|l| l.as_str()),
        notices_missing: Some(status.notices.iter().filter(|n| n.missing).count()),
        overdue_by: stage.overdue_by,
        provisional: stage.provisional,
        reference: case.reference.as_str(),
        remaining: stage.remaining,
        responsible: Some(stage.responsible.as_str()),
        stage: Some(stage.stage.as_str()),
        statutory_due: statutory.and_then(|l| l.due).map(Day),
        statutory_faults: statutory.map_or(0, |l| l.faults.len()),
        statutory_overdue_by: statutory.and_then(|l| l.overdue_by),
        suspended: matches!(stage.state, State::Suspended { .. }),
    }
}
