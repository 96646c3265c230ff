//! What an entry must pass, beyond the rules of [`crate::domain::casework`], before it is written: a
//! change made with a case command, or a row of a CSV import. Pure: the case, the rules, the
//! calendar and `today` come in; a refusal ([`Refusal`]: what is wrong and what to do) goes out.
//!
//! - **Countable**: the engine can count the case as changed. Every stage's deadline and every
//!   written notice must fall within the dates the calendar counts on (2000-01-01 to
//!   2099-12-31, [`crate::calendar::FIRST_DAY`]..=[`crate::calendar::LAST_DAY`]). A case it
//!   cannot count would fail every poll for ever, so it is refused where it is entered: a
//!   receipt in 1999 or 2100, or an extension or a forwarding whose deadline falls past 2099.
//!   Only a change that makes a countable case uncountable is refused: a case stored
//!   uncountable (by an older duewatch, or by hand) can still be replied to, forwarded, extended
//!   and closed, and a closure is never refused for it ([`crate::domain::casework::how_to_fix`] says how
//!   to finish it).
//! - **Plausible dates**: an act is not dated after today (nothing recorded can have happened
//!   on a day still to come: 2062 typed for 2026), nor more than a year before today (1926 for
//!   2026) unless the user confirms it with `--allow-old` (a backlog being entered). A
//!   resumption is the exception: its date is the day the clock runs again, and an obstacle
//!   that ends after hours makes that the next working day, so it may be dated up to the next
//!   working day after today.
//!
//! Cases read from a case system (`cases.source = "sql"`) are not entered here; one that
//! cannot be counted is reported to `mail.admins` by each poll instead ([`crate::jobs::poll`]).

use std::sync::Arc;

use chrono::{Months, NaiveDate};

use crate::calendar::{Calendar, FIRST_DAY, LAST_DAY, OutOfRange};
use crate::domain::case::Case;
use crate::domain::deadline::{self, Rules};

/// Why an entry is refused before it is written: a date that is not plausible, or a case the
/// engine could not count. The message (`Display`) names the date and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An act dated after today.
    #[error(
        "{what} on {date} is after today ({today}): nothing can be recorded as done on \
         a day still to come; check the year\n  help: record it on the day it happens"
    )]
    AfterToday {
        /// The act, e.g. "the receipt".
        what: &'static str,
        /// Its date.
        date: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// An act dated more than a year ago, without `--allow-old`.
    #[error(
        "{what} on {date} is more than a year before today ({today}); check the year\n  \
         help: if the date is right (a backlog), give --allow-old"
    )]
    OverAYearOld {
        /// The act.
        what: &'static str,
        /// Its date.
        date: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// A resumption dated after the next working day after today.
    // art. 21: the clock runs again on the resumption's day.
    #[error(
        "the resumption on {until} is after the next working day ({latest}): the day \
         the clock runs again is at most the next working day after today ({today}); check \
         the year\n  help: record the resumption when the obstacle has ended"
    )]
    ResumptionTooLate {
        /// The resumption.
        until: NaiveDate,
        /// The latest day it may be dated.
        latest: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// The case's deadlines or notices fall outside the calendar's range.
    #[error(
        "its deadlines cannot be counted: {0}\n  help: duewatch counts deadlines from \
         {first} to {last}; correct the date (a receipt, forwarding, extension or \
         suspension) so that every deadline falls within them",
        first = FIRST_DAY,
        last = LAST_DAY
    )]
    Uncountable(OutOfRange),
}

/// How far back an act may be dated without `--allow-old`.
pub(crate) const OLD_AFTER_MONTHS: u32 = 12;

/// The dates an entry is judged against: today, and whether old dates were confirmed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dating {
    /// Today, in the configured time zone.
    pub today: NaiveDate,
    /// `--allow-old` was given: acts more than a year ago are meant.
    pub allow_old: bool,
    /// The first working day after today: the latest day a resumption may be dated.
    pub next_working_day: NaiveDate,
}

/// The first working day after `today` on `cal` (`today` itself if it cannot be counted).
pub(crate) fn next_working_day(cal: &Calendar, today: NaiveDate) -> NaiveDate {
    cal.add_working_days(today, 1)
        .map_or(today, |d| d.into_parts().0)
}

impl Dating {
    /// Refuses `date` for `what` (e.g. "the receipt") when it is after today, or more than a
    /// year before today without `--allow-old`.
    ///
    /// # Errors
    /// The refusal, naming the date, today and what to do.
    pub(crate) fn check(&self, what: &'static str, date: NaiveDate) -> Result<(), Refusal> {
        let today = self.today;
        if date > today {
            return Err(Refusal::AfterToday { what, date, today });
        }
        let oldest = today
            .checked_sub_months(Months::new(OLD_AFTER_MONTHS))
            .unwrap_or(FIRST_DAY);
        if date < oldest && !self.allow_old {
            return Err(Refusal::OverAYearOld { what, date, today });
        }
        Ok(())
    }

