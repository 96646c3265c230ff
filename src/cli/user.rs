//! `duewatch user add|list|passwd|disable|enable`: the accounts of the console and the API
//! (issue 16), each with a role (admin, office, leadership, section:CODE; see
//! [`crate::domain::account`]) and a password kept as an argon2id hash
//! ([`crate::store::secret`]). A password is asked twice on the terminal, or read from stdin
//! with `--password-stdin`; it is never printed nor stored as given.
//!
//! Each refusal exits 1, names what is wrong and what to do, and changes nothing.

use std::io::{IsTerminal as _, Read as _, Write};
use std::process::ExitCode;

use clap::Subcommand;

use super::{open_store, runtime};
use crate::config::Config;
use crate::domain::account::{Role, UserName, check_new_password};
use crate::store::secret::hash_password;

/// `duewatch user …`.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Add a user of the console and the API; without a flag, its password is asked twice on
    /// the terminal.
    Add {
        /// The login name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// admin, office, leadership, or section:CODE (CODE a configured [[sections]] code).
        #[arg(long)]
        role: String,
        /// Read the password from stdin (one line) instead of asking on the terminal.
        #[arg(long, conflicts_with = "no_password")]
        password_stdin: bool,
        /// No password: the user cannot log in with one (single sign-on, or API tokens only).
        #[arg(long)]
        no_password: bool,
    },
    /// The users: name, role, enabled or disabled, password or not, when made (tab-separated).
    List,
    /// Set a user's password (asked twice on the terminal); the user's sessions end.
    Passwd {
        /// The user's login name.
        name: String,
        /// Read the password from stdin (one line) instead of asking on the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: its sessions end at once and its API tokens stop working.
    Disable {
        /// The user's login name.
        name: String,
    },
    /// Enable a disabled user again (its tokens that were not revoked work again).
    Enable {
        /// The user's login name.
        name: String,
    },
}

pub(super) fn run(
    out: &mut dyn Write,
    command: Command,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Add {
            name,
            role,
            password_stdin,
            no_password,
        } => {
            let from = match (password_stdin, no_password) {
                (_, true) => None,
                (true, false) => Some(PasswordFrom::Stdin),
                (false, false) => Some(PasswordFrom::Terminal),
            };
            add(out, &name, &role, from, config)
        }
        Command::List => list(out, config),
        Command::Passwd {
            name,
            password_stdin,
        } => {
            let from = if password_stdin {
                PasswordFrom::Stdin
            } else {
                PasswordFrom::Terminal
            };
            passwd(out, &name, from, config)
        }
        Command::Disable { name } => set_disabled(out, &name, true, config),
        Command::Enable { name } => set_disabled(out, &name, false, config),
    }
}

/// Where a new password is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordFrom {
    /// Asked twice on the terminal, not echoed.
    Terminal,
    /// One line of stdin.
    Stdin,
}

/// The most a password read from stdin may take: far more than any password, and a bound.
const STDIN_MAX_BYTES: u64 = 4096;

/// The new password of `name`, read `from` and checked; what `--no-password` and
/// `--password-stdin` do is said when there is no terminal to ask on.
fn new_password(name: &str, from: PasswordFrom, no_password_flag: bool) -> anyhow::Result<String> {
    let password = match from {
        PasswordFrom::Stdin => {
            let mut given = String::new();
            std::io::stdin()
                .take(STDIN_MAX_BYTES)
                .read_to_string(&mut given)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--password-stdin: cannot read the password from stdin ({e})\n  help: \
                         give it as one line of UTF-8 text; nothing was changed"
                    )
                })?;
            let line = given
                .strip_suffix('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .unwrap_or(&given);
            if line.contains(['\n', '\r']) {
                anyhow::bail!(
                    "--password-stdin: stdin holds more than one line\n  help: give the \
                     password alone, on one line; nothing was changed"
                );
            }
            line.to_owned()
        }
        PasswordFrom::Terminal => {
            if !std::io::stdin().is_terminal() {
                let or = if no_password_flag {
                    ", or add the user with --no-password"
                } else {
                    ""
                };
                anyhow::bail!(
                    "no terminal to ask for {name}'s password on: stdin is not a terminal\n  \
                     help: give the password on stdin with --password-stdin (e.g. `printf \
                     '%s\\n' \"$PASSWORD\" | duewatch user … --password-stdin`){or}; nothing \
                     was changed"
                );
            }
            let first = rpassword::prompt_password(format!("password for {name}: "))?;
            // Checked before the second prompt: no need to type a refused password twice.
            check(name, &first)?;
            let again = rpassword::prompt_password("the same password again: ")?;
            if again != first {
                anyhow::bail!(
                    "the two passwords typed differ\n  help: run the command again; nothing \
                     was changed"
                );
            }
            first
        }
    };
    check(name, &password)?;
    Ok(password)
}

