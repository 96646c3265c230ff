//! `duewatch case …`, `duewatch status` and `duewatch db migrate`: recording cases from receipt
//! to reply, and seeing where they stand. A refused change exits 1 and writes nothing.

use std::io::Write;

use anyhow::Context;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde_json::json;

use super::{as_of_arg, count_arg, date_arg};
use crate::calendar::Calendar;
use crate::calendar::load;
use crate::config::Config;
use crate::domain::case::text::escaped;
use crate::domain::case::{
    Case, Channel, CloseReason, NoticeKind, Reference, SectionCode, Subject, SuspensionReason,
};
use crate::domain::casework;
use crate::domain::deadline::{self, CaseStatus, State};
use crate::domain::entry::Entering;
use crate::source::Source;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Record a request the office received.
    Add {
        /// The case's unique reference, e.g. 2026-0042.
        #[arg(long = "ref", value_parser = Reference::parse)]
        reference: Reference,
        /// The day the office received it, YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        received: NaiveDate,
        /// What is asked (no personal data of the applicant): one line, at most 200 characters.
        #[arg(long)]
        subject: Option<String>,
        /// How it arrived.
        #[arg(long, value_enum)]
        channel: Option<Channel>,
        #[command(flatten)]
        old: OldDates,
    },
    /// The office forwarded the case to a section (art. 19).
    Forward {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// The section's code (config [[sections]]).
        #[arg(long, value_parser = SectionCode::parse)]
        section: SectionCode,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        #[command(flatten)]
        old: OldDates,
    },
    /// The leadership extended the reply period (art. 20).
    Extend {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// Working days granted.
        #[arg(long, value_parser = count_arg)]
        days: u32,
        /// Who approved.
        #[arg(long)]
        approved_by: String,
        /// The day of approval, YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        old: OldDates,
    },
    /// The written notice to the applicant went out (arts. 20, 21).
    Notice {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// Which notice.
        #[arg(long, value_enum)]
        kind: NoticeKind,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        #[command(flatten)]
        old: OldDates,
    },
    /// The clock stops from a date (art. 21).
    Suspend {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// The first day the clock stands still, YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        from: NaiveDate,
        /// Why.
        #[arg(long, value_enum)]
        reason: SuspensionReason,
        /// A note.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        old: OldDates,
    },
    /// The clock runs again from a date (that day counts).
    Resume {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        #[command(flatten)]
        old: OldDates,
    },
    /// Correction (补正): the period starts again from the day the completed request arrived.
    Correct {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        received: NaiveDate,
        #[command(flatten)]
        old: OldDates,
    },
    /// The section answered.
    Reply {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        #[command(flatten)]
        old: OldDates,
    },
    /// Closed by other means: reminders stop.
    Close {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        /// Why.
        #[arg(long, value_enum)]
        reason: CloseReason,
        #[command(flatten)]
        old: OldDates,
    },
    /// One case, its deadlines with their explanation, and its history.
    Show {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        #[command(flatten)]
        view: View,
    },
    /// Record cases from a CSV file (UTF-8 or GBK): every row is checked first, and if any is
    /// bad, each bad row is reported with its line number and nothing is recorded.
    Import {
        /// The CSV file; its header names the columns (README, "Importing cases").
        file: std::path::PathBuf,
        /// How to read the file's bytes.
        #[arg(long, value_enum, default_value = "auto")]
        encoding: crate::import::Encoding,
        /// Check the file and say what would be recorded, but record nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        old: OldDates,
    },
    /// Cases, one a line.
    List {
        /// Only open cases (not answered, not closed).
        #[arg(long)]
        open: bool,
        /// Only cases forwarded to this section.
        #[arg(long, value_parser = SectionCode::parse)]
        section: Option<SectionCode>,
        #[command(flatten)]
        view: View,
    },
}

/// The confirmation an old date needs (src/entry.rs).
#[derive(Debug, Clone, Copy, Args)]
pub(super) struct OldDates {
    /// Accept a date more than a year before today (entering a backlog). Without it such a date
    /// is refused as a likely mistyped year; a date after today is always refused.
    #[arg(long)]
    allow_old: bool,
}

#[derive(Debug, Args)]
pub(super) struct View {
    /// As of this date instead of today (YYYY-MM-DD, 2000-01-01 to 2099-12-31).
    #[arg(long, value_parser = as_of_arg, value_name = "DATE")]
    as_of: Option<NaiveDate>,
    /// JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `duewatch db …`.
#[derive(Debug, Subcommand)]
pub(super) enum DbCommand {
    /// Apply the database migrations (the daemon does this on start too).
    Migrate,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.url).await?;
    store.migrate().await?;
    Ok(store)
}

