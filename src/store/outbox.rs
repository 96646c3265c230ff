//! The outbox: what has been notified, and mail that is never lost.
//!
//! # Guarantee
//! Every notification that falls due is delivered **at least once**. A message is sent again only
//! when a worker died (or lost its claim) after the relay accepted the message and before the
//! row was marked sent: **at most one duplicate per such crash, with the same Message-ID**, which
//! mail clients fold. How:
//!
//! 1. *Recording is idempotent.* Each digest line has a unique key in `notifications` (case,
//!    stage, level, deadline, recipient). A pass records the keys it works out as it reads the
//!    cases (`ON CONFLICT`), then, per recipient and in one transaction, makes one digest of the
//!    recorded lines that are in no mail yet and assigns them to its `outbox` row. Running
//!    twice, or on two machines, mails no line twice (the recipient is locked while its lines
//!    are assigned); a pass that dies between recording and mailing leaves its lines unmailed,
//!    and the next pass mails them. The mail's text and Message-ID are fixed in the outbox row.
//!    The daily repeat of still-overdue lines is one row per recipient and day in `repeats`,
//!    written in the same transaction as the digest that carries it, so it too is made once;
//!    a day's first poll writes a row per recipient, not one per overdue line.
//! 2. *Delivery claims with a lease.* A worker claims due rows (PostgreSQL: `FOR UPDATE SKIP
//!    LOCKED`; SQLite: inside `BEGIN IMMEDIATE`), which bumps the row's `claim_token` and sets
//!    `claim_until` from the database's clock. It sends, then marks the row sent **only if the
//!    token is still the one it claimed with**: a worker that stalled past its lease and was
//!    overtaken changes nothing when it wakes. A crashed worker's claim expires and the row is
//!    taken again.
//! 3. *Failures are classified.* 4xx, refused or dropped connections and timeouts are retried
//!    with capped exponential backoff and jitter; a 5xx or a message that can never be sent is a
//!    dead letter after one attempt. Dead letters, and mail still pending after
//!    `mail.stuck_after_mins`, are reported to `mail.admins` once, by mail and in the log.

//!
//! This file holds steps 2 and 3 and the queue itself (`outbox`, `outbox_attachments`): queueing,
//! claiming, marking, releasing, reporting the problems, listing and retrying. Step 1's
//! recording is in [`super::notifications`] and [`super::repeats`]. Chat channel messages
//! (issue 17) are outbox rows too, with the same three steps: [`super::channel_outbox`].

use sqlx::{FromRow as _, Transaction};

use super::rows::{AttachmentRow, ClaimedRow, IdRow, ProblemRow};
use super::{Store, WritePool, with_pool};
use crate::mail::render::{ProblemView, Rendered};
use crate::mail::transport::Outgoing;

const INSERT_OUTBOX: &str = "INSERT INTO outbox (kind, recipient, subject, body_text, body_html, \
     message_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
/// The same with the id given (`$7`: taken from the sequence before, [`OutboxSql::insert_outbox_as`]).
const INSERT_OUTBOX_AS: &str = "INSERT INTO outbox (kind, recipient, subject, body_text, \
     body_html, message_id, id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const INSERT_ATTACHMENT: &str = "INSERT INTO outbox_attachments (outbox_id, filename, \
     content_type, content) VALUES ($1, $2, $3, $4)";

// A claim: `$1` the worker, `$2` the lease in seconds, `$3` how many, `$4` whether digests may
// go (the sending window is open). The lease runs on the database's clock. Mail only: channel
// messages are claimed by `channel_outbox.rs`, within their per-minute limit.
const CLAIM_SQLITE: &str = "UPDATE outbox SET claimed_by = $1, claim_token = claim_token + 1, \
     claim_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', $2)), \
     attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' \
     AND next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     AND (claim_until IS NULL OR claim_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
     AND (kind <> 'digest' OR $4) AND channel IS NULL ORDER BY id LIMIT $3) \
     RETURNING id, claim_token, recipient, subject, body_text, body_html, message_id, attempts";
