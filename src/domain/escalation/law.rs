//! The digest lines of the Regulations' clock ([`crate::domain::deadline::statutory`]): each
//! fault it finds (the rulebook's deadline past the law's, a late extension notice, a late
//! correction request, extensions past the law) and each reminder whose date has passed (the
//! correction notice, Regulations art. 30; the third party's period, art. 32) is one line to
//! the party that must act on the case now (the office before forwarding, the section after)
//! and a copy to the office, which answers for the law's period as a whole. Each is keyed
//! `law:KIND:DATE` with the level `notice_missing`, so it is told once, like a written notice
//! owed. Pure; `escalation.notices = false` turns these off with the notices.

use chrono::NaiveDate;

use super::{EscalationConfig, ItemLevel, Line, Role, Sink, addresses, responsible_name};
use crate::domain::case::Case;
use crate::domain::deadline::{CaseStatus, Fault, LawReminder, Responsible, Stage};
use crate::domain::parties::Parties;

/// Who is told: the party that must act, and the office.
const ROLES: [Role; 2] = [Role::Responsible, Role::Office];

/// Offers the law's lines of `case` to `sink`.
pub(super) fn items(
    case: &Case,
    status: &CaseStatus,
    policy: &EscalationConfig,
    parties: &Parties,
    sink: &mut dyn Sink,
) {
    let Some(law) = &status.statutory else {
        return;
    };
    if !policy.notices || case.is_finished() {
        return;
    }
    let responsible = match (status.current, &case.section) {
        (Some(Stage::Reply), Some(section)) => Responsible::Section(section.clone()),
        _ => Responsible::Office,
    };
    // Each line's explanation is made only if the line is kept (`Sink`).
    let mut lines: Vec<(String, NaiveDate, &str, Why<'_>)> = Vec::new();
    for fault in &law.faults {
        // Regulations arts. 30, 33.
        lines.push((
            format!(
                "law:{}:{}",
                fault.code(),
                fault.key_date().unwrap_or(case.received_on)
            ),
            law.due.unwrap_or(case.received_on),
            "法定期限（条例）",
            Why::Fault(fault),
        ));
    }
    for reminder in law.reminders.iter().filter(|r| r.missing) {
        // Regulations arts. 30, 32.
        lines.push((
            format!("law:{}:{}", reminder.kind.as_str(), reminder.event_on),
            reminder.due,
            match reminder.kind {
                crate::domain::deadline::LawReminderKind::CorrectionNotice => {
                    "补正告知（条例第三十条）"
                }
                crate::domain::deadline::LawReminderKind::ThirdPartyAnswer => {
                    "第三方意见（条例第三十二条）"
                }
            },
            Why::Reminder(reminder),
        ));
    }
    for (stage, deadline, stage_name, explanation) in lines {
        let (to, _) = addresses(&ROLES, &responsible, parties);
        let kind = super::item::Kind {
            reference: case.reference.as_str(),
            stage: &stage,
            level: ItemLevel::NoticeMissing,
            level_key: "notice_missing",
            deadline,
            repeat: false,
        };
        super::item::offer(sink, &kind, to, || Line {
            subject: case.subject.as_deref().map(str::to_owned),
            stage_name: stage_name.to_owned(),
            responsible_name: responsible_name(&responsible, parties),
            remaining: law.remaining,
            overdue_by: law.overdue_by,
            provisional: law.provisional,
            explanation: explanation.zh(),
            flags: Vec::new(),
            grade: None,
            suspended_days: None,
        });
    }
}

/// What a law line is about: its explanation, made when the line is kept.
#[derive(Clone, Copy)]
enum Why<'a> {
    Fault(&'a Fault),
    Reminder(&'a LawReminder),
}

impl Why<'_> {
    fn zh(self) -> String {
        match self {
            Why::Fault(f) => f.zh(),
            Why::Reminder(r) => r.zh(),
        }
    }
}
