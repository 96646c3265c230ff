//! `duewatch token add|list|revoke`: the bearer tokens of the API (issue 16), each acting as
//! one user with that user's role. A token is printed once, when made; the store keeps only its
//! SHA-256 ([`crate::store::accounts`], made by [`crate::store::secret`]).
//!
//! Each refusal exits 1, names what is wrong and what to do, and changes nothing.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::user::local_time;
use super::{open_store, runtime};
use crate::config::Config;
use crate::domain::case::text::{self, Breaks};
use crate::store::secret;

/// `duewatch token …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Make an API token acting as a user, and print it (shown only now).
    Add {
        /// The user it acts as (`duewatch user list`).
        name: String,
        /// What it is for (one line), shown by `token list`.
        #[arg(long)]
        label: Option<String>,
    },
    /// The API tokens: id, user, label, made, last used, state (tab-separated; never a token).
    List,
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's id (`duewatch token list`).
        id: i64,
    },
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Add { name, label } => add(out, &name, label.as_deref(), config),
        Command::List => list(out, config),
        Command::Revoke { id } => revoke(out, id, config),
    }
}

fn add(
    out: &mut dyn Write,
    name: &str,
    label: Option<&str>,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let label = label
        .map(|l| text::one_line(l, Breaks::Refuse))
        .transpose()
        .map_err(|e| {
            anyhow::anyhow!(
                "--label {e}\n  help: a label is one line of at most {} characters, without \
                 control characters; nothing was changed",
                text::MAX_CHARS
            )
        })?;
    let token = secret::new_token()?;
    let now = chrono::Utc::now().timestamp();
    let (id, disabled) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        let id = store
            .add_token(name, label.as_deref(), &secret::hash(&token), now)
            .await?;
        let disabled = store.user(name).await?.is_some_and(|(u, _)| u.disabled);
        anyhow::Ok((id, disabled))
    })?;
    writeln!(out, "{token}")?;
    eprintln!(
        "token {id} acts as user {name}. It is shown only now (duewatch keeps its hash): give \
         it to the program that calls the API, as `Authorization: Bearer TOKEN`"
    );
    if disabled {
        eprintln!(
            "user {name} is disabled: the token works once the user is enabled \
             (duewatch user enable {name})"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(out: &mut dyn Write, config: &Config) -> anyhow::Result<ExitCode> {
    let (tokens, users) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        anyhow::Ok((store.tokens().await?, store.users().await?))
    })?;
    if tokens.is_empty() {
        eprintln!("no API token yet (duewatch token add NAME makes one)");
    }
    let disabled: HashMap<&str, bool> = users
        .iter()
        .map(|u| (u.name.as_str(), u.disabled))
        .collect();
    let tz = config.timezone.tz();
    for t in &tokens {
        let state = match t.revoked_at {
            Some(at) => format!("revoked {}", local_time(at, tz)),
            None if disabled.get(t.user.as_str()).copied().unwrap_or(false) => {
                "user disabled".to_owned()
            }
            None => "active".to_owned(),
        };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            text::escaped(&t.user, false),
            text::escaped(t.label.as_deref().unwrap_or("-"), false),
            local_time(t.created_at, tz),
            t.last_used_at
                .map_or_else(|| "never used".to_owned(), |at| local_time(at, tz)),
            state
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(out: &mut dyn Write, id: i64, config: &Config) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now().timestamp();
    let (revoked, exists) = runtime()?.block_on(async {
        let store = open_store(config).await?;
        let revoked = store.revoke_token(id, now).await?;
        let exists = revoked || store.tokens().await?.iter().any(|t| t.id == id);
        anyhow::Ok((revoked, exists))
    })?;
    if !exists {
        anyhow::bail!("there is no API token {id}\n  help: `duewatch token list` shows the tokens");
    }
    if revoked {
        writeln!(out, "token {id} revoked: it no longer works")?;
    } else {
        writeln!(out, "token {id} was revoked already: nothing to do")?;
    }
    Ok(ExitCode::SUCCESS)
}
