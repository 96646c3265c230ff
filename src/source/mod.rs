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
use crate::store::{Cursor, HistoryLine, PeriodCursor, Store, StoreError};

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
            Source::Builtin(store) => {
                SourceCursor::start(Scan::Builtin(store.cursor(open_only).await?))
            }
            Source::Sql(sql) => SourceCursor::start(Scan::Sql(sql.cursor(open_only).await?)),
        })
    }

    /// Reads every case (or every open one) and hands each to `each`, in the batches and snapshot of [`Store::cursor`].
    /// Returns how many were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns.
    pub async fn scan<F>(&self, open_only: bool, each: F) -> anyhow::Result<u64>
    where
        F: FnMut(Result<Case, StoreError>) -> anyhow::Result<()>,
    {
        self.cursor(open_only).await?.each_case(each).await
    }

    /// Reads the cases that can count in a report's period and hands each to `each`: from the
    /// store, the open ones and those answered or closed on or after `since`
    /// ([`Store::period_cursor`]); from a case system, every case (its view has no index
    /// duewatch could rely on, and a case system is read-only and watched, not reported on by
    /// the year). Returns how many were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns.
    pub async fn scan_for_period<F>(&self, since: NaiveDate, each: F) -> anyhow::Result<u64>
    where
        F: FnMut(Result<Case, StoreError>) -> anyhow::Result<()>,
    {
        let Source::Builtin(store) = self else {
            return self.scan(false, each).await;
        };
        SourceCursor::start(Scan::Period(store.period_cursor(since).await?))
            .each_case(each)
            .await
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

/// A scan in progress over either source, read one batch ahead: a task of its own reads and
/// decodes the next batch while the caller works on the one it has (the poll's deadlines and
/// lines, `status`'s output), so that the two overlap on two cores instead of taking turns. At
/// most two batches are held: the caller's and the one read ahead.
#[derive(Debug)]
pub struct SourceCursor {
    batches: tokio::sync::mpsc::Receiver<anyhow::Result<Batch>>,
    /// Ends with the scan's own end (`Ok` once its snapshot is closed), or early when the
    /// caller stops asking.
    reader: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A batch of cases, in reference order; a case that cannot be read is an `Err` naming it.
type Batch = Vec<Result<Case, StoreError>>;

/// The scan itself, over either source.
#[derive(Debug)]
enum Scan {
    /// Over duewatch's own tables.
    Builtin(Cursor),
    /// Over a case system.
    Sql(SqlCursor),
    /// Over duewatch's own tables, the cases that can count in a report's period.
    Period(PeriodCursor),
}

impl Scan {
    async fn next_batch(&mut self) -> anyhow::Result<Option<Batch>> {
        match self {
            Scan::Builtin(c) => c.next_batch().await,
            Scan::Sql(c) => c.next_batch().await,
            Scan::Period(c) => c.next_batch().await,
        }
    }

    async fn finish(self) -> anyhow::Result<()> {
        match self {
            Scan::Builtin(c) => c.finish().await,
            Scan::Sql(c) => c.finish().await,
            Scan::Period(c) => c.finish().await,
        }
    }

    /// Reads the batches into `batches`, each once the caller has taken the one before (the
    /// slot is reserved first, so nothing is read that could not be handed over), and closes
    /// the snapshot at the end. A failed read is handed over as the last item. When the caller
    /// stops asking, the scan ends where it is (its read-only snapshot dropped).
    async fn read_ahead(
        mut self,
        batches: tokio::sync::mpsc::Sender<anyhow::Result<Batch>>,
    ) -> anyhow::Result<()> {
        loop {
            let Ok(slot) = batches.reserve().await else {
                return Ok(());
            };
            match self.next_batch().await {
                Ok(Some(batch)) => slot.send(Ok(batch)),
                Ok(None) => {
                    drop(slot);
                    return self.finish().await;
                }
                Err(e) => {
                    slot.send(Err(e));
                    return Ok(());
                }
            }
        }
    }
}

impl SourceCursor {
    fn start(scan: Scan) -> Self {
        let (sender, batches) = tokio::sync::mpsc::channel(1);
        let reader = tokio::spawn(scan.read_ahead(sender));
        SourceCursor { batches, reader }
    }

    /// The next batch, in reference order; `None` at the end. A case that cannot be read or
    /// breaks the rules is an `Err` naming it; the others are `Ok`.
    ///
    /// # Errors
    /// A database failure.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Result<Case, StoreError>>>> {
        let batch = self.batches.recv().await.transpose();
        // Taking the batch woke the reader, and tokio put it in this worker thread's LIFO slot,
        // which the other worker cannot steal from: it would wait there until the caller's next
        // await, after the whole batch is worked through, and the two would take turns on one
        // core (perf showed the poll's threads at one core between them). Yielding once lets
        // the reader send its next query first; its reply then wakes it on the idle worker.
        tokio::task::yield_now().await;
        batch
    }

    /// Hands each case to `each` to the end of the scan; returns how many were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns.
    async fn each_case<F>(mut self, mut each: F) -> anyhow::Result<u64>
    where
        F: FnMut(Result<Case, StoreError>) -> anyhow::Result<()>,
    {
        let mut read = 0;
        while let Some(batch) = self.next_batch().await? {
            for case in batch {
                read += 1;
                each(case)?;
            }
        }
        self.finish().await?;
        Ok(read)
    }

    /// Ends the scan.
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        drop(self.batches);
        self.reader.await.map_err(|e| {
            anyhow::anyhow!(
                "reading the cases stopped unexpectedly: {e}\n  help: this is a fault in \
                     duewatch, not in the cases: report it with the log; the next poll reads \
                     them again"
            )
        })?
    }
}
