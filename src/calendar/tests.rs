//! Tables of real dates from the 2025 and 2026 notices, exhaustive comparison with a naive
//! day-by-day count, and property tests of the calendar's laws.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are valid")
}

fn shipped_calendar() -> Calendar {
    Calendar::new(
        shipped::years().expect("shipped files parse"),
        LocalOverlay::default(),
    )
    .expect("shipped files agree")
}

/// A reference built straight from the declared data, with no prefix sums.
struct Naive(HashMap<NaiveDate, bool>);

impl Naive {
    fn new(years: &[NationalYear], overlay: &LocalOverlay) -> Self {
        let mut map = HashMap::new();
        for y in years {
            for day in &y.days {
                map.insert(day.date, day.declared == Declared::Work);
            }
        }
        for day in &overlay.days {
            map.insert(day.date, day.kind == LocalKind::Reopening);
        }
        Naive(map)
    }
    fn working(&self, date: NaiveDate) -> bool {
        *self
            .0
            .get(&date)
            .unwrap_or(&!matches!(date.weekday(), Weekday::Sat | Weekday::Sun))
    }
    fn add(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let (mut date, mut counted) = (start, 0);
        while counted < n {
            date = date.succ_opt().expect("in range");
            if self.working(date) {
                counted += 1;
            }
        }
        date
    }
    fn between(&self, a: NaiveDate, b: NaiveDate) -> u32 {
        a.iter_days()
            .skip(1)
            .take_while(|x| *x <= b)
            .filter(|x| self.working(*x))
            .count() as u32
    }
}

#[test]
fn the_index_origin_constant_matches_the_first_day() {
    assert_eq!(FIRST_DAY.num_days_from_ce(), 730_120);
}

#[test]
fn due_dates_on_the_real_2025_and_2026_calendars() {
    let cal = shipped_calendar();
    // (start, n, due, why)
    let table = [
        (
            "2026-11-27",
            5,
            "2026-12-04",
            "domain.md: received on a Friday",
        ),
        (
            "2026-11-29",
            5,
            "2026-12-04",
            "domain.md: received on a Sunday",
        ),
        (
            "2026-10-01",
            3,
            "2026-10-10",
            "start on a holiday; make-up Saturday counts",
        ),
        ("2026-09-30", 1, "2026-10-08", "National Day 2026 skipped"),
        (
            "2026-02-13",
            1,
            "2026-02-14",
            "make-up Saturday before Spring Festival 2026",
        ),
        ("2026-02-12", 5, "2026-02-26", "across Spring Festival 2026"),
        (
            "2026-02-27",
            1,
            "2026-02-28",
            "make-up Saturday after Spring Festival 2026",
        ),
        (
            "2026-01-01",
            1,
            "2026-01-04",
            "make-up Sunday of New Year 2026",
        ),
        (
            "2025-09-26",
            1,
            "2025-09-28",
            "make-up Sunday before National Day 2025",
        ),
        (
            "2025-09-30",
            1,
            "2025-10-09",
            "National Day and Mid-Autumn 2025 skipped",
        ),
        (
            "2025-09-30",
            3,
            "2025-10-11",
            "make-up Saturday after National Day 2025",
        ),
        (
            "2025-01-24",
            1,
            "2025-01-26",
            "make-up Sunday before Spring Festival 2025",
        ),
        (
            "2025-01-27",
            1,
            "2025-02-05",
            "Spring Festival 2025 skipped",
        ),
        ("2025-04-30", 1, "2025-05-06", "Labour Day 2025 skipped"),
        (
            "2025-12-31",
            1,
            "2026-01-04",
            "across the new year into a make-up Sunday",
        ),
        (
            "2026-05-08",
            1,
            "2026-05-09",
            "make-up Saturday after Labour Day 2026",
        ),
        (
            "2026-06-18",
            10,
            "2026-07-03",
            "Dragon Boat 2026 skipped, ten days",
        ),
        (
            "2026-11-27",
            0,
            "2026-11-27",
            "zero days is the start itself",
        ),
    ];
    for (start, n, due, why) in table {
        assert_eq!(
            cal.add_working_days(d(start), n).expect("in range"),
            Reckoned::Certain(d(due)),
            "{start} + {n}: {why}"
        );
    }
}

#[test]
fn a_make_up_saturday_is_a_working_day_and_a_holiday_monday_is_not() {
    let cal = shipped_calendar();
    assert_eq!(
        cal.is_working_day(d("2026-02-28")).unwrap(),
        Reckoned::Certain(true)
    );
    assert_eq!(
        cal.day(d("2026-02-28")).unwrap().kind,
        DayKind::MakeUpWorkday("春节")
    );
    assert_eq!(
        cal.is_working_day(d("2026-02-23")).unwrap(),
        Reckoned::Certain(false)
    );
    assert_eq!(
        cal.day(d("2026-02-23")).unwrap().kind,
        DayKind::Holiday("春节")
    );
    assert_eq!(cal.day(d("2026-11-28")).unwrap().kind, DayKind::Weekend);
    assert_eq!(cal.day(d("2026-11-27")).unwrap().kind, DayKind::Weekday);
}

