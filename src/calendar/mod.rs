//! The working-day calendar: which dates are working days, and counting periods over them.
//!
//! This module owns the arithmetic every deadline stands on. It is pure (std, chrono, serde and
//! the `toml`/`serde_json` parsers of its data files): no clock, no I/O outside [`load`], no
//! logging. Callers pass dates in and get dates and counts out.
//!
//! # Working days (domain.md, "Working days")
//!
//! A date is a **working day** when it is Monday to Friday and not a declared public holiday, or
//! when it is a declared make-up working day (调休上班日, a Saturday or Sunday the State Council's
//! notice turns into a working day). The bureau's own local overlay is applied on top: a
//! closure makes a day a rest day, a reopening makes it a working day.
//!
//! # Counting a period (domain.md, "Counting a period")
//!
//! "Within N working days of D" means the deadline is the N-th working day **after** D; D itself
//! never counts, whether or not it is a working day (期间开始之日不计算在内). See
//! [`Calendar::add_working_days`], [`Calendar::working_days_between`], [`Calendar::remaining`]
//! and [`Calendar::overdue_by`].
//!
//! # Coverage
//!
//! A year is **covered** when its national calendar file is loaded. Arithmetic that touches a day
//! of an uncovered year does not pretend: it counts weekends only there and returns
//! [`Reckoned::Provisional`], naming the first uncovered year. The result type makes a caller
//! decide what to do with a provisional answer; it cannot be read as a plain date by accident.
//!
//! # Speed
//!
//! [`Calendar::new`] lays every day from [`FIRST_DAY`] to [`LAST_DAY`] out in a dense index with
//! prefix sums of working days (and of uncovered days), plus the position of the k-th working
//! day. Every query is then a handful of array reads: O(1), no loop over days.
//!
//! # Layout
//! - [`data`]: the calendar as data (national years, notices, the local overlay);
//! - [`file`]: the TOML files administrators keep, parsed and validated with file:line errors;
//! - [`holiday_cn`]: the importer from holiday-cn JSON;
//! - [`load`]: assembling the shipped years and the configured directory (the only I/O here);
//! - `reckoned`: what arithmetic returns, [`Reckoned`] (certain or provisional) and [`OutOfRange`];
//! - [`shipped`]: the national calendars built into the binary.

pub mod data;
pub mod file;
pub mod holiday_cn;
pub mod load;
mod reckoned;
pub mod shipped;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

pub use data::{
    Declared, DeclaredDay, LocalDay, LocalKind, LocalOverlay, NationalYear, Notice, Source,
};
pub use reckoned::{OutOfRange, Reckoned};

/// The first date the calendar can count on.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};

/// The last date the calendar can count on.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d,
    None => panic!("2099-12-31 is a date"),
};

/// What kind of day a date is, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// Monday to Friday, nothing declared: a working day.
    Weekday,
    /// Saturday or Sunday, nothing declared: a rest day.
    Weekend,
    /// A rest day of the named public holiday.
    Holiday(&'a str),
    /// A Saturday or Sunday worked to make up for the named holiday (调休上班日).
    MakeUpWorkday(&'a str),
    /// Closed by the bureau's local overlay, for the given reason.
    LocalClosure(&'a str),
    /// Opened by the bureau's local overlay, for the given reason.
    LocalReopening(&'a str),
}

impl DayKind<'_> {
    /// Whether a day of this kind is a working day.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            DayKind::Weekday | DayKind::MakeUpWorkday(_) | DayKind::LocalReopening(_)
        )
    }
}

impl fmt::Display for DayKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayKind::Weekday => f.write_str("working day"),
            DayKind::Weekend => f.write_str("weekend"),
            DayKind::Holiday(name) => write!(f, "public holiday: {name}"),
            DayKind::MakeUpWorkday(name) => write!(f, "make-up working day for {name}"),
            DayKind::LocalClosure(reason) => write!(f, "local closure: {reason}"),
            DayKind::LocalReopening(reason) => write!(f, "local reopening: {reason}"),
        }
    }
}

/// A date with its kind, as [`Calendar::day`] describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day<'a> {
    /// The date.
    pub date: NaiveDate,
    /// Why it is a working or a rest day.
    pub kind: DayKind<'a>,
    /// Whether its year's national calendar is loaded.
    pub covered: bool,
}

impl Day<'_> {
    /// Whether the day is a working day.
    pub fn is_working(&self) -> bool {
        self.kind.is_working()
    }
}