    /// A resumption on `until`, the day the clock runs again: it may be up to the next working
    /// day after today (the obstacle ended today after hours), and as [`Dating::check`] else.
    ///
    /// # Errors
    /// The refusal, naming the date, the latest allowed and what to do.
    pub(crate) fn check_resumption(&self, until: NaiveDate) -> Result<(), Refusal> {
        let latest = self.next_working_day.max(self.today);
        if until > latest {
            return Err(Refusal::ResumptionTooLate {
                until,
                latest,
                today: self.today,
            });
        }
        self.check("the resumption", until.min(self.today))
    }

    /// Every act of `case` checked as by [`Dating::check`], the first refused returned.
    ///
    /// # Errors
    /// The first implausible date.
    pub(crate) fn check_case(&self, case: &Case) -> Result<(), Refusal> {
        let mut acts: Vec<(&'static str, NaiveDate)> = vec![("the receipt", case.received_on)];
        acts.extend(case.forwarded_on.map(|d| ("the forwarding", d)));
        for e in &case.extensions {
            acts.push(("the extension's approval", e.approved_on));
            acts.extend(e.notice_on.map(|d| ("the extension's written notice", d)));
        }
        for s in &case.suspensions {
            acts.push(("the suspension", s.from));
        }
        acts.extend(case.replied_on.map(|d| ("the reply", d)));
        acts.extend(case.closed_on.map(|d| ("the closure", d)));
        acts.into_iter()
            .try_for_each(|(what, d)| self.check(what, d))?;
        case.suspensions
            .iter()
            .filter_map(|s| s.until)
            .try_for_each(|until| self.check_resumption(until))
    }
}

/// Refuses `case` when the engine cannot count it: its deadlines or written notices fall
/// outside the calendar's range.
///
/// # Errors
/// The date (or the count) that is out of range, and what to do.
pub(crate) fn countable(
    case: &Case,
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let at = today.clamp(FIRST_DAY, LAST_DAY);
    match deadline::evaluate(case, rules, cal, at) {
        Ok(_) => Ok(()),
        Err(e) => Err(Refusal::Uncountable(e)),
    }
}

/// The checks of this module for a command that enters something: the calendar to count the
/// case on, the rules, and today. The calendar is loaded only for the commands that write.
pub(crate) struct Entering {
    // Shared, not copied: the console makes one per request from the calendar in force.
    calendar: Option<Arc<Calendar>>,
    rules: Rules,
    today: NaiveDate,
}

impl Entering {
    /// The checks against `calendar` (`None` for a command that only reads: nothing is counted),
    /// `rules` and `today`.
    pub(crate) fn new(calendar: Option<Arc<Calendar>>, rules: Rules, today: NaiveDate) -> Entering {
        Entering {
            calendar,
            rules,
            today,
        }
    }

    /// `case` as changed can be counted (or `before`, the case as it was, could not be counted
    /// either: a change does not have to mend it), and `date`, the act's, is plausible.
    /// `before` is `None` for a new case.
    ///
    /// # Errors
    /// The refusal.
    pub(crate) fn admit(
        &self,
        before: Option<&Case>,
        case: &Case,
        allow_old: bool,
        what: &'static str,
        date: NaiveDate,
    ) -> Result<(), Refusal> {
        self.admit_count(before, case)?;
        self.dating(allow_old).check(what, date)
    }

    /// A resumption on `until`: the case as changed can be counted (as by [`Entering::admit`])
    /// and `until` is at most the next working day after today ([`Dating::check_resumption`]).
    ///
    /// # Errors
    /// The refusal.
    pub(crate) fn admit_resumption(
        &self,
        before: &Case,
        case: &Case,
        allow_old: bool,
        until: NaiveDate,
    ) -> Result<(), Refusal> {
        self.admit_count(Some(before), case)?;
        self.dating(allow_old).check_resumption(until)
    }

    /// Refuses a change that makes a countable case (or a new one) uncountable.
    fn admit_count(&self, before: Option<&Case>, case: &Case) -> Result<(), Refusal> {
        if let Some(cal) = &self.calendar {
            let was_countable =
                before.is_none_or(|b| countable(b, &self.rules, cal, self.today).is_ok());
            if was_countable {
                countable(case, &self.rules, cal, self.today)?;
            }
        }
        Ok(())
    }

    pub(crate) fn dating(&self, allow_old: bool) -> Dating {
        Dating {
            today: self.today,
            allow_old,
            next_working_day: self
                .calendar
                .as_ref()
                .map_or(self.today, |cal| next_working_day(cal, self.today)),
        }
    }