/// [`check_new_password`], with what to do.
fn check(name: &str, password: &str) -> anyhow::Result<()> {
    check_new_password(password).map_err(|e| {
        anyhow::anyhow!("user {name}: {e}\n  help: choose a longer password; nothing was changed")
    })
}

/// `role` parsed, a section's checked against the configured ones.
fn parsed_role(role: &str, config: &Config) -> anyhow::Result<Role> {
    let parsed = Role::parse(role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    if let Some(code) = role.strip_prefix("section:") {
        super::feed::configured(code, config).map_err(|e| anyhow::anyhow!("--role {role}: {e}"))?;
    }
    Ok(parsed)
}

fn add(
    out: &mut dyn Write,
    name: &str,
    role: &str,
    from: Option<PasswordFrom>,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let name = UserName::parse(name).map_err(|e| {
        anyhow::anyhow!(
            "{e}\n  help: choose a name of letters, digits, . _ - @; nothing was changed"
        )
    })?;
    let role = parsed_role(role, config)?;
    let runtime = runtime()?;
    let store = runtime.block_on(open_store(config))?;
    // Refused before asking for a password, not after.
    if runtime.block_on(store.user(name.as_str()))?.is_some() {
        return Err(crate::store::AccountError::Exists(name).into());
    }
    let hash = match from {
        Some(from) => Some(hash_password(&new_password(name.as_str(), from, true)?)?),
        None => None,
    };
    let now = chrono::Utc::now().timestamp();
    runtime.block_on(store.add_user(&name, &role, hash.as_deref(), now))?;
    let password = if hash.is_some() {
        "with a password"
    } else {
        "without a password"
    };
    writeln!(out, "user {name} added: {role}, {password}")?;
    Ok(ExitCode::SUCCESS)
}

fn list(out: &mut dyn Write, config: &Config) -> anyhow::Result<ExitCode> {
    let users = runtime()?.block_on(async { open_store(config).await?.users().await })?;
    if users.is_empty() {
        eprintln!("no user yet (duewatch user add NAME --role ROLE adds one)");
    }
    let tz = config.timezone.tz();
    for user in &users {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            user.name,
            user.role,
            if user.disabled { "disabled" } else { "enabled" },
            if user.has_password {
                "password"
            } else {
                "no-password"
            },
            local_time(user.created_at, tz)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Unix seconds as local time `tz`, to the minute.
pub(super) fn local_time(unix: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(
        || unix.to_string(),
        |t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn passwd(
    out: &mut dyn Write,
    name: &str,
    from: PasswordFrom,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let store = runtime.block_on(open_store(config))?;
    // Refused before asking for a password, not after.
    if runtime.block_on(store.user(name))?.is_none() {
        return Err(crate::store::AccountError::NoSuchUser(name.to_owned()).into());
    }
    let hash = hash_password(&new_password(name, from, false)?)?;
    let now = chrono::Utc::now().timestamp();
    runtime.block_on(store.set_password(name, &hash, now))?;
    writeln!(
        out,
        "user {name}: password changed; the user's sessions ended"
    )?;
    Ok(ExitCode::SUCCESS)
}

fn set_disabled(
    out: &mut dyn Write,
    name: &str,
    disabled: bool,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now().timestamp();
    runtime()?.block_on(async {
        let store = open_store(config).await?;
        store.set_disabled(name, disabled, now).await?;
        anyhow::Ok(())
    })?;
    if disabled {
        writeln!(
            out,
            "user {name} disabled: its sessions ended and its API tokens no longer work"
        )?;
    } else {
        writeln!(out, "user {name} enabled")?;
    }
    Ok(ExitCode::SUCCESS)
}
