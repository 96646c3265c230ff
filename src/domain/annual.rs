//! Table 3 of the annual report (Regulations arts. 49–50; the format of 国办公开办函〔2021〕30号):
//! **收到和处理政府信息公开申请情况**, the requests of a calendar year by applicant category
//! (the columns, [`Applicant`]) and by what became of them (the rows). Pure: entries in,
//! counts and problems out; which cases are read, and how, is the edge's
//! ([`crate::store`], [`crate::output::annual`]).
//!
//! # What each row counts, for year Y
//!
//! A case's **finish** is its reply, else its closure (`replied_on`, else `closed_on`).
//!
//! - 一、本年新收: received in Y (`Y-01-01 <= received_on <= Y-12-31`);
//! - 二、上年结转: received before Y and not finished at its start (no finish, or a finish on or
//!   after `Y-01-01`);
//! - 三、本年度办理结果: finished in Y, in the row of its outcome ([`Outcome`]); 总计 is their sum;
//! - 四、结转下年度继续办理: received by the end of Y and not finished at its end (no finish, or
//!   a finish after `Y-12-31`).
//!
//! Every case of a column is so on the left (一 or 二) exactly when it is on the right (三 or
//! 四), and the format's check **一 + 二 = 三 + 四** holds per column, unless a case lacks what
//! the table needs. [`AnnualTable::check`] computes the check from the counts, and
//! [`AnnualTable::problems`] names each case that breaks it or cannot be placed: no applicant
//! category (it has no column: left out of the table), no outcome though finished in Y (counted
//! on the left, missing on the right), a finish before its receipt. The office fixes these
//! before publishing (by 31 January).

use chrono::{Datelike, NaiveDate};

use crate::domain::case::Reference;
use crate::domain::outcome::{Applicant, Outcome, OutcomeGroup};

/// What the annual table needs of a case: its dates and its two categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The case.
    pub reference: Reference,
    /// The day the office received it (after a correction, the completed request's).
    pub received_on: NaiveDate,
    /// The reply, else the closure; `None` while open.
    pub finished_on: Option<NaiveDate>,
    /// How it ended, once recorded.
    pub outcome: Option<Outcome>,
    /// Who asked, once recorded.
    pub applicant: Option<Applicant>,
}

/// A row of the table, in the format's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// 一、本年新收政府信息公开申请数量.
    Received,
    /// 二、上年结转政府信息公开申请数量.
    CarriedIn,
    /// 三、本年度办理结果: a group's heading (no figures of its own when it has leaves).
    Group(OutcomeGroup),
    /// 三、…: a leaf.
    Outcome(Outcome),
    /// 三（七）总计.
    FinishedTotal,
    /// 四、结转下年度继续办理.
    CarriedOut,
}

impl Row {
    /// The rows as the format prints them: 一, 二, 三 with its groups and leaves and 总计, 四.
    pub fn all() -> Vec<Row> {
        let mut rows = vec![Row::Received, Row::CarriedIn];
        for group in OutcomeGroup::ALL {
            if group.is_leaf() {
                rows.extend(group.outcomes().map(Row::Outcome));
            } else {
                rows.push(Row::Group(group));
                rows.extend(group.outcomes().map(Row::Outcome));
            }
        }
        rows.push(Row::FinishedTotal);
        rows.push(Row::CarriedOut);
        rows
    }

    /// The row's label in the format.
    pub fn label(self) -> String {
        match self {
            Row::Received => "一、本年新收政府信息公开申请数量".to_owned(),
            Row::CarriedIn => "二、上年结转政府信息公开申请数量".to_owned(),
            Row::Group(g) => g.label().to_owned(),
            Row::Outcome(o) => o.label(),
            Row::FinishedTotal => "（七）总计".to_owned(),
            Row::CarriedOut => "四、结转下年度继续办理".to_owned(),
        }
    }

    /// Whether the row carries figures (a heading of a group with leaves does not).
    pub fn has_figures(self) -> bool {
        !matches!(self, Row::Group(_))
    }
}

/// The heading of section 三, printed before its first group.
pub const FINISHED_HEADING: &str = "三、本年度办理结果";

/// The table's title.
pub const TITLE: &str = "收到和处理政府信息公开申请情况";

/// The note the format prints under the title.
pub const CHECK_NOTE: &str = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

/// The column headers after the row label: the categories, then 总计.
pub fn column_headers() -> Vec<&'static str> {
    let mut h: Vec<&'static str> = Applicant::ALL.iter().map(|a| a.zh()).collect();
    h.push("总计");
    h
}

