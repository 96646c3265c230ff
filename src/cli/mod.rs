//! The command line: `duewatch <group> <command>`, parsed with clap. This module defines the
//! grammar, dispatches, and holds what every group shares (the argument parsers for dates and
//! counts, the async runtime, opening the store); each group's commands live in their own file
//! and print for people and scripts (stable output on stdout, explanations on stderr):
//!
//! - `calendar.rs`: `calendar due|count|explain|check|diff|show|import`;
//! - `case/`: `case …` (recording acts, import, list, show) and `status`;
//! - `report.rs`: `report` and `ics`;
//! - `db.rs`: `db migrate|backup`;
//! - `run.rs`: `run` (the daemon, or one pass with `--once`);
//! - `mail.rs`: `mail test`;
//! - `outbox.rs`: `outbox list|retry`;
//! - `config.rs`: `config check|show`;
//! - `health.rs`: `health`;
//! - `feed.rs`: `feed token|list|revoke` (the sections' calendar feed tokens);
//! - `user.rs`: `user add|list|passwd|disable|enable` (the console's accounts);
//! - `token.rs`: `token add|list|revoke` (the API's bearer tokens);
//! - `generate.rs`: `generate man|completions` (hidden: for the packages' build).
//!
//! Exit codes: 0 success, 1 a failed check or a refused operation, 2 bad arguments.

mod calendar;
mod case;
mod config;
mod db;
mod feed;
mod generate;
mod health;
mod mail;
mod outbox;
mod report;
mod run;
mod token;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::calendar::file::parse_date;
use crate::store::Store;

/// `duewatch --version`: the version and the commit built from (build.rs; "unknown" from a
/// tarball without .git).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("DUEWATCH_COMMIT"),
    ")"
);

/// duewatch watches the deadlines of information-disclosure requests.
#[derive(Debug, Parser)]
#[command(name = "duewatch", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// Config file [default: /etc/duewatch/duewatch.toml when it exists, else built-in defaults]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The working-day calendar: count periods, explain them, check and import calendar files.
    #[command(subcommand)]
    Calendar(calendar::Command),
    /// Record disclosure requests from receipt to reply, and look at them.
    #[command(subcommand)]
    Case(case::Command),
    /// Every open case's current stage, deadline and escalation level.
    Status {
        #[command(flatten)]
        view: case::View,
    },
    /// Supervision report for a period (arts. 23, 24): per section and for the office, handled,
    /// on time, late, overdue, extensions, suspensions, notices missing; then the late and
    /// overdue cases.
    Report(report::ReportArgs),
    /// A section's open deadlines as an iCalendar file, for a calendar app.
    Ics(report::IcsArgs),
    /// The tokens of the sections' calendar feeds on the console (/feeds/SECTION.ics).
    #[command(subcommand)]
    Feed(feed::Command),
    /// The users of the console and the API, and their roles.
    #[command(subcommand)]
    User(user::Command),
    /// The API's bearer tokens, each acting as a user.
    #[command(subcommand)]
    Token(token::Command),
    /// The database.
    #[command(subcommand)]
    Db(db::Command),
    /// Reconcile and deliver: work out who must hear of which case, and send it.
    Run(run::RunArgs),
    /// Mail: send a test mail.
    #[command(subcommand)]
    Mail(mail::Command),
    /// The outbox of mail: list it, retry a message.
    #[command(subcommand)]
    Outbox(outbox::Command),
    /// The configuration: check it, show it.
    #[command(subcommand)]
    Config(config::Command),
    /// Is duewatch doing its job? Exit 1 when the last successful poll is too old, dead
    /// letters wait, or the last poll could not watch some open cases (for a monitor).
    Health {
        /// The oldest a successful poll may be, seconds [default: three poll intervals].
        #[arg(long, value_name = "SECS")]
        max_age: Option<u64>,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Man pages and shell completions from these definitions, for the packages' build.
    #[command(subcommand, hide = true)]
    Generate(generate::Command),
}

