//! `cases.source = "sql"`: an existing case system's database (PostgreSQL, or MySQL/MariaDB),
//! read through three queries the administrator writes in `[cases]` (or views they name), whose
//! columns follow the **view contract** ([`super::contract`]; docs/case-system.md, "The view
//! contract").
//!
//! - **Read-only, by construction.** Every connection is opened read-only
//!   (`default_transaction_read_only` on PostgreSQL, `SET SESSION TRANSACTION READ ONLY` on
//!   MySQL) and every scan runs in a read-only snapshot transaction (`REPEATABLE READ READ ONLY`;
//!   `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`). This module issues no write.
//! - **Checked at connect.** Each query is prepared and run (`LIMIT 0`); a missing column, a
//!   column of the wrong type or a query the database refuses stops the start, naming the config
//!   key and the column. The SQL that reads is built from what was found ([`super::reads`]): a
//!   missing optional column reads as NULL.
//! - **Bounded memory.** Open cases are read in keyset batches of [`SCAN_BATCH`] by `reference`,
//!   with their extensions, suspensions and returns fetched per batch by the batch's references.
//!   One batch is read by `SourceSql::read_batch`, written once for both backends; only the binding
//!   of the references differs (one array on PostgreSQL, one value each on MySQL).
//! - **One bad row is not fatal.** Each row is made into a [`Case`] by [`super::row`], through
//!   the rules of the commands; a row that breaks them is a [`StoreError::BadRow`] naming the
//!   case, and the others are watched.
//!
//! The configured queries are trusted configuration, written by the administrator; they are
//! wrapped as subqueries (`SELECT … FROM (query) q …`) and never built from case data: every
//! value (a reference, a limit) is bound.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::mysql::{MySqlArguments, MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, Column as _, FromRow as _, SqlSafeStr, Statement as _, Transaction, TypeInfo,
};

use super::contract::{CASES, Dialect, EXTENSIONS, RETURNS, SUSPENSIONS, check_columns, trimmed};
use super::reads::{Children, Reads};
use super::row::{
    ByReference, RawCase, RawExtension, RawReturn, RawSuspension, RowReference, cases_of,
};
use crate::config::{Config, mask};
use crate::domain::case::{Case, Reference};
use crate::domain::deadline::Rules;
use crate::domain::parties::Section;
use crate::store::{SCAN_BATCH, StoreError};

/// What reading needs besides the connection.
#[derive(Debug)]
struct Inner {
    reads: Reads,
    sections: Vec<Section>,
    rules: Rules,
}

#[derive(Debug, Clone)]
enum Pool {
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// An existing case system, read-only.
#[derive(Debug, Clone)]
pub struct SqlSource {
    pool: Pool,
    inner: Arc<Inner>,
    /// `cases.url` with its password masked, for messages.
    shown: String,
}

/// What [`SqlSource::connect`] found, for `config check`.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Each query's config key and the contract columns it returns.
    pub queries: Vec<(&'static str, Vec<&'static str>)>,
}

/// Runs `$body` with `$pool` bound to whichever pool the source holds.
macro_rules! with_sql_pool {
    ($pool_enum:expr, $pool:ident => $body:expr) => {
        match $pool_enum {
            Pool::Postgres($pool) => $body,
            Pool::MySql($pool) => $body,
        }
    };
}

/// The columns a configured query returns (name, type), by preparing it wrapped with
/// `LIMIT 0`, and running it once so that a refused permission shows now.
async fn describe_query<DB>(
    conn: &mut PoolConnection<DB>,
    query: &str,
) -> Result<Vec<(String, String)>, sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let wrapped = format!("SELECT * FROM ({}) q LIMIT 0", trimmed(query));
    let statement =
        sqlx::Executor::prepare(&mut **conn, AssertSqlSafe(wrapped.clone()).into_sql_str()).await?;
    let columns: Vec<(String, String)> = statement
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_info().name().to_owned()))
        .collect();
    sqlx::query(AssertSqlSafe(wrapped))
        .fetch_all(&mut **conn)
        .await?;
    Ok(columns)
}

impl SqlSource {
    /// Connects to `cases.url` read-only and checks the configured queries against the view
    /// contract.
    ///
    /// # Errors
    /// The database cannot be reached; or, all listed at once, each query the database refuses
    /// and each missing or mistyped column, with its config key.
    pub async fn connect(config: &Config) -> anyhow::Result<SqlSource> {
        Ok(Self::connect_checked(config).await?.0)
    }

