//! Recording an act on a case: the one path of the command line, the console's forms and the
//! write API. Each act goes through the rulebook's transitions ([`crate::domain::casework`]) and
//! the entry checks ([`crate::domain::entry`]) inside one store transaction, so every edge
//! refuses the same acts with the same messages, and a refused act writes nothing.
//!
//! Who may record which act is the caller's question ([`crate::domain::account`]); this room
//! records what it is given, naming the actor in the case's history. It may use the
//! configuration, the store and the domain; never the console or the command line.

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::account;
use crate::domain::case::{
    Case, Channel, CloseReason, NoticeKind, Reference, SectionCode, Subject, SuspensionReason,
};
use crate::domain::casework;
use crate::domain::entry::Entering;
use crate::domain::outcome::{Applicant, Outcome};
use crate::store::{Store, StoreError};

/// An act on a case, its values parsed (the `duewatch case` commands' flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// A request received (art. 19): a new case.
    Add {
        /// The new case's reference.
        reference: Reference,
        /// The day the office received it.
        received: NaiveDate,
        /// What is asked.
        subject: Option<Subject>,
        /// How it arrived.
        channel: Option<Channel>,
        /// Who asked, as a category of the annual report.
        applicant: Option<Applicant>,
    },
    /// Forwarded to the responsible section (art. 19).
    Forward {
        /// The case.
        reference: Reference,
        /// The section (a configured `[[sections]]` code).
        section: SectionCode,
        /// The day.
        on: NaiveDate,
    },
    /// The leadership extended the reply period (art. 20).
    Extend {
        /// The case.
        reference: Reference,
        /// Working days granted.
        days: u32,
        /// Who approved.
        approved_by: String,
        /// The day of approval.
        on: NaiveDate,
        /// Why.
        reason: Option<String>,
    },
    /// The clock stops from a day (art. 21).
    Suspend {
        /// The case.
        reference: Reference,
        /// The first day the clock stands still.
        from: NaiveDate,
        /// Why.
        reason: SuspensionReason,
        /// A note.
        note: Option<String>,
    },
    /// The clock runs again from a day, that day counting (art. 21).
    Resume {
        /// The case.
        reference: Reference,
        /// The day.
        on: NaiveDate,
    },
    /// A written notice to the applicant went out (arts. 20, 21).
    Notice {
        /// The case.
        reference: Reference,
        /// Which notice.
        kind: NoticeKind,
        /// The day.
        on: NaiveDate,
    },
    /// Correction (补正): the period starts again from the day the completed request arrived.
    Correct {
        /// The case.
        reference: Reference,
        /// The day the completed request arrived.
        received: NaiveDate,
    },
    /// The section answered.
    Reply {
        /// The case.
        reference: Reference,
        /// The day.
        on: NaiveDate,
        /// How it ended (the annual report's row).
        outcome: Option<Outcome>,
        /// Who asked (the annual report's column).
        applicant: Option<Applicant>,
    },
    /// Given back by the section that holds it as not its own (退回): the office forwards it
    /// again (改派).
    Return {
        /// The case.
        reference: Reference,
        /// The day.
        on: NaiveDate,
        /// Why it is not that section's.
        reason: String,
    },
    /// Closed by other means: reminders stop.
    Close {
        /// The case.
        reference: Reference,
        /// The day.
        on: NaiveDate,
        /// Why.
        reason: CloseReason,
        /// How it ended (the annual report's row).
        outcome: Option<Outcome>,
        /// Who asked (the annual report's column).
        applicant: Option<Applicant>,
    },
    /// How a finished case ended and who asked, recorded (or corrected) after the fact, for the
    /// annual report (Regulations art. 50).
    Outcome {
        /// The case.
        reference: Reference,
        /// How it ended.
        outcome: Option<Outcome>,
        /// Who asked.
        applicant: Option<Applicant>,
    },
}

impl Act {
    /// Which act this is, as the permissions name it.
    pub fn kind(&self) -> account::Act {
        match self {
            Act::Add { .. } => account::Act::Add,
            Act::Forward { .. } => account::Act::Forward,
            Act::Extend { .. } => account::Act::Extend,
            Act::Suspend { .. } => account::Act::Suspend,
            Act::Resume { .. } => account::Act::Resume,
            Act::Notice { .. } => account::Act::Notice,
            Act::Correct { .. } => account::Act::Correct,
            Act::Reply { .. } => account::Act::Reply,
            Act::Close { .. } => account::Act::Close,
            Act::Return { .. } => account::Act::Return,
            Act::Outcome { .. } => account::Act::Outcome,
        }
    }

    /// The case it is recorded on (the new case's, for [`Act::Add`]).
    pub fn reference(&self) -> &Reference {
        match self {
            Act::Add { reference, .. }
            | Act::Forward { reference, .. }
            | Act::Extend { reference, .. }
            | Act::Suspend { reference, .. }
            | Act::Resume { reference, .. }
            | Act::Notice { reference, .. }
            | Act::Correct { reference, .. }
            | Act::Reply { reference, .. }
            | Act::Close { reference, .. }
            | Act::Return { reference, .. } => reference,
            Act::Outcome { reference, .. } => reference,
        }
    }
}

/// A recorded act: the case as it now stands, and what the history says was done.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The case after the act.
    pub case: Case,
    /// The history's line, e.g. "received on 2026-11-02".
    pub said: String,
}

