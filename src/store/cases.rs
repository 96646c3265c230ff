//! The `cases` table and its children (`extensions`, `suspensions`, `history`): recording a case,
//! changing it under a lock with a history line, reading one, and scanning them all in batches
//! over one snapshot ([`Cursor`]), the poll's hot path.
//!
//! A case's row and its children are written together, in one transaction; the children are
//! replaced whole. The rows are decoded by `store/rows.rs`.

use std::borrow::Borrow;

use chrono::NaiveDate;
use sqlx::{FromRow as _, Transaction};

use super::batch::{
    Batch, CaseIndex, attach_extensions, attach_returns, attach_suspensions, decode_cases,
};
use super::returns::{
    CASE_RETURNS, DELETE_RETURNS, INSERT_RETURN, ReturnRow, SCAN_OPEN_RETURNS, SCAN_RETURNS,
};
use super::rows::{
    CaseKey, CaseRow, ChildKey, ExtensionRow, HistoryLine, HistoryRow, SuspensionRow,
};
use super::{Store, StoreError, WritePool, with_pool};
use crate::domain::case::{Case, Channel, CloseReason, Reference, Return, SectionCode, Suspension};
use crate::domain::outcome::{Applicant, Outcome};

/// Cases per batch of [`Store::cursor`]: large enough that the per-query cost vanishes, small
/// enough that a batch is a few megabytes.
pub const SCAN_BATCH: i64 = 2000;

/// Any one case: whether the store holds cases at all.
const ANY_CASE: &str = "SELECT 1 FROM cases LIMIT 1";

/// Whether a case has reference `$1` (a row, or none).
const REFERENCE_TAKEN: &str = "SELECT 1 FROM cases WHERE reference = $1";

/// A case by its reference.
const SELECT_CASE: &str = "SELECT id, reference, subject, channel, received_on, forwarded_on, \
     section, replied_on, closed_on, close_reason, outcome, applicant FROM cases WHERE reference = $1";

/// A case by its reference, locked until commit (PostgreSQL; SQLite's `BEGIN IMMEDIATE` holds
/// the write lock already).
const SELECT_CASE_FOR_UPDATE: &str = "SELECT id, reference, subject, channel, received_on, \
     forwarded_on, section, replied_on, closed_on, close_reason, outcome, applicant FROM cases WHERE reference = $1 \
     FOR UPDATE";

const INSERT_CASE: &str = "INSERT INTO cases (reference, subject, channel, received_on) \
     VALUES ($1, $2, $3, $4) RETURNING id";

const UPDATE_CASE: &str = "UPDATE cases SET subject = $2, channel = $3, received_on = $4, \
     forwarded_on = $5, section = $6, replied_on = $7, closed_on = $8, close_reason = $9, \
     outcome = $10, applicant = $11, updated_at = CURRENT_TIMESTAMP WHERE id = $1";

const MARK_SAMPLE: &str = "UPDATE cases SET is_sample = $2 WHERE reference = $1";

const CASE_EXTENSIONS: &str = "SELECT days, approved_on, approved_by, reason, notice_on \
     FROM extensions WHERE case_id = $1 ORDER BY position";
const DELETE_EXTENSIONS: &str = "DELETE FROM extensions WHERE case_id = $1";
const INSERT_EXTENSION: &str = "INSERT INTO extensions (case_id, position, days, approved_on, \
     approved_by, reason, notice_on) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const CASE_SUSPENSIONS: &str = "SELECT from_on, until_on, reason, note, notice_on, \
     resumption_notice_on FROM suspensions WHERE case_id = $1 ORDER BY position";
const DELETE_SUSPENSIONS: &str = "DELETE FROM suspensions WHERE case_id = $1";
const INSERT_SUSPENSION: &str = "INSERT INTO suspensions (case_id, position, from_on, until_on, \
     reason, note, notice_on, resumption_notice_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const INSERT_HISTORY: &str =
    "INSERT INTO history (case_id, command, change, actor) VALUES ($1, $2, $3, $4)";
const CASE_HISTORY: &str = "SELECT CAST(at AS TEXT) AS at, command, change, actor FROM history \
     WHERE case_id = $1 ORDER BY id";

