//! Mail: configuration, templates ([`render`]) and the transports that deliver a stored outbox
//! message ([`transport`]).
//!
//! A message is rendered once, when its outbox row is made, and stored whole (subject, text,
//! HTML, Message-ID). Delivery only sends what is stored, so a resend carries the same subject,
//! text, HTML and Message-ID (only the `Date` header and the MIME boundary, made when the message
//! is built for sending, differ), and mail clients fold a duplicate by its Message-ID.

pub mod address;
pub mod render;
pub mod transport;

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
    pub admins: Vec<String>,
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

/// A file attached to a message, stored with its outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name the recipient sees.
    pub filename: String,
    /// The MIME type, e.g. `text/calendar; charset=utf-8`.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// The MIME type of an xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The MIME type of an iCalendar file.
pub const ICS: &str = "text/calendar; charset=utf-8; method=PUBLISH";

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

/// A Message-ID for a new message: random, at the sender's domain.
pub fn new_message_id(from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("duewatch.invalid");
    format!("<{}@{domain}>", uuid::Uuid::new_v4().simple())
}

/// Text for a header: control characters (CR, LF…) become spaces, so that no value can add a
/// header line.
pub fn header_safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
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

    #[test]
    fn headers_cannot_be_injected() {
        assert_eq!(
            header_safe("2026-0042\r\nBcc: evil@example.org"),
            "2026-0042 Bcc: evil@example.org"
        );
    }

    #[test]
    fn message_ids_are_at_the_senders_domain() {
        let id = new_message_id("duewatch <duewatch@bureau.example>");
        assert!(
            id.starts_with('<') && id.ends_with("@bureau.example>"),
            "{id}"
        );
        assert_ne!(id, new_message_id("duewatch <duewatch@bureau.example>"));
    }
}
