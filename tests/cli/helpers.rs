//! Shared set-up for the CLI tests: a private config and calendar directory per test, and the
//! built `duewatch` binary run with a clean environment (no stray `DUEWATCH__` variables, no
//! `/etc/duewatch/duewatch.toml`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// A test's own config file and calendar directory.
pub struct Setup {
    pub dir: TempDir,
    /// The PostgreSQL database made for this test, dropped with it.
    pub postgres: Option<String>,
}

impl Setup {
    /// A config whose calendar directory exists and is empty.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("calendars")).expect("calendar directory");
        let setup = Setup {
            dir,
            postgres: None,
        };
        setup.write_config(&format!(
            "[calendar]\ndir = \"{}\"\n",
            setup.calendars().display()
        ));
        setup
    }

    pub fn calendars(&self) -> PathBuf {
        self.dir.path().join("calendars")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("duewatch.toml")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).expect("writing the config");
    }

    /// Adds tables to the config file.
    pub fn append_config(&self, text: &str) {
        let mut config = std::fs::read_to_string(self.config()).expect("reading the config");
        config.push_str(text);
        self.write_config(&config);
    }

    pub fn write_calendar(&self, name: &str, text: &str) {
        std::fs::write(self.calendars().join(name), text).expect("writing a calendar file");
    }

    /// `duewatch --config <ours> ARGS...`
    pub fn duewatch(&self, args: &[&str]) -> Command {
        let mut cmd = duewatch();
        cmd.arg("--config").arg(self.config()).args(args);
        cmd
    }

    /// [`Setup::duewatch`] taking the real date as today, for the case commands of the tests
    /// whose acts are dated from the clock (a daemon's): the fixed [`TODAY`] would call them
    /// "after today" once the clock has passed it.
    pub fn duewatch_on_the_clock(&self, args: &[&str]) -> Command {
        let mut cmd = self.duewatch(args);
        cmd.env("DUEWATCH_TODAY", clock_today().to_string());
        cmd
    }
}

/// The day the tests' case commands take as today (`DUEWATCH_TODAY`): their acts are dated in
/// 2026, and an act after today is refused (src/entry.rs). Fixed, so no test depends on the clock.
pub const TODAY: &str = "2026-12-31";

/// Today by the clock in Asia/Shanghai, the daemon's time zone.
pub fn clock_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// The binary under test, with an empty environment but for [`TODAY`].
pub fn duewatch() -> Command {
    let mut cmd = Command::cargo_bin("duewatch").expect("the duewatch binary is built");
    cmd.env_clear();
    cmd.env("DUEWATCH_TODAY", TODAY);
    cmd
}

/// The office's and the leadership's addresses, as a config appends them: `config check` and
/// `run` refuse a configuration that sends a level to a role with no address.
pub const ADDRESSES: &str = "[office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
     [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n";

/// The holiday-cn JSON files kept for tests.
pub fn holiday_cn(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/holiday-cn")
        .join(name)
}

/// A 2027 year file as an administrator would write it by hand.
pub const YEAR_2027: &str = r#"year = 2027

[[notices]]
title = "国务院办公厅关于2027年部分节假日安排的通知"

[[holidays]]
name = "元旦"
rest = ["2027-01-01..2027-01-03"]
"#;

/// Defines each test twice, `NAME::sqlite` and `NAME::postgres`: `NAME => |backend| { … };`.
macro_rules! on_both_backends {
    ($($name:ident => $body:expr;)+) => {$(
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                ($body)(Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                ($body)(Backend::Postgres);
            }
        }
    )+};
}

/// Which database a store test runs against.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server every machine of this project runs (trust auth).
pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

impl Setup {
    /// A config with sections `ss` and `zc`, on a fresh database of `backend`.
    pub fn with_store(backend: Backend) -> Self {
        let mut setup = Setup::new();
        let url = match backend {
            Backend::Sqlite => format!(
                "sqlite://{}",
                setup.dir.path().join("var/duewatch.db").display()
            ),
            Backend::Postgres => {
                let name = fresh_postgres_database();
                let url = format!("{POSTGRES}/{name}");
                setup.postgres = Some(name);
                url
            }
        };
        setup.write_config(&format!(
            "[calendar]\ndir = \"{}\"\n[database]\nurl = \"{url}\"\n\
             [[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = [\"head@bureau.example\"]\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = [\"zc@bureau.example\"]\n",
            setup.calendars().display()
        ));
        setup
    }
}

