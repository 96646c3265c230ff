//! The `runs` table: each job's run, its start, its end, its figures and its error (read back
//! by [`super::health`]).

use super::{Store, with_pool};

const RUN_STARTED: &str = "INSERT INTO runs (job, worker) VALUES ($1, $2) RETURNING id";

// `$1` the run, `$2` whether it succeeded, `$3`…`$6` its figures, `$7` its error, `$8` and `$9`
// the cases it could not watch and could not count (NULL: not counted). The end is the
// database's clock.
const RUN_FINISHED_SQLITE: &str = "UPDATE runs \
     SET finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ok = $2, cases = $3, notified = $4, \
     sent = $5, failed = $6, error = $7, bad_cases = $8, uncountable_cases = $9 WHERE id = $1";
const RUN_FINISHED_POSTGRES: &str = "UPDATE runs SET finished_at = now(), ok = $2, cases = $3, \
     notified = $4, sent = $5, failed = $6, error = $7, bad_cases = $8, uncountable_cases = $9 \
     WHERE id = $1";

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

impl Store {
    /// Records the start of a job's run; returns its id.
    ///
    /// # Errors
    /// A database failure.
    pub async fn run_started(&self, job: &str, worker: &str) -> anyhow::Result<i64> {
        with_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(RUN_STARTED)
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
        let finished = self.sql(RUN_FINISHED_SQLITE, RUN_FINISHED_POSTGRES);
        with_pool!(self, |pool| {
            sqlx::query(finished)
                .bind(id)
                .bind(error.is_none())
                .bind(i32::try_from(figures.cases).unwrap_or(i32::MAX))
                .bind(count(figures.digests))
                .bind(count(figures.sent))
                .bind(count(figures.failed))
                .bind(error)
                // NULL when the run did not count the cases (window closed, failure, other job).
                .bind(
                    figures
                        .bad_cases
                        .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
                )
                .bind(figures.uncountable.map(count))
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
