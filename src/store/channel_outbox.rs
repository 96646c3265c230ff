//! Channel messages in the outbox (issue 17): the delivery guarantee of [`super::outbox`] (its
//! steps 1 to 3) for a party's message to a chat channel, and the channels' per-minute limit.
//!
//! - *Recording* is step 1's: a channel line is a `notifications` row whose recipient is
//!   `channel:NAME/PARTY`; [`Store::post_lines`] makes one message of that recipient's lines
//!   still in no message (and the day's repeat), assigns them to its outbox row and records the
//!   repeat, in one transaction under the recipient's lock, as [`Store::mail_lines`] does for a
//!   mail. The row (`kind = 'digest'`, `channel` set) holds the platform's JSON body (`payload`)
//!   and a key fixed before the first attempt (`message_id`: DingTalk's `msgUuid`, the
//!   webhook's delivery id), so that every attempt posts the same message.
//! - *Claiming* is step 2's (lease, `claim_token`, fencing; marks through the outbox's own
//!   [`Store::mark_sent`] and siblings), with a limit: [`Store::claim_posts`] takes at most
//!   what the channel's minute still allows, counted from the rows' `attempted_at` (set by each
//!   claim, the database's clock) over the last 60 seconds, under a per-channel lock
//!   (PostgreSQL: an advisory lock for the transaction; SQLite serialises writers), so the limit
//!   holds across instances: the platform sees at most `per_minute` posts a minute, and the
//!   rest wait in the queue instead of bursting into its rate limit.
//! - *Failures* are step 3's: retried with backoff, or dead letters reported to `mail.admins`.
//!
//! The mail's claim leaves channel rows alone (`channel IS NULL`).

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::FromRow as _;

use super::lines_sql::LineIds;
use super::notifications::LOCK_RECIPIENT_POSTGRES;
use super::rows::IdRow;
use super::{Store, WritePool, with_pool};
use crate::mail::transport::Outgoing;
use crate::store::Claimed;

/// The per-channel lock of a claim (PostgreSQL), transaction-scoped.
const LOCK_CHANNEL_POSTGRES: &str = "SELECT pg_advisory_xact_lock(hashtext('channel:' || $1))";

const REPEAT_MADE: &str = "SELECT outbox_id FROM repeats WHERE recipient = $1 AND day = $2";
const INSERT_REPEAT: &str =
    "INSERT INTO repeats (recipient, day, outbox_id, lines) VALUES ($1, $2, $3, $4)";

const INSERT_POST: &str = "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, \
     channel, payload) VALUES ('digest', $1, $2, $3, $4, $5, $6) RETURNING id";

// Posts claimed (or sent) on channel `$1` in the last minute.
const POSTED_SQLITE: &str = "SELECT COUNT(*) FROM outbox WHERE channel = $1 \
     AND attempted_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 seconds')";
const POSTED_POSTGRES: &str = "SELECT COUNT(*) FROM outbox WHERE channel = $1 \
     AND attempted_at > now() - make_interval(secs => 60)";

// A claim of channel `$5`'s rows: `$1` the worker, `$2` the lease in seconds, `$3` how many, `$4`
// whether digests may go (the window is open).
const CLAIM_SQLITE: &str = "UPDATE outbox SET claimed_by = $1, claim_token = claim_token + 1, \
     claim_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', $2)), \
     attempted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE channel = $5 AND state = 'pending' \
     AND next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
     AND (claim_until IS NULL OR claim_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
     AND (kind <> 'digest' OR $4) ORDER BY id LIMIT $3) \
     RETURNING id, claim_token, recipient, subject, payload, message_id, attempts";
const CLAIM_POSTGRES: &str = "UPDATE outbox SET claimed_by = $1, claim_token = claim_token + 1, \
     claim_until = (now() + make_interval(secs => $2)), attempted_at = now(), \
     attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE channel = $5 \
     AND state = 'pending' AND next_attempt_at <= now() \
     AND (claim_until IS NULL OR claim_until < now()) AND (kind <> 'digest' OR $4) \
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, claim_token, recipient, subject, payload, message_id, attempts";

const WAITING_CHANNELS: &str = "SELECT DISTINCT channel FROM outbox WHERE state = 'pending' \
     AND channel IS NOT NULL ORDER BY channel";

/// A claimed channel row, as read.
#[derive(Debug, sqlx::FromRow)]
struct PostRow {
    id: i64,
    claim_token: i64,
    recipient: String,
    subject: String,
    payload: Option<String>,
    message_id: String,
    attempts: i32,
}

/// A claimed channel message.
#[derive(Debug, Clone)]
pub struct ClaimedPost {
    /// The claim, for the outbox's marks (`mail.to` is the recipient, `mail.subject` the title).
    pub claim: Claimed,
    /// The JSON body to post.
    pub payload: String,
    /// The key every attempt carries (`msgUuid`, the delivery id).
    pub key: String,
}

/// A channel message made by [`Store::post_lines`]'s `render`.
#[derive(Debug, Clone)]
pub struct Post {
    /// Its title (the outbox's subject).
    pub title: String,
    /// The JSON body to post.
    pub payload: String,
}

