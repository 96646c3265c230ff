//! Where duewatch reads its cases: its own tables ([`Store`], `cases.source = "builtin"`), or an
//! existing case system's database through the administrator's queries ([`SqlSource`],
//! `cases.source = "sql"`, read-only). Both hand out the same batches of `Result<Case, _>` in
//! reference order from one snapshot, so the poll, `status`, the calendar reload and the
//! metrics do not know which one they read.
//!
//! This module reads cases only. duewatch's own state (outbox, notifications, runs) stays in
//! [`Store`] whatever the source; nothing here writes to a case system.
//!
//! Files: `contract.rs` (the view contract: the columns a case system's queries return),
//! `sql.rs` (connecting read-only, checking the queries, reading in batches), `reads.rs` (the
//! SQL that reads, built from the columns found), `row.rs` (the rows decoded, and made into [`Case`]s).

mod contract;
mod reads;
mod row;
mod sql;

use chrono::NaiveDate;

use crate::config::{CaseSource, Config};
use crate::domain::case::{Case, Reference};
use crate::store::{Cursor, HistoryLine, Store, StoreError};

pub use contract::{CASES, ContractColumn, EXTENSIONS, Kind, RETURNS, SUSPENSIONS};
pub use sql::{Checked, SqlCursor, SqlSource};

/// The cases duewatch watches.
#[derive(Debug, Clone)]
pub enum Source {
    /// duewatch's own tables.
    Builtin(Store),
    /// A case system, read-only.
    Sql(SqlSource),
}

/// A case with its history lines, as `case show` prints it.
pub type WithHistory = (Case, Vec<HistoryLine>);

impl Source {
    /// The source `config` names: `store` itself, or a connection to `cases.url` whose queries
    /// are checked against the view contract first.
    ///
    /// # Errors
    /// The case system cannot be reached, or a query fails, lacks a column or has one of the
    /// wrong type (all named, with the config key).
    pub async fn open(config: &Config, store: &Store) -> anyhow::Result<Source> {
        match config.cases.source {
            CaseSource::Builtin => Ok(Source::Builtin(store.clone())),
            CaseSource::Sql => Ok(Source::Sql(SqlSource::connect(config).await?)),
        }
    }

    /// Whether the cases are duewatch's own (and `duewatch case …` may change them).
    pub fn is_builtin(&self) -> bool {
        matches!(self, Source::Builtin(_))
    }

    /// Starts a scan of all cases or only the open ones (not replied, not closed), in batches,
    /// from one snapshot.
    ///
    /// # Errors
    /// A database failure.
    pub async fn cursor(&self, open_only: bool) -> anyhow::Result<SourceCursor> {
        Ok(match self {
            Source::Builtin(store) => SourceCursor::Builtin(store.cursor(open_only).await?),
            Source::Sql(sql) => SourceCursor::Sql(sql.cursor(open_only).await?),
        })
    }

    /// Reads every case (or every open one) and hands each to `each`, in the batches and snapshot of [`Store::cursor`].
    /// Returns how many were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns.
    pub async fn scan<F>(&self, open_only: bool, mut each: F) -> anyhow::Result<u64>
    where
        F: FnMut(Result<Case, StoreError>) -> anyhow::Result<()>,
    {
        let mut cursor = self.cursor(open_only).await?;
        let mut read = 0;
        while let Some(batch) = cursor.next_batch().await? {
            for case in batch {
                read += 1;
                each(case)?;
            }
        }
        cursor.finish().await?;
        Ok(read)
    }

    /// Reads the cases that can count in a report's period and hands each to `each`: from the
    /// store, the open ones and those answered or closed on or after `since`
    /// ([`Store::period_cursor`]); from a case system, every case (its view has no index
    /// duewatch could rely on, and a case system is read-only and watched, not reported on by
    /// the year). Returns how many were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns.
    pub async fn scan_for_period<F>(&self, since: NaiveDate, mut each: F) -> anyhow::Result<u64>
    where
        F: FnMut(Result<Case, StoreError>) -> anyhow::Result<()>,
    {
        let Source::Builtin(store) = self else {
            return self.scan(false, each).await;
        };
        let mut cursor = store.period_cursor(since).await?;
        let mut read = 0;
        while let Some(batch) = cursor.next_batch().await? {
            for case in batch {
                read += 1;
                each(case)?;
            }
        }
        cursor.finish().await?;
        Ok(read)
    }

    /// One case with its history (the case system keeps its own: none here).
    ///
    /// # Errors
    /// A database failure, or a row of the case system that breaks the rules.
    pub async fn get(&self, reference: &Reference) -> Result<Option<WithHistory>, StoreError> {
        match self {
            Source::Builtin(store) => store.get(reference).await,
            Source::Sql(sql) => Ok(sql.get(reference).await?.map(|c| (c, Vec::new()))),
        }
    }
}

/// A scan in progress over either source.
#[derive(Debug)]
pub enum SourceCursor {
    /// Over duewatch's own tables.
    Builtin(Cursor),
    /// Over a case system.
    Sql(SqlCursor),
}

impl SourceCursor {
    /// The next batch, in reference order; `None` at the end. A case that cannot be read or
    /// breaks the rules is an `Err` naming it; the others are `Ok`.
    ///
    /// # Errors
    /// A database failure.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Result<Case, StoreError>>>> {
        match self {
            SourceCursor::Builtin(c) => c.next_batch().await,
            SourceCursor::Sql(c) => c.next_batch().await,
        }
    }

    /// Ends the scan.
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        match self {
            SourceCursor::Builtin(c) => c.finish().await,
            SourceCursor::Sql(c) => c.finish().await,
        }
    }
}
