//! The administrators' changes to a case, as pure checks-and-changes: each takes the case as
//! stored and either changes it and says what changed (for the history), or refuses, naming the
//! rule and what to do ([`Refusal`], one variant per rule, whose `Display` is the message the
//! user reads). The store runs them inside a transaction, so a refusal writes nothing.

use chrono::NaiveDate;

use crate::domain::case::text::{self, Breaks};
use crate::domain::case::{
    Case, CloseReason, Extension, NoticeKind, Reference, Return, SectionCode, Suspension,
    SuspensionReason,
};
use crate::domain::deadline::Rules;
use crate::domain::outcome::{self, Applicant};
pub use refusal::Refusal;

mod refusal;

/// What a change says it did (for the history), or why it is refused.
type Outcome = Result<String, Refusal>;

/// A case's free text (who approved, a reason, a note) is one line without control characters,
/// at most `text::MAX_CHARS` long: it is shown in mails and on terminals. Callers that read a
/// spreadsheet fold its line breaks first; a case system's text is mended before the replay.
fn one_line(field: &'static str, value: &str) -> Result<String, Refusal> {
    text::one_line(value, Breaks::Refuse).map_err(|problem| Refusal::Text { field, problem })
}

fn open(case: &Case) -> Result<(), Refusal> {
    if let Some(closed) = case.closed_on {
        return Err(Refusal::Closed(closed));
    }
    if let Some(replied) = case.replied_on {
        return Err(Refusal::Answered(replied));
    }
    Ok(())
}

/// art. 19: the office forwards the request to the responsible section.
pub fn forward(case: &mut Case, section: SectionCode, on: NaiveDate, known: bool) -> Outcome {
    open(case)?;
    if !known {
        return Err(Refusal::UnknownSection(section));
    }
    if on < case.received_on {
        return Err(Refusal::ForwardBeforeReceipt {
            on,
            received: case.received_on,
        });
    }
    if let Some(prev) = case.forwarded_on {
        return Err(Refusal::ForwardedAlready(prev));
    }
    // 改派: forwarded again after a section gave it back, not before.
    if let Some(returned) = case.returns.last().map(|r| r.returned_on)
        && on < returned
    {
        return Err(Refusal::ForwardBeforeReturn { on, returned });
    }
    case.forwarded_on = Some(on);
    case.section = Some(section.clone());
    Ok(format!("forwarded on {on} to {section}"))
}

/// A section gives back a case that is not its own (退回): the forwarding is undone and the
/// forward stage is open again, so the office forwards it anew (改派), and the reply stage then
/// starts afresh at the new section. Whether the office's clock restarts is
/// `rules.return_restarts_forward` ([`crate::domain::deadline`]); the history keeps the return.
pub fn return_to_office(case: &mut Case, on: NaiveDate, reason: &str) -> Outcome {
    open(case)?;
    let (Some(forwarded_on), Some(section)) = (case.forwarded_on, case.section.clone()) else {
        return Err(Refusal::ReturnNotForwarded);
    };
    if on < forwarded_on {
        return Err(Refusal::ReturnBeforeForwarding {
            on,
            forwarded: forwarded_on,
        });
    }
    if reason.trim().is_empty() {
        return Err(Refusal::NoReturnReason);
    }
    let reason = one_line("reason", reason)?;
    case.returns.push(Return {
        returned_on: on,
        section: section.clone(),
        forwarded_on,
        reason: reason.clone(),
    });
    case.forwarded_on = None;
    case.section = None;
    Ok(format!(
        "returned on {on} by {section} (forwarded to it on {forwarded_on}) as not its own: \
         {reason}; to be forwarded again"
    ))
}

