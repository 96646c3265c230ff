//! Mail: templates ([`render`]) and the transports that deliver a stored outbox
//! message ([`transport`]).
//!
//! A message is rendered once, when its outbox row is made, and stored whole (subject, text,
//! HTML, Message-ID). Delivery only sends what is stored, so a resend carries the same subject,
//! text, HTML and Message-ID (only the `Date` header and the MIME boundary, made when the message
//! is built for sending, differ), and mail clients fold a duplicate by its Message-ID.

pub mod render;
pub mod transport;

pub use crate::config::mail::{MailConfig, Tls, TransportKind};

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
