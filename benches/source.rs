//! Watching an existing case system (`cases.source = "sql"`) over 100,000 open cases of
//! 1,000,000 in PostgreSQL: `duewatch status --json` (the built binary, output to /dev/null)
//! and one usual poll (reconcile and deliver, everything notified already), the same shapes as
//! `benches/status.rs` and `benches/poll.rs` measure on the built-in store.
//!
//! `cargo bench --bench source`. The case system is made on first run by
//! `benches/data/source_postgres.sql` (tables in pinyin, a column in Chinese, the views) in the
//! PostgreSQL database `duewatch_bench_source` on 127.0.0.1:5432 and kept; drop it to
//! regenerate. duewatch's own state is a SQLite file, `target/bench-data/source-own.db`.
//! Target (issue 7): the built-in store's, at most 2 s on PostgreSQL.
//!
//! Memory, outside criterion: `/usr/bin/time -f '%M KiB' target/release/duewatch --config
//! target/bench-data/source.toml status --json --as-of 2026-11-27 > /dev/null`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use duewatch::jobs::{Context, poll};
use sqlx::Connection;

const OPEN: u64 = 100_000;
const SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const DB: &str = "duewatch_bench_source";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

/// Makes the case system's database unless it exists.
async fn ensure_case_system() {
    let mut conn = sqlx::PgConnection::connect(&format!("{SERVER}/test"))
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(DB)
        .fetch_optional(&mut conn)
        .await
        .expect("pg_database");
    if exists.is_some() {
        return;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {DB}")))
        .execute(&mut conn)
        .await
        .expect("creating the case system's database");
    eprintln!("generating the case system's 1,000,000 requests in {DB} (once)…");
    let sql = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/source_postgres.sql"),
    )
    .expect("the generator");
    let mut db = sqlx::PgConnection::connect(&format!("{SERVER}/{DB}"))
        .await
        .expect("the case system's database");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut db)
        .await
        .expect("generating the case system");
}

/// The config: duewatch's own SQLite file, the case system's views, a window always open.
fn config() -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(dir.join("calendars")).expect("data dir");
    let path = dir.join("source.toml");
    std::fs::write(
        &path,
        format!(
            "[calendar]\ndir = \"{}\"\n[database]\nurl = \"sqlite://{}\"\n\
             [cases]\nsource = \"sql\"\nurl = \"{SERVER}/{DB}\"\n\
             cases_query = \"SELECT * FROM v_cases\"\n\
             extensions_query = \"SELECT * FROM v_extensions\"\n\
             suspensions_query = \"SELECT * FROM v_suspensions\"\n\
             [office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
             [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
             [[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = [\"ss@bureau.example\"]\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = [\"zc@bureau.example\"]\n\
             [window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
             [mail.file]\ndir = \"{}\"\n",
            dir.join("calendars").display(),
            dir.join("source-own.db").display(),
            dir.join("source-mail").display()
        ),
    )
    .expect("writing the config");
    path
}

fn status(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_duewatch"));
    cmd.env_clear()
        .arg("--config")
        .arg(config)
        .args(["status", "--json", "--as-of", "2026-11-27"]);
    cmd
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(ensure_case_system());
    let path = config();

    // Once, before timing: every open case listed, none refused.
    let out = status(&path).output().expect("running duewatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows.len() as u64, OPEN, "every open case listed");

    let mut group = c.benchmark_group("source_sql_100k_open_of_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("postgres/status", |b| {
        b.iter(|| {
            let status = status(&path)
                .stdout(Stdio::null())
                .status()
                .expect("running duewatch");
            assert!(status.success());
        });
    });

    let config = duewatch::config::load(Some(&path)).expect("the config").0;
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a time");
    let ctx: Context = runtime
        .block_on(Context::load(config))
        .expect("the context");
    // The first poll records every line (untimed): what follows is the usual poll.
    let first = runtime
        .block_on(poll::run(&ctx, now))
        .expect("the first poll");
    assert_eq!(first.cases, OPEN);
    assert_eq!(first.bad_cases, 0);
    group.bench_function("postgres/poll_steady", |b| {
        b.iter(|| {
            let report = runtime.block_on(poll::run(&ctx, now)).expect("a poll");
            assert_eq!(report.cases, OPEN);
            assert_eq!(report.digests, 0);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
