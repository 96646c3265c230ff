//! The `repeats` table: the daily repeat of a recipient's still-overdue lines, one row per
//! recipient and day, written with the digest that carries it ([`Store::mail_lines`]), and
//! forgotten after [`REPEATS_KEPT_DAYS`].

use std::collections::HashSet;

use chrono::NaiveDate;

use super::{Store, WritePool, with_pool};

/// How long the record of a daily repeat is kept, in days.
pub const REPEATS_KEPT_DAYS: u64 = 31;

const REPEATED_ON: &str = "SELECT recipient FROM repeats WHERE day = $1";

/// The per-line keys of repeated notices that versions before the `repeats` table recorded,
/// for days before `$1`.
const FORGET_OLD_KEYS: &str = "DELETE FROM notifications WHERE level = 'overdue' \
     AND occurrence <> 'once' AND occurrence < $1";
const FORGET_REPEATS: &str = "DELETE FROM repeats WHERE day < $1";

impl Store {
    /// The recipients whose daily overdue repeat of `day` is made already.
    ///
    /// # Errors
    /// A database failure.
    pub async fn repeated_on(&self, day: NaiveDate) -> anyhow::Result<HashSet<String>> {
        with_pool!(self, |pool| {
            let rows: Vec<String> = sqlx::query_scalar(REPEATED_ON)
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
    pub async fn forget_past_repeats(&self, today: NaiveDate) -> anyhow::Result<u64> {
        let kept_from = today - chrono::Days::new(REPEATS_KEPT_DAYS);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let old_keys = sqlx::query(FORGET_OLD_KEYS)
                .bind(today.to_string())
                .execute(&mut *tx)
                .await?;
            let repeats = sqlx::query(FORGET_REPEATS)
                .bind(kept_from)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(old_keys.rows_affected() + repeats.rows_affected())
        })
    }
}
