//! `cases.source = "sql"`: an existing case system's database (PostgreSQL, or MySQL/MariaDB),
//! read through three queries the administrator writes in `[cases]` (or views they name), whose
//! columns follow the **view contract** ([`super::contract`]; the README's "Watching an existing
//! case system").
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
//!   with their extensions and suspensions fetched per batch by the batch's references.
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
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Column as _, Row, SqlSafeStr, Statement as _, Transaction, TypeInfo};

use super::contract::{CASES, Dialect, EXTENSIONS, SUSPENSIONS, check_columns, trimmed};
use super::reads::Reads;
use super::row::{RawCase, RawExtension, RawSuspension, to_case};
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
                 README, \"Watching an existing case system\", lists each column, its type and \
                 a worked example",
                problems.join("\n  ")
            );
        }
        let mut found = found.into_iter();
        let (Some(Some(case_names)), Some(ext_names), Some(sus_names)) =
            (found.next(), found.next(), found.next())
        else {
            anyhow::bail!(
                "cases.cases_query is empty, but cases.source = \"sql\" reads through it"
            );
        };
        let reads = Reads::build(dialect, c, &case_names, ext_names, sus_names);
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

/// Reads a batch's children with `$children` (extensions or suspensions), grouped by reference:
/// each row as `$read` makes it from row `$r`, or why it cannot be read (`$what` names it).
macro_rules! read_children {
    ($mode:ident, $tx:expr, $children:expr, $references:expr, $what:literal, |$r:ident| $read:expr) => {{
        let mut by_reference: HashMap<String, Vec<Result<_, String>>> = HashMap::new();
        if let Some(children) = $children {
            let query = sqlx::query(AssertSqlSafe(children.sql($references.len())));
            let rows = bind_references!($mode, query, $references)
                .fetch_all(&mut **$tx)
                .await?;
            for $r in &rows {
                let Some(reference) = $r.try_get::<Option<String>, _>("reference")? else {
                    continue;
                };
                let child = (|| -> Result<_, sqlx::Error> { Ok($read) })()
                    .map_err(|e| format!(concat!($what, " row cannot be read: {}"), e));
                by_reference.entry(reference).or_default().push(child);
            }
        }
        by_reference
    }};
}

/// Binds a batch's references: one array (`array`, PostgreSQL) or one value each (`each`).
macro_rules! bind_references {
    (array, $query:expr, $references:expr) => {
        $query.bind($references.clone())
    };
    (each, $query:expr, $references:expr) => {{
        let mut query = $query;
        for r in &$references {
            query = query.bind(r.clone());
        }
        query
    }};
}

