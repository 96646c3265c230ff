//! Upgrading without fear: a database made by the previous release's migrations, holding real
//! rows, is migrated by the new binary, backed up beside itself first, and loses nothing; and
//! `duewatch db backup` by hand (SQLite; PostgreSQL is pointed to pg_dump).

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use predicates::str::contains;

use crate::helpers::{Backend, Setup};

/// The newest migration of the previous release: 0008 (feed tokens) is the one it lacks.
const PREVIOUS_RELEASE: i64 = 7;

/// The tables whose rows an upgrade must keep, each with its row count made below.
const TABLES: [(&str, i64); 7] = [
    ("cases", 3),
    ("extensions", 1),
    ("suspensions", 1),
    ("history", 4),
    ("outbox", 2),
    ("notifications", 2),
    ("runs", 1),
];

/// The SQLite database file of a [`Setup::with_store`] setup.
fn database(s: &Setup) -> PathBuf {
    s.dir.path().join("var/duewatch.db")
}

/// Makes the setup's database as the previous release left it: sqlx applies only the
/// migrations up to [`PREVIOUS_RELEASE`] (and records them in `_sqlx_migrations`, checksums
/// and all, as that release did), then rows in every table, written as that release wrote them.
fn previous_release_database(s: &Setup) {
    let file = database(s);
    std::fs::create_dir_all(file.parent().expect("var/")).expect("var/");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection;
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", file.display()))
                    .await
                    .expect("a new SQLite database");
            let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
            sqlx::migrate::Migrator::new(migrations)
                .await
                .expect("the migrations")
                .run_to(PREVIOUS_RELEASE, &mut conn)
                .await
                .expect("the previous release's migrations");
            conn.close().await.expect("closed");
        });
    s.sql(&[
        "INSERT INTO cases (reference, subject, channel, received_on) \
         VALUES ('2026-0101', '公开某项目审批文件', 'online', '2026-12-21')",
        "INSERT INTO cases (reference, received_on, forwarded_on, section) \
         VALUES ('2026-0102', '2026-12-01', '2026-12-03', 'ss')",
        "INSERT INTO cases (reference, received_on, forwarded_on, section, replied_on) \
         VALUES ('2026-0103', '2026-11-02', '2026-11-04', 'zc', '2026-11-13')",
        "INSERT INTO extensions (case_id, position, days, approved_on, approved_by, reason) \
         SELECT id, 0, 5, '2026-12-10', '王局长', '需要会商' FROM cases WHERE reference = '2026-0102'",
        "INSERT INTO suspensions (case_id, position, from_on, until_on, reason) \
         SELECT id, 0, '2026-12-11', '2026-12-14', 'third_party' FROM cases \
         WHERE reference = '2026-0102'",
        "INSERT INTO history (case_id, command, change) SELECT id, 'case add', 'received' \
         FROM cases",
        "INSERT INTO history (case_id, command, change) SELECT id, 'case forward', 'to ss' \
         FROM cases WHERE reference = '2026-0102'",
        "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, state) \
         VALUES ('digest', 'office@bureau.example', '提醒', '正文', '<a@duewatch>', 'sent')",
        "INSERT INTO outbox (kind, recipient, subject, body_text, message_id, state) \
         VALUES ('digest', 'head@bureau.example', '提醒', '正文', '<b@duewatch>', 'pending')",
        "INSERT INTO notifications (case_reference, stage, level, deadline, recipient, \
         occurrence, outbox_id) SELECT '2026-0101', 'forward', 'reminder', '2026-12-25', \
         recipient, '', id FROM outbox",
        "INSERT INTO runs (job, worker, started_at, finished_at, ok) \
         VALUES ('poll', 'old:1:a', '2026-12-30T01:00:00Z', '2026-12-30T01:00:01Z', 1)",
    ]);
}

fn counts(s: &Setup) -> Vec<(&'static str, i64)> {
    TABLES
        .iter()
        .map(|(table, _)| {
            let query: &'static str = match *table {
                "cases" => "SELECT count(*) + $1 FROM cases",
                "extensions" => "SELECT count(*) + $1 FROM extensions",
                "suspensions" => "SELECT count(*) + $1 FROM suspensions",
                "history" => "SELECT count(*) + $1 FROM history",
                "outbox" => "SELECT count(*) + $1 FROM outbox",
                "notifications" => "SELECT count(*) + $1 FROM notifications",
                _ => "SELECT count(*) + $1 FROM runs",
            };
            (*table, s.sqlite_count(query, 0_i64))
        })
        .collect()
}

