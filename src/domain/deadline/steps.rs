//! The lines of a stage's explanation ([`StageStatus::explanation`](super::StageStatus)): one
//! [`Step`] a line, holding its dates, counts and the case's own words (an approver's name, a
//! holiday's name). `Display` is the English the command line prints and the JSON carries
//! (`case show`, `status --json`, the feeds); [`Step::zh`] the Chinese the console shows.
//! Serialised as the English text, so the JSON is a list of strings.
//!
//! `tests.rs` pins both languages of every kind of line.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Serialize, Serializer};

use crate::calendar::DayKind;
use crate::domain::case::{SectionCode, SuspensionReason};

/// One line of how a stage's deadline was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Received on a working day: the receipt day is not counted (期间开始之日不计算在内).
    Received {
        /// The receipt.
        on: NaiveDate,
    },
    /// Received on a rest day, counted strictly: the next working day is day 1.
    ReceivedOnRestDay {
        /// The receipt.
        on: NaiveDate,
        /// Why that day is a rest day.
        kind: DayOf,
    },
    /// Received on a rest day and counted as received on the next working day
    /// (`rules.rest_day_receipt = "next_working_day"`).
    ReceivedOnRestDayMoved {
        /// The receipt.
        on: NaiveDate,
        /// Why that day is a rest day.
        kind: DayOf,
        /// The day it counts as received on.
        next: NaiveDate,
    },
    /// A section gave the case back (退回) and the office must forward it again (改派):
    /// the forward stage is open again, its clock running from receipt (the strict reading) or
    /// restarted from the return (`rules.return_restarts_forward`).
    Returned {
        /// The day it was given back.
        on: NaiveDate,
        /// The section that gave it back.
        section: SectionCode,
        /// Whether the forward stage counts from this day.
        restarts: bool,
    },
    /// The office's period (art. 19).
    ForwardWithin {
        /// Working days.
        days: u32,
    },
    /// Forwarded to a section: the reply stage starts.
    Forwarded {
        /// The day forwarded.
        on: NaiveDate,
        /// To whom.
        section: SectionCode,
    },
    /// The section's period (art. 19), with the extensions granted (art. 20).
    ReplyWithin {
        /// Working days, before extensions.
        days: u32,
        /// Working days all extensions add.
        extended: u32,
        /// Each extension.
        extensions: Vec<Granted>,
    },
    /// An extension approved after the deadline it extends had passed (art. 20).
    LateExtension {
        /// Its approval.
        approved_on: NaiveDate,
        /// The deadline it extends.
        due_before: NaiveDate,
    },
    /// An open suspension stops the clock (art. 21).
    SuspendedSince {
        /// Its first day.
        from: NaiveDate,
        /// Why.
        reason: SuspensionReason,
    },
    /// Done while an open suspension stopped the clock.
    DoneWhileSuspended {
        /// The day done.
        on: NaiveDate,
    },
    /// Ended suspensions moved the deadline (art. 21).
    SuspendedSkipped {
        /// Each suspension that moved it.
        spans: Vec<Span>,
    },
    /// The deadline: the N-th counted working day after the start.
    Due {
        /// The deadline.
        due: NaiveDate,
        /// N.
        limit: u32,
        /// The start (not counted).
        start: NaiveDate,
    },
    /// A suspension that began after the deadline had passed (art. 21): it stops nothing.
    LateSuspension {
        /// Its first day.
        from: NaiveDate,
        /// The deadline that had passed.
        due: NaiveDate,
    },
    /// Done on or before the deadline.
    DoneOnTime {
        /// The day done.
        on: NaiveDate,
    },
    /// Done after the deadline.
    DoneLate {
        /// The day done.
        on: NaiveDate,
        /// Working days late.
        by: u32,
    },
}

/// An extension as the reply period's line names it (art. 20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// Working days added.
    pub days: u32,
    /// Its approval.
    pub approved_on: NaiveDate,
    /// Who approved it, as recorded.
    pub approved_by: String,
}

/// An ended suspension's working days skipped (art. 21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Its first day.
    pub from: NaiveDate,
    /// Its last day (the day before it ended).
    pub last: NaiveDate,
    /// Why.
    pub reason: SuspensionReason,
}

/// A day's kind as the calendar describes it ([`DayKind`]), owned: the names are the calendar
/// files' own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOf {
    /// See [`DayKind::Weekday`].
    Weekday,
    /// See [`DayKind::Weekend`].
    Weekend,
    /// See [`DayKind::Holiday`].
    Holiday(String),
    /// See [`DayKind::MakeUpWorkday`].
    MakeUpWorkday(String),
    /// See [`DayKind::LocalClosure`].
    LocalClosure(String),
    /// See [`DayKind::LocalReopening`].
    LocalReopening(String),
}

