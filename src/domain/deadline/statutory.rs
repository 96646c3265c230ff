//! The law's own clock (政府信息公开条例, the national Regulations on Open Government Information,
//! 2019) beside the rulebook's two stages: one period per case, from receipt to the answer,
//! whoever holds the case. Pure, like the rest of the engine, and counted by the same rules
//! (domain.md, "Counting a period": the N-th counted working day after the start, the start
//! never counting; a receipt on a rest day as `rules.rest_day_receipt` says).
//!
//! How the Regulations are read here (docs/administrator.md, "Two clocks"):
//!
//! - **The period** (Regulations art. 33): the answer within `law.reply_within` (20) working
//!   days of receipt, plus the extension days granted, at most `law.max_extension` (20).
//! - **The extension**: the rulebook's extension (art. 20, the leadership's consent and a
//!   written notice) is taken to be also the statutory one (art. 33: the consent of the
//!   disclosure office's head and notice to the applicant): the bureau grants one extension, and
//!   both clocks grow by it. Every extension of the case counts, whichever section it was
//!   granted to: the law knows one period per case, not per section.
//! - **What stops the clock**: only a suspension whose reason is `third_party` (art. 33: the time
//!   spent consulting a third party or another agency does not count) or `correction` (art. 30).
//!   Force majeure and `other` do **not** stop it: the Regulations name no such cause, and the
//!   strict reading is that the period runs on. The rulebook's clock (art. 21) does stop for them,
//!   and the `rulebook_past_statutory` fault says so while it matters.
//! - **A correction** (补正, art. 30): the period runs from the day the completed request arrives.
//!   A correction recorded with `case correct` replaces the receipt, so it is the start. One
//!   recorded as a `correction` suspension restarts the period from the day it ended (that day
//!   itself not counted, as the start never counts); while it lasts there is no statutory due.
//! - **A return** (退回) changes nothing here: the period runs from receipt.
//!
//! Faults ([`Fault`]) are what a reviewer would hold against the bureau: the rulebook's deadline
//! passing the law's, an extension whose written notice came after the period it extends had
//! run out (a procedural fault), a correction asked for later than `law.correction_notice_within`
//! (7) working days after receipt (art. 30), extensions past the law's maximum. Reminders
//! ([`LawReminder`]) are owed like written notices: the correction notice (art. 30) and the
//! third party's `law.third_party_within` (15) working days (art. 32).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::clock::{Counted, counted_due_among, stops};
use super::{Rules, StageStatus, State, receipt_start};
use crate::calendar::{Calendar, OutOfRange};
use crate::domain::case::{Case, Suspension, SuspensionReason};

/// `[law]`: the Regulations' numbers, in working days. The configuration's defaults
/// (`config/defaults.rs`) are these; a test checks that they agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Law {
    /// The period to answer, from receipt (Regulations art. 33: 20).
    pub reply_within: u32,
    /// The most all extensions may add (Regulations art. 33: 20).
    pub max_extension: u32,
    /// The period to tell the applicant a request must be completed (Regulations art. 30: 7).
    pub correction_notice_within: u32,
    /// The period a consulted third party has to answer (Regulations art. 32: 15).
    pub third_party_within: u32,
}

impl Default for Law {
    /// The Regulations' own numbers (arts. 30, 32, 33).
    fn default() -> Self {
        Law {
            reply_within: 20,
            max_extension: 20,
            correction_notice_within: 7,
            third_party_within: 15,
        }
    }
}

/// Whether a suspension's reason stops the Regulations' clock: consulting a third party or
/// another agency (Regulations art. 33), a correction (art. 30). Force majeure and other causes
/// do not: the Regulations name none (the strict reading).
pub fn stops_the_law(reason: SuspensionReason) -> bool {
    matches!(
        reason,
        SuspensionReason::ThirdParty | SuspensionReason::Correction
    )
}