/// The backups beside the database, oldest first.
fn backups(s: &Setup) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(s.dir.path().join("var"))
        .expect("var/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("duewatch.db.") && n.ends_with(".backup"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn an_upgrade_from_the_previous_release_backs_the_database_up_and_loses_no_row() {
    let s = Setup::with_store(Backend::Sqlite);
    previous_release_database(&s);
    assert_eq!(counts(&s), TABLES.to_vec(), "the previous release's rows");

    let migrated = s.duewatch(&["db", "migrate"]).assert().success();
    let stderr = String::from_utf8_lossy(&migrated.get_output().stderr).into_owned();

    let backups = backups(&s);
    assert_eq!(
        backups.len(),
        1,
        "one backup beside the database: {backups:?}"
    );
    let backup = &backups[0];
    let name = backup.file_name().and_then(|n| n.to_str()).expect("a name");
    assert!(
        name.ends_with(&format!(".v{PREVIOUS_RELEASE}.backup")),
        "named with the schema version it holds: {name}"
    );
    assert!(
        stderr.contains(&backup.display().to_string()),
        "the backup's path is said: {stderr}"
    );
    assert_eq!(counts(&s), TABLES.to_vec(), "every row is still there");
    assert_eq!(
        s.sqlite_count(
            "SELECT count(*) FROM _sqlx_migrations WHERE version = $1 AND success",
            8_i64
        ),
        1,
        "the new migration is applied"
    );

    // The backup is the previous release's database, whole: open it as the database.
    let restored = Setup::new();
    restored.write_config(&format!(
        "[calendar]\ndir = \"{}\"\n[database]\nurl = \"sqlite://{}\"\n",
        restored.calendars().display(),
        backup.display()
    ));
    let copy = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            use sqlx::Connection;
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", backup.display()))
                    .await
                    .expect("the backup opens");
            let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
                .fetch_one(&mut conn)
                .await
                .expect("its cases");
            let newest: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
                .fetch_one(&mut conn)
                .await
                .expect("its migrations");
            (cases, newest)
        });
    assert_eq!(
        copy,
        (3, PREVIOUS_RELEASE),
        "the backup holds the old schema and rows"
    );

    // The commands work on the upgraded database, on the cases the old release stored.
    s.duewatch(&["status", "--as-of", "2026-12-22"])
        .assert()
        .success()
        .stdout(contains("2026-0101"))
        .stdout(contains("2026-0102"));
    s.duewatch(&["case", "show", "2026-0102"])
        .assert()
        .success()
        .stdout(contains("王局长"));

    // Nothing pending: a second migrate writes no second backup.
    s.duewatch(&["db", "migrate"])
        .assert()
        .success()
        .stderr(contains("backed up").not());
    assert_eq!(self::backups(&s).len(), 1);
}

#[test]
fn a_new_database_is_not_backed_up_before_its_first_migrations() {
    let s = Setup::with_store(Backend::Sqlite);
    s.duewatch(&["db", "migrate"])
        .assert()
        .success()
        .stderr(contains("backed up").not());
    assert!(backups(&s).is_empty());
}

#[test]
fn db_backup_writes_a_copy_beside_the_database_and_keeps_the_newest_backups_kept() {
    let s = Setup::with_store(Backend::Sqlite);
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-12-01",
    ])
    .assert()
    .success();
    let config = std::fs::read_to_string(s.config()).expect("the config");
    s.write_config(&config.replace("[database]\n", "[database]\nbackups_kept = 2\n"));
    let mut said = Vec::new();
    for _ in 0..3 {
        let out = s.duewatch(&["db", "backup"]).assert().success();
        said.push(
            String::from_utf8_lossy(&out.get_output().stdout)
                .trim()
                .to_owned(),
        );
    }
    let kept = backups(&s);
    let kept_names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(
        kept_names,
        said[1..].to_vec(),
        "the two newest are kept, the oldest removed"
    );
    // Named with the newest schema version (the highest migration's number).
    let newest = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
        .expect("the migrations")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .max()
        .expect("a migration");
    assert!(
        kept_names[0].ends_with(&format!(".v{newest}.backup")),
        "{}",
        kept_names[0]
    );
}

#[test]
fn db_backup_to_a_file_copies_the_cases_and_never_overwrites() {
    let s = Setup::with_store(Backend::Sqlite);
    s.duewatch(&[
        "case",
        "add",
        "--ref",
        "2026-0001",
        "--received",
        "2026-12-01",
    ])
    .assert()
    .success();
    let file = s.dir.path().join("copy.db");
    s.duewatch(&["db", "backup", file.to_str().expect("UTF-8")])
        .assert()
        .success()
        .stdout(format!("{}\n", file.display()));
    // The copy is a database duewatch can use as its own.
    let copy = Setup::new();
    copy.write_config(&format!(
        "[calendar]\ndir = \"{}\"\n[database]\nurl = \"sqlite://{}\"\n",
        copy.calendars().display(),
        file.display()
    ));
    copy.duewatch(&["case", "list"])
        .assert()
        .success()
        .stdout(contains("2026-0001"));
    s.duewatch(&["db", "backup", file.to_str().expect("UTF-8")])
        .assert()
        .failure()
        .stderr(contains("exists already"));
}

#[test]
fn db_backup_on_postgresql_says_to_use_pg_dump_with_the_database() {
    let s = Setup::with_store(Backend::Postgres);
    let name = s.postgres.clone().expect("a PostgreSQL database");
    s.duewatch(&["db", "backup"])
        .assert()
        .failure()
        .stderr(contains("pg_dump"))
        .stderr(contains(name));
}
