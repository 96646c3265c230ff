//! The case store: cases, extensions, suspensions and history in SQLite (the embedded default)
//! or PostgreSQL, with the same SQL (`$1` placeholders work on both) and the same code: each
//! operation is written once and compiled for both pools by [`with_pool!`].
//!
//! Writes are read-modify-write in one transaction: SQLite opens it with `BEGIN IMMEDIATE` (a
//! deferred transaction that later writes can fail with "database is locked"), PostgreSQL locks
//! the case row with `FOR UPDATE`. A refused change rolls back: nothing is written.
//! Every value is bound; no SQL is built from input.

pub mod outbox;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Transaction};

use crate::domain::case::{
    Case, Channel, CloseReason, Extension, Reference, SectionCode, Suspension, SuspensionReason,
};

/// The database, by backend.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite, the embedded default.
    Sqlite(SqlitePool),
    /// PostgreSQL, for production and several instances.
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// `SELECT` of every `cases` column the code reads, followed by the given clauses. One list, so
/// the row reader (`case_from_row!`) and the queries cannot drift apart.
macro_rules! select_cases {
    ($($rest:literal),*) => {
        concat!(
            "SELECT id, reference, subject, channel, received_on, forwarded_on, section, \
             replied_on, closed_on, close_reason FROM cases ",
            $($rest),*
        )
    };
}

/// Opening transactions the right way for each backend.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    /// Begins a transaction that will write.
    async fn begin_write(&self) -> sqlx::Result<Transaction<'static, Self::Db>>;
    /// Begins a read-only transaction whose reads all see one snapshot.
    async fn begin_snapshot(&self) -> sqlx::Result<Transaction<'static, Self::Db>>;
    /// `SELECT` of a case row that locks it until commit.
    const SELECT_CASE: &'static str;
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
    const SELECT_CASE: &'static str = select_cases!("WHERE reference = $1");
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
    const SELECT_CASE: &'static str = select_cases!("WHERE reference = $1 FOR UPDATE");
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

fn select_case_sql<P: WritePool>(_: &P) -> &'static str {
    P::SELECT_CASE
}

fn bad_row(reference: &str, what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(anyhow::anyhow!(
        "case {reference}: the stored {what} cannot be read ({e}); correct the row"
    ))
}

/// Decodes a `cases` row.
macro_rules! case_from_row {
    ($row:expr) => {{
        let row = $row;
        let reference: String = row.try_get("reference")?;
        let parsed = (|| -> Result<Case, StoreError> {
            let channel: Option<String> = row.try_get("channel")?;
            let section: Option<String> = row.try_get("section")?;
            let close_reason: Option<String> = row.try_get("close_reason")?;
            Ok(Case {
                reference: Reference::parse(&reference)
                    .map_err(|e| bad_row(&reference, "reference", e))?,
                // Text stored before it was checked at input is mended for mail and terminal.
                subject: row
                    .try_get::<Option<String>, _>("subject")?
                    .as_deref()
                    .and_then(crate::domain::case::Subject::mended),
                channel: channel
                    .map(|c| Channel::parse(&c))
                    .transpose()
                    .map_err(|e| bad_row(&reference, "channel", e))?,
                received_on: row.try_get("received_on")?,
                forwarded_on: row.try_get("forwarded_on")?,
                section: section
                    .map(|c| SectionCode::parse(&c))
                    .transpose()
                    .map_err(|e| bad_row(&reference, "section", e))?,
                replied_on: row.try_get("replied_on")?,
                closed_on: row.try_get("closed_on")?,
                close_reason: close_reason
                    .map(|c| CloseReason::parse(&c))
                    .transpose()
                    .map_err(|e| bad_row(&reference, "close reason", e))?,
                extensions: Vec::new(),
                suspensions: Vec::new(),
            })
        })();
        parsed
    }};
}

macro_rules! extension_from_row {
    ($r:expr) => {{
        let r = $r;
        Extension {
            days: u32::try_from(r.try_get::<i32, _>("days")?).unwrap_or(0),
            approved_on: r.try_get::<NaiveDate, _>("approved_on")?,
            approved_by: crate::domain::case::text::cleaned(
                &r.try_get::<String, _>("approved_by")?,
            ),
            reason: r
                .try_get::<Option<String>, _>("reason")?
                .map(|t| crate::domain::case::text::cleaned(&t)),
            notice_on: r.try_get("notice_on")?,
        }
    }};
}

