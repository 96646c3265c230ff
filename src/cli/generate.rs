//! `duewatch generate man DIR` and `duewatch generate completions SHELL DIR` (hidden): the man
//! pages and shell completions, made from the clap definitions themselves, so that they cannot
//! drift from the commands. The packages' build runs them (packaging/build-assets.sh) before
//! packaging; an operator has no need of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Subcommand, ValueEnum};

/// `duewatch generate …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Write the man pages (duewatch.1 and one per command, duewatch-case-add.1 …) into DIR.
    Man {
        /// The directory (created if missing).
        dir: PathBuf,
    },
    /// Write the completions for SHELL into DIR (duewatch.bash, _duewatch, duewatch.fish).
    Completions {
        /// The shell.
        shell: Shell,
        /// The directory (created if missing).
        dir: PathBuf,
    },
}

/// The shells the packages ship completions for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub(super) fn run(out: &mut dyn Write, command: Command) -> anyhow::Result<ExitCode> {
    // Not built here: clap_mangen leaves out the `help` pseudo-commands only of a command it
    // builds itself.
    let mut cli = super::Cli::command();
    match command {
        Command::Man { dir } => {
            create(&dir)?;
            clap_mangen::generate_to(cli, &dir)
                .with_context(|| format!("writing the man pages into {}", dir.display()))?;
            writeln!(out, "man pages written to {}", dir.display())?;
        }
        Command::Completions { shell, dir } => {
            create(&dir)?;
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            let path = clap_complete::generate_to(shell, &mut cli, "duewatch", &dir)
                .with_context(|| format!("writing the completions into {}", dir.display()))?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn create(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