/// A conflict between calendar sources found while building a [`Calendar`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two national year files give one date different meanings.
    #[error(
        "{date} is given two meanings: {first} in {first_source}, {second} in {second_source}; \
         correct whichever file disagrees with the State Council notice"
    )]
    Conflict {
        /// The date in dispute.
        date: NaiveDate,
        /// What the first file says.
        first: String,
        /// Where the first file is.
        first_source: String,
        /// What the second file says.
        second: String,
        /// Where the second file is.
        second_source: String,
    },
    /// Two files claim the same year.
    #[error("{year} is given twice, by {first} and by {second}; keep one of them")]
    DuplicateYear {
        /// The year.
        year: i32,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
    /// A date lies outside the range the calendar counts on.
    #[error("{0}")]
    OutOfRange(#[from] OutOfRange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Weekday,
    Weekend,
    Holiday,
    MakeUp,
    Closure,
    Reopening,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    tag: Tag,
    /// Index into `Calendar::labels` for tags that carry a name or reason.
    label: u32,
}

/// The working-day calendar: national years plus the local overlay, indexed for O(1) queries.
///
/// # Examples
///
/// ```
/// use chrono::NaiveDate;
/// use duewatch::calendar::{shipped, Calendar, LocalOverlay, Reckoned};
///
/// let cal = Calendar::new(shipped::years().unwrap(), LocalOverlay::default()).unwrap();
/// let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
///
/// // Received Friday 2026-11-27: the 5th working day after is Friday 2026-12-04.
/// assert_eq!(cal.add_working_days(d("2026-11-27"), 5).unwrap(), Reckoned::Certain(d("2026-12-04")));
/// // Received on Sunday 2026-11-29: Monday is day 1, so the same deadline.
/// assert_eq!(cal.add_working_days(d("2026-11-29"), 5).unwrap(), Reckoned::Certain(d("2026-12-04")));
/// // A start on a holiday (National Day 2026-10-01): counting resumes on 10-08, and the make-up
/// // Saturday 10-10 counts.
/// assert_eq!(cal.add_working_days(d("2026-10-01"), 3).unwrap(), Reckoned::Certain(d("2026-10-10")));
/// // 2027 is not covered: the answer assumes weekends only and says so.
/// assert_eq!(
///     cal.add_working_days(d("2026-12-25"), 10).unwrap(),
///     Reckoned::Provisional { value: d("2027-01-08"), uncovered: 2027 },
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Calendar {
    slots: Vec<Slot>,
    labels: Vec<String>,
    /// `working_prefix[i]`: working days among days `0..=i`.
    working_prefix: Vec<u32>,
    /// `nth_working[k]`: day index of the k-th working day (k from 1; entry 0 unused).
    nth_working: Vec<u32>,
    /// `uncovered_prefix[i]`: days of uncovered years among days `0..=i`.
    uncovered_prefix: Vec<u32>,
    /// The date of each day index (saves a calendar conversion on the hot path).
    dates: Vec<NaiveDate>,
    years: BTreeMap<i32, NationalYear>,
    overlay: LocalOverlay,
}

impl Calendar {
    /// Builds the calendar from national years and the local overlay.
    ///
    /// Dates are merged by date, not by file: a year's file may name late-December dates of the
    /// year before. The same date with the same meaning in two files is fine.
    ///
    /// # Errors
    /// Two files giving one date different meanings, two files for one year, or a date outside
    /// [`FIRST_DAY`]..=[`LAST_DAY`].
    pub fn new(national: Vec<NationalYear>, overlay: LocalOverlay) -> Result<Self, BuildError> {
        let mut years: BTreeMap<i32, NationalYear> = BTreeMap::new();
        for year in national {
            if let Some(previous) = years.get(&year.year) {
                return Err(BuildError::DuplicateYear {
                    year: year.year,
                    first: previous.source.to_string(),
                    second: year.source.to_string(),
                });
            }
            years.insert(year.year, year);
        }

        let len = usize::try_from((LAST_DAY - FIRST_DAY).num_days() + 1)
            .expect("the range is positive and small");
        let mut labels: Vec<String> = Vec::new();
        let mut slots: Vec<Slot> = Vec::with_capacity(len);
        let mut dates: Vec<NaiveDate> = Vec::with_capacity(len);
        for date in FIRST_DAY.iter_days().take(len) {
            let tag = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                Tag::Weekend
            } else {
                Tag::Weekday
            };
            slots.push(Slot { tag, label: 0 });
            dates.push(date);
        }

        // National declarations, merged by date; remember who said what to name conflicts.
        let mut said: BTreeMap<NaiveDate, (Declared, &str, String)> = BTreeMap::new();
        for year in years.values() {
            for day in &year.days {
                let source = year.source.to_string();
                if let Some((kind, name, first_source)) = said.get(&day.date) {
                    if *kind != day.declared || *name != day.holiday {
                        return Err(BuildError::Conflict {
                            date: day.date,
                            first: describe(*kind, name),
                            first_source: first_source.clone(),
                            second: describe(day.declared, &day.holiday),
                            second_source: source,
                        });
                    }
                    continue;
                }
                said.insert(day.date, (day.declared, &day.holiday, source));
            }
        }
        for (date, (kind, name, _)) in &said {
            let i = index_of(*date)?;
            let label = intern(&mut labels, name);
            slots[i] = Slot {
                tag: match kind {
                    Declared::Rest => Tag::Holiday,
                    Declared::Work => Tag::MakeUp,
                },
                label,
            };
        }
        // The local overlay goes on top of the national calendar.
        for day in &overlay.days {
            let i = index_of(day.date)?;
            let label = intern(&mut labels, &day.reason);
            slots[i] = Slot {
                tag: match day.kind {
                    LocalKind::Closure => Tag::Closure,
                    LocalKind::Reopening => Tag::Reopening,
                },
                label,
            };
        }

        let mut working_prefix = Vec::with_capacity(len);
        let mut uncovered_prefix = Vec::with_capacity(len);
        let mut nth_working = vec![0];
        let (mut working, mut uncovered) = (0u32, 0u32);
        for (i, (slot, date)) in slots.iter().zip(&dates).enumerate() {
            if matches!(slot.tag, Tag::Weekday | Tag::MakeUp | Tag::Reopening) {
                working += 1;
                nth_working.push(u32::try_from(i).expect("fewer than 2^32 days"));
            }
            if !years.contains_key(&date.year()) {
                uncovered += 1;
            }
            working_prefix.push(working);
            uncovered_prefix.push(uncovered);
        }

        Ok(Calendar {
            slots,
            labels,
            working_prefix,
            nth_working,
            uncovered_prefix,
            dates,
            years,
            overlay,
        })
    }

    /// The national years loaded, by year.
    pub fn years(&self) -> &BTreeMap<i32, NationalYear> {
        &self.years
    }

    /// The local overlay in use.
    pub fn overlay(&self) -> &LocalOverlay {
        &self.overlay
    }

    /// The years deadlines as of `as_of` need and this calendar lacks: the current year, and
    /// from 1 November the next one too (requests received then run into it).
    pub fn missing_years(&self, as_of: NaiveDate) -> Vec<i32> {
        use chrono::Datelike;
        let mut needed = vec![as_of.year()];
        if as_of.month() >= 11 {
            needed.push(as_of.year() + 1);
        }
        needed.into_iter().filter(|y| !self.covers(*y)).collect()
    }

    /// Whether `year`'s national calendar is loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// What kind of day `date` is.
    ///
    /// # Errors
    /// [`OutOfRange`] outside [`FIRST_DAY`]..=[`LAST_DAY`].
    pub fn day(&self, date: NaiveDate) -> Result<Day<'_>, OutOfRange> {
        let slot = self.slots[index_of(date)?];
        let label = || self.labels[slot.label as usize].as_str();
        let kind = match slot.tag {
            Tag::Weekday => DayKind::Weekday,
            Tag::Weekend => DayKind::Weekend,
            Tag::Holiday => DayKind::Holiday(label()),
            Tag::MakeUp => DayKind::MakeUpWorkday(label()),
            Tag::Closure => DayKind::LocalClosure(label()),
            Tag::Reopening => DayKind::LocalReopening(label()),
        };
        Ok(Day {
            date,
            kind,
            covered: self.covers(date.year()),
        })
    }

    /// Whether `date` is a working day; provisional when its year is not covered.
    ///
    /// # Examples
    /// ```
    /// # use chrono::NaiveDate;
    /// # use duewatch::calendar::{shipped, Calendar, LocalOverlay, Reckoned};
    /// # let cal = Calendar::new(shipped::years().unwrap(), LocalOverlay::default()).unwrap();
    /// let sat = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(); // make-up day for 春节
    /// assert_eq!(cal.is_working_day(sat).unwrap(), Reckoned::Certain(true));
    /// let new_year = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(); // 2027 not covered
    /// assert_eq!(cal.is_working_day(new_year).unwrap(), Reckoned::Provisional { value: true, uncovered: 2027 });
    /// ```
    ///
    /// # Errors
    /// [`OutOfRange`] outside [`FIRST_DAY`]..=[`LAST_DAY`].
    pub fn is_working_day(&self, date: NaiveDate) -> Result<Reckoned<bool>, OutOfRange> {
        let i = index_of(date)?;
        let working = matches!(
            self.slots[i].tag,
            Tag::Weekday | Tag::MakeUp | Tag::Reopening
        );
        Ok(if self.covers(date.year()) {
            Reckoned::Certain(working)
        } else {
            Reckoned::Provisional {
                value: working,
                uncovered: date.year(),
            }
        })
    }

    /// The `n`-th working day after `start`; `start` itself never counts. `n == 0` gives `start`.
    ///
    /// Provisional when a day after `start` up to the answer lies in an uncovered year.
    ///
    /// # Errors
    /// [`OutOfRange`] when `start` or the answer is outside [`FIRST_DAY`]..=[`LAST_DAY`].
    #[inline]
    pub fn add_working_days(
        &self,
        start: NaiveDate,
        n: u32,
    ) -> Result<Reckoned<NaiveDate>, OutOfRange> {
        let s = index_of(start)?;
        if n == 0 {
            return Ok(Reckoned::Certain(start));
        }
        let k = self.working_prefix[s] as usize + n as usize;
        let Some(&r) = self.nth_working.get(k) else {
            return Err(OutOfRange {
                date: start,
                counted: Some(n),
            });
        };
        let r = r as usize;
        Ok(self.reckon(s, r, self.dates[r]))
    }

    /// The number of working days `d` with `a < d <= b` (0 when `b <= a`).
    ///
    /// # Errors
    /// [`OutOfRange`] when `a` or `b` is outside [`FIRST_DAY`]..=[`LAST_DAY`].
    #[inline]
    pub fn working_days_between(
        &self,
        a: NaiveDate,
        b: NaiveDate,
    ) -> Result<Reckoned<u32>, OutOfRange> {
        let (ia, ib) = (index_of(a)?, index_of(b)?);
        if ib <= ia {
            return Ok(Reckoned::Certain(0));
        }
        Ok(self.reckon(ia, ib, self.working_prefix[ib] - self.working_prefix[ia]))
    }

    /// Working days left at `today` until `due`: working days `d` with `today < d <= due`.
    /// 0 on the due date itself ("due today") and after it.
    ///
    /// # Errors
    /// [`OutOfRange`] as for [`Calendar::working_days_between`].
    pub fn remaining(&self, today: NaiveDate, due: NaiveDate) -> Result<Reckoned<u32>, OutOfRange> {
        self.working_days_between(today, due)
    }

    /// Working days `d` with `due < d <= today`. `today` is overdue when `today > due`, even when
    /// this is 0 (a Saturday after a Friday deadline is overdue by 0 working days).
    ///
    /// # Errors
    /// [`OutOfRange`] as for [`Calendar::working_days_between`].
    pub fn overdue_by(
        &self,
        today: NaiveDate,
        due: NaiveDate,
    ) -> Result<Reckoned<u32>, OutOfRange> {
        self.working_days_between(due, today)
    }

    /// Marks `value` provisional when a day in `(from, to]` (day indexes) is uncovered.
    #[inline]
    fn reckon<T>(&self, from: usize, to: usize, value: T) -> Reckoned<T> {
        if self.uncovered_prefix[to] == self.uncovered_prefix[from] {
            return Reckoned::Certain(value);
        }
        let first = self.dates[from + 1].year();
        let last = self.dates[to].year();
        let uncovered = (first..=last)
            .find(|y| !self.covers(*y))
            .expect("the prefix sums saw an uncovered day in this range");
        Reckoned::Provisional { value, uncovered }
    }
}

/// Runs of consecutive dates in a sorted list, as (first, last).
pub fn date_runs(dates: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in dates {
        match out.last_mut() {
            Some((_, last)) if last.succ_opt() == Some(d) => *last = d,
            _ => out.push((d, d)),
        }
    }
    out
}

fn describe(kind: Declared, holiday: &str) -> String {
    match kind {
        Declared::Rest => format!("a rest day of {holiday}"),
        Declared::Work => format!("a make-up working day for {holiday}"),
    }
}

fn intern(labels: &mut Vec<String>, label: &str) -> u32 {
    let at = labels.iter().position(|l| l == label).unwrap_or_else(|| {
        labels.push(label.to_owned());
        labels.len() - 1
    });
    u32::try_from(at).expect("fewer than 2^32 labels")
}

#[inline]
fn index_of(date: NaiveDate) -> Result<usize, OutOfRange> {
    const FIRST: i32 = 730_120; // FIRST_DAY.num_days_from_ce(), checked in a test
    let i = date.num_days_from_ce() - FIRST;
    if i < 0 || date > LAST_DAY {
        return Err(OutOfRange::date(date));
    }
    Ok(i as usize)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod input_properties;