macro_rules! suspension_from_row {
    ($r:expr, $reference:expr) => {{
        let r = $r;
        let reason: String = r.try_get("reason")?;
        Suspension {
            from: r.try_get("from_on")?,
            until: r.try_get("until_on")?,
            reason: SuspensionReason::parse(&reason)
                .map_err(|e| bad_row($reference.as_str(), "suspension reason", e))?,
            note: r
                .try_get::<Option<String>, _>("note")?
                .map(|t| crate::domain::case::text::cleaned(&t)),
            notice_on: r.try_get("notice_on")?,
            resumption_notice_on: r.try_get("resumption_notice_on")?,
        }
    }};
}

/// Loads a case's extensions and suspensions.
macro_rules! load_children {
    ($conn:expr, $id:expr, $case:expr) => {{
        let case: &mut Case = $case;
        let rows = sqlx::query(
            "SELECT days, approved_on, approved_by, reason, notice_on FROM extensions \
             WHERE case_id = $1 ORDER BY position",
        )
        .bind($id)
        .fetch_all(&mut *$conn)
        .await?;
        for r in &rows {
            case.extensions.push(extension_from_row!(r));
        }
        let rows = sqlx::query(
            "SELECT from_on, until_on, reason, note, notice_on, resumption_notice_on \
             FROM suspensions WHERE case_id = $1 ORDER BY position",
        )
        .bind($id)
        .fetch_all(&mut *$conn)
        .await?;
        for r in &rows {
            let reference = case.reference.clone();
            case.suspensions.push(suspension_from_row!(r, reference));
        }
    }};
}

