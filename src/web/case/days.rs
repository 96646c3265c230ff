//! A stage's count day by day, for `/cases/{reference}?days=1`: each date from the stage's start
//! to its deadline (or to today while an open suspension stops the clock), and whether it
//! counted: working day n, or skipped (weekend, a named public holiday, a local closure, a day
//! of a suspension). Pure: the calendar and the dates in, the lines out.
//!
//! The count is the engine's (src/domain/deadline/clock.rs): the start never counts (期间开始之日
//! 不计算在内), a make-up working day (调休上班日) counts, and the working days a suspension
//! covers (`from <= d < until`) do not (art. 21).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::calendar::{Calendar, DayKind, OutOfRange};
use crate::domain::deadline::zh_weekday;

/// The most days one stage lists (a suspension of years must not make a page of thousands).
pub const MAX_DAYS: usize = 400;

/// One date of the count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayLine {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// 周一 … 周日.
    pub weekday: &'static str,
    /// The working day's number, when it counted.
    pub counted: Option<u32>,
    /// `start`, `work`, `makeup` (a make-up working day or a local reopening), `rest` or
    /// `suspended`: what the page marks it as.
    pub kind: &'static str,
    /// What the page says of it.
    pub text: String,
}

/// The count of a stage that starts after `start` and runs to `end`, skipping the working days
/// the `stopping` suspensions (`(from, until)`, `until` `None` while open) cover. Returns the
/// lines, at most [`MAX_DAYS`] after the start, and whether more were left off.
///
/// # Errors
/// A date outside the calendar's range.
pub fn count(
    cal: &Calendar,
    start: NaiveDate,
    end: NaiveDate,
    stopping: &[(NaiveDate, Option<NaiveDate>)],
) -> Result<(Vec<DayLine>, bool), OutOfRange> {
    let mut lines = vec![DayLine {
        date: start.to_string(),
        weekday: zh_weekday(start.weekday()),
        counted: None,
        kind: "start",
        text: "起算日，不计入（期间开始之日不计算在内）".to_owned(),
    }];
    let mut n = 0u32;
    let mut more = false;
    for date in start.iter_days().skip(1).take_while(|d| *d <= end) {
        if lines.len() > MAX_DAYS {
            more = true;
            break;
        }
        let day = cal.day(date)?;
        // art. 21: the working days a suspension covers do not count.
        let suspended = day.is_working()
            && stopping
                .iter()
                .any(|(from, until)| *from <= date && until.is_none_or(|u| date < u));
        let (kind, mut text) = if suspended {
            ("suspended", "不计：中止期间（第二十一条）".to_owned())
        } else {
            match day.kind {
                DayKind::Weekday => {
                    n += 1;
                    ("work", format!("第 {n} 个工作日"))
                }
                DayKind::MakeUpWorkday(name) => {
                    n += 1;
                    ("makeup", format!("第 {n} 个工作日（{name}调休上班日）"))
                }
                DayKind::LocalReopening(reason) => {
                    n += 1;
                    (
                        "makeup",
                        format!("第 {n} 个工作日（本单位安排上班：{reason}）"),
                    )
                }
                DayKind::Weekend => ("rest", "不计：周末".to_owned()),
                DayKind::Holiday(name) => ("rest", format!("不计：{name}")),
                DayKind::LocalClosure(reason) => {
                    ("rest", format!("不计：本单位停止办公（{reason}）"))
                }
            }
        };
        if !day.covered {
            text.push_str(&format!(
                "（{} 年节假日安排未载入，按周末推算）",
                date.year()
            ));
        }
        let counted = matches!(kind, "work" | "makeup").then_some(n);
        lines.push(DayLine {
            date: date.to_string(),
            weekday: zh_weekday(date.weekday()),
            counted,
            kind,
            text,
        });
    }
    Ok((lines, more))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{LocalOverlay, shipped};

    fn cal() -> Calendar {
        Calendar::new(shipped::years().unwrap(), LocalOverlay::default()).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn national_day_is_skipped_by_name_and_the_make_up_saturday_counts() {
        // art. 19: forwarded within 5 working days of 2026-09-28 → 2026-10-10 (a make-up Sat).
        let (lines, more) = count(&cal(), d("2026-09-28"), d("2026-10-10"), &[]).unwrap();
        assert!(!more);
        assert_eq!(lines.len(), 13, "the start and 12 days");
        assert_eq!(lines[0].kind, "start");
        assert_eq!(lines[0].counted, None);
        assert_eq!(lines[2].text, "第 2 个工作日");
        let holiday = lines.iter().find(|l| l.date == "2026-10-01").unwrap();
        assert_eq!(
            (holiday.kind, holiday.text.as_str()),
            ("rest", "不计：国庆节")
        );
        assert_eq!(holiday.weekday, "周四");
        let last = lines.last().unwrap();
        assert_eq!(last.date, "2026-10-10");
        assert_eq!((last.kind, last.counted), ("makeup", Some(5)));
        assert_eq!(last.text, "第 5 个工作日（国庆节调休上班日）");
    }

    #[test]
    fn the_working_days_a_suspension_covers_do_not_count() {
        // Mon 11-30 counts; Tue 12-01 and Wed 12-02 are suspended (until 12-03, which counts).
        let stopping = [(d("2026-12-01"), Some(d("2026-12-03")))];
        let (lines, _) = count(&cal(), d("2026-11-27"), d("2026-12-04"), &stopping).unwrap();
        let kinds: Vec<(&str, Option<u32>)> = lines.iter().map(|l| (l.kind, l.counted)).collect();
        assert_eq!(
            kinds,
            [
                ("start", None),
                ("rest", None),
                ("rest", None),
                ("work", Some(1)),
                ("suspended", None),
                ("suspended", None),
                ("work", Some(2)),
                ("work", Some(3)),
            ]
        );
    }

    #[test]
    fn an_uncovered_year_is_said_to_be_counted_by_weekends_only() {
        let (lines, _) = count(&cal(), d("2026-12-31"), d("2027-01-01"), &[]).unwrap();
        assert_eq!(
            lines[1].text,
            "第 1 个工作日（2027 年节假日安排未载入，按周末推算）"
        );
    }

    #[test]
    fn a_long_count_stops_at_the_most_days_one_stage_lists() {
        let open = [(d("2026-01-05"), None)];
        let (lines, more) = count(&cal(), d("2026-01-01"), d("2027-12-31"), &open).unwrap();
        assert!(more);
        assert_eq!(lines.len(), MAX_DAYS + 1);
    }
}