/// Records `act`, checked by the rulebook ([`casework`]) and at entry (`entering`; with
/// `allow_old`, a date more than a year ago is meant), in one transaction with a history line
/// naming `actor` (a console user's name, `cli:LOGIN` for the command line).
///
/// # Errors
/// [`StoreError::Refused`] (a rule or an entry check says no: its message is the one the user
/// reads), [`StoreError::NotFound`], [`StoreError::Duplicate`] (a new case's reference is
/// taken), or a database failure. Nothing is written on any error.
pub async fn record(
    act: Act,
    allow_old: bool,
    actor: Option<&str>,
    config: &Config,
    store: &Store,
    entering: &Entering,
) -> Result<Recorded, StoreError> {
    let rules = &config.rules;
    let command = format!("case {}", act.kind().word());
    // A rule's change, then the entry checks on what it made of the case (`what`, dated `on`).
    let checked = |what: &'static str, on: NaiveDate| Checked {
        store,
        actor,
        command: &command,
        entering,
        allow_old,
        what,
        on,
    };
    let (case, said) = match act {
        Act::Add {
            reference,
            received,
            subject,
            channel,
            applicant,
        } => {
            let mut case = Case::received(reference.clone(), received);
            case.subject = subject;
            case.channel = channel;
            case.applicant = applicant;
            entering
                .admit(None, &case, allow_old, "the receipt", received)
                .map_err(|message| StoreError::Refused {
                    reference,
                    message: message.into(),
                })?;
            let said = format!("received on {received}");
            store.add(&case, actor, &command, &said).await?;
            return Ok(Recorded { case, said });
        }
        Act::Forward {
            reference,
            section,
            on,
        } => {
            let known = config.section(&section).is_some();
            checked("the forwarding", on)
                .change(&reference, |c| casework::forward(c, section, on, known))
                .await?
        }
        Act::Extend {
            reference,
            days,
            approved_by,
            on,
            reason,
        } => {
            checked("the approval", on)
                .change(&reference, |c| {
                    casework::extend(c, days, &approved_by, on, reason, rules)
                })
                .await?
        }
        Act::Notice {
            reference,
            kind,
            on,
        } => {
            checked("the written notice", on)
                .change(&reference, |c| casework::notice(c, kind, on))
                .await?
        }
        Act::Suspend {
            reference,
            from,
            reason,
            note,
        } => {
            checked("the suspension", from)
                .change(&reference, |c| casework::suspend(c, from, reason, note))
                .await?
        }
        Act::Resume { reference, on } => {
            let mut said = String::new();
            let case = store
                .update(&reference, actor, &command, |c| {
                    let before = c.clone();
                    let s = casework::resume(c, on)?;
                    // art. 21: the clock runs again on that day, at most the next working day.
                    entering.admit_resumption(&before, c, allow_old, on)?;
                    said.clone_from(&s);
                    Ok(s)
                })
                .await?;
            (case, said)
        }
        Act::Correct {
            reference,
            received,
        } => {
            checked("the completed request", received)
                .change(&reference, |c| casework::correct(c, received))
                .await?
        }
        Act::Reply {
            reference,
            on,
            outcome,
            applicant,
        } => {
            checked("the reply", on)
                .change(&reference, |c| {
                    let said = casework::reply(c, on)?;
                    with_categories(c, said, outcome, applicant)
                })
                .await?
        }
        Act::Return {
            reference,
            on,
            reason,
        } => {
            checked("the return", on)
                .change(&reference, |c| casework::return_to_office(c, on, &reason))
                .await?
        }
        Act::Close {
            reference,
            on,
            reason,
            outcome,
            applicant,
        } => {
            let mut said = String::new();
            let case = store
                .update(&reference, actor, &command, |c| {
                    let s = casework::close(c, on, reason)?;
                    let s = with_categories(c, s, outcome, applicant)?;
                    // Always let a closure through, even of a case that cannot be counted: it
                    // is how such a case is finished (src/domain/entry.rs); only its date is
                    // checked.
                    entering.dating(allow_old).check("the closure", on)?;
                    said.clone_from(&s);
                    Ok(s)
                })
                .await?;
            (case, said)
        }
        Act::Outcome {
            reference,
            outcome,
            applicant,
        } => {
            let mut said = String::new();
            // No date of its own, and the case's dates do not change: no entry check.
            let case = store
                .update(&reference, actor, &command, |c| {
                    let s = casework::classify(c, outcome, applicant)?;
                    said.clone_from(&s);
                    Ok(s)
                })
                .await?;
            (case, said)
        }
    };
    Ok(Recorded { case, said })
}

/// The reply's or closure's history line `said`, with the categories given beside it recorded
/// too (Regulations art. 50).
fn with_categories(
    case: &mut Case,
    said: String,
    outcome: Option<Outcome>,
    applicant: Option<Applicant>,
) -> Result<String, casework::Refusal> {
    if outcome.is_none() && applicant.is_none() {
        return Ok(said);
    }
    let categories = casework::classify(case, outcome, applicant)?;
    Ok(format!("{said}; {categories}"))
}

/// What the acts but the receipt, the resumption and the closure share: a rule of the rulebook
/// changes the case, then the entry checks look at the case it made against the case before
/// (`what` happened `on`), in one store update.
struct Checked<'a> {
    store: &'a Store,
    actor: Option<&'a str>,
    command: &'a str,
    entering: &'a Entering,
    allow_old: bool,
    what: &'static str,
    on: NaiveDate,
}

impl Checked<'_> {
    /// Applies `rule` to case `reference` and checks the result; the case and what the change
    /// said.
    async fn change(
        self,
        reference: &Reference,
        rule: impl FnOnce(&mut Case) -> Result<String, casework::Refusal>,
    ) -> Result<(Case, String), StoreError> {
        let mut said = String::new();
        let case = self
            .store
            .update(reference, self.actor, self.command, |c| {
                let before = c.clone();
                let s = rule(c)?;
                self.entering
                    .admit(Some(&before), c, self.allow_old, self.what, self.on)?;
                said.clone_from(&s);
                Ok(s)
            })
            .await?;
        Ok((case, said))
    }
}
