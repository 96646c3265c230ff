//! The `notifications` table: the key of every digest line and notice recorded (step 1 of the
//! delivery guarantee, [`super::outbox`]), and the mail each went out in. Recording is
//! idempotent (`ON CONFLICT` on the unique key); assigning a recipient's unmailed lines to one
//! digest happens under a per-recipient lock, in the transaction that queues the digest and
//! records its daily repeat (`repeats`).
//!
//! Notices that are not about a case (calendar warnings, the monthly report, problems found in
//! the cases) are keyed here too (`case_reference = '*'` or the case, `level = 'admin'`), so
//! that each goes out once however many passes or instances find it.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::lines_sql::{InsertLines, LineIds, MailedKeys};
use super::outbox::OutboxSql;
use super::{Store, WritePool, with_pool};
use crate::domain::address::EmailAddress;
use crate::domain::escalation::Item;
use crate::mail::render::Rendered;

/// Serialises the recording of one recipient's digest across instances (PostgreSQL; SQLite
/// serialises every writer already): then two instances never split a recipient's new lines
/// into two mails. Transaction-scoped: released at commit or rollback, safe with a connection
/// pool. Every statement that writes a recipient's lines takes it (`mail_lines`,
/// `channel_outbox`), or its batch form below.
pub(super) const LOCK_RECIPIENT_POSTGRES: &str = "SELECT pg_advisory_xact_lock(hashtext($1))";
/// The same lock, the same key, for each recipient of `$1` in the array's order (recording a
/// batch: the recipients sorted, so that instances that lock the same ones wait for each other
/// instead of deadlocking).
pub(super) const LOCK_RECIPIENTS_POSTGRES: &str =
    "SELECT pg_advisory_xact_lock(hashtext(r)) FROM unnest($1::text[]) AS t (r)";

// The statements over a list of lines or ids differ by backend: they are in `lines_sql`. The
// others are whole statements, here.

const REPEAT_MADE: &str = "SELECT outbox_id FROM repeats WHERE recipient = $1 AND day = $2";
const INSERT_REPEAT: &str =
    "INSERT INTO repeats (recipient, day, outbox_id, lines) VALUES ($1, $2, $3, $4)";

const NOTIFIED: &str = "SELECT id FROM notifications WHERE outbox_id IS NOT NULL \
     AND case_reference = $1 AND stage = $2 AND level = $3 AND deadline = $4 \
     AND recipient = $5 AND occurrence = 'once'";

const INSERT_NOTICE: &str = "INSERT INTO notifications (case_reference, stage, level, deadline, \
     recipient, occurrence) VALUES ('*', $1, 'admin', $2, $3, $4) ON CONFLICT DO NOTHING \
     RETURNING id";
const ASSIGN_LINE: &str = "UPDATE notifications SET outbox_id = $1 WHERE id = $2";
const NOTICE_QUEUED: &str = "SELECT id FROM notifications WHERE case_reference = '*' \
     AND stage = $1 AND level = 'admin' AND recipient = $2 AND outbox_id IS NOT NULL LIMIT 1";

const INSERT_PROBLEM_LINE: &str = "INSERT INTO notifications (case_reference, stage, level, \
     deadline, recipient, occurrence) VALUES ($1, $2, 'admin', $3, $4, $5) \
     ON CONFLICT DO NOTHING RETURNING id";