/// Where a case stands by the Regulations' clock at a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statutory {
    /// The day counting starts after (the receipt, or the completed request's arrival).
    pub start: NaiveDate,
    /// Working days allowed without extension (`law.reply_within`).
    pub within: u32,
    /// Working days the extensions add (at most `law.max_extension`).
    pub extended: u32,
    /// The statutory deadline; `None` while a correction or a consultation stops the clock.
    pub due: Option<NaiveDate>,
    /// Where the case stands by it (done: answered).
    pub state: State,
    /// Working days left, for a case not answered (0 on the due date and after).
    pub remaining: Option<u32>,
    /// Working days past the statutory deadline, for a case not answered.
    pub overdue_by: Option<u32>,
    /// Whether a year without a loaded calendar was involved.
    pub provisional: bool,
    /// What a reviewer would hold against the bureau.
    pub faults: Vec<Fault>,
    /// What the law asks for next, owed like written notices.
    pub reminders: Vec<LawReminder>,
}

/// A fault by the Regulations' clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fault {
    /// The rulebook's deadline with its extensions falls after the statutory one: meeting the
    /// rulebook would break the law (Regulations art. 33). `rulebook_due` is `None` when the
    /// rulebook's clock stands still (a force majeure suspension) while the law's runs.
    RulebookPastStatutory {
        /// The rulebook's deadline of the stage now running.
        rulebook_due: Option<NaiveDate>,
        /// The statutory deadline.
        statutory_due: NaiveDate,
    },
    /// An extension whose written notice was not recorded before the period it extends ran out
    /// (Regulations art. 33: an extension is told to the applicant): a procedural fault.
    ExtensionNoticeLate {
        /// The extension's approval.
        approved_on: NaiveDate,
        /// The last day of the period it extends.
        period_end: NaiveDate,
        /// The notice, when recorded (after `period_end`).
        notice_on: Option<NaiveDate>,
    },
    /// A correction asked for after `law.correction_notice_within` working days of receipt
    /// (Regulations art. 30).
    CorrectionAskedLate {
        /// The correction suspension's first day.
        asked_on: NaiveDate,
        /// The last day to ask.
        due: NaiveDate,
    },
    /// The extensions add up to more than the law allows (`law.max_extension`).
    ExtensionsPastTheLaw {
        /// Their total.
        total: u32,
        /// `law.max_extension`.
        max: u32,
    },
}

impl Fault {
    /// A stable name (`rulebook_past_statutory`, …): a digest line's key.
    pub fn code(&self) -> &'static str {
        match self {
            Fault::RulebookPastStatutory { .. } => "rulebook_past_statutory",
            Fault::ExtensionNoticeLate { .. } => "extension_notice_late",
            Fault::CorrectionAskedLate { .. } => "correction_asked_late",
            Fault::ExtensionsPastTheLaw { .. } => "extensions_past_the_law",
        }
    }

    /// The date that tells this fault from another of its kind (a digest line's key); `None`
    /// for a fault a case has at most once.
    pub fn key_date(&self) -> Option<NaiveDate> {
        match self {
            Fault::RulebookPastStatutory { statutory_due, .. } => Some(*statutory_due),
            Fault::ExtensionNoticeLate { approved_on, .. } => Some(*approved_on),
            Fault::CorrectionAskedLate { asked_on, .. } => Some(*asked_on),
            Fault::ExtensionsPastTheLaw { .. } => None,
        }
    }
}

/// What a reminder by the law is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LawReminderKind {
    /// Telling the applicant the request must be completed (补正), within
    /// `law.correction_notice_within` working days of receipt (Regulations art. 30).
    CorrectionNotice,
    /// The consulted third party's period, `law.third_party_within` working days
    /// (Regulations art. 32): when it has passed, the bureau decides without the answer.
    ThirdPartyAnswer,
}