const CLAIM_POSTGRES: &str = "UPDATE outbox SET claimed_by = $1, claim_token = claim_token + 1, \
     claim_until = (now() + make_interval(secs => $2)), attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= now() \
     AND (claim_until IS NULL OR claim_until < now()) AND (kind <> 'digest' OR $4) \
     AND channel IS NULL ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id, claim_token, recipient, \
     subject, body_text, body_html, message_id, attempts";

// `$1` the row, `$2` the claim's token.
const SENT_SQLITE: &str = "UPDATE outbox SET state = 'sent', \
     sent_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), claimed_by = NULL, claim_until = NULL, \
     last_error = NULL WHERE id = $1 AND claim_token = $2 AND state = 'pending'";
const SENT_POSTGRES: &str = "UPDATE outbox SET state = 'sent', sent_at = now(), \
     claimed_by = NULL, claim_until = NULL, last_error = NULL WHERE id = $1 AND claim_token = $2 \
     AND state = 'pending'";

// `$1` the row, `$2` the delay in seconds, `$3` the claim's token, `$4` the error, `$5` whether
// the relay may have a copy.
const RETRY_SQLITE: &str = "UPDATE outbox SET \
     next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', $2)), \
     last_error = $4, possible_duplicate = (possible_duplicate OR $5), claimed_by = NULL, \
     claim_until = NULL WHERE id = $1 AND claim_token = $3 AND state = 'pending'";
const RETRY_POSTGRES: &str = "UPDATE outbox SET \
     next_attempt_at = (now() + make_interval(secs => $2)), last_error = $4, \
     possible_duplicate = (possible_duplicate OR $5), claimed_by = NULL, claim_until = NULL \
     WHERE id = $1 AND claim_token = $3 AND state = 'pending'";

const DEAD: &str = "UPDATE outbox SET state = 'dead', last_error = $3, claimed_by = NULL, \
     claim_until = NULL WHERE id = $1 AND claim_token = $2 AND state = 'pending'";

const RELEASE_ONE: &str = "UPDATE outbox SET claimed_by = NULL, claim_until = NULL, \
     attempts = attempts - 1 WHERE id = $1 AND claim_token = $2 AND state = 'pending'";
const RELEASE_WORKER: &str = "UPDATE outbox SET claimed_by = NULL, claim_until = NULL, \
     attempts = attempts - 1 WHERE claimed_by = $1 AND state = 'pending'";

const DEAD_UNREPORTED_SQLITE: &str = "SELECT id, recipient, subject, attempts, last_error, \
     CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'dead' AND kind <> 'admin' \
     AND (reported IS NULL OR reported = 'stuck') ORDER BY id";
const DEAD_UNREPORTED_POSTGRES: &str = "SELECT id, recipient, subject, attempts, last_error, \
     CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'dead' AND kind <> 'admin' \
     AND (reported IS NULL OR reported = 'stuck') ORDER BY id FOR UPDATE SKIP LOCKED";

// `$1` is 'admin'; `$2` is minus the age, in seconds.
const STUCK_UNREPORTED_SQLITE: &str = "SELECT id, recipient, subject, attempts, last_error, \
     CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'pending' AND kind <> $1 \
     AND reported IS NULL \
     AND created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', $2)) \
     ORDER BY id";
const STUCK_UNREPORTED_POSTGRES: &str = "SELECT id, recipient, subject, attempts, last_error, \
     CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'pending' AND kind <> $1 \
     AND reported IS NULL AND created_at < (now() + make_interval(secs => $2)) ORDER BY id \
     FOR UPDATE SKIP LOCKED";

const MARK_REPORTED: &str = "UPDATE outbox SET reported = $2 WHERE id = $1";

