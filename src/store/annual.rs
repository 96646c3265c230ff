//! The cases of one year's annual report (table 3, [`crate::domain::annual`]), read by date
//! range and streamed: the cases received in the year, those received before it and finished
//! (reply, else closure) in it or later, those received before it and still open, and (bad data
//! the report must name) those received after it but finished in it. Each part is one indexed
//! range (migration 0013: `cases_received`, `cases_finished`; `cases_open`), so a database of
//! 1,000,000 cases is neither scanned nor held in memory: rows are handed on one at a time.

use chrono::NaiveDate;
use futures_util::TryStreamExt as _;
use sqlx::FromRow as _;

use super::{Store, StoreError, with_pool};
use crate::domain::annual::{AnnualTable, Entry};
use crate::domain::case::Reference;
use crate::domain::outcome::{Applicant, Outcome};

/// The four disjoint parts of a year (`$1` its first day, `$2` its last), one statement (dates
/// compare as dates on PostgreSQL, as `YYYY-MM-DD` text on SQLite). PostgreSQL's planner picks
/// the partial index `cases_open` for the third part by itself.
const YEAR_CASES: &str = "\
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE received_on >= $1 AND received_on <= $2 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE COALESCE(replied_on, closed_on) >= $1 AND received_on < $1 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE replied_on IS NULL AND closed_on IS NULL AND received_on < $1 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE COALESCE(replied_on, closed_on) >= $1 AND COALESCE(replied_on, closed_on) <= $2 \
 AND received_on > $2";

/// [`YEAR_CASES`] for SQLite, whose planner (without ANALYZE) reads the third part through
/// `cases_received`, every case before the year (1.7 s over 1,000,000 cases), instead of the
/// open ones alone (0.09 s): `INDEXED BY` names the index.
const YEAR_CASES_SQLITE: &str = "\
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE received_on >= $1 AND received_on <= $2 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE COALESCE(replied_on, closed_on) >= $1 AND received_on < $1 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 INDEXED BY cases_open WHERE replied_on IS NULL AND closed_on IS NULL AND received_on < $1 \
UNION ALL \
SELECT reference, received_on, replied_on, closed_on, outcome, applicant FROM cases \
 WHERE COALESCE(replied_on, closed_on) >= $1 AND COALESCE(replied_on, closed_on) <= $2 \
 AND received_on > $2";

/// A row of [`YEAR_CASES`].
#[derive(Debug, sqlx::FromRow)]
struct YearRow {
    reference: String,
    received_on: NaiveDate,
    replied_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    outcome: Option<String>,
    applicant: Option<String>,
}

impl TryFrom<YearRow> for Entry {
    type Error = String;

    /// The entry, or why a stored value cannot be read (naming the case and the column).
    fn try_from(row: YearRow) -> Result<Entry, String> {
        let named =
            |what: &str, e: String| format!("case {}: the stored {what}: {e}", row.reference);
        Ok(Entry {
            reference: Reference::parse(&row.reference).map_err(|e| named("reference", e))?,
            received_on: row.received_on,
            finished_on: row.replied_on.or(row.closed_on),
            outcome: row
                .outcome
                .as_deref()
                .map(Outcome::parse)
                .transpose()
                .map_err(|e| named("outcome", e))?,
            applicant: row
                .applicant
                .as_deref()
                .map(Applicant::parse)
                .transpose()
                .map_err(|e| named("applicant", e))?,
        })
    }
}

impl Store {
    /// Hands `each` every case that concerns the annual table of `year`, one at a time, as read
    /// (in no particular order); a row whose stored category cannot be read comes as an `Err`
    /// naming the case. One snapshot.
    ///
    /// # Errors
    /// A database failure; a year outside the calendar's range.
    pub async fn annual_entries(
        &self,
        year: i32,
        mut each: impl FnMut(Result<Entry, String>),
    ) -> Result<(), StoreError> {
        let (first, last) = AnnualTable::bounds(year).ok_or_else(|| {
            StoreError::Database(anyhow::anyhow!("{year} is not a year duewatch counts in"))
        })?;
        let statement = self.sql(YEAR_CASES_SQLITE, YEAR_CASES);
        with_pool!(self, |pool| {
            let mut tx = super::WritePool::begin_snapshot(pool).await?;
            {
                let mut rows = sqlx::query(statement)
                    .bind(first)
                    .bind(last)
                    .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    each(
                        YearRow::from_row(&row)
                            .map_err(|e| e.to_string())
                            .and_then(Entry::try_from),
                    );
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
