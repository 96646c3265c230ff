//! `duewatch outbox …`: the outbox of mail (src/store/outbox.rs): list the newest messages and
//! their state, make a dead or waiting message due again.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::runtime;
use crate::config::Config;

/// `duewatch outbox …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// The newest messages and their state.
    List {
        /// Only dead letters and messages whose last attempt failed.
        #[arg(long)]
        failed: bool,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make a dead or waiting message due now (it keeps its Message-ID).
    Retry {
        /// The message's id (`outbox list`).
        id: i64,
    },
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: Config,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = super::open_store(&config).await?;
        match command {
            Command::List { failed, limit, json } => {
                let rows = store.outbox_list(failed, limit).await?;
                if json {
                    serde_json::to_writer_pretty(&mut *out, &rows)?;
                    writeln!(out)?;
                } else {
                    // A relay's error (and, stored, any field) is shown escaped: it must not
                    // drive the terminal nor add a line of its own.
                    let esc = |t: &str| crate::domain::case::text::escaped(t, false).into_owned();
                    for r in &rows {
                        writeln!(
                            out,
                            "#{:<6} {:<7} {:<6} attempts {:<2} {} {}{}{}",
                            r.id,
                            r.state,
                            r.kind,
                            r.attempts,
                            esc(&r.recipient),
                            esc(&r.subject),
                            r.last_error.as_deref().map(|e| format!("\n        last error: {}", esc(e))).unwrap_or_default(),
                            if r.possible_duplicate { "\n        the relay may already have a copy (same Message-ID)" } else { "" },
                        )?;
                    }
                }
            }
            Command::Retry { id } => {
                if !store.outbox_retry(id).await? {
                    anyhow::bail!("no unsent message #{id} in the outbox\n  help: `duewatch outbox list` shows the ids");
                }
                writeln!(out, "message #{id} is due now; the next pass sends it")?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