pub(super) fn db(
    out: &mut dyn Write,
    command: DbCommand,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    match command {
        DbCommand::Migrate => {
            runtime()?.block_on(open_store(config))?;
            writeln!(
                out,
                "migrations applied to {}",
                crate::config::mask(&config.database.url)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(run_async(out, command, config))
}

/// The write commands' refusal when the cases live in a case system.
fn read_only(command: &Command, config: &Config) -> anyhow::Result<()> {
    if config.cases.source == crate::config::CaseSource::Builtin {
        return Ok(());
    }
    let name = match command {
        Command::Show { .. } | Command::List { .. } => return Ok(()),
        Command::Add { .. } => "add",
        Command::Forward { .. } => "forward",
        Command::Extend { .. } => "extend",
        Command::Notice { .. } => "notice",
        Command::Suspend { .. } => "suspend",
        Command::Resume { .. } => "resume",
        Command::Correct { .. } => "correct",
        Command::Reply { .. } => "reply",
        Command::Close { .. } => "close",
        Command::Import { .. } => "import",
    };
    anyhow::bail!(
        "`duewatch case {name}` changes nothing here: cases are read from the case system at \
         cases.url ({}); change them there\n  help: duewatch sees the change at its next poll; \
         `duewatch status` shows it",
        crate::config::mask(config.cases.url())
    )
}

/// The entry checks of a case command ([`crate::domain::entry`]): for a command that writes,
/// the calendar to count on and today (`DUEWATCH_TODAY` when set).
///
/// # Errors
/// The calendar cannot be loaded, or `DUEWATCH_TODAY` is not a date.
fn entering(writes: bool, config: &Config) -> anyhow::Result<Entering> {
    Ok(if writes {
        Entering::new(
            Some(load::load(&config.calendar.dir)?.calendar),
            config.rules.clone(),
            entry_today(config)?,
        )
    } else {
        Entering::new(None, config.rules.clone(), config.timezone.today())
    })
}

/// Today for the entry checks: `DUEWATCH_TODAY` (YYYY-MM-DD) when set, else today in
/// `timezone`. The variable is for tests, and for entering records as of another day.
fn entry_today(config: &Config) -> anyhow::Result<NaiveDate> {
    match std::env::var("DUEWATCH_TODAY") {
        Ok(v) => crate::calendar::file::parse_date(v.trim()).map_err(|e| {
            anyhow::anyhow!(
                "the environment variable DUEWATCH_TODAY: {e}\n  help: give a date YYYY-MM-DD, \
                 or unset it to use today"
            )
        }),
        Err(_) => Ok(config.timezone.today()),
    }
}

async fn run_async(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    read_only(&command, config)?;
    let store = open_store(config).await?;
    let source = Source::open(config, &store).await?;
    let rules = &config.rules;
    let writes = !matches!(command, Command::Show { .. } | Command::List { .. });
    let entering = entering(writes, config)?;
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
            store.add(&case, "case add", &said).await?;
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
                .update(&reference, "case forward", |c| {
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
                .update(&reference, "case extend", |c| {
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
                .update(&reference, "case notice", |c| {
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
                .update(&reference, "case suspend", |c| {
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
                .update(&reference, "case resume", |c| {
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
                .update(&reference, "case correct", |c| {
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
                .update(&reference, "case reply", |c| {
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
                .update(&reference, "case close", |c| {
                    let said = casework::close(c, on, reason)?;
                    // Always let a closure through, even of a case that cannot be counted: it
                    // is how such a case is finished (src/entry.rs); only its date is checked.
                    entering
                        .dating(old.allow_old)
                        .check("the closure", on)
                        .map(|()| said)
                        .map_err(Into::into)
                })
                .await;
            (reference, "close", r)
        }
        Command::Show { reference, view } => {
            let cal = load::load(&config.calendar.dir)?.calendar;
            let today = view.as_of.unwrap_or_else(|| config.timezone.today());
            let Some((case, history)) = source.get(&reference).await? else {
                anyhow::bail!(
                    "case {reference} does not exist\n  help: `duewatch case list` shows the references"
                );
            };
            let status = deadline::evaluate(&case, rules, &cal, today)?;
            show(out, &case, &status, &history, view.json)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Import {
            file,
            encoding,
            dry_run,
            old,
        } => {
            let source = ImportSource {
                file: &file,
                encoding,
                dry_run,
                old,
            };
            return import(out, &store, config, &entering, &source).await;
        }
        Command::List {
            open,
            section,
            view,
        } => {
            let cal = load::load(&config.calendar.dir)?.calendar;
            let today = view.as_of.unwrap_or_else(|| config.timezone.today());
            let listing = Listing {
                open_only: open,
                section: section.as_ref(),
                today,
                as_json: view.json,
            };
            return list(out, &source, &cal, config, &listing).await;
        }
    };
    result?;
    writeln!(out, "{reference}: {name} recorded")?;
    Ok(ExitCode::SUCCESS)
}

/// What `case import` reads, and how.
struct ImportSource<'a> {
    file: &'a std::path::Path,
    encoding: crate::import::Encoding,
    dry_run: bool,
    old: OldDates,
}

/// `duewatch case import`: all rows or none.
async fn import(
    out: &mut dyn Write,
    store: &Store,
    config: &Config,
    entering: &Entering,
    source: &ImportSource<'_>,
) -> anyhow::Result<ExitCode> {
    let ImportSource {
        file,
        encoding,
        dry_run,
        old,
    } = *source;
    let shown = file.display();
    let bytes = std::fs::read(file).with_context(|| format!("reading {shown}"))?;
    let text =
        crate::import::decode(&bytes, encoding).map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let (rows, mut problems) = crate::import::parse(&text, config);
    let taken = store.taken(rows.iter().map(|r| &r.case.reference)).await?;
    for row in rows.iter().filter(|r| taken.contains(&r.case.reference)) {
        problems.push(crate::import::Problem {
            line: row.line,
            message: format!(
                "case {} exists already: references are unique",
                row.case.reference
            ),
        });
    }
    problems.extend(crate::import::entry_problems(
        &rows,
        entering,
        old.allow_old,
    ));
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        for p in &problems {
            eprintln!("{shown}:{}: {}", p.line, escaped(&p.message, true));
        }
        eprintln!(
            "{} problem(s); nothing was imported\n  help: correct the rows named above and import the file again",
            problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    if dry_run {
        writeln!(
            out,
            "{shown}: {} case(s) are good; nothing recorded (--dry-run)",
            rows.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let entries: Vec<(&Case, String)> = rows
        .iter()
        .map(|r| {
            (
                &r.case,
                format!("imported from {shown}:{}: {}", r.line, r.said),
            )
        })
        .collect();
    store.add_all(&entries, "case import").await?;
    writeln!(out, "{shown}: {} case(s) imported", rows.len())?;
    Ok(ExitCode::SUCCESS)
}

/// `duewatch status`: every open case's current stage.
pub(super) fn status(out: &mut dyn Write, view: View, config: &Config) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open_store(config).await?;
        let source = Source::open(config, &store).await?;
        let cal = load::load(&config.calendar.dir)?.calendar;
        let listing = Listing {
            open_only: true,
            section: None,
            today: view.as_of.unwrap_or_else(|| config.timezone.today()),
            as_json: view.json,
        };
        list(out, &source, &cal, config, &listing).await
    })
}

/// What `status` and `case list` show.
struct Listing<'a> {
    open_only: bool,
    section: Option<&'a SectionCode>,
    today: NaiveDate,
    as_json: bool,
}

/// Streams one line (or one JSON object) per case, in reference order, as the store reads them:
/// memory stays bounded however many cases there are. A case that cannot be evaluated is named
/// on stderr, the others are listed, and the exit code is 1.
async fn list(
    out: &mut dyn Write,
    source: &Source,
    cal: &Calendar,
    config: &Config,
    listing: &Listing<'_>,
) -> anyhow::Result<ExitCode> {
    let mut shown = 0_u64;
    let mut bad = 0_u64;
    let mut unconfigured = 0_u64;
    if listing.as_json {
        write!(out, "[")?;
    }
    source
        .scan(listing.open_only, |case| {
            let case = match case {
                Ok(case) => case,
                Err(e) => {
                    bad += 1;
                    // A case system's values are quoted in the message: escaped for the terminal.
                    eprintln!("{}", escaped(&e.to_string(), true));
                    return Ok(());
                }
            };
            if listing.section.is_some() && case.section.as_ref() != listing.section {
                return Ok(());
            }
            let status = match deadline::evaluate(&case, &config.rules, cal, listing.today) {
                Ok(s) => s,
                Err(e) => {
                    // One bad case does not hide the others.
                    bad += 1;
                    eprintln!(
                        "case {}: its deadlines cannot be counted: {}\n  help: {}; until then the \
                         case is not watched",
                        case.reference,
                        escaped(&e.to_string(), true),
                        if config.cases.source == crate::config::CaseSource::Builtin {
                            crate::domain::casework::how_to_fix(&case.reference)
                        } else {
                            "correct the date in the case system".to_owned()
                        }
                    );
                    return Ok(());
                }
            };
            if let Some(code) = &case.section
                && status.current.is_some()
                && config.section(code).is_none()
            {
                // Listed all the same (its deadline stands); its mail goes to the office.
                unconfigured += 1;
                eprintln!(
                    "case {}: section \"{code}\" is not configured; the case's mail goes to the \
                     office\n  help: add a [[sections]] entry with code = \"{code}\" back to the \
                     config (a section renamed keeps its code)",
                    case.reference
                );
            }
            let row = row_json(&case, &status);
            if listing.as_json {
                writeln!(out, "{}", if shown == 0 { "" } else { "," })?;
                serde_json::to_writer(&mut *out, &row)?;
            } else {
                write_row(out, &row)?;
            }
            shown += 1;
            Ok(())
        })
        .await?;
    if listing.as_json {
        writeln!(out, "{}]", if shown == 0 { "" } else { "\n" })?;
    }
    if bad > 0 {
        eprintln!(
            "{bad} case(s) could not be evaluated (named above); the other {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    if unconfigured > 0 {
        eprintln!(
            "{unconfigured} open case(s) name a section that is not configured (named above); \
             all {shown} are listed"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn write_row(out: &mut dyn Write, r: &serde_json::Value) -> std::io::Result<()> {
    let s = |k: &str| {
        r[k].as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| "-".to_owned())
    };
    let n = |k: &str| r[k].as_u64().map_or("-".to_owned(), |v| v.to_string());
    writeln!(
        out,
        "{:<12} {:<8} {:<8} due {:<10} remaining {:<3} overdue_by {:<3} {:<9}{}{}{}{}",
        s("reference"),
        s("stage"),
        s("responsible"),
        s("due"),
        n("remaining"),
        n("overdue_by"),
        s("level"),
        if r["suspended"] == true {
            " suspended"
        } else {
            ""
        },
        if r["provisional"] == true {
            " provisional"
        } else {
            ""
        },
        if r["late_extension"] == true {
            " late extension"
        } else {
            ""
        },
        if r["late_suspension"] == true {
            " late suspension"
        } else {
            ""
        },
    )
}

fn row_json(case: &Case, status: &CaseStatus) -> serde_json::Value {
    let stage = status
        .current
        .and_then(|c| status.stages.iter().find(|s| s.stage == c))
        .or_else(|| status.stages.last());
    let Some(stage) = stage else {
        return json!({ "reference": case.reference, "stage": null, "responsible": null, "due": null,
            "remaining": null, "overdue_by": null, "level": null, "provisional": false,
            "suspended": false, "closed": case.closed_on.is_some() });
    };
    json!({
        "reference": case.reference,
        "stage": stage.stage.as_str(),
        "responsible": stage.responsible.as_str(),
        "due": stage.due.map(|d| d.to_string()),
        "remaining": stage.remaining,
        "overdue_by": stage.overdue_by,
        "level": stage.level.map(|l| l.as_str()),
        "provisional": stage.provisional,
        "suspended": matches!(stage.state, State::Suspended { .. }),
        "late_extension": !stage.late_extensions.is_empty(),
        "late_suspension": !stage.late_suspensions.is_empty(),
        "notices_missing": status.notices.iter().filter(|n| n.missing).count(),
    })
}

fn show(
    out: &mut dyn Write,
    case: &Case,
    status: &CaseStatus,
    history: &[(String, String, String)],
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        let h: Vec<_> = history
            .iter()
            .map(|(at, command, change)| {
                json!({ "at": at, "command": command, "change": escaped(change, false) })
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({ "case": case, "status": status, "history": h }),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "case {}  {}",
        case.reference,
        case.subject.as_deref().unwrap_or("")
    )?;
    for s in &status.stages {
        let state = match s.state {
            State::Running => "running".to_owned(),
            State::Suspended {
                since,
                working_days,
            } => {
                format!("suspended since {since} ({working_days} working days)")
            }
            State::DoneOnTime => "done on time".to_owned(),
            State::DoneLate { by } => format!("done late by {by} working days"),
        };
        writeln!(
            out,
            "{} ({}): {}{}{}{}",
            s.stage.as_str(),
            s.responsible.as_str(),
            state,
            s.due.map(|d| format!(", due {d}")).unwrap_or_default(),
            s.level
                .map(|l| format!(", {}", l.as_str()))
                .unwrap_or_default(),
            if s.provisional { ", provisional" } else { "" }
        )?;
        if !s.late_extensions.is_empty() {
            writeln!(
                out,
                "  late extension: approved after the deadline it extends (art. 20)"
            )?;
        }
        if !s.late_suspensions.is_empty() {
            writeln!(
                out,
                "  late suspension: began after the deadline had passed; the clock was not \
                 stopped (art. 21)"
            )?;
        }
        for line in &s.explanation {
            writeln!(out, "  {}", escaped(line, false))?;
        }
    }
    for n in &status.notices {
        writeln!(
            out,
            "written notice of the {} of {}: {} (due {})",
            n.kind,
            n.event_on,
            if n.missing { "MISSING" } else { "pending" },
            n.due
        )?;
    }
    writeln!(out, "history:")?;
    // History written before text was checked at input may hold anything: escaped.
    for (at, command, change) in history {
        writeln!(
            out,
            "  {}  {}: {}",
            escaped(at, false),
            escaped(command, false),
            escaped(change, false)
        )?;
    }
    Ok(())
}
