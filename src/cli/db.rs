//! `duewatch db …`: the database itself (its migrations, its backups).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{open_store, runtime};
use crate::config::Config;
use crate::store::Store;

/// `duewatch db …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Apply the database migrations (the daemon does this on start too); a SQLite database
    /// with migrations pending is backed up beside it first (database.backups_kept).
    Migrate,
    /// Write a consistent copy of the SQLite database (VACUUM INTO), safe while the daemon
    /// runs; PostgreSQL: use pg_dump.
    Backup {
        /// Where to write it (must not exist) [default: beside the database, named with the
        /// time and the schema version, counted among the database.backups_kept kept there]
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
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
        Command::Backup { file } => {
            // Not migrated: the copy is of the database as it is.
            let path = runtime()?.block_on(async {
                let store = Store::connect(&config.database.url).await?;
                match file {
                    Some(file) => store.backup_to(&file).await.map(|()| file),
                    None => store.backup_beside(config.database.backups_kept).await,
                }
            })?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
