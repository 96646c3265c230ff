//! The case commands that record an act, from receipt to reply: `case add`, `forward`, `extend`,
//! `notice`, `suspend`, `resume`, `correct`, `reply`, `close`, `return`, and `outcome` (the
//! annual report's categories of a finished case; `--outcome` and `--applicant` are parsed here,
//! so that a refusal names the case). Each is mapped onto
//! [`crate::acts::Act`] and recorded by [`crate::acts::record`], the path the console and the
//! write API take too: a refused change exits 1 and writes nothing.

use std::io::Write;
use std::process::ExitCode;

use super::{Categories, Command};
use crate::acts::{self, Act};
use crate::config::Config;
use crate::domain::case::Reference;
use crate::domain::case::Subject;
use crate::domain::entry::Entering;
use crate::domain::outcome::{Applicant, Outcome};
use crate::store::Store;

/// Records the act `command` names, and says so on stdout.
///
/// # Errors
/// The act is refused (by the rules or the entry checks), or the store fails.
pub(super) async fn record(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
    store: &Store,
    entering: &Entering,
) -> anyhow::Result<ExitCode> {
    let (act, old) = act(command)?;
    let kind = act.kind();
    let reference = act.reference().clone();
    let actor = crate::cli::actor();
    let recorded = acts::record(
        act,
        old.allow_old,
        Some(actor.as_str()),
        config,
        store,
        entering,
    )
    .await?;
    if kind == crate::domain::account::Act::Add {
        writeln!(out, "{reference}: {}", recorded.said)?;
    } else {
        writeln!(out, "{reference}: {} recorded", kind.word())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The act a command names, and its `--allow-old`.
///
/// # Errors
/// `--subject` is not one line of at most 200 characters.
fn act(command: Command) -> anyhow::Result<(Act, super::OldDates)> {
    Ok(match command {
        Command::Add {
            reference,
            received,
            subject,
            channel,
            applicant,
            old,
        } => {
            let applicant = category(&reference, "--applicant", applicant, Applicant::parse)?;
            // Parsed here rather than by clap, whose error would print the raw text.
            let subject = subject
                .as_deref()
                .map(Subject::parse)
                .transpose()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "case {reference}: --subject {e}\n  help: a subject is one line of at most \
                         {} characters, without control characters; nothing was recorded",
                        crate::domain::case::text::MAX_CHARS
                    )
                })?;
            let act = Act::Add {
                reference,
                received,
                subject,
                channel,
                applicant,
            };
            (act, old)
        }
        Command::Forward {
            reference,
            section,
            on,
            old,
        } => (
            Act::Forward {
                reference,
                section,
                on,
            },
            old,
        ),
        Command::Extend {
            reference,
            days,
            approved_by,
            on,
            reason,
            old,
        } => (
            Act::Extend {
                reference,
                days,
                approved_by,
                on,
                reason,
            },
            old,
        ),
        Command::Notice {
            reference,
            kind,
            on,
            old,
        } => (
            Act::Notice {
                reference,
                kind,
                on,
            },
            old,
        ),
        Command::Suspend {
            reference,
            from,
            reason,
            note,
            old,
        } => (
            Act::Suspend {
                reference,
                from,
                reason,
                note,
            },
            old,
        ),
        Command::Resume { reference, on, old } => (Act::Resume { reference, on }, old),
        Command::Correct {
            reference,
            received,
            old,
        } => (
            Act::Correct {
                reference,
                received,
            },
            old,
        ),
        Command::Reply {
            reference,
            on,
            categories,
            old,
        } => {
            let (outcome, applicant) = categories_of(&reference, categories)?;
            let act = Act::Reply {
                reference,
                on,
                outcome,
                applicant,
            };
            (act, old)
        }
        Command::Close {
            reference,
            on,
            reason,
            categories,
            old,
        } => {
            let (outcome, applicant) = categories_of(&reference, categories)?;
            let act = Act::Close {
                reference,
                on,
                reason,
                outcome,
                applicant,
            };
            (act, old)
        }
        Command::Outcome {
            reference,
            categories,
        } => {
            let (outcome, applicant) = categories_of(&reference, categories)?;
            let act = Act::Outcome {
                reference,
                outcome,
                applicant,
            };
            (act, super::OldDates { allow_old: false })
        }
        Command::Return {
            reference,
            on,
            reason,
            old,
        } => (
            Act::Return {
                reference,
                on,
                reason,
            },
            old,
        ),
        Command::Show { .. } | Command::Import { .. } | Command::List { .. } => {
            unreachable!("case show, import and list are dispatched in cli/case/mod.rs")
        }
    })
}

/// `--outcome` and `--applicant`, parsed (Chinese names or codes).
///
/// # Errors
/// A value that is no category, naming the case and the flag; nothing is recorded.
fn categories_of(
    reference: &Reference,
    categories: Categories,
) -> anyhow::Result<(Option<Outcome>, Option<Applicant>)> {
    Ok((
        category(reference, "--outcome", categories.outcome, Outcome::parse)?,
        category(
            reference,
            "--applicant",
            categories.applicant,
            Applicant::parse,
        )?,
    ))
}

/// A category flag's value parsed by `parse`; a refusal names the case and the flag.
fn category<T>(
    reference: &Reference,
    flag: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<Option<T>> {
    value
        .as_deref()
        .map(parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("case {reference}: {flag} {e}"))
}