const LIST_FAILED: &str = "SELECT id, kind, recipient, subject, state, attempts, last_error, \
     possible_duplicate, CAST(created_at AS TEXT) AS created_at, \
     CAST(next_attempt_at AS TEXT) AS next_attempt_at, CAST(sent_at AS TEXT) AS sent_at, \
     message_id FROM outbox WHERE state = 'dead' OR (state = 'pending' \
     AND last_error IS NOT NULL) ORDER BY id DESC LIMIT $1";
const LIST_ALL: &str = "SELECT id, kind, recipient, subject, state, attempts, last_error, \
     possible_duplicate, CAST(created_at AS TEXT) AS created_at, \
     CAST(next_attempt_at AS TEXT) AS next_attempt_at, CAST(sent_at AS TEXT) AS sent_at, \
     message_id FROM outbox ORDER BY id DESC LIMIT $1";

// `$1` the row.
const RETRY_NOW_SQLITE: &str = "UPDATE outbox SET state = 'pending', \
     next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), reported = NULL WHERE id = $1 \
     AND state <> 'sent' \
     AND (claim_until IS NULL OR claim_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
const RETRY_NOW_POSTGRES: &str = "UPDATE outbox SET state = 'pending', next_attempt_at = now(), \
     reported = NULL WHERE id = $1 AND state <> 'sent' \
     AND (claim_until IS NULL OR claim_until < now())";

/// Queueing a message inside a caller's transaction, written once for both backends
/// (`sqlx::Sqlite`, `sqlx::Postgres`): the `where` clause lists what sqlx must be able to do
/// with a backend for it, and both backends do it.
pub(crate) trait OutboxSql: sqlx::Database
where
    for<'c> &'c mut <Self as sqlx::Database>::Connection: sqlx::Executor<'c, Database = Self>,
    <Self as sqlx::Database>::Arguments: sqlx::IntoArguments<Self>,
    for<'q> i64: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> &'q str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> String: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> &'q [u8]: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'r> IdRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
{
    /// Inserts an outbox row of `kind` for `recipient` with its attachments, its Message-ID
    /// made now from `from` (so that every retry sends the same one); returns its id.
    async fn insert_outbox(
        tx: &mut Transaction<'static, Self>,
        kind: &str,
        recipient: &str,
        rendered: &Rendered,
        from: &str,
    ) -> sqlx::Result<i64> {
        Self::insert_outbox_as(tx, None, kind, recipient, rendered, from).await
    }

    /// [`OutboxSql::insert_outbox`], with the id `id` when it is given (taken from the table's
    /// sequence before, so that rows made earlier in the transaction could name it).
    async fn insert_outbox_as(
        tx: &mut Transaction<'static, Self>,
        id: Option<i64>,
        kind: &str,
        recipient: &str,
        rendered: &Rendered,
        from: &str,
    ) -> sqlx::Result<i64> {
        let mut query = sqlx::query(if id.is_some() {
            INSERT_OUTBOX_AS
        } else {
            INSERT_OUTBOX
        })
        .bind(kind)
        .bind(recipient)
        .bind(rendered.subject.as_str())
        .bind(rendered.text.as_str())
        .bind(rendered.html.as_deref())
        .bind(crate::mail::new_message_id(from));
        if let Some(id) = id {
            query = query.bind(id);
        }
        let row = query.fetch_one(&mut **tx).await?;
        let id = IdRow::from_row(&row)?.id;
        for a in &rendered.attachments {
            sqlx::query(INSERT_ATTACHMENT)
                .bind(id)
                .bind(a.filename.as_str())
                .bind(a.content_type.as_str())
                .bind(a.content.as_slice())
                .execute(&mut **tx)
                .await?;
        }
        Ok(id)
    }
}

impl OutboxSql for sqlx::Sqlite {}
impl OutboxSql for sqlx::Postgres {}

/// A claimed message.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The row.
    pub id: i64,
    /// The claim's token: marks only count while it is current.
    pub token: i64,
    /// Attempts including this one.
    pub attempts: i32,
    /// The mail.
    pub mail: Outgoing,
}

