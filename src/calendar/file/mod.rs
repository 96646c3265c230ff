//! The calendar files administrators keep: one TOML file per year that reads like the State
//! Council notice, and the bureau's local overlay. Parsing validates everything and reports each
//! problem with the file, the line and what to do; a file with any problem yields nothing.
//!
//! A year file (`2026.toml`):
//!
//! ```toml
//! year = 2026
//!
//! [[notices]]                  # the notice(s) it copies: title, number and/or url
//! title = "国务院办公厅关于2026年部分节假日安排的通知"
//! url = "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm"
//!
//! [[holidays]]
//! name = "国庆节"
//! rest = ["2026-10-01..2026-10-07"]   # a date, or an inclusive range FROM..TO
//! work = ["2026-09-20", "2026-10-10"] # make-up working days: Saturdays or Sundays only
//! ```
//!
//! The local overlay (`local.toml`):
//!
//! ```toml
//! [[closures]]
//! dates = "2026-09-24"                # a date or an inclusive range
//! reason = "台风停工"
//!
//! [[reopenings]]
//! dates = "2026-10-11"
//! reason = "集中办理积压申请"
//! ```

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use toml::Spanned;

use super::data::{
    Declared, DeclaredDay, LocalDay, LocalKind, LocalOverlay, NationalYear, Notice, Source,
};
use super::{FIRST_DAY, LAST_DAY};

/// The longest range a year file may give in one item; longer is almost surely a typo.
const MAX_NATIONAL_RANGE_DAYS: i64 = 31;

/// The longest range a local overlay may give in one item: a year. A closure of more is not a
/// closure, and the bound keeps a typo from listing millions of days.
const MAX_LOCAL_RANGE_DAYS: i64 = 366;

/// One problem in a calendar file, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file (a path, or `shipped:YYYY.toml`).
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n  help: {}",
            self.origin, self.line, self.column, self.message, self.help
        )
    }
}

/// Every problem found in one file (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileErrors(pub Vec<FileError>);

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

const FORMAT_HELP: &str = "see docs/administrator.md, \"Calendar files\", for the format";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: Spanned<i64>,
    #[serde(default)]
    notices: Vec<Spanned<RawNotice>>,
    #[serde(default)]
    holidays: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotice {
    title: Option<String>,
    number: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: Spanned<String>,
    #[serde(default)]
    rest: Vec<Spanned<String>>,
    #[serde(default)]
    work: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlay {
    #[serde(default)]
    closures: Vec<RawLocal>,
    #[serde(default)]
    reopenings: Vec<RawLocal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    dates: Spanned<String>,
    reason: Spanned<String>,
}

/// Collects problems against one file's text.
struct Problems<'a> {
    origin: &'a str,
    text: &'a str,
    found: Vec<FileError>,
}

impl<'a> Problems<'a> {
    fn new(origin: &'a str, text: &'a str) -> Self {
        Problems {
            origin,
            text,
            found: Vec::new(),
        }
    }

    fn at(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        let (line, column) = line_and_column(self.text, span.start);
        self.found.push(FileError {
            origin: self.origin.to_owned(),
            line,
            column,
            message: message.into(),
            help: help.into(),
        });
    }

