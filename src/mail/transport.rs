//! Delivering one stored message: over SMTP (lettre, pooled connections) or into a directory of
//! .eml files. Every SMTP send is bounded by `mail.smtp.timeout_secs` as a whole: lettre's own
//! timeout covers connecting only, and a relay that accepts and never answers would hang it.
//!
//! Outcomes are classified for the outbox: a 4xx reply is [`SendError::Transient`]; a 5xx reply
//! or a message the relay can never take is [`SendError::Permanent`] (dead letter after one
//! attempt); a timeout, a refused or dropped connection, a TLS failure is
//! [`SendError::Uncertain`]: retried, and the relay may or may not have taken the mail.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{MailConfig, Tls, TransportKind, header_safe};

/// A message as stored in the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The sender.
    pub from: String,
    /// The one recipient.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part, if any.
    pub html: Option<String>,
    /// `<…@…>`, fixed when the row was made.
    pub message_id: String,
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The relay said "try later" (4xx).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The relay refused for good (5xx), or the message cannot be sent as configured.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// No answer, or the connection failed: the relay may or may not have the mail.
    #[error("delivery failed, outcome unknown: {0}")]
    Uncertain(String),
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Transport {
    /// An SMTP relay.
    Smtp {
        /// lettre's pooled transport.
        inner: AsyncSmtpTransport<Tokio1Executor>,
        /// The bound on one whole send.
        timeout: Duration,
        /// `host:port`, for messages.
        relay: String,
    },
    /// .eml files, named by Message-ID, so that a resend overwrites rather than duplicates.
    File {
        /// The directory.
        dir: PathBuf,
    },
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What can be checked of `[mail.smtp]` without connecting (and without a runtime).
///
/// # Errors
/// `tls = "none"` to a host that is not this machine.
pub fn check(config: &MailConfig) -> anyhow::Result<()> {
    let smtp = &config.smtp;
    if config.transport == TransportKind::Smtp && smtp.tls == Tls::None && !is_loopback(&smtp.host)
    {
        anyhow::bail!(
            "mail.smtp.tls = \"none\" sends the password and the mail in clear text; it is \
             allowed only to a relay on this machine, not to \"{}\"\n  help: use tls = \
             \"starttls\" (port 587) or \"tls\" (port 465)",
            smtp.host
        );
    }
    if config.transport == TransportKind::Smtp && smtp.host.trim().is_empty() {
        anyhow::bail!("mail.smtp.host is empty\n  help: name the relay, e.g. smtp.bureau.example");
    }
    Ok(())
}

impl Transport {
    /// The transport `config` describes. Call it inside a tokio runtime (the SMTP pool starts a
    /// task).
    ///
    /// # Errors
    /// `tls = "none"` to a remote host, an unusable host name.
    pub fn new(config: &MailConfig) -> anyhow::Result<Transport> {
        match config.transport {
            TransportKind::File => Ok(Transport::File {
                dir: config.file.dir.clone(),
            }),
            TransportKind::Smtp => {
                let smtp = &config.smtp;
                let builder = match smtp.tls {
                    Tls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                            .with_context(|| format!("mail.smtp.host: \"{}\"", smtp.host))?
                    }
                    Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                        .with_context(|| format!("mail.smtp.host: \"{}\"", smtp.host))?,
                    Tls::None => {
                        check(config)?;
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                };
                let timeout = Duration::from_secs(smtp.timeout_secs.max(1));
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(timeout))
                    // Below any relay's idle limit (RFC 5321 suggests 5 minutes), so a pooled
                    // connection is rarely found closed by the relay.
                    .pool_config(
                        PoolConfig::new()
                            .max_size(4)
                            .idle_timeout(Duration::from_secs(60)),
                    );
                if !smtp.username.is_empty() {
                    let password = smtp
                        .password
                        .as_ref()
                        .map(|p| p.expose_secret().to_owned())
                        .unwrap_or_default();
                    builder =
                        builder.credentials(Credentials::new(smtp.username.clone(), password));
                }
                Ok(Transport::Smtp {
                    inner: builder.build(),
                    timeout,
                    relay: format!("{}:{}", smtp.host, smtp.port),
                })
            }
        }
    }

    /// Delivers `msg`, bounded in time.
    ///
    /// # Errors
    /// The classified failure.
    pub async fn send(&self, msg: &Outgoing) -> Result<(), SendError> {
        let message = build(msg)?;
        match self {
            Transport::File { dir } => write_file(dir, msg, &message)
                .await
                .map_err(|e| SendError::Transient(format!("{e:#}"))),
            Transport::Smtp {
                inner,
                timeout,
                relay,
            } => {
                let attempt = async {
                    match inner.send(message.clone()).await {
                        // A pooled connection the relay closed while idle fails at once; one
                        // retry on a fresh connection (lettre issue #743).
                        Err(e) if !e.is_transient() && !e.is_permanent() && !e.is_client() => {
                            inner.send(message).await
                        }
                        other => other,
                    }
                };
                match tokio::time::timeout(*timeout, attempt).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(classify(&e, relay)),
                    Err(_) => Err(SendError::Uncertain(format!(
                        "{relay} did not finish within {} s (mail.smtp.timeout_secs)",
                        timeout.as_secs()
                    ))),
                }
            }
        }
    }
}

fn classify(e: &lettre::transport::smtp::Error, relay: &str) -> SendError {
    let text = format!("{relay}: {e}");
    if e.is_transient() {
        SendError::Transient(text)
    } else if e.is_permanent() || e.is_client() {
        SendError::Permanent(text)
    } else {
        SendError::Uncertain(text)
    }
}

/// The MIME message: text, or text and HTML as alternatives; headers made safe.
fn build(msg: &Outgoing) -> Result<Message, SendError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        SendError::Permanent(format!("{what}: {e} (correct the configuration)"))
    };
    let from: Mailbox = msg.from.parse().map_err(|e| bad("mail.from", &e))?;
    let to: Mailbox = msg
        .to
        .parse()
        .map_err(|e| bad(&format!("recipient \"{}\"", msg.to), &e))?;
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(header_safe(&msg.subject))
        .message_id(Some(header_safe(&msg.message_id)));
    let built = match &msg.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(msg.text.clone()),
        ),
    };
    built.map_err(|e| bad("building the message", &e))
}

async fn write_file(
    dir: &std::path::Path,
    msg: &Outgoing,
    message: &Message,
) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .with_context(|| format!("creating {} (mail.file.dir)", dir.display()))?;
    let name: String = msg
        .message_id
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let tmp = dir.join(format!(".{name}.eml.tmp"));
    // Written aside and renamed: a reader never sees half a mail.
    tokio::fs::write(&tmp, message.formatted())
        .await
        .with_context(|| format!("writing {}", tmp.display()))?;
    tokio::fs::rename(&tmp, &path)
        .await
        .with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
