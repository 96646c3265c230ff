//! The store: duewatch's own database, SQLite (the embedded default) or PostgreSQL, with the same
//! SQL where the two agree (`$1` placeholders work on both) and the same code: each operation is
//! written once and compiled for both pools by `with_pool!`; where the backends differ (the
//! database clock, row locks) each statement is written out whole once per backend.
//!
//! One file per table or concern:
//! - this file: [`Store`], connecting, migrations, the write check, [`StoreError`],
//!   [`FileIdentity`], and how each backend opens its transactions (`WritePool`);
//! - [`cases`]: cases, their extensions, suspensions and history, and the batched scan;
//! - `batch`: a scan's batch decoded and its children merged in (every reader of batches);
//! - `packed`: SQLite's scan batches, the case rows packed by SQLite into one JSON value;
//! - [`period`]: reading only the cases that can count in a report's period;
//! - `annual`: the cases of one year's annual report, read by date range and streamed;
//! - `rows`: the rows read from the tables, and their conversion into the domain types;
//! - [`notifications`]: the digest lines and notices recorded, and the problems reported;
//! - [`outbox`]: the mail queue and its delivery guarantee;
//! - [`channel_outbox`]: chat channel messages in the same queue, and their per-minute limit;
//! - [`repeats`]: the daily repeat of overdue lines;
//! - `returns`: the forwardings undone by a section giving a case back (退回), a child of `cases`;
//! - [`runs`]: each job's runs and their figures;
//! - [`feed_tokens`]: the sections' calendar feed tokens (kept hashed);
//! - [`secret`]: making and checking tokens (kept as SHA-256) and passwords (argon2id);
//! - [`accounts`]: the console's users and their API tokens;
//! - [`sessions`]: the console's login sessions and the failed logins (for throttling);
//! - [`health`]: the figures `duewatch health` and `/metrics` report;
//! - [`told`]: what the console shows of the mail (a case's notifications, the outbox by state);
//! - [`red_cards`]: the notifications of a grade that went out (the report's red cards);
//! - `backup`: pending migrations, and backups of a SQLite database (before migrating, by hand).
//!
//! Writes are read-modify-write in one transaction: SQLite opens it with `BEGIN IMMEDIATE` (a
//! deferred transaction that later writes can fail with "database is locked"), PostgreSQL locks
//! the case row with `FOR UPDATE`. A refused change rolls back: nothing is written.
//! Every value is bound; no SQL is built from input. This layer knows the domain's types and the
//! mail's rendered form; it calls nothing above it (no jobs, no daemon, no CLI).

pub mod accounts;
mod annual;
mod backup;
mod batch;
pub mod cases;
pub mod channel_outbox;
pub mod feed_tokens;
pub mod health;
pub mod import;
mod lines_sql;
pub mod notifications;
pub mod outbox;
mod packed;
pub mod period;
pub mod red_cards;
pub mod repeats;
mod returns;
pub(crate) mod rows;
pub mod runs;
pub mod secret;
pub mod sessions;
pub mod told;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::Transaction;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{Account, AccountError, TokenRow};
pub use cases::{Cursor, SCAN_BATCH};
pub use health::Health;
pub use import::{IMPORT_BATCH, Importing};
pub use outbox::Claimed;
pub use period::PeriodCursor;
pub use rows::HistoryLine;
pub use runs::RunFigures;

use crate::config::{Backend, DatabaseUrl};
use crate::domain::case::Reference;