    fn finish<T>(self, value: T) -> Result<T, FileErrors> {
        if self.found.is_empty() {
            Ok(value)
        } else {
            Err(FileErrors(self.found))
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn toml_error(origin: &str, text: &str, e: &toml::de::Error) -> FileErrors {
    let (line, column) = line_and_column(text, e.span().map_or(0, |s| s.start));
    let message = e.message().trim().to_owned();
    let help = if message.contains("unknown field") {
        format!("remove the key or correct its spelling; {FORMAT_HELP}")
    } else if message.contains("datetime") || message.contains("date") {
        "write dates in quotes, as \"2026-10-01\" or \"2026-10-01..2026-10-07\"".to_owned()
    } else {
        FORMAT_HELP.to_owned()
    };
    FileErrors(vec![FileError {
        origin: origin.to_owned(),
        line,
        column,
        message,
        help,
    }])
}

/// Parses a strict `YYYY-MM-DD` date (no other spelling, so files read the same everywhere).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(format!("\"{s}\" is not a date of the form YYYY-MM-DD"));
    }
    let num = |r: Range<usize>| s[r].parse::<u32>().expect("checked to be ASCII digits");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let year = i32::try_from(y).expect("four digits fit in i32");
    NaiveDate::from_ymd_opt(year, m, d)
        .ok_or_else(|| format!("{s} does not exist in the calendar (check the month and the day)"))
}

/// Parses `DATE` or an inclusive range `FROM..TO` into its dates.
///
/// # Errors
/// A date that is not one, a reversed range, or a range of more than `max_days` days (checked
/// before the days are listed, so a typo such as `0001-01-01..9999-12-31` costs nothing).
fn parse_dates(s: &str, max_days: i64) -> Result<Vec<NaiveDate>, (String, String)> {
    let date_help = || "write \"YYYY-MM-DD\" or \"YYYY-MM-DD..YYYY-MM-DD\"".to_owned();
    let s = s.trim();
    let Some((from, to)) = s.split_once("..") else {
        return parse_date(s).map(|d| vec![d]).map_err(|e| (e, date_help()));
    };
    let from = parse_date(from.trim()).map_err(|e| (e, date_help()))?;
    let to = parse_date(to.trim()).map_err(|e| (e, date_help()))?;
    if to < from {
        return Err((
            format!("the range {from}..{to} ends before it starts; write FROM..TO with FROM first"),
            date_help(),
        ));
    }
    let days = (to - from).num_days() + 1;
    if days > max_days {
        return Err((
            format!("the range covers {days} days"),
            format!("a range here is at most {max_days} days; check the dates"),
        ));
    }
    Ok(from.iter_days().take_while(|d| *d <= to).collect())
}

/// Parses and validates a year file. `expected_year` is the year its file name gives.
///
/// # Errors
/// Every problem in the file: TOML syntax, unknown keys, impossible dates, a date outside the
/// year (December of the year before is allowed: notices arrange the New Year holiday), a
/// make-up working day that is not a Saturday or Sunday, a date given twice, a file that cites
/// no notice or names no holiday, a year that does not match the file name.
pub fn parse_year(
    text: &str,
    source: &Source,
    origin: &str,
    expected_year: Option<i32>,
) -> Result<NationalYear, FileErrors> {
    let raw: RawYear = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
    let mut p = Problems::new(origin, text);

    let year_span = raw.year.span();
    let year = match i32::try_from(*raw.year.get_ref()) {
        Ok(y) if (FIRST_DAY.year()..=LAST_DAY.year()).contains(&y) => y,
        _ => {
            p.at(
                year_span,
                format!("year {} is out of range", raw.year.get_ref()),
                format!(
                    "give the notice's year, between {} and {}",
                    FIRST_DAY.year(),
                    LAST_DAY.year()
                ),
            );
            return Err(FileErrors(p.found));
        }
    };
    if let Some(expected) = expected_year
        && expected != year
    {
        p.at(
            year_span.clone(),
            format!("the file says year = {year} but its name says {expected}"),
            format!("name the file {year}.toml, or correct the year"),
        );
    }
    if raw.notices.is_empty() {
        p.at(
            year_span.clone(),
            "the file cites no State Council notice",
            "add a [[notices]] entry with its title, number or url; if the notice is not \
             published yet, do not create this year's file (the year stays provisional)",
        );
    }
    let mut notices = Vec::new();
    for n in raw.notices {
        let span = n.span();
        let n = n.into_inner();
        let blank = |f: &Option<String>| f.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&n.title) && blank(&n.number) && blank(&n.url) {
            p.at(
                span,
                "this notice has no title, number or url",
                "give at least one, so others can check the dates against it",
            );
        }
        notices.push(Notice {
            title: n.title,
            number: n.number,
            url: n.url,
        });
    }
    if raw.holidays.is_empty() {
        p.at(
            year_span,
            "the file names no holidays",
            "copy each holiday of the notice as a [[holidays]] entry with its rest and work dates",
        );
    }

