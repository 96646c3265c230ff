//! Upgrading the database without fear: which migrations are pending, and copies of a SQLite
//! database (`VACUUM INTO`: a consistent copy, taken while the daemon may be running), written
//! beside it before migrations change it, and by hand (`duewatch db backup`). PostgreSQL is
//! backed up with its own tool (`pg_dump`), never by duewatch.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sqlx::migrate::Migrator;

use super::Store;

/// The SQLite migrations this binary carries.
pub(super) static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
/// The PostgreSQL migrations this binary carries.
pub(super) static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// The end of a backup's file name: `duewatch.db.20261201T083000.123Z.v7.backup`.
const SUFFIX: &str = ".backup";

impl Store {
    /// The migrations this binary carries that the database has not applied, oldest first
    /// (all of them for a new database).
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn pending_migrations(&self) -> anyhow::Result<Vec<i64>> {
        let applied = self.applied_migrations().await?;
        let carried = match self {
            Store::Sqlite(_) => &SQLITE,
            Store::Postgres(_) => &POSTGRES,
        };
        Ok(carried
            .iter()
            .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
            .map(|m| m.version)
            .collect())
    }

    /// The schema version: the newest migration applied, `None` for a new database.
    ///
    /// # Errors
    /// The database cannot be read.
    pub async fn schema_version(&self) -> anyhow::Result<Option<i64>> {
        Ok(self.applied_migrations().await?.into_iter().max())
    }

    /// The versions recorded in sqlx's table `_sqlx_migrations` (none when it is missing).
    async fn applied_migrations(&self) -> anyhow::Result<Vec<i64>> {
        let exists = self.sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            "SELECT count(*) FROM pg_tables WHERE tablename = '_sqlx_migrations' \
             AND schemaname = current_schema()",
        );
        let versions = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let read: sqlx::Result<Vec<i64>> = super::with_pool!(self, |pool| {
            async {
                let tables: i64 = sqlx::query_scalar(exists).fetch_one(pool).await?;
                if tables == 0 {
                    return Ok(Vec::new());
                }
                sqlx::query_scalar(versions).fetch_all(pool).await
            }
            .await
        });
        read.context("reading which migrations the database has applied (_sqlx_migrations)")
    }

    /// Applies the pending migrations; before it changes a SQLite database that has data (an
    /// older schema), writes a backup beside it and keeps the newest `backups_kept` (0: none).
    /// Returns the backup's path, when one was written.
    ///
    /// # Errors
    /// A backup that cannot be written (nothing is migrated then), a failed migration.
    pub async fn upgrade(&self, backups_kept: u32) -> anyhow::Result<Option<PathBuf>> {
        let mut backup = None;
        if matches!(self, Store::Sqlite(_)) && backups_kept > 0 {
            let pending = self.pending_migrations().await?;
            // A new database (no migration applied) has nothing to lose.
            if !pending.is_empty() && self.schema_version().await?.is_some() {
                let path = self.backup_beside(backups_kept).await.context(
                    "backing up the database before migrating it (nothing was migrated)\n  help: \
                     free space beside the database, or set database.backups_kept = 0 to \
                     migrate without a backup",
                )?;
                backup = Some(path);
            }
        }
        self.migrate().await?;
        Ok(backup)
    }

    /// Writes a backup of a SQLite database beside it, named with the time and the schema
    /// version (`duewatch.db.20261201T083000.123Z.v7.backup`), then removes the oldest such
    /// backups beyond `kept` (at least this one is kept).
    ///
    /// # Errors
    /// PostgreSQL (use `pg_dump`), a backup that cannot be written.
    pub async fn backup_beside(&self, kept: u32) -> anyhow::Result<PathBuf> {
        let file = self.sqlite_path()?;
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .context("the database's file name is not UTF-8")?
            .to_owned();
        let version = self.schema_version().await?.unwrap_or(0);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = file.with_file_name(format!("{name}.{stamp}.v{version}{SUFFIX}"));
        self.backup_to(&path).await?;
        prune(&file, &name, kept.max(1))?;
        Ok(path)
    }

    /// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO`), which must not
    /// exist yet.
    ///
    /// # Errors
    /// PostgreSQL (use `pg_dump`), `path` exists or cannot be written.
    pub async fn backup_to(&self, path: &Path) -> anyhow::Result<()> {
        let Store::Sqlite(pool) = self else {
            // PostgreSQL: the error that points to pg_dump.
            return self.sqlite_path().map(drop);
        };
        if path.exists() {
            anyhow::bail!(
                "{} exists already: a backup never overwrites a file\n  help: name another file, \
                 or move that one away",
                path.display()
            );
        }
        let target = path
            .to_str()
            .with_context(|| format!("the backup's path {} is not UTF-8", path.display()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await
            .with_context(|| {
                format!(
                    "writing the backup {} (VACUUM INTO)\n  help: check that its directory exists, \
                     that duewatch's user may write there and that there is room for a copy of \
                     the database",
                    path.display()
                )
            })?;
        Ok(())
    }

    /// The SQLite database's file; for PostgreSQL, the error that says to use `pg_dump`.
    fn sqlite_path(&self) -> anyhow::Result<PathBuf> {
        match self {
            Store::Sqlite(pool) => Ok(pool.connect_options().get_filename().to_owned()),
            Store::Postgres(pool) => {
                let options = pool.connect_options();
                let database = options.get_database().unwrap_or("duewatch");
                let host = options.get_host();
                let user = options.get_username();
                Err(anyhow::anyhow!(
                    "database.url is PostgreSQL: duewatch backs up SQLite databases only\n  help: \
                     back it up with PostgreSQL's own tool, e.g. \
                     pg_dump --format=custom --file={database}.dump -h {host} -U {user} {database}"
                ))
            }
        }
    }
}

/// Removes the oldest backups of the database `file` (named `NAME.<time>.v<version>.backup`
/// beside it) beyond the newest `kept`. Their names sort by time.
fn prune(file: &Path, name: &str, kept: u32) -> anyhow::Result<()> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!("{name}.");
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {} for old backups", dir.display()))?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_name().to_str().is_some_and(|n| {
                n.starts_with(&prefix)
                    && n.ends_with(SUFFIX)
                    && n[prefix.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .map(|entry| entry.path())
        .collect();
    backups.sort();
    let surplus = backups.len().saturating_sub(kept as usize);
    for old in &backups[..surplus] {
        std::fs::remove_file(old)
            .with_context(|| format!("removing the old backup {}", old.display()))?;
        tracing::info!(backup = %old.display(), "old database backup removed");
    }
    Ok(())
}
