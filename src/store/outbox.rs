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

use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use crate::domain::escalation::Item;
use crate::mail::render::{ProblemView, Rendered};
use crate::mail::transport::Outgoing;
use crate::store::{Store, WritePool, with_pool};

/// SQL that differs between the backends: the database clock and row locking.
struct Queries {
    claim: &'static str,
    sent: &'static str,
    retry: &'static str,
    dead_unreported: &'static str,
    stuck_unreported: &'static str,
    release: &'static str,
    retry_now: &'static str,
    run_finished: &'static str,
    /// Serialises the recording of one recipient's digest across instances (PostgreSQL; SQLite
    /// serialises every writer already): then two instances never split a recipient's new lines
    /// into two mails.
    lock_recipient: Option<&'static str>,
    last_ok_age: &'static str,
    oldest_pending_age: &'static str,
}

trait OutboxSql {
    const SQL: &'static Queries;
}

/// Builds the queries from the backend's spelling of "now", of "now plus $2 seconds" and of the
/// row lock a claim takes.
macro_rules! queries {
    ($now:literal, $later:literal, $lock:literal, $age:literal, $lock_recipient:expr) => {
        &Queries {
            claim: concat!(
                "UPDATE outbox SET claimed_by = $1, claim_token = claim_token + 1, claim_until = ",
                $later,
                ", attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
                 WHERE state = 'pending' AND next_attempt_at <= ",
                $now,
                " AND (claim_until IS NULL OR claim_until < ",
                $now,
                ") AND (kind <> 'digest' OR $4) ORDER BY id LIMIT $3",
                $lock,
                ") RETURNING id, claim_token, recipient, subject, body_text, body_html, \
                 message_id, attempts"
            ),
            sent: concat!(
                "UPDATE outbox SET state = 'sent', sent_at = ",
                $now,
                ", claimed_by = NULL, claim_until = NULL, last_error = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state = 'pending'"
            ),
            retry: concat!(
                "UPDATE outbox SET next_attempt_at = ",
                $later,
                ", last_error = $4, possible_duplicate = (possible_duplicate OR $5), \
                 claimed_by = NULL, claim_until = NULL WHERE id = $1 AND claim_token = $3 \
                 AND state = 'pending'"
            ),
            dead_unreported: concat!(
                "SELECT id, recipient, subject, attempts, last_error, \
                 CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'dead' \
                 AND kind <> 'admin' AND (reported IS NULL OR reported = 'stuck') ORDER BY id",
                $lock
            ),
            // $1 is 'admin'; $2 is minus the age, in seconds.
            stuck_unreported: concat!(
                "SELECT id, recipient, subject, attempts, last_error, \
                 CAST(created_at AS TEXT) AS created FROM outbox WHERE state = 'pending' \
                 AND kind <> $1 AND reported IS NULL AND created_at < ",
                $later,
                " ORDER BY id",
                $lock
            ),
            release: "UPDATE outbox SET claimed_by = NULL, claim_until = NULL, \
                      attempts = attempts - 1 WHERE claimed_by = $1 AND state = 'pending'",
            retry_now: concat!(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ",
                $now,
                ", reported = NULL WHERE id = $1 AND state <> 'sent' \
                 AND (claim_until IS NULL OR claim_until < ",
                $now,
                ")"
            ),
            lock_recipient: $lock_recipient,
            run_finished: concat!(
                "UPDATE runs SET finished_at = ",
                $now,
                ", ok = $2, cases = $3, notified = $4, sent = $5, failed = $6, error = $7, \
                 bad_cases = $8, uncountable_cases = $9 WHERE id = $1"
            ),
            last_ok_age: concat!(
                "SELECT ",
                $age,
                " FROM (SELECT max(finished_at) AS t FROM runs WHERE job = 'poll' AND ok) AS last"
            ),
            oldest_pending_age: concat!(
                "SELECT ",
                $age,
                " FROM (SELECT min(created_at) AS t FROM outbox WHERE state = 'pending') AS oldest"
            ),
        }
    };
}

