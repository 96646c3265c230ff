//! `duewatch status --json` over 100,000 open cases in a database of 1,000,000, on SQLite and on
//! PostgreSQL: the built binary, run as an administrator runs it, output to /dev/null.
//!
//! `cargo bench --bench status`. The data is made on first run by `benches/data/status_*.sql`
//! (see those files for its shape) into `target/bench-data/status.db` and the PostgreSQL
//! database `duewatch_bench_status` on 127.0.0.1:5432, and kept for later runs; delete them to
//! regenerate. Targets (issue 3): at most 1 s on SQLite, 2 s on PostgreSQL.
//!
//! Memory is measured outside criterion, with the same data:
//! `/usr/bin/time -f '%M KiB' target/release/duewatch --config target/bench-data/sqlite.toml
//! status --json --as-of 2026-11-27 > /dev/null`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use duewatch::store::Store;

const CASES: i64 = 1_000_000;
const OPEN: usize = 100_000;
const POSTGRES_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const POSTGRES_DB: &str = "duewatch_bench_status";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

/// Makes the database behind `url` hold the benchmark's rows, unless it does already.
async fn ensure_data(url: &str, generator: &str) {
    let url = duewatch::config::DatabaseUrl::parse(url).expect("a database URL");
    let store = Store::connect(&url).await.expect("the benchmark database");
    store.migrate().await.expect("migrations");
    let count: i64 = match &store {
        Store::Sqlite(pool) => sqlx::query_scalar("SELECT count(*) FROM cases")
            .fetch_one(pool)
            .await
            .expect("count"),
        Store::Postgres(pool) => sqlx::query_scalar("SELECT count(*) FROM cases")
            .fetch_one(pool)
            .await
            .expect("count"),
    };
    if count == CASES {
        return;
    }
    assert_eq!(count, 0, "{url} holds other rows; delete it to regenerate");
    eprintln!("generating {CASES} cases in {url} (once)…");
    let sql = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/data")
            .join(generator),
    )
    .expect("the generator");
    let sql = sqlx::AssertSqlSafe(sql);
    match &store {
        Store::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
    .expect("generating the data");
}

async fn ensure_postgres_database() {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&format!("{POSTGRES_SERVER}/test"))
        .await
        .expect("PostgreSQL on 127.0.0.1:5432");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(POSTGRES_DB)
        .fetch_optional(&mut conn)
        .await
        .expect("pg_database");
    if exists.is_none() {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {POSTGRES_DB}"
        )))
        .execute(&mut conn)
        .await
        .expect("creating the benchmark database");
    }
}

/// A config for `url`, written next to the data; returns its path.
fn config(name: &str, url: &str) -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(dir.join("calendars")).expect("data dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[calendar]\ndir = \"{}\"\n[database]\nurl = \"{url}\"\n\
             [[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = [\"ss@bureau.example\"]\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = [\"zc@bureau.example\"]\n",
            dir.join("calendars").display()
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

/// Once, before timing: the command succeeds and lists every open case.
fn check(config: &Path) {
    let out = status(config).output().expect("running duewatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows.len(), OPEN, "every open case listed");
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sqlite_url = format!("sqlite://{}", data_dir().join("status.db").display());
    let postgres_url = format!("{POSTGRES_SERVER}/{POSTGRES_DB}");
    runtime.block_on(async {
        ensure_data(&sqlite_url, "status_sqlite.sql").await;
        ensure_postgres_database().await;
        ensure_data(&postgres_url, "status_postgres.sql").await;
    });

    let mut group = c.benchmark_group("status_100k_open_of_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for (name, url) in [("sqlite", &sqlite_url), ("postgres", &postgres_url)] {
        let config = config(name, url);
        check(&config);
        group.bench_function(name, |b| {
            b.iter(|| {
                let status = status(&config)
                    .stdout(Stdio::null())
                    .status()
                    .expect("running duewatch");
                assert!(status.success());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
