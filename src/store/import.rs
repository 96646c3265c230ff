//! Adding many new cases in one transaction, a batch of cases a few statements (`case import`):
//! [`Store::begin_import`] opens the transaction, [`Importing::taken`] asks which references
//! exist already, [`Importing::add`] writes a batch, [`Importing::commit`] ends it. Nothing is
//! written unless it is committed: dropped, the transaction rolls back.
//!
//! A batch is written as one multi-row `INSERT` of its cases (their ids returned with their
//! references) and one each of their extensions, suspensions and history lines, instead of six
//! statements a case: the import of 1,000,000 cases took 559 s that way, nearly all of it the
//! per-statement cost of sqlx's SQLite worker.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row as _, Transaction};

use super::{Store, StoreError, WritePool};
use crate::domain::case::{Case, Channel, CloseReason, SectionCode};
use crate::domain::outcome::{Applicant, Outcome};

/// References asked about a statement in [`Importing::taken`], and rows a statement in
/// [`Importing::add`]: SQLite allows 32,766 parameters a statement, PostgreSQL 65,535; the
/// widest row (a case) has eleven.
pub const IMPORT_BATCH: usize = 1000;

/// An import in progress: one transaction.
#[derive(Debug)]
pub struct Importing {
    tx: Tx,
}

#[derive(Debug)]
enum Tx {
    Sqlite(Transaction<'static, sqlx::Sqlite>),
    Postgres(Transaction<'static, sqlx::Postgres>),
}

/// Runs the same code on whichever transaction an [`Importing`] holds (as `with_pool!` does on
/// pools): the body is pasted once per backend.
macro_rules! with_tx {
    ($tx:expr, |$t:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite($t) => $body,
            Tx::Postgres($t) => $body,
        }
    };
}

impl Store {
    /// Begins an import: a write transaction (SQLite: `BEGIN IMMEDIATE`, so the checks and the
    /// writes see the same database), or with `write` false a read-only snapshot (`--dry-run`).
    ///
    /// # Errors
    /// A database failure.
    pub async fn begin_import(&self, write: bool) -> Result<Importing, StoreError> {
        let tx = match (self, write) {
            (Store::Sqlite(pool), true) => Tx::Sqlite(pool.begin_write().await?),
            (Store::Sqlite(pool), false) => Tx::Sqlite(pool.begin_snapshot().await?),
            (Store::Postgres(pool), true) => Tx::Postgres(pool.begin_write().await?),
            (Store::Postgres(pool), false) => Tx::Postgres(pool.begin_snapshot().await?),
        };
        Ok(Importing { tx })
    }
}

impl Importing {
    /// Which of `references` are taken (any order).
    ///
    /// # Errors
    /// A database failure.
    pub async fn taken(&mut self, references: &[&str]) -> Result<Vec<String>, StoreError> {
        let mut taken = Vec::new();
        for chunk in references.chunks(IMPORT_BATCH) {
            with_tx!(&mut self.tx, |tx| {
                let mut q = QueryBuilder::new("SELECT reference FROM cases WHERE reference IN (");
                let mut list = q.separated(", ");
                for r in chunk {
                    list.push_bind(*r);
                }
                q.push(")");
                let rows = q.build().fetch_all(&mut **tx).await?;
                let found: Vec<String> = rows
                    .iter()
                    .map(|row| row.try_get(0))
                    .collect::<Result<_, _>>()?;
                taken.extend(found);
            });
        }
        Ok(taken)
    }

