//! The calendar as data: what a State Council notice declares for a year, and the bureau's local
//! overlay. Produced by [`super::file`] (and the importer), consumed by [`super::Calendar::new`].

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;

/// Where a calendar came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built into the binary (`config/calendars/YYYY.toml` at build time).
    Shipped,
    /// A file in the configured calendar directory.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Shipped => f.write_str("the calendar shipped with duewatch"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A State Council notice a year's calendar copies. At least one field is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    /// The notice's title, e.g. 国务院办公厅关于2026年部分节假日安排的通知.
    pub title: Option<String>,
    /// Its document number, e.g. 国办发明电〔2025〕7号.
    pub number: Option<String>,
    /// Where it is published.
    pub url: Option<String>,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [&self.title, &self.number, &self.url]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        f.write_str(&parts.join(" "))
    }
}

/// What a notice declares a date to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// A rest day of a holiday.
    Rest,
    /// A make-up working day (a Saturday or Sunday worked).
    Work,
}

/// One date a notice names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredDay {
    /// The date.
    pub date: NaiveDate,
    /// Rest or make-up work.
    pub declared: Declared,
    /// The holiday it belongs to (元旦, 春节, …).
    pub holiday: String,
}

/// One year's national calendar, as its notice declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NationalYear {
    /// The notice's year.
    pub year: i32,
    /// The notices it copies (a year can have a later amending notice, as 2020 did).
    pub notices: Vec<Notice>,
    /// Every date the notices name, in file order. May include late December of the year before.
    pub days: Vec<DeclaredDay>,
    /// Where it was loaded from.
    pub source: Source,
}

impl NationalYear {
    /// The holidays in file order, each with its rest and make-up dates (sorted).
    pub fn holidays(&self) -> Vec<(&str, Vec<NaiveDate>, Vec<NaiveDate>)> {
        let mut out: Vec<(&str, Vec<NaiveDate>, Vec<NaiveDate>)> = Vec::new();
        for day in &self.days {
            let at = match out.iter().position(|(name, ..)| *name == day.holiday) {
                Some(at) => at,
                None => {
                    out.push((&day.holiday, Vec::new(), Vec::new()));
                    out.len() - 1
                }
            };
            match day.declared {
                Declared::Rest => out[at].1.push(day.date),
                Declared::Work => out[at].2.push(day.date),
            }
        }
        for (_, rest, work) in &mut out {
            rest.sort();
            work.sort();
        }
        out
    }
}

/// What the bureau's overlay does to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    /// The bureau is closed (a typhoon day): a rest day whatever the national calendar says.
    Closure,
    /// The bureau works on a day that would be a rest day: a working day.
    Reopening,
}

/// One date of the local overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDay {
    /// The date.
    pub date: NaiveDate,
    /// Closed or open.
    pub kind: LocalKind,
    /// Why, as the administrator wrote it.
    pub reason: String,
}

/// The bureau's own closures and reopenings, applied on top of the national calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalOverlay {
    /// Every date, in file order.
    pub days: Vec<LocalDay>,
    /// Where it was loaded from; `None` when there is no overlay.
    pub source: Option<Source>,
}
