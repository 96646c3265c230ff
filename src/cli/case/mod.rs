//! `duewatch case …` and `duewatch status`: recording cases from receipt to reply, and seeing
//! where they stand. This file holds the grammar of the case commands, their dispatch, the
//! refusal of the write commands when cases live in a case system, and the entry checks every
//! write command runs (the calendar to count on and today, `DUEWATCH_TODAY` when set). The
//! commands themselves:
//!
//! - `acts.rs`: the commands that record an act (`add`, `forward`, `extend`, `notice`,
//!   `suspend`, `resume`, `correct`, `reply`, `close`, `outcome`); a refused change exits 1
//!   and writes nothing;
//! - `import.rs`: `case import`, all rows or none;
//! - `list.rs`: `case list` and `status`, and the row's JSON;
//! - `show.rs`: `case show`.

mod acts;
mod import;
mod list;
mod show;

pub(super) use list::status;

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::{as_of_arg, count_arg, date_arg, open_store, runtime};
use crate::calendar::load;
use crate::config::Config;
use crate::domain::case::{
    Channel, CloseReason, NoticeKind, Reference, SectionCode, SuspensionReason,
};
use crate::domain::entry::Entering;
use crate::source::Source;

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Record a request the office received.
    ///
    /// The day of receipt is fixed by the channel (Regulations art. 31): in person, the day it
    /// was handed in; by registered mail (挂号信、快递), the day the office signed for it; by
    /// ordinary mail, online (the portal, e-mail) or fax, the day the office confirmed receipt
    /// with the applicant. Enter that day as --received: both clocks (the rulebook's and the
    /// Regulations') count from it.
    Add {
        /// The case's unique reference, e.g. 2026-0042.
        #[arg(long = "ref", value_parser = Reference::parse)]
        reference: Reference,
        /// The day of receipt, YYYY-MM-DD (Regulations art. 31): in person, that day; registered
        /// mail, the day signed for; ordinary mail, online, fax, the day receipt was confirmed
        /// with the applicant.
        #[arg(long, value_parser = date_arg)]
        received: NaiveDate,
        /// What is asked (no personal data of the applicant): one line, at most 200 characters.
        #[arg(long)]
        subject: Option<String>,
        /// How it arrived.
        #[arg(long, value_enum)]
        channel: Option<Channel>,
        /// Who asked, as a category of the annual report (no personal data): a code or its
        /// Chinese name, e.g. natural_person (自然人), business (商业企业).
        #[arg(long, value_name = "CATEGORY")]
        applicant: Option<String>,
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
        categories: Categories,
        #[command(flatten)]
        old: OldDates,
    },
    /// The section gave the case back as not its own (退回): the forward stage is open again
    /// and the office forwards it anew (改派) with `case forward`; the reply stage then starts
    /// afresh at the new section. The office's clock keeps running from receipt unless
    /// rules.return_restarts_forward = true.
    Return {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        /// The day it was given back, YYYY-MM-DD.
        #[arg(long, value_parser = date_arg)]
        on: NaiveDate,
        /// Why it is not the section's: one line.
        #[arg(long)]
        reason: String,
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
        categories: Categories,
        #[command(flatten)]
        old: OldDates,
    },
    /// How an answered or closed case ended and who asked, for the annual report (record or
    /// correct it after the reply or closure; the history keeps the old value).
    Outcome {
        /// The case.
        #[arg(value_parser = Reference::parse)]
        reference: Reference,
        #[command(flatten)]
        categories: Categories,
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
        /// The CSV file; its header names the columns (docs/administrator.md, "Importing cases").
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

/// The annual report's categories of a case (src/domain/outcome.rs): given as text and parsed
/// by the command, so that a refusal names the case.
#[derive(Debug, Clone, Args)]
#[group(id = "categories", multiple = true)]
pub(super) struct Categories {
    /// How it ended, a row of the annual report's table 3: a code or its Chinese name, e.g.
    /// disclosed (予以公开), partly_disclosed (部分公开), withheld.state_secret
    /// (不予公开：属于国家秘密), unavailable.not_held (本机关不掌握相关政府信息); docs/reference.md
    /// lists all 21.
    #[arg(long, value_name = "CATEGORY", long_help = outcome_help())]
    outcome: Option<String>,
    /// Who asked, a column of the table: natural_person (自然人), business (商业企业), research
    /// (科研机构), public_interest (社会公益组织), legal_service (法律服务机构),
    /// other_organisation (其他).
    #[arg(long, value_name = "CATEGORY")]
    applicant: Option<String>,
}

/// `--outcome`'s long help: every category, its code and its name in the format.
fn outcome_help() -> String {
    let mut help = String::from(
        "How it ended, a row of the annual report's table 3: the code or the Chinese name (the \
         leaf's, or group and leaf, e.g. 不予公开：属于国家秘密). The categories:\n",
    );
    for o in crate::domain::outcome::Outcome::ALL {
        help.push_str(&format!("  {:<32} {}\n", o.code(), o.full_name()));
    }
    help
}

/// The confirmation an old date needs (src/domain/entry.rs).
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
        Command::Return { .. } => "return",
        Command::Outcome { .. } => "outcome",
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
            Some(std::sync::Arc::new(
                load::load(&config.calendar.dir)?.calendar,
            )),
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
    let writes = !matches!(command, Command::Show { .. } | Command::List { .. });
    let entering = entering(writes, config)?;
    match command {
        Command::Show { reference, view } => {
            show::run(out, &source, &store, config, &reference, &view).await
        }
        Command::Import {
            file,
            encoding,
            dry_run,
            old,
        } => {
            let source = import::ImportSource {
                file: &file,
                encoding,
                dry_run,
                old,
            };
            import::import(out, &store, config, &entering, &source).await
        }
        Command::List {
            open,
            section,
            view,
        } => list::run(out, &source, config, open, section.as_ref(), &view).await,
        act => acts::record(out, act, config, &store, &entering).await,
    }
}