impl Store {
    /// Makes one message to channel recipient `recipient` (on channel `channel`) of those
    /// `candidates` still in no message, plus the day's repeat when `repeat` is `(day, lines)`
    /// and not made yet: as [`Store::mail_lines`], in one transaction with the lines'
    /// assignment and the repeat's record, under the recipient's lock. `render` gets the ids
    /// still unposted, whether the message repeats the overdue lines, and the key fixed for
    /// the row. Returns the new outbox row, if any.
    ///
    /// # Errors
    /// A database failure, or `render`'s (nothing is assigned then).
    pub async fn post_lines<F>(
        &self,
        recipient: &str,
        channel: &str,
        candidates: &[i64],
        repeat: Option<(NaiveDate, usize)>,
        render: F,
    ) -> anyhow::Result<Option<i64>>
    where
        F: FnOnce(&HashSet<i64>, bool, &str) -> anyhow::Result<Post>,
    {
        let postgres = matches!(self, Store::Postgres(_));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if postgres {
                sqlx::query(LOCK_RECIPIENT_POSTGRES)
                    .bind(recipient)
                    .execute(&mut *tx)
                    .await?;
            }
            let still: HashSet<i64> = LineIds::unmailed(&mut tx, candidates).await?;
            let repeating = match repeat {
                Some((day, _)) => sqlx::query(REPEAT_MADE)
                    .bind(recipient)
                    .bind(day)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_none(),
                None => false,
            };
            if still.is_empty() && !repeating {
                return Ok(None);
            }
            let key = format!("duewatch-{}", uuid::Uuid::new_v4());
            let post = render(&still, repeating, &key)?;
            let row = sqlx::query(INSERT_POST)
                .bind(recipient)
                .bind(post.title.as_str())
                .bind(post.payload.as_str())
                .bind(key.as_str())
                .bind(channel)
                .bind(post.payload.as_str())
                .fetch_one(&mut *tx)
                .await?;
            let outbox_id = IdRow::from_row(&row)?.id;
            if let (true, Some((day, lines))) = (repeating, repeat) {
                sqlx::query(INSERT_REPEAT)
                    .bind(recipient)
                    .bind(day)
                    .bind(outbox_id)
                    .bind(i64::try_from(lines).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await?;
            }
            let mut assigned: Vec<i64> = still.into_iter().collect();
            assigned.sort_unstable();
            LineIds::assign(&mut tx, outbox_id, &assigned).await?;
            tx.commit().await?;
            Ok(Some(outbox_id))
        })
    }

    /// Claims up to what channel `channel`'s minute still allows (`per_minute` less the posts
    /// claimed in the last 60 seconds, by any instance) of its due messages, for `worker` for
    /// `lease_secs`; digests only when `digests` (the window is open).
    ///
    /// # Errors
    /// A database failure.
    pub async fn claim_posts(
        &self,
        worker: &str,
        lease_secs: u64,
        channel: &str,
        per_minute: u32,
        digests: bool,
    ) -> anyhow::Result<Vec<ClaimedPost>> {
        let postgres = matches!(self, Store::Postgres(_));
        let posted_sql = self.sql(POSTED_SQLITE, POSTED_POSTGRES);
        let claim_sql = self.sql(CLAIM_SQLITE, CLAIM_POSTGRES);
        let rows: Vec<PostRow> = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if postgres {
                sqlx::query(LOCK_CHANNEL_POSTGRES)
                    .bind(channel)
                    .execute(&mut *tx)
                    .await?;
            }
            let posted: i64 = sqlx::query_scalar(posted_sql)
                .bind(channel)
                .fetch_one(&mut *tx)
                .await?;
            let allowed = i64::from(per_minute) - posted;
            if allowed <= 0 {
                return Ok(Vec::new());
            }
            let rows: Vec<PostRow> = sqlx::query_as(claim_sql)
                .bind(worker)
                .bind(lease_secs as f64)
                .bind(allowed)
                .bind(digests)
                .bind(channel)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        });
        let mut claimed: Vec<ClaimedPost> = rows
            .into_iter()
            .map(|r| ClaimedPost {
                claim: Claimed {
                    id: r.id,
                    token: r.claim_token,
                    attempts: r.attempts,
                    mail: Outgoing {
                        from: String::new(),
                        to: r.recipient,
                        subject: r.subject,
                        text: String::new(),
                        html: None,
                        message_id: r.message_id.clone(),
                        attachments: Vec::new(),
                    },
                },
                payload: r.payload.unwrap_or_default(),
                key: r.message_id,
            })
            .collect();
        claimed.sort_by_key(|c| c.claim.id);
        Ok(claimed)
    }

    /// The channels with messages waiting (to find those no longer configured).
    ///
    /// # Errors
    /// A database failure.
    pub async fn channels_waiting(&self) -> anyhow::Result<Vec<String>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(WAITING_CHANNELS).fetch_all(pool).await?)
        })
    }
}