impl From<ClaimedRow> for Claimed {
    /// The claimed message, without its attachments (read from their own table) and with the
    /// sender left for the deliverer to set.
    fn from(row: ClaimedRow) -> Claimed {
        Claimed {
            id: row.id,
            token: row.claim_token,
            attempts: row.attempts,
            mail: Outgoing {
                from: String::new(),
                to: row.recipient,
                subject: row.subject,
                text: row.body_text,
                html: row.body_html,
                message_id: row.message_id,
                attachments: Vec::new(),
            },
        }
    }
}

/// A row of `duewatch outbox list`.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Listed {
    /// The row.
    pub id: i64,
    /// `digest`, `admin` or `test`.
    pub kind: String,
    /// The address.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    /// Attempts started.
    pub attempts: i32,
    /// The last error.
    pub last_error: Option<String>,
    /// Whether the relay may already have a copy.
    pub possible_duplicate: bool,
    /// Made at (database time).
    pub created_at: String,
    /// Not before (database time).
    pub next_attempt_at: String,
    /// Sent at.
    pub sent_at: Option<String>,
    /// The Message-ID.
    pub message_id: String,
}

/// Undeliverable mail not yet reported: (dead letters, stuck).
pub type Problems = (Vec<ProblemView>, Vec<ProblemView>);

