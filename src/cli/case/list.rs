//! `duewatch status` and `duewatch case list`: one line (or one JSON object) per case, streamed
//! from the source, with its current stage, deadline and level; and the row's JSON, which
//! `status --json` prints (docs/reference.md).

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::json;

use super::View;
use crate::calendar::Calendar;
use crate::calendar::load;
use crate::cli::{open_store, runtime};
use crate::config::Config;
use crate::domain::case::text::escaped;
use crate::domain::case::{Case, SectionCode};
use crate::domain::deadline::{self, CaseStatus, State};
use crate::source::Source;

/// `duewatch status`: every open case's current stage.
pub(in crate::cli) fn status(
    out: &mut dyn Write,
    view: View,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = Source::open(config, &store).await?;
        let cal = load::load(&config.calendar.dir)?.calendar;
        let listing = Listing {
            open_only: true,
            section: None,
            today: view.as_of.unwrap_or_else(|| config.timezone.today()),
            as_json: view.json,
        };
        list(out, &source, &cal, config, &listing).await
    })
}

/// `duewatch case list`: the cases (open ones only with `--open`, one section's with
/// `--section`).
pub(super) async fn run(
    out: &mut dyn Write,
    source: &Source,
    config: &Config,
    open: bool,
    section: Option<&SectionCode>,
    view: &View,
) -> anyhow::Result<ExitCode> {
    let cal = load::load(&config.calendar.dir)?.calendar;
    let today = view.as_of.unwrap_or_else(|| config.timezone.today());
    let listing = Listing {
        open_only: open,
        section,
        today,
        as_json: view.json,
    };
    list(out, source, &cal, config, &listing).await
}

/// What `status` and `case list` show.
struct Listing<'a> {
    open_only: bool,
    section: Option<&'a SectionCode>,
    today: NaiveDate,
    as_json: bool,
}

/// Streams one line (or one JSON object) per case, in reference order, as the store reads them:
/// memory stays bounded however many cases there are. A case that cannot be evaluated is named
/// on stderr, the others are listed, and the exit code is 1.
async fn list(
    out: &mut dyn Write,
    source: &Source,
    cal: &Calendar,
    config: &Config,
    listing: &Listing<'_>,
) -> anyhow::Result<ExitCode> {
    let mut shown = 0_u64;
    let mut bad = 0_u64;
    let mut unconfigured = 0_u64;
    if listing.as_json {
        write!(out, "[")?;
    }
    source
        .scan(listing.open_only, |case| {
            let case = match case {
                Ok(case) => case,
                Err(e) => {
                    bad += 1;
                    // A case system's values are quoted in the message: escaped for the terminal.
                    eprintln!("{}", escaped(&e.to_string(), true));
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
                    bad += 1;
                    eprintln!(
                        "case {}: its deadlines cannot be counted: {}\n  help: {}; until then the \
                         case is not watched",
                        case.reference,
                        escaped(&e.to_string(), true),
                        if config.cases.source == crate::config::CaseSource::Builtin {
                            crate::domain::casework::how_to_fix(&case.reference)
                        } else {
                            "correct the date in the case system".to_owned()
                        }
                    );
                    return Ok(());
                }
            };
            if let Some(code) = &case.section
                && status.current.is_some()
                && config.section(code).is_none()
            {
                // Listed all the same (its deadline stands); its mail goes to the office.
                unconfigured += 1;
                eprintln!(
                    "case {}: section \"{code}\" is not configured; the case's mail goes to the \
                     office\n  help: add a [[sections]] entry with code = \"{code}\" back to the \
                     config (a section renamed keeps its code)",
                    case.reference
                );
            }
            let row = row_json(&case, &status);
            if listing.as_json {
                writeln!(out, "{}", if shown == 0 { "" } else { "," })?;
                serde_json::to_writer(&mut *out, &row)?;
            } else {
                write_row(out, &row)?;
            }
            shown += 1;
            Ok(())
        })
        .await?;
    if listing.as_json {
        writeln!(out, "{}]", if shown == 0 { "" } else { "\n" })?;
    }
    if bad > 0 {
        eprintln!(
            "{bad} case(s) could not be evaluated (named above); the other {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    if unconfigured > 0 {
        eprintln!(
            "{unconfigured} open case(s) name a section that is not configured (named above); \
             all {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn write_row(out: &mut dyn Write, r: &serde_json::Value) -> std::io::Result<()> {
    let s = |k: &str| {
        r[k].as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let n = |k: &str| r[k].as_u64().map_or("-".to_owned(), |v| v.to_string());
    writeln!(
        out,
        "{:<12} {:<8} {:<8} due {:<10} remaining {:<3} overdue_by {:<3} {:<9}{}{}{}{}",
        s("reference"),
        s("stage"),
        s("responsible"),
        s("due"),
        n("remaining"),
        n("overdue_by"),
        s("level"),
        if r["suspended"] == true {
            " suspended"
        } else {
            ""
        },
        if r["provisional"] == true {
            " provisional"
        } else {
            ""
        },
        if r["late_extension"] == true {
            " late extension"
        } else {
            ""
        },
        if r["late_suspension"] == true {
            " late suspension"
        } else {
            ""
        },
    )
}

fn row_json(case: &Case, status: &CaseStatus) -> serde_json::Value {
    let stage = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
        .or_else(|| status.stages.last());
    let Some(stage) = stage else {
        return json!({ "reference": case.reference, "stage": null, "responsible": null, "due": null,
            "remaining": null, "overdue_by": null, "level": null, "provisional": false,
            "suspended": false, "closed": case.closed_on.is_some() });
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
    })
}