    let mut days = Vec::new();
    let mut seen: HashMap<NaiveDate, (usize, String)> = HashMap::new();
    for holiday in raw.holidays {
        let name = holiday.name.get_ref().trim().to_owned();
        if name.is_empty() {
            p.at(
                holiday.name.span(),
                "a holiday has an empty name",
                "give the name the notice uses (元旦, 春节, …)",
            );
        }
        let items = holiday
            .rest
            .iter()
            .map(|s| (s, Declared::Rest))
            .chain(holiday.work.iter().map(|s| (s, Declared::Work)));
        for (item, declared) in items {
            let span = item.span();
            let dates = match parse_dates(item.get_ref(), MAX_NATIONAL_RANGE_DAYS) {
                Ok(dates) => dates,
                Err((message, help)) => {
                    p.at(span, message, help);
                    continue;
                }
            };
            for date in dates {
                let in_year =
                    date.year() == year || (date.year() == year - 1 && date.month() == 12);
                if !in_year {
                    p.at(
                        span.clone(),
                        format!("{date} is outside {year}"),
                        format!(
                            "a {year} file names dates of {year} (and of December {}, for the \
                             New Year holiday); put other dates in their own year's file",
                            year - 1
                        ),
                    );
                    continue;
                }
                if declared == Declared::Work
                    && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                {
                    p.at(
                        span.clone(),
                        format!(
                            "{date} is a {}: a make-up working day must be a Saturday or Sunday",
                            date.weekday()
                        ),
                        "weekdays are working days already; check the date against the notice",
                    );
                    continue;
                }
                let (line, _) = line_and_column(text, span.start);
                let meaning = match declared {
                    Declared::Rest => format!("a rest day of {name}"),
                    Declared::Work => format!("a make-up working day for {name}"),
                };
                if let Some((first_line, first_meaning)) = seen.get(&date) {
                    p.at(
                        span.clone(),
                        format!(
                            "{date} is given twice: {first_meaning} (line {first_line}) and \
                             {meaning}"
                        ),
                        "give each date one meaning, as the notice does",
                    );
                    continue;
                }
                seen.insert(date, (line, meaning));
                days.push(DeclaredDay {
                    date,
                    declared,
                    holiday: name.clone(),
                });
            }
        }
    }

    p.finish(NationalYear {
        year,
        notices,
        days,
        source: source.clone(),
    })
}

/// Parses and validates the local overlay.
///
/// # Errors
/// Every problem in the file: TOML syntax, unknown keys, impossible or reversed dates, a date
/// outside the calendar's range, an empty reason, a date both closed and reopened.
pub fn parse_overlay(
    text: &str,
    source: &Source,
    origin: &str,
) -> Result<LocalOverlay, FileErrors> {
    let raw: RawOverlay = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
    let mut p = Problems::new(origin, text);
    let mut days = Vec::new();
    let mut seen: HashMap<NaiveDate, usize> = HashMap::new();
    let entries = raw
        .closures
        .iter()
        .map(|e| (e, LocalKind::Closure))
        .chain(raw.reopenings.iter().map(|e| (e, LocalKind::Reopening)));
    for (entry, kind) in entries {
        let span = entry.dates.span();
        let reason = entry.reason.get_ref().trim().to_owned();
        if reason.is_empty() {
            p.at(
                entry.reason.span(),
                "the reason is empty",
                "say why the bureau is closed or open that day; it is shown in every explanation",
            );
        }
        let dates = match parse_dates(entry.dates.get_ref(), MAX_LOCAL_RANGE_DAYS) {
            Ok(dates) => dates,
            Err((message, help)) => {
                p.at(span, message, help);
                continue;
            }
        };
        for date in dates {
            if date < FIRST_DAY || date > LAST_DAY {
                p.at(
                    span.clone(),
                    format!("{date} is outside the dates duewatch counts on"),
                    format!("use dates from {FIRST_DAY} to {LAST_DAY}"),
                );
                break;
            }
            let (line, _) = line_and_column(text, span.start);
            if let Some(first_line) = seen.get(&date) {
                p.at(
                    span.clone(),
                    format!("{date} is given twice (first on line {first_line})"),
                    "give each date once: either a closure or a reopening",
                );
                continue;
            }
            seen.insert(date, line);
            days.push(LocalDay {
                date,
                kind,
                reason: reason.clone(),
            });
        }
    }
    p.finish(LocalOverlay {
        days,
        source: Some(source.clone()),
    })
}

#[cfg(test)]
mod tests;