impl From<DayKind<'_>> for DayOf {
    fn from(kind: DayKind<'_>) -> Self {
        match kind {
            DayKind::Weekday => DayOf::Weekday,
            DayKind::Weekend => DayOf::Weekend,
            DayKind::Holiday(n) => DayOf::Holiday(n.to_owned()),
            DayKind::MakeUpWorkday(n) => DayOf::MakeUpWorkday(n.to_owned()),
            DayKind::LocalClosure(r) => DayOf::LocalClosure(r.to_owned()),
            DayKind::LocalReopening(r) => DayOf::LocalReopening(r.to_owned()),
        }
    }
}

impl DayOf {
    /// Borrowed back as the calendar's kind (whose `Display` is the English).
    fn as_kind(&self) -> DayKind<'_> {
        match self {
            DayOf::Weekday => DayKind::Weekday,
            DayOf::Weekend => DayKind::Weekend,
            DayOf::Holiday(n) => DayKind::Holiday(n),
            DayOf::MakeUpWorkday(n) => DayKind::MakeUpWorkday(n),
            DayOf::LocalClosure(r) => DayKind::LocalClosure(r),
            DayOf::LocalReopening(r) => DayKind::LocalReopening(r),
        }
    }

    /// In Chinese, as the console's day-by-day count words it.
    fn zh(&self) -> String {
        match self {
            DayOf::Weekday => "工作日".to_owned(),
            DayOf::Weekend => "周末".to_owned(),
            DayOf::Holiday(name) => name.clone(),
            DayOf::MakeUpWorkday(name) => format!("{name}调休上班日"),
            DayOf::LocalClosure(reason) => format!("本单位停止办公（{reason}）"),
            DayOf::LocalReopening(reason) => format!("本单位安排上班（{reason}）"),
        }
    }
}

impl fmt::Display for DayOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_kind().fmt(f)
    }
}

/// `Mon` … `Sun`, as the English lines have always named the weekday.
fn en_day(d: NaiveDate) -> impl fmt::Display {
    d.format("%a")
}

/// 周一 … 周日, of `d`.
fn zh_day(d: NaiveDate) -> &'static str {
    zh_weekday(d.weekday())
}

/// 周一 … 周日.
pub fn zh_weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// A suspension's reason in Chinese (art. 21).
pub fn zh_reason(r: SuspensionReason) -> &'static str {
    match r {
        SuspensionReason::ForceMajeure => "不可抗力",
        SuspensionReason::ThirdParty => "征求第三方意见",
        SuspensionReason::Correction => "补正",
        SuspensionReason::Other => "其他",
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Received { on } => write!(
                f,
                "received {on} ({}); day 1 is the next working day",
                en_day(*on)
            ),
            Step::ReceivedOnRestDay { on, kind } => write!(
                f,
                "received {on} ({}, a rest day: {kind}); counting is strict, so day 1 is the \
                 next working day",
                en_day(*on)
            ),
            Step::ReceivedOnRestDayMoved { on, kind, next } => write!(
                f,
                "received {on} ({}, a rest day: {kind}); counted as received on the next \
                 working day {next}, so day 1 is the one after (rules.rest_day_receipt)",
                en_day(*on)
            ),
            Step::Returned {
                on,
                section,
                restarts,
            } => write!(
                f,
                "returned {on} ({}) by {section} as not its own; {}",
                en_day(*on),
                if *restarts {
                    "the forward stage counts again from the return (rules.return_restarts_forward)"
                } else {
                    "the forward stage runs on from receipt (rules.return_restarts_forward = false)"
                }
            ),
            // art. 19
            Step::ForwardWithin { days } => {
                write!(f, "forward within {days} working days (art. 19)")
            }
            Step::Forwarded { on, section } => write!(
                f,
                "forwarded {on} ({}) to {section}; day 1 is the next working day",
                en_day(*on)
            ),
            // arts. 19, 20
            Step::ReplyWithin {
                days,
                extended,
                extensions,
            } => {
                write!(f, "reply within {days} working days (art. 19)")?;
                if *extended > 0 {
                    let each: Vec<String> = extensions
                        .iter()
                        .map(|e| {
                            format!("{} approved {} by {}", e.days, e.approved_on, e.approved_by)
                        })
                        .collect();
                    write!(f, " + {extended} extended (art. 20: {})", each.join("; "))?;
                }
                Ok(())
            }
            // art. 20
            Step::LateExtension {
                approved_on,
                due_before,
            } => write!(
                f,
                "the extension approved {approved_on} came after the deadline it extends \
                 ({due_before}) had passed"
            ),
            // art. 21
            Step::SuspendedSince { from, reason } => write!(
                f,
                "suspended since {from} ({reason}, art. 21): no deadline until the clock runs \
                 again"
            ),
            Step::DoneWhileSuspended { on } => write!(f, "done {on}, while suspended: on time"),
            // art. 21
            Step::SuspendedSkipped { spans } => {
                let each: Vec<String> = spans
                    .iter()
                    .map(|s| format!("{}..{} ({})", s.from, s.last, s.reason))
                    .collect();
                write!(
                    f,
                    "suspended working days skipped (art. 21): {}",
                    each.join(", ")
                )
            }
            Step::Due { due, limit, start } => write!(
                f,
                "due {due} ({}): counted working day {limit} after {start}",
                en_day(*due)
            ),
            // art. 21
            Step::LateSuspension { from, due } => write!(
                f,
                "the suspension from {from} came after the deadline ({due}) had passed: the \
                 clock cannot be stopped after it ran out (art. 21)"
            ),
            Step::DoneOnTime { on } => write!(f, "done {on}: on time"),
            Step::DoneLate { on, by } => write!(f, "done {on}: late by {by} working day(s)"),
        }
    }
}

