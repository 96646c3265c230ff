//! The notifications of one overdue grade that went out in a mail (the red card, issue 17),
//! for the supervision report's column of red cards per party ([`crate::output::feeds`]).
//! Read-only; the same statement on both backends (timestamps decode as UTC on both, as in
//! `told.rs`).

use chrono::{DateTime, NaiveDate, Utc};

use super::{Store, with_pool};

/// The notifications of level `$1` (`overdue:CODE`) that are in a mail.
const GRADE_MAILED: &str = "SELECT case_reference, stage, deadline, recipient, created_at \
     FROM notifications WHERE level = $1 AND outbox_id IS NOT NULL";

/// One notification of a grade, to one address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GradeMailed {
    /// The case.
    pub case_reference: String,
    /// `forward` or `reply`.
    pub stage: String,
    /// The deadline it was about (a new deadline is a new card).
    pub deadline: NaiveDate,
    /// The address told.
    pub recipient: String,
    /// When it was recorded (and put in a mail).
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Every notification of level `level_key` that is in a mail.
    ///
    /// # Errors
    /// A database failure.
    pub async fn grade_mailed(&self, level_key: &str) -> anyhow::Result<Vec<GradeMailed>> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as(GRADE_MAILED)
                .bind(level_key)
                .fetch_all(pool)
                .await?)
        })
    }
}
