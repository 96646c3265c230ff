//! What the console shows of duewatch's mail (issue 15): **who was told what, when** about one
//! case (every `notifications` row recorded under its reference, with the `outbox` row it went
//! out in and that mail's delivery state), and the outbox by delivery state for `/outbox`
//! (waiting, failing and retried, dead), with the count of each. Read-only; the writing is in
//! [`super::notifications`] and [`super::outbox`].
//!
//! The statements are the same on both backends: timestamps decode as UTC on both (SQLite keeps
//! them as RFC 3339 text, PostgreSQL as `timestamptz`), and the caller shows them in local time.
//! The daily repeat of still-overdue lines is one mail per recipient and day (`repeats`), not a
//! row per case: it is not listed under a case.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Store, with_pool};

/// The notifications of case `$1`, newest first, with their mail (none while unmailed), at most
/// `$2`.
const TOLD: &str = "SELECT n.id, n.stage, n.level, n.deadline, n.recipient, n.occurrence, \
     n.created_at AS recorded_at, o.id AS outbox_id, o.subject, o.state, o.attempts, \
     o.last_error, o.next_attempt_at, o.sent_at FROM notifications n \
     LEFT JOIN outbox o ON o.id = n.outbox_id WHERE n.case_reference = $1 \
     ORDER BY n.id DESC LIMIT $2";

/// How many messages are in each group of `/outbox`: waiting (no failed attempt), failing and
/// retried, dead, sent.
const COUNTS: &str = "SELECT \
     COALESCE(SUM(CASE WHEN state = 'pending' AND last_error IS NULL THEN 1 ELSE 0 END), 0) \
     AS waiting, \
     COALESCE(SUM(CASE WHEN state = 'pending' AND last_error IS NOT NULL THEN 1 ELSE 0 END), 0) \
     AS failing, \
     COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS dead, \
     COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0) AS sent FROM outbox";

// The newest `$1` messages of one group.
const WAITING: &str = "SELECT id, kind, recipient, subject, attempts, last_error, created_at, \
     next_attempt_at FROM outbox WHERE state = 'pending' AND last_error IS NULL \
     ORDER BY id DESC LIMIT $1";
const FAILING: &str = "SELECT id, kind, recipient, subject, attempts, last_error, created_at, \
     next_attempt_at FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL \
     ORDER BY id DESC LIMIT $1";
const DEAD: &str = "SELECT id, kind, recipient, subject, attempts, last_error, created_at, \
     next_attempt_at FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT $1";

/// One notification of a case and the mail it went out in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Told {
    /// `notifications.id`.
    pub id: i64,
    /// `forward`, `reply`, `notice:KIND:EVENT-DATE`, or a problem's key.
    pub stage: String,
    /// `reminder`, `due_today`, `overdue`, `notice_missing` or `admin`.
    pub level: String,
    /// The deadline notified.
    pub deadline: NaiveDate,
    /// The address told.
    pub recipient: String,
    /// `once`, or what a repeated key is keyed by.
    pub occurrence: String,
    /// When the line was recorded.
    pub recorded_at: DateTime<Utc>,
    /// The mail it went out in; `None`: recorded, not mailed yet.
    pub outbox_id: Option<i64>,
    /// That mail's subject.
    pub subject: Option<String>,
    /// That mail's state: `pending`, `sent` or `dead`.
    pub state: Option<String>,
    /// Delivery attempts started.
    pub attempts: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The next attempt, not before.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the relay took it.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The groups of `/outbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailGroup {
    /// Not yet tried, or claimed now: no attempt has failed.
    Waiting,
    /// An attempt failed; it is tried again (`next_attempt_at`).
    Failing,
    /// Refused for good, or given up: a dead letter (`duewatch outbox retry ID`).
    Dead,
}

/// A message as `/outbox` lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mail {
    /// The row (`duewatch outbox retry ID`).
    pub id: i64,
    /// `digest`, `admin` or `test`.
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// Attempts started.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The next attempt, not before.
    pub next_attempt_at: DateTime<Utc>,
}

/// How many messages each group of `/outbox` holds.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct MailCounts {
    /// Waiting, no attempt failed.
    pub waiting: i64,
    /// Failing and retried.
    pub failing: i64,
    /// Dead letters.
    pub dead: i64,
    /// Sent.
    pub sent: i64,
}

impl Store {
    /// Who was told what about case `reference`, and when: its notifications, newest first, at
    /// most `limit`, each with the mail it went out in.
    ///
    /// # Errors
    /// A database failure.
    pub async fn told(&self, reference: &str, limit: i64) -> anyhow::Result<Vec<Told>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(TOLD)
                .bind(reference)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }

    /// How many messages each group of `/outbox` holds.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mail_counts(&self) -> anyhow::Result<MailCounts> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(COUNTS).fetch_one(pool).await?)
        })
    }

    /// The newest `limit` messages of `group`.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mail_of(&self, group: MailGroup, limit: i64) -> anyhow::Result<Vec<Mail>> {
        let sql = match group {
            MailGroup::Waiting => WAITING,
            MailGroup::Failing => FAILING,
            MailGroup::Dead => DEAD,
        };
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sql).bind(limit).fetch_all(pool).await?)
        })
    }
}
