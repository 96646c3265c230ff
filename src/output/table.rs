//! The report as aligned text for the terminal (`duewatch report`, the default format).

use std::io::Write;

use super::{rate_text, rows};
use crate::config::Config;
use crate::domain::report::Report;

/// Writes the report as aligned text.
///
/// # Errors
/// A write failure.
pub fn table(out: &mut dyn Write, report: &Report, config: &Config) -> std::io::Result<()> {
    let p = report.period;
    writeln!(out, "report {} .. {}", p.from(), p.to())?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>9} {:>6} {:>8}  name",
        "party",
        "handled",
        "on_time",
        "late",
        "late_days",
        "overdue",
        "extensions",
        "suspensions",
        "notices",
        "red_cards",
        "rate",
        "returned"
    )?;
    writeln!(
        out,
        "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>9} {:>6} {:>8}",
        "",
        "",
        "",
        "",
        "total/max",
        "open",
        "n/days/late",
        "n/days/late",
        "missing",
        "received",
        "",
        "n/days"
    )?;
    for (name, code, f) in rows(report, config) {
        writeln!(
            out,
            "{:<10} {:>7} {:>7} {:>4} {:>9} {:>7} {:>10} {:>11} {:>7} {:>9} {:>6} {:>8}  {}",
            if code.is_empty() { "total" } else { &code },
            f.handled,
            f.on_time,
            f.late,
            format!("{}/{}", f.late_days_total, f.late_days_max),
            f.open_overdue,
            format!(
                "{}/{}/{}",
                f.extensions, f.extension_days, f.late_extensions
            ),
            format!(
                "{}/{}/{}",
                f.suspensions, f.suspended_days, f.late_suspensions
            ),
            f.notices_missing,
            f.red_cards,
            rate_text(&f),
            format!("{}/{}", f.returns, f.returned_days),
            name
        )?;
    }
    if report.provisional {
        writeln!(
            out,
            "provisional: some deadlines fall in a year whose calendar is not loaded"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "late and overdue: {}", report.cases.len())?;
    for c in &report.cases {
        writeln!(
            out,
            "{:<12} {:<7} {:<8} due {}  {:<10} {} working day(s) {}{}",
            c.reference,
            c.stage.as_str(),
            c.responsible.as_str(),
            c.due,
            c.done_on
                .map_or_else(|| "open".to_owned(), |d| format!("done {d}")),
            c.working_days,
            match c.lateness {
                crate::domain::report::Lateness::Late => "late",
                crate::domain::report::Lateness::Overdue => "overdue",
            },
            if c.provisional { " provisional" } else { "" }
        )?;
    }
    Ok(())
}