/// art. 20: the leadership extends the section's reply period, at most `max_extension` in all.
pub fn extend(
    case: &mut Case,
    days: u32,
    approved_by: &str,
    on: NaiveDate,
    reason: Option<String>,
    rules: &Rules,
) -> Outcome {
    open(case)?;
    let Some(forwarded) = case.forwarded_on else {
        return Err(Refusal::ExtensionNotForwarded);
    };
    if days == 0 {
        return Err(Refusal::ExtensionOfNoDays);
    }
    if on < forwarded {
        return Err(Refusal::ApprovalBeforeForwarding { on, forwarded });
    }
    if approved_by.trim().is_empty() {
        return Err(Refusal::NoApprover);
    }
    let approved_by = one_line("approved_by", approved_by)?;
    let reason = reason.map(|r| one_line("reason", &r)).transpose()?;
    let total = case.extension_days().saturating_add(days);
    if total > rules.max_extension {
        return Err(Refusal::ExtensionTooLong {
            days,
            total,
            max: rules.max_extension,
        });
    }
    case.extensions.push(Extension {
        days,
        approved_on: on,
        approved_by: approved_by.clone(),
        reason,
        notice_on: None,
    });
    Ok(format!(
        "extended by {days} working days, approved on {on} by {approved_by}"
    ))
}

/// arts. 20, 21: the written notice to the applicant was sent.
pub fn notice(case: &mut Case, kind: NoticeKind, on: NaiveDate) -> Outcome {
    open(case)?;
    let slot = match kind {
        NoticeKind::Extension => case
            .extensions
            .iter_mut()
            .rev()
            .find(|e| e.notice_on.is_none())
            .map(|e| (e.approved_on, &mut e.notice_on)),
        NoticeKind::Suspension => case
            .suspensions
            .iter_mut()
            .rev()
            .find(|s| s.notice_on.is_none())
            .map(|s| (s.from, &mut s.notice_on)),
        NoticeKind::Resumption => case
            .suspensions
            .iter_mut()
            .rev()
            .find(|s| s.until.is_some() && s.resumption_notice_on.is_none())
            .and_then(|s| s.until.map(|u| (u, &mut s.resumption_notice_on))),
    };
    let Some((event, slot)) = slot else {
        return Err(Refusal::NoNoticeOwed(kind));
    };
    if on < event {
        return Err(Refusal::NoticeBeforeEvent { on, kind, event });
    }
    *slot = Some(on);
    Ok(format!(
        "written notice of the {kind} of {event} sent on {on}"
    ))
}

/// art. 21: the clock stops from `from`.
pub fn suspend(
    case: &mut Case,
    from: NaiveDate,
    reason: SuspensionReason,
    note: Option<String>,
) -> Outcome {
    open(case)?;
    let note = note.map(|n| one_line("note", &n)).transpose()?;
    if from <= case.received_on {
        return Err(Refusal::SuspensionBeforeReceipt {
            from,
            received: case.received_on,
        });
    }
    for s in &case.suspensions {
        let overlaps = match s.until {
            None => true,
            Some(until) => from < until,
        };
        if overlaps {
            return Err(Refusal::SuspensionsOverlap {
                from,
                other_from: s.from,
                other_until: s.until,
            });
        }
    }
    case.suspensions.push(Suspension {
        from,
        until: None,
        reason,
        note,
        notice_on: None,
        resumption_notice_on: None,
    });
    Ok(format!("suspended from {from} ({reason})"))
}

/// art. 21: the clock runs again on `on` (that day counts).
pub fn resume(case: &mut Case, on: NaiveDate) -> Outcome {
    open(case)?;
    let Some(s) = case.suspensions.iter_mut().find(|s| s.until.is_none()) else {
        return Err(Refusal::NotSuspended);
    };
    if on <= s.from {
        return Err(Refusal::ResumptionNotAfterSuspension { on, from: s.from });
    }
    s.until = Some(on);
    Ok(format!("resumed on {on} (suspended from {})", s.from))
}

