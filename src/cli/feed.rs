//! `duewatch feed token|list|revoke`: the tokens of the sections' calendar feeds
//! (`GET /feeds/{section}.ics?token=…` on the console). A token is printed once, when made; the
//! store keeps only its hash ([`crate::store::feed_tokens`], made by [`crate::store::secret`]).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::{open_store, runtime};
use crate::config::Config;
use crate::domain::case::SectionCode;
use crate::store::secret;

/// `duewatch feed …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Make a new token for a section's calendar feed and print it (with the subscription URL
    /// when web.base_url is set); the section's previous token stops working.
    Token {
        /// The section's code (config [[sections]]).
        section: String,
    },
    /// The sections with a feed token, and when each was made (never the token).
    List,
    /// Revoke a section's feed token: its feed answers 404 until a new token is made.
    Revoke {
        /// The section's code.
        section: String,
    },
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Token { section } => token(out, &section, config),
        Command::List => list(out, config),
        Command::Revoke { section } => revoke(&section, config),
    }
}

/// `code` if it is a configured section's, else an error naming it and the configured codes.
pub(super) fn configured(code: &str, config: &Config) -> anyhow::Result<SectionCode> {
    let known: Vec<&str> = config.sections.iter().map(|s| s.code.as_str()).collect();
    let found = SectionCode::parse(code)
        .ok()
        .filter(|c| config.section(c).is_some());
    found.ok_or_else(|| {
        let help = if known.is_empty() {
            "no section is configured: add [[sections]] with their codes to the config file"
                .to_owned()
        } else {
            format!("the configured sections are {}", known.join(", "))
        };
        // main() prints the message with control characters escaped.
        anyhow::anyhow!("section \"{code}\" is not configured\n  help: {help}")
    })
}

fn token(out: &mut dyn Write, code: &str, config: &Config) -> anyhow::Result<ExitCode> {
    let section = configured(code, config)?;
    let token = secret::new_token()?;
    runtime()?.block_on(async {
        let store = open_store(config).await?;
        store.set_feed_token(&section, &secret::hash(&token)).await
    })?;
    writeln!(out, "{token}")?;
    match &config.web.base_url {
        Some(base) => writeln!(out, "{}", base.feed(section.as_str(), &token))?,
        None => eprintln!(
            "the feed is GET /feeds/{section}.ics?token=TOKEN on the console; set web.base_url to \
             have its full address printed"
        ),
    }
    eprintln!(
        "a new feed token for section {section}: any previous one no longer works. It is shown \
         only now (duewatch keeps its hash): give it to the section's calendar app"
    );
    Ok(ExitCode::SUCCESS)
}

fn list(out: &mut dyn Write, config: &Config) -> anyhow::Result<ExitCode> {
    let tokens = runtime()?.block_on(async { open_store(config).await?.feed_tokens().await })?;
    if tokens.is_empty() {
        eprintln!("no section has a feed token (duewatch feed token SECTION makes one)");
    }
    for (section, created) in &tokens {
        let name = SectionCode::parse(section)
            .ok()
            .and_then(|c| config.section(&c).map(|s| s.name.clone()))
            .unwrap_or_else(|| "(no longer configured)".to_owned());
        writeln!(out, "{section}\t{name}\t{created}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(code: &str, config: &Config) -> anyhow::Result<ExitCode> {
    let revoked = runtime()?.block_on(async {
        let store = open_store(config).await?;
        // A section taken out of the config may still have a token to revoke.
        let stored = store.feed_tokens().await?.iter().any(|(s, _)| s == code);
        if !stored {
            configured(code, config)?;
        }
        store.revoke_feed_token(code).await
    })?;
    let code = crate::domain::case::text::escaped(code, false);
    if revoked {
        eprintln!("the feed token of section {code} is revoked: its feed answers 404");
    } else {
        eprintln!("section {code} has no feed token: nothing to revoke");
    }
    Ok(ExitCode::SUCCESS)
}
