//! `duewatch case import FILE.csv`: cases from a spreadsheet, all or nothing.
//!
//! Design: the file is read as text (UTF-8 with or without BOM, or GBK, which is what Excel
//! writes as "CSV" on a Chinese Windows machine: [`decode()`] for bytes in memory, `open` for a
//! file read piece by piece), then every row is checked; a row becomes a [`Case`] by the same
//! transitions as the case commands ([`crate::domain::casework`]), so an import can record
//! nothing the commands would refuse. Only when every row is good does the store write them, in
//! one transaction. Otherwise every bad row is reported with its line number and the database
//! is left as it was. `case import` reads the file a row at a time ([`Rows`]), twice (checked,
//! then written), so that its memory does not grow with the file.
//!
//! Columns are named in the header row, in English or in Chinese (see [`COLUMNS`]); their order is
//! free and optional columns may be left out. An unknown column is refused rather than ignored,
//! so that a misspelt header cannot silently drop data.
//!
//! - `decode.rs`: the file's bytes as text ([`Encoding`], [`decode()`]);
//! - `columns.rs`: the columns ([`COLUMNS`]) and how each cell is read;
//! - this file: checking the rows ([`parse`], or one at a time with [`Rows`]), one row into
//!   a case;
//! - `tests.rs`: the tests, with property tests over hostile bytes.

mod columns;
mod decode;
#[cfg(test)]
mod tests;

pub use columns::COLUMNS;
pub(crate) use decode::open;
pub use decode::{Encoding, decode};

use std::collections::HashMap;

use crate::config::Config;
use crate::domain::case::spelling::{channel, close_reason};
use crate::domain::case::{Case, NoticeKind, Reference, Subject};
use crate::domain::casework;
use crate::domain::outcome::{Applicant, Outcome};
use columns::{Column, ORDER, cell_line, column, date, days, section, visible};

/// A row that is good: the case it makes and what the history will say.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line of the file where the row starts.
    pub line: u64,
    /// The case, as the commands would have recorded it.
    pub case: Case,
    /// The history line.
    pub said: String,
}

/// What is wrong with the file or one of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the file (1 = the header).
    pub line: u64,
    /// What is wrong and what to do.
    pub message: String,
}