/// Keyset pagination over `reference`; `$1` is the last reference of the previous batch, `$2`
/// the batch size.
const SCAN_CASES: &str = "SELECT id, reference, subject, channel, received_on, forwarded_on, \
     section, replied_on, closed_on, close_reason, outcome, applicant FROM cases WHERE reference > $1 \
     ORDER BY reference LIMIT $2";
const SCAN_OPEN_CASES: &str = "SELECT id, reference, subject, channel, received_on, \
     forwarded_on, section, replied_on, closed_on, close_reason, outcome, applicant FROM cases \
     WHERE replied_on IS NULL AND closed_on IS NULL AND reference > $1 ORDER BY reference LIMIT $2";

// The rows of a child table of the cases whose references lie in [$1, $2] (a batch), open ones
// only in the `OPEN` statements. CROSS JOIN makes SQLite walk the batch's cases and look their
// children up by case_id; left to itself it scans a small child table once per batch.
const SCAN_EXTENSIONS: &str = "SELECT t.case_id, t.days, t.approved_on, t.approved_by, \
     t.reason, t.notice_on FROM cases c CROSS JOIN extensions t WHERE t.case_id = c.id \
     AND c.reference >= $1 AND c.reference <= $2 ORDER BY t.case_id, t.position";
const SCAN_OPEN_EXTENSIONS: &str = "SELECT t.case_id, t.days, t.approved_on, t.approved_by, \
     t.reason, t.notice_on FROM cases c CROSS JOIN extensions t WHERE t.case_id = c.id \
     AND c.reference >= $1 AND c.reference <= $2 AND c.replied_on IS NULL \
     AND c.closed_on IS NULL ORDER BY t.case_id, t.position";
const SCAN_SUSPENSIONS: &str = "SELECT t.case_id, t.from_on, t.until_on, t.reason, t.note, \
     t.notice_on, t.resumption_notice_on FROM cases c CROSS JOIN suspensions t \
     WHERE t.case_id = c.id AND c.reference >= $1 AND c.reference <= $2 \
     ORDER BY t.case_id, t.position";
const SCAN_OPEN_SUSPENSIONS: &str = "SELECT t.case_id, t.from_on, t.until_on, t.reason, t.note, \
     t.notice_on, t.resumption_notice_on FROM cases c CROSS JOIN suspensions t \
     WHERE t.case_id = c.id AND c.reference >= $1 AND c.reference <= $2 \
     AND c.replied_on IS NULL AND c.closed_on IS NULL ORDER BY t.case_id, t.position";

