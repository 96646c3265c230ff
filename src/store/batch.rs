//! A batch of cases as a scan reads it: the case rows decoded and their children (extensions,
//! suspensions, returns, each ordered by case and position) merged into them by case id. Shared
//! by every reader of batches ([`super::cases::Cursor`], [`super::period::PeriodCursor`]); it
//! runs no statement itself. A row that cannot be decoded makes its case an `Err` naming it, and
//! the other cases of the batch are read.

use std::collections::HashMap;

use sqlx::FromRow as _;

use super::StoreError;
use super::returns::ReturnRow;
use super::rows::{CaseKey, CaseRow, ChildKey, ExtensionRow, SuspensionRow, undecodable};
use crate::domain::case::{Case, Return, Suspension};

/// One batch of a scan ([`super::Cursor`]).
pub(crate) struct Batch {
    /// The cases, in reference order; a row that cannot be decoded is an `Err` naming the case.
    pub(super) cases: Vec<Result<Case, StoreError>>,
    /// The last reference read.
    pub(super) last: String,
    /// Whether the batch was short: there is nothing after it.
    pub(super) last_batch: bool,
}

impl Batch {
    /// A batch of `cases` read up to reference `last`; a short batch is the last one.
    pub(super) fn new(cases: Vec<Result<Case, StoreError>>, last: String) -> Batch {
        Batch {
            last_batch: cases.len() < super::cases::SCAN_BATCH as usize,
            cases,
            last,
        }
    }
}

/// Where each case id of a batch sits in it.
pub(super) type CaseIndex = HashMap<i64, usize>;

/// A batch's cases decoded from their rows, in the rows' order, and where each case id sits in
/// it. The key decodes or the batch fails; the rest of a row that does not decode is that case's
/// error, and the others are read.
pub(super) fn decode_cases<R: sqlx::Row>(
    rows: &[R],
) -> Result<(Vec<Result<Case, StoreError>>, CaseIndex), sqlx::Error>
where
    for<'r> CaseKey: sqlx::FromRow<'r, R>,
    for<'r> CaseRow: sqlx::FromRow<'r, R>,
{
    let mut batch: Vec<Result<Case, StoreError>> = Vec::with_capacity(rows.len());
    let mut index = HashMap::with_capacity(rows.len());
    for row in rows {
        let key = CaseKey::from_row(row)?;
        index.insert(key.id, batch.len());
        batch.push(
            CaseRow::from_row(row)
                .map_err(|e| undecodable(&key.reference, e))
                .and_then(Case::try_from),
        );
    }
    Ok((batch, index))
}

/// Adds the extension rows (ordered by case and position) to their cases in `batch`.
pub(super) fn attach_extensions<R: sqlx::Row>(
    batch: &mut [Result<Case, StoreError>],
    index: &CaseIndex,
    rows: &[R],
) -> Result<(), sqlx::Error>
where
    for<'r> ChildKey: sqlx::FromRow<'r, R>,
    for<'r> ExtensionRow: sqlx::FromRow<'r, R>,
{
    for row in rows {
        if let Some(&i) = index.get(&ChildKey::from_row(row)?.case_id)
            && let Ok(case) = &mut batch[i]
        {
            case.extensions.push(ExtensionRow::from_row(row)?.into());
        }
    }
    Ok(())
}

/// Adds the suspension rows (ordered by case and position) to their cases in `batch`; a
/// suspension that breaks the rules makes its case an `Err`.
pub(super) fn attach_suspensions<R: sqlx::Row>(
    batch: &mut [Result<Case, StoreError>],
    index: &CaseIndex,
    rows: &[R],
) -> Result<(), sqlx::Error>
where
    for<'r> ChildKey: sqlx::FromRow<'r, R>,
    for<'r> SuspensionRow: sqlx::FromRow<'r, R>,
{
    attach_checked(batch, index, rows, |case, row: SuspensionRow| {
        let s = Suspension::try_from((&case.reference, row))?;
        case.suspensions.push(s);
        Ok(())
    })
}

/// Adds the return rows (ordered by case and position) to their cases in `batch`; a return that
/// cannot be read makes its case an `Err`.
pub(super) fn attach_returns<R: sqlx::Row>(
    batch: &mut [Result<Case, StoreError>],
    index: &CaseIndex,
    rows: &[R],
) -> Result<(), sqlx::Error>
where
    for<'r> ChildKey: sqlx::FromRow<'r, R>,
    for<'r> ReturnRow: sqlx::FromRow<'r, R>,
{
    attach_checked(batch, index, rows, |case, row: ReturnRow| {
        let r = Return::try_from((&case.reference, row))?;
        case.returns.push(r);
        Ok(())
    })
}

/// Adds each child row to its case with `add`; a row that does not decode, or that `add`
/// refuses, makes its case an `Err` (the batch's other cases are read).
fn attach_checked<R: sqlx::Row, C>(
    batch: &mut [Result<Case, StoreError>],
    index: &CaseIndex,
    rows: &[R],
    add: impl Fn(&mut Case, C) -> Result<(), StoreError>,
) -> Result<(), sqlx::Error>
where
    for<'r> ChildKey: sqlx::FromRow<'r, R>,
    for<'r> C: sqlx::FromRow<'r, R>,
{
    for row in rows {
        if let Some(&i) = index.get(&ChildKey::from_row(row)?.case_id)
            && let Ok(case) = &mut batch[i]
        {
            let added = C::from_row(row)
                .map_err(StoreError::from)
                .and_then(|child| add(case, child));
            if let Err(e) = added {
                batch[i] = Err(e);
            }
        }
    }
    Ok(())
}
