//! What calendar arithmetic returns: an answer marked certain or provisional ([`Reckoned`]), or
//! the date it could not place ([`OutOfRange`]). Pure data; the arithmetic is [`super::Calendar`]'s.

use chrono::NaiveDate;

use super::{FIRST_DAY, LAST_DAY};

/// A date outside [`FIRST_DAY`]..=[`LAST_DAY`], or a count whose answer falls outside it.
///
/// The message names what is out of range: the date itself, or, for a count whose answer would
/// fall past [`LAST_DAY`], the count and its start (the answer is no date the calendar knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct OutOfRange {
    /// The date that could not be placed; for a count whose answer falls outside the range,
    /// the start of the count (which is inside it).
    pub date: NaiveDate,
    /// For a count whose answer falls past [`LAST_DAY`]: the working days counted after `date`.
    pub counted: Option<u32>,
}

impl OutOfRange {
    /// `date` itself lies outside the range.
    pub fn date(date: NaiveDate) -> OutOfRange {
        OutOfRange {
            date,
            counted: None,
        }
    }

    fn describe(&self) -> String {
        let range = format!(
            "outside the dates duewatch counts on ({FIRST_DAY} to {LAST_DAY}); check the year"
        );
        match self.counted {
            None => format!("{} is {range}", self.date),
            Some(n) => format!(
                "{n} working {} after {} {} after {LAST_DAY}, {range}",
                if n == 1 { "day" } else { "days" },
                self.date,
                if n == 1 { "falls" } else { "fall" },
            ),
        }
    }
}

/// A result of calendar arithmetic, and whether it can be relied on.
///
/// `Certain` means every day the computation looked at lies in a covered year. `Provisional`
/// means at least one day lies in a year whose calendar is not loaded: weekends only were assumed
/// there, and the answer may move when that year's notice is installed. Match on it, or call
/// [`Reckoned::into_parts`]; there is deliberately no method that drops the distinction.
#[must_use = "a provisional result must be shown as provisional"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reckoned<T> {
    /// Computed on loaded calendars only.
    Certain(T),
    /// Computed with weekends only for `uncovered`, the first year touched that has no calendar.
    Provisional {
        /// The answer under the weekends-only assumption.
        value: T,
        /// The first year the computation touched that is not covered.
        uncovered: i32,
    },
}

impl<T> Reckoned<T> {
    /// The value and, when provisional, the first uncovered year.
    pub fn into_parts(self) -> (T, Option<i32>) {
        match self {
            Reckoned::Certain(value) => (value, None),
            Reckoned::Provisional { value, uncovered } => (value, Some(uncovered)),
        }
    }

    /// Whether the answer rests on a year that is not covered.
    pub fn is_provisional(&self) -> bool {
        matches!(self, Reckoned::Provisional { .. })
    }

    /// Applies `f` to the value, keeping the provisional mark.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reckoned<U> {
        match self {
            Reckoned::Certain(value) => Reckoned::Certain(f(value)),
            Reckoned::Provisional { value, uncovered } => Reckoned::Provisional {
                value: f(value),
                uncovered,
            },
        }
    }

    /// Chains a second computation; the result is provisional when either step is (the earlier
    /// uncovered year is kept).
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Reckoned<U>) -> Reckoned<U> {
        let (value, first) = self.into_parts();
        let (value, second) = f(value).into_parts();
        match (first, second) {
            (None, None) => Reckoned::Certain(value),
            (Some(y), None) | (None, Some(y)) => Reckoned::Provisional {
                value,
                uncovered: y,
            },
            (Some(a), Some(b)) => Reckoned::Provisional {
                value,
                uncovered: a.min(b),
            },
        }
    }
}
