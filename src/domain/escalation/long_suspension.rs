//! A long suspension is not a free pass (issue 17; art. 21: the period is suspended while a
//! lawful obstacle lasts, and the office supervises, art. 23): a suspension still open after
//! `rules.suspension_alert_after` working days (the engine's `StageStatus::long_suspension`) is
//! a line of the office's digest (`escalation.recipients.long_suspension`) saying how long it has
//! stood.
//!
//! **Once per suspension**: its key is (case, stage, `long_suspension`, the suspension's first
//! day, recipient), and it is not part of the daily repeat; the office hears of it again only
//! if it is resumed and a new suspension runs as long. Pure, like the rest of `escalation`.

use super::{EscalationConfig, ItemLevel, Line, Sink, addresses, not_received, stage_name};
use crate::domain::case::Case;
use crate::domain::deadline::{CaseStatus, State};
use crate::domain::parties::Parties;

/// The line of `case`'s current stage if an open suspension has stood too long, offered to `sink`
/// for each address of `escalation.recipients.long_suspension`; the roles without one to
/// `unaddressed`.
pub(super) fn items(
    case: &Case,
    status: &CaseStatus,
    policy: &EscalationConfig,
    parties: &Parties,
    sink: &mut dyn Sink,
    unaddressed: &mut Vec<String>,
) {
    let Some(stage) = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
    else {
        return;
    };
    let State::Suspended {
        since,
        working_days,
    } = stage.state
    else {
        return;
    };
    if !stage.long_suspension {
        return;
    }
    let reason = case
        .suspensions
        .iter()
        .find(|s| s.from == since && s.until.is_none())
        .map(|s| crate::domain::deadline::zh_reason(s.reason));
    let roles = &policy.recipients.long_suspension;
    let (to, none) = addresses(roles, &stage.responsible, parties);
    unaddressed.extend(none.into_iter().map(|role| {
        format!(
            "{} long_suspension：{}（escalation.recipients.long_suspension）",
            stage_name(stage.stage),
            not_received(role, &to)
        )
    }));
    let kind = super::item::Kind {
        reference: case.reference.as_str(),
        stage: stage.stage.as_str(),
        level: ItemLevel::LongSuspension,
        level_key: "long_suspension",
        deadline: since,
        repeat: false,
    };
    super::item::offer(sink, &kind, to, || Line {
        subject: case.subject.as_deref().map(str::to_owned),
        stage_name: format!("{}（中止）", stage_name(stage.stage)),
        responsible_name: super::responsible_name(&stage.responsible, parties),
        remaining: None,
        overdue_by: None,
        provisional: stage.provisional,
        explanation: format!(
            "{since} 起中止{}，至今已 {working_days} 个工作日，尚未恢复（第二十一条）",
            reason.map(|r| format!("（{r}）")).unwrap_or_default()
        ),
        flags: Vec::new(),
        grade: None,
        suspended_days: Some(working_days),
    });
}