impl LawReminderKind {
    /// The stable spelling (a digest line's key).
    pub fn as_str(self) -> &'static str {
        match self {
            LawReminderKind::CorrectionNotice => "correction_notice",
            LawReminderKind::ThirdPartyAnswer => "third_party",
        }
    }
}

/// Something the law asks for by a date, owed like a written notice: listed while owed,
/// `missing` once its date has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LawReminder {
    /// What.
    pub kind: LawReminderKind,
    /// The event counted from (the receipt; the consultation's first day).
    pub event_on: NaiveDate,
    /// The last day.
    pub due: NaiveDate,
    /// Whether `due` has passed.
    pub missing: bool,
}

/// The case's standing by the Regulations at `today`, beside the rulebook's `stages` (already
/// evaluated: the fault of a rulebook deadline past the law's compares with them).
///
/// # Errors
/// [`OutOfRange`] when a date lies outside the calendar's range.
pub(super) fn evaluate(
    case: &Case,
    stages: &[StageStatus],
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Statutory, OutOfRange> {
    let law = &rules.law;
    let done_on = case.replied_on;
    let mut uncovered = false;
    let mut start = receipt_start(case.received_on, rules, cal, &mut Vec::new())?;
    // Regulations art. 30: after a correction the period runs from the completed request's
    // arrival. A correction suspension that ended restarts the period from its end.
    let stopping_law = |s: &&Suspension| stops_the_law(s.reason) && stops(s, done_on);
    for s in case.suspensions.iter().filter(stopping_law) {
        if s.reason == SuspensionReason::Correction
            && let Some(until) = s.until
        {
            start = start.max(until);
        }
    }
    // Regulations art. 33: the consultation's time does not count; an open correction stops the
    // clock until the completed request arrives.
    let stopping: Vec<&Suspension> = case
        .suspensions
        .iter()
        .filter(stopping_law)
        .filter(|s| s.reason == SuspensionReason::ThirdParty || s.until.is_none())
        .filter(|s| s.until.is_none_or(|u| u > start))
        .collect();
    let total = case.extension_days();
    // Regulations art. 33: the rulebook's extension is also the statutory one, up to the law's
    // maximum.
    let extended = total.min(law.max_extension);
    let limit = law.reply_within.saturating_add(extended);
    let mut status = Statutory {
        start,
        within: law.reply_within,
        extended,
        due: None,
        state: State::Running,
        remaining: None,
        overdue_by: None,
        provisional: false,
        faults: Vec::new(),
        reminders: Vec::new(),
    };
    match counted_due_among(start, limit, &stopping, cal)? {
        Counted::Stopped(open) => {
            let (lasted, y) = cal
                .working_days_between(open.from.pred_opt().unwrap_or(open.from), today)?
                .into_parts();
            uncovered |= y.is_some();
            status.state = match done_on {
                Some(_) => State::DoneOnTime,
                None => State::Suspended {
                    since: open.from,
                    working_days: lasted,
                },
            };
        }
        Counted::Due(due) => {
            let (due, y) = due.into_parts();
            uncovered |= y.is_some();
            status.due = Some(due);
            match done_on {
                Some(done) if done <= due => status.state = State::DoneOnTime,
                Some(done) => {
                    let (by, y) = cal.overdue_by(done, due)?.into_parts();
                    uncovered |= y.is_some();
                    status.state = State::DoneLate { by };
                }
                None if case.closed_on.is_none() => {
                    let (remaining, y) = cal.remaining(today, due)?.into_parts();
                    uncovered |= y.is_some();
                    status.remaining = Some(remaining);
                    if today > due {
                        let (by, y) = cal.overdue_by(today, due)?.into_parts();
                        uncovered |= y.is_some();
                        status.overdue_by = Some(by);
                    }
                }
                None => {}
            }
        }
    }
    status.provisional = uncovered;
    if case.closed_on.is_some() {
        // Closed by other means (withdrawn, merged): nothing more is owed.
        return Ok(status);
    }
    faults(case, stages, &stopping, &mut status, rules, cal, today)?;
    if !case.is_finished() {
        reminders(case, &mut status, law, cal, today)?;
    }
    Ok(status)
}

/// The faults of a case not closed (see [`Fault`]).
fn faults(
    case: &Case,
    stages: &[StageStatus],
    stopping: &[&Suspension],
    status: &mut Statutory,
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<(), OutOfRange> {
    let law = &rules.law;
    // Regulations art. 33: the rulebook's deadline of the stage now running, against the law's.
    if case.replied_on.is_none()
        && let (Some(statutory_due), Some(stage)) = (status.due, stages.last())
    {
        match (stage.due, stage.state) {
            (Some(rulebook_due), State::Running) if rulebook_due > statutory_due => {
                status.faults.push(Fault::RulebookPastStatutory {
                    rulebook_due: Some(rulebook_due),
                    statutory_due,
                });
            }
            (None, State::Suspended { .. }) => {
                status.faults.push(Fault::RulebookPastStatutory {
                    rulebook_due: None,
                    statutory_due,
                });
            }
            _ => {}
        }
    }
    // Regulations art. 33: each extension is told to the applicant before the period it
    // extends runs out.
    let mut granted = law.reply_within;
    let mut extensions: Vec<_> = case.extensions.iter().collect();
    extensions.sort_by_key(|e| e.approved_on);
    for e in extensions {
        let before = counted_due_among(status.start, granted, stopping, cal)?;
        granted = granted
            .saturating_add(e.days)
            .min(law.reply_within + law.max_extension);
        let Counted::Due(period_end) = before else {
            continue;
        };
        let (period_end, _) = period_end.into_parts();
        let late = match e.notice_on {
            Some(n) => n > period_end,
            None => today > period_end,
        };
        if late {
            status.faults.push(Fault::ExtensionNoticeLate {
                approved_on: e.approved_on,
                period_end,
                notice_on: e.notice_on,
            });
        }
    }
    // Regulations art. 30: a correction is asked for within 7 working days of receipt.
    for s in &case.suspensions {
        if s.reason == SuspensionReason::Correction && s.from > case.received_on {
            let (due, _) = cal
                .add_working_days(case.received_on, law.correction_notice_within)?
                .into_parts();
            if s.from > due {
                status.faults.push(Fault::CorrectionAskedLate {
                    asked_on: s.from,
                    due,
                });
            }
        }
    }
    let total = case.extension_days();
    if total > law.max_extension {
        status.faults.push(Fault::ExtensionsPastTheLaw {
            total,
            max: law.max_extension,
        });
    }
    Ok(())
}

/// The reminders of an open case (see [`LawReminder`]).
fn reminders(
    case: &Case,
    status: &mut Statutory,
    law: &Law,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<(), OutOfRange> {
    for s in &case.suspensions {
        match s.reason {
            // Regulations art. 30: the applicant is told, within 7 working days of receipt,
            // what to complete; owed while the correction's written notice is not recorded.
            SuspensionReason::Correction
                if s.from > case.received_on && s.notice_on.is_none() && s.until.is_none() =>
            {
                let (due, _) = cal
                    .add_working_days(case.received_on, law.correction_notice_within)?
                    .into_parts();
                status.reminders.push(LawReminder {
                    kind: LawReminderKind::CorrectionNotice,
                    event_on: case.received_on,
                    due,
                    missing: today > due,
                });
            }
            // Regulations art. 32: the third party answers within 15 working days; owed while
            // the consultation lasts.
            SuspensionReason::ThirdParty if s.until.is_none() && s.from <= today => {
                let (due, _) = cal
                    .add_working_days(s.from, law.third_party_within)?
                    .into_parts();
                status.reminders.push(LawReminder {
                    kind: LawReminderKind::ThirdPartyAnswer,
                    event_on: s.from,
                    due,
                    missing: today > due,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

mod words;

#[cfg(test)]
mod tests;
