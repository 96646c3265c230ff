//! The written notices a case owes the applicant (arts. 20, 21): each extension, suspension and
//! resumption obliges one within `rules.notice_within` working days. Pure, like the rest of the
//! engine ([`super::evaluate`] lists them in [`super::CaseStatus::notices`]).

use chrono::NaiveDate;
use serde::Serialize;

use super::Rules;
use crate::calendar::{Calendar, OutOfRange};
use crate::domain::case::{Case, NoticeKind};

/// A written notice the section owes the applicant (arts. 20, 21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeObligation {
    /// Which notice.
    pub kind: NoticeKind,
    /// The event that requires it (approval, suspension, resumption).
    pub event_on: NaiveDate,
    /// The last day to record it.
    pub due: NaiveDate,
    /// Whether `due` has passed without a notice.
    pub missing: bool,
    /// Working days past `due` when missing (domain.md's `overdue_by`: 0 on a rest day right
    /// after it), so that the line says how late it is, as a stage's does.
    pub overdue_by: Option<u32>,
}

/// Written notices owed (arts. 20, 21): each extension, suspension and resumption obliges one,
/// due `rules.notice_within` working days after the event. Those recorded are not listed.
pub(super) fn notice_obligations(
    case: &Case,
    rules: &Rules,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<Vec<NoticeObligation>, OutOfRange> {
    let mut owed = Vec::new();
    let mut owe =
        |kind, event_on: NaiveDate, recorded: Option<NaiveDate>| -> Result<(), OutOfRange> {
            if recorded.is_some() || event_on > today {
                return Ok(());
            }
            let (due, _) = cal
                .add_working_days(event_on, rules.notice_within)?
                .into_parts();
            let missing = today > due;
            let overdue_by = if missing {
                Some(cal.overdue_by(today, due)?.into_parts().0)
            } else {
                None
            };
            owed.push(NoticeObligation {
                kind,
                event_on,
                due,
                missing,
                overdue_by,
            });
            Ok(())
        };
    if case.closed_on.is_some() {
        return Ok(Vec::new());
    }
    for e in &case.extensions {
        owe(NoticeKind::Extension, e.approved_on, e.notice_on)?; // art. 20
    }
    for s in &case.suspensions {
        owe(NoticeKind::Suspension, s.from, s.notice_on)?; // art. 21
        if let Some(until) = s.until {
            owe(NoticeKind::Resumption, until, s.resumption_notice_on)?; // art. 21
        }
    }
    Ok(owed)
}