/// Correction (补正): the period starts again from the day the completed request arrived.
pub fn correct(case: &mut Case, received: NaiveDate) -> Outcome {
    open(case)?;
    if case.forwarded_on.is_some() {
        return Err(Refusal::CorrectionAfterForwarding);
    }
    if received < case.received_on {
        return Err(Refusal::CorrectionBeforeReceipt {
            completed: received,
            received: case.received_on,
            reference: case.reference.clone(),
        });
    }
    let old = case.received_on;
    case.received_on = received;
    Ok(format!(
        "corrected (补正): receipt {old} replaced by {received}"
    ))
}

/// The section answered.
pub fn reply(case: &mut Case, on: NaiveDate) -> Outcome {
    open(case)?;
    let Some(forwarded) = case.forwarded_on else {
        return Err(Refusal::ReplyNotForwarded);
    };
    if on < forwarded {
        return Err(Refusal::ReplyBeforeForwarding { on, forwarded });
    }
    case.replied_on = Some(on);
    Ok(format!("replied on {on}"))
}

/// Closed by other means; all reminders stop.
pub fn close(case: &mut Case, on: NaiveDate, reason: CloseReason) -> Outcome {
    open(case)?;
    if on < case.received_on {
        return Err(Refusal::CloseBeforeReceipt {
            on,
            received: case.received_on,
        });
    }
    case.closed_on = Some(on);
    case.close_reason = Some(reason);
    Ok(format!("closed on {on} ({reason})"))
}

/// Regulations arts. 49–50: how a case ended (`outcome`) and who asked (`applicant`), the
/// categories of the annual report's table 3. The outcome is of a finished case only (replied or
/// closed: the act that finishes it, or later, to fill the report in); the applicant's category
/// may be recorded at any time. A value given replaces the one recorded (the history keeps the
/// old one); one not given is left as it is.
pub fn classify(
    case: &mut Case,
    outcome: Option<outcome::Outcome>,
    applicant: Option<Applicant>,
) -> Outcome {
    if outcome.is_none() && applicant.is_none() {
        return Err(Refusal::NothingToClassify);
    }
    if outcome.is_some() && case.finished_on().is_none() {
        return Err(Refusal::OutcomeOfOpenCase);
    }
    let mut said = Vec::new();
    if let Some(o) = outcome {
        said.push(changed(
            "outcome",
            o.full_name(),
            case.outcome.map(|x| x.full_name()),
        ));
        case.outcome = Some(o);
    }
    if let Some(a) = applicant {
        said.push(changed(
            "applicant",
            a.full_name(),
            case.applicant.map(Applicant::full_name),
        ));
        case.applicant = Some(a);
    }
    Ok(said.join(", "))
}

/// A category's change for the history: `outcome 予以公开 (was 部分公开)`.
fn changed(what: &str, new: String, old: Option<String>) -> String {
    match old {
        Some(old) if old != new => format!("{what} {new} (was {old})"),
        _ => format!("{what} {new}"),
    }
}

