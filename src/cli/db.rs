//! `duewatch db …`: the database itself (its migrations).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::{open_store, runtime};
use crate::config::Config;

/// `duewatch db …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Apply the database migrations (the daemon does this on start too).
    Migrate,
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate => {
            runtime()?.block_on(open_store(config))?;
            writeln!(out, "migrations applied to {}", config.database.url)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