/// The database, by backend.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite, the embedded default.
    Sqlite(SqlitePool),
    /// PostgreSQL, for production and several instances.
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store holds: `$body` is compiled once per
/// backend, with `$pool` a `&SqlitePool` or a `&PgPool`. Written `with_pool!(self, |pool| {…})`
/// so that rustfmt formats the body, but it is **not a closure**: the body is pasted into a
/// `match` arm, so a `?`, `.await` or `return` in it acts on the enclosing `async fn`, as it reads.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Opening transactions the right way for each backend.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    /// Begins a transaction that will write.
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Self::Db>>;
    /// Begins a read-only transaction whose reads all see one snapshot.
    async fn begin_snapshot(&self) -> sqlx::Result<Transaction<'static, Self::Db>>;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, sqlx::Sqlite>> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
    async fn begin_snapshot(&self) -> sqlx::Result<Transaction<'static, sqlx::Sqlite>> {
        // In WAL mode a deferred transaction reads one snapshot from its first read on.
        self.begin().await
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
    async fn begin_snapshot(&self) -> sqlx::Result<Transaction<'static, sqlx::Postgres>> {
        self.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No case has this reference.
    #[error("case {0} does not exist\n  help: `duewatch case list` shows the references")]
    NotFound(Reference),
    /// The reference is taken.
    #[error(
        "case {0} exists already: references are unique\n  help: choose another reference, or change the existing case"
    )]
    Duplicate(Reference),
    /// The change breaks a rule; nothing was written.
    #[error("case {reference}: {message}")]
    Refused {
        /// The case.
        reference: Reference,
        /// The rule and what to do.
        message: crate::domain::Refusal,
    },
    /// A case read from the case system (`cases.source = "sql"`) breaks a rule or cannot be
    /// read; that case is left out and reported, the others are watched.
    #[error(
        "case {reference} in the case system (cases.url): {problem}\n  help: correct it in the case system; the other cases are watched meanwhile"
    )]
    BadRow {
        /// The reference as the case system spells it.
        reference: String,
        /// What is wrong.
        problem: String,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl Store {
    /// Connects to `database` (`sqlite://PATH`, created if missing, or `postgres://…`), by the
    /// backend its URL was parsed to.
    ///
    /// # Errors
    /// An unreachable server, an unwritable path, a malformed URL.
    pub async fn connect(database: &DatabaseUrl) -> anyhow::Result<Store> {
        let url = database.expose();
        if database.backend() == Backend::Sqlite {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(dir) = Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("creating {} for the database (database.url)", dir.display())
                })?;
            }
            // busy_timeout before WAL (pitfalls.md); FULL so a committed row survives power loss.
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("database.url: cannot use \"{url}\""))?
                .busy_timeout(Duration::from_secs(10))
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true);
            // The file is made here, once; the pool's connections never make one: a database
            // deleted under a running daemon must not come back empty behind its back.
            let cannot_open = |doing: &str, e: sqlx::Error| {
                anyhow::anyhow!(
                    "{doing} the SQLite database {path} (database.url): {e}\n  help: check that \
                     duewatch's user may read and write the file and its directory, and that its \
                     file system is neither read-only nor full (SQLite keeps its -wal and -shm \
                     files beside the database)"
                )
            };
            if !options.get_filename().exists() {
                use sqlx::Connection as _;
                sqlx::SqliteConnection::connect_with(&options.clone().create_if_missing(true))
                    .await
                    .map_err(|e| cannot_open("creating", e))?
                    .close()
                    .await?;
            }
            let options = options.create_if_missing(false);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .idle_timeout(IDLE_CONNECTION)
                .after_release(|conn, _| Box::pin(outside_any_transaction(conn)))
                .connect_with(options)
                .await
                .map_err(|e| cannot_open("opening", e))?;
            Ok(Store::Sqlite(pool))
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .idle_timeout(IDLE_CONNECTION)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .with_context(|| {
                    format!("connecting to {} (database.url)", crate::config::mask(url))
                })?;
            Ok(Store::Postgres(pool))
        }
    }

    /// The SQLite database file and its identity now (device, inode); `None` for PostgreSQL.
    /// The daemon compares it with the one it opened, to notice the file deleted or replaced.
    pub fn sqlite_file(&self) -> Option<(std::path::PathBuf, std::io::Result<FileIdentity>)> {
        let Store::Sqlite(pool) = self else {
            return None;
        };
        let path = pool.connect_options().get_filename().to_owned();
        let identity = FileIdentity::of(&path);
        Some((path, identity))
    }

    /// Checks that the database takes writes, not only reads: begins a write transaction,
    /// creates a table in it and rolls it back (nothing is kept). `shown` is `database.url`
    /// as it may be shown (password masked).
    ///
    /// # Errors
    /// A database that can be read but not written (a read-only file, directory or file
    /// system; a read-only PostgreSQL standby or role), said with what to check.
    pub async fn check_writable(&self, shown: &str) -> anyhow::Result<()> {
        let tried: sqlx::Result<()> = with_pool!(self, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                sqlx::query("CREATE TABLE duewatch_write_check (x INTEGER)")
                    .execute(&mut *tx)
                    .await?;
                tx.rollback().await
            }
            .await
        });
        tried.map_err(|e| {
            let help = match self {
                Store::Sqlite(_) => {
                    "check that duewatch's user may write the file and its directory (SQLite \
                     keeps its -wal and -shm files beside it), that the file is not immutable \
                     (lsattr) and that the file system is not mounted read-only"
                }
                Store::Postgres(_) => {
                    "check that the server is not a read-only standby \
                     (default_transaction_read_only) and that the role may write and create \
                     tables in its schema"
                }
            };
            anyhow::anyhow!("the database {shown} can be read but not written: {e}\n  help: {help}")
        })
    }

    /// Applies the migrations this binary carries (safe to run again), without a backup: the
    /// commands and the daemon call [`Store::upgrade`].
    ///
    /// # Errors
    /// A failed or foreign migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(pool) => backup::SQLITE.run(pool).await,
            Store::Postgres(pool) => backup::POSTGRES.run(pool).await,
        }
        .context("applying database migrations")
    }

    /// The statement for this store's backend, where SQLite and PostgreSQL spell it
    /// differently (the database clock, row locks).
    pub(crate) fn sql(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Store::Sqlite(_) => sqlite,
            Store::Postgres(_) => postgres,
        }
    }
}