    /// A whole case, as a row of an import: it can be counted and its dates are plausible.
    ///
    /// # Errors
    /// The refusal.
    pub(crate) fn check_case(&self, case: &Case, allow_old: bool) -> Result<(), Refusal> {
        if let Some(cal) = &self.calendar {
            countable(case, &self.rules, cal, self.today)?;
        }
        self.dating(allow_old).check_case(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{LocalOverlay, shipped};
    use crate::domain::case::{Extension, Reference, SectionCode};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("a test date")
    }

    fn cal() -> Calendar {
        Calendar::new(
            shipped::years().expect("shipped years"),
            LocalOverlay::default(),
        )
        .expect("a calendar")
    }

    fn case(received: &str) -> Case {
        Case::received(
            Reference::parse("2026-0042").expect("a reference"),
            d(received),
        )
    }

    #[test]
    fn a_case_whose_deadline_falls_past_2099_cannot_be_counted_and_says_which_count() {
        let rules = Rules::default();
        let table = [
            (
                "2099-12-31",
                Some("5 working days after 2099-12-31 fall after 2099-12-31"),
            ),
            ("2100-01-01", Some("2100-01-01 is outside the dates")),
            ("1999-12-31", Some("1999-12-31 is outside the dates")),
            ("2000-01-03", None),
            ("2099-12-01", None),
        ];
        for (received, refused) in table {
            let got = countable(&case(received), &rules, &cal(), d("2026-12-01"));
            match refused {
                None => assert_eq!(got, Ok(()), "{received}"),
                Some(words) => {
                    let e = got.expect_err(received).to_string();
                    assert!(e.contains(words), "{received}: {e}");
                    assert!(e.contains("help: duewatch counts deadlines from"), "{e}");
                }
            }
        }
        // An extension that pushes the reply deadline past 2099.
        // Forwarded Tue 2099-12-01: reply due 2099-12-15 (2099 uncovered: weekends only).
        let mut c = case("2099-11-30");
        c.forwarded_on = Some(d("2099-12-01"));
        c.section = Some(SectionCode::parse("ss").expect("a code"));
        assert_eq!(countable(&c, &rules, &cal(), d("2099-12-02")), Ok(()));
        c.extensions.push(Extension {
            days: 15,
            approved_on: d("2099-12-02"),
            approved_by: "局长".to_owned(),
            reason: None,
            notice_on: None,
        });
        let e = countable(&c, &rules, &cal(), d("2099-12-02"))
            .expect_err("past 2099")
            .to_string();
        assert!(e.contains("25 working days after 2099-12-01"), "{e}");
    }

    #[test]
    fn a_resumption_may_be_dated_up_to_the_next_working_day_after_today() {
        // Fri 2026-11-27: the next working day is Mon 2026-11-30 (the clock runs again then,
        // when the obstacle ended after hours).
        let dating = Dating {
            today: d("2026-11-27"),
            allow_old: false,
            next_working_day: d("2026-11-30"),
        };
        for (until, allowed) in [
            ("2026-11-27", true),
            ("2026-11-28", true),
            ("2026-11-30", true),
            ("2026-12-01", false),
        ] {
            let got = dating.check_resumption(d(until));
            if allowed {
                assert_eq!(got, Ok(()), "{until}");
            } else {
                let e = got.expect_err(until).to_string();
                assert!(e.contains("after the next working day (2026-11-30)"), "{e}");
            }
        }
        // Any other act stays refused after today.
        assert!(dating.check("the reply", d("2026-11-28")).is_err());
        // The next working day comes from the calendar (2026-10-01..07: National Day).
        assert_eq!(next_working_day(&cal(), d("2026-09-30")), d("2026-10-08"));
        let mut c = case("2026-09-01");
        c.suspensions.push(crate::domain::case::Suspension {
            from: d("2026-09-10"),
            until: Some(d("2026-10-08")),
            reason: crate::domain::case::SuspensionReason::ThirdParty,
            note: None,
            notice_on: None,
            resumption_notice_on: None,
        });
        let dating = Dating {
            today: d("2026-09-30"),
            allow_old: false,
            next_working_day: next_working_day(&cal(), d("2026-09-30")),
        };
        assert_eq!(dating.check_case(&c), Ok(()));
    }

    #[test]
    fn an_act_after_today_is_refused_and_one_over_a_year_old_needs_allow_old() {
        let strict = Dating {
            today: d("2026-12-01"),
            allow_old: false,
            next_working_day: d("2026-12-02"),
        };
        let lenient = Dating {
            allow_old: true,
            ..strict
        };
        let table = [
            ("2026-12-01", Ok(()), Ok(())),
            (
                "2026-12-02",
                Err("is after today (2026-12-01)"),
                Err("after today"),
            ),
            ("2062-11-02", Err("check the year"), Err("after today")),
            ("2025-12-01", Ok(()), Ok(())),
            ("2025-11-30", Err("more than a year before today"), Ok(())),
            ("1926-11-02", Err("give --allow-old"), Ok(())),
        ];
        for (date, without, with) in table {
            for (dating, expected) in [(strict, without), (lenient, with)] {
                let got = dating.check("the receipt", d(date));
                match expected {
                    Ok(()) => assert_eq!(got, Ok(()), "{date}"),
                    Err(words) => {
                        let e = got.expect_err(date).to_string();
                        assert!(e.contains(words), "{date}: {e}");
                        assert!(e.starts_with(&format!("the receipt on {date}")), "{e}");
                    }
                }
            }
        }
    }
}