/// A case recorded elsewhere (a case system read with `cases.source = "sql"`), checked by the
/// same rules as the commands: it is rebuilt from its receipt by replaying each recorded event
/// (forwarding, extensions by approval date, suspensions and resumptions by date, then reply or
/// close) through the functions above, and the written notices' dates are checked against
/// their events. Returns the rebuilt case, or the first refusal, naming the event.
///
/// # Errors
/// The first event the rules refuse, e.g. "forwarding on 2026-11-20 is before receipt on …",
/// an unknown section, extensions past `rules.max_extension`, overlapping suspensions.
pub fn replay(
    recorded: &Case,
    known: impl Fn(&SectionCode) -> bool,
    rules: &Rules,
) -> Result<Case, Refusal> {
    let mut case = Case::received(recorded.reference.clone(), recorded.received_on);
    case.subject.clone_from(&recorded.subject);
    case.channel = recorded.channel;
    let mut extensions: Vec<&Extension> = recorded.extensions.iter().collect();
    extensions.sort_by_key(|e| e.approved_on);
    let mut extensions = extensions.into_iter().peekable();
    let mut returns: Vec<&Return> = recorded.returns.iter().collect();
    returns.sort_by_key(|r| r.returned_on);
    for r in returns {
        // Each section that gave it back had it from its forwarding to the return; the
        // extensions approved meanwhile were that section's.
        forward(
            &mut case,
            r.section.clone(),
            r.forwarded_on,
            known(&r.section),
        )?;
        while let Some(e) = extensions.next_if(|e| e.approved_on <= r.returned_on) {
            replay_extension(&mut case, e, rules)?;
        }
        return_to_office(&mut case, r.returned_on, &r.reason)?;
    }
    match (recorded.forwarded_on, &recorded.section) {
        (Some(on), Some(section)) => {
            forward(&mut case, section.clone(), on, known(section))?;
        }
        (Some(on), None) => {
            return Err(Refusal::ForwardedToNoSection(on));
        }
        (None, Some(section)) => {
            return Err(Refusal::SectionWithoutForwarding(section.clone()));
        }
        (None, None) => {}
    }
    for e in extensions {
        replay_extension(&mut case, e, rules)?;
    }
    let mut suspensions: Vec<&Suspension> = recorded.suspensions.iter().collect();
    suspensions.sort_by_key(|s| s.from);
    for s in suspensions {
        suspend(&mut case, s.from, s.reason, s.note.clone())?;
        if let Some(until) = s.until {
            resume(&mut case, until)?;
        }
        let checked = [
            (s.notice_on, Some(s.from), NoticeKind::Suspension),
            (s.resumption_notice_on, s.until, NoticeKind::Resumption),
        ];
        for (notice, event, kind) in checked {
            match (notice, event) {
                (Some(n), Some(e)) if n < e => {
                    return Err(Refusal::NoticePrecedes {
                        kind,
                        notice: n,
                        event: e,
                    });
                }
                (Some(n), None) => {
                    return Err(Refusal::ResumptionNoticeWhileSuspended {
                        notice: n,
                        from: s.from,
                    });
                }
                _ => {}
            }
        }
        if let Some(last) = case.suspensions.last_mut() {
            last.notice_on = s.notice_on;
            last.resumption_notice_on = s.resumption_notice_on;
        }
    }
    if let Some(on) = recorded.replied_on {
        reply(&mut case, on)?;
    }
    if let Some(on) = recorded.closed_on {
        open(&case)?;
        if on < case.received_on {
            return Err(Refusal::CloseBeforeReceipt {
                on,
                received: case.received_on,
            });
        }
        // The case system may not say why; a closed case is not watched either way.
        case.closed_on = Some(on);
        case.close_reason = recorded.close_reason;
    }
    if recorded.outcome.is_some() || recorded.applicant.is_some() {
        classify(&mut case, recorded.outcome, recorded.applicant)?;
    }
    Ok(case)
}

/// One recorded extension replayed ([`replay`]), with its written notice checked.
fn replay_extension(case: &mut Case, e: &Extension, rules: &Rules) -> Result<(), Refusal> {
    extend(
        case,
        e.days,
        &e.approved_by,
        e.approved_on,
        e.reason.clone(),
        rules,
    )?;
    if let Some(notice) = e.notice_on {
        if notice < e.approved_on {
            return Err(Refusal::NoticeBeforeApproval {
                notice,
                approved: e.approved_on,
            });
        }
        if let Some(last) = case.extensions.last_mut() {
            last.notice_on = Some(notice);
        }
    }
    Ok(())
}

/// What to do with a recorded case whose dates are wrong (a receipt in 2099 for 2026, which a
/// correction cannot move earlier: 补正 only replaces the receipt by a later date): close it and
/// record it anew.
pub(crate) fn how_to_fix(reference: &Reference) -> String {
    format!(
        "close it with `duewatch case close {reference} --on DATE --reason withdrawn` and record \
         it anew with the right dates under a new reference (`duewatch case add`)"
    )
}

#[cfg(test)]
mod tests;
