//! `duewatch case import FILE.csv`: every row checked (by [`crate::import`], then against the
//! store and the entry checks), and all of them recorded in one transaction, or none.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::OldDates;
use crate::config::Config;
use crate::domain::case::Case;
use crate::domain::case::text::escaped;
use crate::domain::entry::Entering;
use crate::store::Store;

/// What `case import` reads, and how.
pub(super) struct ImportSource<'a> {
    pub(super) file: &'a std::path::Path,
    pub(super) encoding: crate::import::Encoding,
    pub(super) dry_run: bool,
    pub(super) old: OldDates,
}

/// `duewatch case import`: all rows or none.
pub(super) async fn import(
    out: &mut dyn Write,
    store: &Store,
    config: &Config,
    entering: &Entering,
    source: &ImportSource<'_>,
) -> anyhow::Result<ExitCode> {
    let ImportSource {
        file,
        encoding,
        dry_run,
        old,
    } = *source;
    let shown = file.display();
    let bytes = std::fs::read(file).with_context(|| format!("reading {shown}"))?;
    let text =
        crate::import::decode(&bytes, encoding).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let (rows, mut problems) = crate::import::parse(&text, config);
    let taken = store.taken(rows.iter().map(|r| &r.case.reference)).await?;
    for row in rows.iter().filter(|r| taken.contains(&r.case.reference)) {
        problems.push(crate::import::Problem {
            line: row.line,
            message: format!(
                "case {} exists already: references are unique",
                row.case.reference
            ),
        });
    }
    problems.extend(crate::import::entry_problems(
        &rows,
        entering,
        old.allow_old,
    ));
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        for p in &problems {
            eprintln!("{shown}:{}: {}", p.line, escaped(&p.message, true));
        }
        eprintln!(
            "{} problem(s); nothing was imported\n  help: correct the rows named above and import the file again",
            problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    if dry_run {
        writeln!(
            out,
            "{shown}: {} case(s) are good; nothing recorded (--dry-run)",
            rows.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let entries: Vec<(&Case, String)> = rows
        .iter()
        .map(|r| {
            (
                &r.case,
                format!("imported from {shown}:{}: {}", r.line, r.said),
            )
        })
        .collect();
    store
        .add_all(&entries, Some(&crate::cli::actor()), "case import")
        .await?;
    writeln!(out, "{shown}: {} case(s) imported", rows.len())?;
    Ok(ExitCode::SUCCESS)
}
