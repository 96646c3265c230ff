//! Why a change to a case is refused ([`Refusal`]): one variant per rule, carrying what its
//! message names. The messages are the ones the commands, the import and the case-system
//! replay print; a caller that must tell the causes apart matches on the variant.

use chrono::NaiveDate;

use super::how_to_fix;
use crate::domain::case::text::TextError;
use crate::domain::case::{NoticeKind, Reference, SectionCode};

/// Why a change to a case is refused: the rule, with the dates and values it was refused on, so
/// a caller can branch on the cause. The message (`Display`) names the rule and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A closed case cannot be changed.
    #[error("the case was closed on {0}; a closed case cannot be changed")]
    Closed(NaiveDate),
    /// An answered case cannot be changed.
    #[error("the case was answered on {0}; an answered case cannot be changed")]
    Answered(NaiveDate),
    /// A free-text field is not one plain line (`field` names it: `approved_by`, `reason`,
    /// `note`).
    #[error("{field} {problem}")]
    Text {
        /// The field.
        field: &'static str,
        /// What is wrong with its text.
        problem: TextError,
    },
    /// The section forwarded to is not configured.
    // art. 19: the office forwards to the responsible section.
    #[error("section \"{0}\" is not configured\n  help: use a code of [[sections]] in the config")]
    UnknownSection(SectionCode),
    /// Forwarded before it was received.
    // art. 19
    #[error(
        "forwarding on {on} is before receipt on {received}: a case is forwarded after it arrives"
    )]
    ForwardBeforeReceipt {
        /// The forwarding.
        on: NaiveDate,
        /// The receipt.
        received: NaiveDate,
    },
    /// Forwarded twice.
    // art. 19
    #[error("the case was forwarded on {0} already")]
    ForwardedAlready(NaiveDate),
    /// A forwarding dated before the return it follows (改派 after 退回).
    // art. 19
    #[error(
        "forwarding on {on} is before the case was given back on {returned}: it is forwarded \
         again after the return"
    )]
    ForwardBeforeReturn {
        /// The forwarding.
        on: NaiveDate,
        /// The return.
        returned: NaiveDate,
    },
    /// A return (退回) of a case not forwarded: no section holds it.
    #[error(
        "the case is not forwarded to a section, so no section can give it back\n  help: \
         `duewatch case show REFERENCE` shows where it stands; forward it with `duewatch case \
         forward`"
    )]
    ReturnNotForwarded,
    /// A return dated before the forwarding it undoes.
    #[error("a return on {on} cannot precede the forwarding on {forwarded}")]
    ReturnBeforeForwarding {
        /// The return.
        on: NaiveDate,
        /// The forwarding.
        forwarded: NaiveDate,
    },
    /// A return without its reason.
    #[error("say why the case is not the section's (--reason)")]
    NoReturnReason,
    /// An extension of a case not forwarded: there is no reply period to extend.
    // art. 20
    #[error("art. 20 extends the section's reply period; forward the case first")]
    ExtensionNotForwarded,
    /// An extension of no days.
    // art. 20
    #[error("an extension is at least 1 working day")]
    ExtensionOfNoDays,
    /// An extension approved before the case was forwarded.
    // art. 20
    #[error("approval on {on} is before forwarding on {forwarded}")]
    ApprovalBeforeForwarding {
        /// The approval.
        on: NaiveDate,
        /// The forwarding.
        forwarded: NaiveDate,
    },
    /// An extension without who approved it.
    // art. 20: the leadership's consent.
    #[error("name who approved the extension (art. 20: the leadership's consent)")]
    NoApprover,
    /// The extensions would add up to more than `rules.max_extension`.
    // art. 20: at most 15 working days in all.
    #[error(
        "extending by {days} would bring the extensions to {total} working days; art. 20 \
         allows at most {max} (rules.max_extension)"
    )]
    ExtensionTooLong {
        /// The days asked for.
        days: u32,
        /// The extensions' total with them.
        total: u32,
        /// `rules.max_extension`.
        max: u32,
    },
    /// No event of this kind waits for its written notice.
    // arts. 20, 21
    #[error("no {0} is waiting for its written notice")]
    NoNoticeOwed(NoticeKind),
    /// A written notice dated before its event.
    // arts. 20, 21
    #[error("a notice on {on} cannot precede the {kind} on {event}")]
    NoticeBeforeEvent {
        /// The notice.
        on: NaiveDate,
        /// Of what.
        kind: NoticeKind,
        /// The event's date.
        event: NaiveDate,
    },
    /// A suspension from the receipt or before it.
    // art. 21
    #[error("a suspension from {from} must start after receipt on {received}")]
    SuspensionBeforeReceipt {
        /// The suspension's first day.
        from: NaiveDate,
        /// The receipt.
        received: NaiveDate,
    },
    /// Two suspensions of a case overlap.
    // art. 21
    #[error(
        "a suspension from {from} overlaps the one from {other_from}{}; suspensions of a case \
         may not overlap",
        .other_until.map_or(" (still open)".to_owned(), |u| format!(" until {u}"))
    )]
    SuspensionsOverlap {
        /// The new suspension's first day.
        from: NaiveDate,
        /// The recorded one's first day.
        other_from: NaiveDate,
        /// The recorded one's end (`None`: still open).
        other_until: Option<NaiveDate>,
    },
    /// A resumption of a case that is not suspended.
    // art. 21
    #[error("the case is not suspended")]
    NotSuspended,
    /// A resumption on or before the suspension's first day.
    // art. 21
    #[error("resuming on {on} must come after the suspension began on {from}")]
    ResumptionNotAfterSuspension {
        /// The resumption.
        on: NaiveDate,
        /// The suspension's first day.
        from: NaiveDate,
    },
    /// A correction (补正) of a case forwarded already.
    #[error("the case was forwarded already; a correction restarts the forward stage")]
    CorrectionAfterForwarding,
    /// A correction (补正) to an earlier receipt: it only replaces the receipt by a later date.
    #[error(
        "the completed request on {completed} cannot precede the first receipt on {received}\n  \
         help: a correction (补正) replaces the receipt by a later date; if the receipt was \
         recorded with a wrong date, {}",
        how_to_fix(.reference)
    )]
    CorrectionBeforeReceipt {
        /// The completed request's arrival.
        completed: NaiveDate,
        /// The receipt recorded.
        received: NaiveDate,
        /// The case (the help names it).
        reference: Reference,
    },
    /// A reply to a case not forwarded.
    // art. 19: the section answers what the office forwarded.
    #[error(
        "the case was not forwarded to a section yet; forward it first, or close it with --reason answered_on_spot"
    )]
    ReplyNotForwarded,
    /// A reply before the forwarding.
    // art. 19
    #[error("a reply on {on} cannot precede forwarding on {forwarded}")]
    ReplyBeforeForwarding {
        /// The reply.
        on: NaiveDate,
        /// The forwarding.
        forwarded: NaiveDate,
    },
    /// A closure before the receipt.
    #[error("closing on {on} is before receipt on {received}")]
    CloseBeforeReceipt {
        /// The closure.
        on: NaiveDate,
        /// The receipt.
        received: NaiveDate,
    },
    /// An outcome recorded on a case that is neither answered nor closed.
    // Regulations art. 50: the annual report counts how requests were finished.
    #[error(
        "the case is still open: an outcome is recorded when it is answered or closed\n  help: \
         give --outcome with `duewatch case reply` or `duewatch case close`, or record it \
         after them with `duewatch case outcome`"
    )]
    OutcomeOfOpenCase,
    /// A classification without an outcome or an applicant category.
    #[error("give an outcome, an applicant category, or both")]
    NothingToClassify,
    /// A recorded case forwarded to no section ([`replay`]).
    // art. 19
    #[error("forwarded on {0} to no section: the section column is empty")]
    ForwardedToNoSection(NaiveDate),
    /// A recorded case with a section but no forwarding ([`replay`]).
    // art. 19
    #[error(
        "section \"{0}\" is set but forwarded_on is empty: a case goes to a section when it is \
         forwarded"
    )]
    SectionWithoutForwarding(SectionCode),
    /// A recorded written notice of an extension dated before its approval ([`replay`]).
    // art. 20
    #[error("the written notice of the extension on {notice} precedes its approval on {approved}")]
    NoticeBeforeApproval {
        /// The notice.
        notice: NaiveDate,
        /// The approval.
        approved: NaiveDate,
    },
    /// A recorded written notice of a suspension or a resumption dated before it ([`replay`]).
    // art. 21
    #[error("the written notice of the {kind} on {notice} precedes the {kind} on {event}")]
    NoticePrecedes {
        /// Of a suspension or of a resumption.
        kind: NoticeKind,
        /// The notice.
        notice: NaiveDate,
        /// The event.
        event: NaiveDate,
    },
    /// A recorded written notice of a resumption of a suspension that has not ended
    /// ([`replay`]).
    // art. 21
    #[error(
        "a written notice of the resumption on {notice}, but the suspension from {from} \
         has not ended (until_on is empty)"
    )]
    ResumptionNoticeWhileSuspended {
        /// The notice.
        notice: NaiveDate,
        /// The suspension's first day.
        from: NaiveDate,
    },
}