impl OutboxSql for SqlitePool {
    const SQL: &'static Queries = queries!(
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', $2))",
        "",
        "(julianday('now') - julianday(t)) * 86400.0",
        None
    );
}

impl OutboxSql for PgPool {
    const SQL: &'static Queries = queries!(
        "now()",
        "(now() + make_interval(secs => $2))",
        " FOR UPDATE SKIP LOCKED",
        "CAST(EXTRACT(EPOCH FROM (now() - t)) AS DOUBLE PRECISION)",
        // Transaction-scoped: released at commit or rollback, safe with a connection pool.
        Some("SELECT pg_advisory_xact_lock(hashtext($1))")
    );
}

fn queries<P: OutboxSql>(_: &P) -> &'static Queries {
    P::SQL
}

/// Reads a row of the problem queries.
macro_rules! problem_view {
    ($r:expr) => {{
        let r = $r;
        ProblemView {
            id: r.try_get("id")?,
            recipient: r.try_get("recipient")?,
            subject: r.try_get("subject")?,
            attempts: r.try_get("attempts")?,
            last_error: r
                .try_get::<Option<String>, _>("last_error")?
                .unwrap_or_default(),
            created_at: r.try_get("created")?,
        }
    }};
}

/// Inserts an outbox row in transaction `$tx`; evaluates to its id.
macro_rules! insert_outbox {
    ($tx:expr, $kind:expr, $recipient:expr, $rendered:expr, $from:expr) => {{
        let rendered: &Rendered = $rendered;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (kind, recipient, subject, body_text, body_html, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind($kind)
        .bind($recipient)
        .bind(rendered.subject.as_str())
        .bind(rendered.text.as_str())
        .bind(rendered.html.as_deref())
        .bind(crate::mail::new_message_id($from))
        .fetch_one(&mut *$tx)
        .await?;
        for a in &rendered.attachments {
            sqlx::query(
                "INSERT INTO outbox_attachments (outbox_id, filename, content_type, content) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(a.filename.as_str())
            .bind(a.content_type.as_str())
            .bind(a.content.as_slice())
            .execute(&mut *$tx)
            .await?;
        }
        id
    }};
}

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

/// A row of `duewatch outbox list`.
#[derive(Debug, Clone, serde::Serialize)]
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

/// How long the record of a daily repeat is kept, in days.
pub const REPEATS_KEPT_DAYS: u64 = 31;

/// Undeliverable mail not yet reported: (dead letters, stuck).
pub type Problems = (Vec<ProblemView>, Vec<ProblemView>);

impl Store {
    /// Records the keys of one batch's lines, by recipient, 500 a statement, in one
    /// transaction (one commit per batch, not per statement). Returns, for each recipient in
    /// order and by index into its items, the ids of the lines that are in no mail yet: new
    /// keys, and keys recorded by a pass that died before mailing them. Keys already mailed are
    /// left alone.
    ///
    /// # Errors
    /// A database failure.
    pub async fn record_lines(
        &self,
        batch: &[(&str, Vec<&Item>)],
    ) -> anyhow::Result<Vec<Vec<(i64, usize)>>> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut all = Vec::with_capacity(batch.len());
            // The same per-recipient lock as `mail_lines`, taken in the batch's (sorted) order,
            // so that concurrent instances wait for each other instead of deadlocking.
            if let Some(lock) = queries(pool).lock_recipient {
                for (recipient, _) in batch {
                    sqlx::query(lock).bind(*recipient).execute(&mut *tx).await?;
                }
            }
            for (recipient, items) in batch {
                let index: std::collections::HashMap<(&str, &str, &str, chrono::NaiveDate), usize> =
                    items
                        .iter()
                        .enumerate()
                        .map(|(n, i)| {
                            (
                                (i.reference.as_str(), i.stage.as_str(), i.level.as_str(), i.deadline),
                                n,
                            )
                        })
                        .collect();
                let mut unmailed = Vec::new();
                for chunk in items.chunks(500) {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO notifications (case_reference, stage, level, deadline, \
                         recipient, occurrence) ",
                    );
                    insert.push_values(chunk, |mut row, item| {
                        row.push_bind(item.reference.as_str())
                            .push_bind(item.stage.as_str())
                            .push_bind(item.level.as_str())
                            .push_bind(item.deadline)
                            .push_bind(*recipient)
                            .push("'once'");
                    });
                    // The no-op update returns a recorded key only while it is in no mail.
                    insert.push(
                        " ON CONFLICT (case_reference, stage, level, deadline, recipient, \
                         occurrence) DO UPDATE SET outbox_id = NULL \
                         WHERE notifications.outbox_id IS NULL \
                         RETURNING id, case_reference, stage, level, deadline",
                    );
                    let rows = insert.build().fetch_all(&mut *tx).await?;
                    for r in &rows {
                        let reference: String = r.try_get("case_reference")?;
                        let stage: String = r.try_get("stage")?;
                        let level: String = r.try_get("level")?;
                        let deadline: chrono::NaiveDate = r.try_get("deadline")?;
                        let key = (reference.as_str(), stage.as_str(), level.as_str(), deadline);
                        if let Some(n) = index.get(&key) {
                            unmailed.push((r.try_get::<i64, _>("id")?, *n));
                        }
                    }
                }
                all.push(unmailed);
            }
            tx.commit().await?;
            Ok(all)
        })
    }

    /// Makes one digest of those `candidates` (ids of recorded lines of one recipient) that
    /// are still in no mail, plus, when `repeat` is `(day, lines)`, that day's repeat of the
    /// recipient's `lines` still-overdue lines unless it is made already; assigns the lines to
    /// the digest and records the repeat, in one transaction. The recipient is locked meanwhile
    /// (PostgreSQL: an advisory lock for the transaction; SQLite serialises writers), so
    /// instances never put a line in two mails nor repeat a day twice. `render` gets the ids
    /// still unmailed and whether the digest repeats the overdue lines. Returns the new outbox
    /// row, if any.
    ///
    /// # Errors
    /// A database failure, or `render`'s (nothing is assigned then).
    pub async fn mail_lines<F>(
        &self,
        recipient: &str,
        candidates: &[i64],
        repeat: Option<(chrono::NaiveDate, usize)>,
        from: &str,
        render: F,
    ) -> anyhow::Result<Option<i64>>
    where
        F: FnOnce(&std::collections::HashSet<i64>, bool) -> anyhow::Result<Rendered>,
    {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = queries(pool).lock_recipient {
                sqlx::query(lock).bind(recipient).execute(&mut *tx).await?;
            }
            let mut still = std::collections::HashSet::new();
            for chunk in candidates.chunks(500) {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT id FROM notifications WHERE outbox_id IS NULL AND id IN (",
                );
                let mut ids = select.separated(", ");
                for id in chunk {
                    ids.push_bind(*id);
                }
                select.push(")");
                let rows = select.build().fetch_all(&mut *tx).await?;
                for r in &rows {
                    still.insert(r.try_get::<i64, _>("id")?);
                }
            }
            let repeating = match repeat {
                Some((day, _)) => sqlx::query(
                    "SELECT outbox_id FROM repeats WHERE recipient = $1 AND day = $2",
                )
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
            let rendered = render(&still, repeating)?;
            let outbox_id = insert_outbox!(tx, "digest", recipient, &rendered, from);
            if let (true, Some((day, lines))) = (repeating, repeat) {
                sqlx::query(
                    "INSERT INTO repeats (recipient, day, outbox_id, lines) VALUES ($1, $2, $3, $4)",
                )
                .bind(recipient)
                .bind(day)
                .bind(outbox_id)
                .bind(i64::try_from(lines).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
            }
            let mut assigned: Vec<i64> = still.into_iter().collect();
            assigned.sort_unstable();
            for chunk in assigned.chunks(500) {
                let mut update = sqlx::QueryBuilder::new("UPDATE notifications SET outbox_id = ");
                update.push_bind(outbox_id).push(" WHERE id IN (");
                let mut ids = update.separated(", ");
                for id in chunk {
                    ids.push_bind(*id);
                }
                update.push(")");
                update.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Some(outbox_id))
        })
    }

    /// Whether this item went out in a mail already (for `--dry-run`).
    ///
    /// # Errors
    /// A database failure.
    pub async fn notified(&self, item: &Item) -> anyhow::Result<bool> {
        with_pool!(self, pool => {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM notifications WHERE outbox_id IS NOT NULL AND case_reference = $1 \
                 AND stage = $2 AND level = $3 \
                 AND deadline = $4 AND recipient = $5 AND occurrence = 'once'",
            )
            .bind(item.reference.as_str())
            .bind(item.stage.as_str())
            .bind(item.level.as_str())
            .bind(item.deadline)
            .bind(&*item.recipient)
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

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
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id = insert_outbox!(tx, kind, recipient, rendered, from);
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
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let rows = sqlx::query(queries(pool).claim)
                .bind(worker)
                .bind(lease_secs as f64)
                .bind(limit)
                .bind(digests)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let mut claimed = Vec::with_capacity(rows.len());
            for r in rows {
                claimed.push(Claimed {
                    id: r.try_get("id")?,
                    token: r.try_get("claim_token")?,
                    attempts: r.try_get("attempts")?,
                    mail: Outgoing {
                        from: String::new(),
                        to: r.try_get("recipient")?,
                        subject: r.try_get("subject")?,
                        text: r.try_get("body_text")?,
                        html: r.try_get("body_html")?,
                        message_id: r.try_get("message_id")?,
                        attachments: Vec::new(),
                    },
                });
            }
            claimed.sort_by_key(|c| c.id);
            if !claimed.is_empty() {
                // The files go with their message, read after the claim (most have none).
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT outbox_id, filename, content_type, content FROM outbox_attachments \
                     WHERE outbox_id IN (",
                );
                let mut ids = select.separated(", ");
                for c in &claimed {
                    ids.push_bind(c.id);
                }
                select.push(") ORDER BY id");
                for r in select.build().fetch_all(pool).await? {
                    let owner: i64 = r.try_get("outbox_id")?;
                    if let Some(c) = claimed.iter_mut().find(|c| c.id == owner) {
                        c.mail.attachments.push(crate::mail::Attachment {
                            filename: r.try_get("filename")?,
                            content_type: r.try_get("content_type")?,
                            content: r.try_get("content")?,
                        });
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
        with_pool!(self, pool => {
            let done = sqlx::query(queries(pool).sent)
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
        with_pool!(self, pool => {
            let done = sqlx::query(queries(pool).retry)
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
        with_pool!(self, pool => {
            let done = sqlx::query(
                "UPDATE outbox SET state = 'dead', last_error = $3, claimed_by = NULL, \
                 claim_until = NULL WHERE id = $1 AND claim_token = $2 AND state = 'pending'",
            )
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
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET claimed_by = NULL, claim_until = NULL, attempts = attempts - 1 \
                 WHERE id = $1 AND claim_token = $2 AND state = 'pending'",
            )
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
        with_pool!(self, pool => {
            let done = sqlx::query(queries(pool).release)
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
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let dead_rows = sqlx::query(queries(pool).dead_unreported)
                .fetch_all(&mut *tx)
                .await?;
            let stuck_rows = sqlx::query(queries(pool).stuck_unreported)
                .bind("admin")
                .bind(-(stuck_after_secs as f64))
                .fetch_all(&mut *tx)
                .await?;
            let mut dead = Vec::new();
            for r in &dead_rows {
                dead.push(problem_view!(r));
            }
            let mut stuck = Vec::new();
            for r in &stuck_rows {
                stuck.push(problem_view!(r));
            }
            let problems = (dead, stuck);
            if problems.0.is_empty() && problems.1.is_empty() {
                return Ok(problems);
            }
            for (recipient, rendered) in report(&problems)? {
                insert_outbox!(tx, "admin", recipient.as_str(), &rendered, from);
            }
            for (list, mark) in [(&problems.0, "dead"), (&problems.1, "stuck")] {
                for p in list {
                    sqlx::query("UPDATE outbox SET reported = $2 WHERE id = $1")
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
        with_pool!(self, pool => {
            let sql = if failed_only {
                "SELECT id, kind, recipient, subject, state, attempts, last_error, \
                 possible_duplicate, CAST(created_at AS TEXT) AS created, \
                 CAST(next_attempt_at AS TEXT) AS next, CAST(sent_at AS TEXT) AS sent, \
                 message_id FROM outbox WHERE state = 'dead' OR (state = 'pending' \
                 AND last_error IS NOT NULL) ORDER BY id DESC LIMIT $1"
            } else {
                "SELECT id, kind, recipient, subject, state, attempts, last_error, \
                 possible_duplicate, CAST(created_at AS TEXT) AS created, \
                 CAST(next_attempt_at AS TEXT) AS next, CAST(sent_at AS TEXT) AS sent, \
                 message_id FROM outbox ORDER BY id DESC LIMIT $1"
            };
            let rows = sqlx::query(sql).bind(limit).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(Listed {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    recipient: r.try_get("recipient")?,
                    subject: r.try_get("subject")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    possible_duplicate: r.try_get("possible_duplicate")?,
                    created_at: r.try_get("created")?,
                    next_attempt_at: r.try_get("next")?,
                    sent_at: r.try_get("sent")?,
                    message_id: r.try_get("message_id")?,
                });
            }
            Ok(out)
        })
    }

    /// Makes a dead or waiting message due now (`duewatch outbox retry ID`). Returns whether
    /// there was such a message.
    ///
    /// # Errors
    /// A database failure.
    pub async fn outbox_retry(&self, id: i64) -> anyhow::Result<bool> {
        with_pool!(self, pool => {
            let done = sqlx::query(queries(pool).retry_now).bind(id).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Queues a notice to each of `recipients` unless this notice (`key`, `day`, `occurrence`)
    /// was queued for them before: calendar warnings and the like go out once however many
    /// passes or instances find them. Returns how many were queued.
    ///
    /// # Errors
    /// A database failure.
    pub async fn record_notice(
        &self,
        key: &str,
        day: chrono::NaiveDate,
        occurrence: &str,
        recipients: &[String],
        rendered: &Rendered,
        from: &str,
    ) -> anyhow::Result<usize> {
        let mut queued = 0;
        for recipient in recipients {
            let made: bool = with_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
                     occurrence) VALUES ('*', $1, 'admin', $2, $3, $4) ON CONFLICT DO NOTHING \
                     RETURNING id",
                )
                .bind(key)
                .bind(day)
                .bind(recipient.as_str())
                .bind(occurrence)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = id {
                    let outbox_id = insert_outbox!(tx, "admin", recipient.as_str(), rendered, from);
                    sqlx::query("UPDATE notifications SET outbox_id = $1 WHERE id = $2")
                        .bind(outbox_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    true
                } else {
                    false
                }
            });
            queued += usize::from(made);
        }
        Ok(queued)
    }

    /// Those of `recipients` a notice under `key` was not queued to yet (the monthly report
    /// asks before computing it, recipient by recipient: a run stopped after the first
    /// recipient must still reach the others; [`Store::record_notice`] still decides by the
    /// unique key).
    ///
    /// # Errors
    /// A database failure.
    pub async fn notice_not_queued(
        &self,
        key: &str,
        recipients: &[String],
    ) -> anyhow::Result<Vec<String>> {
        let mut missing = Vec::new();
        for recipient in recipients {
            let found: Option<i64> = with_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT id FROM notifications WHERE case_reference = '*' AND stage = $1 \
                     AND level = 'admin' AND recipient = $2 AND outbox_id IS NOT NULL LIMIT 1",
                )
                .bind(key)
                .bind(recipient.as_str())
                .fetch_optional(pool)
                .await?
            });
            if found.is_none() {
                missing.push(recipient.clone());
            }
        }
        Ok(missing)
    }

    /// Queues to each of `recipients` one notice listing those of `lines` it was never sent:
    /// each line is `(case reference, problem)`, recorded once under the key (reference,
    /// `stage`, a hash of the problem), so a problem is reported once however many passes or
    /// instances find it, and a changed problem is reported again. `render` makes the notice
    /// from the new lines. Returns how many lines were new, summed over recipients.
    ///
    /// # Errors
    /// A database failure, or `render`'s.
    pub async fn record_problem_lines<F>(
        &self,
        stage: &str,
        lines: &[(String, String)],
        recipients: &[String],
        from: &str,
        render: F,
    ) -> anyhow::Result<usize>
    where
        F: Fn(&[String]) -> anyhow::Result<Rendered>,
    {
        // A fixed date: these keys are for good, not per day. Their occurrence ("problem:…")
        // sorts after every date, so the housekeeping of past days' repeats never forgets them.
        let forever = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        let mut new_lines = 0;
        for recipient in recipients {
            with_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                let mut ids = Vec::new();
                let mut texts = Vec::new();
                for (reference, problem) in lines {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO notifications (case_reference, stage, level, deadline, \
                         recipient, occurrence) VALUES ($1, $2, 'admin', $3, $4, $5) \
                         ON CONFLICT DO NOTHING RETURNING id",
                    )
                    .bind(reference.as_str())
                    .bind(stage)
                    .bind(forever)
                    .bind(recipient.as_str())
                    .bind(format!("problem:{:016x}", fnv(problem.as_bytes())))
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(id) = id {
                        ids.push(id);
                        texts.push(format!("{reference}：{problem}"));
                    }
                }
                if !ids.is_empty() {
                    let rendered = render(&texts)?;
                    let outbox_id = insert_outbox!(tx, "admin", recipient.as_str(), &rendered, from);
                    for id in &ids {
                        sqlx::query("UPDATE notifications SET outbox_id = $1 WHERE id = $2")
                            .bind(outbox_id)
                            .bind(*id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    new_lines += ids.len();
                }
                tx.commit().await?;
            });
        }
        Ok(new_lines)
    }

    /// The recipients whose daily overdue repeat of `day` is made already.
    ///
    /// # Errors
    /// A database failure.
    pub async fn repeated_on(
        &self,
        day: chrono::NaiveDate,
    ) -> anyhow::Result<std::collections::HashSet<String>> {
        with_pool!(self, pool => {
            let rows: Vec<String> =
                sqlx::query_scalar("SELECT recipient FROM repeats WHERE day = $1")
                    .bind(day)
                    .fetch_all(pool)
                    .await?;
            Ok(rows.into_iter().collect())
        })
    }

    /// Forgets what can never matter again, as of `today`: the records of daily repeats older
    /// than [`REPEATS_KEPT_DAYS`] (only today's decides anything; the older ones are kept a
    /// while to answer "was I told?"), and the per-line keys of repeated notices that versions
    /// before the `repeats` table recorded for past days. Returns how many rows were deleted.
    ///
    /// # Errors
    /// A database failure.
    pub async fn forget_past_repeats(&self, today: chrono::NaiveDate) -> anyhow::Result<u64> {
        let kept_from = today - chrono::Days::new(REPEATS_KEPT_DAYS);
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let old_keys = sqlx::query(
                "DELETE FROM notifications WHERE level = 'overdue' AND occurrence <> 'once' \
                 AND occurrence < $1",
            )
            .bind(today.to_string())
            .execute(&mut *tx)
            .await?;
            let repeats = sqlx::query("DELETE FROM repeats WHERE day < $1")
                .bind(kept_from)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(old_keys.rows_affected() + repeats.rows_affected())
        })
    }

    /// Records the start of a job's run; returns its id.
    ///
    /// # Errors
    /// A database failure.
    pub async fn run_started(&self, job: &str, worker: &str) -> anyhow::Result<i64> {
        with_pool!(self, pool => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO runs (job, worker) VALUES ($1, $2) RETURNING id",
            )
            .bind(job)
            .bind(worker)
            .fetch_one(pool)
            .await?;
            Ok(id)
        })
    }

    /// Records the end of a run with its figures.
    ///
    /// # Errors
    /// A database failure.
    pub async fn run_finished(
        &self,
        id: i64,
        figures: &RunFigures,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        with_pool!(self, pool => {
            sqlx::query(queries(pool).run_finished)
                .bind(id)
                .bind(error.is_none())
                .bind(i32::try_from(figures.cases).unwrap_or(i32::MAX))
                .bind(count(figures.digests))
                .bind(count(figures.sent))
                .bind(count(figures.failed))
                .bind(error)
                // NULL when the run did not count the cases (window closed, failure, other job).
                .bind(figures.bad_cases.map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
                .bind(figures.uncountable.map(count))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// What `health` needs: seconds since the last successful poll (None: never), the dead
    /// letters waiting, the pending messages and the age of the oldest, in seconds.
    ///
    /// # Errors
    /// A database failure.
    pub async fn health(&self) -> anyhow::Result<Health> {
        with_pool!(self, pool => {
            let q = queries(pool);
            let last_ok: Option<f64> = sqlx::query_scalar(q.last_ok_age).fetch_one(pool).await?;
            let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'dead'")
                .fetch_one(pool)
                .await?;
            let pending: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE state = 'pending'")
                    .fetch_one(pool)
                    .await?;
            let oldest: Option<f64> = sqlx::query_scalar(q.oldest_pending_age).fetch_one(pool).await?;
            let last_error: Option<String> = sqlx::query_scalar(
                "SELECT error FROM runs WHERE job = 'poll' AND ok = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(false)
            .fetch_optional(pool)
            .await?
            .flatten();
            // The latest poll that counted the cases (a poll outside the window or a failed one
            // records NULL): the cases it could not watch, and of those the uncountable ones.
            let counted: Option<(i32, Option<i32>)> = sqlx::query_as(
                "SELECT bad_cases, uncountable_cases FROM runs WHERE job = 'poll' \
                 AND finished_at IS NOT NULL AND bad_cases IS NOT NULL ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            Ok(Health {
                last_ok_poll_age_secs: last_ok,
                dead_letters: dead,
                pending,
                oldest_pending_age_secs: oldest,
                last_error,
                bad_cases: counted.map_or(0, |(bad, _)| i64::from(bad)),
                uncountable_cases: counted.and_then(|(_, u)| u).map_or(0, i64::from),
            })
        })
    }
}

/// The figures a run records in `runs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunFigures {
    /// Open cases read.
    pub cases: u64,
    /// Digests made.
    pub digests: usize,
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed (to be retried, or dead).
    pub failed: usize,
    /// Cases that could not be read or evaluated; `None` when the run did not count the cases.
    pub bad_cases: Option<u64>,
    /// Cases whose deadlines cannot be counted; `None` when the run did not count the cases.
    pub uncountable: Option<usize>,
}

/// The figures `duewatch health` and `/metrics` report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Health {
    /// Seconds since the last successful poll finished; `None`: never.
    pub last_ok_poll_age_secs: Option<f64>,
    /// Dead letters in the outbox.
    pub dead_letters: i64,
    /// Messages waiting.
    pub pending: i64,
    /// Age of the oldest waiting message, seconds.
    pub oldest_pending_age_secs: Option<f64>,
    /// The error of the latest failed poll, if any.
    pub last_error: Option<String>,
    /// Open cases the latest poll that counted them could not read or evaluate (not watched).
    pub bad_cases: i64,
    /// Of those, the cases whose deadlines cannot be counted.
    pub uncountable_cases: i64,
}

/// FNV-1a, 64 bits: a stable hash (the same across processes and versions) to key a problem's
/// text.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
