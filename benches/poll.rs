//! One full poll of the daemon (reconcile: read and evaluate every open case, record the
//! notifications and digests; deliver: write the mail) over 100,000 open cases in a database of
//! 1,000,000, on SQLite and PostgreSQL. The data is `benches/status.rs`'s (run that bench once
//! first: this one stops with that advice when the data is missing).
//!
//! `cargo bench --bench poll`. Three shapes:
//! - `first`: nothing notified yet (the notifications and outbox are emptied before each
//!   iteration, untimed): every line is new and recorded, as on the first poll after 100,000
//!   cases were imported at once;
//! - `steady`: everything notified already, the usual poll: every line is looked up and found;
//! - `new_day`: the first poll of a working day in a running daemon: everything notified, but
//!   today's repeat of the overdue lines not made yet (the `repeats` rows are deleted before
//!   each iteration, untimed), so each recipient's digest lists all their overdue lines again.
//!
//! Targets (issue 5): at most 1 s on SQLite, 2 s on PostgreSQL. Memory is measured on the
//! daemon itself (docs/performance.md).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use duewatch::jobs::{Context, Report, poll};
use duewatch::store::Store;

fn config(dir: &Path, name: &str, url: &str) -> duewatch::config::Config {
    let path = dir.join(format!("poll-{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[calendar]\ndir = \"{}\"\n[database]\nurl = \"{url}\"\n\
             [office]\nname = \"办公室\"\nemails = [\"office@bureau.example\"]\n\
             [leadership]\nname = \"局领导\"\nemails = [\"leaders@bureau.example\"]\n\
             [[sections]]\ncode = \"ss\"\nname = \"社会保险股\"\nemails = [\"ss@bureau.example\"]\n\
             [[sections]]\ncode = \"zc\"\nname = \"政策法规股\"\nemails = [\"zc@bureau.example\"]\n\
             [window]\nfrom = \"00:00\"\nto = \"23:59\"\nevery_day = true\n\
             [mail.file]\ndir = \"{}\"\n",
            dir.join("calendars").display(),
            dir.join("poll-mail").display()
        ),
    )
    .expect("writing the config");
    duewatch::config::load(Some(&path)).expect("the config").0
}

async fn forget(store: &Store) {
    let statements = [
        "DELETE FROM repeats",
        "DELETE FROM notifications",
        "DELETE FROM outbox",
        "DELETE FROM runs",
    ];
    for statement in statements {
        execute(store, statement).await;
    }
}

async fn execute(store: &Store, statement: &'static str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(statement).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(drop),
    }
    .expect(statement);
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    assert!(
        dir.join("status.db").exists(),
        "run `cargo bench --bench status` first: it makes the 1,000,000-case data"
    );
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("a time");
    let mut group = c.benchmark_group("poll_100k_open_of_1m");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for (name, url) in [
        (
            "sqlite",
            format!("sqlite://{}", dir.join("status.db").display()),
        ),
        (
            "postgres",
            "postgres://postgres@127.0.0.1:5432/duewatch_bench_status".to_owned(),
        ),
    ] {
        let config = config(&dir, name, &url);
        group.bench_function(format!("{name}/first"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(async {
                        // A fresh process's state: no keys remembered, none recorded.
                        let ctx = Context::load(config.clone()).await.expect("the context");
                        forget(&ctx.store).await;
                        let start = Instant::now();
                        let report: Report = poll::run(&ctx, now).await.expect("a poll");
                        total += start.elapsed();
                        assert_eq!(report.cases, 100_000);
                        assert!(report.digests > 0);
                    });
                }
                total
            });
        });
        let ctx: Context = runtime
            .block_on(Context::load(config.clone()))
            .expect("the context");
        group.bench_function(format!("{name}/steady"), |b| {
            b.iter(|| {
                let report = runtime.block_on(poll::run(&ctx, now)).expect("a poll");
                assert_eq!(report.digests, 0);
            });
        });
        group.bench_function(format!("{name}/new_day"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    runtime.block_on(async {
                        execute(&ctx.store, "DELETE FROM repeats").await;
                        let start = Instant::now();
                        let report = poll::run(&ctx, now).await.expect("a poll");
                        total += start.elapsed();
                        assert!(report.digests > 0, "today's repeat");
                    });
                }
                total
            });
        });
        runtime.block_on(forget(&ctx.store));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