impl Step {
    /// The line in Chinese, for the console.
    pub fn zh(&self) -> String {
        match self {
            Step::Received { on } => {
                format!("{on}（{}）收到；次一工作日为第 1 日", zh_day(*on))
            }
            Step::ReceivedOnRestDay { on, kind } => format!(
                "{on}（{}，休息日：{}）收到；严格计算，次一工作日为第 1 日",
                zh_day(*on),
                kind.zh()
            ),
            Step::ReceivedOnRestDayMoved { on, kind, next } => format!(
                "{on}（{}，休息日：{}）收到；视为次一工作日 {next} 收到，其后一日为第 1 日\
                 （rules.rest_day_receipt）",
                zh_day(*on),
                kind.zh()
            ),
            Step::Returned {
                on,
                section,
                restarts,
            } => format!(
                "{on}（{}）{section} 以非本股室职责退回；{}",
                zh_day(*on),
                if *restarts {
                    "转办期限自退回之日重新计算（rules.return_restarts_forward）"
                } else {
                    "转办期限仍自收到之日连续计算（rules.return_restarts_forward = false）"
                }
            ),
            // art. 19
            Step::ForwardWithin { days } => format!("{days} 个工作日内转办（第十九条）"),
            Step::Forwarded { on, section } => format!(
                "{on}（{}）转办至 {section}；次一工作日为第 1 日",
                zh_day(*on)
            ),
            // arts. 19, 20
            Step::ReplyWithin {
                days,
                extended,
                extensions,
            } => {
                let mut line = format!("{days} 个工作日内答复（第十九条）");
                if *extended > 0 {
                    let each: Vec<String> = extensions
                        .iter()
                        .map(|e| {
                            format!(
                                "{} 由{}批准延长 {} 个工作日",
                                e.approved_on, e.approved_by, e.days
                            )
                        })
                        .collect();
                    line.push_str(&format!(
                        "，延长 {extended} 个工作日（第二十条：{}）",
                        each.join("；")
                    ));
                }
                line
            }
            // art. 20
            Step::LateExtension {
                approved_on,
                due_before,
            } => format!(
                "{approved_on} 批准的延期晚于其所延长的期限（{due_before}）：批准时期限已过"
            ),
            // art. 21
            Step::SuspendedSince { from, reason } => format!(
                "自 {from} 起中止（{}，第二十一条）：恢复计算前没有期限",
                zh_reason(*reason)
            ),
            Step::DoneWhileSuspended { on } => format!("{on} 办结，时值中止期间：按期"),
            // art. 21
            Step::SuspendedSkipped { spans } => {
                let each: Vec<String> = spans
                    .iter()
                    .map(|s| format!("{} 至 {}（{}）", s.from, s.last, zh_reason(s.reason)))
                    .collect();
                format!("中止期间的工作日不计（第二十一条）：{}", each.join("、"))
            }
            Step::Due { due, limit, start } => format!(
                "期限 {due}（{}）：{start} 之后第 {limit} 个工作日",
                zh_day(*due)
            ),
            // art. 21
            Step::LateSuspension { from, due } => format!(
                "{from} 起的中止晚于期限（{due}）届满：期限已过，不能再中止计算（第二十一条）"
            ),
            Step::DoneOnTime { on } => format!("{on} 办结：按期"),
            Step::DoneLate { on, by } => format!("{on} 办结：逾期 {by} 个工作日"),
        }
    }

    /// Whether the English line contains `pattern` (for searching the explanation).
    pub fn contains(&self, pattern: &str) -> bool {
        self.to_string().contains(pattern)
    }
}

/// Compared as its English line.
impl PartialEq<str> for Step {
    fn eq(&self, other: &str) -> bool {
        self.to_string().as_str() == other
    }
}

/// Serialised as its English line: the JSON's `explanation` stays a list of strings.
impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests;
