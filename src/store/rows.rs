//! The rows duewatch reads from its tables, one struct per kind of row (`#[derive(sqlx::FromRow)]`,
//! fields named after the columns), and their conversion into the domain's types. A stored value
//! the domain refuses (a reference, channel, section, close or suspension reason that no longer
//! parses) is an error naming the case and the column; text stored before it was checked at input
//! is mended here for mail and terminal.
//!
//! The decoding is the same on both backends: sqlx decodes each column by name; nothing here
//! runs a query.

use chrono::NaiveDate;

use super::StoreError;
use crate::domain::case::{
    Case, Channel, CloseReason, Extension, Reference, SectionCode, Subject, Suspension,
    SuspensionReason, text,
};
use crate::domain::outcome::{Applicant, Outcome};
use crate::mail::render::ProblemView;

/// The key of a `cases` row: read first, on its own, so that a row whose other columns cannot be
/// decoded is still an error that names its case and does not hide the others.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseKey {
    /// `cases.id`.
    pub id: i64,
    /// `cases.reference`, as stored.
    pub reference: String,
}

/// A `cases` row.
#[derive(Debug, sqlx::FromRow)]
pub struct CaseRow {
    /// The reference, as stored.
    pub reference: String,
    /// The subject, as stored.
    pub subject: Option<String>,
    /// The channel's code.
    pub channel: Option<String>,
    /// Received on.
    pub received_on: NaiveDate,
    /// Forwarded on.
    pub forwarded_on: Option<NaiveDate>,
    /// The section's code.
    pub section: Option<String>,
    /// Replied on.
    pub replied_on: Option<NaiveDate>,
    /// Closed on.
    pub closed_on: Option<NaiveDate>,
    /// The close reason's code.
    pub close_reason: Option<String>,
    /// The outcome's code (migration 0013).
    pub outcome: Option<String>,
    /// The applicant category's code (migration 0013).
    pub applicant: Option<String>,
}

/// The case a row of a child table (`extensions`, `suspensions`) belongs to, in a batched scan.
#[derive(Debug, sqlx::FromRow)]
pub struct ChildKey {
    /// `cases.id` of the owner.
    pub case_id: i64,
}

/// An `extensions` row.
#[derive(Debug, sqlx::FromRow)]
pub struct ExtensionRow {
    /// Working days granted.
    pub days: i32,
    /// Approved on.
    pub approved_on: NaiveDate,
    /// Approved by.
    pub approved_by: String,
    /// Why.
    pub reason: Option<String>,
    /// The applicant was told on.
    pub notice_on: Option<NaiveDate>,
}

/// A `suspensions` row.
#[derive(Debug, sqlx::FromRow)]
pub struct SuspensionRow {
    /// Suspended from.
    pub from_on: NaiveDate,
    /// Resumed on, if it has.
    pub until_on: Option<NaiveDate>,
    /// The reason's code.
    pub reason: String,
    /// A note.
    pub note: Option<String>,
    /// The applicant was told on.
    pub notice_on: Option<NaiveDate>,
    /// The applicant was told of the resumption on.
    pub resumption_notice_on: Option<NaiveDate>,
}

/// An `outbox` row as a claim returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimedRow {
    /// `outbox.id`.
    pub id: i64,
    /// The claim's token.
    pub claim_token: i64,
    /// The address.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// The text part.
    pub body_text: String,
    /// The HTML part.
    pub body_html: Option<String>,
    /// The Message-ID.
    pub message_id: String,
    /// Attempts including this one.
    pub attempts: i32,
}

/// An `outbox_attachments` row.
#[derive(Debug, sqlx::FromRow)]
pub struct AttachmentRow {
    /// The message it belongs to.
    pub outbox_id: i64,
    /// The name the recipient sees.
    pub filename: String,
    /// The MIME type.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// An `outbox` row that is a dead letter or stuck, to be reported.
#[derive(Debug, sqlx::FromRow)]
pub struct ProblemRow {
    /// `outbox.id`.
    pub id: i64,
    /// The address.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// `created_at`, as text.
    pub created: String,
}

/// A digest line's key as `notifications` returns it when it is recorded.
#[derive(Debug, sqlx::FromRow)]
pub struct LineRow {
    /// `notifications.id`.
    pub id: i64,
    /// The case's reference.
    pub case_reference: String,
    /// The stage.
    pub stage: String,
    /// The level.
    pub level: String,
    /// The deadline.
    pub deadline: NaiveDate,
    /// The address told.
    pub recipient: String,
}

/// A `history` row.
#[derive(Debug, sqlx::FromRow)]
pub struct HistoryRow {
    /// When, as text.
    pub at: String,
    /// The command.
    pub command: String,
    /// What it changed.
    pub change: String,
    /// Who made the change (NULL before migration 0009).
    pub actor: Option<String>,
}

/// A line of a case's history, oldest first, as `case show` and the console's case page show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When, as the database's text (RFC 3339 on SQLite, `2026-11-03 08:12:34.5+00` on
    /// PostgreSQL).
    pub at: String,
    /// The command, e.g. "case forward".
    pub command: String,
    /// What changed, in words.
    pub change: String,
    /// Who made the change: a console user's name, or `cli:<login name>` for the command line;
    /// `None` for lines written before it was recorded, and for a case system's cases.
    pub actor: Option<String>,
}

