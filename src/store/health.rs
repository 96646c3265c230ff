//! The figures `duewatch health` and `/metrics` report, read from `runs` and `outbox`: how long
//! since the last good poll, the dead letters, the mail waiting and how old, the latest poll's
//! error and the cases it could not watch.

use super::{Store, with_pool};

// The age in seconds, on the database's clock, of the last successful poll's end.
const LAST_OK_AGE_SQLITE: &str = "SELECT (julianday('now') - julianday(t)) * 86400.0 \
     FROM (SELECT max(finished_at) AS t FROM runs WHERE job = 'poll' AND ok) AS last";
const LAST_OK_AGE_POSTGRES: &str = "SELECT CAST(EXTRACT(EPOCH FROM (now() - t)) AS DOUBLE PRECISION) \
     FROM (SELECT max(finished_at) AS t FROM runs WHERE job = 'poll' AND ok) AS last";

// The age in seconds of the oldest message waiting.
const OLDEST_PENDING_AGE_SQLITE: &str = "SELECT (julianday('now') - julianday(t)) * 86400.0 \
     FROM (SELECT min(created_at) AS t FROM outbox WHERE state = 'pending') AS oldest";
const OLDEST_PENDING_AGE_POSTGRES: &str = "SELECT \
     CAST(EXTRACT(EPOCH FROM (now() - t)) AS DOUBLE PRECISION) \
     FROM (SELECT min(created_at) AS t FROM outbox WHERE state = 'pending') AS oldest";

const DEAD_LETTERS: &str = "SELECT count(*) FROM outbox WHERE state = 'dead'";
const PENDING: &str = "SELECT count(*) FROM outbox WHERE state = 'pending'";
const LAST_POLL_ERROR: &str =
    "SELECT error FROM runs WHERE job = 'poll' AND ok = $1 ORDER BY id DESC LIMIT 1";
/// The latest poll that counted the cases (a poll outside the window or a failed one records
/// NULL): the cases it could not watch, and of those the uncountable ones.
const LAST_COUNTED: &str = "SELECT bad_cases, uncountable_cases FROM runs WHERE job = 'poll' \
     AND finished_at IS NOT NULL AND bad_cases IS NOT NULL ORDER BY id DESC LIMIT 1";

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

impl Store {
    /// What `health` needs: seconds since the last successful poll (None: never), the dead
    /// letters waiting, the pending messages and the age of the oldest, in seconds.
    ///
    /// # Errors
    /// A database failure.
    pub async fn health(&self) -> anyhow::Result<Health> {
        let last_ok_age = self.sql(LAST_OK_AGE_SQLITE, LAST_OK_AGE_POSTGRES);
        let oldest_pending_age = self.sql(OLDEST_PENDING_AGE_SQLITE, OLDEST_PENDING_AGE_POSTGRES);
        with_pool!(self, |pool| {
            let last_ok: Option<f64> = sqlx::query_scalar(last_ok_age).fetch_one(pool).await?;
            let dead: i64 = sqlx::query_scalar(DEAD_LETTERS).fetch_one(pool).await?;
            let pending: i64 = sqlx::query_scalar(PENDING).fetch_one(pool).await?;
            let oldest: Option<f64> = sqlx::query_scalar(oldest_pending_age)
                .fetch_one(pool)
                .await?;
            let last_error: Option<String> = sqlx::query_scalar(LAST_POLL_ERROR)
                .bind(false)
                .fetch_optional(pool)
                .await?
                .flatten();
            let counted: Option<(i32, Option<i32>)> =
                sqlx::query_as(LAST_COUNTED).fetch_optional(pool).await?;
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
