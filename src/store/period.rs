//! Reading only the cases that can count in a report's period (`duewatch report`, the monthly
//! report, the report page of the console).
//!
//! A store that has run for years holds mostly finished cases, and a finished case counts in a
//! period only through what it did in or near it ([`crate::domain::report`]): its answer, an
//! extension, a suspension, a written notice that fell due. A case answered or closed before
//! a date `since` that the caller chooses early enough (before the period, less the longest time
//! a notice may still fall due after the case's last act) can count in nothing, so it is not read:
//! [`Store::period_cursor`] reads the open cases and those finished on or after `since`, found
//! through the indexes `cases_open` and `cases_finished` (on `COALESCE(replied_on, closed_on)`,
//! migration 0013), instead of every case. Over 1,000,000 cases of which 100,000 are open, a month's report reads
//! about a sixth of them (docs/performance.md, "Reports").
//!
//! The candidates' ids are read first, in one statement, then the cases and their children a
//! batch of ids at a time, all in one snapshot, like [`super::cases::Cursor`]. The ids travel as
//! one text of comma-separated integers (made here, never from input), which SQLite reads with
//! `json_each` and PostgreSQL with `string_to_array`: one statement per batch and table, the same
//! on both backends' sides of the trait.
//!
//! This file only reads; it must not write.

use chrono::NaiveDate;
use sqlx::{FromRow as _, Transaction};

use super::batch::{attach_extensions, attach_returns, attach_suspensions, decode_cases};
use super::cases::{SCAN_BATCH, SnapshotTx};
use super::returns::ReturnRow;
use super::rows::{CaseKey, CaseRow, ChildKey, ExtensionRow, SuspensionRow};
use super::{Store, StoreError, WritePool};
use crate::domain::case::Case;