    /// As [`SqlSource::connect`], also saying what was found.
    ///
    /// # Errors
    /// As [`SqlSource::connect`].
    pub async fn connect_checked(config: &Config) -> anyhow::Result<(SqlSource, Checked)> {
        let url = config.cases.url();
        let shown = mask(url);
        let (pool, dialect) = if url.starts_with("postgres://") || url.starts_with("postgresql://")
        {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("cases.url: cannot use \"{shown}\""))?
                .application_name("duewatch")
                // Every transaction of these connections is read-only: the case system is
                // never written, whatever a configured query tries.
                .options([("default_transaction_read_only", "on")]);
            // One connection first, for its error: the pool would only say it timed out.
            let probe = <sqlx::PgConnection as sqlx::Connection>::connect_with(&options)
                .await
                .with_context(|| format!("connecting to the case system {shown} (cases.url)"))?;
            let _ = sqlx::Connection::close(probe).await;
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with(options);
            (Pool::Postgres(pool), Dialect::Postgres)
        } else {
            let url = url
                .strip_prefix("mariadb://")
                .map_or_else(|| url.to_owned(), |rest| format!("mysql://{rest}"));
            let options = MySqlConnectOptions::from_str(&url)
                .with_context(|| format!("cases.url: cannot use \"{shown}\""))?
                .charset("utf8mb4");
            let probe = <sqlx::MySqlConnection as sqlx::Connection>::connect_with(&options)
                .await
                .with_context(|| format!("connecting to the case system {shown} (cases.url)"))?;
            let _ = sqlx::Connection::close(probe).await;
            let pool = MySqlPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::Executor::execute(&mut *conn, "SET SESSION TRANSACTION READ ONLY")
                            .await?;
                        Ok(())
                    })
                })
                .connect_lazy_with(options);
            (Pool::MySql(pool), Dialect::MySql)
        };
        let c = &config.cases;
        let configured = [
            ("cases.cases_query", c.cases_query.as_str(), CASES),
            (
                "cases.extensions_query",
                c.extensions_query.as_str(),
                EXTENSIONS,
            ),
            (
                "cases.suspensions_query",
                c.suspensions_query.as_str(),
                SUSPENSIONS,
            ),
            ("cases.returns_query", c.returns_query.as_str(), RETURNS),
        ];
        let mut problems = Vec::new();
        let mut found: Vec<Option<Vec<Option<String>>>> = Vec::new();
        let mut checked = Checked {
            queries: Vec::new(),
        };
        for (key, query, contract) in configured {
            if query.trim().is_empty() {
                found.push(None);
                continue;
            }
            let described: Result<Vec<(String, String)>, sqlx::Error> = with_sql_pool!(&pool, p => {
                let mut conn = p.acquire().await.with_context(|| {
                    format!("connecting to the case system {shown} (cases.url)")
                })?;
                describe_query(&mut conn, query).await
            });
            match described {
                Err(e) => {
                    problems.push(format!("{key}: the case system refuses the query: {e}"));
                    found.push(None);
                }
                Ok(columns) => match check_columns(key, dialect, &columns, contract) {
                    Ok(names) => {
                        checked.queries.push((
                            key,
                            contract
                                .iter()
                                .zip(&names)
                                .filter(|(_, n)| n.is_some())
                                .map(|(c, _)| c.name)
                                .collect(),
                        ));
                        found.push(Some(names));
                    }
                    Err(mut p) => {
                        problems.append(&mut p);
                        found.push(None);
                    }
                },
            }
        }
        if !problems.is_empty() {
            anyhow::bail!(
                "the case system's queries do not fit the view contract ({shown}):\n  {}\n  help: \
                 docs/case-system.md, \"The view contract\", lists each column, its type and \
                 a worked example",
                problems.join("\n  ")
            );
        }
        let mut found = found.into_iter();
        let (Some(Some(case_names)), Some(ext_names), Some(sus_names), Some(ret_names)) =
            (found.next(), found.next(), found.next(), found.next())
        else {
            anyhow::bail!(
                "cases.cases_query is empty, but cases.source = \"sql\" reads through it"
            );
        };
        let reads = Reads::build(dialect, c, &case_names, ext_names, sus_names, ret_names);
        let source = SqlSource {
            pool,
            inner: Arc::new(Inner {
                reads,
                sections: config.sections.clone(),
                rules: config.rules.clone(),
            }),
            shown,
        };
        Ok((source, checked))
    }

    /// `cases.url`, password masked.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Starts a scan in a read-only snapshot.
    ///
    /// # Errors
    /// A database failure.
    pub async fn cursor(&self, open_only: bool) -> anyhow::Result<SqlCursor> {
        let context = || format!("reading the case system {} (cases.url)", self.shown);
        let tx = match &self.pool {
            Pool::Postgres(p) => SqlTx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .with_context(context)?,
            ),
            Pool::MySql(p) => SqlTx::MySql(
                p.begin_with("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                    .await
                    .with_context(context)?,
            ),
        };
        Ok(SqlCursor {
            tx,
            inner: Arc::clone(&self.inner),
            after: String::new(),
            open_only,
            done: false,
        })
    }
}

