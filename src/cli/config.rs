//! `duewatch config …`: `check` (everything duewatch needs before it starts: the values, the
//! schedule, the templates, the calendar, the database and a case system's queries) and `show`
//! (the effective configuration, secrets masked).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::runtime;
use crate::config::Config;

/// `duewatch config …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Check everything duewatch needs before it starts (what systemd runs first): the values,
    /// the cron expressions, the templates (rendered once), the calendar, the database.
    Check,
    /// Print the effective configuration (defaults, file and environment merged), secrets masked.
    Show,
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: Config,
    file: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Show => {
            write!(out, "{}", crate::config::effective(file)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            config.validate()?;
            for warning in config.warnings() {
                eprintln!("warning: {warning}");
            }
            crate::mail::render::Templates::load(&config.mail.templates)?;
            let loaded = crate::calendar::load::load(&config.calendar.dir)?;
            let checked = runtime()?.block_on(async {
                let store = crate::store::Store::connect(&config.database.url).await?;
                store
                    .check_writable(&config.database.url.to_string())
                    .await?;
                drop(store);
                match config.cases.source {
                    crate::config::CaseSource::Builtin => anyhow::Ok(None),
                    crate::config::CaseSource::Sql => {
                        let (source, checked) =
                            crate::source::SqlSource::connect_checked(&config).await?;
                        Ok(Some((source.shown().to_owned(), checked)))
                    }
                }
            })?;
            if let Some((shown, checked)) = checked {
                for (key, columns) in &checked.queries {
                    writeln!(
                        out,
                        "ok: {key} runs on {shown} and returns {}",
                        columns.join(", ")
                    )?;
                }
            }
            writeln!(
                out,
                "ok: config, schedule, templates, calendar (years {}) and database ({}) are usable",
                loaded
                    .calendar
                    .years()
                    .keys()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                config.database.url
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