#[test]
fn remaining_and_overdue_follow_domain_md() {
    let cal = shipped_calendar();
    let due = d("2026-12-04"); // a Friday
    assert_eq!(
        cal.remaining(d("2026-11-27"), due).unwrap(),
        Reckoned::Certain(5)
    );
    assert_eq!(
        cal.remaining(d("2026-12-03"), due).unwrap(),
        Reckoned::Certain(1)
    );
    assert_eq!(
        cal.remaining(due, due).unwrap(),
        Reckoned::Certain(0),
        "due today"
    );
    // The Saturday after a Friday deadline: overdue, by 0 working days.
    assert_eq!(
        cal.overdue_by(d("2026-12-05"), due).unwrap(),
        Reckoned::Certain(0)
    );
    assert_eq!(
        cal.overdue_by(d("2026-12-07"), due).unwrap(),
        Reckoned::Certain(1)
    );
    assert_eq!(
        cal.remaining(d("2026-12-07"), due).unwrap(),
        Reckoned::Certain(0)
    );
}

#[test]
fn arithmetic_into_an_uncovered_year_is_provisional_and_names_it() {
    let cal = shipped_calendar();
    assert_eq!(
        cal.add_working_days(d("2026-12-25"), 10).unwrap(),
        Reckoned::Provisional {
            value: d("2027-01-08"),
            uncovered: 2027
        }
    );
    assert_eq!(
        cal.working_days_between(d("2026-12-31"), d("2027-01-04"))
            .unwrap(),
        Reckoned::Provisional {
            value: 2,
            uncovered: 2027
        }
    );
    // Ending on the last covered day is certain; the start day itself is not looked at.
    assert_eq!(
        cal.add_working_days(d("2026-12-30"), 1).unwrap(),
        Reckoned::Certain(d("2026-12-31"))
    );
    assert_eq!(
        cal.add_working_days(d("2018-12-31"), 1).unwrap(),
        Reckoned::Certain(d("2019-01-02")),
        "2019-01-01 is 元旦; the 2018 start does not count"
    );
    // Before the first shipped year.
    assert!(
        cal.add_working_days(d("2018-06-01"), 3)
            .unwrap()
            .is_provisional()
    );
    let (_, year) = cal
        .working_days_between(d("2010-01-01"), d("2030-01-01"))
        .unwrap()
        .into_parts();
    assert_eq!(year, Some(2010), "the first uncovered year is named");
}

#[test]
fn dates_outside_the_counted_range_are_refused_not_guessed() {
    let cal = shipped_calendar();
    assert!(cal.add_working_days(d("1999-12-31"), 1).is_err());
    assert!(cal.add_working_days(d("2099-12-30"), 10).is_err());
    assert!(
        cal.working_days_between(d("2026-01-01"), d("2100-01-01"))
            .is_err()
    );
    assert!(cal.day(d("2100-01-01")).is_err());
}

#[test]
fn an_error_about_the_range_names_the_date_that_is_out_of_range() {
    let cal = shipped_calendar();
    let message = |e: OutOfRange| e.to_string();
    // A count whose answer falls past the range names the count, its start and the last day.
    let e = message(cal.add_working_days(d("2099-12-30"), 10).unwrap_err());
    assert_eq!(
        e,
        "10 working days after 2099-12-30 fall after 2099-12-31, outside the dates duewatch \
         counts on (2000-01-01 to 2099-12-31); check the year"
    );
    // A date outside the range is named itself, whichever end of a span it is.
    let e = message(
        cal.working_days_between(d("2026-01-01"), d("2100-01-01"))
            .unwrap_err(),
    );
    assert!(e.starts_with("2100-01-01 is outside the dates"), "{e}");
    let e = message(cal.add_working_days(d("1999-12-31"), 1).unwrap_err());
    assert!(e.starts_with("1999-12-31 is outside the dates"), "{e}");
}

#[test]
fn the_fast_path_equals_a_naive_count_for_every_date_2019_to_2026() {
    let years = shipped::years().unwrap();
    let cal = Calendar::new(years.clone(), LocalOverlay::default()).unwrap();
    let naive = Naive::new(&years, &LocalOverlay::default());
    for start in d("2019-01-01").iter_days().take_while(|x| x.year() <= 2026) {
        for n in 0..=60 {
            let due = naive.add(start, n);
            let (got, _) = cal.add_working_days(start, n).unwrap().into_parts();
            assert_eq!(got, due, "{start} + {n}");
            let (count, _) = cal.working_days_between(start, due).unwrap().into_parts();
            assert_eq!(count, n, "between {start} and {due}");
        }
        let later = start + Days::new(45);
        let (count, _) = cal.working_days_between(start, later).unwrap().into_parts();
        assert_eq!(
            count,
            naive.between(start, later),
            "between {start} and {later}"
        );
    }
}

