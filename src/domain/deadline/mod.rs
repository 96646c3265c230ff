//! The deadline engine: from a case, the rules and the calendar, at a date, where each stage
//! stands. Pure functions: no clock, no database, no logging (domain.md, "The two stages").
//!
//! - `forward` starts at receipt; the office must forward within `rules.forward_within` working
//!   days (art. 19: 5).
//! - `reply` starts at forwarding; the section must answer within `rules.reply_within` working
//!   days (art. 19: 10) plus the extension days granted (art. 20: at most `rules.max_extension`,
//!   15).
//! - A stage's deadline is the N-th **counted** working day after its start: a working day that
//!   no suspension covers (art. 21). While a suspension has no end the stage it stops has no
//!   deadline. A suspension changes only what it covers (domain.md): a stage done before its
//!   first day keeps its deadline and verdict, and a stage whose deadline had passed before
//!   its first day stays overdue (the clock cannot be stopped after it ran out); such a
//!   suspension is flagged late (`StageStatus::late_suspensions`), like a late extension.
//! - The escalation level at `today`: `reminder` when 1..=`reminder_at` working days remain
//!   (the largest of its points, `points.rs`; the point reached is `reminder_point`),
//!   `due_today` on the due date, `overdue` after it.
//! - A suspension still open after `rules.suspension_alert_after` working days is flagged
//!   (`StageStatus::long_suspension`): a long suspension is not a free pass (issue 17).
//! - Written notices (arts. 20, 21) not recorded within `rules.notice_within` working days are
//!   reported as obligations.
//!
//! - A case given back by its section (退回) opens the forward stage again: its clock keeps
//!   running from receipt, or restarts from the return (`rules.return_restarts_forward`); the
//!   next forwarding starts the reply stage afresh, with only the extensions granted since.
//!
//! `clock.rs` holds the counting of a stage's clock past suspensions (art. 21); `statutory.rs`
//! the Regulations' own clock beside the two stages ([`CaseStatus::statutory`], Regulations
//! arts. 30–33); `steps.rs` the lines of an explanation ([`Step`]: English for the command line,
//! Chinese for the console); this file the types of a standing and [`evaluate`]; `tests.rs` the
//! table tests.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, OutOfRange};
use crate::domain::case::{Case, SectionCode};
use clock::{Counted, counted_due, stops};
pub use notices::NoticeObligation;
use notices::notice_obligations;
pub use points::{ReminderPoint, ReminderPoints};
pub use statutory::{Fault, Law, LawReminder, LawReminderKind, Statutory};
pub use steps::{DayOf, Granted, Span, Step, zh_reason, zh_weekday};

mod clock;
mod notices;
mod points;
pub mod statutory;
mod steps;

/// How a request received on a rest day is counted (domain.md, "Receipt on a rest day").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestDayReceipt {
    /// The receipt day never counts; the next working day is day 1.
    Strict,
    /// The request counts as received on the next working day (so day 1 is the one after).
    NextWorkingDay,
}

/// The rulebook's numbers, configurable (`[rules]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Working days the office has to forward a request (art. 19: 5).
    pub forward_within: u32,
    /// Working days the section has to answer (art. 19: 10).
    pub reply_within: u32,
    /// The most working days all extensions of a case may add (art. 20: 15).
    pub max_extension: u32,
    /// Working days to record a written notice to the applicant (arts. 20, 21).
    pub notice_within: u32,
    /// A `reminder` is due when at most this many working days remain, at each point of the
    /// list (domain.md: 2). The user's key is `escalation.reminder_at`; the configuration reads
    /// it into this field.
    #[serde(skip)]
    pub reminder_at: ReminderPoints,
    /// Working days an open suspension (art. 21) may stand before the office is told of it
    /// (issue 17: a long suspension is not a free pass; default 15).
    pub suspension_alert_after: u32,
    /// Counting a receipt on a rest day.
    pub rest_day_receipt: RestDayReceipt,
    /// Whether a case given back (退回) restarts the office's forward stage from the return
    /// (`true`), or its clock keeps running from receipt (`false`, the strict reading: the
    /// office answers for the time until the right section has the case).
    pub return_restarts_forward: bool,
    /// The Regulations' numbers (`[law]`, [`statutory`]). The user's table is `[law]`; the
    /// configuration reads it into this field, as it does `reminder_at`.
    #[serde(skip)]
    pub law: Law,
}