#[derive(Debug)]
enum SqlTx {
    Postgres(Transaction<'static, sqlx::Postgres>),
    MySql(Transaction<'static, sqlx::MySql>),
}

/// A scan of a case system in progress: one read-only snapshot, batches of [`SCAN_BATCH`].
#[derive(Debug)]
pub struct SqlCursor {
    tx: SqlTx,
    inner: Arc<Inner>,
    after: String,
    open_only: bool,
    done: bool,
}

/// One batch as [`SourceSql::read_batch`] reads it.
#[derive(Debug)]
struct Batch {
    /// Each case of the batch, or why it is not watched.
    cases: Vec<Result<Case, StoreError>>,
    /// The last reference kept (the next batch starts after it); empty if no row had one.
    last: String,
    /// How many rows the query returned.
    rows: usize,
}

/// Reading a batch from a case system, written once for the two backends it can be
/// (`sqlx::Postgres`, `sqlx::MySql`): the `where` clause lists what sqlx must be able to do with
/// a backend for it. The backends differ only in how a batch's references are bound
/// ([`SourceSql::bind_references`]). As with the store's `CaseSql`, the reads are the trait's own
/// functions so that the clause is written once; called as `SourceSql::read_batch(tx, …)`: the
/// transaction's type picks the backend.
trait SourceSql: sqlx::Database
where
    for<'c> &'c mut <Self as sqlx::Database>::Connection: sqlx::Executor<'c, Database = Self>,
    <Self as sqlx::Database>::Arguments: sqlx::IntoArguments<Self>,
    for<'q> &'q str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> i64: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'r> RowReference: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> RawCase: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> RawExtension: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> RawSuspension: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    for<'r> RawReturn: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
{
    /// Binds a batch's references to a children query ([`Children::sql`]).
    fn bind_references<'q>(
        query: Query<'q, Self, <Self as sqlx::Database>::Arguments>,
        references: &[String],
    ) -> Query<'q, Self, <Self as sqlx::Database>::Arguments>;

    /// One batch: `sql` (a keyset scan or one case, [`Reads`]) bound to (`after`, `limit`), then
    /// the batch's extensions and suspensions by its references; `None`: no rows.
    async fn read_batch(
        tx: &mut Transaction<'static, Self>,
        inner: &Inner,
        sql: &Arc<str>,
        after: &str,
        limit: i64,
    ) -> Result<Option<Batch>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(Arc::clone(sql)))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut raws: Vec<Result<RawCase, StoreError>> = Vec::with_capacity(rows.len());
        let mut references: Vec<String> = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(reference) = RowReference::from_row(row)?.reference else {
                continue;
            };
            let raw = RawCase::from_row(row).map_err(|e| StoreError::BadRow {
                reference: reference.clone(),
                problem: format!("the row cannot be read: {e}"),
            });
            raws.push(raw.map(|raw| RawCase {
                reference: reference.clone(),
                ..raw
            }));
            references.push(reference);
        }
        let rows_read = rows.len();
        drop(rows);
        // A full batch leaves the rows of its last reference to the next batch (which starts
        // after the reference before them): a reference on two rows that straddle the batch
        // boundary is then seen whole, and refused, instead of half skipped.
        if i64::try_from(rows_read).is_ok_and(|n| n == limit)
            && let Some(last) = references.last().cloned()
            && references.iter().any(|r| *r != last)
        {
            while references.last() == Some(&last) {
                references.pop();
                raws.pop();
            }
        }
        let Some(last) = references.last().cloned() else {
            return Ok(Some(Batch {
                cases: Vec::new(),
                last: String::new(),
                rows: rows_read,
            }));
        };
        let extensions: ByReference<RawExtension> = Self::read_children(
            tx,
            inner.reads.extensions.as_ref(),
            &references,
            "an extension",
        )
        .await?;
        let suspensions: ByReference<RawSuspension> = Self::read_children(
            tx,
            inner.reads.suspensions.as_ref(),
            &references,
            "a suspension",
        )
        .await?;
        let returns: ByReference<RawReturn> =
            Self::read_children(tx, inner.reads.returns.as_ref(), &references, "a return").await?;
        Ok(Some(Batch {
            cases: cases_of(
                &inner.sections,
                &inner.rules,
                raws,
                &references,
                extensions,
                suspensions,
                returns,
            ),
            last,
            rows: rows_read,
        }))
    }

    /// A batch's children through `children` (`None`: that query is not configured), grouped by
    /// reference; `what` names a row in the error of one that cannot be read.
    async fn read_children<C>(
        tx: &mut Transaction<'static, Self>,
        children: Option<&Children>,
        references: &[String],
        what: &str,
    ) -> Result<ByReference<C>, sqlx::Error>
    where
        for<'r> C: sqlx::FromRow<'r, <Self as sqlx::Database>::Row>,
    {
        let mut by_reference: ByReference<C> = HashMap::new();
        let Some(children) = children else {
            return Ok(by_reference);
        };
        let query = sqlx::query(AssertSqlSafe(children.sql(references.len())));
        let rows = Self::bind_references(query, references)
            .fetch_all(&mut **tx)
            .await?;
        for row in &rows {
            let Some(reference) = RowReference::from_row(row)?.reference else {
                continue;
            };
            let child = C::from_row(row).map_err(|e| format!("{what} row cannot be read: {e}"));
            by_reference.entry(reference).or_default().push(child);
        }
        Ok(by_reference)
    }
}