/// Why a case breaks the check or cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No applicant category: it has no column, and is left out of the table.
    NoApplicant,
    /// Finished in the year without an outcome: counted in 一 or 二, not in 三.
    NoOutcome {
        /// Its finish.
        finished_on: NaiveDate,
    },
    /// Finished before it was received: on one side of the check only.
    FinishedBeforeReceipt {
        /// Its finish.
        finished_on: NaiveDate,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NoApplicant => f.write_str(
                "no applicant category: left out of the table\n  help: record it with \
                 `duewatch case outcome REF --applicant CATEGORY` (or the console's form)",
            ),
            Problem::NoOutcome { finished_on } => write!(
                f,
                "finished on {finished_on} without an outcome: counted as received, not in 三\n  \
                 help: record it with `duewatch case outcome REF --outcome CATEGORY`"
            ),
            Problem::FinishedBeforeReceipt { finished_on } => write!(
                f,
                "finished on {finished_on}, before its receipt: it breaks 一 + 二 = 三 + 四\n  \
                 help: correct the dates (close it and record it anew)"
            ),
        }
    }
}

/// Figures per column: one per [`Applicant`], in order.
pub type Columns = [u64; 6];

/// The table of a year, filled case by case ([`AnnualTable::add`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualTable {
    year: i32,
    received: Columns,
    carried_in: Columns,
    outcomes: Vec<Columns>,
    carried_out: Columns,
    problems: Vec<(Reference, Problem)>,
}

/// Where a column's check fails: `一 + 二` and `三 + 四`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imbalance {
    /// The column (`None`: 总计).
    pub applicant: Option<Applicant>,
    /// 一 + 二.
    pub left: u64,
    /// 三 + 四.
    pub right: u64,
}

impl AnnualTable {
    /// An empty table of `year`.
    pub fn new(year: i32) -> AnnualTable {
        AnnualTable {
            year,
            received: [0; 6],
            carried_in: [0; 6],
            outcomes: vec![[0; 6]; Outcome::ALL.len()],
            carried_out: [0; 6],
            problems: Vec::new(),
        }
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The year's first and last day.
    pub fn bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
        Some((
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        ))
    }

    /// Whether `entry` belongs in the table of the year at all: on either side of the check.
    pub fn concerns(&self, entry: &Entry) -> bool {
        let (left, right) = self.sides(entry);
        left.is_some() || right.is_some()
    }

    /// The rows of `entry` on each side of the check: (一 or 二, 三 or 四).
    fn sides(&self, e: &Entry) -> (Option<Row>, Option<Row>) {
        let (year, received) = (self.year, e.received_on.year());
        let finished = e.finished_on.map(|d| d.year());
        let left = if received == year {
            Some(Row::Received)
        } else if received < year && finished.is_none_or(|f| f >= year) {
            Some(Row::CarriedIn)
        } else {
            None
        };
        let right = match finished {
            Some(f) if f == year => Some(Row::FinishedTotal),
            _ if received <= year && finished.is_none_or(|f| f > year) => Some(Row::CarriedOut),
            _ => None,
        };
        (left, right)
    }

    /// Counts `entry` (one that does not concern the year changes nothing), and notes why it
    /// breaks the check when it does.
    pub fn add(&mut self, entry: &Entry) {
        let (left, right) = self.sides(entry);
        if left.is_none() && right.is_none() {
            return;
        }
        let Some(applicant) = entry.applicant else {
            self.problems
                .push((entry.reference.clone(), Problem::NoApplicant));
            return;
        };
        let col = Applicant::ALL
            .iter()
            .position(|a| *a == applicant)
            .unwrap_or(0);
        match left {
            Some(Row::Received) => self.received[col] += 1,
            Some(_) => self.carried_in[col] += 1,
            None => {}
        }
        match (right, entry.outcome) {
            (Some(Row::FinishedTotal), Some(outcome)) => {
                let row = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
                self.outcomes[row][col] += 1;
            }
            (Some(Row::FinishedTotal), None) => self.problems.push((
                entry.reference.clone(),
                Problem::NoOutcome {
                    finished_on: entry.finished_on.unwrap_or(entry.received_on),
                },
            )),
            (Some(_), _) => self.carried_out[col] += 1,
            (None, _) => {}
        }
        if let Some(finished_on) = entry.finished_on
            && finished_on < entry.received_on
        {
            self.problems.push((
                entry.reference.clone(),
                Problem::FinishedBeforeReceipt { finished_on },
            ));
        }
    }