/// Reads one batch: `$sql` bound to (`$a`, `$limit`), then the batch's extensions and
/// suspensions by its references (bound as `$mode`); evaluates to `Result<Option<Vec<Result<Case, StoreError>>>, StoreError>`
/// (`None`: no rows).
macro_rules! read_batch {
    ($mode:ident, $tx:expr, $inner:expr, $sql:expr, $a:expr, $limit:expr) => {
        async {
            let inner: &Inner = $inner;
            let tx = $tx;
            let rows = sqlx::query(AssertSqlSafe(Arc::clone($sql)))
                .bind($a)
                .bind($limit)
                .fetch_all(&mut **tx)
                .await?;
            if rows.is_empty() {
                return Ok::<_, StoreError>(None);
            }
            let mut raws: Vec<Result<RawCase, StoreError>> = Vec::with_capacity(rows.len());
            for row in &rows {
                let reference: Option<String> = row.try_get("reference")?;
                let Some(reference) = reference else { continue };
                let raw = (|| -> Result<RawCase, sqlx::Error> {
                    Ok(RawCase {
                        subject: row.try_get("subject")?,
                        channel: row.try_get("channel")?,
                        received_on: row.try_get("received_on")?,
                        forwarded_on: row.try_get("forwarded_on")?,
                        section: row.try_get("section")?,
                        replied_on: row.try_get("replied_on")?,
                        closed_on: row.try_get("closed_on")?,
                        close_reason: row.try_get("close_reason")?,
                        reference: reference.clone(),
                    })
                })();
                raws.push(raw.map_err(|e| StoreError::BadRow {
                    reference,
                    problem: format!("the row cannot be read: {e}"),
                }));
            }
            let last_row = rows.len();
            drop(rows);
            let mut references: Vec<String> = raws
                .iter()
                .map(|r| match r {
                    Ok(raw) => raw.reference.clone(),
                    Err(StoreError::BadRow { reference, .. }) => reference.clone(),
                    Err(_) => String::new(),
                })
                .collect();
            // A full batch leaves the rows of its last reference to the next batch (which
            // starts after the reference before them): a reference on two rows that straddle
            // the batch boundary is then seen whole, and refused, instead of half skipped.
            if i64::try_from(last_row).is_ok_and(|n| n == $limit)
                && let Some(last) = references.last().cloned()
                && references.iter().any(|r| *r != last)
            {
                while references.last() == Some(&last) {
                    references.pop();
                    raws.pop();
                }
            }
            let Some(last) = references.last().cloned() else {
                return Ok(Some((Vec::new(), String::new(), last_row)));
            };
            let mut extensions: HashMap<String, Vec<Result<RawExtension, String>>> = read_children!(
                $mode, tx, &inner.reads.extensions, references, "an extension",
                |r| RawExtension {
                    days: r.try_get("days")?,
                    approved_on: r.try_get("approved_on")?,
                    approved_by: r.try_get("approved_by")?,
                    reason: r.try_get("reason")?,
                    notice_on: r.try_get("notice_on")?,
                }
            );
            let mut suspensions: HashMap<String, Vec<Result<RawSuspension, String>>> = read_children!(
                $mode, tx, &inner.reads.suspensions, references, "a suspension",
                |r| RawSuspension {
                    from_on: r.try_get("from_on")?,
                    until_on: r.try_get("until_on")?,
                    reason: r.try_get("reason")?,
                    note: r.try_get("note")?,
                    notice_on: r.try_get("notice_on")?,
                    resumption_notice_on: r.try_get("resumption_notice_on")?,
                }
            );
            // A reference on several rows is one bad case, reported once; none of its rows
            // is watched (which of them would be right is the case system's to say).
            let mut rows_of: HashMap<&str, usize> = HashMap::with_capacity(references.len());
            for r in &references {
                *rows_of.entry(r.as_str()).or_default() += 1;
            }
            let mut refused = std::collections::HashSet::new();
            let batch = raws
                .into_iter()
                .zip(&references)
                .filter_map(|(raw, reference)| {
                    if rows_of.get(reference.as_str()).is_some_and(|n| *n > 1) {
                        return refused.insert(reference.as_str()).then(|| {
                            Err(StoreError::BadRow {
                                reference: reference.clone(),
                                problem: "the reference is on more than one row of \
                                          cases.cases_query; references must be unique"
                                    .to_owned(),
                            })
                        });
                    }
                    Some(raw.and_then(|raw| {
                        let ext = extensions.remove(&raw.reference).unwrap_or_default();
                        let sus = suspensions.remove(&raw.reference).unwrap_or_default();
                        to_case(&inner.sections, &inner.rules, raw, ext, sus)
                    }))
                })
                .collect();
            Ok(Some((batch, last, last_row)))
        }
        .await
    };
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
        let batch = match &mut cursor.tx {
            SqlTx::Postgres(tx) => read_batch!(array, tx, &inner, sql, reference.as_str(), 1_i64),
            SqlTx::MySql(tx) => read_batch!(each, tx, &inner, sql, reference.as_str(), 1_i64),
        };
        cursor.finish().await?;
        batch?
            .and_then(|(b, _, _)| b.into_iter().next())
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
            SqlTx::Postgres(tx) => read_batch!(array, tx, &inner, sql, after, SCAN_BATCH),
            SqlTx::MySql(tx) => read_batch!(each, tx, &inner, sql, after, SCAN_BATCH),
        };
        let read = read.map_err(|e| match e {
            StoreError::Database(e) => e,
            other => anyhow::anyhow!("{other}"),
        })?;
        let Some((batch, last, rows)) = read else {
            self.done = true;
            return Ok(None);
        };
        if rows < usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX) || last.is_empty() {
            self.done = true;
        }
        self.after = last;
        Ok(Some(batch))
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