/// The rulebook's numbers for unit tests only: the defaults' one home is
/// `config/defaults.rs`, and a test there checks this fixture against it.
#[cfg(test)]
impl Default for Rules {
    fn default() -> Self {
        Rules {
            forward_within: 5,
            reply_within: 10,
            max_extension: 15,
            notice_within: 2,
            reminder_at: ReminderPoints::one(2),
            suspension_alert_after: 15,
            rest_day_receipt: RestDayReceipt::Strict,
            return_restarts_forward: false,
            law: Law::default(),
        }
    }
}

/// The two stages of a request (art. 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The office forwards the request to a section.
    Forward,
    /// The section answers.
    Reply,
}

impl Stage {
    /// The printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Forward => "forward",
            Stage::Reply => "reply",
        }
    }
}

/// Who must act on a stage. Ordered office first, then sections by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Responsible {
    /// The leading group's office (the forward stage).
    Office,
    /// The section the case was forwarded to (the reply stage).
    Section(SectionCode),
}

impl Responsible {
    /// `office` or the section code.
    pub fn as_str(&self) -> &str {
        match self {
            Responsible::Office => "office",
            Responsible::Section(code) => code.as_str(),
        }
    }
}

/// The escalation level a running stage has reached (domain.md, "Escalation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A few working days remain.
    Reminder,
    /// Today is the deadline.
    DueToday,
    /// The deadline has passed.
    Overdue,
}

impl Level {
    /// The printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Reminder => "reminder",
            Level::DueToday => "due_today",
            Level::Overdue => "overdue",
        }
    }
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum State {
    /// The clock runs.
    Running,
    /// An open suspension stops the clock: no deadline for now.
    Suspended {
        /// Its first day.
        since: NaiveDate,
        /// Working days it has lasted up to today.
        working_days: u32,
    },
    /// Done on or before the deadline.
    DoneOnTime,
    /// Done after the deadline, by this many working days.
    DoneLate {
        /// Working days late.
        by: u32,
    },
}

/// One stage's standing at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageStatus {
    /// Which stage.
    pub stage: Stage,
    /// Who must act.
    pub responsible: Responsible,
    /// The day counting starts after (never itself counted).
    pub start: NaiveDate,
    /// Working days allowed: base limit plus extensions.
    pub limit: u32,
    /// The deadline; `None` while suspended.
    pub due: Option<NaiveDate>,
    /// Where it stands.
    pub state: State,
    /// Working days left (0 on the due date and after).
    pub remaining: Option<u32>,
    /// Working days past the deadline, when overdue.
    pub overdue_by: Option<u32>,
    /// The escalation level reached, for a running stage.
    pub level: Option<Level>,
    /// With level `reminder`: the point of `escalation.reminder_at` reached (the smallest at
    /// or above `remaining`).
    pub reminder_point: Option<ReminderPoint>,
    /// While suspended: whether the open suspension has stood more than
    /// `rules.suspension_alert_after` working days (the office is told, issue 17).
    pub long_suspension: bool,
    /// Whether a year without a loaded calendar was involved (weekends only were assumed).
    pub provisional: bool,
    /// The first uncovered year involved, when provisional.
    pub uncovered_year: Option<i32>,
    /// Extensions approved after the deadline they extend had passed (art. 20), by index.
    pub late_extensions: Vec<usize>,
    /// Suspensions that began after this stage's deadline had passed, by index into the case's
    /// suspensions: recorded, but they stop no clock (domain.md: "flagged as late").
    pub late_suspensions: Vec<usize>,
    /// How the deadline was reached, one step a line (serialised as the English lines).
    pub explanation: Vec<Step>,
}

/// A case's standing at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseStatus {
    /// The stages that apply (none when answered on the spot), forward first.
    pub stages: Vec<StageStatus>,
    /// Written notices owed and not recorded.
    pub notices: Vec<NoticeObligation>,
    /// The stage still open, if any (the one reminders are about).
    pub current: Option<Stage>,
    /// The Regulations' own clock beside the rulebook's (Regulations art. 33), its faults and
    /// its reminders; `None` when answered on the spot.
    pub statutory: Option<Statutory>,
}