/// Parses the command line, runs the command and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap quotes a refused argument as given: one with control characters is printed
        // escaped (without colours), so that it cannot drive the terminal.
        Err(e) if crate::domain::case::text::escaped(&e.to_string(), true) != e.to_string() => {
            eprint!(
                "{}",
                crate::domain::case::text::escaped(&e.to_string(), true)
            );
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => e.exit(),
    };
    // Buffered: `status` over 100,000 cases would otherwise make a write(2) per line.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = run(&mut out, cli).and_then(|code| {
        std::io::Write::flush(&mut out)?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // A reader that stopped early (`| head`) is not a failure of ours.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Values quoted in a message (a case's, a file's) may hold control characters; each
            // cause is said once (sqlx repeats a database error's cause as its source).
            eprintln!(
                "error: {}",
                crate::domain::case::text::escaped(&crate::error::chain(&e), true)
            );
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(out: &mut dyn std::io::Write, cli: Cli) -> anyhow::Result<ExitCode> {
    // Needs no configuration (the packages' build machine has none).
    if let Command::Generate(command) = cli.command {
        return generate::run(out, command);
    }
    let (config, _origin) = crate::config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Calendar(command) => calendar::run(out, command, &config),
        Command::Case(command) => case::run(out, command, &config),
        Command::Status { view } => case::status(out, view, &config),
        Command::Db(command) => db::run(out, command, &config),
        Command::Feed(command) => feed::run(out, command, &config),
        Command::User(command) => user::run(out, command, &config),
        Command::Token(command) => token::run(out, command, &config),
        Command::Report(args) => report::report(out, args, &config),
        Command::Ics(args) => report::ics(out, args, &config),
        Command::Run(args) => run::run(out, args, config),
        Command::Mail(command) => mail::run(out, command, config),
        Command::Outbox(command) => outbox::run(out, command, config),
        Command::Config(command) => config::run(out, command, config, cli.config.as_deref()),
        Command::Health { max_age, json } => health::run(out, max_age, json, config),
        Command::Generate(_) => unreachable!("dispatched before the configuration is loaded"),
    }
}

/// Who the command line's changes are made by, for the history: `cli:` and the login name
/// (`$USER`, else `$LOGNAME`, else the user id as a number).
pub fn actor() -> String {
    let name = ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|var| std::env::var(var).ok())
        .map(|name| name.trim().to_owned())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| {
            use std::os::unix::fs::MetadataExt as _;
            // /proc/self belongs to the process's (effective) user: its id, without `unsafe`.
            std::fs::metadata("/proc/self")
                .map(|m| m.uid().to_string())
                .unwrap_or_else(|_| "unknown".to_owned())
        });
    format!("cli:{name}")
}

/// The async runtime a command runs on: two worker threads, which the daemon (`run`) needs for
/// its jobs and HTTP server; the one-shot commands run on it as well.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// The store of `database.url`, migrated (a SQLite database backed up first when migrations
/// are pending: its path is said on stderr).
async fn open_store(config: &crate::config::Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database.url).await?;
    if let Some(backup) = store.upgrade(config.database.backups_kept).await? {
        eprintln!(
            "the database was backed up to {} before its migrations were applied",
            backup.display()
        );
    }
    Ok(store)
}

/// clap parser for a `YYYY-MM-DD` date argument.
fn date_arg(s: &str) -> Result<NaiveDate, String> {
    parse_date(s)
}

/// clap parser for the day to see things as of (`--as-of`, and the date of `--now`): within the
/// dates duewatch counts on, or every case would be reported as one that cannot be counted.
fn as_of_arg(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).and_then(within_range)
}

/// `date` if duewatch counts on it (2000-01-01 to 2099-12-31), else what to do.
fn within_range(date: NaiveDate) -> Result<NaiveDate, String> {
    use crate::calendar::{FIRST_DAY, LAST_DAY};
    if (FIRST_DAY..=LAST_DAY).contains(&date) {
        Ok(date)
    } else {
        Err(format!(
            "{date} is outside the dates duewatch counts on ({FIRST_DAY} to {LAST_DAY}); give a \
             date within them"
        ))
    }
}

/// clap parser for a count of working days (a whole number from 0).
fn count_arg(s: &str) -> Result<u32, String> {
    s.parse::<u32>().map_err(|_| {
        format!(
            "a count of working days is a whole number from 0 to {}, not \"{s}\"",
            u32::MAX
        )
    })
}