impl Setup {
    /// Runs `statements` on this setup's database, in order, as an administrator would by hand
    /// (to build a state the commands cannot make, such as an older version's rows).
    pub fn sql(&self, statements: &[&str]) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            use sqlx::Connection;
            for statement in statements {
                let sql = || sqlx::AssertSqlSafe(statement.to_string());
                let done = match &self.postgres {
                    Some(name) => {
                        let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/{name}"))
                            .await
                            .expect("the test's PostgreSQL database");
                        sqlx::query(sql()).execute(&mut conn).await.map(drop)
                    }
                    None => {
                        let url = format!(
                            "sqlite://{}",
                            self.dir.path().join("var/duewatch.db").display()
                        );
                        let mut conn = sqlx::SqliteConnection::connect(&url)
                            .await
                            .expect("the test's SQLite database");
                        sqlx::query(sql()).execute(&mut conn).await.map(drop)
                    }
                };
                done.unwrap_or_else(|e| panic!("{statement}: {e}"));
            }
        });
    }
}

impl Setup {
    /// The first column of the rows `query` returns on this setup's database (either backend),
    /// as text: the query casts it (`CAST(x AS TEXT)`); NULL is `None`.
    pub fn column(&self, query: &str) -> Vec<Option<String>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            use sqlx::Connection;
            let sql = || sqlx::AssertSqlSafe(query.to_owned());
            let rows = match &self.postgres {
                Some(name) => {
                    let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/{name}"))
                        .await
                        .expect("the test's PostgreSQL database");
                    sqlx::query_scalar(sql()).fetch_all(&mut conn).await
                }
                None => {
                    let url = format!(
                        "sqlite://{}",
                        self.dir.path().join("var/duewatch.db").display()
                    );
                    let mut conn = sqlx::SqliteConnection::connect(&url)
                        .await
                        .expect("the test's SQLite database");
                    sqlx::query_scalar(sql()).fetch_all(&mut conn).await
                }
            };
            rows.unwrap_or_else(|e| panic!("{query}: {e}"))
        })
    }
}

impl Setup {
    /// The count `query` (one `$1`, bound to `arg`) returns on this setup's SQLite database.
    pub fn sqlite_count<A>(&self, query: &'static str, arg: A) -> i64
    where
        A: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        use sqlx::Connection;
        let url = format!(
            "sqlite://{}",
            self.dir.path().join("var/duewatch.db").display()
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(async {
                let mut conn = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("the test's SQLite database");
                sqlx::query_scalar(query)
                    .bind(arg)
                    .fetch_one(&mut conn)
                    .await
                    .expect("a count")
            })
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(name) = self.postgres.take() {
            // Best effort: a failure here must not hide the test's own result.
            let _ = on_postgres(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs one statement on the `test` database as the superuser.
pub fn on_postgres(statement: &str) -> Result<(), sqlx::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES}/test")).await?;
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut conn)
            .await?;
        Ok(())
    })
}

/// Creates an empty database for one test and returns its name.
pub fn fresh_postgres_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "duewatch_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    on_postgres(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("PostgreSQL on 127.0.0.1:5432 (start it: .ci/run shows how)");
    on_postgres(&format!("CREATE DATABASE {name}")).expect("creating the test database");
    name
}

/// A tmpfs the test mounted (the tests run as root), unmounted when dropped: a small disk that
/// a test can fill, or a read-only one.
pub struct Mount {
    pub path: PathBuf,
}

impl Mount {
    /// Mounts a tmpfs of `options` (`size=4m`, `ro`…) on `path` (created if missing); `None`,
    /// with the reason on stderr, where mounting is not permitted (not root, a container
    /// without CAP_SYS_ADMIN): the calling test is skipped then.
    pub fn tmpfs(path: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(path).expect("the mount point");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(path)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Mount {
                path: path.to_owned(),
            }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs on {} (needs root): {}",
                    path.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    /// Remounts with `options` (e.g. `remount,ro`).
    pub fn remount(&self, options: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", options])
            .arg(&self.path)
            .status()
            .expect("mount runs");
        assert!(
            ok.success(),
            "remounting {} with {options}",
            self.path.display()
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        // Lazy: a process that still has a file open there must not keep the mount.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}