/// Writes a case's state: its row, and its extensions and suspensions replaced whole.
macro_rules! write_case {
    ($tx:expr, $id:expr, $case:expr) => {{
        let case: &Case = $case;
        sqlx::query(
            "UPDATE cases SET subject = $2, channel = $3, received_on = $4, forwarded_on = $5, \
             section = $6, replied_on = $7, closed_on = $8, close_reason = $9, \
             updated_at = CURRENT_TIMESTAMP WHERE id = $1",
        )
        .bind($id)
        .bind(case.subject.as_deref())
        .bind(case.channel.map(Channel::as_str))
        .bind(case.received_on)
        .bind(case.forwarded_on)
        .bind(case.section.as_ref().map(SectionCode::as_str))
        .bind(case.replied_on)
        .bind(case.closed_on)
        .bind(case.close_reason.map(CloseReason::as_str))
        .execute(&mut *$tx)
        .await?;
        sqlx::query("DELETE FROM extensions WHERE case_id = $1").bind($id).execute(&mut *$tx).await?;
        for (i, e) in case.extensions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO extensions (case_id, position, days, approved_on, approved_by, reason, \
                 notice_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind($id)
            .bind(i as i32)
            .bind(i32::try_from(e.days).unwrap_or(i32::MAX))
            .bind(e.approved_on)
            .bind(e.approved_by.as_str())
            .bind(e.reason.as_deref())
            .bind(e.notice_on)
            .execute(&mut *$tx)
            .await?;
        }
        sqlx::query("DELETE FROM suspensions WHERE case_id = $1").bind($id).execute(&mut *$tx).await?;
        for (i, s) in case.suspensions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO suspensions (case_id, position, from_on, until_on, reason, note, \
                 notice_on, resumption_notice_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind($id)
            .bind(i as i32)
            .bind(s.from)
            .bind(s.until)
            .bind(s.reason.as_str())
            .bind(s.note.as_deref())
            .bind(s.notice_on)
            .bind(s.resumption_notice_on)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

macro_rules! history {
    ($tx:expr, $id:expr, $command:expr, $change:expr) => {{
        sqlx::query("INSERT INTO history (case_id, command, change) VALUES ($1, $2, $3)")
            .bind($id)
            .bind($command)
            .bind($change)
            .execute(&mut *$tx)
            .await?;
    }};
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://…`).
    ///
    /// # Errors
    /// An unreachable server, an unwritable path, a malformed URL.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        if let Some(path) = url.strip_prefix("sqlite://") {
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
        let tried: sqlx::Result<()> = with_pool!(self, pool => {
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

    /// Applies the migrations this binary carries (safe to run again).
    ///
    /// # Errors
    /// A failed or foreign migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await,
            Store::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await,
        }
        .context("applying database migrations")
    }

    /// Records a new case.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the reference is taken.
    pub async fn add(&self, case: &Case, command: &str, change: &str) -> Result<(), StoreError> {
        self.add_all(std::slice::from_ref(&(case, change)), command)
            .await
    }

    /// Records new cases in one transaction: all of them, or (on any error) none.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for the first reference that is taken.
    pub async fn add_all<C, S>(&self, cases: &[(C, S)], command: &str) -> Result<(), StoreError>
    where
        C: std::borrow::Borrow<Case>,
        S: AsRef<str>,
    {
        with_pool!(self, pool => {
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
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cases (reference, subject, channel, received_on) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(case.reference.as_str())
                .bind(case.subject.as_deref())
                .bind(case.channel.map(Channel::as_str))
                .bind(case.received_on)
                .fetch_one(&mut *tx)
                .await?;
                write_case!(tx, id, case);
                history!(tx, id, command, change.as_ref());
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
        with_pool!(self, pool => {
            for r in references {
                sqlx::query("UPDATE cases SET is_sample = $2 WHERE reference = $1")
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
        with_pool!(self, pool => {
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
    /// history line. When `change` refuses, nothing is written.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], the refusal of `change`, or a database failure.
    pub async fn update<F>(
        &self,
        reference: &Reference,
        command: &str,
        change: F,
    ) -> Result<Case, StoreError>
    where
        F: FnOnce(&mut Case) -> Result<String, crate::domain::Refusal>,
    {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let Some(row) = sqlx::query(select_case_sql(pool))
                .bind(reference.as_str())
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(StoreError::NotFound(reference.clone()));
            };
            let id: i64 = row.try_get("id")?;
            let mut case = case_from_row!(&row)?;
            load_children!(tx, id, &mut case);
            let said = change(&mut case).map_err(|message| StoreError::Refused {
                reference: reference.clone(),
                message,
            })?;
            write_case!(tx, id, &case);
            history!(tx, id, command, &said);
            tx.commit().await?;
            Ok(case)
        })
    }

    /// One case, with its history (oldest first: at, command, change).
    ///
    /// # Errors
    /// A database failure; `Ok(None)` when there is no such case.
    pub async fn get(
        &self,
        reference: &Reference,
    ) -> Result<Option<(Case, Vec<(String, String, String)>)>, StoreError> {
        with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            let Some(row) = sqlx::query(select_cases!("WHERE reference = $1"))
            .bind(reference.as_str())
            .fetch_optional(&mut *conn)
            .await?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get("id")?;
            let mut case = case_from_row!(&row)?;
            load_children!(conn, id, &mut case);
            let rows = sqlx::query(
                "SELECT CAST(at AS TEXT) AS at, command, change FROM history WHERE case_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let mut lines = Vec::new();
            for r in rows {
                lines.push((r.try_get("at")?, r.try_get("command")?, r.try_get("change")?));
            }
            Ok(Some((case, lines)))
        })
    }

    /// Reads cases in reference order, all or only the open ones (not replied, not closed), in
    /// batches of [`SCAN_BATCH`], and hands each to `each`: memory stays bounded by one batch
    /// whatever the size of the database. The whole scan reads one consistent snapshot.
    ///
    /// A row duewatch cannot decode reaches `each` as an `Err` naming the case, so that one bad
    /// row does not hide the others. Returns how many cases were read.
    ///
    /// # Errors
    /// A database failure, or the first error `each` returns (which stops the scan).
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

    /// Starts a scan that the caller reads batch by batch ([`Cursor::next_batch`]), so that it
    /// may await other work between batches. Same order, snapshot and batches as [`Store::scan`].
    ///
    /// # Errors
    /// A database failure.
    pub async fn cursor(&self, open_only: bool) -> anyhow::Result<Cursor> {
        let tx = match self {
            Store::Sqlite(pool) => CursorTx::Sqlite(pool.begin_snapshot().await?),
            Store::Postgres(pool) => CursorTx::Postgres(pool.begin_snapshot().await?),
        };
        Ok(Cursor {
            tx,
            after: String::new(),
            open_only,
            done: false,
        })
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

/// A scan in progress: one snapshot, read in batches of [`SCAN_BATCH`] cases.
#[derive(Debug)]
pub struct Cursor {
    tx: CursorTx,
    after: String,
    open_only: bool,
    done: bool,
}

#[derive(Debug)]
enum CursorTx {
    Sqlite(Transaction<'static, sqlx::Sqlite>),
    Postgres(Transaction<'static, sqlx::Postgres>),
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
        let (cases_sql, ext_sql, sus_sql) = if self.open_only {
            (SCAN_OPEN_CASES, SCAN_OPEN_EXTENSIONS, SCAN_OPEN_SUSPENSIONS)
        } else {
            (SCAN_CASES, SCAN_EXTENSIONS, SCAN_SUSPENSIONS)
        };
        let after = &mut self.after;
        let done = &mut self.done;
        match &mut self.tx {
            CursorTx::Sqlite(tx) => read_batch!(tx, after, done, cases_sql, ext_sql, sus_sql),
            CursorTx::Postgres(tx) => read_batch!(tx, after, done, cases_sql, ext_sql, sus_sql),
        }
    }

    /// Ends the scan.
    ///
    /// # Errors
    /// A database failure.
    pub async fn finish(self) -> anyhow::Result<()> {
        match self.tx {
            CursorTx::Sqlite(tx) => tx.commit().await?,
            CursorTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// One batch of a [`Cursor`], for either backend's transaction.
macro_rules! read_batch {
    ($tx:expr, $after:expr, $done:expr, $cases_sql:expr, $ext_sql:expr, $sus_sql:expr) => {{
        let tx = $tx;
        let rows = sqlx::query($cases_sql)
            .bind($after.as_str())
            .bind(SCAN_BATCH)
            .fetch_all(&mut **tx)
            .await?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            *$done = true;
            return Ok(None);
        };
        let first: String = first.try_get("reference")?;
        let last: String = last.try_get("reference")?;
        let mut batch: Vec<(i64, Result<Case, StoreError>)> = Vec::with_capacity(rows.len());
        let mut index = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            index.insert(id, batch.len());
            batch.push((id, case_from_row!(row)));
        }
        if rows.len() < SCAN_BATCH as usize {
            *$done = true;
        }
        drop(rows);
        // The children of this batch: one query each, ordered, merged by case id.
        let ext = sqlx::query($ext_sql)
            .bind(first.as_str())
            .bind(last.as_str())
            .fetch_all(&mut **tx)
            .await?;
        for r in &ext {
            if let Some(&i) = index.get(&r.try_get::<i64, _>("case_id")?)
                && let Ok(case) = &mut batch[i].1
            {
                case.extensions.push(extension_from_row!(r));
            }
        }
        let sus = sqlx::query($sus_sql)
            .bind(first.as_str())
            .bind(last.as_str())
            .fetch_all(&mut **tx)
            .await?;
        for r in &sus {
            if let Some(&i) = index.get(&r.try_get::<i64, _>("case_id")?)
                && let Ok(case) = &mut batch[i].1
            {
                let reference = case.reference.clone();
                match (|| -> Result<Suspension, StoreError> {
                    Ok(suspension_from_row!(r, reference))
                })() {
                    Ok(s) => case.suspensions.push(s),
                    Err(e) => batch[i].1 = Err(e),
                }
            }
        }
        *$after = last;
        Ok(Some(batch.into_iter().map(|(_, c)| c).collect()))
    }};
}
use read_batch;

/// Whether a case has reference `$1` (a row, or none).
const REFERENCE_TAKEN: &str = "SELECT 1 FROM cases WHERE reference = $1";

/// Cases per batch of [`Store::scan`]: large enough that the per-query cost vanishes, small
/// enough that a batch is a few megabytes.
pub const SCAN_BATCH: i64 = 2000;

/// Keyset pagination over `reference`; `$1` is the last reference of the previous batch.
const SCAN_CASES: &str = select_cases!("WHERE reference > $1 ORDER BY reference LIMIT $2");
const SCAN_OPEN_CASES: &str = select_cases!(
    "WHERE replied_on IS NULL AND closed_on IS NULL AND reference > $1 ORDER BY reference LIMIT $2"
);
/// The rows of a child table (extensions, suspensions) of the cases whose references lie in
/// [$1, $2], open ones only when `$open` says so.
macro_rules! children {
    ($columns:literal, $table:literal, $open:literal) => {
        concat!(
            // CROSS JOIN makes SQLite walk the batch's cases and look their children up by
            // case_id; left to itself it scans a small child table once per batch.
            "SELECT t.case_id, ",
            $columns,
            " FROM cases c CROSS JOIN ",
            $table,
            " t WHERE t.case_id = c.id AND c.reference >= $1 AND c.reference <= $2",
            $open,
            " ORDER BY t.case_id, t.position"
        )
    };
}
const SCAN_EXTENSIONS: &str = children!(
    "t.days, t.approved_on, t.approved_by, t.reason, t.notice_on",
    "extensions",
    ""
);
const SCAN_OPEN_EXTENSIONS: &str = children!(
    "t.days, t.approved_on, t.approved_by, t.reason, t.notice_on",
    "extensions",
    " AND c.replied_on IS NULL AND c.closed_on IS NULL"
);
const SCAN_SUSPENSIONS: &str = children!(
    "t.from_on, t.until_on, t.reason, t.note, t.notice_on, t.resumption_notice_on",
    "suspensions",
    ""
);
const SCAN_OPEN_SUSPENSIONS: &str = children!(
    "t.from_on, t.until_on, t.reason, t.note, t.notice_on, t.resumption_notice_on",
    "suspensions",
    " AND c.replied_on IS NULL AND c.closed_on IS NULL"
);