/// The reads and writes of a case that several operations share, written once for both
/// backends (`sqlx::Sqlite`, `sqlx::Postgres`): the `where` clause lists what sqlx must be able
/// to do with a backend for them, and both backends do it. They are the trait's own functions,
/// not free generic ones, so that the clause is written once here rather than at every function
/// (Rust does not carry a trait's `where` clause to the functions that name the trait). Called
/// as `CaseSql::write_case(&mut tx, …)`: the transaction's type picks the backend.
pub(crate) trait CaseSql: sqlx::Database
where
    for<'c> &'c mut <Self as sqlx::Database>::Connection: sqlx::Executor<'c, Database = Self>,
    <Self as sqlx::Database>::Arguments: sqlx::IntoArguments<Self>,
    for<'q> i64: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i32: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> &'q str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> NaiveDate: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<NaiveDate>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'r> CaseKey: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> CaseRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ChildKey: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ExtensionRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> SuspensionRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ReturnRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
{
    /// Reads a case's extensions and suspensions into `case` (row `id`).
    async fn load_children(
        tx: &mut Transaction<'static, Self>,
        id: i64,
        case: &mut Case,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query(CASE_EXTENSIONS)
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        for row in &rows {
            case.extensions.push(ExtensionRow::from_row(row)?.into());
        }
        let rows = sqlx::query(CASE_SUSPENSIONS)
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        for row in &rows {
            let suspension =
                Suspension::try_from((&case.reference, SuspensionRow::from_row(row)?))?;
            case.suspensions.push(suspension);
        }
        let rows = sqlx::query(CASE_RETURNS)
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        for row in &rows {
            let returned = Return::try_from((&case.reference, ReturnRow::from_row(row)?))?;
            case.returns.push(returned);
        }
        Ok(())
    }

    /// Writes a case's state (row `id`): its row, and its extensions, suspensions and returns
    /// replaced whole.
    async fn write_case(
        tx: &mut Transaction<'static, Self>,
        id: i64,
        case: &Case,
    ) -> sqlx::Result<()> {
        sqlx::query(UPDATE_CASE)
            .bind(id)
            .bind(case.subject.as_deref())
            .bind(case.channel.map(Channel::as_str))
            .bind(case.received_on)
            .bind(case.forwarded_on)
            .bind(case.section.as_ref().map(SectionCode::as_str))
            .bind(case.replied_on)
            .bind(case.closed_on)
            .bind(case.close_reason.map(CloseReason::as_str))
            .bind(case.outcome.map(Outcome::code))
            .bind(case.applicant.map(Applicant::code))
            .execute(&mut **tx)
            .await?;
        sqlx::query(DELETE_EXTENSIONS)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for (i, e) in case.extensions.iter().enumerate() {
            sqlx::query(INSERT_EXTENSION)
                .bind(id)
                .bind(i as i32)
                .bind(i32::try_from(e.days).unwrap_or(i32::MAX))
                .bind(e.approved_on)
                .bind(e.approved_by.as_str())
                .bind(e.reason.as_deref())
                .bind(e.notice_on)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(DELETE_SUSPENSIONS)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for (i, s) in case.suspensions.iter().enumerate() {
            sqlx::query(INSERT_SUSPENSION)
                .bind(id)
                .bind(i as i32)
                .bind(s.from)
                .bind(s.until)
                .bind(s.reason.as_str())
                .bind(s.note.as_deref())
                .bind(s.notice_on)
                .bind(s.resumption_notice_on)
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(DELETE_RETURNS)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        for (i, r) in case.returns.iter().enumerate() {
            sqlx::query(INSERT_RETURN)
                .bind(id)
                .bind(i as i32)
                .bind(r.returned_on)
                .bind(r.section.as_str())
                .bind(r.forwarded_on)
                .bind(r.reason.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Adds a line to a case's history, with who made the change (`actor`, see
    /// [`HistoryLine::actor`]).
    async fn add_history(
        tx: &mut Transaction<'static, Self>,
        id: i64,
        actor: Option<&str>,
        command: &str,
        change: &str,
    ) -> sqlx::Result<()> {
        sqlx::query(INSERT_HISTORY)
            .bind(id)
            .bind(command)
            .bind(change)
            .bind(actor)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// One batch of a [`Cursor`]: the cases after `after` in reference order, with their
    /// children; `None` at the end. (SQLite reads its batches packed: `packed.rs`.)
    async fn read_batch(
        tx: &mut Transaction<'static, Self>,
        after: &str,
        open_only: bool,
    ) -> anyhow::Result<Option<Batch>> {
        let rows = sqlx::query(if open_only {
            SCAN_OPEN_CASES
        } else {
            SCAN_CASES
        })
        .bind(after)
        .bind(SCAN_BATCH)
        .fetch_all(&mut **tx)
        .await?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(None);
        };
        let first = CaseKey::from_row(first)?.reference;
        let last = CaseKey::from_row(last)?.reference;
        let (mut batch, index) = decode_cases(&rows)?;
        drop(rows);
        CaseSql::read_children(tx, (&first, &last), open_only, &mut batch, &index).await?;
        Ok(Some(Batch::new(batch, last)))
    }

    /// The children of a batch's cases, whose references lie between `first` and `last`: one
    /// query per child table, ordered, merged into `batch` by case id.
    async fn read_children(
        tx: &mut Transaction<'static, Self>,
        (first, last): (&str, &str),
        open_only: bool,
        batch: &mut [Result<Case, StoreError>],
        index: &CaseIndex,
    ) -> anyhow::Result<()> {
        let (extensions_sql, suspensions_sql, returns_sql) = if open_only {
            (
                SCAN_OPEN_EXTENSIONS,
                SCAN_OPEN_SUSPENSIONS,
                SCAN_OPEN_RETURNS,
            )
        } else {
            (SCAN_EXTENSIONS, SCAN_SUSPENSIONS, SCAN_RETURNS)
        };
        let extensions = sqlx::query(extensions_sql)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **tx)
            .await?;
        attach_extensions(batch, index, &extensions)?;
        drop(extensions);
        let suspensions = sqlx::query(suspensions_sql)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **tx)
            .await?;
        attach_suspensions(batch, index, &suspensions)?;
        drop(suspensions);
        let returns = sqlx::query(returns_sql)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **tx)
            .await?;
        attach_returns(batch, index, &returns)?;
        Ok(())
    }
}

impl CaseSql for sqlx::Sqlite {}
impl CaseSql for sqlx::Postgres {}

impl Store {
    /// Records a new case, made by `actor` (see [`HistoryLine::actor`]).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the reference is taken.
    pub async fn add(
        &self,
        case: &Case,
        actor: Option<&str>,
        command: &str,
        change: &str,
    ) -> Result<(), StoreError> {
        self.add_all(std::slice::from_ref(&(case, change)), actor, command)
            .await
    }

    /// Records new cases in one transaction, made by `actor`: all of them, or (on any error)
    /// none.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for the first reference that is taken.
    pub async fn add_all<C, S>(
        &self,
        cases: &[(C, S)],
        actor: Option<&str>,
        command: &str,
    ) -> Result<(), StoreError>
    where
        C: Borrow<Case>,
        S: AsRef<str>,
    {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for (case, change) in cases {
                let case: &Case = case.borrow();
                let taken = sqlx::query(REFERENCE_TAKEN)
                    .bind(case.reference.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Duplicate(case.reference.clone()));
                }
                let id: i64 = sqlx::query_scalar(INSERT_CASE)
                    .bind(case.reference.as_str())
                    .bind(case.subject.as_deref())
                    .bind(case.channel.map(Channel::as_str))
                    .bind(case.received_on)
                    .fetch_one(&mut *tx)
                    .await?;
                CaseSql::write_case(&mut tx, id, case).await?;
                CaseSql::add_history(&mut tx, id, actor, command, change.as_ref()).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Marks cases as samples (`is_sample`), made for demonstration, not real requests.
    ///
    /// # Errors
    /// A database failure.
    pub async fn mark_samples<'r>(
        &self,
        references: impl IntoIterator<Item = &'r Reference>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            for r in references {
                sqlx::query(MARK_SAMPLE)
                    .bind(r.as_str())
                    .bind(true)
                    .execute(pool)
                    .await?;
            }
            Ok(())
        })
    }

    /// Which of `references` are taken.
    ///
    /// # Errors
    /// A database failure.
    pub async fn taken<'r>(
        &self,
        references: impl IntoIterator<Item = &'r Reference>,
    ) -> Result<Vec<Reference>, StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            let mut taken = Vec::new();
            for r in references {
                if sqlx::query(REFERENCE_TAKEN)
                    .bind(r.as_str())
                    .fetch_optional(&mut *conn)
                    .await?
                    .is_some()
                {
                    taken.push(r.clone());
                }
            }
            Ok(taken)
        })
    }

    /// Changes a case: loads it locked, lets `change` check and modify it, writes it back with a
    /// history line naming `actor` (see [`HistoryLine::actor`]). When `change` refuses, nothing
    /// is written.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], the refusal of `change`, or a database failure.
    pub async fn update<F>(
        &self,
        reference: &Reference,
        actor: Option<&str>,
        command: &str,
        change: F,
    ) -> Result<Case, StoreError>
    where
        F: FnOnce(&mut Case) -> Result<String, crate::domain::Refusal>,
    {
        let select = self.sql(SELECT_CASE, SELECT_CASE_FOR_UPDATE);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let Some(row) = sqlx::query(select)
                .bind(reference.as_str())
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::NotFound(reference.clone()));
            };
            let id = CaseKey::from_row(&row)?.id;
            let mut case = Case::try_from(CaseRow::from_row(&row)?)?;
            CaseSql::load_children(&mut tx, id, &mut case).await?;
            let said = change(&mut case).map_err(|message| StoreError::Refused {
                reference: reference.clone(),
                message,
            })?;
            CaseSql::write_case(&mut tx, id, &case).await?;
            CaseSql::add_history(&mut tx, id, actor, command, &said).await?;
            tx.commit().await?;
            Ok(case)
        })
    }

    /// One case, with its history (oldest first), read in one snapshot.
    ///
    /// # Errors
    /// A database failure; `Ok(None)` when there is no such case.
    pub async fn get(
        &self,
        reference: &Reference,
    ) -> Result<Option<(Case, Vec<HistoryLine>)>, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_snapshot().await?;
            let Some(row) = sqlx::query(SELECT_CASE)
                .bind(reference.as_str())
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(None);
            };
            let id = CaseKey::from_row(&row)?.id;
            let mut case = Case::try_from(CaseRow::from_row(&row)?)?;
            CaseSql::load_children(&mut tx, id, &mut case).await?;
            let history: Vec<HistoryRow> = sqlx::query_as(CASE_HISTORY)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            let lines = history.into_iter().map(HistoryLine::from).collect();
            Ok(Some((case, lines)))
        })
    }

    /// Whether the store holds any case (finished ones included): one row looked up, not a
    /// scan.
    ///
    /// # Errors
    /// A database failure.
    pub async fn has_cases(&self) -> anyhow::Result<bool> {
        with_pool!(self, |pool| {
            Ok(sqlx::query(ANY_CASE).fetch_optional(pool).await?.is_some())
        })
    }

    /// Starts a scan of the cases in reference order, all or only the open ones (not replied,
    /// not closed), that the caller reads batch by batch ([`Cursor::next_batch`], batches of
    /// [`SCAN_BATCH`]), so that memory stays bounded by one batch whatever the size of the
    /// database and the caller may await other work between batches. The whole scan reads one
    /// consistent snapshot. A row duewatch cannot decode comes as an `Err` naming the case, so
    /// that one bad row does not hide the others.
    ///
    /// # Errors
    /// A database failure.
    pub async fn cursor(&self, open_only: bool) -> anyhow::Result<Cursor> {
        let tx = match self {
            Store::Sqlite(pool) => SnapshotTx::Sqlite(pool.begin_snapshot().await?),
            Store::Postgres(pool) => SnapshotTx::Postgres(pool.begin_snapshot().await?),
        };
        Ok(Cursor {
            tx,
            after: String::new(),
            open_only,
            done: false,
        })
    }
}