impl SourceSql for sqlx::Postgres {
    /// One array, for `= ANY($1)`.
    fn bind_references<'q>(
        query: Query<'q, Self, PgArguments>,
        references: &[String],
    ) -> Query<'q, Self, PgArguments> {
        query.bind(references)
    }
}

impl SourceSql for sqlx::MySql {
    /// One value for each `?` of `IN (?, …)`.
    fn bind_references<'q>(
        query: Query<'q, Self, MySqlArguments>,
        references: &[String],
    ) -> Query<'q, Self, MySqlArguments> {
        references
            .iter()
            .fold(query, |query, reference| query.bind(reference.as_str()))
    }
}

impl SqlSource {
    /// One case by its reference, checked like the others.
    ///
    /// # Errors
    /// A database failure, or the case's row breaks the rules.
    pub async fn get(&self, reference: &Reference) -> Result<Option<Case>, StoreError> {
        let mut cursor = self.cursor(false).await?;
        let inner = Arc::clone(&self.inner);
        let sql = &inner.reads.one_case;
        let (one, limit) = (reference.as_str(), 1_i64);
        let batch = match &mut cursor.tx {
            SqlTx::Postgres(tx) => SourceSql::read_batch(tx, &inner, sql, one, limit).await,
            SqlTx::MySql(tx) => SourceSql::read_batch(tx, &inner, sql, one, limit).await,
        };
        cursor.finish().await?;
        batch?
            .and_then(|batch| batch.cases.into_iter().next())
            .transpose()
    }
}

impl SqlCursor {
    /// The next batch of cases, in reference order; `None` at the end.
    ///
    /// # Errors
    /// A database failure.
    pub async fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Result<Case, StoreError>>>> {
        if self.done {
            return Ok(None);
        }
        let inner = Arc::clone(&self.inner);
        let sql = if self.open_only {
            &inner.reads.open_cases
        } else {
            &inner.reads.all_cases
        };
        let after = self.after.as_str();
        let read = match &mut self.tx {
            SqlTx::Postgres(tx) => SourceSql::read_batch(tx, &inner, sql, after, SCAN_BATCH).await,
            SqlTx::MySql(tx) => SourceSql::read_batch(tx, &inner, sql, after, SCAN_BATCH).await,
        };
        let read = read.map_err(|e| match e {
            StoreError::Database(e) => e,
            other => anyhow::anyhow!("{other}"),
        })?;
        let Some(Batch { cases, last, rows }) = read else {
            self.done = true;
            return Ok(None);
        };
        if rows < usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX) || last.is_empty() {
            self.done = true;
        }
        self.after = last;
        Ok(Some(cases))
    }

    /// Ends the scan (the snapshot transaction is committed; it wrote nothing).
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        match self.tx {
            SqlTx::Postgres(tx) => tx.commit().await?,
            SqlTx::MySql(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