/// Which file a path names: device and inode. A file deleted and made again, or replaced by a
/// copy (`mv`), has another identity under the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    /// The device.
    pub device: u64,
    /// The inode.
    pub inode: u64,
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    ///
    /// # Errors
    /// The file is missing or cannot be examined.
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(path)?;
        Ok(FileIdentity {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

/// Whether a SQLite connection going back to the pool is outside any transaction; one that is
/// not is closed instead (closing rolls back whatever it holds), and the pool opens a fresh one.
///
/// After an error (a full disk, an I/O error) SQLite may roll a transaction back by itself;
/// sqlx's ROLLBACK on drop then fails ("no transaction is active") and sqlx goes on counting a
/// transaction: the next `BEGIN IMMEDIATE` on that connection fails ("begin_with at non-zero
/// transaction depth") and a plain `begin` becomes a SAVEPOINT whose rollback leaves a
/// transaction open, holding the write lock ("database is locked" for every other connection,
/// for good). And a failed COMMIT may leave the transaction open. Both are caught here, on
/// every release: SQLite is asked (a `BEGIN` fails inside a transaction), and so is sqlx.
async fn outside_any_transaction(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<bool> {
    use sqlx::Connection as _;
    // Statements run in order on the connection's worker: a rollback queued by a dropped
    // transaction has run before this BEGIN does.
    let sqlite_idle = sqlx::raw_sql("BEGIN; ROLLBACK")
        .execute(&mut *conn)
        .await
        .is_ok();
    let clean = sqlite_idle && !conn.is_in_transaction();
    if !clean {
        tracing::warn!(
            "a database connection left inside a transaction after an error is closed; \
             a fresh one takes its place"
        );
    }
    Ok(clean)
}

/// How long an unused database connection is kept: well under the usual poll interval, so that
/// between polls the daemon holds no connection (nor SQLite's page cache of one, up to 2 MB):
/// idle memory. Opening one again costs about a millisecond.
const IDLE_CONNECTION: Duration = Duration::from_secs(15);