/// Checks every row of `text`: the good rows, and the problems of the header and of each bad
/// row, in line order. The file is good when there are no problems.
pub fn parse(text: &str, config: &Config) -> (Vec<Row>, Vec<Problem>) {
    let mut reader = match Rows::new(text.as_bytes()) {
        Ok(r) => r,
        Err(problems) => return (Vec::new(), problems),
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while let Some(row) = reader.next_row(config) {
        match row {
            Ok(row) => {
                if let Some(first) = seen.insert(row.case.reference.to_string(), row.line) {
                    problems.push(duplicate(row.line, &row.case.reference, first));
                } else {
                    rows.push(row);
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    (rows, problems)
}

/// The problem of a row whose reference is on line `first` already.
pub(crate) fn duplicate(line: u64, reference: &Reference, first: u64) -> Problem {
    Problem {
        line,
        message: format!(
            "case {reference}: the reference is on line {first} already; references are unique"
        ),
    }
}

/// The rows of a file, read one at a time (the import streams: a row is checked and dropped,
/// whatever the size of the file).
pub(crate) struct Rows<R: std::io::Read> {
    reader: csv::Reader<R>,
    index: HashMap<Column, usize>,
    record: csv::StringRecord,
}

impl<R: std::io::Read> Rows<R> {
    /// Reads the header row; its problems (unknown, repeated or missing columns) if it is bad.
    pub(crate) fn new(input: R) -> Result<Rows<R>, Vec<Problem>> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(input);
        let problem = |line: u64, message: String| Problem { line, message };
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                return Err(vec![problem(
                    1,
                    format!("the header row cannot be read: {e}"),
                )]);
            }
        };
        let mut index: HashMap<Column, usize> = HashMap::new();
        let mut problems = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match column(h) {
                Some(c) => {
                    if index.insert(c, i).is_some() {
                        problems.push(problem(1, format!("column \"{h}\" appears twice")));
                    }
                }
                None if h.is_empty() => {}
                None => problems.push(problem(
                    1,
                    format!(
                        "unknown column \"{h}\"\n  help: the columns are {}",
                        COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
        for ((name, _, required, _), c) in COLUMNS.iter().zip(ORDER) {
            if *required && !index.contains_key(&c) {
                problems.push(problem(
                    1,
                    format!("the required column \"{name}\" is missing"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Rows {
            reader,
            index,
            record: csv::StringRecord::new(),
        })
    }

    /// The next row that is not blank: the case it makes, or its problem; `None` at the end.
    /// References are not compared across rows here.
    pub(crate) fn next_row(&mut self, config: &Config) -> Option<Result<Row, Problem>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    let message = match e.kind() {
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => format!(
                            "the row has {len} fields, the header {expected_len}\n  help: \
                             quote a value that contains a comma, e.g. \"a, b\""
                        ),
                        _ => format!("the row cannot be read: {e}"),
                    };
                    return Some(Err(Problem { line, message }));
                }
            }
            let record = &self.record;
            let line = record.position().map_or(0, csv::Position::line);
            if record.iter().all(str::is_empty) {
                continue;
            }
            let index = &self.index;
            let field = |c: Column| {
                index
                    .get(&c)
                    .and_then(|&i| record.get(i))
                    .filter(|v| !v.is_empty())
            };
            return Some(match row(&field, config) {
                Ok((case, said)) => Ok(Row { line, case, said }),
                Err(message) => Err(Problem { line, message }),
            });
        }
    }
}

/// One row: every field parsed (all field problems reported together), then the transitions.
fn row<'r>(
    field: &dyn Fn(Column) -> Option<&'r str>,
    config: &Config,
) -> Result<(Case, String), String> {
    let mut errors = Vec::new();
    let mut get = |c: Column, name: &str, parse: &dyn Fn(&str) -> Result<(), String>| {
        if let Some(v) = field(c)
            && let Err(e) = visible(c, v).and_then(|()| parse(v))
        {
            errors.push(format!("{name}: {e}"));
        }
    };
    // Parse every field once, remembering problems; the values are taken below.
    for (c, name) in ORDER.iter().zip(COLUMNS.iter().map(|c| c.0)) {
        match c {
            Column::Reference => get(*c, name, &|v| Reference::parse(v).map(drop)),
            Column::ReceivedOn
            | Column::ForwardedOn
            | Column::ExtensionApprovedOn
            | Column::ExtensionNoticeOn
            | Column::RepliedOn
            | Column::ClosedOn => get(*c, name, &|v| date(v).map(drop)),
            Column::Channel => get(*c, name, &|v| channel(v).map(drop)),
            Column::CloseReason => get(*c, name, &|v| close_reason(v).map(drop)),
            Column::Outcome => get(*c, name, &|v| Outcome::parse(v).map(drop)),
            Column::Applicant => get(*c, name, &|v| Applicant::parse(v).map(drop)),
            Column::Section => get(*c, name, &|v| section(v, config).map(drop)),
            Column::ExtensionDays => get(*c, name, &|v| days(v).map(drop)),
            Column::Subject => get(*c, name, &|v| {
                Subject::from_cell(v).map(drop).map_err(|e| e.to_string())
            }),
            Column::ExtensionApprovedBy => get(*c, name, &|v| cell_line(v).map(drop)),
        }
    }
    let reference = field(Column::Reference).map(Reference::parse);
    let named = |rest: String| match &reference {
        Some(Ok(r)) => format!("case {r}: {rest}"),
        _ => rest,
    };
    if field(Column::Reference).is_none() {
        errors.insert(0, "reference is empty".to_owned());
    }
    if field(Column::ReceivedOn).is_none() {
        errors.push("received_on is empty".to_owned());
    }
    if !errors.is_empty() {
        return Err(named(errors.join("; ")));
    }
    // Every present field parses now; the `?`s below cannot fail but keep the code honest.
    let d = |c: Column| field(c).map(date).transpose();
    let reference = Reference::parse(field(Column::Reference).unwrap_or_default())?;
    let received = d(Column::ReceivedOn)?.unwrap_or_default();
    let mut case = Case::received(reference, received);
    case.subject = field(Column::Subject)
        .map(Subject::from_cell)
        .transpose()
        .map_err(|e| named(format!("subject {e}")))?;
    case.channel = field(Column::Channel).map(channel).transpose()?;
    let mut said = vec![format!("received on {received}")];

    match (d(Column::ForwardedOn)?, field(Column::Section)) {
        (Some(on), Some(s)) => {
            let code = section(s, config)?;
            said.push(
                casework::forward(&mut case, code, on, true).map_err(|e| named(e.to_string()))?,
            );
        }
        (None, None) => {}
        (Some(_), None) => return Err(named("forwarded_on needs a section".to_owned())),
        (None, Some(_)) => return Err(named("section needs forwarded_on".to_owned())),
    }
    let extension = (
        field(Column::ExtensionDays).map(days).transpose()?,
        d(Column::ExtensionApprovedOn)?,
        field(Column::ExtensionApprovedBy),
    );
    match extension {
        (Some(n), Some(on), Some(by)) => {
            let by = cell_line(by).map_err(named)?;
            said.push(
                casework::extend(&mut case, n, &by, on, None, &config.rules)
                    .map_err(|e| named(e.to_string()))?,
            );
            if let Some(notice) = d(Column::ExtensionNoticeOn)? {
                said.push(
                    casework::notice(&mut case, NoticeKind::Extension, notice)
                        .map_err(|e| named(e.to_string()))?,
                );
            }
        }
        (None, None, None) if field(Column::ExtensionNoticeOn).is_none() => {}
        _ => {
            return Err(named(
                "an extension needs extension_days, extension_approved_on and \
                 extension_approved_by together"
                    .to_owned(),
            ));
        }
    }
    if let Some(on) = d(Column::RepliedOn)? {
        said.push(casework::reply(&mut case, on).map_err(|e| named(e.to_string()))?);
    }
    match (d(Column::ClosedOn)?, field(Column::CloseReason)) {
        (Some(on), Some(why)) => {
            said.push(
                casework::close(&mut case, on, close_reason(why)?)
                    .map_err(|e| named(e.to_string()))?,
            );
        }
        (None, None) => {}
        _ => {
            return Err(named("closed_on and close_reason go together".to_owned()));
        }
    }
    // Regulations art. 50: the annual report's categories; an outcome only of a finished case.
    let outcome = field(Column::Outcome).map(Outcome::parse).transpose()?;
    let applicant = field(Column::Applicant).map(Applicant::parse).transpose()?;
    if outcome.is_some() || applicant.is_some() {
        said.push(
            casework::classify(&mut case, outcome, applicant).map_err(|e| named(e.to_string()))?,
        );
    }
    Ok((case, said.join("; ")))
}