/// The statements that read a batch of ids (`$1`: `"3,17,42"`), per backend.
pub(crate) trait PeriodSql: sqlx::Database
where
    for<'c> &'c mut <Self as sqlx::Database>::Connection: sqlx::Executor<'c, Database = Self>,
    <Self as sqlx::Database>::Arguments: sqlx::IntoArguments<Self>,
    for<'q> String: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> NaiveDate: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'r> IdListRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> CaseKey: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> CaseRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ChildKey: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ExtensionRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> SuspensionRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> ReturnRow: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
{
    /// The ids of the cases that can count in a period, as one text `"3,17,42"` (NULL when
    /// there are none; one value instead of a row per case, which sqlx would hold at a few
    /// hundred bytes each): the open cases, and those finished (answered, else closed) on or
    /// after `$1`. The two parts are disjoint, each one index's range (`cases_open`,
    /// `cases_finished`).
    const CANDIDATES: &'static str;
    /// The cases whose ids are listed.
    const CASES: &'static str;
    /// Their extensions, ordered by case and position.
    const EXTENSIONS: &'static str;
    /// Their suspensions, ordered by case and position.
    const SUSPENSIONS: &'static str;
    /// Their returns (退回), ordered by case and position.
    const RETURNS: &'static str;

    /// The ids of the candidates, ascending.
    async fn candidates(
        tx: &mut Transaction<'static, Self>,
        since: NaiveDate,
    ) -> anyhow::Result<Vec<i64>> {
        let row = sqlx::query(Self::CANDIDATES)
            .bind(since)
            .fetch_one(&mut **tx)
            .await?;
        let list = IdListRow::from_row(&row)?.ids.unwrap_or_default();
        drop(row);
        let mut ids = list
            .split(',')
            .filter(|id| !id.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<i64>, _>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// The cases `ids` with their children.
    async fn read_ids(
        tx: &mut Transaction<'static, Self>,
        ids: &[i64],
    ) -> anyhow::Result<Vec<Result<Case, StoreError>>> {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(Self::CASES)
            .bind(list.clone())
            .fetch_all(&mut **tx)
            .await?;
        let (mut batch, index) = decode_cases(&rows)?;
        drop(rows);
        let rows = sqlx::query(Self::EXTENSIONS)
            .bind(list.clone())
            .fetch_all(&mut **tx)
            .await?;
        attach_extensions(&mut batch, &index, &rows)?;
        let rows = sqlx::query(Self::SUSPENSIONS)
            .bind(list.clone())
            .fetch_all(&mut **tx)
            .await?;
        attach_suspensions(&mut batch, &index, &rows)?;
        let rows = sqlx::query(Self::RETURNS)
            .bind(list)
            .fetch_all(&mut **tx)
            .await?;
        attach_returns(&mut batch, &index, &rows)?;
        Ok(batch)
    }
}

/// The candidates' ids, as [`PeriodSql::CANDIDATES`] returns them.
#[derive(sqlx::FromRow)]
pub(crate) struct IdListRow {
    ids: Option<String>,
}

impl PeriodSql for sqlx::Sqlite {
    const CANDIDATES: &'static str = "SELECT group_concat(id) AS ids FROM (\
         SELECT id FROM cases WHERE replied_on IS NULL AND closed_on IS NULL \
         UNION ALL SELECT id FROM cases WHERE COALESCE(replied_on, closed_on) >= $1)";
    const CASES: &'static str = "SELECT id, reference, subject, channel, received_on, \
         forwarded_on, section, replied_on, closed_on, close_reason, outcome, applicant \
         FROM cases WHERE id IN (SELECT value FROM json_each('[' || $1 || ']')) ORDER BY id";
    const EXTENSIONS: &'static str = "SELECT t.case_id, t.days, t.approved_on, t.approved_by, \
         t.reason, t.notice_on FROM extensions t \
         WHERE t.case_id IN (SELECT value FROM json_each('[' || $1 || ']')) \
         ORDER BY t.case_id, t.position";
    const SUSPENSIONS: &'static str = "SELECT t.case_id, t.from_on, t.until_on, t.reason, \
         t.note, t.notice_on, t.resumption_notice_on FROM suspensions t \
         WHERE t.case_id IN (SELECT value FROM json_each('[' || $1 || ']')) \
         ORDER BY t.case_id, t.position";
    const RETURNS: &'static str = "SELECT t.case_id, t.returned_on, t.section, \
         t.forwarded_on, t.reason FROM returns t \
         WHERE t.case_id IN (SELECT value FROM json_each('[' || $1 || ']')) \
         ORDER BY t.case_id, t.position";
}

impl PeriodSql for sqlx::Postgres {
    const CANDIDATES: &'static str = "SELECT string_agg(CAST(id AS text), ',') AS ids FROM (\
         SELECT id FROM cases WHERE replied_on IS NULL AND closed_on IS NULL \
         UNION ALL SELECT id FROM cases WHERE COALESCE(replied_on, closed_on) >= $1) AS candidates";
    const CASES: &'static str = "SELECT id, reference, subject, channel, received_on, \
         forwarded_on, section, replied_on, closed_on, close_reason, outcome, applicant \
         FROM cases WHERE id = ANY(CAST(string_to_array($1, ',') AS int8[])) ORDER BY id";
    const EXTENSIONS: &'static str = "SELECT t.case_id, t.days, t.approved_on, t.approved_by, \
         t.reason, t.notice_on FROM extensions t \
         WHERE t.case_id = ANY(CAST(string_to_array($1, ',') AS int8[])) \
         ORDER BY t.case_id, t.position";
    const SUSPENSIONS: &'static str = "SELECT t.case_id, t.from_on, t.until_on, t.reason, \
         t.note, t.notice_on, t.resumption_notice_on FROM suspensions t \
         WHERE t.case_id = ANY(CAST(string_to_array($1, ',') AS int8[])) \
         ORDER BY t.case_id, t.position";
    const RETURNS: &'static str = "SELECT t.case_id, t.returned_on, t.section, \
         t.forwarded_on, t.reason FROM returns t \
         WHERE t.case_id = ANY(CAST(string_to_array($1, ',') AS int8[])) \
         ORDER BY t.case_id, t.position";
}

impl Store {
    /// Starts a read of the cases that can count in a period: the open ones and those answered
    /// or closed on or after `since`, in batches of [`SCAN_BATCH`] (in id order), from one
    /// snapshot. A row duewatch cannot decode comes as an `Err` naming the case.
    ///
    /// # Errors
    /// A database failure.
    pub async fn period_cursor(&self, since: NaiveDate) -> anyhow::Result<PeriodCursor> {
        let (tx, ids) = match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin_snapshot().await?;
                let ids = PeriodSql::candidates(&mut tx, since).await?;
                (SnapshotTx::Sqlite(tx), ids)
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin_snapshot().await?;
                let ids = PeriodSql::candidates(&mut tx, since).await?;
                (SnapshotTx::Postgres(tx), ids)
            }
        };
        Ok(PeriodCursor { tx, ids, next: 0 })
    }
}

/// A read in progress of [`Store::period_cursor`].
#[derive(Debug)]
pub struct PeriodCursor {
    tx: SnapshotTx,
    /// The candidates' ids, ascending.
    ids: Vec<i64>,
    /// Where the next batch starts in `ids`.
    next: usize,
}

impl PeriodCursor {
    /// How many cases the read holds in all.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no case can count.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The next batch; `None` at the end.
    ///
    /// # Errors
    /// A database failure.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Result<Case, StoreError>>>> {
        let batch = SCAN_BATCH as usize;
        let ids = &self.ids[self.next.min(self.ids.len())..];
        if ids.is_empty() {
            return Ok(None);
        }
        let ids = &ids[..ids.len().min(batch)];
        let cases = match &mut self.tx {
            SnapshotTx::Sqlite(tx) => PeriodSql::read_ids(tx, ids).await?,
            SnapshotTx::Postgres(tx) => PeriodSql::read_ids(tx, ids).await?,
        };
        self.next += ids.len();
        Ok(Some(cases))
    }

    /// Ends the read.
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        Ok(self.tx.finish().await?)
    }
}
