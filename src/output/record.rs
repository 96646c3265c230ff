//! The record of a case's notifications (issue 17, arts. 18, 24: who was warned, when, and did
//! it arrive): every `notifications` row of the case with the outbox row it went out in
//! ([`crate::store::told`]), laid out for `case show` (text and `--json`) and
//! `GET /api/v1/cases/{reference}/notifications`. The level is read as stored, whatever its
//! name (the escalation ladder adds grades); a recipient is an e-mail address or a chat channel
//! (`channel:NAME/PARTY`). Reads nothing itself.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::case::text::escaped;
use crate::domain::channel::ChannelRecipient;
use crate::store::told::Told;

/// One notification of a case, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// When it was recorded (local time, `YYYY-MM-DD HH:MM:SS`).
    pub recorded_at: String,
    /// The level (or grade) as stored: `reminder`, `due_today`, `overdue`, `notice_missing`, ….
    pub level: String,
    /// `forward`, `reply`, `notice:KIND:EVENT-DATE`.
    pub stage: String,
    /// The deadline notified.
    pub deadline: String,
    /// `email` or `channel`.
    pub by: &'static str,
    /// The address, or the channel's name.
    pub to: String,
    /// For a channel: the party (`office`, `leadership`, `section:CODE`).
    pub party: Option<String>,
    /// The outbox row (none while recorded and not yet in a message).
    pub outbox: Option<i64>,
    /// `unsent`, `waiting`, `retrying`, `sent` or `dead`.
    pub delivery: &'static str,
    /// When the mail relay or the platform took it (local time).
    pub sent_at: Option<String>,
    /// Attempts started.
    pub attempts: Option<i32>,
    /// Why the last attempt failed (escaped).
    pub error: Option<String>,
    /// The next attempt, not before (local time).
    pub next_attempt_at: Option<String>,
}

/// The rows of `told`, times in `tz`.
pub fn notifications(told: &[Told], tz: chrono_tz::Tz) -> Vec<Notification> {
    let local = |at: DateTime<Utc>| {
        at.with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    told.iter()
        .map(|t| {
            let (by, to, party) = match ChannelRecipient::parse(&t.recipient) {
                Some(c) => ("channel", c.channel.to_string(), Some(c.party.to_string())),
                None => ("email", t.recipient.clone(), None),
            };
            let error = t
                .last_error
                .as_deref()
                .map(|e| escaped(e, false).into_owned());
            let delivery = match (t.outbox_id, t.state.as_deref(), &error) {
                (None, _, _) => "unsent",
                (Some(_), Some("sent"), _) => "sent",
                (Some(_), Some("dead"), _) => "dead",
                (Some(_), _, Some(_)) => "retrying",
                (Some(_), _, None) => "waiting",
            };
            Notification {
                recorded_at: local(t.recorded_at),
                level: t.level.clone(),
                stage: t.stage.clone(),
                deadline: t.deadline.to_string(),
                by,
                to,
                party,
                outbox: t.outbox_id,
                delivery,
                sent_at: t.sent_at.map(local),
                attempts: t.attempts,
                next_attempt_at: (delivery == "retrying")
                    .then(|| t.next_attempt_at.map(local))
                    .flatten(),
                error,
            }
        })
        .collect()
}

/// The record as text lines under `notifications:`, newest first.
///
/// # Errors
/// Writing fails.
pub fn text(out: &mut dyn Write, record: &[Notification]) -> std::io::Result<()> {
    writeln!(out, "notifications:")?;
    if record.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for n in record {
        let to = match &n.party {
            Some(party) => format!("channel {} ({party})", n.to),
            None => n.to.clone(),
        };
        let delivery = match n.delivery {
            "sent" => format!("sent {}", n.sent_at.as_deref().unwrap_or("")),
            "dead" => format!("DEAD LETTER: {}", n.error.as_deref().unwrap_or("")),
            "retrying" => format!(
                "retrying (attempt {}, next not before {}): {}",
                n.attempts.unwrap_or_default(),
                n.next_attempt_at.as_deref().unwrap_or(""),
                n.error.as_deref().unwrap_or("")
            ),
            "waiting" => "pending".to_owned(),
            _ => "recorded, not yet sent".to_owned(),
        };
        // An error's own line breaks (its `help:`) stay indented under the line.
        let delivery = delivery.replace('\n', "\n      ");
        writeln!(
            out,
            "  {}  {} {} (deadline {})  to {to}: {delivery}",
            n.recorded_at,
            escaped(&n.level, false),
            escaped(&n.stage, false),
            n.deadline
        )?;
    }
    Ok(())
}
