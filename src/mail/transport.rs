//! Delivering one stored message: over SMTP or into a directory of .eml files. Every SMTP send
//! is bounded by `mail.smtp.timeout_secs` as a whole: lettre's own timeout covers connecting
//! only, and a relay that accepts and never answers would hang it.
//!
//! SMTP uses lettre's connection API ([`AsyncSmtpConnection`]) on a socket we open ourselves,
//! with `TCP_NODELAY`, and keeps that one connection for the next message while it is fresh.
//! lettre 0.11.23's pooled transport leaves Nagle's algorithm on; it writes the message and its
//! final `.` separately, so every message waits for the relay's delayed ACK (40 ms on Linux):
//! 22 mails a second at best (lettre PR #1159, merged but not released). Messages go one at a
//! time: each is marked sent before the next is sent, so a crash duplicates at most one.
//!
//! Outcomes are classified for the outbox: a 4xx reply is [`SendError::Transient`]; a 5xx reply
//! or a message the relay can never take is [`SendError::Permanent`] (dead letter after one
//! attempt); a timeout, a refused or dropped connection, a TLS failure is
//! [`SendError::Uncertain`]: retried, and the relay may or may not have taken the mail.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

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
    /// Attached files: the message is then multipart/mixed.
    pub attachments: Vec<super::Attachment>,
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
#[derive(Debug)]
pub enum Transport {
    /// An SMTP relay.
    Smtp(Box<Smtp>),
    /// .eml files, named by Message-ID, so that a resend overwrites rather than duplicates.
    File {
        /// The directory.
        dir: PathBuf,
    },
}

/// An SMTP relay and the connection kept to it.
pub struct Smtp {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    /// The open connection and when it was last used.
    connection: Mutex<Option<(AsyncSmtpConnection, std::time::Instant)>>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No credentials here: they must never reach a log.
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A connection idle longer than this is closed rather than reused: below any relay's idle limit
/// (RFC 5321 suggests 5 minutes), so a kept connection is rarely found closed by the relay.
const IDLE: Duration = Duration::from_secs(60);

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
                config.check()?;
                let smtp = &config.smtp;
                let credentials = (!smtp.username.is_empty()).then(|| {
                    let password = smtp
                        .password
                        .as_ref()
                        .map(|p| p.expose_secret().to_owned())
                        .unwrap_or_default();
                    Credentials::new(smtp.username.clone(), password)
                });
                Ok(Transport::Smtp(Box::new(Smtp {
                    host: smtp.host.clone(),
                    port: smtp.port,
                    tls: smtp.tls,
                    credentials,
                    timeout: Duration::from_secs(smtp.timeout_secs.max(1)),
                    hello: ClientId::default(),
                    connection: Mutex::new(None),
                })))
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
            Transport::Smtp(smtp) => {
                let relay = smtp.relay();
                match tokio::time::timeout(smtp.timeout, smtp.send(&message)).await {
                    Ok(result) => result,
                    Err(_) => {
                        // The connection may be mid-conversation: never reuse it.
                        smtp.connection.lock().await.take();
                        Err(SendError::Uncertain(format!(
                            "{relay} did not finish within {} s (mail.smtp.timeout_secs)",
                            smtp.timeout.as_secs()
                        )))
                    }
                }
            }
        }
    }
}

impl Smtp {
    fn relay(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Opens a connection: our own socket with `TCP_NODELAY`, then greeting, EHLO, STARTTLS when
    /// configured (required: a relay that does not offer it is refused), and the login.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let relay = self.relay();
        // Nothing that fails before MAIL FROM is about the message: a refused login, a missing
        // STARTTLS or a greeting refused is the relay's or the configuration's, and would fail
        // every message alike. Retry (the administrators hear of stuck mail), never dead-letter.
        let smtp_error = |e: lettre::transport::smtp::Error| match classify(&e, &relay) {
            SendError::Permanent(text) => SendError::Transient(format!(
                "{text} (while connecting: retried; check [mail.smtp])"
            )),
            other => other,
        };
        let io_error = |e: std::io::Error| SendError::Uncertain(format!("{relay}: {e}"));
        let mut connection = match self.tls {
            // Implicit TLS goes through lettre's own connect (Nagle stays on there).
            Tls::Tls => {
                let tls = TlsParameters::new(self.host.clone()).map_err(smtp_error)?;
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    Some(tls),
                    None,
                )
                .await
                .map_err(smtp_error)?
            }
            Tls::Starttls | Tls::None => {
                let socket = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(io_error)?;
                // Nagle would hold the message's final "." for the relay's delayed ACK.
                socket.set_nodelay(true).map_err(io_error)?;
                let mut c =
                    AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello)
                        .await
                        .map_err(smtp_error)?;
                if self.tls == Tls::Starttls {
                    let tls = TlsParameters::new(self.host.clone()).map_err(smtp_error)?;
                    c.starttls(tls, &self.hello).await.map_err(smtp_error)?;
                }
                c
            }
        };
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(smtp_error)?;
        }
        Ok(connection)
    }

    /// Sends on the kept connection, or a new one. A kept connection that fails without an SMTP
    /// reply (the relay closed it while idle) is replaced once (lettre issue #743).
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let mut kept = self.connection.lock().await;
        let reused = match kept.take() {
            Some((c, used)) if used.elapsed() < IDLE && !c.has_broken() => Some(c),
            Some((mut c, _)) => {
                let _ = c.quit().await;
                None
            }
            None => None,
        };
        let body = message.formatted();
        let envelope = message.envelope();
        let was_reused = reused.is_some();
        let mut connection = match reused {
            Some(c) => c,
            None => self.connect().await?,
        };
        let result = match connection.send(envelope, &body).await {
            Err(e) if was_reused && !e.is_transient() && !e.is_permanent() && !e.is_client() => {
                connection = self.connect().await?;
                connection.send(envelope, &body).await
            }
            other => other,
        };
        match result {
            Ok(_) => {
                *kept = Some((connection, std::time::Instant::now()));
                Ok(())
            }
            // lettre aborts the connection on an error reply; it is not kept.
            Err(e) => Err(classify(&e, &self.relay())),
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
    // CRLF line ends before lettre sees the body: lettre inserts a CR before each bare LF one
    // at a time, which is quadratic in the body's size (minutes for a digest of 50,000 lines).
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(crlf(&msg.text));
    let built = match (&msg.html, msg.attachments.is_empty()) {
        (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(
            crlf(&msg.text),
            crlf(html),
        )),
        (None, true) => builder.singlepart(text),
        (html, false) => {
            // multipart/mixed: the body (text, or text and HTML as alternatives), then files.
            let mut mixed = match html {
                Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                    crlf(&msg.text),
                    crlf(html),
                )),
                None => MultiPart::mixed().singlepart(text),
            };
            for a in &msg.attachments {
                let kind = ContentType::parse(&a.content_type)
                    .map_err(|e| bad(&format!("attachment {}", a.filename), &e))?;
                mixed = mixed.singlepart(
                    lettre::message::Attachment::new(header_safe(&a.filename))
                        .body(a.content.clone(), kind),
                );
            }
            builder.multipart(mixed)
        }
    };
    built.map_err(|e| bad("building the message", &e))
}

/// `text` with every line ending CRLF, as SMTP wants it.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.push_str(body.strip_suffix('\r').unwrap_or(body));
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(super::crlf("a\nb\r\nc"), "a\r\nb\r\nc");
        assert_eq!(super::crlf("\n\n"), "\r\n\r\n");
    }
}