impl Store {
    /// Queues a message that is not a digest (`admin`, `test`).
    ///
    /// # Errors
    /// A database failure.
    pub async fn enqueue(
        &self,
        kind: &str,
        recipient: &str,
        rendered: &Rendered,
        from: &str,
    ) -> anyhow::Result<i64> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let id = OutboxSql::insert_outbox(&mut tx, kind, recipient, rendered, from).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Claims up to `limit` due messages for `worker` for `lease_secs`; digests only when
    /// `digests` (the sending window is open), other kinds always.
    ///
    /// # Errors
    /// A database failure.
    pub async fn claim(
        &self,
        worker: &str,
        lease_secs: u64,
        limit: i64,
        digests: bool,
    ) -> anyhow::Result<Vec<Claimed>> {
        let claim = self.sql(CLAIM_SQLITE, CLAIM_POSTGRES);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let rows: Vec<ClaimedRow> = sqlx::query_as(claim)
                .bind(worker)
                .bind(lease_secs as f64)
                .bind(limit)
                .bind(digests)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let mut claimed: Vec<Claimed> = rows.into_iter().map(Claimed::from).collect();
            claimed.sort_by_key(|c| c.id);
            if !claimed.is_empty() {
                // The files go with their message, read after the claim (most have none): one
                // placeholder per claimed id.
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT outbox_id, filename, content_type, content \
                     FROM outbox_attachments WHERE outbox_id IN (",
                );
                let mut ids = select.separated(", ");
                for c in &claimed {
                    ids.push_bind(c.id);
                }
                select.push(") ORDER BY id");
                let attachments: Vec<AttachmentRow> =
                    select.build_query_as().fetch_all(pool).await?;
                for a in attachments {
                    if let Some(c) = claimed.iter_mut().find(|c| c.id == a.outbox_id) {
                        c.mail.attachments.push(a.into());
                    }
                }
            }
            Ok(claimed)
        })
    }

    /// Marks a claimed message sent, if the claim is still this worker's. Returns whether it was.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mark_sent(&self, c: &Claimed) -> anyhow::Result<bool> {
        let sent = self.sql(SENT_SQLITE, SENT_POSTGRES);
        with_pool!(self, |pool| {
            let done = sqlx::query(sent)
                .bind(c.id)
                .bind(c.token)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Schedules another attempt after `delay`, if the claim is still this worker's.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mark_retry(
        &self,
        c: &Claimed,
        error: &str,
        delay: std::time::Duration,
        possible_duplicate: bool,
    ) -> anyhow::Result<bool> {
        let retry = self.sql(RETRY_SQLITE, RETRY_POSTGRES);
        with_pool!(self, |pool| {
            let done = sqlx::query(retry)
                .bind(c.id)
                .bind(delay.as_secs_f64())
                .bind(c.token)
                .bind(error)
                .bind(possible_duplicate)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Gives a message up as a dead letter, if the claim is still this worker's.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mark_dead(&self, c: &Claimed, error: &str) -> anyhow::Result<bool> {
        with_pool!(self, |pool| {
            let done = sqlx::query(DEAD)
                .bind(c.id)
                .bind(c.token)
                .bind(error)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Gives back one claim unsent (the attempt is uncounted).
    ///
    /// # Errors
    /// A database failure.
    pub async fn release_one(&self, c: &Claimed) -> anyhow::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query(RELEASE_ONE)
                .bind(c.id)
                .bind(c.token)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Gives back every claim `worker` holds (a clean stop), uncounting the attempts.
    ///
    /// # Errors
    /// A database failure.
    pub async fn release(&self, worker: &str) -> anyhow::Result<u64> {
        with_pool!(self, |pool| {
            let done = sqlx::query(RELEASE_WORKER)
                .bind(worker)
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Takes the dead letters and stuck mail (pending longer than `stuck_after_secs`) not yet
    /// reported, lets `report` queue the administrators' mail, and marks them reported, in one
    /// transaction: concurrent workers report each problem once.
    ///
    /// # Errors
    /// A database failure, or `report`'s.
    pub async fn report_problems<F>(
        &self,
        stuck_after_secs: u64,
        from: &str,
        report: F,
    ) -> anyhow::Result<Problems>
    where
        F: FnOnce(&Problems) -> anyhow::Result<Vec<(String, Rendered)>>,
    {
        let dead_unreported = self.sql(DEAD_UNREPORTED_SQLITE, DEAD_UNREPORTED_POSTGRES);
        let stuck_unreported = self.sql(STUCK_UNREPORTED_SQLITE, STUCK_UNREPORTED_POSTGRES);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let dead: Vec<ProblemRow> = sqlx::query_as(dead_unreported).fetch_all(&mut *tx).await?;
            let stuck: Vec<ProblemRow> = sqlx::query_as(stuck_unreported)
                .bind("admin")
                .bind(-(stuck_after_secs as f64))
                .fetch_all(&mut *tx)
                .await?;
            let problems: Problems = (
                dead.into_iter().map(ProblemView::from).collect(),
                stuck.into_iter().map(ProblemView::from).collect(),
            );
            if problems.0.is_empty() && problems.1.is_empty() {
                return Ok(problems);
            }
            for (recipient, rendered) in report(&problems)? {
                OutboxSql::insert_outbox(&mut tx, "admin", recipient.as_str(), &rendered, from)
                    .await?;
            }
            for (list, mark) in [(&problems.0, "dead"), (&problems.1, "stuck")] {
                for p in list {
                    sqlx::query(MARK_REPORTED)
                        .bind(p.id)
                        .bind(mark)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(problems)
        })
    }

    /// The outbox, newest first: all, or only dead and still-failing mail.
    ///
    /// # Errors
    /// A database failure.
    pub async fn outbox_list(&self, failed_only: bool, limit: i64) -> anyhow::Result<Vec<Listed>> {
        let sql = if failed_only { LIST_FAILED } else { LIST_ALL };
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(sql).bind(limit).fetch_all(pool).await?)
        })
    }

    /// Makes a dead or waiting message due now (`duewatch outbox retry ID`). Returns whether
    /// there was such a message.
    ///
    /// # Errors
    /// A database failure.
    pub async fn outbox_retry(&self, id: i64) -> anyhow::Result<bool> {
        let retry_now = self.sql(RETRY_NOW_SQLITE, RETRY_NOW_POSTGRES);
        with_pool!(self, |pool| {
            let done = sqlx::query(retry_now).bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
