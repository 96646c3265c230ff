//! The rulebook's rules, pure: no configuration loading, no I/O, no clock, no sqlx (clap only as
//! the `ValueEnum` derive of the four text enums of [`case`], so the command line can name them)
//! (nor `crate::config`, tests included: they build the domain's values themselves). A change to
//! a case is refused with a [`Refusal`]: a rule's ([`casework::Refusal`]) or an entry check's
//! ([`entry::Refusal`]).

pub mod account;
pub mod address;
pub mod annual;
pub mod case;
pub mod casework;
pub mod channel;
pub mod deadline;
pub mod entry;
pub mod escalation;
pub mod outcome;
pub mod parties;
pub mod report;

/// Why a change to a case is refused, nothing written: a rule of the rulebook
/// ([`casework::Refusal`], arts. 19–21) or a check at entry ([`entry::Refusal`]: an implausible
/// date, a case that could not be counted). `Display` is the message the user reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A rule of the rulebook.
    #[error(transparent)]
    Rule(#[from] casework::Refusal),
    /// A check at entry.
    #[error(transparent)]
    Entry(#[from] entry::Refusal),
}