#[test]
fn the_local_overlay_goes_on_top_of_the_national_calendar() {
    let overlay = file::parse_overlay(
        "[[closures]]\ndates = \"2026-09-23..2026-09-24\"\nreason = \"台风停工\"\n\
         [[reopenings]]\ndates = \"2026-10-11\"\nreason = \"集中办理\"\n",
        &Source::Shipped,
        "local.toml",
    )
    .unwrap();
    let years = shipped::years().unwrap();
    let cal = Calendar::new(years.clone(), overlay.clone()).unwrap();
    assert_eq!(
        cal.day(d("2026-09-23")).unwrap().kind,
        DayKind::LocalClosure("台风停工")
    );
    assert_eq!(
        cal.day(d("2026-10-11")).unwrap().kind,
        DayKind::LocalReopening("集中办理")
    );
    // Tuesday 09-22 + 1: Wednesday and Thursday are closed, Friday to Sunday are 中秋节, so
    // the first working day is Monday 09-28.
    assert_eq!(
        cal.add_working_days(d("2026-09-22"), 1).unwrap(),
        Reckoned::Certain(d("2026-09-28"))
    );
    assert_eq!(
        cal.add_working_days(d("2026-10-10"), 1).unwrap(),
        Reckoned::Certain(d("2026-10-11")),
        "the reopened Sunday counts"
    );
    let naive = Naive::new(&years, &overlay);
    for start in d("2026-09-01").iter_days().take(60) {
        for n in 0..=20 {
            let (got, _) = cal.add_working_days(start, n).unwrap().into_parts();
            assert_eq!(got, naive.add(start, n), "{start} + {n}");
        }
    }
}

#[test]
fn two_files_giving_a_date_two_meanings_are_refused_naming_both() {
    let mut years = shipped::years().unwrap();
    let mut other = years.iter().find(|y| y.year == 2026).unwrap().clone();
    other.year = 2027;
    other.source = Source::File("/etc/duewatch/calendars/2027.toml".into());
    other.days = vec![DeclaredDay {
        date: d("2026-10-01"),
        declared: Declared::Work,
        holiday: "国庆节".into(),
    }];
    years.push(other);
    let err = Calendar::new(years, LocalOverlay::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2026-10-01 is given two meanings"), "{msg}");
    assert!(msg.contains("/etc/duewatch/calendars/2027.toml"), "{msg}");
    assert!(msg.contains("shipped"), "{msg}");
}

#[test]
fn the_same_date_with_the_same_meaning_in_two_files_is_merged() {
    // 2023's notice names 2022-12-31; a 2022 file naming it the same way is fine.
    let mut years = shipped::years().unwrap();
    let y2022 = years.iter_mut().find(|y| y.year == 2022).unwrap();
    y2022.days.push(DeclaredDay {
        date: d("2022-12-31"),
        declared: Declared::Rest,
        holiday: "元旦".into(),
    });
    assert!(Calendar::new(years, LocalOverlay::default()).is_ok());
}

#[test]
fn shipped_years_are_2019_to_2026_and_not_2027() {
    let cal = shipped_calendar();
    let years: Vec<i32> = cal.years().keys().copied().collect();
    assert_eq!(years, (2019..=2026).collect::<Vec<_>>());
    assert!(!cal.covers(2027));
}

#[test]
fn the_shipped_files_are_exactly_what_the_importer_makes_of_holiday_cn() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/holiday-cn");
    let texts: Vec<(String, String)> = (2019..=2026)
        .map(|y| {
            let name = format!("{y}.json");
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            (name, text)
        })
        .collect();
    let inputs: Vec<holiday_cn::Input<'_>> = texts
        .iter()
        .map(|(name, text)| holiday_cn::Input {
            origin: name,
            file_name: name,
            text,
        })
        .collect();
    let imported = holiday_cn::import(&inputs).unwrap();
    for (year, text) in shipped::FILES {
        assert_eq!(
            imported.years.get(year).map(String::as_str),
            Some(*text),
            "{year}"
        );
    }
    assert_eq!(imported.years.len(), shipped::FILES.len());
}

proptest! {
    #[test]
    fn counting_back_what_was_added_gives_n(offset in 0u64..32_000, n in 0u32..400) {
        let cal = shipped_calendar();
        let start = FIRST_DAY + Days::new(offset);
        let (due, _) = cal.add_working_days(start, n).unwrap().into_parts();
        let (count, _) = cal.working_days_between(start, due).unwrap().into_parts();
        prop_assert_eq!(count, n);
        if n > 0 {
            let (working, _) = cal.is_working_day(due).unwrap().into_parts();
            prop_assert!(working, "a deadline is a working day");
            let (before, _) = cal.add_working_days(start, n - 1).unwrap().into_parts();
            prop_assert!(before < due);
        }
    }

    #[test]
    fn between_is_additive(a in 0u64..30_000, b in 0u64..500, c in 0u64..500) {
        let cal = shipped_calendar();
        let x = FIRST_DAY + Days::new(a);
        let y = x + Days::new(b);
        let z = y + Days::new(c);
        let (xy, _) = cal.working_days_between(x, y).unwrap().into_parts();
        let (yz, _) = cal.working_days_between(y, z).unwrap().into_parts();
        let (xz, _) = cal.working_days_between(x, z).unwrap().into_parts();
        prop_assert_eq!(xy + yz, xz);
    }
}
