//! The `returns` table (migration 0012): the forwardings a section undid by giving the case back
//! as not its own (退回), a child of `cases` like its extensions and suspensions, replaced whole
//! with them ([`super::cases`]). This file holds the statements and the row; `cases.rs` runs
//! them in the case's transaction.

use chrono::NaiveDate;

use super::StoreError;
use crate::domain::case::{Reference, Return, SectionCode, text};

/// A case's returns (row `$1`), in order.
pub(super) const CASE_RETURNS: &str = "SELECT returned_on, section, forwarded_on, reason \
     FROM returns WHERE case_id = $1 ORDER BY position";
pub(super) const DELETE_RETURNS: &str = "DELETE FROM returns WHERE case_id = $1";
pub(super) const INSERT_RETURN: &str = "INSERT INTO returns (case_id, position, returned_on, \
     section, forwarded_on, reason) VALUES ($1, $2, $3, $4, $5, $6)";

/// The returns of the cases whose references lie in [$1, $2] (a batch), as the other children
/// are read (`cases.rs`); open ones only in the `OPEN` statement.
pub(super) const SCAN_RETURNS: &str = "SELECT t.case_id, t.returned_on, t.section, \
     t.forwarded_on, t.reason FROM cases c CROSS JOIN returns t WHERE t.case_id = c.id \
     AND c.reference >= $1 AND c.reference <= $2 ORDER BY t.case_id, t.position";
pub(super) const SCAN_OPEN_RETURNS: &str = "SELECT t.case_id, t.returned_on, t.section, \
     t.forwarded_on, t.reason FROM cases c CROSS JOIN returns t WHERE t.case_id = c.id \
     AND c.reference >= $1 AND c.reference <= $2 AND c.replied_on IS NULL \
     AND c.closed_on IS NULL ORDER BY t.case_id, t.position";

/// A `returns` row.
#[derive(Debug, sqlx::FromRow)]
pub struct ReturnRow {
    /// Given back on.
    pub returned_on: NaiveDate,
    /// The section's code.
    pub section: String,
    /// The forwarding undone.
    pub forwarded_on: NaiveDate,
    /// Why.
    pub reason: String,
}

impl TryFrom<(&Reference, ReturnRow)> for Return {
    type Error = StoreError;

    /// A return of the case `reference` (named if its section cannot be read).
    fn try_from((reference, row): (&Reference, ReturnRow)) -> Result<Return, StoreError> {
        Ok(Return {
            returned_on: row.returned_on,
            section: SectionCode::parse(&row.section).map_err(|e| {
                StoreError::Database(anyhow::anyhow!(
                    "case {reference}: the stored section of a return cannot be read ({e}); \
                     correct the row"
                ))
            })?,
            forwarded_on: row.forwarded_on,
            reason: text::cleaned(&row.reason),
        })
    }
}