    /// Records new cases, each with one history line (`command`, the case's `change`, by
    /// `actor`). The
    /// references must be free ([`Importing::taken`]) and distinct; a taken one fails the
    /// statement (the unique index), and the transaction with it.
    ///
    /// # Errors
    /// A database failure.
    pub async fn add(
        &mut self,
        cases: &[(&Case, String)],
        actor: Option<&str>,
        command: &str,
    ) -> Result<(), StoreError> {
        for chunk in cases.chunks(IMPORT_BATCH) {
            with_tx!(&mut self.tx, |tx| {
                let mut q = QueryBuilder::new(
                    "INSERT INTO cases (reference, subject, channel, received_on, forwarded_on, \
                     section, replied_on, closed_on, close_reason, outcome, applicant, \
                     updated_at) ",
                );
                q.push_values(chunk, |mut row, (case, _)| {
                    row.push_bind(case.reference.as_str())
                        .push_bind(case.subject.as_deref())
                        .push_bind(case.channel.map(Channel::as_str))
                        .push_bind(case.received_on)
                        .push_bind(case.forwarded_on)
                        .push_bind(case.section.as_ref().map(SectionCode::as_str))
                        .push_bind(case.replied_on)
                        .push_bind(case.closed_on)
                        .push_bind(case.close_reason.map(CloseReason::as_str))
                        .push_bind(case.outcome.map(Outcome::code))
                        .push_bind(case.applicant.map(Applicant::code))
                        // As `case` commands leave it (the statement that writes a case's state).
                        .push("CURRENT_TIMESTAMP");
                });
                q.push(" RETURNING id, reference");
                let mut ids: HashMap<String, i64> = HashMap::with_capacity(chunk.len());
                for row in q.build().fetch_all(&mut **tx).await? {
                    ids.insert(row.try_get(1)?, row.try_get(0)?);
                }
                let id = |case: &Case| {
                    ids.get(case.reference.as_str()).copied().ok_or_else(|| {
                        StoreError::Database(anyhow::anyhow!(
                            "case {}: no id returned for the new row",
                            case.reference
                        ))
                    })
                };
                let history: Vec<(i64, &str)> = chunk
                    .iter()
                    .map(|(case, change)| Ok((id(case)?, change.as_str())))
                    .collect::<Result<_, StoreError>>()?;
                let mut extensions = Vec::new();
                let mut suspensions = Vec::new();
                for ((case, _), (id, _)) in chunk.iter().zip(&history) {
                    extensions.extend(case.extensions.iter().enumerate().map(|(i, e)| (*id, i, e)));
                    suspensions.extend(
                        case.suspensions
                            .iter()
                            .enumerate()
                            .map(|(i, s)| (*id, i, s)),
                    );
                }
                for part in extensions.chunks(IMPORT_BATCH) {
                    let mut q = QueryBuilder::new(
                        "INSERT INTO extensions (case_id, position, days, approved_on, \
                         approved_by, reason, notice_on) ",
                    );
                    q.push_values(part, |mut row, (id, i, e)| {
                        row.push_bind(*id)
                            .push_bind(i32::try_from(*i).unwrap_or(i32::MAX))
                            .push_bind(i32::try_from(e.days).unwrap_or(i32::MAX))
                            .push_bind(e.approved_on)
                            .push_bind(e.approved_by.as_str())
                            .push_bind(e.reason.as_deref())
                            .push_bind(e.notice_on);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                for part in suspensions.chunks(IMPORT_BATCH) {
                    let mut q = QueryBuilder::new(
                        "INSERT INTO suspensions (case_id, position, from_on, until_on, reason, \
                         note, notice_on, resumption_notice_on) ",
                    );
                    q.push_values(part, |mut row, (id, i, s)| {
                        row.push_bind(*id)
                            .push_bind(i32::try_from(*i).unwrap_or(i32::MAX))
                            .push_bind(s.from)
                            .push_bind(s.until)
                            .push_bind(s.reason.as_str())
                            .push_bind(s.note.as_deref())
                            .push_bind(s.notice_on)
                            .push_bind(s.resumption_notice_on);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                let mut q =
                    QueryBuilder::new("INSERT INTO history (case_id, command, change, actor) ");
                q.push_values(&history, |mut row, (id, change)| {
                    row.push_bind(*id)
                        .push_bind(command)
                        .push_bind(*change)
                        .push_bind(actor);
                });
                q.build().execute(&mut **tx).await?;
            });
        }
        Ok(())
    }

    /// Commits what was added.
    ///
    /// # Errors
    /// A database failure.
    pub async fn commit(self) -> Result<(), StoreError> {
        with_tx!(self.tx, |tx| tx.commit().await?);
        Ok(())
    }
}
