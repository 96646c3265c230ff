//! The case commands that record an act, from receipt to reply: `case add`, `forward`, `extend`,
//! `notice`, `suspend`, `resume`, `correct`, `reply`, `close`. Each change goes through
//! [`crate::domain::casework`] (the rulebook's transitions) and the entry checks
//! ([`crate::domain::entry`]) inside one store update: a refused change exits 1 and writes
//! nothing.

use std::io::Write;
use std::process::ExitCode;

use super::Command;
use crate::config::Config;
use crate::domain::case::{Case, Subject};
use crate::domain::casework;
use crate::domain::entry::Entering;
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
    let rules = &config.rules;
    let actor = crate::cli::actor();
    let actor = Some(actor.as_str());
    let (reference, name, result) = match command {
        Command::Add {
            reference,
            received,
            subject,
            channel,
            old,
        } => {
            let mut case = Case::received(reference.clone(), received);
            // Parsed here rather than by clap, whose error would print the raw text.
            case.subject = subject
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
            case.channel = channel;
            entering
                .admit(None, &case, old.allow_old, "the receipt", received)
                .map_err(|message| crate::store::StoreError::Refused {
                    reference: reference.clone(),
                    message: message.into(),
                })?;
            let said = format!("received on {received}");
            store.add(&case, actor, "case add", &said).await?;
            writeln!(out, "{reference}: {said}")?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Forward {
            reference,
            section,
            on,
            old,
        } => {
            let known = config.section(&section).is_some();
            let r = store
                .update(&reference, actor, "case forward", |c| {
                    let before = c.clone();
                    let said = casework::forward(c, section, on, known)?;
                    entering
                        .admit(Some(&before), c, old.allow_old, "the forwarding", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "forward", r)
        }
        Command::Extend {
            reference,
            days,
            approved_by,
            on,
            reason,
            old,
        } => {
            let r = store
                .update(&reference, actor, "case extend", |c| {
                    let before = c.clone();
                    let said = casework::extend(c, days, &approved_by, on, reason, rules)?;
                    entering
                        .admit(Some(&before), c, old.allow_old, "the approval", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "extend", r)
        }
        Command::Notice {
            reference,
            kind,
            on,
            old,
        } => {
            let r = store
                .update(&reference, actor, "case notice", |c| {
                    let before = c.clone();
                    let said = casework::notice(c, kind, on)?;
                    entering
                        .admit(Some(&before), c, old.allow_old, "the written notice", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "notice", r)
        }
        Command::Suspend {
            reference,
            from,
            reason,
            note,
            old,
        } => {
            let r = store
                .update(&reference, actor, "case suspend", |c| {
                    let before = c.clone();
                    let said = casework::suspend(c, from, reason, note)?;
                    entering
                        .admit(Some(&before), c, old.allow_old, "the suspension", from)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "suspend", r)
        }
        Command::Resume { reference, on, old } => {
            let r = store
                .update(&reference, actor, "case resume", |c| {
                    let before = c.clone();
                    let said = casework::resume(c, on)?;
                    entering
                        .admit_resumption(&before, c, old.allow_old, on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "resume", r)
        }
        Command::Correct {
            reference,
            received,
            old,
        } => {
            let r = store
                .update(&reference, actor, "case correct", |c| {
                    let before = c.clone();
                    let said = casework::correct(c, received)?;
                    entering
                        .admit(
                            Some(&before),
                            c,
                            old.allow_old,
                            "the completed request",
                            received,
                        )
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "correct", r)
        }
        Command::Reply { reference, on, old } => {
            let r = store
                .update(&reference, actor, "case reply", |c| {
                    let before = c.clone();
                    let said = casework::reply(c, on)?;
                    entering
                        .admit(Some(&before), c, old.allow_old, "the reply", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "reply", r)
        }
        Command::Close {
            reference,
            on,
            reason,
            old,
        } => {
            let r = store
                .update(&reference, actor, "case close", |c| {
                    let said = casework::close(c, on, reason)?;
                    // Always let a closure through, even of a case that cannot be counted: it
                    // is how such a case is finished (src/domain/entry.rs); only its date is
                    // checked.
                    entering
                        .dating(old.allow_old)
                        .check("the closure", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "close", r)
        }
        Command::Show { .. } | Command::Import { .. } | Command::List { .. } => {
            unreachable!("case show, import and list are dispatched in cli/case/mod.rs")
        }
    };
    result?;
    writeln!(out, "{reference}: {name} recorded")?;
    Ok(ExitCode::SUCCESS)
}
