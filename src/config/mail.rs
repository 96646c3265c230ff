//! `[mail]`: the sender, the admins, the transport and its retries. The transports themselves
//! are in [`crate::mail::transport`].

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// `[mail]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `file` (writes .eml files to `mail.file.dir`, the embedded default) or `smtp`.
    pub transport: TransportKind,
    /// The sender, `Name <address>`.
    pub from: String,
    /// Who hears of dead letters and stuck mail.
    pub admins: Vec<crate::domain::address::EmailAddress>,
    /// A directory of templates that replace the built-in ones, file by file; empty: built-in.
    pub templates: PathBuf,
    /// Minutes after which mail still not delivered is reported to the admins.
    pub stuck_after_mins: u32,
    /// The most lines one digest lists (most urgent first); each group counts the cases it
    /// leaves out.
    pub digest_max_lines: usize,
    /// Attach the section's open deadlines as an iCalendar file (`deadlines.ics`) to each digest
    /// that goes to a section's address.
    pub attach_ics: bool,
    /// `[mail.file]`.
    pub file: FileConfig,
    /// `[mail.smtp]`.
    pub smtp: SmtpConfig,
    /// `[mail.retry]`.
    pub retry: RetryConfig,
}

/// Which transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// Files in a directory.
    File,
    /// An SMTP relay.
    Smtp,
}

/// `[mail.file]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where .eml files are written (created if missing).
    pub dir: PathBuf,
}

/// `[mail.smtp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The relay's host name.
    pub host: String,
    /// Its port (587 for STARTTLS, 465 for implicit TLS, 25 for none).
    pub port: u16,
    /// `starttls` (required, never opportunistic), `tls` (implicit), or `none` (loopback only).
    pub tls: Tls,
    /// The user to authenticate as; empty: no authentication.
    pub username: String,
    /// The password: from `DUEWATCH__MAIL__SMTP__PASSWORD` or the systemd credential
    /// `smtp_password` (`LoadCredential=`), never written in the file.
    pub password: Option<SecretString>,
    /// Seconds one delivery may take, connection included, before it counts as failed.
    pub timeout_secs: u64,
}

/// TLS towards the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tls {
    /// STARTTLS, required.
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
    /// Plain text: only to a relay on this machine.
    None,
}

/// `[mail.retry]`: capped exponential backoff with jitter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// The first retry's delay, seconds.
    pub base_secs: u64,
    /// The longest delay between attempts, seconds.
    pub cap_secs: u64,
    /// How long a worker's claim on a message lasts, seconds; an expired claim is taken over.
    pub lease_secs: u64,
}

impl RetryConfig {
    /// The delay before attempt `attempts + 1`: base · 2^(attempts-1), capped, then a random
    /// 50–100 % of it (so that many messages failing together do not retry together).
    pub fn delay(&self, attempts: u32) -> std::time::Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let full_ms = self
            .base_secs
            .saturating_mul(1_u64 << exp)
            .min(self.cap_secs)
            .saturating_mul(1000);
        std::time::Duration::from_millis(full_ms / 2 + fastrand::u64(0..=full_ms - full_ms / 2))
    }
}

impl MailConfig {
    /// What can be checked of `[mail.smtp]` without connecting (and without a runtime).
    ///
    /// # Errors
    /// `tls = "none"` to a host that is not this machine.
    pub fn check(&self) -> anyhow::Result<()> {
        let smtp = &self.smtp;
        if self.transport == TransportKind::Smtp
            && smtp.tls == Tls::None
            && !is_loopback(&smtp.host)
        {
            anyhow::bail!(
                "mail.smtp.tls = \"none\" sends the password and the mail in clear text; it is \
                 allowed only to a relay on this machine, not to \"{}\"\n  help: use tls = \
                 \"starttls\" (port 587) or \"tls\" (port 465)",
                smtp.host
            );
        }
        if self.transport == TransportKind::Smtp && smtp.host.trim().is_empty() {
            anyhow::bail!(
                "mail.smtp.host is empty\n  help: name the relay, e.g. smtp.bureau.example"
            );
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let r = RetryConfig {
            base_secs: 30,
            cap_secs: 600,
            lease_secs: 60,
        };
        for _ in 0..200 {
            let d1 = r.delay(1).as_secs_f64();
            assert!((15.0..=30.0).contains(&d1), "{d1}");
            let d3 = r.delay(3).as_secs_f64();
            assert!((60.0..=120.0).contains(&d3), "{d3}");
            let d20 = r.delay(20).as_secs_f64();
            assert!((300.0..=600.0).contains(&d20), "{d20}");
        }
    }
}