/// A scan in progress: one snapshot, read in batches of [`SCAN_BATCH`] cases.
#[derive(Debug)]
pub struct Cursor {
    tx: SnapshotTx,
    after: String,
    open_only: bool,
    done: bool,
}

/// The read-only snapshot a scan reads from ([`Cursor`], [`super::PeriodCursor`]), on either
/// backend.
#[derive(Debug)]
pub(super) enum SnapshotTx {
    Sqlite(Transaction<'static, sqlx::Sqlite>),
    Postgres(Transaction<'static, sqlx::Postgres>),
}

impl SnapshotTx {
    /// Ends the snapshot.
    pub(super) async fn finish(self) -> sqlx::Result<()> {
        match self {
            SnapshotTx::Sqlite(tx) => tx.commit().await,
            SnapshotTx::Postgres(tx) => tx.commit().await,
        }
    }
}

impl Cursor {
    /// The next batch of cases, in reference order; `None` at the end. A row duewatch cannot
    /// decode is an `Err` naming the case, so that one bad row does not hide the others.
    ///
    /// # Errors
    /// A database failure.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Result<Case, StoreError>>>> {
        if self.done {
            return Ok(None);
        }
        let read = match &mut self.tx {
            SnapshotTx::Sqlite(tx) => {
                super::packed::read_batch(tx, &self.after, self.open_only).await?
            }
            SnapshotTx::Postgres(tx) => {
                CaseSql::read_batch(tx, &self.after, self.open_only).await?
            }
        };
        let Some(batch) = read else {
            self.done = true;
            return Ok(None);
        };
        self.done = batch.last_batch;
        self.after = batch.last;
        Ok(Some(batch.cases))
    }

    /// Ends the scan.
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        Ok(self.tx.finish().await?)
    }
}
