//! `duewatch case import FILE.csv`: every row checked (by [`crate::import`], then against the
//! store and the entry checks), and all of them recorded in one transaction, or none.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::OldDates;
use crate::config::Config;
use crate::domain::case::text::escaped;
use crate::domain::case::{Case, Reference};
use crate::domain::entry::Entering;
use crate::import::{Problem, Row};
use crate::store::{IMPORT_BATCH, Importing, Store};

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
    let open = || -> anyhow::Result<crate::import::Rows<Box<dyn std::io::Read>>> {
        let input = crate::import::open(file, encoding)
            .with_context(|| format!("reading {shown}"))?
            .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
        crate::import::Rows::new(input).map_err(|problems| Refused(problems).into())
    };
    let mut rows = match open() {
        Ok(rows) => rows,
        Err(e) => match e.downcast::<Refused>() {
            Ok(Refused(problems)) => return Ok(refuse(&shown, problems)),
            Err(e) => return Err(e),
        },
    };
    // The checks and the writes in one transaction: nothing is written unless every row is
    // good. The file is read twice, a row at a time: checked, then written.
    let mut importing = store.begin_import(!dry_run).await?;
    let mut checks = Checks::default();
    let mut pending: Vec<(u64, Reference)> = Vec::with_capacity(IMPORT_BATCH);
    while let Some(row) = rows.next_row(config) {
        match row {
            Ok(row) => {
                checks.seen(&row.case.reference, row.line);
                if let Err(message) = entering.check_case(&row.case, old.allow_old) {
                    checks.problem(
                        row.line,
                        Kind::Entry,
                        format!("case {}: {message}", row.case.reference),
                    );
                }
                pending.push((row.line, row.case.reference));
                if pending.len() == IMPORT_BATCH {
                    checks.taken(&mut importing, &mut pending).await?;
                }
            }
            Err(p) => checks.problem(p.line, Kind::Row, p.message),
        }
    }
    checks.taken(&mut importing, &mut pending).await?;
    drop(rows);
    checks.duplicates(&open, config)?;
    if !checks.problems.is_empty() {
        let problems = checks.into_problems();
        return Ok(refuse(&shown, problems));
    }
    let count = checks.count;
    if dry_run {
        writeln!(
            out,
            "{shown}: {count} case(s) are good; nothing recorded (--dry-run)"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = open()?;
    let mut batch: Vec<Row> = Vec::with_capacity(IMPORT_BATCH);
    loop {
        let row = rows.next_row(config);
        let end = row.is_none();
        if let Some(row) = row {
            batch.push(row.map_err(|p| anyhow::anyhow!("{shown}:{}: {}", p.line, p.message))?);
        }
        if batch.len() == IMPORT_BATCH || (end && !batch.is_empty()) {
            let entries: Vec<(&Case, String)> = batch
                .iter()
                .map(|r| {
                    (
                        &r.case,
                        format!("imported from {shown}:{}: {}", r.line, r.said),
                    )
                })
                .collect();
            importing
                .add(&entries, Some(&crate::cli::actor()), "case import")
                .await?;
            batch.clear();
        }
        if end {
            break;
        }
    }
    importing.commit().await?;
    writeln!(out, "{shown}: {count} case(s) imported")?;
    Ok(ExitCode::SUCCESS)
}

/// The header's problems, as an error to carry out of `open`.
#[derive(Debug)]
struct Refused(Vec<Problem>);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} problem(s) in the header", self.0.len())
    }
}

impl std::error::Error for Refused {}

/// Says every problem, by line, and that nothing was imported.
fn refuse(shown: &std::path::Display<'_>, mut problems: Vec<Problem>) -> ExitCode {
    problems.sort_by_key(|p| p.line);
    for p in &problems {
        eprintln!("{shown}:{}: {}", p.line, escaped(&p.message, true));
    }
    eprintln!(
        "{} problem(s); nothing was imported\n  help: correct the rows named above and import the file again",
        problems.len()
    );
    ExitCode::FAILURE
}

/// What a problem is about, in the order a line's problems are said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The row cannot be read, or repeats a reference.
    Row,
    /// The reference is taken in the store.
    Taken,
    /// The entry checks ([`Entering::check_case`]).
    Entry,
}

/// The checks of the first reading. A reference is remembered as its hash and line (16 bytes,
/// not the text): the rows with equal hashes are compared by their text afterwards
/// ([`Checks::duplicates`]), so that a million references take 16 MB.
#[derive(Default)]
struct Checks {
    problems: Vec<(u64, Kind, String)>,
    hashes: Vec<(u64, u64)>,
    count: usize,
}

impl Checks {
    fn problem(&mut self, line: u64, kind: Kind, message: String) {
        self.problems.push((line, kind, message));
    }

    fn seen(&mut self, reference: &Reference, line: u64) {
        self.hashes.push((hash(reference.as_str()), line));
        self.count += 1;
    }

    /// Asks the store about the references of `pending` (emptied).
    async fn taken(
        &mut self,
        importing: &mut Importing,
        pending: &mut Vec<(u64, Reference)>,
    ) -> anyhow::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let asked: Vec<&str> = pending.iter().map(|(_, r)| r.as_str()).collect();
        let taken: HashSet<String> = importing.taken(&asked).await?.into_iter().collect();
        for (line, reference) in pending.drain(..) {
            if taken.contains(reference.as_str()) {
                self.problem(
                    line,
                    Kind::Taken,
                    format!("case {reference} exists already: references are unique"),
                );
            }
        }
        Ok(())
    }

    /// The rows that repeat the reference of an earlier row: read again (`open`) when two
    /// good rows' references hash alike (only then). A repeating row is that problem alone, as
    /// it is not checked further.
    fn duplicates(
        &mut self,
        open: &dyn Fn() -> anyhow::Result<crate::import::Rows<Box<dyn std::io::Read>>>,
        config: &Config,
    ) -> anyhow::Result<()> {
        self.hashes.sort_unstable();
        let mut lines: HashSet<u64> = HashSet::new();
        for group in self.hashes.chunk_by(|a, b| a.0 == b.0) {
            if group.len() > 1 {
                lines.extend(group.iter().map(|(_, line)| *line));
            }
        }
        self.hashes = Vec::new();
        if lines.is_empty() {
            return Ok(());
        }
        let mut rows = open()?;
        let mut first: HashMap<String, u64> = HashMap::new();
        let mut repeated = HashSet::new();
        while let Some(row) = rows.next_row(config) {
            let Ok(row) = row else { continue };
            if !lines.contains(&row.line) {
                continue;
            }
            if let Some(&on) = first.get(row.case.reference.as_str()) {
                repeated.insert(row.line);
                let p = crate::import::duplicate(row.line, &row.case.reference, on);
                self.problem(p.line, Kind::Row, p.message);
            } else {
                first.insert(row.case.reference.to_string(), row.line);
            }
        }
        self.count -= repeated.len();
        self.problems
            .retain(|(line, kind, _)| *kind == Kind::Row || !repeated.contains(line));
        Ok(())
    }

    fn into_problems(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|(line, kind, _)| (*line, *kind));
        self.problems
            .into_iter()
            .map(|(line, _, message)| Problem { line, message })
            .collect()
    }
}

fn hash(reference: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(reference, &mut h);
    std::hash::Hasher::finish(&h)
}