impl Store {
    /// The per-recipient lock of [`LOCK_RECIPIENT_POSTGRES`]; none on SQLite.
    fn lock_recipient(&self) -> Option<&'static str> {
        match self {
            Store::Sqlite(_) => None,
            Store::Postgres(_) => Some(LOCK_RECIPIENT_POSTGRES),
        }
    }

    /// Records the keys of one batch's lines, by recipient, in one transaction: a few statements
    /// for the whole batch, whatever its recipients, first as new keys ([`InsertLines`]).
    /// Returns, for each recipient in order and by index into its items, the ids of the lines
    /// that are in no mail yet: new keys, and keys recorded by a pass that died before mailing
    /// them. Keys already mailed are left alone.
    ///
    /// # Errors
    /// A database failure.
    pub async fn record_lines(
        &self,
        batch: &[(&str, Vec<&Item>)],
    ) -> anyhow::Result<Vec<Vec<(i64, usize)>>> {
        // The batch as one list; each recipient's lines start at its offset in it.
        let mut offsets = Vec::with_capacity(batch.len());
        let mut lines = Vec::with_capacity(batch.iter().map(|(_, items)| items.len()).sum());
        for (recipient, items) in batch {
            offsets.push(lines.len());
            lines.extend(items.iter().map(|item| (*recipient, *item)));
        }
        let unmailed = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let unmailed = InsertLines::insert_lines(&mut tx, &lines).await?;
            tx.commit().await?;
            unmailed
        });
        let mut by_recipient = vec![Vec::new(); batch.len()];
        for (id, index) in unmailed {
            let r = offsets.partition_point(|&start| start <= index) - 1;
            by_recipient[r].push((id, index - offsets[r]));
        }
        Ok(by_recipient)
    }

    /// The digests ([`crate::domain::escalation::LineKey::hash`]) of the lines of the cases
    /// `references` that are in a mail already. A reconcile asks before recording a batch's lines it does not know to be
    /// mailed (a fresh process knows none): a mailed key needs no write, and most are mailed.
    /// A line mailed meanwhile by another instance is found by the recording's `ON CONFLICT`,
    /// as before; a line never goes back to being unmailed.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mailed_keys(&self, references: &[&str]) -> anyhow::Result<Vec<u128>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, |pool| Ok(
            MailedKeys::mailed_keys(pool, references).await?
        ))
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
        repeat: Option<(NaiveDate, usize)>,
        from: &str,
        render: F,
    ) -> anyhow::Result<Option<i64>>
    where
        F: FnOnce(&HashSet<i64>, bool) -> anyhow::Result<Rendered>,
    {
        let lock = self.lock_recipient();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(recipient).execute(&mut *tx).await?;
            }
            // The lines still in no mail (PostgreSQL puts them in the mail's reserved id now).
            let (still, reserved) = LineIds::claim(&mut tx, candidates).await?;
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
            let rendered = render(&still, repeating)?;
            let outbox_id = OutboxSql::insert_outbox_as(
                &mut tx, reserved, "digest", recipient, &rendered, from,
            )
            .await?;
            if let (true, Some((day, lines))) = (repeating, repeat) {
                sqlx::query(INSERT_REPEAT)
                    .bind(recipient)
                    .bind(day)
                    .bind(outbox_id)
                    .bind(i64::try_from(lines).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await?;
            }
            if reserved.is_none() {
                let mut assigned: Vec<i64> = still.into_iter().collect();
                assigned.sort_unstable();
                LineIds::assign(&mut tx, outbox_id, &assigned).await?;
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
        with_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(NOTIFIED)
                .bind(item.reference.as_str())
                .bind(item.stage.as_str())
                .bind(&*item.level_key)
                .bind(item.deadline)
                .bind(&*item.recipient)
                .fetch_optional(pool)
                .await?;
            Ok(found.is_some())
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
        day: NaiveDate,
        occurrence: &str,
        recipients: &[EmailAddress],
        rendered: &Rendered,
        from: &str,
    ) -> anyhow::Result<usize> {
        let mut queued = 0;
        for recipient in recipients {
            let made: bool = with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let id: Option<i64> = sqlx::query_scalar(INSERT_NOTICE)
                    .bind(key)
                    .bind(day)
                    .bind(recipient.as_str())
                    .bind(occurrence)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(id) = id {
                    let outbox_id = OutboxSql::insert_outbox(
                        &mut tx,
                        "admin",
                        recipient.as_str(),
                        rendered,
                        from,
                    )
                    .await?;
                    sqlx::query(ASSIGN_LINE)
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
        recipients: &[EmailAddress],
    ) -> anyhow::Result<Vec<EmailAddress>> {
        let mut missing = Vec::new();
        for recipient in recipients {
            let found: Option<i64> = with_pool!(self, |pool| {
                sqlx::query_scalar(NOTICE_QUEUED)
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
        recipients: &[EmailAddress],
        from: &str,
        render: F,
    ) -> anyhow::Result<usize>
    where
        F: Fn(&[String]) -> anyhow::Result<Rendered>,
    {
        // A fixed date: these keys are for good, not per day. Their occurrence ("problem:…")
        // sorts after every date, so the housekeeping of past days' repeats never forgets them.
        let forever = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        let mut new_lines = 0;
        for recipient in recipients {
            with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let mut ids = Vec::new();
                let mut texts = Vec::new();
                for (reference, problem) in lines {
                    let id: Option<i64> = sqlx::query_scalar(INSERT_PROBLEM_LINE)
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
                    let outbox_id = OutboxSql::insert_outbox(
                        &mut tx,
                        "admin",
                        recipient.as_str(),
                        &rendered,
                        from,
                    )
                    .await?;
                    for id in &ids {
                        sqlx::query(ASSIGN_LINE)
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