    /// A row's figures per column, and the row's 总计 (`None` for a group's heading).
    pub fn figures(&self, row: Row) -> Option<(Columns, u64)> {
        let cols = match row {
            Row::Received => self.received,
            Row::CarriedIn => self.carried_in,
            Row::Group(_) => return None,
            Row::Outcome(o) => {
                self.outcomes[Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)]
            }
            Row::FinishedTotal => {
                let mut sum = [0; 6];
                for r in &self.outcomes {
                    for (s, n) in sum.iter_mut().zip(r) {
                        *s += n;
                    }
                }
                sum
            }
            Row::CarriedOut => self.carried_out,
        };
        Some((cols, cols.iter().sum()))
    }

    /// The format's check, 一 + 二 = 三 + 四, per column and for 总计: the columns where it
    /// fails (none when it holds).
    pub fn check(&self) -> Vec<Imbalance> {
        let get = |row| self.figures(row).unwrap_or(([0; 6], 0));
        let (r, ci, f, co) = (
            get(Row::Received),
            get(Row::CarriedIn),
            get(Row::FinishedTotal),
            get(Row::CarriedOut),
        );
        let mut out = Vec::new();
        for (i, a) in Applicant::ALL.into_iter().enumerate() {
            let (left, right) = (r.0[i] + ci.0[i], f.0[i] + co.0[i]);
            if left != right {
                out.push(Imbalance {
                    applicant: Some(a),
                    left,
                    right,
                });
            }
        }
        let (left, right) = (r.1 + ci.1, f.1 + co.1);
        if left != right {
            out.push(Imbalance {
                applicant: None,
                left,
                right,
            });
        }
        out
    }

    /// The cases that break the check or cannot be placed, each with why, in the order added.
    pub fn problems(&self) -> &[(Reference, Problem)] {
        &self.problems
    }

    /// Whether the table is complete: every case placed, and the check holds.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty() && self.check().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("a test date")
    }

    fn entry(
        r: &str,
        received: &str,
        finished: Option<&str>,
        outcome: Option<Outcome>,
        applicant: Option<Applicant>,
    ) -> Entry {
        Entry {
            reference: Reference::parse(r).expect("a reference"),
            received_on: d(received),
            finished_on: finished.map(d),
            outcome,
            applicant,
        }
    }

    #[test]
    fn each_case_lands_on_one_row_of_each_side_of_the_check() {
        use Applicant::*;
        let mut t = AnnualTable::new(2025);
        // received 2025, finished 2025: 一 and 三
        t.add(&entry(
            "a",
            "2025-03-03",
            Some("2025-03-20"),
            Some(Outcome::Disclosed),
            Some(NaturalPerson),
        ));
        // received 2024, finished 2025: 二 and 三
        t.add(&entry(
            "b",
            "2024-12-20",
            Some("2025-01-10"),
            Some(Outcome::Repeated),
            Some(Business),
        ));
        // received 2025, open at the end: 一 and 四
        t.add(&entry("c", "2025-12-25", None, None, Some(NaturalPerson)));
        // received 2025, finished 2026: 一 and 四
        t.add(&entry(
            "d",
            "2025-12-22",
            Some("2026-01-05"),
            Some(Outcome::NotHeld),
            Some(Research),
        ));
        // received 2024, finished 2024: not this year's
        t.add(&entry("e", "2024-03-03", Some("2024-03-20"), None, None));
        // received 2026: not this year's
        t.add(&entry("f", "2026-01-02", None, None, None));
        // received 2023, still open: 二 and 四
        t.add(&entry("g", "2023-06-01", None, None, Some(LegalService)));
        assert_eq!(t.figures(Row::Received), Some(([2, 0, 1, 0, 0, 0], 3)));
        assert_eq!(t.figures(Row::CarriedIn), Some(([0, 1, 0, 0, 1, 0], 2)));
        assert_eq!(t.figures(Row::FinishedTotal), Some(([1, 1, 0, 0, 0, 0], 2)));
        assert_eq!(t.figures(Row::CarriedOut), Some(([1, 0, 1, 0, 1, 0], 3)));
        assert!(t.is_complete(), "{:?} {:?}", t.problems(), t.check());
    }

    #[test]
    fn a_case_without_an_outcome_or_category_is_named_and_breaks_the_check() {
        let mut t = AnnualTable::new(2025);
        t.add(&entry(
            "no-outcome",
            "2025-03-03",
            Some("2025-03-20"),
            None,
            Some(Applicant::Business),
        ));
        t.add(&entry("no-applicant", "2025-03-03", None, None, None));
        assert_eq!(
            t.problems(),
            &[
                (
                    Reference::parse("no-outcome").expect("ref"),
                    Problem::NoOutcome {
                        finished_on: d("2025-03-20")
                    }
                ),
                (
                    Reference::parse("no-applicant").expect("ref"),
                    Problem::NoApplicant
                ),
            ]
        );
        assert_eq!(
            t.check(),
            vec![
                Imbalance {
                    applicant: Some(Applicant::Business),
                    left: 1,
                    right: 0
                },
                Imbalance {
                    applicant: None,
                    left: 1,
                    right: 0
                },
            ]
        );
        assert!(!t.is_complete());
    }

    #[test]
    fn the_rows_are_in_the_formats_order() {
        let labels: Vec<String> = Row::all().into_iter().map(Row::label).collect();
        assert_eq!(labels.len(), 2 + 2 + 4 + 19 + 1 + 1);
        assert_eq!(labels[0], "一、本年新收政府信息公开申请数量");
        assert_eq!(labels[2], "（一）予以公开");
        assert_eq!(labels[4], "（三）不予公开");
        assert_eq!(labels[5], "1.属于国家秘密");
        assert_eq!(labels[labels.len() - 2], "（七）总计");
        assert_eq!(labels[labels.len() - 1], "四、结转下年度继续办理");
    }
}