/// Works out where `case` stands at `today`.
///
/// # Errors
/// [`OutOfRange`] when a date of the case lies outside the calendar's range.
pub fn evaluate(
    case: &Case,
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<CaseStatus, OutOfRange> {
    let mut stages = Vec::new();
    if case.close_reason == Some(crate::domain::case::CloseReason::AnsweredOnSpot) {
        // art. 19: answered on the spot; no period runs.
        return Ok(CaseStatus {
            stages,
            notices: Vec::new(),
            current: None,
            statutory: None,
        });
    }

    // art. 19: the office forwards within `forward_within` working days of receipt.
    let mut explanation = Vec::new();
    let mut start = receipt_start(case.received_on, rules, cal, &mut explanation)?;
    for r in &case.returns {
        // A section gave the case back (退回): the office forwards it again (改派). Strictly its
        // clock keeps running from receipt; configured so, it restarts from the return.
        explanation.push(Step::Returned {
            on: r.returned_on,
            section: r.section.clone(),
            restarts: rules.return_restarts_forward,
        });
        if rules.return_restarts_forward {
            start = start.max(r.returned_on);
        }
    }
    explanation.push(Step::ForwardWithin {
        days: rules.forward_within,
    });
    let forward = stage_status(
        Stage::Forward,
        Responsible::Office,
        start,
        rules.forward_within,
        case.forwarded_on,
        case,
        rules,
        cal,
        today,
        explanation,
    )?;
    stages.push(forward);

    if let (Some(forwarded_on), Some(section)) = (case.forwarded_on, &case.section) {
        // art. 19: the section answers within `reply_within` working days of receiving it;
        // art. 20: plus the extensions the leadership approved.
        // A case given back and forwarded again starts its reply stage afresh: only the
        // extensions granted since the current forwarding are this section's.
        let extra = case.reply_extension_days();
        let explanation = vec![
            Step::Forwarded {
                on: forwarded_on,
                section: section.clone(),
            },
            Step::ReplyWithin {
                days: rules.reply_within,
                extended: extra,
                extensions: case
                    .reply_extensions()
                    .map(|e| Granted {
                        days: e.days,
                        approved_on: e.approved_on,
                        approved_by: e.approved_by.clone(),
                    })
                    .collect(),
            },
        ];
        let mut reply = stage_status(
            Stage::Reply,
            Responsible::Section(section.clone()),
            forwarded_on,
            rules.reply_within + extra,
            case.replied_on,
            case,
            rules,
            cal,
            today,
            explanation,
        )?;
        // art. 20: an extension approved after the deadline it extends had passed is flagged.
        let mut granted = rules.reply_within;
        for (i, ext) in case
            .extensions
            .iter()
            .enumerate()
            .filter(|(_, e)| e.approved_on >= forwarded_on)
        {
            let before = counted_due(forwarded_on, granted, case, case.replied_on, cal)?;
            if let Counted::Due(before) = before
                && ext.approved_on > before.into_parts().0
            {
                reply.late_extensions.push(i);
                reply.explanation.push(Step::LateExtension {
                    approved_on: ext.approved_on,
                    due_before: before.into_parts().0,
                });
            }
            granted += ext.days;
        }
        stages.push(reply);
    }

    let notices = notice_obligations(case, rules, cal, today)?;
    let statutory = Some(statutory::evaluate(case, &stages, rules, cal, today)?);
    let current = if case.closed_on.is_some() {
        None
    } else {
        stages
            .iter()
            .find(|s| matches!(s.state, State::Running | State::Suspended { .. }))
            .map(|s| s.stage)
    };
    Ok(CaseStatus {
        stages,
        notices,
        current,
        statutory,
    })
}

/// The day the forward stage counts from, per `rules.rest_day_receipt`.
fn receipt_start(
    received_on: NaiveDate,
    rules: &Rules,
    cal: &Calendar,
    explanation: &mut Vec<Step>,
) -> Result<NaiveDate, OutOfRange> {
    let (working, _) = cal.is_working_day(received_on)?.into_parts();
    let day = cal.day(received_on)?;
    if working {
        explanation.push(Step::Received { on: received_on });
        return Ok(received_on);
    }
    match rules.rest_day_receipt {
        RestDayReceipt::Strict => {
            explanation.push(Step::ReceivedOnRestDay {
                on: received_on,
                kind: day.kind.into(),
            });
            Ok(received_on)
        }
        RestDayReceipt::NextWorkingDay => {
            let (next, _) = cal.add_working_days(received_on, 1)?.into_parts();
            explanation.push(Step::ReceivedOnRestDayMoved {
                on: received_on,
                kind: day.kind.into(),
                next,
            });
            Ok(next)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn stage_status(
    stage: Stage,
    responsible: Responsible,
    start: NaiveDate,
    limit: u32,
    done_on: Option<NaiveDate>,
    case: &Case,
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
    mut explanation: Vec<Step>,
) -> Result<StageStatus, OutOfRange> {
    let mut uncovered: Option<i32> = None;
    let mut note = |y: Option<i32>| {
        if let Some(y) = y {
            uncovered = Some(uncovered.map_or(y, |u: i32| u.min(y)));
        }
    };
    let due = counted_due(start, limit, case, done_on, cal)?;
    let mut status = StageStatus {
        stage,
        responsible,
        start,
        limit,
        due: None,
        state: State::Running,
        remaining: None,
        overdue_by: None,
        level: None,
        reminder_point: None,
        long_suspension: false,
        provisional: false,
        uncovered_year: None,
        late_extensions: Vec::new(),
        late_suspensions: Vec::new(),
        explanation: Vec::new(),
    };
    let due = match due {
        Counted::Due(due) => due,
        // art. 21: suspended; the clock stands still until the obstacle ends.
        Counted::Stopped(open) => {
            let (lasted, y) = cal
                .working_days_between(open.from.pred_opt().unwrap_or(open.from), today)?
                .into_parts();
            note(y);
            explanation.push(Step::SuspendedSince {
                from: open.from,
                reason: open.reason,
            });
            status.state = match done_on {
                // Done while the clock stood still: within time.
                Some(done) => {
                    explanation.push(Step::DoneWhileSuspended { on: done });
                    State::DoneOnTime
                }
                None => {
                    // Issue 17: "past" N working days: on the N+1-th it has stood.
                    status.long_suspension =
                        lasted > rules.suspension_alert_after && case.closed_on.is_none();
                    State::Suspended {
                        since: open.from,
                        working_days: lasted,
                    }
                }
            };
            status.explanation = explanation;
            status.uncovered_year = uncovered;
            status.provisional = uncovered.is_some();
            return Ok(status);
        }
    };
    let (due, y) = due.into_parts();
    note(y);
    let plain = cal.add_working_days(start, limit)?.into_parts().0;
    if plain != due {
        let spans = case
            .suspensions
            .iter()
            .filter(|s| stops(s, done_on) && s.from <= due)
            .filter_map(|s| s.until.filter(|u| *u > start).map(|u| (s, u)))
            .map(|(s, u)| Span {
                from: s.from,
                last: u.pred_opt().unwrap_or(u),
                reason: s.reason,
            })
            .collect();
        explanation.push(Step::SuspendedSkipped { spans });
    }
    explanation.push(Step::Due { due, limit, start });
    status.due = Some(due);
    // domain.md: a suspension that began after the deadline had passed stops no clock; it is
    // recorded and flagged as late, like a late extension (art. 20). `from` on the due date
    // itself is within time (and has moved the deadline above).
    for (i, s) in case.suspensions.iter().enumerate() {
        if stops(s, done_on) && s.from > due {
            status.late_suspensions.push(i);
            explanation.push(Step::LateSuspension { from: s.from, due });
        }
    }
    match done_on {
        Some(done) if done <= due => {
            status.state = State::DoneOnTime;
            explanation.push(Step::DoneOnTime { on: done });
        }
        Some(done) => {
            let (by, y) = cal.overdue_by(done, due)?.into_parts();
            note(y);
            status.state = State::DoneLate { by };
            explanation.push(Step::DoneLate { on: done, by });
        }
        None => {
            let (remaining, y) = cal.remaining(today, due)?.into_parts();
            note(y);
            status.remaining = Some(remaining);
            if today > due {
                let (by, y) = cal.overdue_by(today, due)?.into_parts();
                note(y);
                status.overdue_by = Some(by);
                status.level = Some(Level::Overdue);
            } else if today == due {
                status.level = Some(Level::DueToday);
            } else if let Some(at) = rules.reminder_at.point_for(remaining) {
                status.level = Some(Level::Reminder);
                status.reminder_point = Some(ReminderPoint {
                    at,
                    last: rules.reminder_at.is_last(at),
                });
            }
        }
    }
    if case.closed_on.is_some() {
        // Closed by other means (withdrawn, merged): reminders stop.
        status.level = None;
        status.reminder_point = None;
    }
    status.explanation = explanation;
    status.uncovered_year = uncovered;
    status.provisional = uncovered.is_some();
    Ok(status)
}

#[cfg(test)]
mod tests;