impl From<HistoryRow> for HistoryLine {
    fn from(row: HistoryRow) -> HistoryLine {
        HistoryLine {
            at: row.at,
            command: row.command,
            change: row.change,
            actor: row.actor,
        }
    }
}

/// Why a stored value cannot be read, naming the case and the column.
fn bad_row(reference: &str, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(anyhow::anyhow!(
        "case {reference}: the stored {what} cannot be read ({e}); correct the row"
    ))
}

/// A row of case `reference` that sqlx cannot decode (a value of the wrong type, a date that
/// does not parse), naming the case and, where sqlx says it, the column.
pub(super) fn undecodable(reference: &str, e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { index, source } => {
            bad_row(reference, index.trim_matches('"'), source)
        }
        other => bad_row(reference, "row", other),
    }
}

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    /// The case, without its extensions and suspensions (read from their own tables).
    fn try_from(row: CaseRow) -> Result<Case, StoreError> {
        let reference = row.reference.as_str();
        Ok(Case {
            reference: Reference::parse(reference)
                .map_err(|e| bad_row(reference, "reference", e))?,
            // Text stored before it was checked at input is mended for mail and terminal.
            subject: row.subject.as_deref().and_then(Subject::mended),
            channel: row
                .channel
                .map(|c| Channel::parse(&c))
                .transpose()
                .map_err(|e| bad_row(reference, "channel", e))?,
            received_on: row.received_on,
            forwarded_on: row.forwarded_on,
            section: row
                .section
                .map(|c| SectionCode::parse(&c))
                .transpose()
                .map_err(|e| bad_row(reference, "section", e))?,
            replied_on: row.replied_on,
            closed_on: row.closed_on,
            close_reason: row
                .close_reason
                .map(|c| CloseReason::parse(&c))
                .transpose()
                .map_err(|e| bad_row(reference, "close reason", e))?,
            extensions: Vec::new(),
            suspensions: Vec::new(),
            returns: Vec::new(),
            outcome: row
                .outcome
                .map(|c| Outcome::parse(&c))
                .transpose()
                .map_err(|e| bad_row(reference, "outcome", e))?,
            applicant: row
                .applicant
                .map(|c| Applicant::parse(&c))
                .transpose()
                .map_err(|e| bad_row(reference, "applicant category", e))?,
        })
    }
}

impl From<ExtensionRow> for Extension {
    fn from(row: ExtensionRow) -> Extension {
        Extension {
            days: u32::try_from(row.days).unwrap_or(0),
            approved_on: row.approved_on,
            approved_by: text::cleaned(&row.approved_by),
            reason: row.reason.map(|t| text::cleaned(&t)),
            notice_on: row.notice_on,
        }
    }
}

impl TryFrom<(&Reference, SuspensionRow)> for Suspension {
    type Error = StoreError;

    /// A suspension of the case `reference` (named if its reason cannot be read).
    fn try_from((reference, row): (&Reference, SuspensionRow)) -> Result<Suspension, StoreError> {
        Ok(Suspension {
            from: row.from_on,
            until: row.until_on,
            reason: SuspensionReason::parse(&row.reason)
                .map_err(|e| bad_row(reference.as_str(), "suspension reason", e))?,
            note: row.note.map(|t| text::cleaned(&t)),
            notice_on: row.notice_on,
            resumption_notice_on: row.resumption_notice_on,
        })
    }
}

impl From<ProblemRow> for ProblemView {
    fn from(row: ProblemRow) -> ProblemView {
        ProblemView {
            id: row.id,
            recipient: row.recipient,
            subject: row.subject,
            attempts: row.attempts,
            last_error: row.last_error.unwrap_or_default(),
            created_at: row.created,
        }
    }
}

impl From<AttachmentRow> for crate::mail::Attachment {
    fn from(row: AttachmentRow) -> crate::mail::Attachment {
        crate::mail::Attachment {
            filename: row.filename,
            content_type: row.content_type,
            content: row.content,
        }
    }
}

/// The id a `RETURNING id` gives back.
#[derive(Debug, sqlx::FromRow)]
pub struct IdRow {
    /// The new row's id.
    pub id: i64,
}
